"""LSL's clock and the app's stream time, mapped one way for a whole session.

LSL time stamps count seconds on ``pylsl.local_clock()`` (a monotonic clock, seconds since
boot on Linux); the app's stream time is UNIX time for live sources (BrainFlow stamps
samples with it). :class:`LslClock` measures the offset between the two once, when a
session opens, and keeps it: every LSL time stamp of the session (samples of an LSL source,
markers of a marker stream, the app's own outlets) is mapped with the same number, so
samples and markers stay aligned to the sample even if the wall clock is stepped later.
"""

from __future__ import annotations

import time

from bci_desktop.core.lsl.library import pylsl_module

__all__ = ["LslClock"]

_PROBES = 7


class LslClock:
    """The offset from LSL time to stream (UNIX) time, measured once.

    Parameters
    ----------
    offset_s : float or None
        Stream time minus LSL time; ``None`` measures it now (the closest of a few
        bracketed readings of both clocks).

    Raises
    ------
    SourceError
        If liblsl cannot be loaded.
    """

    def __init__(self, offset_s: float | None = None) -> None:
        self._local_clock = pylsl_module().local_clock
        self.offset_s = self._measure() if offset_s is None else float(offset_s)

    def _measure(self) -> float:
        best_width, best = float("inf"), 0.0
        for _ in range(_PROBES):
            before = self._local_clock()
            wall = time.time()
            after = self._local_clock()
            if after - before < best_width:
                best_width, best = after - before, wall - (before + after) / 2
        return best

    def to_stream(self, lsl_time: float) -> float:
        """An LSL time stamp (on this machine's LSL clock) as stream time."""
        return lsl_time + self.offset_s

    def to_lsl(self, stream_time: float) -> float:
        """A stream time as a time stamp on this machine's LSL clock."""
        return stream_time - self.offset_s

    def lsl_now(self) -> float:
        """This machine's LSL clock now."""
        return self._local_clock()

    def now(self) -> float:
        """Stream time now (LSL's clock plus the session's offset)."""
        return self._local_clock() + self.offset_s
