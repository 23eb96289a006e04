"""The stream worker in its own QThread, with fake sources that misbehave on purpose."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PyQt6.QtCore import QObject, Qt, QThread, pyqtSignal

from bci_desktop.core.acquisition.connect import ConnectRequest
from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.errors import SourceError
from bci_desktop.core.session import (
    BoardSpec,
    ModelRequest,
    OpenedSource,
    StreamState,
    StreamStatus,
    one_line,
)
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.montage import MODEL_CHANNELS
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo
from bci_desktop.gui.worker import StreamWorker
from tests.log_records import captured_records

FAKE = ConnectRequest(BoardSpec("fake"))

T = 10000
FS = 250.0


class FakeSource(Source):
    """Sine waves in 10-sample chunks; ``fail_after`` reads then ``error`` is raised."""

    def __init__(
        self,
        channels: tuple[str, ...] = MODEL_CHANNELS,
        *,
        fail_after: int | None = None,
        error: Exception | None = None,
        fail_start: Exception | None = None,
        skip_every: int | None = None,
    ) -> None:
        self._info = StreamInfo("Fake", None, FS, tuple(ChannelInfo(n) for n in channels))
        self.fail_after, self.error, self.fail_start = fail_after, error, fail_start
        self.skip_every = skip_every
        self.reads = 0
        self.pos = 0
        self.started_in: int | None = None
        self.stopped = 0
        self.markers: list[float] = []
        self.rng = np.random.default_rng(7)

    @property
    def info(self) -> StreamInfo:
        return self._info

    def start(self) -> None:
        self.started_in = threading.get_ident()
        if self.fail_start is not None:
            raise self.fail_start

    def read(self) -> Chunk | None:
        self.reads += 1
        if self.fail_after is not None and self.reads > self.fail_after:
            raise self.error or RuntimeError("boom")
        n = 10
        if self.skip_every and self.reads % self.skip_every == 0:
            self.pos += 100  # 0.4 s of samples lost in transit: one gap
        idx = self.pos + np.arange(n)
        self.pos += n
        eeg = 20.0 * np.sin(2 * np.pi * 10 * idx / FS) + self.rng.normal(
            0, 5, (self.info.n_channels, n)
        )
        markers = np.zeros(n)
        if self.markers:
            markers[0] = self.markers.pop(0)
        return Chunk(eeg=eeg, timestamps=1000.0 + idx / FS, markers=markers)

    def stop(self) -> None:
        self.stopped += 1

    def _put_marker(self, value: float) -> None:
        self.markers.append(value)


class Driver(QObject):
    """Stands in for the main window: talks to the worker through queued signals."""

    connect_source = pyqtSignal(object)
    disconnect_source = pyqtSignal()
    insert_marker = pyqtSignal(float)
    set_filters = pyqtSignal(object)
    shutdown = pyqtSignal()


@pytest.fixture
def rig(qtbot):
    """A worker in a QThread with a fake source injected, a driver, and what it reported."""
    made: list[FakeSource] = []
    factory = {"make": lambda: FakeSource()}

    def fake_open_source(spec, supervision):
        source = factory["make"]()
        made.append(source)
        return OpenedSource(source)

    thread = QThread()
    worker = StreamWorker(open_source=fake_open_source, isolate=False)
    worker.moveToThread(thread)
    driver = Driver()
    driver.connect_source.connect(worker.connect_source)
    driver.disconnect_source.connect(worker.disconnect_source)
    driver.insert_marker.connect(worker.insert_marker)
    driver.set_filters.connect(worker.set_filters)
    driver.shutdown.connect(worker.shutdown, Qt.ConnectionType.BlockingQueuedConnection)
    seen: dict[str, list] = {"states": [], "updates": [], "notices": [], "status": [], "info": []}
    worker.state_changed.connect(lambda s, m: seen["states"].append((s, m)))
    worker.updates.connect(lambda batch: seen["updates"].extend(batch))
    worker.notice.connect(seen["notices"].append)
    worker.status.connect(seen["status"].append)
    worker.stream_info.connect(lambda info, label: seen["info"].append((info, label)))
    thread.start()
    yield {
        "worker": worker,
        "driver": driver,
        "seen": seen,
        "made": made,
        "factory": factory,
        "thread": thread,
    }
    if thread.isRunning():
        driver.shutdown.emit()
        thread.quit()
        assert thread.wait(T)


def _state(rig) -> StreamState | None:
    states = rig["seen"]["states"]
    return states[-1][0] if states else None


def _notices(rig) -> list[str]:
    return [n.text for n in rig["seen"]["notices"]]


def test_connects_in_the_worker_thread_and_streams(qtbot, rig) -> None:
    rig["driver"].connect_source.emit(FAKE)
    qtbot.waitUntil(lambda: _state(rig) is StreamState.STREAMING, timeout=T)
    assert [s for s, _ in rig["seen"]["states"]] == [StreamState.CONNECTING, StreamState.STREAMING]
    source = rig["made"][0]
    assert source.started_in is not None
    assert source.started_in != threading.get_ident(), "start() ran on the GUI thread"
    info, label = rig["seen"]["info"][0]
    assert info.channel_names == MODEL_CHANNELS and label.startswith("emotion-default@")
    qtbot.waitUntil(lambda: sum(u.n_samples for u in rig["seen"]["updates"]) > 200, timeout=T)
    qtbot.waitUntil(lambda: len(rig["seen"]["status"]) >= 1, timeout=T)
    status: StreamStatus = rig["seen"]["status"][0]
    assert status.source_name == "Fake" and status.samples > 0 and status.gaps == 0

    rig["driver"].insert_marker.emit(4.0)
    qtbot.waitUntil(lambda: any(4.0 in u.markers for u in rig["seen"]["updates"]), timeout=T)
    rig["driver"].disconnect_source.emit()
    qtbot.waitUntil(lambda: _state(rig) is StreamState.IDLE, timeout=T)
    assert source.stopped == 1


def test_exception_while_streaming_becomes_the_error_state(qtbot, rig) -> None:
    with captured_records() as records:
        rig["factory"]["make"] = lambda: FakeSource(fail_after=20, error=RuntimeError("boom"))
        rig["driver"].connect_source.emit(FAKE)
        qtbot.waitUntil(lambda: _state(rig) is StreamState.ERROR, timeout=T)
    message = rig["seen"]["states"][-1][1]
    assert message == "Unexpected RuntimeError: boom (details in the log)."
    assert rig["made"][0].stopped == 1, "the source is released after the error"
    assert any(r.exc_info and "Streaming failed" in r.getMessage() for r in records)
    # The worker is still alive: it connects again.
    rig["factory"]["make"] = lambda: FakeSource()
    rig["driver"].connect_source.emit(FAKE)
    qtbot.waitUntil(lambda: _state(rig) is StreamState.STREAMING, timeout=T)


def test_failed_start_reports_its_message_and_releases(qtbot, rig) -> None:
    error = SourceError("Cannot open serial port '/dev/ttyX' for board 'cyton'.")
    rig["factory"]["make"] = lambda: FakeSource(fail_start=error)
    rig["driver"].connect_source.emit(FAKE)
    qtbot.waitUntil(lambda: _state(rig) is StreamState.ERROR, timeout=T)
    assert rig["seen"]["states"][-1][1] == str(error)
    assert rig["made"][0].stopped == 1


def test_montage_without_the_model_channels_streams_and_says_why(qtbot, rig) -> None:
    rig["factory"]["make"] = lambda: FakeSource(channels=("A1", "A2", "A3"))
    rig["driver"].connect_source.emit(FAKE)
    qtbot.waitUntil(lambda: _state(rig) is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: bool(rig["seen"]["notices"]), timeout=T)
    assert "Predictions are withheld" in _notices(rig)[0]


def test_missing_model_file_is_an_error(qtbot, rig, tmp_path) -> None:
    missing = str(tmp_path / "nope.onnx")
    rig["driver"].connect_source.emit(
        ConnectRequest(BoardSpec("fake"), model=ModelRequest(missing))
    )
    qtbot.waitUntil(lambda: _state(rig) is StreamState.ERROR, timeout=T)
    assert "nope.onnx" in rig["seen"]["states"][-1][1]


def test_marker_without_stream_and_bad_filters_are_notices(qtbot, rig) -> None:
    rig["driver"].insert_marker.emit(2.0)
    qtbot.waitUntil(lambda: bool(rig["seen"]["notices"]), timeout=T)
    assert "connect a source first" in _notices(rig)[0]
    rig["driver"].connect_source.emit(FAKE)
    qtbot.waitUntil(lambda: _state(rig) is StreamState.STREAMING, timeout=T)
    rig["driver"].set_filters.emit(FilterSettings(bandpass=(1.0, 200.0)))  # above Nyquist
    qtbot.waitUntil(lambda: any("Filters not" in n for n in _notices(rig)), timeout=T)
    assert any("Filters not changed" in n for n in _notices(rig))
    assert _state(rig) is StreamState.STREAMING


def test_gaps_in_the_timestamps_are_counted(qtbot, rig) -> None:
    rig["factory"]["make"] = lambda: FakeSource(skip_every=50)
    rig["driver"].connect_source.emit(FAKE)
    qtbot.waitUntil(lambda: any(s.gaps >= 1 for s in rig["seen"]["status"]), timeout=T)
    status = next(s for s in rig["seen"]["status"] if s.gaps >= 1)
    assert status.dropped == 100 * status.gaps


def test_shutdown_returns_the_worker_to_the_gui_thread(qtbot, rig) -> None:
    rig["driver"].connect_source.emit(FAKE)
    qtbot.waitUntil(lambda: _state(rig) is StreamState.STREAMING, timeout=T)
    rig["driver"].shutdown.emit()  # blocking: returns when the source is stopped
    assert rig["made"][0].stopped == 1
    assert rig["worker"].thread() is QThread.currentThread()
    rig["thread"].quit()
    assert rig["thread"].wait(T)


def test_one_line() -> None:
    assert one_line(SourceError("Board 'x' failed\n  to open.")) == "Board 'x' failed to open."
    assert one_line(KeyError("k")) == "Unexpected KeyError: 'k' (details in the log)."
