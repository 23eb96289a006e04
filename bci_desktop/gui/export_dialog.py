"""File > Sessions… > Export…: the dialog that asks for the format, the file, anonymisation
and the annotations of one export (:class:`ExportDialog`), and what it returns
(:class:`ExportChoice`). The session browser (:mod:`bci_desktop.gui.session_browser`) runs
the export itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from bci_desktop.core.recording import SessionSummary
from bci_desktop.core.recording.export import (
    DEFAULT_ANNOTATIONS,
    EXPORT_FORMATS,
    EXPORT_SUFFIXES,
    AnnotationKind,
)

__all__ = ["ExportChoice", "ExportDialog"]

#: Format names shown in the export dialog.
_FORMAT_NAMES = {
    "edf": "EDF+ (16-bit; EDFbrowser, MNE, EEGLAB)",
    "bdf": "BDF+ (24-bit; EDFbrowser, MNE, EEGLAB)",
    "csv": "BrainFlow CSV (DataFilter.read_file, playback board)",
    "predictions": "Predictions CSV (one line per prediction)",
}


@dataclass(frozen=True)
class ExportChoice:
    """What the export dialog asks for."""

    format: str
    path: Path
    anonymize: bool
    annotations: frozenset[AnnotationKind] = DEFAULT_ANNOTATIONS


#: The annotation check boxes: kind, text, tooltip.
_ANNOTATION_BOXES = (
    (AnnotationKind.MARKERS, "Markers", "Every marker, as 'Marker 3' at its sample"),
    (AnnotationKind.EVENTS, "Events", "Gaps, reconnections, calibration blocks, seeks ..."),
    (
        AnnotationKind.PREDICTIONS,
        "Predictions",
        "The label of every prediction (about four a second: many annotations)",
    ),
)


class ExportDialog(QDialog):
    """Format, destination file and anonymisation of one export.

    Attributes tests can use: ``format_combo``, ``path_edit``, ``anonymize_check``,
    ``annotation_checks`` (one check box per :class:`AnnotationKind`), ``buttons``.
    """

    def __init__(self, session: SessionSummary, folder: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(f"Export {session.name}")
        self.setMinimumWidth(520)
        form = QFormLayout(self)
        self.format_combo = QComboBox()
        for fmt in EXPORT_FORMATS:
            self.format_combo.addItem(_FORMAT_NAMES.get(fmt, fmt), fmt)
        self.format_combo.setToolTip("The file format to write")
        self.path_edit = QLineEdit(str(folder / f"{session.name}{EXPORT_SUFFIXES['edf']}"))
        self.path_edit.setToolTip(
            "The file to write (an existing file is replaced only if you confirm)"
        )
        browse = QPushButton("Browse…")
        browse.setToolTip("Choose the file to write")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        self.anonymize_check = QCheckBox("Anonymise (write the subject as X)")
        self.anonymize_check.setToolTip(
            "EDF/BDF only: leave out the subject id; dates and times are kept"
        )
        form.addRow("&Format:", self.format_combo)
        file_label = QLabel("&File:")
        file_label.setBuddy(self.path_edit)
        form.addRow(file_label, row)
        form.addRow(self.anonymize_check)
        self.annotation_checks: dict[AnnotationKind, QCheckBox] = {}
        boxes = QHBoxLayout()
        for kind, text, tip in _ANNOTATION_BOXES:
            box = QCheckBox(text)
            box.setToolTip(f"EDF/BDF annotations: {tip}")
            box.setChecked(kind in DEFAULT_ANNOTATIONS)
            boxes.addWidget(box)
            self.annotation_checks[kind] = box
        boxes.addStretch(1)
        form.addRow("Annotations:", boxes)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Export")
        ok.setToolTip("Write the file")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.format_combo.currentIndexChanged.connect(self._format_changed)

    @property
    def format(self) -> str:
        """The format chosen (one of ``EXPORT_FORMATS``)."""
        return str(self.format_combo.currentData())

    def set_format(self, fmt: str) -> None:
        """Choose ``fmt`` (the file name's ending follows)."""
        self.format_combo.setCurrentIndex(self.format_combo.findData(fmt))

    def _format_changed(self, _index: int) -> None:
        fmt = self.format
        self.anonymize_check.setEnabled(fmt in ("edf", "bdf"))
        for box in self.annotation_checks.values():
            box.setEnabled(fmt in ("edf", "bdf"))
        text = self.path_edit.text().strip()
        if not text:
            return
        path = Path(text)
        name = path.name
        for suffix in sorted(EXPORT_SUFFIXES.values(), key=len, reverse=True):
            if name.lower().endswith(suffix):
                name = name[: -len(suffix)]
                break
        self.path_edit.setText(str(path.with_name(name + EXPORT_SUFFIXES[fmt])))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export to",
            self.path_edit.text(),
            "All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.path_edit.setText(path)

    def choice(self) -> ExportChoice:
        """What the user chose."""
        fmt = self.format
        return ExportChoice(
            format=fmt,
            path=Path(self.path_edit.text().strip()).expanduser(),
            anonymize=self.anonymize_check.isChecked() and fmt in ("edf", "bdf"),
            annotations=frozenset(
                k for k, box in self.annotation_checks.items() if box.isChecked()
            ),
        )
