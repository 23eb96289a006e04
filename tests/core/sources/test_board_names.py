"""Boards by maker and model: every board BrainFlow knows has the name on its box."""

from __future__ import annotations

from brainflow.board_shim import BoardIds

from bci_desktop.core.sources.board_names import (
    OTHER_MAKERS,
    TEST_SIGNALS,
    board_label,
    human_name,
    maker_order,
)
from bci_desktop.core.sources.boards import list_boards


def test_every_brainflow_board_has_a_maker_and_a_model():
    unnamed = [
        m.name
        for m in BoardIds
        if m is not BoardIds.NO_BOARD and human_name(m.value).maker == OTHER_MAKERS
    ]
    assert unnamed == [], "name these boards in core/sources/board_names.py"


def test_labels_say_maker_model_channels_and_rate():
    by_name = {b.name: b for b in list_boards()}
    assert board_label(by_name["cyton"]) == "OpenBCI Cyton (8 ch, 250 Hz)"
    assert board_label(by_name["cyton_daisy"]) == "OpenBCI Cyton + Daisy (16 ch, 125 Hz)"
    assert board_label(by_name["notion_1"]) == "Neurosity Notion 1 (8 ch, 250 Hz)"
    assert board_label(by_name["ant_neuro_ee_410"]) == "ANT Neuro eego EE-410 (no EEG, 2000 Hz)"
    assert board_label(by_name["synthetic"]).startswith("BrainFlow synthetic board")
    assert "board that recorded it" in board_label(by_name["playback_file"])
    assert human_name("synthetic").maker == TEST_SIGNALS


def test_groups_sort_test_signals_first_and_makers_alphabetically():
    makers = ["OpenBCI", OTHER_MAKERS, "ANT Neuro", TEST_SIGNALS, "g.tec"]
    ordered = sorted(makers, key=maker_order)
    assert ordered == [TEST_SIGNALS, "ANT Neuro", "g.tec", "OpenBCI", OTHER_MAKERS]
