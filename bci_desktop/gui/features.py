"""Features that add menus, actions and docks to the main window.

Each feature lives in its own module with an ``install(window)`` function that uses only the
window's public attributes (``file_menu``, ``stream_menu``, ``view_menu``, ``help_menu``,
``stream_toolbar``, ``worker``, ``live``, ``statusBar()``, ``addDockWidget``...). Adding a
feature is one line here; ``main_window.py`` stays small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow


def install_features(window: MainWindow) -> None:
    """Install every feature into ``window`` (called once, at the end of its construction)."""
    # One import and call per feature, e.g.:
    #   from bci_desktop.gui.recording import install as install_recording
    #   install_recording(window)
