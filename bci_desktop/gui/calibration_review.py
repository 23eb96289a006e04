"""Before training: the blocks, what each self-report says, and where the labels come from.

Every block of the chosen sessions is listed with its state, the ratings, the state the
ratings point to and whether they agree. Blocks whose rating contradicts the state they
were meant to induce are highlighted; they can be left out one by one or all at once. The
labels come from the protocol (the state each block was meant to induce) or from the
ratings (the valence/arousal quadrant the person reported): the user chooses. Earlier
calibration sessions of the same person can be added, to retrain with more data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QBrush, QColor, QFont
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.calibration.ratings import Agreement
from bci_desktop.core.calibration.record import CalibrationRecord
from bci_desktop.core.calibration.train import BlockReview, LabelSource, review_blocks

__all__ = ["ReviewPage"]

_COLUMNS = ("Use", "Session", "Block", "State", "Valence", "Arousal", "Rating says", "Agreement")
_CONTRADICTS = QColor(250, 82, 82, 60)


class ReviewPage(QWidget):
    """The blocks and the label choice (see the module docstring).

    Signals
    -------
    train_requested(), back_requested()

    Attributes tests can read
    -------------------------
    table : QTableWidget
    protocol_labels, rating_labels : QRadioButton
    leave_out_button, train_button, back_button : QPushButton
    session_boxes : dict of str to QCheckBox
        The sessions offered, by folder name.
    """

    train_requested = pyqtSignal()
    back_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records: list[CalibrationRecord] = []
        self._reviews: list[BlockReview] = []
        self._use: dict[str, QCheckBox] = {}
        self.session_boxes: dict[str, QCheckBox] = {}
        title = QLabel("Check the blocks, then train")
        f = QFont()
        f.setPointSize(16)
        f.setBold(True)
        title.setFont(f)
        self.sessions_label = QLabel("Sessions:")
        self._sessions_row = QHBoxLayout()
        self._sessions_row.addWidget(self.sessions_label)
        self._sessions_row.addStretch(1)
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.protocol_labels = QRadioButton(
            "Labels from the protocol: the state each block was meant to induce"
        )
        self.rating_labels = QRadioButton(
            "Labels from the ratings: the state whose quadrant (valence, arousal) the person "
            "reported; a block whose rating fits no state is left out"
        )
        self.protocol_labels.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.protocol_labels)
        group.addButton(self.rating_labels)
        self.leave_out_button = QPushButton("Leave out the blocks that contradict")
        self.leave_out_button.setToolTip(
            "Untick every block whose rating is on the other side of valence or arousal than "
            "its state"
        )
        self.back_button = QPushButton("Back")
        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.train_button.setToolTip(
            "Train on the ticked blocks; test the model against chance (a permutation test)"
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.leave_out_button)
        buttons.addStretch(1)
        buttons.addWidget(self.train_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addWidget(title)
        layout.addLayout(self._sessions_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.protocol_labels)
        layout.addWidget(self.rating_labels)
        layout.addLayout(buttons)
        self.leave_out_button.clicked.connect(lambda _=False: self.leave_out_contradicting())
        self.train_button.clicked.connect(lambda _=False: self.train_requested.emit())
        self.back_button.clicked.connect(lambda _=False: self.back_requested.emit())

    # -- filling -----------------------------------------------------------------------------
    def set_records(self, records: Sequence[CalibrationRecord], chosen: Sequence[Path]) -> None:
        """Offer these sessions; tick those in ``chosen``."""
        self._records = list(records)
        for box in self.session_boxes.values():
            self._sessions_row.removeWidget(box)
            box.deleteLater()
        self.session_boxes = {}
        picked = {Path(p).name for p in chosen}
        for i, rec in enumerate(self._records):
            name = rec.folder.name
            done = sum(b.complete for b in rec.blocks)
            box = QCheckBox(f"{name} ({done} blocks)")
            box.setChecked(name in picked)
            box.setToolTip(f"{rec.folder}\nprotocol '{rec.protocol.name}', started {rec.started}")
            box.toggled.connect(lambda _=False: self._fill())
            self._sessions_row.insertWidget(1 + i, box)
            self.session_boxes[name] = box
        self._fill()

    def _fill(self) -> None:
        unticked = {k for k, box in self._use.items() if not box.isChecked()}
        self._reviews = review_blocks([r for r in self._records if self._chosen(r)])
        t = self.table
        t.setRowCount(len(self._reviews))
        self._use = {}
        for row, r in enumerate(self._reviews):
            b = r.block
            use = QCheckBox()
            use.setChecked(b.complete and b.key not in unticked)
            use.setEnabled(b.complete)
            use.setToolTip(
                "Use this block for training" if b.complete else "This block did not finish"
            )
            use.toggled.connect(lambda _=False: self._summarise())
            t.setCellWidget(row, 0, use)
            self._use[b.key] = use
            agreement = r.agreement.value if b.complete else "incomplete"
            values = (
                b.session.name,
                str(b.index + 1),
                b.state,
                "–" if b.report is None else str(b.report.valence),
                "–" if b.report is None else str(b.report.arousal),
                r.rated or "–",
                agreement,
            )
            for col, text in enumerate(values, start=1):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if r.agreement is Agreement.CONTRADICTS:
                    item.setBackground(QBrush(_CONTRADICTS))
                t.setItem(row, col, item)
        self._summarise()

    def _chosen(self, record: CalibrationRecord) -> bool:
        box = self.session_boxes.get(record.folder.name)
        return box is not None and box.isChecked()

    def _summarise(self) -> None:
        bad = self.contradicting()
        used = sum(box.isChecked() for box in self._use.values())
        text = f"{used} of {len(self._use)} blocks ticked."
        if bad:
            listed = ", ".join(
                f"block {r.block.index + 1} ({r.block.state}, rated {r.rated or 'unclear'})"
                for r in bad
            )
            text += f" {len(bad)} contradict their state: {listed}."
        self.summary_label.setText(text)
        self.train_button.setEnabled(used > 0)

    # -- reading -----------------------------------------------------------------------------
    @property
    def reviews(self) -> list[BlockReview]:
        """The blocks listed."""
        return list(self._reviews)

    def contradicting(self) -> list[BlockReview]:
        """Blocks whose rating contradicts their state."""
        return [r for r in self._reviews if r.agreement is Agreement.CONTRADICTS]

    def leave_out_contradicting(self) -> int:
        """Untick every contradicting block; how many."""
        bad = self.contradicting()
        for r in bad:
            self._use[r.block.key].setChecked(False)
        return len(bad)

    def set_use(self, key: str, use: bool) -> None:
        """Tick or untick the block ``key`` (``"<session>#<n>"``)."""
        self._use[key].setChecked(use)

    def left_out(self) -> list[str]:
        """Blocks unticked, as ``"<session>#<n>"``."""
        return [k for k, box in self._use.items() if not box.isChecked()]

    def sessions(self) -> list[Path]:
        """The ticked sessions' folders."""
        return [r.folder for r in self._records if self._chosen(r)]

    @property
    def label_source(self) -> LabelSource:
        """Where the labels come from."""
        return LabelSource.RATINGS if self.rating_labels.isChecked() else LabelSource.PROTOCOL
