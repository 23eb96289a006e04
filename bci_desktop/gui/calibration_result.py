"""The verdict on a personal model: accuracy, chance and the permutation test side by side.

A plain sentence first ("Better than chance: p = 0.0099." or "Not better than chance
(p = 0.43): do not use this model."), then three figures side by side: the balanced
accuracy with its spread over the folds, the chance level (with what always answering the
most frequent state would score) and the permutation test's p-value. **Activate** is
disabled for a model that is not better than chance; a box that says what it means
("its predictions would be no better than guessing") lets the user activate it anyway.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.calibration.train import TrainReport
from bci_desktop.core.calibration.verdict import p_text

__all__ = ["ResultPage"]

_GOOD, _BAD = "#2b8a3e", "#c92a2a"


def _font(points: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(points)
    f.setBold(bold)
    return f


class _Figure(QFrame):
    """One figure: a caption, a big number, a line under it."""

    def __init__(self, caption: str, tip: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setToolTip(tip)
        self.caption = QLabel(caption)
        self.value = QLabel()
        self.value.setFont(_font(26, True))
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        for w in (self.caption, self.value, self.note):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(w)

    def set(self, value: str, note: str) -> None:
        self.value.setText(value)
        self.note.setText(note)


class ResultPage(QWidget):
    """Training progress, then the verdict (see the module docstring).

    Attributes tests can read
    -------------------------
    verdict_text, accuracy_text, chance_text, p_text, status_text : str
    matrix : QTableWidget
    activate_button, override_box, labels_button, again_button, close_button
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: TrainReport | None = None
        self.title_label = QLabel()
        self.title_label.setFont(_font(16, True))
        self.busy = QProgressBar()
        self.busy.setTextVisible(True)
        self.verdict_label = QLabel()
        self.verdict_label.setFont(_font(20, True))
        self.verdict_label.setWordWrap(True)
        self.accuracy = _Figure(
            "Balanced accuracy (cross-validated by block)",
            "The mean over states of the share of each state's windows recognised, with whole "
            "blocks held out: a block's windows are never on both sides of a split",
        )
        self.chance = _Figure(
            "Chance level",
            "What a guess that ignores the EEG scores: one over the number of states",
        )
        self.test = _Figure(
            "Permutation test",
            "The block labels were shuffled and the cross-validation run again; p is the share "
            "of shuffles that scored at least as well as the real labels",
        )
        figures = QHBoxLayout()
        for w in (self.accuracy, self.chance, self.test):
            figures.addWidget(w, 1)
        self.details_label = QLabel()
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.matrix_title = QLabel(
            "Confusion matrix (rows: the block's state; columns: predicted)"
        )
        self.matrix = QTableWidget(0, 0)
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.override_box = QCheckBox(
            "Activate it anyway: I understand its predictions would be no better than guessing "
            "(for trying the app only, never to judge how a person feels)"
        )
        self.override_box.toggled.connect(lambda _=False: self._enable_activate())
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.activate_button = QPushButton("Activate")
        self.activate_button.setToolTip("Import the model, make it active and use it now")
        self.labels_button = QPushButton("Change labels…")
        self.labels_button.setToolTip(
            "Back to the blocks: other labels, other blocks, more sessions"
        )
        self.again_button = QPushButton("Calibrate again")
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.labels_button)
        buttons.addWidget(self.again_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.activate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addWidget(self.title_label)
        layout.addWidget(self.busy)
        layout.addWidget(self.verdict_label)
        layout.addLayout(figures)
        layout.addWidget(self.details_label)
        layout.addWidget(self.matrix_title)
        layout.addWidget(self.matrix)
        layout.addStretch(1)
        layout.addWidget(self.override_box)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self._activated = False

    # -- reading -----------------------------------------------------------------------------
    @property
    def verdict_text(self) -> str:
        """The plain sentence."""
        return self.verdict_label.text()

    @property
    def accuracy_text(self) -> str:
        """The balanced accuracy as shown."""
        return self.accuracy.value.text()

    @property
    def chance_text(self) -> str:
        """The chance level as shown."""
        return self.chance.value.text()

    @property
    def p_text(self) -> str:
        """The p-value as shown."""
        return self.test.value.text()

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

    # -- states of the page ------------------------------------------------------------------
    def _show_result_widgets(self, shown: bool) -> None:
        for w in (self.verdict_label, self.accuracy, self.chance, self.test, self.details_label,
                  self.matrix_title, self.matrix):  # fmt: skip
            w.setVisible(shown)

    def show_training(self, sessions: list[Path]) -> None:
        """Training runs."""
        self.report = None
        self.title_label.setText("Training the personal model…")
        self.busy.setRange(0, 0)
        self.busy.setFormat("Computing the features")
        self.busy.show()
        self._show_result_widgets(False)
        self.details_label.setText("On " + ", ".join(p.name for p in sessions))
        self.details_label.show()
        self.override_box.hide()
        self.status_label.setText("")
        for b in (self.activate_button, self.again_button, self.labels_button):
            b.setEnabled(False)

    def show_progress(self, done: int, total: int) -> None:
        """The permutation test is running."""
        self.busy.setRange(0, total)
        self.busy.setValue(done)
        self.busy.setFormat(f"Testing against chance: {done} of {total} label permutations")

    def show_report(self, report: TrainReport, sessions: list[Path]) -> None:
        """Show the verdict of a finished training."""
        self.report = report
        v = report.verdict
        self.title_label.setText(f"Personal model {report.metadata.label}")
        self.busy.hide()
        self._show_result_widgets(True)
        good = v.better_than_chance
        self.verdict_label.setText(v.sentence())
        self.verdict_label.setStyleSheet(f"QLabel {{ color: {_GOOD if good else _BAD}; }}")
        lo, hi = min(v.fold_scores), max(v.fold_scores)
        self.accuracy.set(
            f"{100 * v.balanced_accuracy:.1f}%",
            f"± {100 * v.spread:.1f} over {len(v.fold_scores)} folds "
            f"({100 * lo:.0f}-{100 * hi:.0f}%)",
        )
        self.chance.set(
            f"{100 * v.chance:.1f}%",
            f"{len(v.classes)} states; always answering '{v.majority_class}' scores "
            f"{100 * v.majority_accuracy:.1f}% of windows",
        )
        limit = "" if v.p_value > v.smallest_p else " (the smallest this test can give)"
        self.test.set(p_text(v.p_value), f"{v.permutations} label permutations{limit}")
        left = f" Left out: {'; '.join(report.left_out)}." if report.left_out else ""
        self.details_label.setText(
            f"{v.n_windows} windows of {v.n_blocks} blocks, labels from the "
            f"{report.label_source.value}, {v.folds}-fold cross-validation by block; plain "
            f"accuracy {100 * v.accuracy:.1f}%.{left}\nModel file: {report.path}\n"
            f"Recordings: {', '.join(str(p) for p in sessions)}"
        )
        m = self.matrix
        m.setRowCount(len(v.classes))
        m.setColumnCount(len(v.classes))
        m.setHorizontalHeaderLabels([f"→ {c}" for c in v.classes])
        m.setVerticalHeaderLabels(list(v.classes))
        for r, row in enumerate(v.confusion):
            for c, value in enumerate(row):
                item = QTableWidgetItem(str(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if r == c:
                    item.setFont(_font(10, True))
                m.setItem(r, c, item)
        m.resizeRowsToContents()
        height = m.horizontalHeader().sizeHint().height() + 2 * m.frameWidth()
        m.setFixedHeight(height + sum(m.rowHeight(r) for r in range(m.rowCount())))
        self.override_box.setChecked(False)
        self.override_box.setVisible(not good)
        self._activated = False
        self.status_label.setText(
            "This accuracy is measured on these recordings; a later session of the same person "
            "usually scores lower."
            if good
            else "Activate is disabled: this model does not tell the states apart better than "
            "guessing. Calibrate again (other inductions, more blocks), or check the electrodes."
        )
        self.labels_button.setEnabled(True)
        self.again_button.setEnabled(True)
        self._enable_activate()

    def _enable_activate(self) -> None:
        report = self.report
        allowed = report is not None and (
            report.verdict.better_than_chance or self.override_box.isChecked()
        )
        self.activate_button.setEnabled(bool(allowed) and not self._activated)
        self.activate_button.setDefault(bool(allowed))

    @property
    def may_activate(self) -> bool:
        """True when Activate is allowed (better than chance, or overridden)."""
        report = self.report
        return report is not None and (
            report.verdict.better_than_chance or self.override_box.isChecked()
        )

    def show_failure(self, text: str) -> None:
        """Training failed."""
        self.report = None
        self.title_label.setText("Training failed")
        self.busy.hide()
        self._show_result_widgets(False)
        self.details_label.setText(text)
        self.details_label.show()
        self.override_box.hide()
        self.activate_button.setEnabled(False)
        self.labels_button.setEnabled(True)
        self.again_button.setEnabled(True)

    def show_activating(self, label: str) -> None:
        """Activation runs."""
        self.status_label.setText(f"Importing and activating {label}…")
        self.activate_button.setEnabled(False)

    def show_activated(self, text: str, ok: bool) -> None:
        """Activation finished."""
        self._activated = ok
        self.status_label.setText(text)
        self._enable_activate()
