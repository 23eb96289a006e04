"""Shared steps of the recording, session browser and replay GUI tests (not a test module)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QMessageBox

from bci_desktop.core.recording import SessionRecorder
from bci_desktop.core.recording.session import LOCK_FILE
from bci_desktop.core.session import RecordRequest, StreamState
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo
from bci_desktop.gui.main_window import MainWindow

T = 15000  # ms: generous, the machine may be busy


def stream(qtbot, w: MainWindow) -> None:
    """Connect the board chosen in the window (the synthetic board) and wait for samples."""
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    start = w.live.samples_total
    qtbot.waitUntil(lambda: w.live.samples_total > start + 25, timeout=T)


def record(qtbot, w: MainWindow, seconds: float, subject: str = "", notes: str = "") -> Path:
    """Record ``seconds`` of stream time through the window's controller; the folder."""
    rec = w.features.recording
    rec.start(RecordRequest(subject, notes, None))
    qtbot.waitUntil(lambda: rec.recording, timeout=T)
    qtbot.waitUntil(lambda: rec.status.elapsed_s >= seconds, timeout=T + 1000 * seconds)
    rec.stop()
    qtbot.waitUntil(lambda: not rec.recording, timeout=T)
    return Path(rec.folder)


def answer_next_box(button: QMessageBox.StandardButton) -> list[str]:
    """Click ``button`` of the next modal message box as soon as it runs; its text is
    appended to the returned list (empty if no box came)."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)  # not up yet: try again on the next turn
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, click)
    return seen


def interrupted_session(folder: Path) -> tuple[SessionRecorder, Path]:
    """A session whose recorder was never stopped and whose lock names a dead process.

    Stop the returned recorder at the end of the test (it closes its files).
    """
    info = StreamInfo("Test", None, 100.0, tuple(ChannelInfo(n) for n in ("C3", "C4")))
    recorder = SessionRecorder.create(folder, info, subject="S09")
    rng = np.random.default_rng(3)
    n = 300
    chunk = Chunk(
        eeg=rng.normal(0, 10, (2, n)),
        timestamps=1000.0 + np.arange(n) / 100.0,
        markers=np.zeros(n),
    )
    recorder.append(chunk)
    recorder.flush()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (recorder.folder / LOCK_FILE).write_text(f"{dead.pid}\n", encoding="ascii")
    return recorder, recorder.folder
