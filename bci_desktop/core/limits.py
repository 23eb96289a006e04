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
    "MAX_SEED",
    "MAX_SPEED",
    "MAX_WINDOW_S",
    "MAX_WINDOW_VALUES",
    "MIN_SAMPLE_RATE",
    "sample_rate_problem",
    "seed_problem",
    "speed_problem",
]

#: Highest sample rate accepted from a file (Hz); EEG amplifiers stop well below.
MAX_SAMPLE_RATE = 100_000.0
#: Lowest sample rate accepted (Hz): one sample every 100 s.
MIN_SAMPLE_RATE = 0.01
#: Most channels a stream or a model may have.
MAX_CHANNELS = 1024
#: Longest analysis window or hop of a model (s).
MAX_WINDOW_S = 600.0
#: Most values (channels x samples) in a model's window: the engine keeps four copies.
MAX_WINDOW_VALUES = 1 << 22
#: Most memory a replayed recording may take once decoded to float64 (bytes).
MAX_REPLAY_BYTES = 1 << 30
#: Fastest paced playback (times real time); ``max`` (unpaced) is faster still.
MAX_SPEED = 1e6
#: Largest seed of a random generator (numpy takes any non-negative integer).
MAX_SEED = 2**63 - 1


def sample_rate_problem(rate: object) -> str | None:
    """Why ``rate`` cannot be a sample rate, or ``None`` when it can."""
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        return f"the sample rate must be a number, not {rate!r}"
    if not math.isfinite(rate) or not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        return (
            f"the sample rate {rate:g} Hz is outside {MIN_SAMPLE_RATE:g} to {MAX_SAMPLE_RATE:g} Hz"
        )
    return None


def speed_problem(speed: object) -> str | None:
    """Why ``speed`` cannot pace a playback, or ``None`` when it can."""
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        return f"expected a positive number or 'max', but got {speed!r}"
    if not (math.isfinite(speed) and 0 < speed <= MAX_SPEED):
        return (
            f"expected a positive number up to {MAX_SPEED:g} (or 'max' for as fast as "
            f"possible), but got {speed!r}"
        )
    return None


def seed_problem(seed: object) -> str | None:
    """Why ``seed`` cannot seed a random generator, or ``None`` when it can."""
    import numbers

    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        return f"expected a whole number, but got {seed!r}"
    if not 0 <= int(seed) <= MAX_SEED:
        return f"expected a whole number from 0 to {MAX_SEED}, but got {seed!r}"
    return None
