"""The device panel's channel names: checked as ``--montage`` is, saved per board and per
device, and streamed with: the simulated subject and BrainFlow's real Cyton driver on an
emulated Cyton take the saved names, and the model is chosen for them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QTableWidgetItem

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.montage import board_montage
from bci_desktop.core.session import StreamState
from bci_desktop.core.settings import load_settings
from bci_desktop.gui.device_panel import DevicePanel
from bci_desktop.gui.wording import in_window_words
from tests.core.sources.cyton_emulator import CytonEmulator

T = 30000  # ms
CYTON = ("Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2")
MOVED = ("F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2")  # electrodes placed elsewhere


def _type(panel: DevicePanel, row: int, text: str) -> None:
    """Type ``text`` into the editor's row (as a user's edit does: an item change)."""
    panel.channel_editor.table.item(row, 0).setText(text)


def _cli_error(board: str, n: int, names: list[str], title: str) -> str:
    """What ``--montage`` says about these names (the core's message)."""
    with pytest.raises(ConfigError) as info:
        board_montage(board, n, given=names, title=title)
    return in_window_words(str(info.value))


def test_the_editor_checks_names_as_the_command_line_does(qtbot) -> None:
    panel = DevicePanel()
    qtbot.addWidget(panel)
    editor = panel.channel_editor
    assert panel.set_board("cyton")
    assert editor.isVisibleTo(panel)
    assert editor.names() == list(CYTON)
    assert editor.summary.text() == f"Channels: {', '.join(CYTON)} · names from BrainFlow"
    qtbot.mouseClick(editor.edit_button, Qt.MouseButton.LeftButton)
    assert editor.table.isVisibleTo(panel) and editor.table.rowCount() == 8

    # A typo: the core's message, in the panel; the cell marked; nothing to save.
    _type(panel, 1, "Fp11")
    expected = _cli_error("cyton", 8, ["Fp1", "Fp11", *CYTON[2:]], "Cyton board")
    assert editor.message.text() == expected
    assert "'Fp11' (channel 2) is not a 10-05 electrode position" in expected
    assert "Did you mean 'Fp1'?" in expected
    assert editor.table.item(1, 0).background().color().name() == "#e03131"
    assert not editor.save_button.isEnabled()

    # Old and new names of one position are one: a duplicate.
    _type(panel, 1, "T3")
    _type(panel, 2, "t7")
    assert "channels 2 and 3 ('T3' and 'T7') name one position" in editor.message.text()
    assert "T3 is the old name of T7" in editor.message.text()
    _type(panel, 2, "C3")
    assert editor.message.text() == "" and editor.save_button.isEnabled()

    # Presets offered are those with as many channels as the board.
    presets = [editor.preset_combo.itemData(i) for i in range(editor.preset_combo.count())]
    assert "unicorn" in presets and "crown" in presets and "muse" not in presets
    editor.preset_combo.setCurrentIndex(presets.index("unicorn"))
    editor.preset_combo.activated.emit(presets.index("unicorn"))
    assert editor.names()[:3] == ["Fz", "C3", "Cz"]

    # Boards whose names come from elsewhere have no editor.
    assert panel.set_board("playback_file")
    assert not editor.isVisibleTo(panel)
    assert panel.montage() is None
    # BrainFlow names no electrodes of the Ganglion: its default placement, said so.
    assert panel.set_board("ganglion_native")
    assert "default placement" in editor.summary.text()
    assert editor.names() == ["F3", "F4", "O1", "O2"]


def test_names_are_saved_per_board_and_per_device(qtbot, open_window) -> None:
    w = open_window()
    panel, editor = w.device_panel, w.device_panel.channel_editor
    assert panel.set_board("unicorn")
    panel.set_connection({"serial_number": "UN-1"})
    editor.edit_button.setChecked(True)
    assert editor.scope_combo.currentData() == "device", "a known device is the default"
    editor.set_names(["Fz", "C3", "Cz", "C4", "Pz", "PO7", "Oz", "T4"])
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert "serial number UN-1" in editor.message.text()
    assert panel.montage().channels[-1] == "T4"

    # Every other Unicorn: BrainFlow's names, until some are saved for every Unicorn.
    panel.set_connection({"serial_number": "UN-2"})
    assert panel.montage() is None
    assert editor.names()[-1] == "PO8"
    editor.scope_combo.setCurrentIndex(editor.scope_combo.findData("board"))
    editor.set_names(["Fz", "C3", "Cz", "C4", "Pz", "PO7", "Oz", "T3"])
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert panel.montage().channels[-1] == "T3"
    assert "saved for every" in editor.summary.text()
    panel.set_connection({"serial_number": "UN-1"})
    assert panel.montage().channels[-1] == "T4", "the device's own names win"
    assert "saved for this device" in editor.summary.text()

    # In the settings file (saved in the background), and back in a new window.
    qtbot.waitUntil(lambda: "unicorn serial UN-1" in load_settings()[0].montages, timeout=T)
    qtbot.waitUntil(lambda: "unicorn" in load_settings()[0].montages, timeout=T)
    montages = load_settings()[0].montages
    assert montages["unicorn serial UN-1"][-1] == "T4" and montages["unicorn"][-1] == "T3"
    w.close()
    w2 = open_window()
    assert w2.device_panel.board() == "unicorn"
    assert w2.device_panel.montage().channels[-1] == "T4"

    # "Use the board's names" forgets the device's names: every Unicorn's apply again.
    editor2 = w2.device_panel.channel_editor
    qtbot.mouseClick(editor2.forget_button, Qt.MouseButton.LeftButton)
    assert w2.device_panel.montage().channels[-1] == "T3"
    qtbot.waitUntil(lambda: "unicorn serial UN-1" not in load_settings()[0].montages, timeout=T)


def test_the_simulated_subject_streams_on_the_saved_montage(qtbot, open_window) -> None:
    w = open_window()
    panel, editor = w.device_panel, w.device_panel.channel_editor
    assert panel.set_board("simulated")
    editor.edit_button.setChecked(True)
    presets = [editor.preset_combo.itemData(i) for i in range(editor.preset_combo.count())]
    editor.preset_combo.activated.emit(presets.index("muse"))
    assert editor.names() == ["TP9", "AF7", "AF8", "TP10"]
    editor.table.setItem(3, 0, QTableWidgetItem("tp10"))
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert panel.montage().channels == ("TP9", "AF7", "AF8", "TP10")
    panel.set_speed(4.0)
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    assert w.live.channel_names == ("TP9", "AF7", "AF8", "TP10")
    qtbot.waitUntil(lambda: "emotion-muse@" in w.status_labels["model"].text(), timeout=T)


@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX pseudo-terminals")
def test_a_real_cyton_streams_with_the_names_saved_for_it(
    qtbot, open_window, tmp_path: Path
) -> None:
    emulator = CytonEmulator(tmp_path / "ttyCYTON").start()
    try:
        w = open_window()
        panel, editor = w.device_panel, w.device_panel.channel_editor
        assert panel.set_board("cyton")
        panel.set_connection({"serial_port": str(emulator.port)})
        editor.edit_button.setChecked(True)
        editor.set_names(list(MOVED))
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
        w.connect_stream()
        qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
        assert w.live.channel_names == MOVED
        # F3, F4, O1, O2 are among them: the model of that family, not the Cyton's.
        qtbot.waitUntil(lambda: "emotion-ganglion@" in w.status_labels["model"].text(), timeout=T)
        assert not editor.isEnabled(), "names are not edited while streaming"
        w.disconnect_stream()
        qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)
    finally:
        emulator.close()
