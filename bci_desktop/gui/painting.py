"""Drawing speed-ups that concern every pyqtgraph plot of a window."""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtWidgets import QWidget

__all__ = ["paint_once_per_frame"]


def paint_once_per_frame(root: QWidget) -> int:
    """Make every pyqtgraph plot under ``root`` repaint once, not twice, per range change.

    pyqtgraph applies a new view range to the plot's transform only when the view is about
    to paint, which schedules a second paint; a scrolling plot that moves its x range on
    every frame is then painted twice per frame. Applying the transform as soon as the
    range changes halves the paints (measured: GUI-thread CPU 0.84 -> 0.70 of a core with
    16 channels at 1280x800). Returns the number of views hooked.
    """
    hooked = 0
    for view in root.findChildren(pg.GraphicsView):
        scene = view.scene()
        if scene is None:
            continue
        for item in scene.items():
            if isinstance(item, pg.ViewBox):
                item.sigRangeChanged.connect(lambda *_, vb=item: vb.updateMatrix())
                hooked += 1
    return hooked
