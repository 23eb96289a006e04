"""Keys 1-9 are markers with the focus anywhere in the window but a text field, after every
way a recording can start; they land in ``markers.csv`` and are drawn with their number.

The real window streams BrainFlow's synthetic board (the calibration case: the simulated
subject); every key goes through Qt's shortcut machinery (``qtbot.keyClick`` sends the
``ShortcutOverride`` first, as a real key press does).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QSpinBox, QWidget

from bci_desktop.core.recording.session import read_session
from bci_desktop.core.session import StreamState
from bci_desktop.gui.device_panel import FIELDS
from bci_desktop.gui.main_window import MainWindow
from bci_desktop.gui.marker_keys import is_text_field
from bci_desktop.gui.panels._marker_lines import marker_text
from bci_desktop.gui.panels._style import fmt_marker
from tests.gui.calibration_helpers import protocol_file

T = 20000  # ms
KEYS = {n: getattr(Qt.Key, f"Key_{n}") for n in range(1, 10)}


def _stream(qtbot, w: MainWindow, board: str = "synthetic") -> None:
    w.device_panel.set_board(board)
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: w.live.samples_total > 50, timeout=T)


def _focus_targets(w: MainWindow) -> list[tuple[str, QWidget]]:
    """Widgets of the window that can hold the focus while streaming, none a text field."""
    sv = w.signal_view
    targets = [
        ("Window combo", sv.window_combo),
        ("Scale spin box", sv.scale_spin),
        ("Signal combo", sv.signal_combo),
        ("Notch combo", sv.notch_combo),
        ("Band-pass low spin box", sv.low_spin),
        ("Band-pass high spin box", sv.high_spin),
        ("signal plot", sv.plot_widget),
        ("spectrum channel combo", w.spectrum_panel.channel_combo),
        ("log panel (read only)", w.log_view),
    ]
    for name, widget in targets:
        assert not is_text_field(widget), name
    return targets


def _user_markers(w: MainWindow) -> list[float]:
    """The markers of keys 1-9 (a calibration inserts its own, 101, 201 ...)."""
    return [m.value for m in w.live.markers if m.value < 100]


def _press_everywhere(qtbot, w: MainWindow) -> list[float]:
    """Press 1-9 with the focus on each target in turn (and with no focus at all); the
    marker values expected, in order."""
    expected: list[float] = []
    keys = iter(list(range(1, 10)) * 3)
    w.signal_view.auto_scale_button.setChecked(False)  # the scale changes only by keys
    combo_before = w.signal_view.window_combo.currentData()
    scale_before = w.signal_view.scale_uv
    low_before = w.signal_view.low_spin.value()
    for name, widget in _focus_targets(w):
        widget.setFocus()
        qtbot.waitUntil(lambda widget=widget: QApplication.focusWidget() is widget, timeout=T)
        n = next(keys)
        seen = len(_user_markers(w))
        qtbot.keyClick(widget, KEYS[n])
        expected.append(float(n))
        qtbot.waitUntil(lambda seen=seen: len(_user_markers(w)) > seen, timeout=T)
        assert _user_markers(w)[-1] == n, f"key {n} with the focus on the {name}"
    # No widget has the focus (e.g. a dialog closed and the desktop gave it to nobody).
    focus = QApplication.focusWidget()
    if focus is not None:
        focus.clearFocus()
    n = next(keys)
    seen = len(_user_markers(w))
    qtbot.keyClick(w, KEYS[n])
    expected.append(float(n))
    qtbot.waitUntil(lambda: len(_user_markers(w)) > seen, timeout=T)
    assert _user_markers(w)[-1] == n
    # Combos and spin boxes did not take the digits.
    assert w.signal_view.window_combo.currentData() == combo_before
    assert w.signal_view.scale_uv == scale_before
    assert w.signal_view.low_spin.value() == low_before
    return expected


def _text_field_keeps_its_digits(qtbot, w: MainWindow) -> float:
    """Digits typed into a text field of the window are text; the marker value sent after
    them (by the toolbar) as a sentinel: markers arrive in order, so none came from the
    digits if the sentinel is the next one."""
    edit = QLineEdit()
    w.marker_toolbar.addWidget(edit)
    edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is edit, timeout=T)
    seen = len(_user_markers(w))
    qtbot.keyClicks(edit, "42")
    assert edit.text() == "42"
    w.marker_actions[8].trigger()
    qtbot.waitUntil(lambda: len(_user_markers(w)) > seen, timeout=T)
    assert _user_markers(w)[seen:] == [9.0]
    edit.setParent(None)
    return 9.0


def _drawn_numbers(w: MainWindow) -> list[str]:
    return [marker_text(line) for line in w.signal_view.marker_lines]


def _check_drawn(qtbot, w: MainWindow) -> None:
    """Every marker in the signal view's window is drawn with its own number."""
    sv = w.signal_view

    def right() -> bool:
        origin = w.live.origin
        if origin is None or not sv.marker_lines:
            return False
        lo = sv.plot_item.getViewBox().viewRange()[0][0]
        want = [fmt_marker(m.value) for m in w.live.markers if m.t - origin >= lo]
        return _drawn_numbers(w)[-len(want) :] == want

    qtbot.waitUntil(right, timeout=T)


def _finish(qtbot, w: MainWindow) -> tuple[Path, list[float]]:
    rec = w.features.recording
    folder = Path(rec.folder)
    rec.stop()
    qtbot.waitUntil(lambda: not rec.recording, timeout=T)
    values = [m.value for m in read_session(folder).markers]
    return folder, values


@pytest.mark.parametrize("how", ["toolbar", "ctrl_r_dialog"])
def test_marker_keys_land_after_a_recording_starts(qtbot, open_window, how) -> None:
    w = open_window()
    _stream(qtbot, w)
    rec = w.features.recording
    if how == "toolbar":
        w.stream_toolbar.widgetForAction(rec.action).click()
        qtbot.waitUntil(lambda: rec.dialog is not None, timeout=T)
        dialog = rec.dialog
        dialog.subject_edit.setText("S07")
        # A digit typed into the dialog's subject field is text, not a marker.
        qtbot.keyClicks(dialog.subject_edit, "1")
        assert dialog.subject_edit.text() == "S071"
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    else:
        w.signal_view.window_combo.setFocus()
        qtbot.keyClick(w, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: rec.dialog is not None, timeout=T)
        qtbot.keyClick(rec.dialog.subject_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rec.recording, timeout=T)
    qtbot.waitUntil(lambda: rec.dialog is None, timeout=T)

    expected = _press_everywhere(qtbot, w)
    expected.append(_text_field_keeps_its_digits(qtbot, w))
    _check_drawn(qtbot, w)
    _, values = _finish(qtbot, w)
    assert values == expected


def test_marker_keys_land_during_a_calibration(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    try:
        _stream(qtbot, w, "simulated")
        protocol = protocol_file(tmp_path / "p.json", ["calm", "stressed"], blocks_per_state=2,
                                 block_s=60, rest_s=2, prepare_s=1, seed=2)  # fmt: skip
        d = w.features.calibration.open()
        page = d.setup_page
        assert page.load_protocol(protocol) is None, page.outcome_text
        page.subject_edit.setText("S02")
        page.full_screen.setChecked(False)
        qtbot.waitUntil(lambda: page.start_button.isEnabled(), timeout=T)  # (problems_text)
        assert d.start()
        qtbot.waitUntil(lambda: d.phase == "running", timeout=T)
        w.activateWindow()
        expected = _press_everywhere(qtbot, w)
        _check_drawn(qtbot, w)
        folder = d.session_folder
        d.cancel()
        qtbot.waitUntil(lambda: not w.features.recording.recording, timeout=T)
        values = [m.value for m in read_session(folder).markers if m.value < 100]
        assert values == expected  # the calibration's own markers are 101, 201 ...
        d.close()
    finally:
        w.close()


def test_digits_edit_number_fields_while_nothing_streams(qtbot, open_window) -> None:
    """Marker keys are off while no stream is live: digits go to the focused field."""
    w = open_window()
    w.device_panel.set_board("cyton_wifi")
    tip = FIELDS["ip_port"].tip
    spin = next(s for s in w.device_panel.findChildren(QSpinBox) if s.toolTip() == tip)
    assert spin.isVisible()
    spin.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=T)
    spin.selectAll()
    qtbot.keyClicks(spin, "6677")
    assert spin.value() == 6677
