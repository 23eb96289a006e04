"""Is a model's output a probability vector? One check for validation and for every hop.

A model file proves on its test vector that it gives probabilities, but an ONNX graph can
still give NaN, infinities, negative numbers or rows that do not sum to one for the inputs a
live stream brings. :func:`probability_problem` says what is wrong with an output; the
engine withholds a prediction whose output it finds wrong (with that reason), and the
validation refuses a model whose probes it finds wrong.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RANGE_TOLERANCE", "SUM_TOLERANCE", "probability_problem"]

#: How far a row of probabilities may sum from one.
SUM_TOLERANCE = 1e-3
#: How far a probability may stray outside [0, 1] (float32 rounding).
RANGE_TOLERANCE = 1e-5


def probability_problem(p: np.ndarray, n_classes: int, *, rows: int | None = None) -> str | None:
    """What makes ``p`` not rows of class probabilities, or ``None`` when it is fine.

    Parameters
    ----------
    p : array, shape (n_classes,) or (n_rows, n_classes)
        A model's output.
    n_classes : int
        The classes the model declares.
    rows : int or None
        The number of rows expected, if known.

    Returns
    -------
    str or None
        A phrase such as "its output holds NaN or infinite values", or ``None`` when every
        row has ``n_classes`` finite values within [0, 1] summing to one (within
        :data:`RANGE_TOLERANCE` and :data:`SUM_TOLERANCE`).
    """
    if isinstance(p, np.ndarray) and p.ndim == 1 and p.shape[0] == n_classes and rows in (None, 1):
        values = p.tolist()  # one prediction (every hop): a few plain floats, no reductions
        lo_ok, hi_ok = -RANGE_TOLERANCE, 1 + RANGE_TOLERANCE
        if all(lo_ok <= v <= hi_ok for v in values) and abs(sum(values) - 1.0) <= SUM_TOLERANCE:
            return None  # NaN fails every comparison, so it takes the slow path below
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 1:
        p = p[None, :]
    if p.ndim != 2 or p.shape[1] != n_classes or (rows is not None and p.shape[0] != rows):
        return f"its output has shape {p.shape}, not {n_classes} probabilities per input"
    if not np.isfinite(p).all():
        return "its output holds NaN or infinite values"
    lo, hi = float(p.min()), float(p.max())
    if lo < -RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
        return f"its output ranges from {lo:.4g} to {hi:.4g}, outside [0, 1]"
    sums = p.sum(axis=1)
    worst = float(sums[int(np.argmax(np.abs(sums - 1.0)))])
    if abs(worst - 1.0) > SUM_TOLERANCE:
        return f"its output sums to {worst:.4g} instead of 1"
    return None
