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
    # Issue 5: Models menu (manager, calibration) and the drift badge.
    from bci_desktop.gui.calibration import install as install_calibration
    from bci_desktop.gui.drift_badge import install as install_drift_badge
    from bci_desktop.gui.latency_fallback import install as install_latency_fallback
    from bci_desktop.gui.model_manager import install as install_model_manager

    install_model_manager(window)
    install_calibration(window)
    install_latency_fallback(window)
    install_drift_badge(window)
    # Issue 4: File > Open recording… with the replay bar, File > Sessions…, Record (Ctrl+R).
    from bci_desktop.gui.recording import install as install_recording
    from bci_desktop.gui.replay import install as install_replay
    from bci_desktop.gui.session_browser import install as install_session_browser

    install_replay(window)
    install_session_browser(window)
    install_recording(window)
    # Issue 6: signal lost indicator and Reconnect now (Ctrl+Shift+R).
    from bci_desktop.gui.reliability import install as install_reliability

    install_reliability(window)
