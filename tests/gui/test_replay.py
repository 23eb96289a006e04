"""Replay in the real window: a recorded session with pause, seek, resume, end and speed;
File > Open of an exported EDF file. No sleeps: every wait has a timeout."""

from __future__ import annotations

from pathlib import Path

import edfio
import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt

from bci_desktop.core.recording import read_session
from bci_desktop.core.recording.export import export_session
from bci_desktop.core.session import ReplayStatus, StreamState
from bci_desktop.gui import replay as replay_module
from bci_desktop.gui.main_window import MainWindow
from tests.gui.recording_helpers import T, record, stream


@pytest.fixture(autouse=True)
def _sessions(sessions_dir: Path) -> Path:
    return sessions_dir


@pytest.fixture
def window(open_window):
    """A shown window, closed (worker stopped) after the test."""
    return open_window()


def _position(w: MainWindow) -> float:
    status = w.features.replay.bar.status
    return -1.0 if status is None else status.position_s


def _status(w: MainWindow) -> ReplayStatus:
    return w.features.replay.bar.status


def test_replay_a_session_and_an_exported_edf(qtbot, window, tmp_path, monkeypatch) -> None:
    w = window
    replay = w.features.replay
    assert replay.open_action in w.file_menu.actions()
    assert not replay.bar.isVisible()
    stream(qtbot, w)
    folder = record(qtbot, w, 3.0, subject="S03")
    session = read_session(folder)
    fs = session.meta.sample_rate

    # Open the session: the replay replaces the live board, the bar shows.
    replay.open_recording(folder)
    qtbot.waitUntil(lambda: replay.replaying and replay.bar.isVisible(), timeout=T)
    assert w.stream_state is StreamState.STREAMING
    assert _status(w).path == folder and _status(w).kind == "session"
    assert _status(w).duration_s == pytest.approx(session.n_samples / fs)
    assert replay.bar.name_label.text().strip() == folder.name
    w.set_view_mode("clinician")
    assert not replay.bar.isVisible(), "the calm clinician view has no replay bar"
    w.set_view_mode("main")
    qtbot.waitUntil(lambda: replay.bar.isVisible(), timeout=T)

    # Pause: the position holds still over several reports.
    replay.pause()
    qtbot.waitUntil(lambda: _status(w).paused is True, timeout=T)
    assert replay.bar.play_button.text() == "Play"
    held = _position(w)
    for _ in range(3):
        with qtbot.waitSignal(w.worker.replay_changed, timeout=T):
            pass
        assert _position(w) == held

    # Seek while paused: the position jumps and can be looked at: the panels show the
    # recorded signal up to it (the seconds before it are replayed at once), its quality,
    # and the time axis reads the recording's time.
    replay.seek(2.0)
    qtbot.waitUntil(lambda: _position(w) == pytest.approx(2.0), timeout=T)
    first = round(2.0 * fs)
    qtbot.waitUntil(lambda: w.live.raw.size == first, timeout=T)
    assert _status(w).paused and w.stream_state is StreamState.PAUSED
    np.testing.assert_array_equal(w.live.raw.latest(first), session.eeg[:, :first])
    ts = session.timestamps
    assert w.live.origin == ts[0]
    qtbot.waitUntil(lambda: w.live.quality is not None, timeout=T)
    sv = w.signal_view
    qtbot.waitUntil(lambda: sv.curves[0].xData is not None, timeout=T)
    qtbot.waitUntil(lambda: sv.curves[0].xData[-1] == pytest.approx(ts[first - 1] - ts[0]))
    assert replay.bar.position_label.text() == "00:02 / 00:03"
    assert replay.bar.slider.value() == 20

    # Resume: the signal goes on from 2 s, exactly the recorded samples, and the axis
    # goes on from the transport's time.
    replay.resume()
    qtbot.waitUntil(lambda: _position(w) > 2.2 and w.live.raw.size > first + 25, timeout=T)
    n = w.live.raw.size
    np.testing.assert_array_equal(w.live.raw.latest(n), session.eeg[:, :n])
    np.testing.assert_array_equal(w.live.times.latest(n)[0], ts[:n])
    qtbot.waitUntil(lambda: sv.curves[0].xData[-1] > ts[first] - ts[0], timeout=T)

    # The end: the replay stays open (not live: "Ended"), "Play again" starts it over.
    qtbot.waitUntil(lambda: _status(w).ended is True, timeout=T)
    assert w.stream_state is StreamState.ENDED and replay.bar.isVisible()
    assert w.device_panel.state_text().startswith("Ended: Replay ended")
    assert replay.bar.play_button.text() == "Play again"
    replay.bar.play_button.click()
    qtbot.waitUntil(lambda: not _status(w).ended and _position(w) < 2.0, timeout=T)

    # Speed: 10x from where it is.
    replay.set_speed(10.0)
    qtbot.waitUntil(lambda: _status(w).speed == 10.0, timeout=T)
    assert replay.bar.speed == 10.0

    # File > Open of an EDF exported from that session (the file dialog answers).
    edf = export_session(folder, tmp_path / "S03.edf", format="edf")
    asked: list[str] = []

    def fake_dialog(parent, start: str) -> Path:
        asked.append(start)
        return edf

    monkeypatch.setattr(replay_module, "ask_recording_path", fake_dialog)
    replay.bar.set_speed(1.0)  # the next replay starts at the speed shown
    replay.open_action.trigger()
    qtbot.waitUntil(lambda: _status(w).path == edf, timeout=T)
    assert asked == [str(folder.parent)], "the dialog starts beside the last recording"
    assert _status(w).kind == "edf" and _status(w).speed == 1.0
    qtbot.waitUntil(lambda: w.live.samples_total > 25, timeout=T)
    names = [session.meta.rows[i].name for i in session.meta.eeg_rows]
    assert list(w.live.channel_names) == names
    replay.pause()
    qtbot.waitUntil(lambda: _status(w).paused is True, timeout=T)
    with qtbot.waitSignal(w.worker.replay_changed, timeout=T):
        pass  # the updates read before the pause have arrived by now
    total, n = w.live.samples_total, w.live.raw.size
    header = edfio.read_edf(edf)
    steps = np.array(
        [
            (s.physical_max - s.physical_min) / (s.digital_max - s.digital_min)
            for s in header.signals
        ]
    )
    err = np.abs(w.live.raw.latest(n) - session.eeg[:, total - n : total]).max(axis=1)
    assert np.all(err <= steps[: len(err)] * 1.0001), "the EDF's values, within one step"

    # Disconnect: the bar goes away.
    w.disconnect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)
    assert not replay.replaying and not replay.bar.isVisible()


def test_missing_recording_is_an_error_in_the_window(qtbot, window, tmp_path) -> None:
    window.features.replay.open_recording(tmp_path / "nope.edf")
    assert window.banner.isVisible() and "does not exist" in window.banner.text
    assert window.stream_state is StreamState.IDLE


def _long_session(folder: Path, seconds: float = 60.0) -> Path:
    """A recorded session of ``seconds`` of two sines (written by the real recorder)."""
    from bci_desktop.core.recording import SessionRecorder
    from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo

    fs = 250.0
    info = StreamInfo("Test", None, fs, (ChannelInfo("Cz"), ChannelInfo("Pz")))
    n = round(seconds * fs)
    t = np.arange(n) / fs
    eeg = np.vstack([10 * np.sin(2 * np.pi * 7 * t), 5 * np.cos(2 * np.pi * 11 * t)])
    with SessionRecorder.create(folder, info) as rec:
        rec.append(Chunk(eeg=eeg, timestamps=1000.0 + t, markers=np.zeros(n)))
    return rec.folder


def test_a_click_on_the_slider_groove_seeks_to_the_click(qtbot, window, tmp_path) -> None:
    w = window
    replay = w.features.replay
    folder = _long_session(tmp_path / "long")
    panel = w.device_panel
    panel.set_board("simulated")
    assert panel.speed_box.isVisible() and "true state" in panel.board_info.text()
    replay.open_recording(folder)
    qtbot.waitUntil(lambda: replay.replaying and replay.bar.isVisible(), timeout=T)
    # The device panel shows the recording, not the simulated subject and its speed.
    qtbot.waitUntil(lambda: panel.recording_label.isVisible(), timeout=T)
    assert panel.recording_label.text().startswith(folder.name)
    assert "2 EEG channels at 250 Hz" in panel.recording_label.text()
    assert not panel.speed_box.isVisible() and not panel.board_info.isVisible()
    assert not panel.board_combo.isVisible()
    replay.pause()
    qtbot.waitUntil(lambda: _status(w).paused is True, timeout=T)
    slider = replay.bar.slider
    qtbot.waitUntil(lambda: slider.maximum() == 600, timeout=T)
    x = round(0.75 * slider.width())
    want = slider.value_at(x) / 10
    assert want == pytest.approx(45.0, abs=3.0)  # three quarters of a minute, give or take
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(x, slider.height() // 2))
    qtbot.waitUntil(lambda: _position(w) == pytest.approx(want), timeout=T)
    assert replay.bar.position_label.text().startswith(f"00:{int(want):02d} /")
    # Paused at the click: the 20 s before it are shown, ending at the position.
    qtbot.waitUntil(lambda: w.live.raw.size == round(20.0 * 250), timeout=T)
    end = float(w.live.times.latest(1)[0, 0]) - w.live.origin
    assert end == pytest.approx(want - 1 / 250)
    w.disconnect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)
    assert panel.speed_box.isVisible() and not panel.recording_label.isVisible()
