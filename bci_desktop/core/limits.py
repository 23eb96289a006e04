"""Bounds on what a file may declare, so that reading it never allocates without limit.

A header field costs a few bytes to write and can ask for gigabytes: a sample rate of
1e300 Hz sizes the plot buffers, a window of 1e12 s the model's input, 9,999 signals the
replay's arrays. Every reader checks declared numbers against these bounds (and against the
file's real size) before it allocates anything, and says which bound was crossed.
"""

from __future__ import annotations

import math

__all__ = [
    "MAX_CHANNELS",
    "MAX_REPLAY_BYTES",
    "MAX_SAMPLE_RATE",
    "MAX_WINDOW_S",
    "MIN_SAMPLE_RATE",
    "sample_rate_problem",
]

#: Highest sample rate accepted from a file (Hz); EEG amplifiers stop well below.
MAX_SAMPLE_RATE = 100_000.0
#: Lowest sample rate accepted (Hz): one sample every 100 s.
MIN_SAMPLE_RATE = 0.01
#: Most channels a stream or a model may have.
MAX_CHANNELS = 1024
#: Longest analysis window or hop of a model (s).
MAX_WINDOW_S = 600.0
#: Most memory a replayed recording may take once decoded to float64 (bytes).
MAX_REPLAY_BYTES = 1 << 30


def sample_rate_problem(rate: object) -> str | None:
    """Why ``rate`` cannot be a sample rate, or ``None`` when it can."""
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        return f"the sample rate must be a number, not {rate!r}"
    if not math.isfinite(rate) or not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        return (
            f"the sample rate {rate:g} Hz is outside {MIN_SAMPLE_RATE:g} to {MAX_SAMPLE_RATE:g} Hz"
        )
    return None
