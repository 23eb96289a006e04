"""Electrode montages: the 10-05 system, board presets, parsing and saved montages.

- :mod:`.tenfive`: which labels are 10-05 positions; old and new names of one position.
- :mod:`.geometry`: a flat map of the scalp for the simulated subject.
- :mod:`.presets`: named montages of the boards people own.
- :mod:`.resolve`: ``--montage NAME|LIST``, validation, which names a board's channels get.
- :mod:`.saved`: montages a user saved per board and per device.
"""

from bci_desktop.core.montage.presets import PRESETS, Preset, find_preset, preset_for_board
from bci_desktop.core.montage.resolve import (
    Montage,
    MontageOrigin,
    board_montage,
    check_channel_names,
    parse_montage,
)
from bci_desktop.core.montage.tenfive import homologous_pairs, homologue, is_position, position

__all__ = [
    "PRESETS",
    "Montage",
    "MontageOrigin",
    "Preset",
    "board_montage",
    "check_channel_names",
    "find_preset",
    "homologous_pairs",
    "homologue",
    "is_position",
    "parse_montage",
    "position",
    "preset_for_board",
]
