"""Time stamps of a regularly sampled LSL stream, smoothed to its rate, breaks kept.

liblsl's own dejitter (``proc_dejitter``) fits one line through all time stamps with a
90 s half-time and no notion of a break: when a sender skips samples without closing its
outlet (an amplifier that drops a second of data), the time stamps after the break are
pulled back by the length of the break (260 missing samples at 250 Hz came out as a 7 ms
step, measured with pylsl 1.18.6), so the break is hidden from the gap counter and the
samples after it carry times up to a second early, which puts markers on the wrong
samples. :class:`Dejitter` does the same smoothing but starts afresh at a break, as pyxdf
does with recordings (``jitter_break_threshold_seconds``): it keeps the stamp of the next
sample expected at the nominal rate, moves it a little towards each time stamp that
arrives (a running mean at first, then a 10 s half-time), and when a time stamp is further
from the expected one than the gap counter's limit, it takes that time stamp as the new
start. The inlet keeps liblsl's clock synchronisation and monotonize (``processing_flags``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BREAK_PERIODS", "BREAK_S", "HALF_TIME_S", "Dejitter"]

#: Half-time of the smoothing once it has settled (s of stream).
HALF_TIME_S = 10.0
#: A break is a jump longer than both (the gap counter's rule, core/session/gaps.py, so
#: that every break found here is also a gap there).
BREAK_S, BREAK_PERIODS = 0.25, 10


class Dejitter:
    """Smooth the time stamps of a stream sampled at ``rate`` Hz; break where they jump.

    Attributes
    ----------
    breaks : int
        Breaks found (each one a fresh start).
    """

    def __init__(self, rate: float) -> None:
        self.period = 1.0 / float(rate)
        self.limit = max(BREAK_S, BREAK_PERIODS * self.period)
        self._keep = 0.5 ** (1.0 / (HALF_TIME_S * float(rate)))  # weight kept per sample
        self._next: float | None = None  # the expected stamp of the next sample
        self._seen = 0  # samples since the last (re)start
        self.breaks = 0

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """The smoothed stamps of the next samples, whose raw stamps are ``raw``."""
        raw = np.asarray(raw, dtype=np.float64)
        out = np.empty_like(raw)
        i, m = 0, raw.size
        while i < m:
            if self._next is None:
                self._next, self._seen = float(raw[i]), 0
            steps = np.arange(m - i) * self.period
            err = raw[i:] - (self._next + steps)
            far = np.flatnonzero(np.abs(err) > self.limit)
            k = m - i if far.size == 0 else int(far[0])
            if k:
                weight = max(1.0 - self._keep**k, k / (self._seen + k))
                self._next += weight * float(np.mean(err[:k]))
                out[i : i + k] = self._next + steps[:k]
                self._next = float(out[i + k - 1]) + self.period
                self._seen += k
            if i + k < m:  # a break: start afresh at that sample
                self.breaks += 1
                self._next = None
            i += k
        return out
