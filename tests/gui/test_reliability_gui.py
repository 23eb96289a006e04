"""Signal lost and reconnection in the real window, on BrainFlow's real Cyton driver.

The board is :class:`~tests.core.sources.cyton_emulator.CytonEmulator`, a Cyton behind a
pseudo-terminal: the tests click Connect, pull the "cable" (``unplug``) and plug it back,
and check what the window shows, the log, the recording and the recovery, without any
click to reconnect. Every wait is a ``qtbot.waitUntil`` with a timeout; nothing sleeps.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtCore import QObject, Qt, pyqtSignal

from bci_desktop.core.recording import read_session
from bci_desktop.core.session import RecordRequest, StreamState
from bci_desktop.gui.main_window import MainWindow
from bci_desktop.gui.reliability import CHECK_HINT, lost_text
from tests.core.sources.cyton_emulator import CytonEmulator

T = 20000  # ms: generous, the machine may be busy (a Cyton handshake takes over 1 s)
STALL_S = 1.0


@pytest.fixture(autouse=True)
def sessions_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "sessions"
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def cyton_window(qtbot, tmp_path):
    """A shown window whose device panel points at an emulated Cyton; both closed after."""
    emulator = CytonEmulator(tmp_path / "ttyCYTON").start()
    w = MainWindow()
    qtbot.addWidget(w)
    w.worker.stall_timeout_s = STALL_S  # set before connecting (the worker reads it then)
    w.show()
    qtbot.waitExposed(w)
    assert w.device_panel.set_board("cyton")
    w.device_panel.set_connection({"serial_port": str(emulator.port)})
    events: list = []
    w.worker.source_event.connect(events.append)
    statuses: list[dict] = []
    w.worker.status.connect(statuses.append)
    yield w, emulator, events, statuses
    w.close()
    assert not w.worker_thread.isRunning()
    emulator.close()


class _MarkerDriver(QObject):
    marker = pyqtSignal(float)


def _connect(qtbot, w: MainWindow) -> None:
    button = w.device_panel.connect_button
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    start = w.live.samples_total
    qtbot.waitUntil(lambda: w.live.samples_total > start + 100, timeout=T)


def _kinds(events) -> list[str]:
    return [e.kind for e in events]


def test_lost_text_has_words() -> None:
    assert lost_text(12.2, 3.4) == "SIGNAL LOST 12 s — next attempt in 4 s"
    assert lost_text(None, None) == "SIGNAL LOST — reconnecting…"


def test_unplug_and_replug_resume_in_one_session(qtbot, cyton_window, sessions_dir) -> None:
    w, emulator, events, statuses = cyton_window
    rel = w.features.reliability
    _connect(qtbot, w)
    assert not rel.action.isEnabled(), "Reconnect now only makes sense once the signal is lost"
    assert rel.indicator_text == ""

    # Recording on (through the worker's start_recording slot).
    rec = w.features.recording
    rec.start(RecordRequest("S01", "unplug test", None))
    qtbot.waitUntil(lambda: rec.recording, timeout=T)
    qtbot.waitUntil(lambda: rec.status.elapsed_s >= 1.0, timeout=T)

    emulator.unplug()
    # (each receiver of a worker signal gets its own queued event: wait for all of them)
    qtbot.waitUntil(
        lambda: (
            w.stream_state is StreamState.SIGNAL_LOST
            and rel.lost
            and "signal_lost" in _kinds(events)
        ),
        timeout=T,
    )
    assert w.device_panel.state_text() == "Signal lost"
    assert rel.indicator.isVisible()
    assert rel.indicator_text.startswith("SIGNAL LOST")
    assert CHECK_HINT in rel.indicator_text
    assert w.banner.isVisible() and "Signal lost at" in w.banner.text
    assert rel.action.isEnabled()
    qtbot.waitUntil(lambda: "Signal lost at" in w.log_view.toPlainText(), timeout=T)
    line = next(x for x in w.log_view.toPlainText().splitlines() if "Signal lost at" in x)
    assert "WARNING" in line
    qtbot.waitUntil(
        lambda: statuses and statuses[-1].source_state in ("Signal lost", "Reconnecting"),
        timeout=T,
    )
    assert statuses[-1].lost_for_s is not None

    # Plug it back: streaming resumes with no click, new samples arrive.
    emulator.replug()
    qtbot.waitUntil(
        lambda: (
            w.stream_state is StreamState.STREAMING
            and not rel.lost
            and "reconnected" in _kinds(events)
        ),
        timeout=T,
    )
    assert not rel.indicator.isVisible() and rel.indicator_text == ""
    assert not rel.action.isEnabled()
    assert w.device_panel.state_text().startswith("Streaming")
    back = w.live.samples_total
    qtbot.waitUntil(lambda: w.live.samples_total > back + 100, timeout=T)
    # The engine restarted its filters at the gap (no transient fed to the classifier).
    qtbot.waitUntil(lambda: statuses[-1].gaps >= 1, timeout=T)
    assert statuses[-1].source_state == "Streaming"
    assert rec.recording, "the recording went on through the loss"

    rec.stop()
    qtbot.waitUntil(lambda: not rec.recording, timeout=T)
    sessions = [p for p in sessions_dir.iterdir() if (p / "session.json").is_file()]
    assert len(sessions) == 1, sorted(sessions_dir.rglob("*"))  # ONE session
    session = sessions[0]
    data = read_session(session)
    kinds = [e["kind"] for e in data.events]
    assert kinds.index("signal_lost") < kinds.index("reconnected")
    lost = next(e for e in data.events if e["kind"] == "signal_lost")
    resumed = next(e for e in data.events if e["kind"] == "reconnected")
    assert 0 < lost["sample"] <= resumed["sample"] < data.n_samples
    assert data.meta.status == "complete"


def test_stall_then_reconnect_now(qtbot, cyton_window) -> None:
    w, emulator, events, _ = cyton_window
    rel = w.features.reliability
    _connect(qtbot, w)
    emulator.unplug()  # and it stays away: the stream stalls
    qtbot.waitUntil(lambda: rel.lost and rel.action.isEnabled(), timeout=T)
    assert rel.indicator_text.startswith("SIGNAL LOST")
    before = _kinds(events).count("reconnect_attempt")
    # The worker may be mid-wait; "Reconnect now" skips it: an attempt comes at once.
    rel.action.trigger()
    qtbot.waitUntil(lambda: _kinds(events).count("reconnect_attempt") > before, timeout=T)
    assert w.stream_state is StreamState.SIGNAL_LOST, "the device is still away"
    # A marker while the signal is lost is refused in words, not an error.
    notices: list[str] = []
    w.worker.notice.connect(lambda n: notices.append(n.text))
    driver = _MarkerDriver()
    driver.marker.connect(w.worker.insert_marker)
    driver.marker.emit(3.0)
    qtbot.waitUntil(lambda: any("Marker 3 not inserted" in n for n in notices), timeout=T)
    assert "signal is lost" in notices[-1]
    assert w.stream_state is StreamState.SIGNAL_LOST
    # Disconnect ends the reconnection cleanly.
    qtbot.mouseClick(w.device_panel.disconnect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE and not rel.lost, timeout=T)
    assert not rel.indicator.isVisible() and not rel.action.isEnabled()
