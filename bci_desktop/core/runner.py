"""The streaming loop: read a source, feed the engine, report progress.

Used by ``bci-desktop run``, the benchmarks and the GUI's worker thread (which calls
:meth:`StreamRunner.step` from its own loop). Plain callbacks, no Qt.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bci_desktop.core.engine import Engine, EngineUpdate, Prediction
from bci_desktop.core.prediction import truth_comparable
from bci_desktop.core.sources.base import Source
from bci_desktop.core.stats import RollingPercentiles
from bci_desktop.core.stream import Chunk

logger = logging.getLogger(__name__)


@dataclass
class RunStats:
    """Counters of one run, updated as it goes."""

    samples: int = 0
    chunks: int = 0
    predictions: int = 0
    withheld: int = 0
    agree: int = 0
    with_truth: int = 0
    stream_seconds: float = 0.0
    wall_started: float = field(default_factory=time.perf_counter)
    latency: RollingPercentiles = field(default_factory=lambda: RollingPercentiles(2400))
    #: Latency from the sample's time stamp at its source (LSL streams only).
    source_latency: RollingPercentiles = field(default_factory=lambda: RollingPercentiles(2400))
    last_prediction: Prediction | None = None

    @property
    def wall_seconds(self) -> float:
        """Wall-clock time since the run started."""
        return time.perf_counter() - self.wall_started

    @property
    def accuracy(self) -> float | None:
        """Share of labelled predictions that agree with the truth, if any is known (only
        predictions of models whose classes are the source's states count)."""
        return self.agree / self.with_truth if self.with_truth else None


class StreamRunner:
    """Pull chunks from a source into an engine.

    Parameters
    ----------
    source : Source
        Started by :meth:`run` (or by the caller when using :meth:`step`).
    engine : Engine
        Processes every chunk.
    duration_s : float or None
        Stop after this much *stream* time (so ``--speed max`` runs are short); ``None``
        runs until stopped or until a finite source ends.
    on_chunk : callable or None
        Called with every raw chunk *before* the engine sees it (the recorder sits here so
        a failure later in the pipeline cannot lose samples). When it returns a chunk, the
        engine gets that one instead (the stream session adds markers that other programs
        sent).
    on_update : callable or None
        Called with every :class:`EngineUpdate`.
    on_status : callable or None
        Called about once per wall-clock second with the :class:`RunStats`.
    """

    def __init__(
        self,
        source: Source,
        engine: Engine,
        *,
        duration_s: float | None = None,
        on_chunk: Callable[[Chunk], Chunk | None] | None = None,
        on_update: Callable[[EngineUpdate], None] | None = None,
        on_status: Callable[[RunStats], None] | None = None,
        poll_interval_s: float = 0.004,
    ) -> None:
        self.source = source
        self.engine = engine
        self.duration_s = duration_s
        self.on_chunk = on_chunk
        self.on_update = on_update
        self.on_status = on_status
        self.poll_interval_s = poll_interval_s
        self.stats = RunStats()
        rate = engine.sample_rate
        self._limit = None if duration_s is None else math.ceil(duration_s * rate - 1e-9)
        self._next_status = time.perf_counter() + 1.0

    @property
    def done(self) -> bool:
        """True once the duration is reached."""
        return self._limit is not None and self.stats.samples >= self._limit

    def step(self) -> EngineUpdate | None:
        """Read once and process what came; ``None`` when nothing arrived."""
        chunk = self.source.read()
        update = None
        if chunk is not None and chunk.n_samples:
            if self._limit is not None and self.stats.samples + chunk.n_samples > self._limit:
                chunk = _head(chunk, self._limit - self.stats.samples)
            if self.on_chunk is not None:
                chunk = self.on_chunk(chunk) or chunk
            update = self.engine.process(chunk)
            self._account(chunk, update)
            if self.on_update is not None:
                self.on_update(update)
        if self.on_status is not None and time.perf_counter() >= self._next_status:
            self._next_status = time.perf_counter() + 1.0
            self.on_status(self.stats)
        return update

    def run(self, stop: threading.Event | None = None, *, started: bool = False) -> RunStats:
        """Start the source (unless ``started``), loop until stopped, done or it ends.

        The source is stopped at the end in every case.
        """
        stop = stop or threading.Event()
        if not started:
            self.source.start()
        try:
            self.stats = replace(self.stats, wall_started=time.perf_counter())
            while not stop.is_set() and not self.done:
                update = self.step()
                if update is None:
                    if self.source.finished:
                        break
                    time.sleep(self.poll_interval_s)
        finally:
            self.source.stop()
        return self.stats

    def _account(self, chunk: Chunk, update: EngineUpdate) -> None:
        s = self.stats
        s.samples += chunk.n_samples
        s.chunks += 1
        s.stream_seconds = s.samples / self.engine.sample_rate
        for p in update.predictions:
            s.predictions += 1
            s.latency.add(p.latency_ms)
            if p.source_latency_ms is not None:
                s.source_latency.add(p.source_latency_ms)
            s.last_prediction = p
            if p.withheld is not None:
                s.withheld += 1
            elif p.truth is not None and truth_comparable(p.classes, self.engine.info.states):
                s.with_truth += 1
                s.agree += p.label == p.truth


def _head(chunk: Chunk, n: int) -> Chunk:
    return Chunk(
        eeg=chunk.eeg[:, :n],
        timestamps=chunk.timestamps[:n],
        markers=chunk.markers[:n],
        truth=None if chunk.truth is None else chunk.truth[:n],
        board_data=None if chunk.board_data is None else chunk.board_data[:, :n],
        gap_before=chunk.gap_before,
        marker_texts=tuple(m for m in chunk.marker_texts if m.index < n),
    )
