"""View > Frame rate: 30, 45 or 60 frames a second (60 by default), remembered."""

from __future__ import annotations

from bci_desktop.core.settings import AppSettings, load_settings
from bci_desktop.gui.main_window import MainWindow, frame_interval_ms


def test_frame_rate_menu_sets_and_remembers_the_rate(qtbot, open_window) -> None:
    w = open_window()
    menu = w.features.frame_rate
    assert w.frame_rate == 60 and menu.actions[60].isChecked()
    assert frame_interval_ms(60) == 16  # the timer is not capped at 40 per second any more
    menu.actions[30].trigger()
    assert w.frame_rate == 30 and menu.actions[30].isChecked()
    assert w.current_settings().frame_rate == 30
    w.save()
    settings, warnings = load_settings()
    assert settings.frame_rate == 30 and not warnings
    again = MainWindow(settings=AppSettings(frame_rate=45))
    qtbot.addWidget(again)
    assert again.features.frame_rate.actions[45].isChecked()
    again.close()
