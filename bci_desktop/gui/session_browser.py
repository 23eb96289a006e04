"""File > Sessions…: the recorded sessions, to replay, export, delete or recover.

The list comes from :func:`~bci_desktop.core.recording.catalog.list_sessions`; exports run
:func:`~bci_desktop.core.recording.export.export_session` in a background thread (a long
session takes seconds to write), so the window keeps drawing. ``install(window)`` is called
by :mod:`bci_desktop.gui.features`.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.errors import BCIError
from bci_desktop.core.recording import (
    SessionSummary,
    data_dir,
    delete_session,
    list_sessions,
    recover,
)
from bci_desktop.core.recording.export import (
    DEFAULT_ANNOTATIONS,
    EXPORT_FORMATS,
    EXPORT_SUFFIXES,
    AnnotationKind,
    export_session,
)
from bci_desktop.core.session import RecordingStatus
from bci_desktop.gui.recording import format_elapsed, format_size
from bci_desktop.gui.replay import insert_in_file_menu
from bci_desktop.gui.wording import in_window_words

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow
    from bci_desktop.gui.recording import RecordingController
    from bci_desktop.gui.replay import ReplayController

__all__ = [
    "COLUMNS",
    "ExportChoice",
    "ExportDialog",
    "SessionBrowser",
    "SessionsLauncher",
    "confirm",
    "install",
    "state_text",
]

logger = logging.getLogger(__name__)

#: Columns of the session list.
COLUMNS: tuple[str, ...] = ("Date", "Subject", "Duration", "Board", "Size", "State", "Notes")
#: Format names shown in the export dialog.
_FORMAT_NAMES = {
    "edf": "EDF+ (16-bit; EDFbrowser, MNE, EEGLAB)",
    "bdf": "BDF+ (24-bit; EDFbrowser, MNE, EEGLAB)",
    "csv": "BrainFlow CSV (DataFilter.read_file, playback board)",
    "predictions": "Predictions CSV (one line per prediction)",
}


def state_text(s: SessionSummary) -> str:
    """The state of a session in a user's words."""
    if s.status == "broken":
        return "broken"
    if s.live:
        return "recording now"
    if s.state == "interrupted":
        return "interrupted"
    if s.recording_error:
        return "stopped on error"
    return s.state


def _date(started: str | None) -> str:
    if not started:
        return "–"
    try:
        return datetime.fromisoformat(started).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return started


def confirm(parent: QWidget, title: str, text: str, yes: str) -> bool:
    """Ask a yes/no question (modal); ``No`` is the default answer."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.Yes).setText(yes)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.exec()
    return box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)


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


class SessionBrowser(QDialog):
    """The list of recorded sessions with Open, Export, Delete, Recover and Refresh.

    Attributes tests can read
    -------------------------
    sessions : list of SessionSummary
        The rows, newest first.
    table : QTableWidget
    open_button, export_button, delete_button, recover_button, refresh_button : QPushButton
    message : QLabel
        The result of the last action (its text says what happened, or the error).
    export_dialog : ExportDialog or None
        The open export dialog.
    sessions_dir : Path
        The folder listed.

    Signals
    -------
    export_finished(str, str)
        The file written and ``""``, or the file and the error message.
    """

    export_finished = pyqtSignal(str, str)

    def __init__(self, window: MainWindow, replay: ReplayController) -> None:
        super().__init__(window)
        self.window_ = window
        self.replay = replay
        self.setWindowTitle("Sessions")
        self.setObjectName("session_browser")
        self.resize(900, 460)
        self.sessions: list[SessionSummary] = []
        self.sessions_dir = data_dir()
        self.export_dialog: ExportDialog | None = None
        self.export_folder = Path.home()
        self._exporter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bci-export")
        self._exporting = False
        self.export_finished.connect(self._export_done)

        column = QVBoxLayout(self)
        top = QHBoxLayout()
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        choose = QPushButton("Folder…")
        choose.setToolTip("List the sessions of another folder")
        choose.clicked.connect(self._choose_folder)
        top.addWidget(self.folder_label, 1)
        top.addWidget(choose)
        column.addLayout(top)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        for i in range(len(COLUMNS)):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _=None: self.open_selected())
        column.addWidget(self.table, 1)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.message)

        buttons = QHBoxLayout()
        self.open_button = self._button(
            "&Open", "Replay this session in the window", self.open_selected
        )
        self.export_button = self._button(
            "&Export…",
            "Write this session as EDF+, BDF+, BrainFlow CSV or predictions CSV",
            self.export_selected,
        )
        self.delete_button = self._button(
            "&Delete…", "Delete this session's folder (asks first)", self.delete_selected
        )
        self.recover_button = self._button(
            "Re&cover", "Finish a session whose recording was interrupted", self.recover_selected
        )
        self.refresh_button = self._button("&Refresh", "List the sessions again", self.refresh)
        close = self._button("Close", "Close this window", self.close)
        for b in (self.open_button, self.export_button, self.delete_button, self.recover_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(close)
        column.addLayout(buttons)
        window.worker.recording_changed.connect(self._on_recording_changed)
        self._recording = False
        self.refresh()

    def _button(self, text: str, tip: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        button.clicked.connect(lambda _=False: slot())  # type: ignore[operator]
        return button

    # -- list ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """List the sessions again (keeps the selection when it still exists)."""
        current = self.selected()
        keep = current.folder if current is not None else None
        self.folder_label.setText(f"Sessions in {self.sessions_dir}")
        self.folder_label.setToolTip(str(self.sessions_dir))
        self.sessions = list_sessions(self.sessions_dir)
        table = self.table
        table.setRowCount(len(self.sessions))
        for row, s in enumerate(self.sessions):
            tip = f"{s.folder}\n{s.notes}".strip()
            cells = (
                _date(s.started),
                s.subject or "–",
                format_elapsed(round(s.duration_s)),
                s.source_name or "–",
                format_size(s.size_bytes),
                state_text(s),
                " ".join(s.notes.split()),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if col in (2, 4):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(row, col, item)
            why = s.error or s.recording_error
            if why:
                table.item(row, 5).setToolTip(why)
        if not self.sessions:
            self.message.setText(f"No sessions in {self.sessions_dir} yet: Ctrl+R records one.")
        if keep is not None:
            self.select(keep.name)
        elif self.sessions:
            table.selectRow(0)
        self._selection_changed()

    def select(self, name: str) -> bool:
        """Select the session whose folder is called ``name``."""
        for row, s in enumerate(self.sessions):
            if s.name == name:
                self.table.selectRow(row)
                return True
        return False

    def selected(self) -> SessionSummary | None:
        """The selected session."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        row = rows[0].row()
        return self.sessions[row] if 0 <= row < len(self.sessions) else None

    def _selection_changed(self) -> None:
        s = self.selected()
        usable = s is not None and s.status != "broken"
        self.open_button.setEnabled(usable and not s.live and s.n_samples > 0)
        self.export_button.setEnabled(usable and not self._exporting and s.n_samples > 0)
        self.delete_button.setEnabled(s is not None and not s.live)
        self.recover_button.setEnabled(s is not None and s.state == "interrupted")

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder that holds sessions", str(self.sessions_dir)
        )
        if folder:
            self.sessions_dir = Path(folder)
            self.refresh()

    def _on_recording_changed(self, status: RecordingStatus) -> None:
        # A recording that starts, stops or fails changes the list (not the per-second
        # updates of a running one).
        recording = status.recording
        changed = recording != self._recording or not recording
        self._recording = recording
        if changed and self.isVisible():
            self.refresh()

    # -- actions ------------------------------------------------------------------------------
    def open_selected(self) -> bool:
        """Replay the selected session in the window."""
        s = self.selected()
        if s is None or not self.open_button.isEnabled():
            return False
        self.replay.open_recording(s.folder)
        self.hide()
        return True

    def export_selected(self) -> ExportDialog | None:
        """Open the export dialog for the selected session (non-blocking)."""
        s = self.selected()
        if s is None or not self.export_button.isEnabled():
            return None
        dialog = ExportDialog(s, self.export_folder, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.export(s, dialog.choice()))
        dialog.finished.connect(lambda _r: setattr(self, "export_dialog", None))
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def export(self, session: SessionSummary, choice: ExportChoice) -> bool:
        """Export ``session`` as ``choice`` in the background; False if not started.

        An existing file is replaced only after the user confirms.
        """
        out = choice.path
        if not out.name:
            self.message.setText("Not exported: give a file name.")
            return False
        overwrite = False
        if out.exists():
            if out.is_dir() or not confirm(
                self,
                "Replace file?",
                f"{out} already exists. Replace it with the export of {session.name}?",
                "Replace",
            ):
                self.message.setText(f"Not exported: {out} already exists.")
                return False
            overwrite = True
        self.export_folder = out.parent
        self._exporting = True
        self._selection_changed()
        self.message.setText(f"Exporting {session.name} to {out}…")
        future = self._exporter.submit(
            export_session,
            session.folder,
            out,
            format=choice.format,
            anonymize=choice.anonymize,
            overwrite=overwrite,
            annotations=choice.annotations,
        )
        future.add_done_callback(lambda f: self._exported(f, out))
        return True

    def _exported(self, future: Future, out: Path) -> None:
        """In the export thread: hand the result to the GUI thread."""
        exc = future.exception()
        if exc is None:
            error = ""
        elif isinstance(exc, BCIError | OSError):
            error = str(exc)
        else:
            logger.error("Export failed", exc_info=exc)
            error = f"Unexpected {type(exc).__name__}: {exc} (details in the log)."
        try:
            self.export_finished.emit(str(out), error)
        except RuntimeError:  # the window is gone
            logger.info("Export of %s finished after its window closed", out)

    def _export_done(self, path: str, error: str) -> None:
        self._exporting = False
        self._selection_changed()
        if error:
            self.message.setText(f"Export failed: {in_window_words(error)}")
            logger.warning("Export failed: %s", error)
        else:
            self.message.setText(f"Exported to {path}")
            self.window_.statusBar().showMessage(f"Exported to {path}", 10000)

    def delete_selected(self) -> bool:
        """Delete the selected session after the user confirms; True if deleted."""
        s = self.selected()
        if s is None:
            return False
        if s.live:
            self.message.setText(
                f"{s.name} is being recorded now: stop the recording (Ctrl+R) before deleting it."
            )
            return False
        what = (
            f"{s.name} ({s.subject or 'no subject'}, {format_elapsed(round(s.duration_s))}, "
            f"{format_size(s.size_bytes)})"
        )
        if not confirm(
            self,
            "Delete session?",
            f"Delete the session {what}?\n\nIts folder {s.folder} and everything in it are "
            "removed. This cannot be undone.",
            "Delete",
        ):
            self.message.setText("Nothing deleted.")
            return False
        try:
            delete_session(s.folder)
        except BCIError as exc:
            self.message.setText(f"Not deleted: {in_window_words(str(exc))}")
            return False
        self.message.setText(f"Deleted {s.name}.")
        self.refresh()
        return True

    def recover_selected(self) -> bool:
        """Finish the selected interrupted session; True if recovered."""
        s = self.selected()
        if s is None or s.state != "interrupted":
            return False
        try:
            meta = recover(s.folder)
        except BCIError as exc:
            self.message.setText(f"Not recovered: {in_window_words(str(exc))}")
            return False
        self.message.setText(
            f"Recovered {s.name}: {meta.n_samples or 0} samples kept "
            f"({(meta.n_samples or 0) / meta.sample_rate:.1f} s)."
        )
        self.refresh()
        return True

    def shutdown(self) -> None:
        """Wait for an export that runs (the window is closing)."""
        self._exporter.shutdown(wait=True)


class SessionsLauncher:
    """File > Sessions… and the window's one session browser.

    Attributes
    ----------
    action : QAction
        The menu entry.
    browser : SessionBrowser or None
        The browser, once opened.
    """

    def __init__(
        self, window: MainWindow, recording: RecordingController, replay: ReplayController
    ) -> None:
        self.window = window
        self.recording = recording
        self.replay = replay
        self.browser: SessionBrowser | None = None
        self.action = QAction("&Sessions…", window)
        tip = "Recorded sessions: replay, export (EDF+, BDF+, CSV), delete, recover"
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.triggered.connect(lambda _=False: self.show())
        window.addAction(self.action)
        insert_in_file_menu(window, self.action)

    def show(self) -> SessionBrowser:
        """Show the session browser on the folder recordings go to."""
        browser = self.browser
        if browser is None:
            browser = self.browser = SessionBrowser(self.window, self.replay)
            self.window.destroyed.connect(lambda _=None: browser.shutdown())
        folder = self.recording.sessions_folder
        if folder and os.path.isdir(folder):
            browser.sessions_dir = Path(folder)
        browser.refresh()
        browser.show()
        browser.raise_()
        browser.activateWindow()
        return browser


def install(
    window: MainWindow, recording: RecordingController, replay: ReplayController
) -> SessionsLauncher:
    """Add File > Sessions…."""
    return SessionsLauncher(window, recording, replay)
