"""Is what the window shows happening now? The one rule every panel follows.

Only a streaming session is live (:attr:`StreamState.live`). After Disconnect, a failed
connection, a lost signal, a pause and the end of a replay, the panels keep what they
showed (it can still be read) but say plainly that it is not live and grey it out; and no
prediction older than :data:`MAX_AGE_HOPS` hops is ever presented as the current state,
even while the stream is nominally streaming (samples that stopped coming, a stalled
acquisition process: the session notices a lost signal only after its stall timeout).

The age of the newest prediction is counted in stream seconds: how far the newest sample
received is past the prediction's window, plus the wall time since that sample arrived
(beyond :data:`DELIVERY_GRACE_S`, the time a batch may take to reach the window) times the
pace at which the stream arrives (1 for a live board, 4 for the simulated subject at 4x).

Plain Python, no Qt: :func:`liveness` is a pure function of the state and the times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bci_desktop.core.prediction import Prediction
from bci_desktop.core.session import StreamState

__all__ = [
    "DEFAULT_HOP_S",
    "DELIVERY_GRACE_S",
    "MAX_AGE_HOPS",
    "NOT_LIVE",
    "Liveness",
    "StreamClock",
    "liveness",
]

#: A prediction older than this many hops is never shown as the current state.
MAX_AGE_HOPS = 2
#: Hop assumed until two predictions have shown the real one (the engine's default).
DEFAULT_HOP_S = 0.25
#: Wall seconds a batch of samples may take to reach the window unnoticed (the worker sends
#: every 25 ms; the panels redraw one after the other at the frame rate).
DELIVERY_GRACE_S = 0.15
#: How every not-live headline starts.
NOT_LIVE = "NOT LIVE"


@dataclass(frozen=True)
class Liveness:
    """What the panels may present as happening now.

    Attributes
    ----------
    live : bool
        True while streaming and the newest prediction (if any) is recent.
    headline : str
        ``""`` when live or before any stream (nothing on screen to mistake for live), else
        e.g. ``"NOT LIVE: signal lost 12 s ago"``, ``"NOT LIVE: disconnected"``,
        ``"NOT LIVE: replay ended"``.
    words : str
        The same in a few words for large type: ``"Signal lost 12 s ago"``,
        ``"Disconnected"``, ``"Replay ended"``, ``"Paused"`` (``""`` when live).
    detail : str
        What the session said (an error's message, the replay's name), may be ``""``.
    current : Prediction or None
        The prediction to present as the current state (``None`` when not live).
    last : Prediction or None
        The newest prediction, current or not.
    last_age_s : float or None
        Stream seconds since the newest prediction's window ended (``None`` without one).
    """

    live: bool
    headline: str = ""
    words: str = ""
    detail: str = ""
    current: Prediction | None = None
    last: Prediction | None = None
    last_age_s: float | None = None


class StreamClock:
    """When samples and predictions arrived (wall clock), the hop and the stream's pace.

    Fed by :class:`~bci_desktop.gui.live_data.LiveData` as updates arrive.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the stream."""
        self.newest_t: float | None = None  # stream time of the newest sample
        self.samples_at: float | None = None  # wall time it arrived
        self.hop_s = DEFAULT_HOP_S
        self.pace = 1.0
        self._pace_from: tuple[float, float] | None = None  # (wall, stream) a second ago
        self._first: tuple[float, int] | None = None  # (t, index) of the first prediction

    def samples(self, newest_t: float, now: float) -> None:
        """Samples up to stream time ``newest_t`` arrived at wall time ``now``."""
        start = self._pace_from
        if start is None or newest_t < start[1] or now - start[0] > 2.0:
            self._pace_from = (now, newest_t)  # (re)start measuring after a jump or a pause
        elif now - start[0] >= 1.0:
            self.pace = max(1.0, (newest_t - start[1]) / (now - start[0]))
            self._pace_from = (now, newest_t)
        self.newest_t, self.samples_at = newest_t, now

    def predictions(self, newest: Prediction) -> None:
        """Learn the hop: the stream time per hop since the first prediction seen."""
        first = self._first
        if first is None or newest.index <= first[1] or newest.t <= first[0]:
            if first is None or newest.index < first[1]:  # the first, or the engine restarted
                self._first = (newest.t, newest.index)
            return
        self.hop_s = (newest.t - first[0]) / (newest.index - first[1])

    def age_s(self, p: Prediction, now: float) -> float:
        """Stream seconds since ``p``'s window ended, at wall time ``now``."""
        if self.newest_t is None or self.samples_at is None:
            return math.inf
        waited = max(0.0, now - self.samples_at - DELIVERY_GRACE_S)
        return max(0.0, self.newest_t - p.t) + waited * self.pace


def _ago(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    return f" {max(0, math.floor(seconds))} s ago"


def liveness(
    state: StreamState,
    message: str,
    *,
    previous: StreamState,
    had_stream: bool,
    last: Prediction | None,
    clock: StreamClock,
    state_since: float,
    now: float,
) -> Liveness:
    """What may be presented as current, and how to say it when nothing may.

    Parameters
    ----------
    state, message : StreamState, str
        The session's state and its last message.
    previous : StreamState
        The state before (an error while connecting is a failed connection).
    had_stream : bool
        A stream was shown since the window opened (else "Not connected").
    last : Prediction or None
        The newest prediction.
    clock : StreamClock
        Arrival times of the stream.
    state_since : float
        Wall time the state was entered.
    now : float
        Wall time now (same clock).
    """
    age = clock.age_s(last, now) if last is not None else None
    if age is not None and not math.isfinite(age):
        age = None
    if state is StreamState.STREAMING:
        if last is None or (age is not None and age <= MAX_AGE_HOPS * clock.hop_s):
            return Liveness(True, current=last, last=last, last_age_s=age)
        words = "No new reading" + (f" for {age:.{1 if age < 10 else 0}f} s" if age else "")
    elif state is StreamState.SIGNAL_LOST:
        since = clock.samples_at if clock.samples_at is not None else state_since
        words = f"Signal lost{_ago(now - since)}"
    elif state is StreamState.PAUSED:
        words = "Replay paused" if message.startswith("Replay") else "Paused"
    elif state is StreamState.ENDED:
        words = "Replay ended" if message.startswith("Replay") else "Stream ended"
    elif state is StreamState.CONNECTING:
        words = "Connecting…"
    elif state is StreamState.ERROR:
        words = "Connection failed" if previous is StreamState.CONNECTING else "Stream stopped"
    else:
        words = "Disconnected" if had_stream else "Not connected"
    return Liveness(
        False,
        headline=f"{NOT_LIVE}: {words[0].lower()}{words[1:]}" if had_stream else "",
        words=words,
        detail=message,
        last=last,
        last_age_s=age,
    )
