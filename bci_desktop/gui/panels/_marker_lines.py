"""Numbered vertical lines for the markers in the signal view's window, from a pool."""

from __future__ import annotations

from collections.abc import Iterable

import pyqtgraph as pg
from PyQt6.QtCore import Qt

from bci_desktop.gui.live_data import Marker
from bci_desktop.gui.panels._style import MARKER_COLOUR, fmt_marker

__all__ = ["MarkerLines", "marker_text"]


def marker_text(line: pg.InfiniteLine) -> str:
    """The number a marker line shows (its label's text as drawn)."""
    return line.label.textItem.toPlainText()


class MarkerLines:
    """The marker lines of one plot: lines are reused as markers scroll by.

    Attributes
    ----------
    shown : list of pyqtgraph.InfiniteLine
        The lines drawn now, oldest marker first; each labelled with its marker's number.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        self._pool: list[pg.InfiniteLine] = []
        self.shown: list[pg.InfiniteLine] = []

    def clear(self) -> None:
        """Remove every line (a new stream)."""
        for line in self._pool:
            self._plot.removeItem(line)
        self._pool, self.shown = [], []

    def draw(self, markers: Iterable[Marker], t0: float, x_start: float) -> None:
        """Draw the markers at or after ``x_start`` (axis seconds; marker time minus
        ``t0``); ``markers`` in time order."""
        shown = []
        for m in reversed(list(markers)):
            x = m.t - t0
            if x < x_start:
                break
            shown.append((x, m.text[:40] or fmt_marker(m.value)))  # text: from other programs
        shown.reverse()
        while len(self._pool) < len(shown):
            line = pg.InfiniteLine(
                angle=90,
                movable=False,
                pen=pg.mkPen(MARKER_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
                label="",
                labelOpts={"position": 0.97, "color": "#1b1b1b", "fill": MARKER_COLOUR},
            )
            line.setZValue(10)
            self._plot.addItem(line, ignoreBounds=True)
            self._pool.append(line)
        for i, (line, (x, text)) in enumerate(zip(self._pool, shown, strict=False)):
            # Visible first: pyqtgraph's label ignores a new text while its line is hidden
            # (and kept showing the number of the marker the pooled line drew before).
            line.setVisible(True)
            line.setValue(x)
            if marker_text(line) != text:  # pyqtgraph formats the label: braces doubled
                line.label.setFormat(text.replace("{", "{{").replace("}", "}}"))
            # Every other label a little lower, so neighbouring texts do not cover each other.
            position = 0.97 if i % 2 == 0 else 0.91
            if line.label.orthoPos != position:
                line.label.setPosition(position)
        for line in self._pool[len(shown) :]:
            line.setVisible(False)
        self.shown = self._pool[: len(shown)]
