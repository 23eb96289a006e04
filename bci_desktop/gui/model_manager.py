"""Models > Manage models…: list, import, validate, activate and roll back models.

:func:`install` adds a **Models** menu (shared with the calibration flow), a toolbar button
showing the active model, and a :class:`ModelManager` as ``window.model_manager``. Every
registry call that validates a model (importing, activating and rolling back validate
again and time 200 runs) happens in a background thread; the dialog
(:class:`~bci_desktop.gui.model_dialog.ModelManagerDialog`) shows what it is doing and
updates when the work is done. An activation or rollback is handed to the worker's
``activate_model`` slot: while streaming the engine switches between two predictions, with
no restart; while disconnected the next connection uses it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QToolButton

from bci_desktop.core.errors import BCIError
from bci_desktop.core.inference.registry import ModelEntry, ModelRegistry
from bci_desktop.gui.background import BackgroundRunner

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow
    from bci_desktop.gui.model_dialog import ModelManagerDialog

__all__ = ["Done", "ModelManager", "install"]

logger = logging.getLogger(__name__)

#: ``on_done(result, error)`` of a background registry call (GUI thread).
Done = Callable[[Any, BaseException | None], None]


class ModelManager(QObject):
    """The window's model registry and the actions on it (GUI thread).

    Parameters
    ----------
    window : MainWindow
        Read: ``worker``, ``stream_state``, ``live``.
    registry : ModelRegistry or None
        ``None`` opens the user's registry (``$BCI_DESKTOP_DATA_DIR`` honoured).

    Signals
    -------
    active_changed(object)
        The :class:`ModelEntry` that became active (after activate, rollback).
    live_switch_requested(str)
        A model reference handed to the worker's ``activate_model`` slot.
    stream_model_changed(str)
        The worker reports the model it uses now (``model_changed``).

    Attributes
    ----------
    registry : ModelRegistry
    runner : BackgroundRunner
        The thread that validates and trains.
    manage_action : QAction or None
        Models > Manage models… (set by :func:`install`).
    toolbar_button : QToolButton or None
        The toolbar's model button (set by :func:`install`).
    """

    active_changed = pyqtSignal(object)
    live_switch_requested = pyqtSignal(str)
    stream_model_changed = pyqtSignal(str)

    def __init__(self, window: MainWindow, registry: ModelRegistry | None = None) -> None:
        super().__init__(window)
        self.window_ = window
        self.registry = registry if registry is not None else ModelRegistry()
        self.runner = BackgroundRunner("bci-models", self)
        self.dialog: ModelManagerDialog | None = None
        self._active = ""
        # Queued: the worker lives in its own thread.
        self.live_switch_requested.connect(window.worker.activate_model)
        window.worker.model_changed.connect(self._on_model_changed)
        self.stream_model = ""
        self.measured: dict[str, float] = {}  # sha256 -> p99 ms measured by this window
        self.manage_action: QAction | None = None
        self.toolbar_button: QToolButton | None = None

    def _on_model_changed(self, label: str) -> None:
        self.stream_model = label
        self.stream_model_changed.emit(label)

    # -- reading ---------------------------------------------------------------------------
    def entries(self) -> list[ModelEntry]:
        """Every model in the registry (quick: files are parsed once and cached)."""
        return self.registry.list()

    def active_label(self) -> str:
        """``name@version`` of the registry's active model ("none" if there is none)."""
        try:
            self._active = self.registry.active().label
        except BCIError as exc:
            logger.warning("%s", exc)
            self._active = "none"
        return self._active

    @property
    def known_active_label(self) -> str:
        """The active model's label as last read (reads the registry the first time)."""
        return self._active or self.active_label()

    def live_label(self) -> str | None:
        """The model that made the newest prediction of the stream, while streaming."""
        if not self.window_.stream_state.active:
            return None
        last = self.window_.live.last_prediction
        return None if last is None else last.model

    # -- changing (in the background) -------------------------------------------------------
    def import_file(self, path: str | Path, on_done: Done) -> None:
        """Validate and copy ``path`` into the registry; ``on_done(entry, error)``."""
        self.runner.submit(lambda: self.registry.import_file(path), on_done)

    def validate_file(self, path: str | Path, on_done: Done) -> None:
        """Validate ``path`` without importing it; ``on_done(report, error)``."""
        self.runner.submit(lambda: self.registry.validate(path), on_done)

    def activate(self, ref: str, on_done: Done) -> None:
        """Activate ``ref`` (validated again), then switch the live stream to it."""
        self.runner.submit(
            lambda: self.registry.activate(ref), lambda e, err: self._activated(e, err, on_done)
        )

    def rollback(self, on_done: Done) -> None:
        """Activate the previously active model again, and switch the live stream to it."""
        self.runner.submit(self.registry.rollback, lambda e, err: self._activated(e, err, on_done))

    def measure_latency(self, entries: list[ModelEntry], on_done: Done) -> bool:
        """Time the models whose p99 latency was never measured on this machine (shipped
        ones); ``on_done(measured, error)``. False when there is nothing to measure."""
        todo = [
            e
            for e in entries
            if e.p99_ms is None and e.path is not None and e.sha256 not in self.measured
        ]
        if not todo:
            return False

        def work() -> dict[str, float]:
            out: dict[str, float] = {}
            for e in todo:
                report = self.registry.validate(e.path)
                if report.p99_ms is not None:
                    out[e.sha256] = report.p99_ms
            return out

        def done(result: Any, error: BaseException | None) -> None:
            if isinstance(result, dict):
                self.measured.update(result)
            on_done(result, error)

        for e in todo:  # not twice, even if the dialog is reopened meanwhile
            self.measured.setdefault(e.sha256, float("nan"))
        self.runner.submit(work, done)
        return True

    def p99_ms(self, entry: ModelEntry) -> float | None:
        """The entry's measured p99 latency (from the registry or measured here)."""
        if entry.p99_ms is not None:
            return entry.p99_ms
        value = self.measured.get(entry.sha256)
        return None if value is None or value != value else value

    def import_and_activate(self, path: str | Path, on_done: Done) -> None:
        """Import ``path`` and activate it (the calibration flow's last step)."""

        def work() -> ModelEntry:
            entry = self.registry.import_file(path)
            return self.registry.activate(entry.label)

        self.runner.submit(work, lambda e, err: self._activated(e, err, on_done))

    def _activated(self, entry: Any, error: BaseException | None, on_done: Done) -> None:
        if error is None and isinstance(entry, ModelEntry):
            self._active = entry.label
            self.apply_live(entry)
            self.active_changed.emit(entry)
        on_done(entry, error)

    def apply_live(self, entry: ModelEntry) -> bool:
        """Switch the stream to ``entry`` at once while streaming (otherwise the next
        connection takes the registry's active model by itself). Returns True if the live
        stream is being switched."""
        if not self.window_.stream_state.active:
            return False
        logger.info("Handing model %s to the stream worker", entry.label)
        self.live_switch_requested.emit(entry.label)
        return True

    # -- UI --------------------------------------------------------------------------------
    def open_dialog(self) -> ModelManagerDialog:
        """Show the (single, non-modal) model manager dialog."""
        if self.dialog is None:
            from bci_desktop.gui.model_dialog import ModelManagerDialog

            self.dialog = ModelManagerDialog(self, self.window_)
        self.dialog.reload()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog


class _ModelButton(QToolButton):
    """Toolbar shortcut: the active model's name; a click opens the manager."""

    def __init__(self, manager: ModelManager) -> None:
        super().__init__()
        self.manager = manager
        self.setToolTip("The active model (and the one the stream uses): click to manage models")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.clicked.connect(lambda _=False: manager.open_dialog())
        manager.active_changed.connect(lambda _e: self.refresh())
        manager.stream_model_changed.connect(lambda _l: self.refresh())
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh(read_registry=True)

    def refresh(self, read_registry: bool = False) -> None:
        active = self.manager.active_label() if read_registry else self.manager.known_active_label
        live = self.manager.live_label()
        text = f"Model: {active}"
        if live and live != active:
            text += f" (stream: {live})"
        if text != self.text():
            self.setText(text)


def install(window: MainWindow) -> ModelManager:
    """Add Models > Manage models… and the toolbar's model button."""
    manager = ModelManager(window)
    action = QAction("&Manage models…", window)
    action.setToolTip("List, import, validate, activate and roll back models")
    action.setStatusTip(action.toolTip())
    action.triggered.connect(lambda _=False: manager.open_dialog())
    window.models_menu.addAction(action)
    manager.manage_action = action
    window.stream_toolbar.addSeparator()
    button = _ModelButton(manager)
    window.stream_toolbar.addWidget(button)
    manager.toolbar_button = button
    # With no stream the status bar names the model the next stream will use, as the
    # toolbar does (it said "Model: –").
    window.set_model_label(manager.known_active_label)
    manager.active_changed.connect(
        lambda entry: None if window.stream_state.active else window.set_model_label(entry.label)
    )
    return manager
