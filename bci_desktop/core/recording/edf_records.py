"""EDF data records that hold exactly the recorded samples (no padding) when they can.

EDF and EDF+ files are made of data records of one fixed duration, each holding the same
number of samples of every signal: a recording that is not a whole number of records long
has to be padded. The record duration is free, though (a number of at most 8 characters in
the header). :func:`exact_records` picks, among the records whose length divides the
recording's sample count, the one closest to 1 s whose duration is written exactly; only a
sample count with no such divisor (a prime number of samples, for one) is padded, and the
padding is annotated ``BAD_padding`` (see ``docs/export.md``).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

__all__ = ["LONGEST_RECORD_S", "SHORTEST_RECORD_S", "exact_records"]

#: Records shorter than this are not used (each record costs a time stamp in the file).
SHORTEST_RECORD_S = 0.1
#: Records longer than this are not used (readers load one record at a time).
LONGEST_RECORD_S = 10.0
_FIELD = 8  # characters of the header's record-duration field


def _exact_text(seconds: Fraction) -> str | None:
    """``seconds`` as the header would write it, if that is exact and fits the field."""
    den = seconds.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den != 1:
        return None  # no finite decimal
    text = format(Decimal(seconds.numerator) / Decimal(seconds.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if len(text) <= _FIELD and Fraction(Decimal(text)) == seconds else None


def _divisors(n: int) -> list[int]:
    small, large = [], []
    for k in range(1, math.isqrt(n) + 1):
        if n % k == 0:
            small.append(k)
            if k != n // k:
                large.append(n // k)
    return small + large[::-1]


def exact_records(n_samples: int, sample_rate: float) -> tuple[float, int] | None:
    """``(record_duration_s, samples_per_record)`` of records that hold exactly
    ``n_samples``, closest to 1 s, or ``None`` when none fits (pad then).

    Parameters
    ----------
    n_samples : int
        Samples of each signal.
    sample_rate : float
        Samples per second (every signal has the same rate).
    """
    if n_samples < 1:
        return None
    rate = Fraction(sample_rate).limit_denominator(1000)
    if not math.isclose(float(rate), sample_rate, rel_tol=0.0, abs_tol=1e-9) or rate <= 0:
        return None
    best: tuple[float, float, int] | None = None
    for k in _divisors(n_samples):
        seconds = k / rate
        if not SHORTEST_RECORD_S <= seconds <= LONGEST_RECORD_S:
            continue
        text = _exact_text(seconds)
        if text is None:
            continue
        distance = abs(math.log(float(seconds)))
        if best is None or distance < best[0]:
            best = (distance, float(text), k)
    return None if best is None else (best[1], best[2])
