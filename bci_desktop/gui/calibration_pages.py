"""The three pages of the calibration dialog: set up, blocks, result."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.calibration import TrainReport
from bci_desktop.gui.calibration_timeline import CalibrationSetup

if TYPE_CHECKING:
    from bci_desktop.gui.calibration_timeline import Timeline

__all__ = ["HINTS", "ResultPage", "RunPage", "SetupPage"]

#: What to do in each state (the simulated subject's states; others get a generic line).
HINTS = {
    "calm": "Relax. Breathe slowly and let your thoughts settle.",
    "happy": "Recall a joyful moment and feel it again.",
    "sad": "Recall a sad moment and stay with it.",
    "stressed": "Count backwards from 1000 in sevens, as fast as you can.",
}
_GENERIC_HINT = "Hold this state until the countdown ends."


def _clock(seconds: float) -> str:
    s = max(0, int(seconds + 0.999))
    return f"{s // 60}:{s % 60:02d}"


def _font(points: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(points)
    f.setBold(bold)
    return f


class SetupPage(QWidget):
    """States, timing and subject; Start.

    Signals
    -------
    start_requested()
        The user pressed Start.
    changed()
        A choice changed.

    Attributes tests can read
    -------------------------
    state_boxes : dict of str to QCheckBox
    minutes, block_s, rest_s : spin boxes
    subject_edit : QLineEdit
    start_button, cancel_button : QPushButton
    problems_text : str
        Why Start is disabled now.
    outcome_text : str
        How the last attempt ended (cancelled, failed, refused), kept until the next start.
    """

    start_requested = pyqtSignal()
    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.seed = random.randrange(100_000)
        self.state_boxes: dict[str, QCheckBox] = {}
        title = QLabel("Calibrate a personal model")
        title.setFont(_font(16, True))
        intro = QLabel(
            "You will be shown one state at a time, in blocks, with rests between them. Try to "
            "be in that state until the countdown ends. The session is recorded like any "
            "other; at the end a model is trained for this person on exactly the features "
            "the live pipeline computes, and you can activate it."
        )
        intro.setWordWrap(True)

        self.states_group = QGroupBox("States to calibrate")
        self.states_group.setToolTip("At least two states; each is shown in several blocks")
        self._states_grid = QGridLayout(self.states_group)

        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.1, 30.0)
        self.minutes.setDecimals(1)
        self.minutes.setSingleStep(0.5)
        self.minutes.setValue(2.0)
        self.minutes.setSuffix(" min")
        self.minutes.setToolTip("Total time per state (2 minutes or more gives better models)")
        self.block_s = QSpinBox()
        self.block_s.setRange(5, 300)
        self.block_s.setValue(30)
        self.block_s.setSuffix(" s")
        self.block_s.setToolTip("Length of one block; each state needs at least two blocks")
        self.rest_s = QSpinBox()
        self.rest_s.setRange(0, 120)
        self.rest_s.setValue(5)
        self.rest_s.setSuffix(" s")
        self.rest_s.setToolTip("Rest between blocks (not used for training)")
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText("e.g. S01")
        self.subject_edit.setToolTip(
            "Who is calibrated: names the recording and the model (personal-<subject>)"
        )
        self.full_screen = QCheckBox("Show the prompts full screen")
        self.full_screen.setChecked(True)
        self.full_screen.setToolTip("Fewer distractions during the blocks (Esc cancels)")
        form = QFormLayout()
        form.addRow("Subject id:", self.subject_edit)
        form.addRow("Time per state:", self.minutes)
        form.addRow("Block length:", self.block_s)
        form.addRow("Rest between blocks:", self.rest_s)
        form.addRow("", self.full_screen)

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("QLabel { color: #c92a2a; }")
        self.outcome_label = QLabel()
        self.outcome_label.setWordWrap(True)
        self.outcome_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Start recording and show the first block")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(lambda _=False: self.start_requested.emit())
        self.cancel_button = QPushButton("Close")
        self.cancel_button.setToolTip("Close without calibrating")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self.states_group)
        layout.addLayout(form)
        layout.addWidget(self.summary_label)
        layout.addStretch(1)
        layout.addWidget(self.outcome_label)
        layout.addWidget(self.problems_label)
        layout.addLayout(buttons)
        for w in (self.minutes, self.block_s, self.rest_s):
            w.valueChanged.connect(lambda _=0: self._update_summary())
        self.subject_edit.textChanged.connect(lambda _="": self._update_summary())
        self._problems: list[str] = []

    @property
    def problems_text(self) -> str:
        """What stops the calibration from starting ("" when nothing)."""
        return self.problems_label.text()

    def chosen_states(self) -> tuple[str, ...]:
        """The ticked states, in their listed order."""
        return tuple(s for s, box in self.state_boxes.items() if box.isChecked())

    def setup(self) -> CalibrationSetup:
        """The choices as a :class:`CalibrationSetup`."""
        return CalibrationSetup(
            states=self.chosen_states(),
            per_state_s=round(self.minutes.value() * 60.0, 3),
            block_s=float(self.block_s.value()),
            rest_s=float(self.rest_s.value()),
            subject=self.subject_edit.text().strip(),
            seed=self.seed,
            full_screen=self.full_screen.isChecked(),
        )

    def set_states(self, states: Sequence[str]) -> None:
        """Offer these states (all ticked when the list changes)."""
        if tuple(states) == tuple(self.state_boxes):
            return
        for box in self.state_boxes.values():
            self._states_grid.removeWidget(box)
            box.deleteLater()
        self.state_boxes = {}
        for i, s in enumerate(states):
            box = QCheckBox(s)
            box.setChecked(True)
            box.setToolTip(HINTS.get(s, _GENERIC_HINT))
            box.toggled.connect(lambda _=False: self._update_summary())
            self._states_grid.addWidget(box, i // 4, i % 4)
            self.state_boxes[s] = box
        self._update_summary()

    def set_problems(self, problems: list[str]) -> None:
        """Enable Start only when ``problems`` is empty; else say why it is disabled."""
        self._problems = problems
        self.start_button.setEnabled(not problems)
        self.problems_label.setText(
            ("Cannot start yet: " + " ".join(problems)) if problems else ""
        )

    @property
    def outcome_text(self) -> str:
        """How the last attempt ended ("" before any)."""
        return self.outcome_label.text()

    def show_outcome(self, text: str) -> None:
        """Say how the last attempt ended (why it did not start, cancelled, failed)."""
        self.outcome_label.setText(text)

    def _update_summary(self) -> None:
        s = self.setup()
        n_states = len(s.states)
        per = max(1, round(s.per_state_s / s.block_s)) if s.block_s > 0 else 0
        blocks = per * n_states
        total = blocks * s.block_s + max(0, blocks - 1) * s.rest_s
        self.summary_label.setText(
            f"{blocks} blocks of {s.block_s:g} s ({per} per state, {n_states} states), "
            f"about {total / 60:.1f} min with rests."
        )
        self.changed.emit()


class RunPage(QWidget):
    """The prompt: the state in very large type, a countdown and the overall progress.

    Attributes tests can read
    -------------------------
    state_text : str
        The state shown (or "Rest", "Get ready").
    countdown_text : str
    phase_text : str
        "Block 3 of 8", "Rest", "Get ready".
    progress : QProgressBar
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calibration_run")
        self.phase_label = QLabel()
        self.phase_label.setFont(_font(18))
        self.state_label = QLabel()
        self.state_label.setFont(_font(72, True))
        self.hint_label = QLabel()
        self.hint_label.setFont(_font(16))
        self.hint_label.setWordWrap(True)
        self.countdown_label = QLabel()
        self.countdown_label.setFont(_font(40))
        self.next_label = QLabel()
        self.next_label.setFont(_font(14))
        for label in (
            self.phase_label,
            self.state_label,
            self.hint_label,
            self.countdown_label,
            self.next_label,
        ):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p% done")
        self.progress.setToolTip("Progress through all the blocks")
        self.cancel_button = QPushButton("Cancel (Esc)")
        self.cancel_button.setToolTip("Stop the calibration; the recording is kept")
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 30, 40, 30)
        layout.addWidget(self.phase_label)
        layout.addStretch(1)
        layout.addWidget(self.state_label)
        layout.addWidget(self.hint_label)
        layout.addSpacing(20)
        layout.addWidget(self.countdown_label)
        layout.addStretch(1)
        layout.addWidget(self.next_label)
        layout.addLayout(bottom)

    @property
    def state_text(self) -> str:
        """The big word shown now."""
        return self.state_label.text()

    @property
    def countdown_text(self) -> str:
        """The countdown shown now (m:ss)."""
        return self.countdown_label.text()

    @property
    def phase_text(self) -> str:
        """Where in the calibration we are."""
        return self.phase_label.text()

    def scale_type(self, height: int) -> None:
        """Size the state's name for a window ``height`` pixels tall."""
        f = self.state_label.font()
        f.setPixelSize(max(48, min(220, height // 6)))
        self.state_label.setFont(f)
        c = self.countdown_label.font()
        c.setPixelSize(max(32, min(120, height // 12)))
        self.countdown_label.setFont(c)

    def show_waiting(self, text: str) -> None:
        """A message instead of a block (starting, saving)."""
        self.phase_label.setText("")
        self.state_label.setText("")
        self.hint_label.setText(text)
        self.countdown_label.setText("")
        self.next_label.setText("")

    def show_progress(self, timeline: Timeline, now: float, states: Sequence[str]) -> None:
        """Show the segment running at stream time ``now``."""
        seg = timeline.at(now)
        n = timeline.n_blocks
        self.progress.setValue(round(1000 * timeline.progress(now)))
        if now < timeline.start_s:
            first = timeline.segments[0].state
            self._show("Get ready", "Get ready", f"First: {first}", timeline.start_s - now, "")
        elif seg is None:
            self._show("Done", "Done", "Saving the recording…", 0.0, "")
        elif seg.kind == "block":
            nxt = next(
                (s.state for s in timeline.segments if s.kind == "block" and s.block > seg.block),
                None,
            )
            self._show(
                f"Block {seg.block + 1} of {n}",
                seg.state,
                HINTS.get(seg.state, _GENERIC_HINT),
                seg.end_s - now,
                f"Next: {nxt}" if nxt else "Last block",
            )
        else:
            self._show(
                f"Rest after block {seg.block + 1} of {n}",
                "Rest",
                "Relax your face and shoulders; blink if you need to.",
                seg.end_s - now,
                f"Next: {seg.state}",
            )

    def _show(self, phase: str, state: str, hint: str, remaining: float, nxt: str) -> None:
        for label, text in (
            (self.phase_label, phase),
            (self.state_label, state),
            (self.hint_label, hint),
            (self.countdown_label, _clock(remaining)),
            (self.next_label, nxt),
        ):
            if label.text() != text:
                label.setText(text)


class ResultPage(QWidget):
    """Training progress, then the accuracy, the confusion matrix and Activate.

    Attributes tests can read
    -------------------------
    accuracy_text : str
    matrix : QTableWidget
        Rows: true state; columns: predicted state.
    status_text : str
    activate_button, again_button, close_button : QPushButton
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_label = QLabel()
        self.title_label.setFont(_font(16, True))
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.accuracy_label = QLabel()
        self.accuracy_label.setFont(_font(28, True))
        self.accuracy_label.setToolTip(
            "Share of windows classified correctly when whole blocks are held out: windows "
            "of one block are never on both sides of a split"
        )
        self.details_label = QLabel()
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        matrix_title = QLabel("Confusion matrix (rows: the state asked for; columns: predicted)")
        self.matrix_title = matrix_title
        self.matrix = QTableWidget(0, 0)
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setToolTip("How many windows of each true state were predicted as each state")
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.matrix.setFont(_font(12))
        self.next_label = QLabel()
        self.next_label.setWordWrap(True)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setMinimumHeight(2 * self.status_label.fontMetrics().lineSpacing() + 4)
        self.activate_button = QPushButton("Activate")
        self.activate_button.setToolTip(
            "Import the model into your models, make it active and use it now"
        )
        self.again_button = QPushButton("Calibrate again")
        self.again_button.setToolTip("Back to the set-up page")
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Close this window (the model file stays)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.again_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.activate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(self.title_label)
        layout.addWidget(self.busy)
        layout.addWidget(self.accuracy_label)
        layout.addWidget(self.details_label)
        layout.addWidget(matrix_title)
        layout.addWidget(self.matrix)
        layout.addWidget(self.next_label)
        layout.addStretch(1)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)

    @property
    def accuracy_text(self) -> str:
        """The accuracy line."""
        return self.accuracy_label.text()

    @property
    def status_text(self) -> str:
        """The last status line (activation)."""
        return self.status_label.text()

    def matrix_rows(self) -> list[list[int]]:
        """The confusion matrix as shown."""
        m = self.matrix
        return [
            [int(m.item(r, c).text()) for c in range(m.columnCount())] for r in range(m.rowCount())
        ]

    def show_training(self, folder: Path) -> None:
        """Training runs."""
        self.title_label.setText("Training the personal model…")
        self.busy.show()
        self.accuracy_label.setText("")
        self.details_label.setText(f"On the recording {folder}")
        self.matrix_title.hide()
        self.matrix.hide()
        self.next_label.hide()
        self.status_label.setText("")
        for b in (self.activate_button, self.again_button):
            b.setEnabled(False)

    def show_report(self, report: TrainReport, folder: Path | None) -> None:
        """Show a finished training."""
        classes = report.metadata.classes
        self.title_label.setText(f"Personal model {report.metadata.label}")
        self.busy.hide()
        self.accuracy_label.setText(f"Cross-validated accuracy: {100 * report.cv_accuracy:.1f}%")
        self.details_label.setText(
            f"Chance level: {100 / len(classes):.0f}%. {report.n_windows} windows from "
            f"{report.n_blocks} blocks, {report.folds}-fold cross-validation by block (windows "
            f"of one block are never on both sides of a split).\nModel file: {report.path}\n"
            f"Recording: {folder}"
        )
        m = self.matrix
        m.setRowCount(len(classes))
        m.setColumnCount(len(classes))
        m.setHorizontalHeaderLabels([f"→ {c}" for c in classes])
        m.setVerticalHeaderLabels(list(classes))
        for r, row in enumerate(report.confusion_matrix):
            for c, v in enumerate(row):
                item = QTableWidgetItem(str(v))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if r == c:
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                m.setItem(r, c, item)
        m.resizeRowsToContents()
        height = m.horizontalHeader().sizeHint().height() + 2 * m.frameWidth()
        height += sum(m.rowHeight(r) for r in range(m.rowCount()))
        m.setFixedHeight(height)
        self.matrix_title.show()
        m.show()
        self.next_label.setText(
            "This accuracy is measured on this recording; a later session of the same person "
            "usually scores lower. Activate the model to use it now: it is validated again "
            "first, and the active model stays active if it is refused."
        )
        self.next_label.show()
        self.status_label.setText("")
        self.activate_button.setEnabled(True)
        self.activate_button.setDefault(True)
        self.again_button.setEnabled(True)

    def show_failure(self, text: str) -> None:
        """Training failed."""
        self.title_label.setText("Training failed")
        self.busy.hide()
        self.accuracy_label.setText("")
        self.details_label.setText(text)
        self.matrix_title.hide()
        self.matrix.hide()
        self.next_label.hide()
        self.activate_button.setEnabled(False)
        self.again_button.setEnabled(True)

    def show_activating(self, label: str) -> None:
        """Activation runs."""
        self.status_label.setText(f"Importing and activating {label}…")
        self.activate_button.setEnabled(False)

    def show_activated(self, text: str, ok: bool) -> None:
        """Activation finished."""
        self.status_label.setText(text)
        self.activate_button.setEnabled(not ok)
