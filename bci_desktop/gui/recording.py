"""Recording from the window: the Record action (Ctrl+R), its dialog, the REC indicator,
and the offer to finish recordings a crash interrupted.

The recording itself runs in the worker thread (:meth:`StreamWorker.start_recording`); this
module only asks for it through queued signals and shows what the worker reports through
``recording_changed``. ``install(window)`` is called by :mod:`bci_desktop.gui.features`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from bci_desktop.core.errors import BCIError
from bci_desktop.core.recording import data_dir, find_interrupted, recover
from bci_desktop.core.session import RecordingStatus, RecordRequest, StreamState
from bci_desktop.gui.marker_keys import return_focus

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["RecordDialog", "RecordingController", "format_elapsed", "format_size", "install"]

logger = logging.getLogger(__name__)

#: Style of the REC indicator: white on red, so it reads at a glance (and says "REC").
_REC_STYLE = (
    "QLabel { background-color: #c92a2a; color: #ffffff; font-weight: bold;"
    " border-radius: 4px; padding: 2px 8px; }"
)


def format_elapsed(seconds: float) -> str:
    """``"MM:SS"`` (``"H:MM:SS"`` from one hour on)."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def format_size(n_bytes: float) -> str:
    """A size in the units people read: ``"812 kB"``, ``"1.3 MB"``, ``"2.04 GB"``."""
    if n_bytes < 1e6:
        return f"{n_bytes / 1e3:.0f} kB"
    if n_bytes < 1e9:
        return f"{n_bytes / 1e6:.1f} MB"
    return f"{n_bytes / 1e9:.2f} GB"


class RecordDialog(QDialog):
    """Asks for the subject id, notes and folder of a new recording.

    Attributes tests can use: ``subject_edit``, ``notes_edit``, ``folder_edit``,
    ``buttons`` (``QDialogButtonBox``; its OK button starts the recording).
    """

    def __init__(
        self, subject: str, notes: str, folder: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record session")
        self.setMinimumWidth(460)
        form = QFormLayout(self)
        self.subject_edit = QLineEdit(subject)
        self.subject_edit.setPlaceholderText("e.g. S01 (optional)")
        self.subject_edit.setToolTip(
            "Subject id: stored with the session and in its folder name. Leave empty if "
            "the session has no subject."
        )
        self.notes_edit = QPlainTextEdit(notes)
        self.notes_edit.setPlaceholderText("Task, conditions, anything worth knowing later")
        self.notes_edit.setToolTip("Free notes stored in the session's session.json")
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(90)
        self.folder_edit = QLineEdit(folder)
        self.folder_edit.setToolTip(
            "The folder that holds your sessions; a new folder is made inside"
        )
        browse = QPushButton("Choose…")
        browse.setToolTip("Choose the folder that holds sessions")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        form.addRow("&Subject:", self.subject_edit)
        form.addRow("&Notes:", self.notes_edit)
        folder_label = QLabel("Save &in:")
        folder_label.setBuddy(self.folder_edit)
        form.addRow(folder_label, folder_row)
        hint = QLabel(
            "Every raw sample, marker and prediction is written as it arrives; "
            "Ctrl+R stops the recording."
        )
        hint.setWordWrap(True)
        form.addRow(hint)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Start recording")
        ok.setToolTip("Start recording the stream into a new session folder")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.subject_edit.setFocus()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder that holds sessions", self.folder_edit.text()
        )
        if folder:
            self.folder_edit.setText(folder)

    def request(self) -> RecordRequest:
        """What the user entered."""
        folder = self.folder_edit.text().strip()
        return RecordRequest(
            subject=self.subject_edit.text().strip(),
            notes=self.notes_edit.toPlainText().strip(),
            folder=folder or None,
        )


class RecordingController(QObject):
    """The window's recording controls.

    Attributes tests can read
    -------------------------
    action : QAction
        Record / stop recording (Ctrl+R), in the Stream menu and toolbar; checked while
        recording.
    indicator : QLabel
        ``"● REC 00:12  1.3 MB"`` in the stream toolbar, visible while recording.
    recording : bool
        What the worker last reported.
    folder : str or None
        The session folder of the current (or last) recording.
    last_error : str or None
        The last recording error reported.
    dialog : RecordDialog or None
        The open record dialog.
    recovery_box : QMessageBox or None
        The offer to recover interrupted sessions, while it is shown.
    status : RecordingStatus
        The last ``recording_changed`` report of the worker.
    subject, notes, sessions_folder : str
        Remembered from the last dialog (in memory, for this run of the app).
    """

    start_requested = pyqtSignal(object)
    stop_requested = pyqtSignal()
    event_requested = pyqtSignal(str, str)
    #: Folders recovered after the startup prompt.
    recovered = pyqtSignal(list)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.recording = False
        self.folder: str | None = None
        self.last_error: str | None = None
        self.dialog: RecordDialog | None = None
        self.recovery_box: QMessageBox | None = None
        self.subject = ""
        self.notes = ""
        self.sessions_folder = str(data_dir())
        self.status = RecordingStatus()

        worker = window.worker
        self.start_requested.connect(worker.start_recording)
        self.stop_requested.connect(worker.stop_recording)
        self.event_requested.connect(worker.add_event)
        worker.recording_changed.connect(self._on_recording_changed)
        worker.state_changed.connect(self._on_state)

        self.action = QAction("&Record", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("Ctrl+R"))
        self._set_tip(False)
        self.action.triggered.connect(self.toggle)
        window.addAction(self.action)  # Ctrl+R works even with the toolbar hidden
        window.stream_menu.addSeparator()
        window.stream_menu.addAction(self.action)
        toolbar = window.stream_toolbar
        toolbar.addSeparator()
        toolbar.addAction(self.action)
        self.indicator = QLabel()
        self.indicator.setObjectName("recording_indicator")
        self.indicator.setStyleSheet(_REC_STYLE)
        self.indicator.setToolTip("Recording: elapsed stream time and size written so far")
        self._indicator_action = toolbar.addWidget(self.indicator)
        self._indicator_action.setVisible(False)
        self._on_state(window.stream_state, "")

    # -- state ------------------------------------------------------------------------------
    @property
    def indicator_text(self) -> str:
        """The REC indicator's text ("" when hidden)."""
        return self.indicator.text() if self._indicator_action.isVisible() else ""

    def _set_tip(self, recording: bool) -> None:
        if recording:
            text, tip = "Stop &recording", "Stop recording and finish the session (Ctrl+R)"
        else:
            text, tip = "&Record", "Record the stream into a new session (Ctrl+R)"
        self.action.setText(text)
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)

    def _on_state(self, state: StreamState, message: str) -> None:
        self.action.setEnabled(state.active or self.recording)
        if not state.active and self.dialog is not None:
            self.dialog.reject()

    def _on_recording_changed(self, status: RecordingStatus) -> None:
        was = self.recording
        self.recording = status.recording
        self.status = status
        if status.folder is not None:
            self.folder = str(status.folder)
        self.action.setChecked(self.recording)
        self._set_tip(self.recording)
        self.action.setEnabled(self.window.stream_state.active or self.recording)
        elapsed, size = status.elapsed_s, status.size_bytes
        self.indicator.setText(f"● REC {format_elapsed(elapsed)}  {format_size(size)}")
        self._indicator_action.setVisible(self.recording)
        bar = self.window.statusBar()
        error = status.error
        if error:
            self.last_error = str(error)
            tail = " Streaming goes on." if self.window.stream_state.active else ""
            self.window.banner.show_message("error", f"{error}{tail}")
            bar.showMessage(f"Error: {error}", 30000)
        elif self.recording and not was:
            self.last_error = None
            bar.showMessage(f"Recording into {self.folder}", 8000)
        elif was and not self.recording:
            bar.showMessage(
                f"Recording saved: {self.folder} ({format_elapsed(elapsed)}, {format_size(size)})",
                15000,
            )

    # -- actions ----------------------------------------------------------------------------
    def toggle(self) -> None:
        """Stop the recording, or ask for the subject and notes and start one."""
        self.action.setChecked(self.recording)  # the worker's report decides the check
        if self.recording:
            self.stop()
            return
        if not self.window.stream_state.active:
            self.window.statusBar().showMessage(
                "Connect a board or open a recording before recording.", 5000
            )
            return
        self.ask()

    def ask(self) -> RecordDialog:
        """Open the record dialog (non-blocking); OK starts the recording."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        dialog = RecordDialog(self.subject, self.notes, self.sessions_folder, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._dialog_accepted(dialog))
        dialog.finished.connect(self._dialog_closed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_accepted(self, dialog: RecordDialog) -> None:
        request = dialog.request()
        self.subject, self.notes = request.subject, request.notes
        self.sessions_folder = request.folder or str(data_dir())
        self.start(request)

    def _dialog_closed(self, _result: int) -> None:
        self.dialog = None
        # Keys (markers!) must reach the window again, even where no window manager
        # hands the focus back when a dialog closes.
        return_focus(self.window, self.window.signal_view.plot_widget)

    def start(self, request: RecordRequest | None = None) -> None:
        """Ask the worker to record (with the remembered subject and notes by default)."""
        if request is None:
            request = RecordRequest(self.subject, self.notes, self.sessions_folder)
        self.start_requested.emit(request)

    def stop(self) -> None:
        """Ask the worker to stop recording."""
        self.stop_requested.emit()

    def add_event(self, kind: str, detail: str = "") -> None:
        """Note an event in the recording (ignored by the worker when none runs)."""
        self.event_requested.emit(kind, detail)

    # -- interrupted sessions ----------------------------------------------------------------
    def check_interrupted(self) -> list[Path]:
        """Offer (non-blocking) to finish sessions a crash interrupted; return them."""
        try:
            found = find_interrupted(data_dir())
        except OSError as exc:
            logger.warning("Cannot look for interrupted sessions: %s", exc)
            return []
        if not found:
            return []
        names = "\n".join(f"  {p.name}" for p in found[:8])
        more = f"\n  … and {len(found) - 8} more" if len(found) > 8 else ""
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Interrupted recordings")
        box.setText(
            f"{len(found)} recording{'s' if len(found) > 1 else ''} stopped without being "
            "finished (the app or the computer stopped while recording)."
        )
        box.setInformativeText(
            f"{names}{more}\n\nFinish them now? Every sample written is kept and each "
            "session is marked as recovered."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText("Recover")
        box.button(QMessageBox.StandardButton.No).setText("Not now")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: self._recovery_answered(box, found))
        self.recovery_box = box
        box.show()
        return found

    def _recovery_answered(self, box: QMessageBox, found: list[Path]) -> None:
        self.recovery_box = None
        clicked = box.clickedButton()
        if clicked is not box.button(QMessageBox.StandardButton.Yes):
            self.window.statusBar().showMessage(
                "Interrupted sessions left as they are (File > Sessions… can recover them).",
                10000,
            )
            return
        self.recover_all(found)

    def recover_all(self, folders: list[Path]) -> list[Path]:
        """Finish these interrupted sessions; errors are shown in the banner."""
        done: list[Path] = []
        problems: list[str] = []
        for folder in folders:
            try:
                meta = recover(folder)
            except BCIError as exc:
                logger.warning("Cannot recover %s: %s", folder, exc)
                problems.append(str(exc))
                continue
            logger.info("Recovered %s (%d samples)", folder, meta.n_samples or 0)
            done.append(folder)
        if problems:
            self.window.banner.show_message("error", " ".join(problems))
        if done:
            self.window.statusBar().showMessage(
                f"Recovered {len(done)} interrupted session{'s' if len(done) > 1 else ''}.",
                10000,
            )
        self.recovered.emit(done)
        return done


def install(window: MainWindow) -> RecordingController:
    """Add the recording controls to ``window`` and look for interrupted sessions once the
    window is up."""
    controller = RecordingController(window)
    QTimer.singleShot(0, controller.check_interrupted)
    return controller
