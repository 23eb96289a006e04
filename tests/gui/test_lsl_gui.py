"""The window and the Lab Streaming Layer, with real pylsl outlets in this process: the
board list shows the LSL streams visible, one streams like a board, Stream > Publish on LSL
publishes (and is saved), and markers from another program are drawn with their text."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import QTimer

from bci_desktop.core.lsl.discovery import is_lsl_board, own_source_id
from bci_desktop.core.lsl.library import pylsl_module
from bci_desktop.core.session import StreamState
from bci_desktop.core.settings import load_settings
from tests.core.lsl.publishers import Amplifier, marker_outlet, unique

T = 20000  # ms


@pytest.fixture
def amplifier(qtbot):
    """An LSL amplifier publishing on the GUI thread's event loop."""
    amp = Amplifier(unique("GuiAmp"), unique("guiamp"))
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(amp.push_due)
    timer.start()
    yield amp
    timer.stop()


def _lsl_items(w) -> dict[str, str]:
    combo = w.device_panel.board_combo
    return {
        str(combo.itemData(i)): combo.itemText(i)
        for i in range(combo.count())
        if is_lsl_board(str(combo.itemData(i)))
    }


def test_lsl_streams_in_the_board_list_publish_and_markers(
    qtbot, open_window, isolated_dirs, amplifier
):
    pylsl = pylsl_module()
    w = open_window()
    board = f"lsl:source_id={amplifier.source_id}"
    qtbot.waitUntil(lambda: board in _lsl_items(w), timeout=T)
    assert amplifier.name in _lsl_items(w)[board] and "250 Hz" in _lsl_items(w)[board]
    assert w.device_panel.set_board(board)
    assert "17 channels at 250 Hz" in w.device_panel.board_info.text()

    lsl = w.features.lsl
    assert not lsl.publish.isChecked() and not lsl.follow_markers.isChecked()  # off by default
    lsl.follow_markers.setChecked(True)
    w.device_panel.set_speed(3.0)  # the simulated subject's Speed field does not apply here
    w.device_panel.connect_button.click()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: w.live.samples_total > 500, timeout=T)
    assert w.live.channel_names[:2] == ("Fz", "C3")

    # Publish while streaming: the app's EEG outlet appears on the network.
    lsl.publish.setChecked(True)
    source_id = own_source_id(f"LSL {amplifier.name}", "eeg")
    found = pylsl.resolve_byprop("source_id", source_id, 1, 10.0)
    assert found and found[0].name() == "BCI-Desktop-EEG"
    assert not any(source_id in key for key in _lsl_items(w))  # its own outlet is not a board

    # A marker from "stimulus software", sent for a sample already drawn: drawn with its text.
    stim = marker_outlet(unique("Stim"), unique("stim"))
    qtbot.wait(2500)  # the marker stream is found and its clock measured
    stim.push_sample(["face"], amplifier.time_of(amplifier.k - 20))
    qtbot.waitUntil(lambda: any(m.text == "face" for m in w.live.markers), timeout=T)
    qtbot.waitUntil(
        lambda: any(line.label.format == "face" for line in w.signal_view.marker_lines),
        timeout=T,
    )
    # The latency from the samples' LSL time stamps shows beside the per-inference latency.
    qtbot.waitUntil(lambda: "from the LSL time stamp" in w.latency_panel.stats_text, timeout=T)

    w.device_panel.disconnect_button.click()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)
    w.close()
    saved, _ = load_settings()
    assert saved.lsl_outlets and saved.lsl_markers and saved.board == board


def test_a_saved_lsl_stream_that_is_not_there_is_listed_as_such(qtbot, open_window, isolated_dirs):
    from bci_desktop.core.settings import AppSettings, save_settings

    save_settings(AppSettings(board="lsl:name=Gone amp"))
    w = open_window()
    assert w.device_panel.board() == "lsl:name=Gone amp"
    assert "not visible now" in w.device_panel.board_combo.currentText()
    w.device_panel.connect_button.click()  # refused in words, no hang
    qtbot.waitUntil(lambda: w.stream_state is StreamState.ERROR, timeout=T)
    assert "not visible on the network" in w.device_panel.state_text()
