"""File > Sessions…: the recorded sessions, to replay, export, delete or recover.

The list comes from :func:`~bci_desktop.core.recording.catalog.list_sessions`; exports run
:func:`~bci_desktop.core.recording.export.export_session` in a background thread (a long
session takes seconds to write), so the window keeps drawing. ``install(window)`` is called
by :mod:`bci_desktop.gui.features`. The export dialog is :mod:`bci_desktop.gui.export_dialog`.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
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
from bci_desktop.core.recording.export import export_session
from bci_desktop.core.session import RecordingStatus
from bci_desktop.gui.export_dialog import ExportChoice, ExportDialog
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
