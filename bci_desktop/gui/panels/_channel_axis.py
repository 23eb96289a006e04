"""The left axis of the signal view: channel names, each in its own colour."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PyQt6.QtGui import QColor


class ChannelAxis(pg.AxisItem):
    """A pyqtgraph axis whose tick labels can each have their own colour.

    Attributes
    ----------
    text_colours : dict of str to QColor
        Colour of the labels that should not use the axis' text pen, by label text.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.text_colours: dict[str, QColor] = {}

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs) -> None:
        """Draw as pyqtgraph does, with :attr:`text_colours` for the labels that have one."""
        p.setRenderHint(p.RenderHint.Antialiasing, False)
        p.setRenderHint(p.RenderHint.TextAntialiasing, True)
        pen, p1, p2 = axisSpec
        p.setPen(pen)
        p.drawLine(p1, p2)
        for pen, p1, p2 in tickSpecs:
            p.setPen(pen)
            p.drawLine(p1, p2)
        if self.style["tickFont"] is not None:
            p.setFont(self.style["tickFont"])
        default = self.textPen()
        p.setClipRect(self.boundingRect().toAlignedRect())
        for rect, flags, text in textSpecs:
            colour = self.text_colours.get(text)
            p.setPen(default if colour is None else pg.mkPen(colour))
            p.drawText(rect, int(flags), text)
