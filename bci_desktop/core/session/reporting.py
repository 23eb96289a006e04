"""The numbers of a stream, gathered into one :class:`StreamStatus`."""

from __future__ import annotations

from bci_desktop.core.engine import Engine
from bci_desktop.core.runner import RunStats
from bci_desktop.core.session.gaps import GapCounter
from bci_desktop.core.session.status import (
    RecordingStatus,
    ReplayStatus,
    StreamState,
    StreamStatus,
)
from bci_desktop.core.sources.supervised import SourceState, SupervisedSource

__all__ = ["build_status"]


def build_status(
    state: StreamState,
    engine: Engine,
    stats: RunStats,
    *,
    model: str,
    rate: float,
    since_data_s: float,
    gaps: GapCounter | None,
    supervisor: SupervisedSource | None,
    replay: ReplayStatus | None,
    recording: RecordingStatus | None,
) -> StreamStatus:
    """One status from the stream's parts (see :class:`StreamStatus` for the fields)."""
    p50, p99 = stats.latency.percentiles((50, 99))
    s50, s99 = stats.source_latency.percentiles((50, 99))
    return StreamStatus(
        state=state,
        source_name=engine.info.source_name,
        model=model,
        sample_rate=engine.sample_rate,
        rate=rate,
        samples=stats.samples,
        stream_seconds=stats.stream_seconds,
        gaps=gaps.gaps if gaps is not None else 0,
        dropped=gaps.dropped if gaps is not None else 0,
        since_data_s=since_data_s,
        source_state=(supervisor.state if supervisor else SourceState.STREAMING).label,
        lost_for_s=supervisor.lost_for_s if supervisor else None,
        next_attempt_in_s=supervisor.next_attempt_in_s if supervisor else None,
        predictions=stats.predictions,
        withheld=stats.withheld,
        latency_p50_ms=p50,
        latency_p99_ms=p99,
        source_latency_p50_ms=s50,
        source_latency_p99_ms=s99,
        last_prediction=stats.last_prediction,
        quality=engine.quality,
        replay=replay,
        recording=recording,
    )
