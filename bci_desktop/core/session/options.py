"""How a stream session processes its stream: model, filters, supervision, duration."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.lsl.discovery import StreamQuery
from bci_desktop.core.session.models import ModelRequest
from bci_desktop.core.session.recording import RecordRequest
from bci_desktop.core.session.spec import Supervision
from bci_desktop.core.validate import check_positive

__all__ = ["KEEP", "FilterOverrides", "SessionOptions"]


class _Keep:
    """The marker of a filter setting left as the model has it."""

    def __repr__(self) -> str:
        return "KEEP"


#: Leave this filter setting as the model has it.
KEEP = _Keep()


@dataclass(frozen=True)
class FilterOverrides:
    """Changes to the model's filters (the command line's ``--notch``, ``--bandpass``,
    ``--car``): each field is either :data:`KEEP` or the value to use."""

    notch_hz: float | _Keep | None = KEEP
    bandpass: tuple[float, float] | _Keep | None = KEEP
    common_average: bool | _Keep = KEEP

    def apply(self, base: FilterSettings) -> FilterSettings:
        """``base`` with these changes."""
        changes = {
            name: value
            for name in ("notch_hz", "bandpass", "common_average")
            if not isinstance(value := getattr(self, name), _Keep)
        }
        return replace(base, **changes)


@dataclass(frozen=True)
class SessionOptions:
    """How to process a stream.

    Parameters
    ----------
    model : ModelRequest
        Which model (:func:`~bci_desktop.core.session.models.resolve_model`).
    filters : FilterSettings, FilterOverrides or None
        The filters to use, changes to the model's, or ``None`` for the model's.
    keep_model_filters_if_invalid : bool
        When ``filters`` cannot run at the stream's sample rate (a 60 Hz notch on a 100 Hz
        board), use the model's filters and say so (the window, whose saved filters may have
        been chosen for another board) instead of refusing to start (the command line, where
        the user typed them for this stream).
    refuse_unfit_model : bool
        A model the user named that lacks channels of the stream's montage is an error
        (command line); otherwise the stream runs and every prediction is withheld with
        the missing channels named (window).
    latency_fallback : bool
        While the model's p99 latency is over its budget, predict with the fastest other
        validated model for the same classes.
    supervision : Supervision
        Stall timeout and reconnection of live sources.
    duration_s : float or None
        Stop after this much stream time; ``None`` runs until stopped or the source ends.
    record : RecordRequest or None
        Start recording as soon as the stream runs (failing to start is an error).
    lsl_outlets : bool
        Publish the raw EEG, the predictions and the markers on LSL
        (:mod:`bci_desktop.core.lsl.outlets`).
    lsl_markers : bool
        Follow LSL marker streams: their markers go into the recording and the updates
        at their samples (:mod:`bci_desktop.core.lsl.markers`).
    lsl_marker_query : StreamQuery or None
        Which marker streams; ``None`` follows every one visible.
    """

    model: ModelRequest = field(default_factory=ModelRequest)
    filters: FilterSettings | FilterOverrides | None = None
    keep_model_filters_if_invalid: bool = False
    refuse_unfit_model: bool = False
    latency_fallback: bool = False
    supervision: Supervision = field(default_factory=Supervision)
    duration_s: float | None = None
    record: RecordRequest | None = None
    lsl_outlets: bool = False
    lsl_markers: bool = False
    lsl_marker_query: StreamQuery | None = None

    def __post_init__(self) -> None:
        if self.duration_s is not None:
            check_positive("duration", self.duration_s, unit="seconds", maximum=1e9)
