"""Small running statistics used for status lines, the latency panel and benchmarks."""

from __future__ import annotations

import numpy as np


class RollingPercentiles:
    """Percentiles over the last ``size`` values, in a preallocated buffer.

    Parameters
    ----------
    size : int
        How many of the most recent values are kept.
    """

    def __init__(self, size: int = 1000) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self._values = np.zeros(size, dtype=np.float64)
        self._count = 0

    @property
    def count(self) -> int:
        """How many values have been added in all."""
        return self._count

    def add(self, value: float) -> None:
        """Add one value."""
        self._values[self._count % self._values.size] = value
        self._count += 1

    def values(self) -> np.ndarray:
        """The kept values (unordered copy)."""
        return self._values[: min(self._count, self._values.size)].copy()

    def percentiles(self, qs: tuple[float, ...] = (50.0, 95.0, 99.0)) -> tuple[float, ...]:
        """The requested percentiles of the kept values (NaN when empty)."""
        kept = self._values[: min(self._count, self._values.size)]
        if kept.size == 0:
            return tuple(float("nan") for _ in qs)
        return tuple(float(v) for v in np.percentile(kept, qs))

    def clear(self) -> None:
        """Forget every value."""
        self._count = 0
