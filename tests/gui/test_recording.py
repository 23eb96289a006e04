"""Recording from the real window on BrainFlow's real synthetic board (offscreen Qt).

Every wait is a ``qtbot.waitUntil``/``waitSignal`` with a timeout; nothing sleeps. Sessions
go to a tmp folder through ``BCI_DESKTOP_DATA_DIR``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QDialogButtonBox, QMessageBox

from bci_desktop.core.recording import read_meta, read_session
from bci_desktop.core.recording.recovery import lock_owner
from bci_desktop.core.recording.session import LOCK_FILE
from bci_desktop.core.session import StreamState
from bci_desktop.gui.main_window import MainWindow
from bci_desktop.gui.recording import format_elapsed, format_size
from tests.gui.recording_helpers import T, interrupted_session, stream


@pytest.fixture(autouse=True)
def sessions_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sessions in a tmp folder, never the user's."""
    folder = tmp_path / "sessions"
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(folder))
    return folder


def _activate(qtbot, w: MainWindow) -> None:
    """Key presses go to the active window (offscreen Qt does not reactivate it after a
    dialog closes, as a desktop does)."""
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=T)


def _press_ctrl_r(qtbot, w: MainWindow) -> None:
    _activate(qtbot, w)
    qtbot.keyClick(w, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)


def test_format_helpers() -> None:
    assert format_elapsed(0) == "00:00"
    assert format_elapsed(72.9) == "01:12"
    assert format_elapsed(3723) == "1:02:03"
    assert format_size(812_000) == "812 kB"
    assert format_size(1_340_000) == "1.3 MB"
    assert format_size(2_040_000_000) == "2.04 GB"


def test_ctrl_r_records_the_synthetic_board_with_a_marker(qtbot, open_window) -> None:
    w = open_window()
    rec = w.features.recording
    assert not rec.action.isEnabled(), "no recording without a stream"
    assert rec.action in w.stream_menu.actions()
    assert "Ctrl+R" in rec.action.toolTip()
    stream(qtbot, w)
    assert rec.action.isEnabled()

    _press_ctrl_r(qtbot, w)
    qtbot.waitUntil(lambda: rec.dialog is not None, timeout=T)
    rec.dialog.subject_edit.setText("S01")
    rec.dialog.notes_edit.setPlainText("eyes open")
    rec.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: rec.recording, timeout=T)
    assert rec.action.isChecked() and rec.action.text() == "Stop &recording"
    qtbot.waitUntil(lambda: rec.status.elapsed_s >= 1.0, timeout=T)
    assert rec.indicator_text.startswith("● REC 00:0")
    assert rec.indicator_text.endswith("B")  # "... 128 kB"

    _activate(qtbot, w)
    qtbot.keyClick(w, Qt.Key.Key_3)  # marker 3, with its key
    qtbot.waitUntil(lambda: any(m.value == 3.0 for m in w.live.markers), timeout=T)
    marker_t = next(m.t for m in w.live.markers if m.value == 3.0)
    qtbot.waitUntil(lambda: rec.status.elapsed_s >= 2.0, timeout=T)
    qtbot.waitUntil(lambda: len(w.live.predictions) >= 2, timeout=T)  # the first window

    _press_ctrl_r(qtbot, w)  # again: stop
    qtbot.waitUntil(lambda: not rec.recording, timeout=T)
    assert rec.indicator_text == "" and not rec.action.isChecked()
    assert w.stream_state is StreamState.STREAMING, "stopping the recording keeps the stream"

    session = read_session(rec.folder)
    assert session.meta.status == "complete"
    assert session.meta.subject == "S01" and session.meta.notes == "eyes open"
    assert session.meta.source_name == w.live.info.source_name
    assert session.meta.model is not None and session.meta.model["name"] == "emotion-default"
    assert len(session.meta.rows) == 32, "every row of the synthetic board"
    assert session.n_samples >= 2 * 250
    names = [session.meta.rows[i].name for i in session.meta.eeg_rows]
    assert names == list(w.live.channel_names)
    assert [m.value for m in session.markers] == [3.0]
    assert session.markers[0].t == pytest.approx(marker_t)
    assert session.timestamps[session.markers[0].sample] == pytest.approx(marker_t)
    assert np.all(np.diff(session.timestamps) > 0)
    assert session.predictions, "predictions are recorded with their latency"
    assert all("latency_ms" in p for p in session.predictions)
    # What the window drew is what was recorded, sample for sample (the raw values).
    t_live = w.live.times.latest(w.live.times.size)[0]
    raw_live = w.live.raw.latest(w.live.raw.size)
    common, i_live, i_rec = np.intersect1d(t_live, session.timestamps, return_indices=True)
    assert common.size > 100
    np.testing.assert_array_equal(raw_live[:, i_live], session.eeg[:, i_rec])


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 256 KiB tmpfs (needs root and mount); unmounted after the test."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a small disk")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    yield folder
    if subprocess.run(["umount", str(folder)], check=False).returncode != 0:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_disk_stops_recording_visibly_and_streaming_goes_on(
    qtbot, tiny_disk, open_window, monkeypatch
) -> None:
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(tiny_disk))
    w = open_window()
    rec = w.features.recording
    assert rec.sessions_folder == str(tiny_disk)
    stream(qtbot, w)
    rec.start()
    qtbot.waitUntil(lambda: rec.recording, timeout=T)
    # 32 rows x 8 bytes x 250 Hz = 64 kB/s: 256 KiB is full within seconds.
    qtbot.waitUntil(lambda: rec.last_error is not None, timeout=30000)
    assert "the disk is full" in rec.last_error
    assert not rec.recording and rec.indicator_text == ""
    assert w.banner.isVisible() and w.banner.level == "error"
    assert "disk is full" in w.banner.text and "Streaming goes on" in w.banner.text
    assert w.stream_state is StreamState.STREAMING
    start = w.live.samples_total
    qtbot.waitUntil(lambda: w.live.samples_total > start + 250, timeout=T)
    assert w.stream_state is StreamState.STREAMING
    assert rec.action.isEnabled(), "a new recording can be started (elsewhere)"

    # What was written before the error is intact: whole frames of consecutive samples.
    session = read_session(rec.folder)
    assert session.n_samples > 250
    frame = 8 * len(session.meta.rows)
    assert (Path(rec.folder) / "samples.f64").stat().st_size % frame == 0, "whole frames only"
    assert np.all(np.diff(session.timestamps) > 0)
    assert lock_owner(rec.folder) is None, "the lock is released"
    # So full that session.json may not take the final status: then the session is listed
    # as interrupted, for recovery once there is room.
    assert session.meta.status in ("complete", "recording")


def test_interrupted_session_is_offered_for_recovery_at_startup(
    qtbot, open_window, sessions_dir
) -> None:
    recorder, folder = interrupted_session(sessions_dir)
    try:
        assert read_meta(folder).status == "recording"
        w = open_window()
        rec = w.features.recording
        qtbot.waitUntil(lambda: rec.recovery_box is not None, timeout=T)
        box = rec.recovery_box
        assert box.isVisible() and not box.isModal(), "the offer does not block the window"
        assert folder.name in box.informativeText()
        with qtbot.waitSignal(rec.recovered, timeout=T) as blocker:
            box.button(QMessageBox.StandardButton.Yes).click()
        assert blocker.args[0] == [folder]
        meta = read_meta(folder)
        assert meta.status == "recovered" and meta.n_samples == 300
        assert not (folder / LOCK_FILE).exists()
        events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
        assert events[-1]["kind"] == "recovered"
        assert "Recovered 1 interrupted session" in w.statusBar().currentMessage()
    finally:
        recorder.stop()


def test_no_offer_without_interrupted_sessions(qtbot, open_window) -> None:
    w = open_window()
    rec = w.features.recording
    assert rec.check_interrupted() == []
    assert rec.recovery_box is None


def test_closing_the_window_finishes_the_recording(qtbot, open_window) -> None:
    w = open_window()
    stream(qtbot, w)
    rec = w.features.recording
    rec.start()
    qtbot.waitUntil(lambda: rec.status.elapsed_s >= 1.0, timeout=T)
    folder = Path(rec.folder)
    w.close()  # stops the recording, then the stream, in the worker thread
    assert not w.worker_thread.isRunning()
    session = read_session(folder)
    assert session.meta.status == "complete" and session.n_samples >= 250
    assert not (folder / LOCK_FILE).exists()
