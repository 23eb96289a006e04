"""The real window on BrainFlow's real synthetic board (offscreen Qt, pytest-qt).

Every wait is a ``qtbot.waitUntil``/``waitSignal`` with a timeout; nothing sleeps.
"""

from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path

import pytest
from PyQt6.QtCore import QSize, Qt
from PyQt6.QtWidgets import QApplication

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.session import StreamState
from bci_desktop.core.settings import load_settings
from bci_desktop.gui.log_panel import GuiLogHandler
from bci_desktop.gui.main_window import MainWindow
from bci_desktop.gui.panels.emotion_panel import WAITING_TEXT
from bci_desktop.gui.redraw import RedrawScheduler
from tests.log_records import captured_records

T = 15000  # ms: generous, the machine may be busy


def _click(qtbot, button) -> None:
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _points(curve) -> int:
    x, _ = curve.getData()
    return 0 if x is None else len(x)


def _connect(qtbot, w: MainWindow) -> None:
    _click(qtbot, w.device_panel.connect_button)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    start = w.live.samples_total
    qtbot.waitUntil(lambda: w.live.samples_total > start + 50, timeout=T)


def _disconnect(qtbot, w: MainWindow) -> None:
    _click(qtbot, w.device_panel.disconnect_button)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)


def test_synthetic_board_end_to_end(qtbot, open_window, isolated_dirs) -> None:
    w = open_window()
    assert w.windowTitle() == "BCI Desktop"
    assert w.device_panel.board() == "synthetic", "the synthetic board is the default"
    assert w.device_panel.state_text() == "Disconnected"

    # One click on Connect streams the real synthetic board; samples reach the plot data.
    _click(qtbot, w.device_panel.connect_button)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    assert w.device_panel.state_text().startswith("Streaming")
    qtbot.waitUntil(lambda: len(w.signal_view.curves) == 16, timeout=T)
    qtbot.waitUntil(lambda: all(_points(c) > 25 for c in w.signal_view.curves), timeout=T)
    assert w.live.channel_names[0] == "Fz"

    # Key "3" inserts marker 3: it comes back in the stream and is drawn as a line.
    w.signal_view.plot_widget.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: any(m.value == 3.0 for m in w.live.markers), timeout=T)
    qtbot.waitUntil(
        lambda: any(line.label.format == "3" for line in w.signal_view.marker_lines), timeout=T
    )
    # The marker toolbar inserts too.
    w.marker_actions[6].trigger()
    qtbot.waitUntil(lambda: any(m.value == 7.0 for m in w.live.markers), timeout=T)

    # A prediction reaches the emotion panel, its latency the latency panel.
    qtbot.waitUntil(lambda: w.emotion_panel.label_text != WAITING_TEXT, timeout=T)
    qtbot.waitUntil(lambda: _points(w.latency_panel.curve) >= 1, timeout=T)
    assert "p50" in w.latency_panel.stats_text

    # The status bar tells what streams, how much arrived, the model and the frame rate.
    qtbot.waitUntil(lambda: w.fps > 0, timeout=T)
    qtbot.waitUntil(lambda: "Rate: 2" in w.status_labels["rate"].text(), timeout=T)
    assert w.status_labels["board"].text() == "Board: Synthetic"
    assert w.status_labels["model"].text().startswith("Model: emotion-default@")
    assert w.status_labels["samples"].text() != "Samples: –"

    # F11 switches to the clinician view (full screen, no menus) and back; Esc leaves too.
    qtbot.keyClick(w, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: w.view_mode == "clinician", timeout=T)
    assert w.stack.currentWidget() is w.clinician_view
    assert w.isFullScreen() and not w.menuBar().isVisible()
    qtbot.waitUntil(w.clinician_view.isVisible, timeout=T)
    drawn = w.clinician_view.refresh() or True  # it keeps drawing while streaming
    assert drawn
    qtbot.keyClick(w, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: w.view_mode == "main", timeout=T)
    assert w.stack.currentWidget() is w.workspace and not w.isFullScreen()
    qtbot.keyClick(w, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: w.view_mode == "clinician", timeout=T)
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.view_mode == "main", timeout=T)
    assert w.menuBar().isVisible()

    # Disconnect and connect again, twice, without restarting.
    for _ in range(2):
        _disconnect(qtbot, w)
        assert w.device_panel.state_text() == "Disconnected"
        assert w.device_panel.connect_button.isEnabled()
        _connect(qtbot, w)
        qtbot.waitUntil(lambda: all(_points(c) > 25 for c in w.signal_view.curves), timeout=T)

    # Change what should persist: a hidden channel, the filters, the size, the board.
    w.signal_view.set_channel_visible("Cz", False)
    with qtbot.waitSignal(w.signal_view.filters_changed, timeout=T):
        w.signal_view.notch_combo.setCurrentIndex(w.signal_view.notch_combo.findData(60.0))
    _disconnect(qtbot, w)
    assert w.device_panel.set_board("cyton")
    w.device_panel.port_combo.setCurrentText("/dev/ttyUSB7")
    w.showNormal()
    w.resize(1240, 760)
    qtbot.waitUntil(lambda: w.size() == QSize(1240, 760), timeout=T)
    w.close()
    assert not w.worker_thread.isRunning(), "closing ends the worker thread"

    saved, warnings = load_settings()
    assert warnings == []
    assert saved.board == "cyton"

    # A new window comes back as it was left.
    w2 = open_window()
    assert w2.device_panel.board() == "cyton"
    assert w2.device_panel.connection_params().serial_port == "/dev/ttyUSB7"
    assert "Cz" in w2.signal_view.hidden_channels
    assert w2.signal_view.filters.notch_hz == 60.0
    assert w2.size() == QSize(1240, 760)
    assert w2.view_mode == "main"
    assert not w2.settings_warnings


def test_simulated_subject_shows_the_truth(qtbot, open_window) -> None:
    w = open_window()
    assert w.device_panel.set_board("simulated")
    assert w.device_panel.speed_box.isVisibleTo(w.device_panel)
    w.device_panel.set_speed(4.0)  # the first 4 s window arrives after 1 s
    _connect(qtbot, w)
    # Connecting saved the settings (in the background, off the GUI thread).
    qtbot.waitUntil(lambda: load_settings()[0].board == "simulated", timeout=T)
    assert load_settings()[0].speed == 4.0
    assert w.status_labels["board"].text() == "Board: Simulated subject"
    qtbot.waitUntil(lambda: w.emotion_panel.truth_text.startswith("True state:"), timeout=T)
    assert w.emotion_panel.label_text != WAITING_TEXT


def test_invalid_connection_shows_the_error_and_the_window_keeps_working(
    qtbot, open_window
) -> None:
    w = open_window()
    assert w.device_panel.set_board("cyton")
    assert w.device_panel.port_combo.isVisibleTo(w.device_panel)
    w.device_panel.port_combo.setCurrentText("/dev/ttyNOPE")
    with qtbot.waitSignal(w.worker.state_changed, timeout=T, check_params_cb=_is_error):
        _click(qtbot, w.device_panel.connect_button)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.ERROR, timeout=T)
    text = w.device_panel.state_text()
    assert text.startswith("Error: ") and "/dev/ttyNOPE" in text
    assert w.banner.isVisible() and "/dev/ttyNOPE" in w.banner.text
    assert "/dev/ttyNOPE" in w.statusBar().currentMessage()
    assert w.device_panel.connect_button.isEnabled()

    # The window still works: the synthetic board streams.
    assert w.device_panel.set_board("synthetic")
    _connect(qtbot, w)
    assert not w.banner.isVisible()


def _is_error(state: str, message: str) -> bool:
    return state is StreamState.ERROR and bool(message)


def test_a_bad_connection_field_is_refused_before_connecting(qtbot, open_window) -> None:
    w = open_window()
    assert w.device_panel.set_board("playback_file")
    w.device_panel.set_connection({"file": "/no/such/file.csv"})
    _click(qtbot, w.device_panel.connect_button)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.ERROR, timeout=T)
    assert "/no/such/file.csv" in w.device_panel.state_text()


def test_corrupt_settings_open_with_defaults_and_a_warning(
    qtbot, open_window, isolated_dirs
) -> None:
    folder: Path = isolated_dirs["config"]
    folder.mkdir(parents=True)
    (folder / "settings.json").write_text('{"board": "cyton", "geometry": ')  # truncated
    w = open_window()
    assert w.device_panel.board() == "synthetic"
    assert w.settings_warnings and "using the defaults" in w.settings_warnings[0]
    assert "Settings:" in w.statusBar().currentMessage()
    assert list(folder.glob("settings.json.bad-*"))
    assert "settings" in w.log_view.toPlainText()


def test_wrong_typed_field_keeps_the_rest(qtbot, open_window, isolated_dirs) -> None:
    folder: Path = isolated_dirs["config"]
    folder.mkdir(parents=True)
    doc = {
        "version": 1,
        "board": "simulated",
        "speed": "very fast",
        "filters": FilterSettings(notch_hz=60.0).to_dict(),
        "theme": "dark",
    }
    (folder / "settings.json").write_text(json.dumps(doc))
    w = open_window()
    assert w.device_panel.board() == "simulated"
    assert w.device_panel.speed() == 1.0
    assert w.signal_view.filters.notch_hz == 60.0
    assert w.theme_actions["dark"].isChecked()
    assert any("'speed'" in m for m in w.settings_warnings)
    w.set_theme("system")


def test_clinician_view_is_restored_full_screen(qtbot, open_window) -> None:
    w = open_window()
    w.resize(1200, 750)
    qtbot.waitUntil(lambda: w.size() == QSize(1200, 750), timeout=T)
    w.set_view_mode("clinician")
    assert w.isFullScreen()
    w.close()
    assert load_settings()[0].view_mode == "clinician"
    w2 = open_window()
    qtbot.waitUntil(lambda: w2.view_mode == "clinician", timeout=T)
    assert w2.isFullScreen() and w2.stack.currentWidget() is w2.clinician_view
    qtbot.mouseClick(w2.leave_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w2.view_mode == "main", timeout=T)
    qtbot.waitUntil(lambda: w2.size() == QSize(1200, 750), timeout=T)


def test_default_layout_shows_every_panel_at_1280x800(qtbot, open_window) -> None:
    w = open_window()
    assert w.size() == QSize(1280, 800), "the default size on a 1920x1080 screen"
    # The bottom row gets room for its plots, the signal view keeps room for 16 channels.
    qtbot.waitUntil(
        lambda: w.emotion_dock.height() >= 290 and w.signal_view.height() >= 380, timeout=T
    )
    docks = [w.device_dock, w.latency_dock, w.quality_dock, w.emotion_dock, w.spectrum_dock]
    area = w.workspace.rect()
    for dock in docks:
        assert dock.isVisible() and area.contains(dock.geometry()), dock.objectName()
    for a, b in itertools.combinations(docks, 2):
        assert not a.geometry().intersects(b.geometry()), (a.objectName(), b.objectName())
    assert not w.log_dock.isVisible()
    # No panel forces the window wider than the screen's usual 1280 px.
    assert w.minimumSizeHint().width() <= 1024
    w.reset_layout()
    qtbot.waitUntil(lambda: w.emotion_dock.height() >= 290, timeout=T)
    assert all(d.isVisible() for d in docks)


class _FakePanel:
    def __init__(self, visible: bool = True) -> None:
        self.visible, self.refreshes, self.resets = visible, 0, 0

    def isVisible(self) -> bool:
        return self.visible

    def refresh(self) -> bool:
        self.refreshes += 1
        return True

    def reset(self) -> None:
        self.resets += 1


def test_redraw_schedule_spreads_the_work_over_the_ticks() -> None:
    signal, a, b, hidden = _FakePanel(), _FakePanel(), _FakePanel(), _FakePanel(visible=False)
    sched = RedrawScheduler([signal, a, b, hidden], every_tick=[signal])
    for k in range(10):
        assert sched.tick(k * 0.025) is True
    assert signal.refreshes == 10, "the scrolling view draws on every tick"
    assert a.refreshes == b.refreshes == 5, "the others take turns"
    assert hidden.refreshes == 0
    assert sched.fps == 10.0  # ticks that drew within the last second
    sched.new_stream()
    sched.tick(1.0)
    assert signal.resets == 1 and a.resets == 0, "one rebuild per tick"
    assert signal.refreshes == 11 and set(sched.pending) == {a, b, hidden}
    for k in range(3):
        sched.tick(1.025 + k * 0.025)
    assert (a.resets, b.resets, hidden.resets) == (1, 1, 1) and not sched.pending
    sched.tick(5.0)
    assert sched.fps == 1.0


def test_plots_apply_a_range_change_before_painting(qtbot, open_window) -> None:
    w = open_window()
    vb = w.signal_view.plot_item.getViewBox()
    before = vb.childGroup.transform()
    vb.setXRange(100.0, 103.0, padding=0)
    # Applied now, not at the next paint (which would cost a second paint per frame).
    assert vb.childGroup.transform() != before


def test_theme_switch_and_menus(qtbot, open_window) -> None:
    w = open_window()
    menus = [a.text() for a in w.menuBar().actions()]
    # Feature modules may add menus (e.g. Models) between View and Help.
    assert menus[:3] == ["&File", "&Stream", "&View"] and menus[-1] == "&Help"
    assert w.connect_action.shortcut().toString() == "Ctrl+K"
    assert w.disconnect_action.shortcut().toString() == "Ctrl+Shift+K"
    assert "Ctrl+K" in w.connect_action.toolTip()
    assert w.clinician_action.shortcut().toString() == "F11"
    assert [a.shortcut().toString() for a in w.marker_actions] == [str(n) for n in range(1, 10)]
    app = QApplication.instance()
    w.set_theme("dark")
    assert app.palette().window().color().lightness() < 80
    w.set_theme("light")
    assert app.palette().window().color().lightness() > 200
    w.set_theme("system")
    assert w.current_settings().theme == "system"


def test_window_destroyed_without_closing_stops_its_thread(qtbot) -> None:
    window = MainWindow()
    thread, states = window.worker_thread, []
    window.worker.state_changed.connect(lambda state, _: states.append(state))
    window.connect_stream()
    qtbot.waitUntil(lambda: StreamState.STREAMING in states, timeout=T)
    window.deleteLater()  # never closed: its destroyed signal must stop stream and thread
    qtbot.waitUntil(lambda: not thread.isRunning(), timeout=T)
    # Its log panel's handler leaves the logger tree, and the record that finds it gone
    # still reaches every other handler (once one after it missed that record).
    with captured_records() as seen:
        logging.getLogger("bci_desktop.gui").warning("after the window")
        logging.getLogger("bci_desktop.gui").warning("and again")
    assert [r.getMessage() for r in seen] == ["after the window", "and again"]
    tree = logging.getLogger("bci_desktop")
    assert not [h for h in tree.handlers if isinstance(h, GuiLogHandler)]


@pytest.mark.parametrize(
    ("board", "shown", "required"),
    [
        pytest.param("synthetic", set(), set(), id="synthetic"),
        pytest.param("cyton", {"serial_port"}, {"serial_port"}, id="cyton"),
        pytest.param("muse_2", {"mac_address", "serial_number"}, set(), id="muse-2-native-ble"),
        pytest.param(
            "cyton_wifi", {"ip_port", "ip_address", "timeout"}, {"ip_port"}, id="cyton-wifi"
        ),
        pytest.param(
            "playback_file",
            {"file", "master_board", "file_aux", "file_anc"},
            {"file", "master_board"},
            id="playback",
        ),
    ],
)
def test_device_panel_shows_the_fields_a_board_needs(
    qtbot, board: str, shown: set[str], required: set[str]
) -> None:
    from bci_desktop.gui.device_panel import FIELDS, DevicePanel

    panel = DevicePanel()
    qtbot.addWidget(panel)
    assert panel.set_board(board)
    visible = {n for n in FIELDS if panel.fields.labels[n].isVisibleTo(panel)}
    assert visible == shown
    starred = {n for n in shown if panel.fields.labels[n].text().endswith("*")}
    assert starred == required
    assert panel.speed_box.isVisibleTo(panel) is False


def test_device_panel_lists_boards_ports_and_builds_params(qtbot) -> None:
    from PyQt6.QtSerialPort import QSerialPortInfo

    from bci_desktop.core.sources.boards import list_boards
    from bci_desktop.gui.device_panel import DevicePanel

    panel = DevicePanel()
    qtbot.addWidget(panel)
    combo = panel.board_combo
    rows = [(combo.itemText(i).strip(), combo.itemData(i)) for i in range(combo.count())]
    names = [name for _, name in rows if name is not None]
    assert names[:2] == ["synthetic", "simulated"]
    assert set(names[2:]) == {b.name for b in list_boards()} - {"synthetic"}
    # Human names grouped under their maker (headers cannot be chosen), the id in the tip.
    assert rows[0] == ("Test signals", None)
    cyton = combo.findData("cyton")
    assert combo.itemText(cyton).strip() == "OpenBCI Cyton (8 ch, 250 Hz)"
    header = max(i for i in range(cyton) if combo.itemData(i) is None)
    assert combo.itemText(header) == "OpenBCI"
    assert not combo.model().item(header).isEnabled()
    assert "BrainFlow board id 0" in combo.itemData(cyton, Qt.ItemDataRole.ToolTipRole)
    panel.set_board("cyton")
    assert panel.board_info.text() == "OpenBCI Cyton (8 ch, 250 Hz)"  # the whole name
    assert "BrainFlow board id 0" in combo.toolTip()
    daisy = combo.findData("cyton_daisy")
    assert combo.itemText(daisy).strip() == "OpenBCI Cyton + Daisy (16 ch, 125 Hz)"

    # The port list is what Qt finds; typed text survives a refresh.
    panel.set_board("cyton")
    panel.port_combo.setCurrentText("/dev/ttyTYPED")
    qtbot.mouseClick(panel.refresh_ports_button, Qt.MouseButton.LeftButton)
    listed = [panel.port_combo.itemText(i) for i in range(panel.port_combo.count())]
    assert listed == [p.systemLocation() for p in QSerialPortInfo.availablePorts()]
    assert panel.port_combo.currentText() == "/dev/ttyTYPED"

    # The streaming board: address, port and master board; fields of other boards stay out.
    panel.set_connection({"ip_address": "225.1.1.1", "ip_port": 6677, "master_board": -1})
    panel.set_board("streaming")
    params = panel.connection_params()
    assert (params.ip_address, params.ip_port, params.master_board) == (
        "225.1.1.1",
        6677,
        "synthetic",
    )
    assert params.serial_port == ""
    assert panel.connection_dict()["serial_port"] == "/dev/ttyTYPED"

    # States: word and colour, and which buttons work.
    panel.set_state(StreamState.CONNECTING, "")
    assert panel.state_text() == "Connecting…"
    assert not panel.connect_button.isEnabled() and not panel.board_combo.isEnabled()
    panel.set_state(StreamState.ERROR, "Board 'cyton' did not answer.")
    assert panel.state_text() == "Error: Board 'cyton' did not answer."
    assert panel.connect_button.isEnabled() and not panel.disconnect_button.isEnabled()
