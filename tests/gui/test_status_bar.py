"""The status bar and the window's words: long messages end in "…" before the permanent
fields, errors name fields (not command-line options), the idle model is the toolbar's."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QStatusTipEvent
from PyQt6.QtWidgets import QApplication

from bci_desktop.core.session import StreamState
from bci_desktop.gui.wording import in_window_words

T = 15000


def test_a_long_message_is_elided_before_the_permanent_fields(qtbot, open_window) -> None:
    w = open_window()
    w.resize(1280, 800)
    qtbot.waitUntil(lambda: w.width() == 1280, timeout=T)
    bar = w.statusBar()
    long = (
        "Recording into /home/researcher/.local/share/bci-desktop/sessions/"
        "20261206-153012_S01-a-rather-long-subject-name-for-a-test/ with 16 channels"
    )
    bar.showMessage(long, 10000)
    label = bar.message_label
    qtbot.waitUntil(lambda: label.isVisible() and label.width() > 0, timeout=T)
    fields = [lab for lab in w.status_labels.values() if lab.isVisible()]
    fields += [w.features.drift_badge]
    first = min(f.mapTo(bar, f.rect().topLeft()).x() for f in fields)
    right = label.mapTo(bar, label.rect().topRight()).x()
    assert right < first, "the message stops before the first permanent field"
    shown = label.fontMetrics().elidedText(
        label.text(), Qt.TextElideMode.ElideRight, label.contentsRect().width()
    )
    assert shown.endswith("…") and shown != long
    assert label.toolTip() == long and bar.currentMessage() == long
    # A status tip (hovering an action) shows in the same place, then the message returns.
    w.connect_action.showStatusText(w)
    assert bar.message_label.text() == w.connect_action.statusTip()
    QApplication.sendEvent(w, QStatusTipEvent(""))
    assert bar.message_label.text() == long


def test_errors_in_the_window_name_fields_not_options(qtbot, open_window) -> None:
    w = open_window()
    w.device_panel.set_board("cyton")
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.ERROR, timeout=T)
    for text in (w.device_panel.state_text(), w.banner.text, w.statusBar().currentMessage()):
        assert "--" not in text, text
        assert "fill in the Serial port field in the Device panel" in text, text
    # The command line keeps its options (the same core message, unchanged).
    assert in_window_words("pass --serial-port.") != "pass --serial-port."


def test_idle_status_bar_names_the_toolbars_model(qtbot, open_window) -> None:
    w = open_window()
    active = w.features.models.known_active_label
    assert w.status_labels["model"].text() == f"Model: {active}"
    assert w.features.models.toolbar_button.text() == f"Model: {active}"


@pytest.mark.parametrize(
    ("cli", "window"),
    [
        pytest.param(
            "Board 'playback_file' needs a master board: pass --master-board (e.g. "
            "--master-board synthetic).",
            "Board 'playback_file' needs a master board: choose the Master board field in "
            "the Device panel (e.g. synthetic).",
            id="example",
        ),
        pytest.param(
            "Board 'x' rejected its connection settings: check --ip-port, --timeout.",
            "Board 'x' rejected its connection settings: check the fields IP port, "
            "Timeout (s) in the Device panel.",
            id="check",
        ),
        pytest.param(
            "'a.edf' already exists: choose another name or allow overwriting (--overwrite).",
            "'a.edf' already exists: choose another name or allow overwriting.",
            id="aside",
        ),
        pytest.param("No option here -- at all.", "No option here -- at all.", id="none"),
    ],
)
def test_command_line_options_become_the_windows_words(cli: str, window: str) -> None:
    assert in_window_words(cli) == window
