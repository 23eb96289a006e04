"""Models > Try in shadow…: run a candidate beside the model in use, compare, then decide.

The window's side of ``bci-desktop models trial``. :func:`install` adds the action and a
:class:`ShadowTrialLauncher`; the dialog (:class:`ShadowTrialDialog`) picks a candidate of
the registry (same classes as the model in use), the trial's minutes and the thresholds of
the decision, and hands a :class:`~bci_desktop.core.inference.trial.TrialRequest` to the
worker (``start_trial``), which sends it to the acquisition process. The session's
:class:`~bci_desktop.core.session.TrialStatus` (about once a second) and
:class:`~bci_desktop.core.session.TrialEnded` come back through the worker's
``trial_changed`` signal and fill the live comparison. The decision is judged again, at
once, whenever the user changes a threshold (:func:`~bci_desktop.core.inference.trial.
decide` is pure). At the end **Promote** activates the candidate in the registry and
switches the stream to it (through the model manager: validated again first); **Discard**
leaves the model in use. Either way the trial's record is already in the registry's
history (``bci-desktop models list``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QAction

from bci_desktop.core.acquisition import StartTrial
from bci_desktop.core.acquisition.commands import refusal
from bci_desktop.core.inference.trial import TrialRequest, TrialThresholds
from bci_desktop.core.session import Notice, StreamState, TrialEnded, TrialStatus

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow
    from bci_desktop.gui.model_manager import ModelManager
    from bci_desktop.gui.shadow_trial_dialog import ShadowTrialDialog

__all__ = ["ShadowTrialLauncher", "install"]

logger = logging.getLogger(__name__)

#: How a refused start is said (the prefix of the worker's notice).
_REFUSED = refusal(StartTrial(TrialRequest("x")))


class ShadowTrialLauncher(QObject):
    """The action, the dialog, and the link to the worker (GUI thread).

    Attributes
    ----------
    action : QAction
        Models > Try in shadow….
    dialog : ShadowTrialDialog or None
        Made on first use.
    last : TrialStatus or TrialEnded or None
        What the session said last about a trial.
    """

    start_requested = pyqtSignal(object)
    stop_requested = pyqtSignal()

    def __init__(self, window: MainWindow, models: ModelManager) -> None:
        super().__init__(window)
        self.window_ = window
        self.models = models
        self.dialog: ShadowTrialDialog | None = None
        self.last: TrialStatus | TrialEnded | None = None
        worker = window.worker
        self.start_requested.connect(worker.start_trial)  # queued: the worker's thread
        self.stop_requested.connect(worker.stop_trial)
        worker.trial_changed.connect(self._on_trial)
        worker.notice.connect(self._on_notice)
        worker.state_changed.connect(self._on_state)
        worker.process_lost.connect(self._on_process_lost)
        self.action = QAction("Try in &shadow…", window)
        self.action.setToolTip(
            "Run another model beside the one in use on the live stream, compare them, "
            "then promote or discard it"
        )
        self.action.setStatusTip(self.action.toolTip())
        self.action.triggered.connect(lambda _=False: self.open_dialog())

    @property
    def running(self) -> bool:
        """True while a trial runs (as last reported)."""
        return isinstance(self.last, TrialStatus)

    def open_dialog(self) -> ShadowTrialDialog:
        """Show the (single, non-modal) dialog."""
        if self.dialog is None:
            from bci_desktop.gui.shadow_trial_dialog import ShadowTrialDialog

            self.dialog = ShadowTrialDialog(self, self.window_)
        self.dialog.reload()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def start(self, request: TrialRequest) -> bool:
        """Ask the worker to start ``request``; False (and why, in the dialog) when no
        stream runs."""
        if not self.window_.stream_state.live:
            self._say("Connect a source first: a shadow trial runs on the live stream.")
            return False
        logger.info("Starting a shadow trial of %s", request.ref)
        self.last = None
        self.start_requested.emit(request)
        return True

    def stop(self) -> None:
        """End the running trial now (its figures are kept)."""
        self.stop_requested.emit()

    def _on_trial(self, message: object) -> None:
        if isinstance(message, TrialStatus | TrialEnded):
            self.last = message
            if self.dialog is not None:
                self.dialog.show_trial(message)

    def _on_notice(self, notice: Notice) -> None:
        if notice.text.startswith(_REFUSED):
            self._say(notice.text)

    def _on_process_lost(self, _lost: object) -> None:
        if self.running:  # the trial lived in the process that died: it ended unrecorded
            self.last = None
            self._say(
                "The acquisition process stopped unexpectedly: the trial ended with it, and "
                "no record of it could be kept. Start it again once the stream is back."
            )
            if self.dialog is not None:
                self.dialog.stream_state_changed(self.window_.stream_state)

    def _on_state(self, state: StreamState, _message: str) -> None:
        if self.dialog is not None:
            self.dialog.stream_state_changed(state)

    def _say(self, text: str) -> None:
        if self.dialog is not None:
            self.dialog.say(text)


def default_thresholds() -> TrialThresholds:
    """The thresholds the dialog starts from (the command line's defaults)."""
    return TrialThresholds()


def install(window: MainWindow, models: ModelManager) -> ShadowTrialLauncher:
    """Add Models > Try in shadow… (after Manage models…)."""
    launcher = ShadowTrialLauncher(window, models)
    window.models_menu.addAction(launcher.action)
    return launcher
