"""Never stale, never dressed up: the real window after Disconnect, a failed connection, a
lost signal, a pause and the end of a replay; BrainFlow's synthetic board; the demo badge.

Real sources throughout: the simulated subject, BrainFlow's real Cyton driver on an emulated
Cyton (tests/core/sources/cyton_emulator.py) playing the simulated subject's EEG, BrainFlow's
synthetic board, a recording replayed. Every wait is a ``qtbot.waitUntil`` with a timeout.

"Within one second": the window applies a new state to the live data and redraws the
emotion panel and the clinician view in the same call that records the state
(``MainWindow._on_state``); so the checks below run the moment ``stream_state`` changes,
before any other event is processed, i.e. with no redraw tick in between.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFontMetrics

from bci_desktop.core.inference.provenance import DEMO_MODEL_TEXT
from bci_desktop.core.session import StreamState
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.gui.demo_badge import CALIBRATE_TEXT
from bci_desktop.gui.freshness import NOT_LIVE
from bci_desktop.gui.main_window import MainWindow
from bci_desktop.gui.panels.emotion_panel import UNRELIABLE_TEXT
from tests.core.sources.cyton_emulator import CytonEmulator
from tests.gui.recording_helpers import record

T = 30000  # ms: generous, the machine may be busy
CLASSES = ("calm", "happy", "sad", "stressed")
CYTON = ("Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2")
SPEED = 4.0  # the emulated Cyton plays 4 x 250 samples a second


@pytest.fixture(autouse=True)
def _sessions(sessions_dir: Path) -> Path:
    return sessions_dir


def _labelled(w: MainWindow) -> bool:
    """The emotion panel and the clinician view show a state as current."""
    w.emotion_panel.refresh()
    w.clinician_view.refresh()
    return w.clinician_view.state_text in CLASSES and w.emotion_panel.label_text.split()[0] in (
        CLASSES
    )


def _assert_not_live(w: MainWindow, words: str) -> None:
    """Both state panels say ``words`` and show no state as current; the panels are veiled."""
    ep, cv = w.emotion_panel, w.clinician_view
    assert ep.label_text.startswith(words), ep.label_text
    assert ep.reason_text.startswith(NOT_LIVE), ep.reason_text
    assert not any(c in ep.label_text for c in CLASSES)
    assert not np.any(ep.bars.opts["width"]), "no bar shows a probability as current"
    assert all(t.toPlainText() == "" for t in ep.bar_texts)
    assert cv.state_text == NOT_LIVE
    assert cv.detail_text.startswith(words), cv.detail_text
    assert "confident" not in cv.detail_text
    for panel in (w.emotion_panel, w.signal_view, w.quality_panel, w.spectrum_panel):
        frame = w.frames[panel]
        assert frame.text.startswith(f"{NOT_LIVE}: {words[0].lower()}{words[1:]}"), frame.text
        assert frame.dimmed
    assert w.device_panel.state_text() != "Streaming"
    assert not w.device_panel.state_text().startswith("Streaming")


def _stream_simulated(qtbot, w: MainWindow, speed: float = 8.0) -> None:
    assert w.device_panel.set_board("simulated")
    w.device_panel.set_speed(speed)
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: _labelled(w), timeout=T)


def test_disconnect_and_a_failed_connection_are_not_live_at_once(qtbot, open_window) -> None:
    w = open_window()
    w.set_view_mode("clinician")
    _stream_simulated(qtbot, w)
    for frame in w.frames.values():
        assert frame.text == "" and not frame.dimmed
    assert not w.clinician_view.demo_badge.isVisibleTo(w.clinician_view), (
        "the demo model is in its element on the simulated subject"
    )

    w.disconnect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)
    _assert_not_live(w, "Disconnected")
    assert w.device_panel.state_text() == "Disconnected"

    # Stream again, then fail to connect to a board: the old stream is not shown as live.
    _stream_simulated(qtbot, w)
    w.disconnect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)
    assert w.device_panel.set_board("cyton")
    w.device_panel.set_connection({"serial_port": "/dev/ttyNOPE"})
    w.connect_stream()
    assert w.stream_state is StreamState.CONNECTING
    _assert_not_live(w, "Connecting")
    qtbot.waitUntil(lambda: w.stream_state is StreamState.ERROR, timeout=T)
    _assert_not_live(w, "Connection failed")
    assert w.device_panel.state_text().startswith("Error: ")


def _simulated_uv(seconds: float) -> np.ndarray:
    subject = SimulatedSubject(
        speed=None, script=f"stressed:{seconds}", loop=False, channels=CYTON, seed=5, chunk_s=1.0
    )
    subject.start()
    chunks = []
    while not subject.finished:
        chunks.append(subject.read().eeg)
    return np.concatenate(chunks, axis=1)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX pseudo-terminals")
def test_a_lost_signal_on_a_real_driver_is_not_live_and_counts_up(
    qtbot, open_window, tmp_path: Path
) -> None:
    emulator = CytonEmulator(
        tmp_path / "ttyCYTON", sample_rate=SPEED * 250, signal_uv=_simulated_uv(60.0)
    ).start()
    try:
        w = open_window()
        w.worker.stall_timeout_s = 1.0
        assert w.device_panel.set_board("cyton")
        w.device_panel.set_connection({"serial_port": str(emulator.port)})
        w.set_view_mode("clinician")
        w.connect_stream()
        qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
        qtbot.waitUntil(lambda: _labelled(w), timeout=T)

        # A demonstration model classifies a real driver's stream: the badge says so, in
        # both places, and its button opens the calibration.
        for panel in (w.emotion_panel, w.clinician_view):
            badge = panel.demo_badge
            assert badge.isVisibleTo(panel)
            assert badge.label.text() == DEMO_MODEL_TEXT
            assert badge.button.text() == CALIBRATE_TEXT
        qtbot.mouseClick(w.clinician_view.demo_badge.button, Qt.MouseButton.LeftButton)
        calibration = w.features.calibration
        qtbot.waitUntil(
            lambda: calibration.dialog is not None and calibration.dialog.isVisible(), timeout=T
        )
        assert w.view_mode == "main", "the calibration is the operator's: the full layout"
        calibration.dialog.close()
        w.set_view_mode("clinician")

        emulator.unplug()
        qtbot.waitUntil(lambda: w.stream_state is StreamState.SIGNAL_LOST, timeout=T)
        _assert_not_live(w, "Signal lost")
        assert w.device_panel.state_text() == "Signal lost"
        # The time since the signal was lost counts up with no data coming.
        shown = w.clinician_view.detail_text
        qtbot.waitUntil(lambda: _refreshed_detail(w) != shown, timeout=T)
        assert w.clinician_view.detail_text.startswith("Signal lost")
        assert w.clinician_view.detail_text.endswith(" s ago")
        assert w.stream_state is StreamState.SIGNAL_LOST
    finally:
        emulator.close()


def _refreshed_detail(w: MainWindow) -> str:
    w.clinician_view.refresh()
    return w.clinician_view.detail_text


def test_pause_and_the_end_of_a_replay_are_not_live(qtbot, open_window) -> None:
    w = open_window()
    _stream_simulated(qtbot, w, speed=8.0)
    folder = record(qtbot, w, 10.0, subject="S07")
    replay = w.features.replay
    replay.open_recording(folder)
    qtbot.waitUntil(lambda: replay.replaying, timeout=T)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: _labelled(w), timeout=T)
    assert not w.emotion_panel.demo_badge.isVisibleTo(w.emotion_panel), (
        "a recording of the simulated subject is the simulated subject"
    )

    replay.pause()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.PAUSED, timeout=T)
    _assert_not_live(w, "Replay paused")
    assert w.device_panel.state_text().startswith("Paused")

    replay.resume()
    replay.set_speed(10.0)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.ENDED, timeout=T)
    _assert_not_live(w, "Replay ended")
    assert w.device_panel.state_text().startswith("Ended: Replay ended")


def test_the_synthetic_board_never_shows_a_confident_state(qtbot, open_window) -> None:
    w = open_window()
    w.set_view_mode("clinician")
    assert w.device_panel.board() == "synthetic"
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    cv, ep = w.clinician_view, w.emotion_panel
    seen: list[tuple[str, str, str]] = []

    def look() -> bool:
        cv.refresh()
        ep.refresh()
        seen.append((cv.state_text, cv.detail_text, ep.label_text))
        return sum(1 for p in w.live.predictions) >= 16

    qtbot.waitUntil(look, timeout=T)
    for state, detail, label in seen:
        assert state not in CLASSES and "confident" not in detail, (state, detail)
        assert not any(label.startswith(c) for c in CLASSES), label
        assert "%" not in state + label
    assert all(p.label is None for p in w.live.predictions)
    # It leads with the reason, not with a figure.
    assert cv.state_text == "Unreliable"
    assert cv.detail_text.startswith("The signal does not look like the model's training data.")
    assert "synthetic board sends sine waves" in cv.detail_text
    assert "novelty" not in cv.detail_text
    assert ep.label_text == UNRELIABLE_TEXT
    assert ep.reason_text.startswith("Unreliable: the signal does not look like")
    # In a narrow panel (a 1280x800 screen) the headline stays on one line, so the reason
    # under it has room; the reason's tooltip holds it whole.
    w.resize(1280, 800)
    ep.resize(420, ep.height())
    qtbot.waitUntil(lambda: ep.label.width() <= 420, timeout=T)
    fits = QFontMetrics(ep.label.font()).horizontalAdvance(UNRELIABLE_TEXT)
    assert fits <= ep.label.width(), (fits, ep.label.width())
    assert ep.reason.toolTip() == ep.reason_text
    assert cv.demo_badge.isVisibleTo(cv), "the synthetic board is not the simulated subject"
