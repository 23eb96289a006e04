"""What the window asks for when it connects, and the child configuration it becomes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bci_desktop.core.acquisition.protocol import ChildConfig
from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.session import (
    ModelRequest,
    SessionOptions,
    SourceOpener,
    SourceSpec,
    Supervision,
)

__all__ = ["ConnectRequest"]


@dataclass(frozen=True)
class ConnectRequest:
    """What to stream and how.

    Parameters
    ----------
    spec : SourceSpec
        The board, the simulated subject or a recording to replay.
    filters : FilterSettings or None
        Streaming filters; ``None`` takes the model's (as do filters that cannot run at the
        stream's sample rate, with a notice).
    model : ModelRequest or None
        The model; ``None`` uses the model last activated in this window, else the
        automatic choice.
    stall_timeout_s : float or None
        Live boards: seconds without samples that count as a lost signal; ``None`` takes
        :attr:`StreamWorker.stall_timeout_s`.
    reconnect : bool
        Live boards: watch the stream and reconnect automatically.
    """

    spec: SourceSpec
    filters: FilterSettings | None = None
    model: ModelRequest | None = None
    stall_timeout_s: float | None = None
    reconnect: bool = True

    def config(
        self,
        *,
        model: ModelRequest | None,
        filters: FilterSettings | None,
        latency_fallback: bool,
        stall_timeout_s: float,
        lsl_outlets: bool = False,
        lsl_markers: bool = False,
        open_source: SourceOpener | None = None,
        registry_root: Path | None = None,
        log_level: int = 20,
        crash_log: Path | None = None,
    ) -> ChildConfig:
        """The session this request starts, with what the window remembers (the model last
        activated, its filters, the latency fallback and LSL switches) where the request is
        silent."""
        stall = self.stall_timeout_s
        options = SessionOptions(
            model=self.model or model or ModelRequest(),
            filters=self.filters or filters,
            keep_model_filters_if_invalid=True,
            latency_fallback=latency_fallback,
            supervision=Supervision(
                stall_timeout_s=stall_timeout_s if stall is None else stall,
                reconnect=self.reconnect,
            ),
            lsl_outlets=lsl_outlets,
            lsl_markers=lsl_markers,
        )
        return ChildConfig(
            spec=self.spec,
            options=options,
            open_source=open_source,
            registry_root=registry_root,
            log_level=log_level,
            crash_log=crash_log,
        )
