"""Board presets: BrainFlow's own names where it has them, a documented placement elsewhere."""

from __future__ import annotations

import pytest
from brainflow.board_shim import BoardIds, BoardShim

from bci_desktop.core.montage.presets import PRESETS, find_preset, preset_for_board
from bci_desktop.core.montage.resolve import check_channel_names
from bci_desktop.core.sources.boards import resolve_board

#: The boards issue 10 lists, by BrainFlow user name, and their preset.
LISTED = {
    "cyton": "cyton", "cyton_daisy": "cyton_daisy", "ganglion": "ganglion",
    "muse_2": "muse", "muse_s": "muse", "muse_2016": "muse", "unicorn": "unicorn",
    "crown": "crown", "notion_1": "notion_1", "notion_2": "notion_2", "brainbit": "brainbit",
    "enophone": "enophone", "galea": "galea", "explore_8_chan": "explore_8",
    "freeeeg32": "freeeeg32", "synthetic": "synthetic",
}  # fmt: skip


def _brainflow(board: str) -> tuple[int, tuple[str, ...]]:
    descr = BoardShim.get_board_descr(resolve_board(board))
    names = descr.get("eeg_names")
    return len(descr["eeg_channels"]), tuple(names.split(",")) if names else ()


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_presets_match_brainflow_and_the_10_05_system(preset) -> None:
    assert check_channel_names(preset.channels) == preset.channels
    for board in preset.boards:
        n_eeg, names = _brainflow(board)
        assert n_eeg == len(preset.channels), board
        if names:  # BrainFlow's names are the preset, exactly
            assert preset.from_brainflow and names == preset.channels, board
    if not preset.from_brainflow:
        assert preset.note and all(not _brainflow(b)[1] for b in preset.boards)


@pytest.mark.parametrize(("board", "name"), LISTED.items())
def test_every_listed_board_has_its_preset(board: str, name: str) -> None:
    assert preset_for_board(board).name == name
    assert BoardIds[board.upper() + "_BOARD"].value == resolve_board(board)


def test_presets_are_found_by_name_alias_or_board() -> None:
    assert find_preset("Muse-2").name == "muse" and find_preset("muse_s").name == "muse"
    assert find_preset("CYTON DAISY").name == "cyton_daisy" and find_preset("daisy").name
    assert find_preset("ganglion_native").name == "ganglion"
    assert find_preset("explore").name == "explore_8"
    assert find_preset("muse3") is None and preset_for_board("muse") is None
