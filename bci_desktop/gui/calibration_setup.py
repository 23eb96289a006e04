"""The calibration's first page: the protocol, the person, and what stops a Start.

The page edits a :class:`~bci_desktop.core.calibration.protocol.CalibrationProtocol`: the
built-in one (recall and imagery for calm, happy, sad and stressed) or one opened from a
file; the states to use, the number and length of blocks, rests, the order, the
self-report and a folder of stimuli per state can be changed here and saved as a file to
use with other people. Start stays disabled, with the reasons in red, while anything
would make the calibration fail (the dialog runs the checks of
:mod:`bci_desktop.core.calibration.preflight`).
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.calibration.order import Order
from bci_desktop.core.calibration.protocol import (
    CalibrationProtocol,
    ProtocolError,
    default_protocol,
)
from bci_desktop.core.errors import ConfigError

__all__ = ["SUBJECT_PATTERN", "SetupPage"]

#: Subject ids usable in a model name (pseudonymous: no names, please).
SUBJECT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,40}$")


def _bold(points: int) -> QFont:
    f = QFont()
    f.setPointSize(points)
    f.setBold(True)
    return f


def _spin(lo: int, hi: int, value: int, suffix: str, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setToolTip(tip)
    return box


class SetupPage(QWidget):
    """Protocol, subject, Start (see the module docstring).

    Signals
    -------
    start_requested(), resume_requested(), retrain_requested()
    changed()
        A choice changed (the dialog checks again what stops a Start).

    Attributes tests can read
    -------------------------
    state_boxes : dict of str to QCheckBox
    blocks, block_s, rest_s, prepare_s, image_s : QSpinBox
    order_box : QComboBox
    self_report : QCheckBox
    subject_edit : QLineEdit
    start_button, resume_button, retrain_button, cancel_button : QPushButton
    """

    start_requested = pyqtSignal()
    resume_requested = pyqtSignal()
    retrain_requested = pyqtSignal()
    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base = default_protocol()
        self.source = "built-in"
        self.stimuli: dict[str, tuple[str, ...]] = {}
        self.state_boxes: dict[str, QCheckBox] = {}
        self._stimulus_labels: dict[str, QLabel] = {}
        self._loading = False

        title = QLabel("Calibrate a personal model")
        title.setFont(_bold(16))
        intro = QLabel(
            "The person is led through blocks of each state: instructions to relive a moment "
            "of their own life (and your images, sounds or films, if you add them), then a "
            "short rating of how they felt, then a rest. The session is recorded; at the end a "
            "model is trained for this person and tested against chance."
        )
        intro.setWordWrap(True)

        self.protocol_label = QLabel()
        self.protocol_label.setWordWrap(True)
        self.open_button = QPushButton("Open protocol…")
        self.open_button.setToolTip("Use a calibration protocol file (JSON)")
        self.save_button = QPushButton("Save protocol as…")
        self.save_button.setToolTip("Save these settings as a protocol file to use with others")
        proto_row = QHBoxLayout()
        proto_row.addWidget(self.protocol_label, 1)
        proto_row.addWidget(self.open_button)
        proto_row.addWidget(self.save_button)

        self.states_group = QGroupBox("States and their stimuli")
        self.states_group.setToolTip(
            "Tick the states to calibrate (two or more). Without stimuli a state is induced by "
            "recall instructions; add a folder of images, sounds or films to show them instead."
        )
        self._states_grid = QGridLayout(self.states_group)

        self.blocks = _spin(2, 50, 3, " per state", "Blocks of each state (at least 2)")
        self.block_s = _spin(5, 600, 30, " s", "Length of one block")
        self.rest_s = _spin(0, 600, 10, " s", "Rest (fixation cross) after each block")
        self.prepare_s = _spin(0, 120, 8, " s", "Instructions shown before each block")
        self.image_s = _spin(1, 600, 6, " s", "How long each image is shown")
        self.order_box = QComboBox()
        self.order_box.addItem("Random (each round shuffled)", Order.RANDOM)
        self.order_box.addItem("Counterbalanced (Latin square)", Order.COUNTERBALANCED)
        self.order_box.setToolTip("How the blocks are ordered")
        self.self_report = QCheckBox("Ask how they felt after each block (valence, arousal)")
        self.self_report.setChecked(True)
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText("e.g. S01 (a code, not a name)")
        self.subject_edit.setToolTip("Pseudonymous subject id: names the recording and the model")
        self.full_screen = QCheckBox("Full screen during the blocks")
        self.full_screen.setChecked(True)
        self.subject_edit.setMinimumWidth(260)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("Subject id:", self.subject_edit)
        form.addRow("Blocks:", self.blocks)
        form.addRow("Block length:", self.block_s)
        form.addRow("Rest after each block:", self.rest_s)
        form.addRow("Instructions before each block:", self.prepare_s)
        form.addRow("Each image:", self.image_s)
        form.addRow("Order:", self.order_box)
        form.addRow("", self.self_report)
        form.addRow("", self.full_screen)

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.resume_label = QLabel()
        self.resume_label.setWordWrap(True)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Run the blocks an interrupted calibration did not reach")
        self.retrain_button = QPushButton("Retrain from recordings…")
        self.retrain_button.setToolTip(
            "Train a new model of this person from their calibration recordings, without "
            "recording again (add a later session to an earlier one)"
        )
        resume_row = QHBoxLayout()
        resume_row.addWidget(self.resume_label, 1)
        resume_row.addWidget(self.resume_button)
        resume_row.addWidget(self.retrain_button)
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("QLabel { color: #c92a2a; }")
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome_label = QLabel()
        self.outcome_label.setWordWrap(True)
        self.outcome_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.start_button.setToolTip("Start recording and show the first block")
        self.cancel_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(proto_row)
        layout.addWidget(self.states_group)
        layout.addLayout(form)
        layout.addWidget(self.summary_label)
        layout.addLayout(resume_row)
        layout.addStretch(1)
        layout.addWidget(self.outcome_label)
        layout.addWidget(self.warnings_label)
        layout.addWidget(self.problems_label)
        layout.addLayout(buttons)

        self.start_button.clicked.connect(lambda _=False: self.start_requested.emit())
        self.resume_button.clicked.connect(lambda _=False: self.resume_requested.emit())
        self.retrain_button.clicked.connect(lambda _=False: self.retrain_requested.emit())
        self.open_button.clicked.connect(lambda _=False: self._open_dialog())
        self.save_button.clicked.connect(lambda _=False: self._save_dialog())
        for w in (self.blocks, self.block_s, self.rest_s, self.prepare_s, self.image_s):
            w.valueChanged.connect(lambda _=0: self._changed())
        self.order_box.currentIndexChanged.connect(lambda _=0: self._changed())
        self.self_report.toggled.connect(lambda _=False: self._changed())
        self.subject_edit.textChanged.connect(lambda _="": self._changed())
        self.set_resume(None)
        self._apply(self.base)

    # -- the protocol ------------------------------------------------------------------------
    def _apply(self, protocol: CalibrationProtocol) -> None:
        """Show ``protocol`` in the widgets."""
        self._loading = True
        self.base = protocol
        self.stimuli = {s.name: s.stimuli for s in protocol.states}
        while self._states_grid.count():  # the rows of the previous protocol go at once
            item = self._states_grid.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                old.hide()
                old.setParent(None)
                old.deleteLater()
        self.state_boxes, self._stimulus_labels = {}, {}
        for row, state in enumerate(protocol.states):
            box = QCheckBox(state.name)
            box.setChecked(True)
            box.setToolTip(state.shown_instructions)
            box.toggled.connect(lambda _=False: self._changed())
            label = QLabel()
            choose = QPushButton("Stimuli…")
            choose.setToolTip(f"Choose a folder of images, sounds or films for {state.name}")
            choose.clicked.connect(lambda _=False, s=state.name: self._choose_folder(s))
            clear = QPushButton("Recall only")
            clear.setToolTip(f"No stimuli for {state.name}: recall instructions only")
            clear.clicked.connect(lambda _=False, s=state.name: self.set_stimuli(s, ()))
            self._states_grid.addWidget(box, row, 0)
            self._states_grid.addWidget(label, row, 1)
            self._states_grid.addWidget(choose, row, 2)
            self._states_grid.addWidget(clear, row, 3)
            self._states_grid.setColumnStretch(1, 1)
            self.state_boxes[state.name] = box
            self._stimulus_labels[state.name] = label
        self.blocks.setValue(protocol.blocks_per_state)
        self.block_s.setValue(round(protocol.block_s))
        self.rest_s.setValue(round(protocol.rest_s))
        self.prepare_s.setValue(round(protocol.prepare_s))
        self.image_s.setValue(round(protocol.image_s))
        self.order_box.setCurrentIndex(0 if protocol.order is Order.RANDOM else 1)
        self.self_report.setChecked(protocol.self_report)
        self._loading = False
        self._changed()

    def load_protocol(self, path: str | Path) -> str | None:
        """Use the protocol file at ``path``; the problem if it cannot be used."""
        try:
            protocol = CalibrationProtocol.load(path)
        except ProtocolError as exc:
            self.show_outcome(f"Protocol not opened: {exc}")
            return str(exc)
        self.source = str(Path(path).expanduser())
        self._apply(protocol)
        self.show_outcome(f"Opened the protocol {self.source}.")
        return None

    def set_stimuli(self, state: str, paths: tuple[str, ...]) -> None:
        """Show ``paths`` (files or folders) during the blocks of ``state``."""
        self.stimuli[state] = tuple(paths)
        self._changed()

    def protocol(self) -> CalibrationProtocol:
        """The protocol as set on this page.

        Raises
        ------
        ConfigError
            If it is not a valid protocol (fewer than two states ticked...).
        """
        chosen = [s for s in self.base.states if self.state_boxes[s.name].isChecked()]
        states = tuple(replace(s, stimuli=self.stimuli.get(s.name, s.stimuli)) for s in chosen)
        return replace(
            self.base,
            states=states,
            blocks_per_state=self.blocks.value(),
            block_s=float(self.block_s.value()),
            rest_s=float(self.rest_s.value()),
            prepare_s=float(self.prepare_s.value()),
            image_s=float(self.image_s.value()),
            order=self.order_box.currentData(),
            self_report=self.self_report.isChecked(),
        )

    @property
    def subject(self) -> str:
        """The subject id typed."""
        return self.subject_edit.text().strip()

    def subject_problem(self) -> str | None:
        """Why the subject id cannot be used (``None``: it can)."""
        if SUBJECT_PATTERN.match(self.subject):
            return None
        return "Enter a subject id: letters, digits, '.', '_', '+' or '-' (it names the model)."

    def draw_seed(self) -> int:
        """A new seed for the order (saved with the recording)."""
        return random.randrange(2**31 - 1)

    # -- what the page says ------------------------------------------------------------------
    def _changed(self) -> None:
        if self._loading:
            return
        where = "built-in" if self.source == "built-in" else self.source
        self.protocol_label.setText(f"Protocol: <b>{self.base.name}</b> ({where})")
        for state, label in self._stimulus_labels.items():
            paths = self.stimuli.get(state, ())
            label.setText(
                "recall instructions" if not paths else ", ".join(Path(p).name or p for p in paths)
            )
            label.setToolTip("\n".join(paths))
        try:
            p = self.protocol()
        except ConfigError as exc:
            self.summary_label.setText(str(exc))
        else:
            minutes = p.duration_s / 60
            rating = " plus a rating after each block" if p.self_report else ""
            self.summary_label.setText(
                f"{p.n_blocks} blocks of {p.block_s:g} s ({p.blocks_per_state} per state, "
                f"{len(p.states)} states): about {minutes:.1f} min{rating}."
            )
        self.changed.emit()

    def set_problems(self, problems: list[str], warnings: list[str] | None = None) -> None:
        """Enable Start only when ``problems`` is empty; else say why it is disabled."""
        self.start_button.setEnabled(not problems)
        self.problems_label.setText(("Cannot start: " + " ".join(problems)) if problems else "")
        self.warnings_label.setText(" ".join(warnings or []))

    @property
    def problems_text(self) -> str:
        """Why Start is disabled ("" when it is not)."""
        return self.problems_label.text()

    @property
    def outcome_text(self) -> str:
        """How the last attempt ended."""
        return self.outcome_label.text()

    def show_outcome(self, text: str) -> None:
        """Say how the last attempt ended (not started, cancelled, failed)."""
        self.outcome_label.setText(text)

    def set_resume(self, text: str | None) -> None:
        """Offer to resume an interrupted calibration (``None``: none to resume)."""
        self.resume_label.setText(text or "")
        self.resume_button.setVisible(text is not None)
        self.resume_button.setEnabled(text is not None)

    # -- file dialogs ------------------------------------------------------------------------
    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a calibration protocol", "", "Calibration protocols (*.json)"
        )
        if path:
            self.load_protocol(path)

    def _save_dialog(self) -> None:
        try:
            protocol = self.protocol()
        except ConfigError as exc:
            self.show_outcome(f"Not saved: {exc}")
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save the calibration protocol",
            "protocol.json",
            "Calibration protocols (*.json)",
        )
        if path:
            self.save_protocol(protocol, path)

    def save_protocol(self, protocol: CalibrationProtocol, path: str | Path) -> bool:
        """Save ``protocol`` to ``path`` (stimulus folders relative to it where possible)."""
        target = Path(path).expanduser()
        states = tuple(
            replace(
                s, stimuli=tuple(_relative(protocol.resolve(p), target.parent) for p in s.stimuli)
            )
            for s in protocol.states
        )
        try:
            replace(protocol, states=states, seed=None).save(target)
        except ConfigError as exc:
            self.show_outcome(f"Not saved: {exc}")
            return False
        self.show_outcome(f"Saved the protocol to {target}.")
        return True

    def _choose_folder(self, state: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, f"Stimuli for {state}")
        if folder:
            self.set_stimuli(state, (folder,))


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)
