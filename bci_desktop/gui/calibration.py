"""Models > Calibrate a personal model…: labelled blocks, recorded, trained, activated.

The flow, in one dialog with three pages:

1. **Set up**: the states to calibrate (the stream's own states for the simulated subject,
   else the active model's classes), minutes per state, block and rest length, subject id.
2. **Blocks**: a recording starts (notes ``"calibration: …"``); after a short "get ready",
   each block shows its state's name in large type with a countdown and a progress bar.
   At each block start the flow inserts marker ``100 + n`` and records the event
   ``calibration_start`` (detail: the state); at its end marker ``200 + n`` and
   ``calibration_end`` (``n``: the state's number in the chosen list, from 1). Rests
   separate the blocks. Esc cancels: the recording stops and is kept.
3. **Result**: the recording stops; :func:`~bci_desktop.core.calibration.train_personal_model`
   trains in the background on exactly the live pipeline's features, cross-validated by
   block; the page shows the accuracy and the confusion matrix and offers **Activate**
   (import into the registry, activate, and switch the live stream to it).

Blocks are timed by the stream's clock (:mod:`bci_desktop.gui.calibration_timeline`).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QCloseEvent, QKeyEvent, QResizeEvent
from PyQt6.QtWidgets import QDialog, QStackedWidget, QVBoxLayout

from bci_desktop.core.calibration import END, START, TrainReport
from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.inference.registry import user_models_dir
from bci_desktop.core.session import RecordingStatus
from bci_desktop.gui.background import BackgroundRunner
from bci_desktop.gui.calibration_pages import ResultPage, RunPage, SetupPage
from bci_desktop.gui.calibration_timeline import CalibrationSetup, Timeline, first_block_start
from bci_desktop.gui.wording import in_window_words

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow
    from bci_desktop.gui.model_manager import ModelManager

__all__ = [
    "END_MARKER",
    "START_MARKER",
    "CalibrationDialog",
    "CalibrationLauncher",
    "CalibrationSetup",
    "install",
]

logger = logging.getLogger(__name__)

#: Marker at a block's start / end: this plus the state's number (from 1).
START_MARKER, END_MARKER = 100, 200
_TICK_MS = 50
_RECORDING_TIMEOUT_S = 15.0


class _Bridge(QObject):
    """Queued signals into the worker thread (never call worker slots directly)."""

    start_recording = pyqtSignal(object)
    stop_recording = pyqtSignal()
    add_event = pyqtSignal(str, str)


class CalibrationDialog(QDialog):
    """The calibration flow (see the module docstring).

    Attributes tests can read
    -------------------------
    phase : str
        ``"setup"``, ``"starting"`` (waiting for the recording), ``"running"``,
        ``"stopping"``, ``"training"``, ``"result"``, ``"failed"`` or ``"cancelled"``.
    setup_page, run_page, result_page : the pages
    session_folder : Path or None
        The calibration's recording.
    timeline : Timeline or None
    report : TrainReport or None
        The training outcome.
    message : str
        The last thing the flow told the user.
    """

    finished_training = pyqtSignal(object)  # TrainReport

    def __init__(self, window: MainWindow, manager: ModelManager) -> None:
        super().__init__(window)
        self.window_ = window
        self.manager = manager
        self.setWindowTitle("Calibrate a personal model")
        self.setObjectName("calibration")
        self.resize(900, 640)
        self.phase = "setup"
        self.session_folder: Path | None = None
        self.timeline: Timeline | None = None
        self.report: TrainReport | None = None
        self.message = ""
        self._setup: CalibrationSetup | None = None
        self._info: Any = None
        self._clock_done = -math.inf
        self._open_block: Any = None
        self._asked_at = 0.0
        self._recording_elsewhere = window.worker.recording
        self._runner = BackgroundRunner("bci-calibration", self)
        worker = window.worker
        self._bridge = _Bridge(self)
        self._bridge.start_recording.connect(worker.start_recording)
        self._bridge.stop_recording.connect(worker.stop_recording)
        self._bridge.add_event.connect(worker.add_event)
        worker.recording_changed.connect(self._on_recording)

        self.setup_page = SetupPage(self)
        self.run_page = RunPage(self)
        self.result_page = ResultPage(self)
        self.pages = QStackedWidget()
        for page in (self.setup_page, self.run_page, self.result_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.setup_page.start_requested.connect(lambda: self.start())
        self.setup_page.cancel_button.clicked.connect(lambda _=False: self.close())
        self.run_page.cancel_button.clicked.connect(lambda _=False: self.cancel())
        self.result_page.activate_button.clicked.connect(lambda _=False: self.activate())
        self.result_page.close_button.clicked.connect(lambda _=False: self.close())
        self.result_page.again_button.clicked.connect(lambda _=False: self.back_to_setup())

        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._idle = QTimer(self)  # keeps the setup page's "can start?" line current
        self._idle.setInterval(500)
        self._idle.timeout.connect(self._refresh_setup)
        self._idle.start()
        self.setup_page.changed.connect(lambda: self._refresh_setup(force=True))
        self._refresh_setup(force=True)

    # -- choices ---------------------------------------------------------------------------
    def available_states(self) -> tuple[str, ...]:
        """The simulated subject's states while it streams, else the active model's classes."""
        info = self.window_.live.info
        if self.window_.stream_state.live and info is not None and info.states:
            return tuple(info.states)
        try:
            classes = self.manager.registry.active().classes
        except BCIError:
            classes = ()
        if classes:
            return tuple(classes)
        from bci_desktop.core.sources.simulated import STATES

        return STATES

    def _refresh_setup(self, *, force: bool = False) -> None:
        if force or (self.isVisible() and self.phase in ("setup", "cancelled", "failed")):
            self.setup_page.set_states(self.available_states())
            self.setup_page.set_problems(self._start_problems())

    def _start_problems(self) -> list[str]:
        return self._stream_problems() + self.setup_page.setup().problems()

    def _stream_problems(self) -> list[str]:
        if not self.window_.stream_state.live:
            return ["Connect a board first (the calibration records the stream)."]
        if self._recording_elsewhere:
            return ["Stop the current recording first (the calibration records its own)."]
        return []

    # -- the run ---------------------------------------------------------------------------
    def start(self, setup: CalibrationSetup | None = None) -> bool:
        """Start recording and the blocks; False (with :attr:`message`) if it cannot."""
        if self.phase in ("starting", "running", "stopping", "training"):
            return False
        setup = setup if setup is not None else self.setup_page.setup()
        problems = self._stream_problems() + setup.problems()
        if not problems:
            try:
                setup.plan()
            except ConfigError as exc:
                problems.append(str(exc))
        if problems:
            self._tell(" ".join(problems))
            self.setup_page.show_outcome("Not started: " + " ".join(problems))
            return False
        self.setup_page.show_outcome("")
        self._setup = setup
        self.report = None
        self.session_folder = None
        self.timeline = None
        self._open_block = None
        self._info = self.window_.live.info
        self.phase = "starting"
        self._asked_at = time.monotonic()
        from bci_desktop.core.session import RecordRequest

        plan = setup.plan()
        notes = (
            f"calibration: states {', '.join(setup.states)}; {len(plan.blocks)} blocks of "
            f"{setup.block_s:g} s, rest {setup.rest_s:g} s, seed {setup.seed}; markers "
            f"{START_MARKER}+n at block starts and {END_MARKER}+n at block ends (n: state "
            f"number from 1)"
        )
        self._bridge.start_recording.emit(RecordRequest(subject=setup.subject, notes=notes))
        self.pages.setCurrentWidget(self.run_page)
        self.run_page.show_waiting("Starting the recording…")
        if setup.full_screen:
            self.showFullScreen()
        self._timer.start()
        self._tell("Starting the recording…")
        return True

    def _on_recording(self, status: RecordingStatus) -> None:
        folder = status.folder
        if self.phase not in ("starting", "running", "stopping"):
            self._recording_elsewhere = status.recording
        if self.phase == "starting":
            if status.recording and folder is not None:
                self.session_folder = Path(folder)
                self._begin_blocks()
            elif status.error:
                self._fail(f"The recording did not start: {status.error}")
        elif self.phase == "running" and not status.recording:
            why = status.error or "the recording stopped"
            self._fail(f"Calibration stopped: {why}. The recording is kept at {folder}.")
        elif self.phase == "stopping" and not status.recording:
            if status.error:
                logger.warning("Calibration recording: %s", status.error)
            self._train()

    def _clock(self) -> float:
        live = self.window_.live
        rate = live.sample_rate
        return live.samples_total / rate if rate > 0 else 0.0

    def _begin_blocks(self) -> None:
        setup = self._setup
        assert setup is not None
        now = self._clock()
        start = first_block_start(now, setup.lead_in_s, setup.align_s)
        self.timeline = Timeline(setup.plan(), start)
        self._clock_done = now
        self.phase = "running"
        self._tell(f"Recording into {self.session_folder}")
        logger.info(
            "Calibration: %d blocks from stream time %.1f s, recording into %s",
            self.timeline.n_blocks,
            start,
            self.session_folder,
        )

    def _tick(self) -> None:
        if self.phase == "starting":
            if time.monotonic() - self._asked_at > _RECORDING_TIMEOUT_S:
                self._fail("The recording did not start (no answer from the stream worker).")
            return
        if self.phase != "running":
            return
        w = self.window_
        if not w.stream_state.live or w.live.info is not self._info:
            self._abort_recording("the stream stopped or restarted")
            return
        timeline = self.timeline
        assert timeline is not None and self._setup is not None
        now = self._clock()
        for _t, kind, seg in timeline.boundaries(self._clock_done, now):
            self._mark(kind, seg.state)
        self._clock_done = now
        self.run_page.show_progress(timeline, now, self._setup.states)
        if now >= timeline.end_s:
            self._stop_and_train()

    def _mark(self, kind: str, state: str) -> None:
        assert self._setup is not None
        n = self._setup.states.index(state) + 1
        if kind == "start":
            self.window_.insert_marker(START_MARKER + n)
            self._bridge.add_event.emit(START, state)
            self._open_block = state
        else:
            self.window_.insert_marker(END_MARKER + n)
            self._bridge.add_event.emit(END, state)
            self._open_block = None

    def _stop_and_train(self) -> None:
        self.phase = "stopping"
        self._timer.stop()
        self.run_page.show_waiting("Done. Saving the recording…")
        self._bridge.stop_recording.emit()

    def _train(self) -> None:
        setup, folder = self._setup, self.session_folder
        assert setup is not None and folder is not None
        self.phase = "training"
        self._leave_full_screen()
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = user_models_dir() / f"personal-{setup.subject}-{stamp}.onnx"
        self.pages.setCurrentWidget(self.result_page)
        self.result_page.show_training(folder)
        self._tell(f"Training on {folder.name}…")
        from bci_desktop.core.calibration import train_personal_model

        def work() -> TrainReport:
            out.parent.mkdir(parents=True, exist_ok=True)
            return train_personal_model(
                [folder],
                out,
                name=f"personal-{setup.subject}",
                version=stamp,
                classes=setup.states,
            )

        self._runner.submit(work, self._trained)

    def _trained(self, report: Any, error: BaseException | None) -> None:
        if error is not None:
            self.phase = "failed"
            self._tell(f"Training failed: {error} The recording is kept at {self.session_folder}.")
            self.result_page.show_failure(self.message)
            return
        assert isinstance(report, TrainReport)
        self.report = report
        self.phase = "result"
        self.result_page.show_report(report, self.session_folder)
        self._tell(f"Trained {report.metadata.label}: {100 * report.cv_accuracy:.1f}%")
        logger.info("Calibration trained:\n%s", report.summary())
        self.finished_training.emit(report)

    def activate(self) -> None:
        """Import the trained model into the registry, activate it and use it live."""
        report = self.report
        if report is None:
            return
        self.result_page.show_activating(report.metadata.label)
        self.manager.import_and_activate(report.path, self._activated)

    def _activated(self, entry: Any, error: BaseException | None) -> None:
        if error is not None:
            self._tell(f"Not activated: {error} The active model is unchanged.")
        else:
            live = self.window_.stream_state.live
            self._tell(
                f"{entry.label} is active"
                + ("; the live stream switches to it now." if live else ".")
            )
        self.result_page.show_activated(self.message, error is None)

    def cancel(self) -> None:
        """Stop the blocks and the recording (kept); back to the setup page."""
        if self.phase == "starting":
            self._fail("Cancelled before the first block.")
            self._bridge.stop_recording.emit()
            return
        if self.phase != "running":
            return
        if self._open_block is not None:
            self._mark("end", self._open_block)
        self._bridge.add_event.emit("calibration_cancelled", "")
        self._abort_recording("cancelled")

    def _abort_recording(self, why: str) -> None:
        self._bridge.stop_recording.emit()
        self.phase = "cancelled"
        where = f" The recording is kept at {self.session_folder}." if self.session_folder else ""
        self._end_run(f"Calibration {why}.{where}")

    def _fail(self, text: str) -> None:
        self.phase = "failed"
        self._end_run(text)

    def _end_run(self, text: str) -> None:
        self._timer.stop()
        self._leave_full_screen()
        self._tell(text)
        self.pages.setCurrentWidget(self.setup_page)
        self.setup_page.show_outcome(text)
        logger.info("%s", text)

    def back_to_setup(self) -> None:
        """Show the setup page again (after a result)."""
        if self.phase in ("result", "failed", "cancelled"):
            self.phase = "setup"
            self.pages.setCurrentWidget(self.setup_page)
            self._refresh_setup()

    def _leave_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()

    def _tell(self, text: str) -> None:
        self.message = in_window_words(text)

    # -- Qt events -------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc cancels a running calibration (the recording is kept)."""
        if event.key() == Qt.Key.Key_Escape and self.phase in ("starting", "running"):
            self.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Closing while blocks run cancels them first."""
        if self.phase in ("starting", "running"):
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Cancel a running calibration; a training in progress goes on in the background."""
        if self.phase in ("starting", "running"):
            self.cancel()
        super().closeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Scale the prompt's type with the window."""
        super().resizeEvent(event)
        self.run_page.scale_type(self.height())


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
            "Record labelled blocks of the states you choose and train a model for this person"
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
