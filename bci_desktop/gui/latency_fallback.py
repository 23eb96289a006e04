"""Models > Fall back to a faster model when over budget: the window's side of
``bci-desktop run --latency-fallback``.

When it is checked and the model in use has a p99 latency over its budget on this machine,
the worker hands the stream to the fastest other validated model for the same classes
until the slow one is tried again (see :class:`~bci_desktop.core.engine.EngineConfig`).
The choice is saved with the settings.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QAction

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["install"]


class _FallbackSwitch(QObject):
    """Carries the choice to the worker's thread (a queued connection)."""

    changed = pyqtSignal(bool)


def install(window: MainWindow) -> QAction:
    """Add the checkable action to the Models menu."""
    action = QAction("&Fall back to a faster model when over budget", window)
    action.setCheckable(True)
    action.setToolTip(
        "When the model's p99 latency exceeds its budget, use the fastest other validated "
        "model for the same classes until the slow one is within budget again"
    )
    action.setStatusTip(action.toolTip())
    switch = _FallbackSwitch(window)
    switch.changed.connect(window.worker.set_latency_fallback)
    action.setChecked(window.settings.latency_fallback)

    def toggled(on: bool) -> None:
        window.settings = replace(window.settings, latency_fallback=on)
        switch.changed.emit(on)

    action.toggled.connect(toggled)
    window.models_menu.addSeparator()
    window.models_menu.addAction(action)
    switch.changed.emit(action.isChecked())  # the saved choice, before any connection
    return action
