"""Start the desktop application: ``bci-desktop`` with no arguments lands here."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QIcon
from PyQt6.QtWidgets import QApplication, QWidget

from bci_desktop import __version__
from bci_desktop.core.resources import shipped_dir

__all__ = ["app_icon", "create_application", "run_gui"]

logger = logging.getLogger(__name__)

APP_DISPLAY_NAME = "BCI Desktop"
ORGANISATION = "BCI Desktop"
DESKTOP_FILE = "bci-desktop"


def app_icon() -> QIcon:
    """The application icon (empty if the shipped SVG is missing)."""
    path = shipped_dir("resources") / "icons" / "bci-desktop.svg"
    if not path.is_file():
        logger.warning("The application icon %s is missing", path)
        return QIcon()
    return QIcon(str(path))


def create_application(argv: list[str] | None = None) -> QApplication:
    """Return the running ``QApplication`` or create one with the app's name and icon."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("bci-desktop")
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(ORGANISATION)
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(app_icon())
    return app


def run_gui(args: argparse.Namespace | None = None) -> int:
    """Open the main window and run the event loop until it closes.

    Parameters
    ----------
    args : argparse.Namespace or None
        The command line (unused for now: the window takes its settings from disk).

    Returns
    -------
    int
        The exit code of the event loop.
    """
    from bci_desktop.gui.main_window import MainWindow

    app = create_application()
    window = MainWindow()
    window.show()
    _close_on_signals(window)
    logger.info("Window open (BCI Desktop %s)", __version__)
    return int(app.exec())


def _close_on_signals(window: QWidget) -> None:
    """Ctrl+C or SIGTERM closes the window properly (settings saved, device released).

    Python runs signal handlers only when it has control, so a light timer hands it
    control a few times a second while Qt's event loop runs.
    """

    def close(signum: int, frame: object) -> None:
        logger.info("Signal %d: closing the window", signum)
        window.close()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, close)
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
