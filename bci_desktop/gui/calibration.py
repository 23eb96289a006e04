"""Models > Calibrate a personal model…: the menu entry and the window's one dialog.

The flow itself is :class:`~bci_desktop.gui.calibration_dialog.CalibrationDialog` (see its
module, and docs/calibration.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtGui import QAction

from bci_desktop.gui.calibration_dialog import CalibrationDialog

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow
    from bci_desktop.gui.model_manager import ModelManager

__all__ = ["CalibrationDialog", "CalibrationLauncher", "install"]


class CalibrationLauncher:
    """Models > Calibrate a personal model… and the window's one calibration dialog.

    Attributes
    ----------
    action : QAction
        The menu entry.
    dialog : CalibrationDialog or None
        The dialog, once opened.
    """

    def __init__(self, window: MainWindow, manager: ModelManager) -> None:
        self.window = window
        self.manager = manager
        self.dialog: CalibrationDialog | None = None
        self.action = QAction("&Calibrate a personal model…", window)
        self.action.setToolTip(
            "Lead a person through induced states, record them, and train and test a model "
            "for this person"
        )
        self.action.setStatusTip(self.action.toolTip())
        self.action.triggered.connect(lambda _=False: self.open())
        window.models_menu.addAction(self.action)

    def open(self) -> CalibrationDialog:
        """Show the calibration dialog (one at a time)."""
        if self.dialog is None:
            self.dialog = CalibrationDialog(self.window, self.manager)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog


def install(window: MainWindow, manager: ModelManager) -> CalibrationLauncher:
    """Add Models > Calibrate a personal model…."""
    return CalibrationLauncher(window, manager)
