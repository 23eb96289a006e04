"""Which panels redraw on a tick of the window's redraw timer, and the frame rate.

Plain Python (the panels are duck-typed: ``isVisible()``, ``refresh() -> bool``,
``reset()``), so the schedule can be tested without drawing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

__all__ = ["RedrawScheduler"]


class RedrawScheduler:
    """Asks the visible panels to redraw, spreading the work over the ticks.

    * The scrolling views (``every_tick``) refresh on every tick.
    * The others change only when the engine scores a hop (a few times a second), and all
      at once: one of them per tick keeps that burst out of a single frame (each still
      redraws several times a second).
    * After :meth:`new_stream`, one panel per tick is rebuilt (widgets, layout, style
      polish cost tens of milliseconds); a panel waiting for its rebuild is not refreshed.

    Parameters
    ----------
    panels : sequence of panels
        Every panel, in the order they are rebuilt.
    every_tick : sequence of panels
        The panels that refresh on every tick.

    Attributes
    ----------
    fps : float
        Ticks on which at least one panel drew, over the last second.
    """

    def __init__(self, panels: Sequence[Any], every_tick: Sequence[Any]) -> None:
        self.panels = tuple(panels)
        self.every_tick = tuple(every_tick)
        self.fps = 0.0
        self._pending: list[Any] = []
        self._turn = 0
        self._draws: deque[float] = deque()

    @property
    def pending(self) -> tuple[Any, ...]:
        """Panels still waiting for their rebuild."""
        return tuple(self._pending)

    def new_stream(self) -> None:
        """Rebuild every panel, one per tick, from the next tick on."""
        self._pending = list(self.panels)

    def tick(self, now: float) -> bool:
        """One tick at time ``now`` (s, monotonic); True if a panel drew."""
        if self._pending:
            self._pending.pop(0).reset()
        ready = [p for p in self.panels if p not in self._pending and p.isVisible()]
        slow = [p for p in ready if p not in self.every_tick]
        if slow:
            self._turn = (self._turn + 1) % len(slow)
            ready = [p for p in ready if p in self.every_tick] + [slow[self._turn]]
        drew = False
        for panel in ready:
            drew = panel.refresh() or drew
        draws = self._draws
        if drew:
            draws.append(now)
        while draws and draws[0] < now - 1.0:
            draws.popleft()
        self.fps = float(len(draws))
        return drew
