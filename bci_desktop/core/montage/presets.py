"""Named montages of the EEG boards people own.

Where BrainFlow names a board's electrodes, the preset is exactly BrainFlow's list (a test
checks it against BrainFlow's board descriptions). Where BrainFlow gives no names (Ganglion,
Mentalab Explore, FreeEEG32) the preset is a *default placement* chosen here and documented
in ``docs/montages.md``; a user who placed the electrodes elsewhere names them with
``--montage`` or the device panel.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRESETS", "Preset", "find_preset", "preset_for_board", "preset_names"]


@dataclass(frozen=True)
class Preset:
    """A named montage.

    Parameters
    ----------
    name : str
        What a user types after ``--montage`` (``"cyton"``, ``"muse"``).
    title : str
        The product, as a user knows it (``"OpenBCI Cyton"``).
    channels : tuple of str
        Electrode names in the order of the board's EEG inputs.
    boards : tuple of str
        BrainFlow board names (``bci-desktop boards``) the preset is made for.
    from_brainflow : bool
        True when the names are BrainFlow's own; False for a default placement of a board
        BrainFlow names no electrodes of.
    aliases : tuple of str
        Other names a user may type for it.
    note : str
        Why this placement, for default placements.
    """

    name: str
    title: str
    channels: tuple[str, ...]
    boards: tuple[str, ...]
    from_brainflow: bool = True
    aliases: tuple[str, ...] = ()
    note: str = ""


_FOUR_DEFAULT = ("F3", "F4", "O1", "O2")
_FOUR_NOTE = (
    "BrainFlow names no electrodes of this board. Default placement: F3 and F4, the sites of "
    "the frontal alpha asymmetry studies (valence), and O1 and O2, where posterior alpha is "
    "strongest (arousal); reference and ground on the ear lobes or mastoids."
)
_EIGHT_DEFAULT = ("F7", "F3", "F4", "F8", "C3", "C4", "Pz", "Oz")
_SYNTHETIC = (
    "Fz", "C3", "Cz", "C4", "Pz", "PO7", "Oz", "PO8",
    "F5", "F7", "F3", "F1", "F2", "F4", "F6", "F8",
)  # fmt: skip
_CYTON_DAISY = (
    "Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2",
    "F7", "F8", "F3", "F4", "T7", "T8", "P3", "P4",
)  # fmt: skip
_GALEA = (
    "F1", "F2", "C3", "C4", "P3", "P4", "O1", "O2", "Cz", "Pz",
    "X1", "X2", "X3", "X4", "X5", "X6",
)  # fmt: skip
_MUSE_BOARDS = (
    "muse_2", "muse_s", "muse_2016", "muse_2_bled", "muse_s_bled", "muse_2016_bled",
    "muse_s_athena",
)  # fmt: skip
_BIOSEMI_32 = (
    "Fp1", "AF3", "F7", "F3", "FC1", "FC5", "T7", "C3", "CP1", "CP5", "P7", "P3", "Pz",
    "PO3", "O1", "Oz", "O2", "PO4", "P4", "P8", "CP6", "CP2", "C4", "T8", "FC6", "FC2",
    "F4", "F8", "AF4", "Fp2", "Fz", "Cz",
)  # fmt: skip

#: Every named montage, in the order ``bci-desktop boards`` and the docs list them.
PRESETS: tuple[Preset, ...] = (
    Preset(
        "synthetic",
        "BrainFlow synthetic board",
        _SYNTHETIC,
        ("synthetic",),
    ),
    Preset(
        "cyton",
        "OpenBCI Cyton",
        ("Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"),
        ("cyton", "cyton_wifi"),
    ),
    Preset(
        "cyton_daisy",
        "OpenBCI Cyton + Daisy",
        _CYTON_DAISY,
        ("cyton_daisy", "cyton_daisy_wifi"),
        aliases=("daisy",),
    ),
    Preset(
        "ganglion",
        "OpenBCI Ganglion",
        _FOUR_DEFAULT,
        ("ganglion", "ganglion_wifi", "ganglion_native"),
        from_brainflow=False,
        note=_FOUR_NOTE,
    ),
    Preset(
        "muse",
        "Interaxon Muse 2 / Muse S / Muse 2016",
        ("TP9", "AF7", "AF8", "TP10"),
        _MUSE_BOARDS,
        aliases=("muse_2", "muse_s", "muse_2016"),
    ),
    Preset(
        "unicorn",
        "g.tec Unicorn Hybrid Black",
        ("Fz", "C3", "Cz", "C4", "Pz", "PO7", "Oz", "PO8"),
        ("unicorn",),
    ),
    Preset(
        "crown",
        "Neurosity Crown",
        ("CP3", "C3", "F5", "PO3", "PO4", "F6", "C4", "CP4"),
        ("crown",),
    ),
    Preset(
        "notion_1",
        "Neurosity Notion 1",
        ("CP6", "F6", "C4", "CP4", "CP3", "F5", "C3", "CP5"),
        ("notion_1",),
    ),
    Preset(
        "notion_2",
        "Neurosity Notion 2",
        ("CP5", "F5", "C3", "CP3", "CP6", "F6", "C4", "CP4"),
        ("notion_2",),
    ),
    Preset(
        "brainbit",
        "BrainBit",
        ("T3", "T4", "O1", "O2"),
        ("brainbit", "brainbit_bled"),
    ),
    Preset(
        "enophone",
        "Enophone headphones",
        ("A2", "A1", "C4", "C3"),
        ("enophone",),
    ),
    Preset(
        "galea",
        "OpenBCI Galea",
        _GALEA,
        ("galea",),
    ),
    Preset(
        "explore_8",
        "Mentalab Explore (8 channels)",
        _EIGHT_DEFAULT,
        ("explore_8_chan", "explore_plus_8_chan"),
        from_brainflow=False,
        aliases=("explore",),
        note="BrainFlow names no electrodes of this board. Default placement: F7, F3, F4, F8 "
        "(frontal asymmetry, two pairs), C3, C4 (central beta and mu) and Pz, Oz (posterior "
        "alpha), the channels of the original BCI Desktop model.",
    ),
    Preset(
        "explore_4",
        "Mentalab Explore (4 channels)",
        _FOUR_DEFAULT,
        ("explore_4_chan",),
        from_brainflow=False,
        note=_FOUR_NOTE,
    ),
    Preset(
        "freeeeg32",
        "FreeEEG32",
        _BIOSEMI_32,
        ("freeeeg32",),
        from_brainflow=False,
        note="BrainFlow names no electrodes of this board. Default placement: the standard "
        "32-channel 10-20 cap in BioSemi's order (Fp1, AF3, F7 ... Fp2, Fz, Cz).",
    ),
)

_BY_NAME = {key: p for p in PRESETS for key in (p.name, *p.aliases)}
_BY_BOARD = {b: p for p in PRESETS for b in p.boards}


def _key(text: str) -> str:
    return str(text).strip().lower().replace("-", "_").replace(" ", "_")


def preset_names() -> tuple[str, ...]:
    """Names of the presets, in order."""
    return tuple(p.name for p in PRESETS)


def find_preset(name: str) -> Preset | None:
    """The preset called ``name`` (its name, an alias or one of its boards), else ``None``.

    Case, spaces and dashes do not matter: ``"Cyton-Daisy"`` finds ``cyton_daisy``.
    """
    key = _key(name)
    return _BY_NAME.get(key) or _BY_BOARD.get(key)


def preset_for_board(board: str) -> Preset | None:
    """The preset made for a BrainFlow board (by its user name, e.g. ``"ganglion_native"``)."""
    return _BY_BOARD.get(_key(board))
