"""The signal view's automatic scale: a channel spacing that keeps neighbours apart."""

from __future__ import annotations

import numpy as np

__all__ = ["NICE_SCALES_UV", "fit_scale"]

#: Spacings the automatic scale picks from (µV per division).
NICE_SCALES_UV = (10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200, 250, 300, 400, 500,
                  600, 800, 1000)  # fmt: skip


def fit_scale(data: np.ndarray, *, low: int = 10, high: int = 1000) -> int:
    """The smallest nice spacing (µV per division) at which most channels stay within
    their own division.

    Each channel's extent is the range between its 1st and 99th percentiles (a spike or a
    railed sample does not count); the spacing covers the 80th percentile of those extents
    across channels, so one wild channel does not shrink every other trace.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
        The samples shown (µV); non-finite values are ignored.
    low, high : int
        The range of the scale control.
    """
    if data.ndim != 2 or data.shape[1] < 2:
        return low
    extents = []
    for row in data:
        finite = row[np.isfinite(row)]
        if finite.size >= 2:
            lo, hi = np.percentile(finite, (1, 99))
            extents.append(hi - lo)
    if not extents:
        return low
    need = float(np.percentile(extents, 80))
    for scale in NICE_SCALES_UV:
        if low <= scale and scale >= need:
            return min(scale, high)
    return high
