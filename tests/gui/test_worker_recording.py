"""The worker's recording, model switch and replay slots, in its own QThread.

Driven through queued signals like the window does; the sources are a fake sine source and
real recordings. Every wait is a ``qtbot.waitUntil`` with a timeout.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QObject, Qt, QThread, pyqtSignal

from bci_desktop.core.acquisition.connect import ConnectRequest
from bci_desktop.core.recording import SessionRecorder, read_session
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.session import (
    BoardSpec,
    OpenedSource,
    RecordingStatus,
    ReplaySpec,
    ReplayStatus,
    StreamState,
    open_source,
)
from bci_desktop.core.session.recording import RecordRequest
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo
from bci_desktop.gui.worker import StreamWorker
from tests.gui.test_worker import FakeSource

T = 10000
FS = 250.0


class Driver(QObject):
    """Stands in for the window: queued signals into the worker's slots."""

    connect_source = pyqtSignal(object)
    disconnect_source = pyqtSignal()
    insert_marker = pyqtSignal(float)
    start_recording = pyqtSignal(object)
    stop_recording = pyqtSignal()
    add_event = pyqtSignal(str, str)
    activate_model = pyqtSignal(str)
    pause_replay = pyqtSignal()
    resume_replay = pyqtSignal()
    seek_replay = pyqtSignal(float)
    set_replay_speed = pyqtSignal(float)
    shutdown = pyqtSignal()


@pytest.fixture(autouse=True)
def sessions_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "sessions"
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(folder))
    return folder


def _fake_or_replay(spec, supervision):
    if isinstance(spec, ReplaySpec):
        return open_source(spec, supervision)
    return OpenedSource(FakeSource())


@pytest.fixture
def rig(qtbot):
    """A worker in a QThread streaming fake sources (or real replays), and what it said."""
    thread = QThread()
    worker = StreamWorker(open_source=_fake_or_replay, isolate=False)
    worker.moveToThread(thread)
    driver = Driver()
    for name in (
        "connect_source",
        "disconnect_source",
        "insert_marker",
        "start_recording",
        "stop_recording",
        "add_event",
        "activate_model",
        "pause_replay",
        "resume_replay",
        "seek_replay",
        "set_replay_speed",
    ):
        getattr(driver, name).connect(getattr(worker, name))
    driver.shutdown.connect(worker.shutdown, Qt.ConnectionType.BlockingQueuedConnection)
    seen: dict[str, list] = {
        "states": [],
        "updates": [],
        "notices": [],
        "recording": [],
        "models": [],
        "replay": [],
        "status": [],
    }
    worker.state_changed.connect(lambda s, m: seen["states"].append((s, m)))
    worker.updates.connect(lambda batch: seen["updates"].extend(batch))
    worker.notice.connect(seen["notices"].append)
    worker.recording_changed.connect(seen["recording"].append)
    worker.model_changed.connect(seen["models"].append)
    worker.replay_changed.connect(seen["replay"].append)
    worker.status.connect(seen["status"].append)
    thread.start()
    yield {"worker": worker, "driver": driver, "seen": seen}
    if thread.isRunning():
        driver.shutdown.emit()
        thread.quit()
        assert thread.wait(T)


def _state(rig) -> StreamState | None:
    states = rig["seen"]["states"]
    return states[-1][0] if states else None


def _rec(rig) -> RecordingStatus:
    items = rig["seen"]["recording"]
    return items[-1] if items else RecordingStatus()


def _replay(rig) -> ReplayStatus:
    items = rig["seen"]["replay"]
    return items[-1] if items else ReplayStatus(False, Path())


def _n_samples(updates) -> int:
    return sum(u.n_samples for u in updates)


def _notices(rig) -> list[str]:
    return [n.text for n in rig["seen"]["notices"]]


def _streaming(qtbot, rig, request: ConnectRequest | None = None) -> None:
    rig["driver"].connect_source.emit(request or ConnectRequest(BoardSpec("fake")))
    qtbot.waitUntil(lambda: _state(rig) is StreamState.STREAMING, timeout=T)


def test_recording_is_refused_without_a_stream(qtbot, rig) -> None:
    rig["driver"].start_recording.emit(RecordRequest("S1", "", None))
    qtbot.waitUntil(lambda: bool(rig["seen"]["recording"]), timeout=T)
    status = _rec(rig)
    assert status.recording is False and "connect a board" in status.error
    assert "connect a board" in _notices(rig)[-1]


def test_record_events_and_stop_while_streaming_goes_on(qtbot, rig, sessions_dir) -> None:
    _streaming(qtbot, rig)
    rig["driver"].start_recording.emit(RecordRequest("S2", "notes here", None))
    qtbot.waitUntil(lambda: _rec(rig).recording is True, timeout=T)
    folder = Path(_rec(rig).folder)
    assert folder.parent == sessions_dir
    rig["driver"].add_event.emit("calibration_start", "relaxed")
    rig["driver"].insert_marker.emit(5.0)
    # about once a second: elapsed time and size grow
    qtbot.waitUntil(lambda: _rec(rig).elapsed_s >= 1.0, timeout=T)
    assert _rec(rig).size_bytes > 1000
    rig["driver"].add_event.emit("calibration_end", "relaxed")
    rig["driver"].stop_recording.emit()
    qtbot.waitUntil(lambda: _rec(rig).recording is False, timeout=T)
    final = _rec(rig)
    assert final.error is None and final.folder == folder
    assert _state(rig) is StreamState.STREAMING

    session = read_session(folder)
    assert session.meta.status == "complete" and session.meta.subject == "S2"
    assert session.meta.notes == "notes here"
    assert [m.value for m in session.markers] == [5.0]
    kinds = [(e["kind"], e["detail"]) for e in session.events]
    assert kinds == [("calibration_start", "relaxed"), ("calibration_end", "relaxed")]
    assert session.n_samples == pytest.approx(final.elapsed_s * 250.0)
    # The fake source's samples, as they came (first chunk: its sine at the start index).
    assert np.all(np.diff(session.timestamps) == pytest.approx(1 / 250.0))


def test_event_without_recording_is_ignored_and_disconnect_stops_recording(qtbot, rig) -> None:
    _streaming(qtbot, rig)
    rig["driver"].add_event.emit("calibration_start", "x")  # no recording: nothing happens
    rig["driver"].start_recording.emit(RecordRequest())
    qtbot.waitUntil(lambda: _rec(rig).recording is True, timeout=T)
    folder = Path(_rec(rig).folder)
    rig["driver"].disconnect_source.emit()
    qtbot.waitUntil(lambda: _state(rig) is StreamState.IDLE, timeout=T)
    assert _rec(rig).recording is False
    session = read_session(folder)
    assert session.meta.status == "complete" and session.events == ()
    assert not (folder / "recording.lock").exists()


def test_unwritable_folder_is_reported_and_streaming_goes_on(qtbot, rig, tmp_path) -> None:
    _streaming(qtbot, rig)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    rig["driver"].start_recording.emit(RecordRequest("S3", "", str(blocker / "sessions")))
    qtbot.waitUntil(lambda: _rec(rig).error is not None, timeout=T)
    status = _rec(rig)
    assert status.recording is False
    assert "Cannot start recording" in status.error
    assert _state(rig) is StreamState.STREAMING
    count = len(rig["seen"]["updates"])
    qtbot.waitUntil(lambda: len(rig["seen"]["updates"]) > count, timeout=T)


def test_activate_model(qtbot, rig) -> None:
    _streaming(qtbot, rig)
    rig["driver"].activate_model.emit("no-such-model")
    qtbot.waitUntil(lambda: any("Model not changed" in n for n in _notices(rig)), timeout=T)
    assert "no-such-model" in _notices(rig)[-1]
    assert rig["seen"]["models"] == []

    rig["driver"].activate_model.emit("brainflow-restfulness")
    qtbot.waitUntil(lambda: bool(rig["seen"]["models"]), timeout=T)
    label = rig["seen"]["models"][-1]
    assert label.startswith("brainflow-restfulness@")
    assert _notices(rig)[-1] == f"Model switched to {label}."
    count = len(rig["seen"]["updates"])
    qtbot.waitUntil(
        lambda: any(
            p.model == label for u in rig["seen"]["updates"][count:] for p in u.predictions
        ),
        timeout=T,
    )

    rig["driver"].activate_model.emit(str(default_model_path()))
    qtbot.waitUntil(lambda: rig["seen"]["models"][-1].startswith("emotion-default@"), timeout=T)
    assert _state(rig) is StreamState.STREAMING


def _session(folder: Path, seconds: float = 4.0) -> Path:
    """A recorded session of ``seconds`` at 250 Hz (sines, a marker at 1 s)."""
    info = StreamInfo("Fake", None, FS, tuple(ChannelInfo(n) for n in ("C3", "C4")))
    n = round(seconds * FS)
    t = np.arange(n) / FS
    eeg = np.vstack([10 * np.sin(2 * np.pi * 7 * t), 5 * np.cos(2 * np.pi * 11 * t)])
    markers = np.zeros(n)
    markers[round(FS)] = 2.0
    with SessionRecorder.create(folder, info) as rec:
        rec.append(Chunk(eeg=eeg, timestamps=5000.0 + t, markers=markers))
    return rec.folder


def test_replay_pause_seek_speed_and_end(qtbot, rig, tmp_path) -> None:
    folder = _session(tmp_path / "rec")
    _streaming(qtbot, rig, ConnectRequest(ReplaySpec(folder, speed=2.0)))
    qtbot.waitUntil(lambda: _replay(rig).active is True, timeout=T)
    first = _replay(rig)
    assert first.duration_s == 4.0 and first.kind == "session" and first.speed == 2.0

    rig["driver"].pause_replay.emit()
    qtbot.waitUntil(lambda: _replay(rig).paused is True, timeout=T)
    assert _state(rig) is StreamState.PAUSED
    count = len(rig["seen"]["updates"])
    rig["driver"].seek_replay.emit(1.0)
    qtbot.waitUntil(lambda: _replay(rig).position_s == 1.0, timeout=T)
    # Paused, the second before the position arrives at once (for the panels to show).
    qtbot.waitUntil(lambda: _n_samples(rig["seen"]["updates"][count:]) == FS, timeout=T)
    context = np.concatenate([u.timestamps for u in rig["seen"]["updates"][count:]])
    assert context[0] == 5000.0 and context[-1] == pytest.approx(5001.0 - 1 / FS)
    rig["driver"].set_replay_speed.emit(10.0)
    qtbot.waitUntil(lambda: _replay(rig).speed == 10.0, timeout=T)
    after = _replay(rig)
    assert after.position_s == 1.0 and after.paused is True, "speed keeps place and pause"
    count = len(rig["seen"]["updates"])
    rig["driver"].resume_replay.emit()
    qtbot.waitUntil(lambda: _replay(rig).ended is True, timeout=T)
    assert _state(rig) is StreamState.ENDED, "the replay stays open at its end, not live"
    assert any("reached its end" in n for n in _notices(rig))
    replayed = rig["seen"]["updates"][count:]
    times = np.concatenate([u.timestamps for u in replayed])
    assert times[0] == 5001.0 and times[-1] == pytest.approx(5004.0 - 1 / FS)
    assert np.all(np.diff(times) > 0), "no sample twice after the speed change"
    assert times.size == 3 * FS

    rig["driver"].resume_replay.emit()  # after the end: from the start
    qtbot.waitUntil(lambda: not _replay(rig).ended, timeout=T)
    rig["driver"].set_replay_speed.emit(-1.0)
    qtbot.waitUntil(lambda: "'speed'" in _notices(rig)[-1], timeout=T)
    assert _notices(rig)[-1].startswith("Replay:")
    rig["driver"].disconnect_source.emit()
    qtbot.waitUntil(lambda: _replay(rig).active is False, timeout=T)


def test_replay_commands_without_replay_are_notices(qtbot, rig) -> None:
    _streaming(qtbot, rig)
    rig["driver"].seek_replay.emit(3.0)
    qtbot.waitUntil(lambda: "Replay: no recording is being replayed." in _notices(rig), timeout=T)
    assert rig["seen"]["replay"] == []
    assert _state(rig) is StreamState.STREAMING
    qtbot.waitUntil(lambda: bool(rig["seen"]["status"]), timeout=T)
    assert rig["seen"]["status"][-1].replay is None


def test_recording_a_replay_keeps_its_layout(qtbot, rig, tmp_path, sessions_dir) -> None:
    folder = _session(tmp_path / "rec", seconds=2.0)
    _streaming(qtbot, rig, ConnectRequest(ReplaySpec(folder, speed=4.0)))
    rig["driver"].start_recording.emit(RecordRequest("copy", "", None))
    qtbot.waitUntil(lambda: _replay(rig).ended is True, timeout=T)
    rig["driver"].stop_recording.emit()
    qtbot.waitUntil(lambda: _rec(rig).recording is False, timeout=T)
    copy = read_session(_rec(rig).folder)
    original = read_session(folder)
    n = copy.n_samples
    assert 0 < n <= original.n_samples
    start = original.n_samples - n
    np.testing.assert_array_equal(copy.eeg, original.eeg[:, start:])
    np.testing.assert_array_equal(copy.timestamps, original.timestamps[start:])
    assert (
        json.loads(json.dumps(copy.meta.to_dict()))["rows"]
        == json.loads(json.dumps(original.meta.to_dict()))["rows"]
    )
