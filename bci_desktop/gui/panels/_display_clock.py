"""Where a scrolling plot's right edge is at every frame: smooth scrolling between chunks.

Samples arrive in chunks (BrainFlow's synthetic board: 5 samples every 20 ms; a Cyton over
its dongle: a few every 10-40 ms), so a plot whose right edge is the newest sample moves in
steps and cannot show more distinct frames per second than chunks arrive. The display
clock advances the edge with the wall clock between chunks, at the rate the stream has
been arriving (1 for a live board, N for a replay at N times real time, 0 when paused),
never more than :data:`MAX_LEAD_S` stream seconds ahead of the newest sample and never
backwards by a little (a jump back of a second or more, a replay seek, is followed at once).
Plain Python: testable without drawing.
"""

from __future__ import annotations

__all__ = ["MAX_LEAD_S", "MAX_RATE", "DisplayClock"]

#: How far (stream seconds, at real time) the edge may run ahead of the newest sample.
MAX_LEAD_S = 0.08
#: Fastest pace followed (a replay at 10x); faster arrivals are bursts, not a pace.
MAX_RATE = 12.0
#: Weight of the newest arrival in the rate estimate.
_ALPHA = 0.2
#: A step back this large is a jump (a seek), not jitter.
_JUMP_S = 1.0
#: Wall seconds without samples after which an arrival does not tell the rate (a pause).
_STALE_S = 0.5


class DisplayClock:
    """The right edge of a scrolling plot, in stream seconds.

    Attributes
    ----------
    rate : float
        Stream seconds per wall second, as the samples have been arriving.
    """

    def __init__(self, max_lead_s: float = MAX_LEAD_S) -> None:
        self.max_lead_s = max_lead_s
        self.reset()

    def reset(self) -> None:
        """Forget the stream (a new one starts)."""
        self.rate = 0.0
        self._newest: float | None = None
        self._seen_at = 0.0
        self._edge: float | None = None

    def edge(self, newest: float, now: float) -> float:
        """The edge to show at wall time ``now`` (s) when the newest sample is at
        ``newest`` (stream s)."""
        if newest != self._newest:
            last = self._newest
            fresh = 0 < now - self._seen_at < _STALE_S  # not the first chunk after a pause
            if last is not None and fresh and newest > last:
                rate = (newest - last) / (now - self._seen_at)
                if rate > MAX_RATE:  # a burst (a seek's context, a backlog): no pace
                    self._edge = None
                else:
                    first = self.rate == 0.0
                    self.rate = rate if first else (1 - _ALPHA) * self.rate + _ALPHA * rate
            self._newest, self._seen_at = newest, now
        lead = min((now - self._seen_at) * self.rate, self.max_lead_s * max(self.rate, 1.0))
        lead = min(lead, self.max_lead_s * MAX_RATE)
        edge = newest + max(lead, 0.0)
        shown = self._edge
        if shown is not None and shown - _JUMP_S < edge < shown:
            edge = shown  # a chunk came late: wait for it rather than scroll back
        self._edge = edge
        return edge
