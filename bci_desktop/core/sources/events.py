"""What happens to the link with a device: its state, and the events a supervisor reports."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

from bci_desktop.core.stream import StreamInfo

__all__ = ["EVENT_KINDS", "SourceEvent", "SourceState", "clock", "info_difference"]

#: Kinds of :class:`SourceEvent`.
EVENT_KINDS: tuple[str, ...] = (
    "signal_lost",
    "reconnect_attempt",
    "reconnected",
    "reconnect_failed",
    "device_mismatch",
)


class SourceState(enum.Enum):
    """Where a supervised stream is; ``label`` is what a status line shows."""

    CONNECTING = "connecting"
    STREAMING = "streaming"
    SIGNAL_LOST = "signal_lost"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"

    @property
    def label(self) -> str:
        """Short human text, e.g. ``"Signal lost"``."""
        return _LABELS[self]


_LABELS = {
    SourceState.CONNECTING: "Connecting",
    SourceState.STREAMING: "Streaming",
    SourceState.SIGNAL_LOST: "Signal lost",
    SourceState.RECONNECTING: "Reconnecting",
    SourceState.STOPPED: "Stopped",
}


@dataclass(frozen=True)
class SourceEvent:
    """Something that happened to the link with the device.

    Parameters
    ----------
    kind : str
        One of :data:`EVENT_KINDS`: ``"signal_lost"``, ``"reconnect_attempt"``,
        ``"reconnected"``, ``"reconnect_failed"`` (``max_attempts`` ran out) or
        ``"device_mismatch"`` (a device came back with other channels and was not used).
    wall_time : float
        UNIX time when it happened.
    stream_time : float or None
        For ``"signal_lost"``: time stamp of the last sample before the loss; for
        ``"reconnected"``: time stamp of the first sample after it; else ``None``.
    detail : str
        One line for the log or a status bar.
    attempt : int
        Number of the reconnection attempt it concerns (0 when none).
    """

    kind: str
    wall_time: float
    stream_time: float | None
    detail: str
    attempt: int = 0


def clock(wall: float) -> str:
    """``HH:MM:SS`` of a UNIX time, local."""
    return time.strftime("%H:%M:%S", time.localtime(wall))


def info_difference(expected: StreamInfo, got: StreamInfo) -> str | None:
    """Why ``got`` cannot continue a stream described by ``expected`` (``None``: it can)."""
    if got.sample_rate != expected.sample_rate:
        return f"{got.sample_rate:g} Hz instead of {expected.sample_rate:g} Hz"
    if got.channel_names != expected.channel_names:
        return (
            f"channels {', '.join(got.channel_names)} instead of "
            f"{', '.join(expected.channel_names)}"
        )
    same_layout = (
        got.eeg == expected.eeg
        and got.board_rows == expected.board_rows
        and got.eeg_rows == expected.eeg_rows
        and got.timestamp_row == expected.timestamp_row
        and got.marker_row == expected.marker_row
        and got.board_id == expected.board_id
    )
    return None if same_layout else "a different board layout"
