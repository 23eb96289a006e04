"""Latency tiers: watch a model's measured p99 latency against its budget.

Every model declares ``latency_budget_ms`` in its metadata. During a session the engine
feeds each prediction's latency to a :class:`LatencyGuard`; when the p99 of the recent
predictions exceeds the budget the guard trips (the engine warns once and, when the user
enabled it, falls back to a faster model for the same classes, then retries the slow one
later, see :class:`~bci_desktop.core.engine.EngineConfig`).
"""

from __future__ import annotations

import math

import numpy as np

from bci_desktop.core.validate import check_int, check_positive


class LatencyGuard:
    """p99 of the last ``window`` latencies compared with a budget.

    Parameters
    ----------
    budget_ms : float
        Budget of one prediction (ms), > 0.
    window : int
        How many recent latencies the p99 is computed over.
    min_samples : int or None
        Latencies needed before the guard judges (default: a quarter of ``window``, at
        least 20), so one slow first call cannot trip it.
    check_every : int
        Recompute the p99 every this many latencies (it costs a partial sort).

    Notes
    -----
    :attr:`over_budget` turns on when the p99 exceeds the budget and off again once the
    p99 is back within it; :attr:`trips` counts how often it turned on.
    """

    def __init__(
        self,
        budget_ms: float,
        window: int = 400,
        *,
        min_samples: int | None = None,
        check_every: int = 4,
    ) -> None:
        self.budget_ms = check_positive("budget_ms", budget_ms, unit="milliseconds")
        window = check_int("window", window, minimum=2)
        self.window = window
        self.min_samples = min(
            window, max(20, window // 4) if min_samples is None else max(1, int(min_samples))
        )
        self.check_every = max(1, int(check_every))
        self._values = np.zeros(window, dtype=np.float64)
        self._count = 0
        self._p99 = math.nan
        self.over_budget = False
        self.trips = 0

    @property
    def count(self) -> int:
        """Latencies added since the last reset."""
        return self._count

    @property
    def p99(self) -> float:
        """The last computed p99 (ms), NaN before :attr:`min_samples` latencies."""
        return self._p99

    def add(self, latency_ms: float) -> bool:
        """Add one latency; return True if this call tripped the guard (it just turned on)."""
        self._values[self._count % self.window] = latency_ms
        self._count += 1
        if self._count < self.min_samples or self._count % self.check_every:
            return False
        kept = self._values[: min(self._count, self.window)]
        self._p99 = float(np.percentile(kept, 99))
        was = self.over_budget
        self.over_budget = self._p99 > self.budget_ms
        if self.over_budget and not was:
            self.trips += 1
            return True
        return False

    def reset(self) -> None:
        """Forget the measured latencies (the trip count stays)."""
        self._count = 0
        self._p99 = math.nan
        self.over_budget = False


__all__ = ["LatencyGuard"]
