"""The calibration dialog: induce, record, rate, review, train, judge, activate.

One dialog, four pages (the logic is in :mod:`bci_desktop.core.calibration`):

1. **Set up** (:mod:`~bci_desktop.gui.calibration_setup`): the protocol (built-in recall
   instructions, or a file with stimuli), the subject id; Start is enabled only when
   nothing would make the calibration fail (:func:`~bci_desktop.core.calibration.preflight.
   preflight`). An interrupted calibration of this subject can be resumed; their earlier
   calibrations can be retrained without recording.
2. **Run** (:mod:`~bci_desktop.gui.calibration_run`): a recording starts with the protocol
   saved in it (``calibration.json``); :class:`~bci_desktop.core.calibration.run.
   CalibrationRun` steps through instructions, blocks (with stimuli), self-reports and
   rests on the stream's clock, and every step goes to the session as a cue
   (``StreamWorker.present_cue``): its event and marker land on the sample it happened,
   and the simulated subject follows it. Esc cancels; the recording is kept.
3. **Review** (:mod:`~bci_desktop.gui.calibration_review`): the blocks with their
   ratings; labels from the protocol or from the ratings; contradicting blocks left out.
4. **Result** (:mod:`~bci_desktop.gui.calibration_result`): the verdict; Activate only for
   a model better than chance (or with an explicit override).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QCloseEvent, QKeyEvent, QResizeEvent
from PyQt6.QtWidgets import QDialog, QStackedWidget, QVBoxLayout

from bci_desktop.core.calibration.preflight import Preflight, preflight
from bci_desktop.core.calibration.protocol import CalibrationProtocol
from bci_desktop.core.calibration.record import (
    CALIBRATION_FILE,
    CalibrationRecord,
    calibration_chain,
    calibration_file,
    read_calibration,
    resumable,
    subject_calibrations,
)
from bci_desktop.core.calibration.run import CalibrationRun, Step
from bci_desktop.core.calibration.stimuli import Stimulus
from bci_desktop.core.calibration.train import TrainReport
from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.inference.registry import user_models_dir
from bci_desktop.core.recording.catalog import data_dir
from bci_desktop.core.session import RecordingStatus, RecordRequest, SubjectAnswered
from bci_desktop.core.sources.participant import Cue, SelfReport
from bci_desktop.gui.calibration_result import ResultPage
from bci_desktop.gui.calibration_review import ReviewPage
from bci_desktop.gui.calibration_run import RunPage
from bci_desktop.gui.calibration_setup import SetupPage
from bci_desktop.gui.calibration_training import TrainingFlow
from bci_desktop.gui.stimulus_media import check_stimulus

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow
    from bci_desktop.gui.model_manager import ModelManager

__all__ = ["CalibrationDialog"]

logger = logging.getLogger(__name__)

_TICK_MS = 50
_RECORDING_TIMEOUT_S = 15.0
_RECHECK_S = 3.0  # the set-up page checks files and disk again this often


class _Bridge(QObject):
    """Queued signals into the worker thread (never call worker slots directly)."""

    start_recording = pyqtSignal(object)
    stop_recording = pyqtSignal()
    present_cue = pyqtSignal(object)


class CalibrationDialog(QDialog):
    """The calibration flow (see the module docstring).

    Attributes tests can read
    -------------------------
    phase : str
        ``"setup"``, ``"starting"`` (waiting for the recording), ``"running"``,
        ``"stopping"``, ``"review"``, ``"training"``, ``"result"``, ``"failed"`` or
        ``"cancelled"``.
    setup_page, run_page, review_page, result_page : the pages
    run : CalibrationRun or None
    session_folder : Path or None
        The recording of the run in progress (or last run).
    chain : list of Path
        The recordings of this calibration (a resumed one: the earlier ones first).
    answers : dict of int to SelfReport
        What the simulated subject answered, by block.
    report : TrainReport or None
    message : str
        The last thing the flow told the user.
    """

    def __init__(self, window: MainWindow, manager: ModelManager) -> None:
        super().__init__(window)
        self.window_ = window
        self.manager = manager
        self.setWindowTitle("Calibrate a personal model")
        self.setObjectName("calibration")
        self.resize(1000, 760)
        self.phase = "setup"
        self.run: CalibrationRun | None = None
        self.session_folder: Path | None = None
        self.chain: list[Path] = []
        self.answers: dict[int, SelfReport] = {}
        self.message = ""
        self._protocol: CalibrationProtocol | None = None
        self._order: tuple[str, ...] = ()
        self._first_block = 0
        self._stimuli: dict[str, tuple[Stimulus, ...]] = {}
        self._ended_block = -1
        self._info: Any = None
        self._asked_at = 0.0
        self._checked: tuple[Any, Preflight] | None = None
        self._checked_at = 0.0
        self._resumable: CalibrationRecord | None = None
        self._resume_key: Any = None
        self._recording_elsewhere = window.worker.recording
        worker = window.worker
        self._bridge = _Bridge(self)
        self._bridge.start_recording.connect(worker.start_recording)
        self._bridge.stop_recording.connect(worker.stop_recording)
        self._bridge.present_cue.connect(worker.present_cue)
        worker.recording_changed.connect(self._on_recording)
        worker.subject_answered.connect(self._on_answer)

        self.setup_page = SetupPage(self)
        self.run_page = RunPage(self)
        self.review_page = ReviewPage(self)
        self.result_page = ResultPage(self)
        self.pages = QStackedWidget()
        for page in (self.setup_page, self.run_page, self.review_page, self.result_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        sp = self.setup_page
        sp.start_requested.connect(lambda: self.start())
        sp.resume_requested.connect(lambda: self.resume())
        sp.retrain_requested.connect(lambda: self.retrain())
        sp.cancel_button.clicked.connect(lambda _=False: self.close())
        sp.changed.connect(lambda: self._refresh_setup(force=True))
        self.run_page.cancel_button.clicked.connect(lambda _=False: self.cancel())
        self.run_page.rated.connect(self._on_rated)
        self.run_page.clip_ended.connect(self._on_clip_ended)
        self.review_page.train_requested.connect(lambda: self.train())
        self.review_page.back_requested.connect(lambda: self.back_to_setup())
        self.training = TrainingFlow(
            self.result_page, manager, self._tell, lambda: window.stream_state.live, self
        )
        self.training.finished.connect(self._trained)
        rp = self.result_page
        rp.activate_button.clicked.connect(lambda _=False: self.activate())
        rp.close_button.clicked.connect(lambda _=False: self.close())
        rp.again_button.clicked.connect(lambda _=False: self.back_to_setup())
        rp.labels_button.clicked.connect(lambda _=False: self._show_review_page())

        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._idle = QTimer(self)  # keeps the setup page's "can start?" line current
        self._idle.setInterval(500)
        self._idle.timeout.connect(self._refresh_setup)
        self._idle.start()
        self._refresh_setup(force=True)

    # -- what stops a start ------------------------------------------------------------------
    def _stream_problems(self) -> list[str]:
        if not self.window_.stream_state.live or self.window_.live.info is None:
            return ["Connect a board first (the calibration records the stream)."]
        if self._recording_elsewhere:
            return ["Stop the current recording first (the calibration records its own)."]
        return []

    def _simulated(self) -> bool:
        info = self.window_.live.info
        return info is not None and info.source_name == "Simulated subject"

    def check(
        self, protocol: CalibrationProtocol, *, blocks: int | None = None, fresh: bool = False
    ) -> Preflight:
        """Every check before Start for ``protocol`` on the current stream (the result is
        kept for a few seconds, so files copied into place are seen soon; ``fresh``: now)."""
        info = self.window_.live.info if self.window_.stream_state.live else None
        key = (protocol.to_json(), str(protocol.base_dir), id(info), blocks)
        now = time.monotonic()
        if (
            not fresh
            and self._checked is not None
            and self._checked[0] == key
            and now - self._checked_at < _RECHECK_S
        ):
            return self._checked[1]
        self._checked_at = now
        result = preflight(
            protocol,
            info,
            sessions_dir=data_dir(),
            models_dir=user_models_dir(),
            check_stimulus=check_stimulus,
            simulated=self._simulated(),
            blocks=blocks,
        )
        self._checked = (key, result)
        return result

    def _start_problems(self) -> tuple[list[str], list[str]]:
        problems = self._stream_problems()
        subject = self.setup_page.subject_problem()
        if subject:
            problems.append(subject)
        try:
            protocol = self.setup_page.protocol()
        except ConfigError as exc:
            return [*problems, str(exc)], []
        checked = self.check(protocol)  # without a stream: the stimuli only
        return problems + checked.problems, checked.warnings

    def _refresh_setup(self, *, force: bool = False) -> None:
        if not (force or (self.isVisible() and self.phase in ("setup", "cancelled", "failed"))):
            return
        problems, warnings = self._start_problems()
        self.setup_page.set_problems(problems, warnings)
        self._offer_resume()

    def _offer_resume(self) -> None:
        subject = self.setup_page.subject
        key = (subject, self.phase, len(self.chain))
        if key == self._resume_key:
            return
        self._resume_key = key
        self._resumable = None
        if self.setup_page.subject_problem() is None:
            self._resumable = resumable(data_dir(), subject)
        r = self._resumable
        self.setup_page.set_resume(
            None
            if r is None
            else f"{subject}'s calibration of {r.started[:16].replace('T', ' ')} stopped after "
            f"{r.next_block} of {len(r.order)} blocks."
        )
        self.setup_page.retrain_button.setEnabled(self.setup_page.subject_problem() is None)

    # -- starting ----------------------------------------------------------------------------
    def start(self, protocol: CalibrationProtocol | None = None) -> bool:
        """Start a new calibration; False (with :attr:`message`) when it cannot start."""
        if self.phase in ("starting", "running", "stopping", "training"):
            return False
        try:
            protocol = protocol if protocol is not None else self.setup_page.protocol()
        except ConfigError as exc:
            return self._refuse([str(exc)])
        if protocol.seed is None:
            protocol = protocol.with_seed(self.setup_page.draw_seed())
        return self._begin(protocol, protocol.block_order(), 0, None)

    def resume(self) -> bool:
        """Run the blocks the interrupted calibration of this subject did not reach."""
        record = self._resumable
        if record is None or self.phase in ("starting", "running", "stopping", "training"):
            return self._refuse(["There is no interrupted calibration of this subject."])
        self.chain = calibration_chain(data_dir(), record)
        return self._begin(record.protocol, record.order, record.next_block, record.folder.name)

    def _refuse(self, problems: list[str]) -> bool:
        text = "Not started: " + " ".join(problems)
        self._tell(text)
        self.setup_page.show_outcome(text)
        return False

    def _begin(
        self,
        protocol: CalibrationProtocol,
        order: tuple[str, ...],
        first_block: int,
        continues: str | None,
    ) -> bool:
        problems = self._stream_problems()
        subject_problem = self.setup_page.subject_problem()
        if subject_problem:
            problems.append(subject_problem)
        checked = None
        if not problems:
            checked = self.check(protocol, blocks=len(order) - first_block, fresh=True)
            problems += checked.problems
        if problems or checked is None:
            return self._refuse(problems)
        if continues is None:
            self.chain = []
        self._protocol, self._order, self._first_block = protocol, order, first_block
        self._stimuli = checked.stimuli
        self.run, self.session_folder = None, None
        self.answers, self._ended_block = {}, -1
        self._info = self.window_.live.info
        self.phase = "starting"
        self._asked_at = time.monotonic()
        self.setup_page.show_outcome("")
        notes = (
            f"calibration: protocol '{protocol.name}', {len(order)} blocks "
            f"({', '.join(protocol.state_names)}), seed {protocol.seed}"
            + (f", from block {first_block + 1}, continuing {continues}" if continues else "")
        )
        text = calibration_file(protocol, order, first_block=first_block, continues=continues)
        self._bridge.start_recording.emit(
            RecordRequest(
                subject=self.setup_page.subject,
                notes=notes,
                attachments=((CALIBRATION_FILE, text),),
            )
        )
        self.pages.setCurrentWidget(self.run_page)
        self.run_page.show_waiting("Starting the recording…")
        if self.setup_page.full_screen.isChecked():
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
                self.chain.append(self.session_folder)
                self._begin_run()
            elif status.error:
                self._fail(f"The recording did not start: {status.error}")
        elif self.phase == "running" and not status.recording:
            why = status.error or "the recording stopped"
            self._abort(f"Calibration stopped: {why}.")
        elif self.phase == "stopping" and not status.recording:
            if status.error:
                logger.warning("Calibration recording: %s", status.error)
            self._show_review_page()

    def _clock(self) -> float:
        live = self.window_.live
        rate = live.sample_rate
        return live.samples_total / rate if rate > 0 else 0.0

    def _begin_run(self) -> None:
        assert self._protocol is not None
        self.run = CalibrationRun(
            self._protocol,
            self._order,
            self._stimuli,
            first_block=self._first_block,
            start_s=self._clock(),
        )
        self.phase = "running"
        self._send(self.run.begin())
        self._tell(f"Recording into {self.session_folder}")
        logger.info(
            "Calibration: blocks %d-%d of %d, recording into %s",
            self._first_block + 1,
            len(self._order),
            len(self._order),
            self.session_folder,
        )

    # -- running -----------------------------------------------------------------------------
    def _send(self, cues: list[Cue]) -> None:
        for cue in cues:
            if cue.changes_state and cue.induce is None and self.run is not None:
                self._ended_block = self.run.block
            self._bridge.present_cue.emit(cue)

    def _tick(self) -> None:
        if self.phase == "starting":
            if time.monotonic() - self._asked_at > _RECORDING_TIMEOUT_S:
                self._fail("The recording did not start (no answer from the stream).")
            return
        run = self.run
        if self.phase != "running" or run is None:
            return
        w = self.window_
        if not w.stream_state.live or w.live.info is not self._info:
            self._abort("Calibration stopped: the stream stopped or restarted.")
            return
        now = self._clock()
        self._send(run.tick(now))
        self._show(now)

    def _show(self, now: float) -> None:
        run = self.run
        assert run is not None
        view = run.view(now)
        self.run_page.show_view(view)
        if view.step is Step.RATING:
            self._hint(view.block)
        if run.step is Step.DONE:
            self._stop_recording_then_review()

    def _on_rated(self, report: SelfReport) -> None:
        run = self.run
        if self.phase != "running" or run is None or run.step is not Step.RATING:
            return
        now = self._clock()
        self._send(run.rate(report, now))
        self._show(now)

    def _on_clip_ended(self) -> None:
        if self.phase == "running" and self.run is not None:
            self._send(self.run.clip_ended(self._clock()))

    def _on_answer(self, message: SubjectAnswered) -> None:
        if self._ended_block >= 0:
            self.answers[self._ended_block] = message.report
            run = self.run
            if run is not None and run.step is Step.RATING and run.block == self._ended_block:
                self._hint(run.block)

    def _hint(self, block: int) -> None:
        """Show what the simulated subject answered for ``block`` (once it has)."""
        answer = self.answers.get(block)
        if answer is not None:
            self.run_page.rating.set_hint(
                f"The simulated subject answers: valence {answer.valence}, arousal "
                f"{answer.arousal}."
            )

    def _stop_recording_then_review(self) -> None:
        self.phase = "stopping"
        self._timer.stop()
        self.run_page.show_waiting("Done. Saving the recording…")
        self._bridge.stop_recording.emit()

    # -- review and training -----------------------------------------------------------------
    def _records(self, chosen: list[Path]) -> list[CalibrationRecord]:
        """The chosen recordings and the subject's other calibrations, oldest first."""
        subject = self.setup_page.subject
        found = {r.folder: r for r in subject_calibrations(data_dir(), subject)}
        for folder in chosen:
            if folder not in found:
                try:
                    found[folder] = read_calibration(folder)
                except BCIError as exc:
                    logger.warning("Cannot read %s: %s", folder, exc)
        return [found[k] for k in sorted(found, key=lambda p: p.name)]

    def _show_review_page(self) -> None:
        self.phase = "review"
        self._leave_full_screen()
        self.review_page.set_records(self._records(self.chain), self.chain)
        self.pages.setCurrentWidget(self.review_page)
        self._tell("Check the blocks, then train.")

    def retrain(self) -> bool:
        """Review (and train on) the subject's calibration recordings, without recording."""
        if self.setup_page.subject_problem() is not None or self.phase in ("running", "starting"):
            return False
        records = subject_calibrations(data_dir(), self.setup_page.subject)
        if not records:
            text = f"{self.setup_page.subject} has no calibration recordings to train on."
            self._tell(text)
            self.setup_page.show_outcome(text)
            return False
        self.chain = [r.folder for r in records]
        self._show_review_page()
        return True

    def train(self) -> None:
        """Train on the ticked blocks of the ticked sessions, in the background."""
        sessions = self.review_page.sessions()
        if not sessions or self.training.busy:
            return
        self.phase = "training"
        self.pages.setCurrentWidget(self.result_page)
        self.training.train(
            sessions,
            self.setup_page.subject,
            self.review_page.label_source,
            tuple(self.review_page.left_out()),
        )

    def _trained(self, report: TrainReport | None) -> None:
        self.phase = "result" if report is not None else "failed"

    @property
    def report(self) -> TrainReport | None:
        """The last training's outcome."""
        return self.training.report

    def activate(self) -> None:
        """Import the trained model into the registry, activate it and use it live (only
        when it is better than chance, or the user overrode that)."""
        self.training.activate()

    # -- stopping ----------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the blocks and the recording (kept, and resumable); back to the setup page."""
        if self.phase == "starting":
            self._fail("Cancelled before the first block.")
            self._bridge.stop_recording.emit()
            return
        if self.phase != "running":
            return
        self._abort("Calibration cancelled.")

    def _abort(self, why: str) -> None:
        run = self.run
        if run is not None:
            self._send(run.cancel())
        self._bridge.stop_recording.emit()
        self.phase = "cancelled"
        done = 0 if run is None else run.first_block + run.done_blocks
        where = (
            f" {done} of {len(self._order)} blocks are done; the recording is kept at "
            f"{self.session_folder} and Resume runs the others."
            if self.session_folder
            else ""
        )
        self._resume_key = None
        self._end_run(f"{why}{where}")

    def _fail(self, text: str) -> None:
        self.phase = "failed"
        self._end_run(text)

    def _end_run(self, text: str) -> None:
        self._timer.stop()
        self.run_page.stop_media()
        self._leave_full_screen()
        self._tell(text)
        self.pages.setCurrentWidget(self.setup_page)
        self.setup_page.show_outcome(text)
        logger.info("%s", text)

    def back_to_setup(self) -> None:
        """Show the setup page again (after a result, or from the review)."""
        if self.phase in ("result", "failed", "cancelled", "review"):
            self.phase = "setup"
            self._resume_key = None
            self.pages.setCurrentWidget(self.setup_page)
            self._refresh_setup(force=True)

    def _leave_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()

    def _tell(self, text: str) -> None:
        self.message = text

    # -- Qt events ---------------------------------------------------------------------------
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
        """Scale the instructions' type with the window."""
        super().resizeEvent(event)
        self.run_page.scale_type(self.height())
