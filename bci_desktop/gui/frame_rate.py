"""View > Frame rate: how many times a second the plots are drawn (30, 45 or 60).

60 by default: the signal view scrolls at every frame (between chunks too). A slower machine,
or one busy with other work, keeps the window responsive at 45 or 30; the status bar's
"Plot: N fps" says how many frames were drawn in the last second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtGui import QAction, QActionGroup

from bci_desktop.core.settings import FRAME_RATES

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["FrameRateMenu", "install"]


class FrameRateMenu:
    """The View > Frame rate submenu.

    Attributes
    ----------
    actions : dict of int to QAction
        One checkable action per frame rate.
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        menu = window.view_menu.addMenu("&Frame rate")
        menu.setToolTipsVisible(True)
        group = QActionGroup(window)
        self.actions: dict[int, QAction] = {}
        for fps in FRAME_RATES:
            action = QAction(f"{fps} frames per second", window, checkable=True)
            action.setToolTip(f"Draw the plots up to {fps} times a second")
            action.setChecked(fps == window.frame_rate)
            action.triggered.connect(lambda _=False, f=fps: self.choose(f))
            group.addAction(action)
            menu.addAction(action)
            self.actions[fps] = action

    def choose(self, fps: int) -> None:
        """Draw at ``fps`` from now on (and remember it)."""
        self.actions[fps].setChecked(True)
        self.window.set_frame_rate(fps)
        self.window.save_in_background()


def install(window: MainWindow) -> FrameRateMenu:
    """Add View > Frame rate to ``window``."""
    return FrameRateMenu(window)
