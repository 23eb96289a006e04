"""Boards by the names people know them by: maker and model, e.g. "OpenBCI Cyton".

BrainFlow names its boards by identifiers (``CYTON_DAISY_BOARD``, ``NOTION_1_BOARD``,
``ANT_NEURO_EE_410_BOARD``); the command line accepts those (as ``cyton_daisy``...). This
table gives each the name on the box, and its maker, so the window's board list can be
grouped by maker and say "OpenBCI Cyton (8 ch, 250 Hz)", and ``bci-desktop boards`` can
print it. A board BrainFlow adds later and this table does not know yet is listed under
"Other makers" with BrainFlow's own name for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from brainflow.board_shim import BoardIds

from bci_desktop.core.sources.boards import BoardSummary, board_name, resolve_board

__all__ = [
    "OTHER_MAKERS",
    "TEST_SIGNALS",
    "BoardName",
    "board_label",
    "human_name",
    "maker_order",
]

#: The group of the synthetic board and the app's simulated subject.
TEST_SIGNALS = "Test signals"
#: The group of boards the table does not know.
OTHER_MAKERS = "Other makers"
#: BrainFlow's own tools (playback of a file, a stream from another BrainFlow program).
BRAINFLOW_TOOLS = "BrainFlow tools"


@dataclass(frozen=True)
class BoardName:
    """A board as people name it.

    Attributes
    ----------
    maker : str
        Who makes it ("OpenBCI"), or a group (:data:`TEST_SIGNALS`, "BrainFlow tools").
    model : str
        The product ("Cyton + Daisy").
    """

    maker: str
    model: str

    @property
    def full(self) -> str:
        """Maker and model, e.g. ``"OpenBCI Cyton"`` (the model alone for groups)."""
        if self.maker in (TEST_SIGNALS, BRAINFLOW_TOOLS, OTHER_MAKERS):
            return self.model
        return f"{self.maker} {self.model}"


_DONGLE = " (BLED112 dongle)"
_T = {
    "SYNTHETIC_BOARD": (TEST_SIGNALS, "BrainFlow synthetic board"),
    "PLAYBACK_FILE_BOARD": (BRAINFLOW_TOOLS, "Play back a BrainFlow file"),
    "STREAMING_BOARD": (BRAINFLOW_TOOLS, "Stream from another BrainFlow program"),
    "CYTON_BOARD": ("OpenBCI", "Cyton"),
    "CYTON_DAISY_BOARD": ("OpenBCI", "Cyton + Daisy"),
    "CYTON_WIFI_BOARD": ("OpenBCI", "Cyton + WiFi Shield"),
    "CYTON_DAISY_WIFI_BOARD": ("OpenBCI", "Cyton + Daisy + WiFi Shield"),
    "GANGLION_BOARD": ("OpenBCI", "Ganglion" + _DONGLE),
    "GANGLION_NATIVE_BOARD": ("OpenBCI", "Ganglion (built-in Bluetooth)"),
    "GANGLION_WIFI_BOARD": ("OpenBCI", "Ganglion + WiFi Shield"),
    "GALEA_BOARD": ("OpenBCI", "Galea"),
    "BRAINBIT_BOARD": ("BrainBit", "BrainBit"),
    "BRAINBIT_BLED_BOARD": ("BrainBit", "BrainBit" + _DONGLE),
    "CALLIBRI_EEG_BOARD": ("BrainBit", "Callibri EEG"),
    "CALLIBRI_EMG_BOARD": ("BrainBit", "Callibri EMG"),
    "CALLIBRI_ECG_BOARD": ("BrainBit", "Callibri ECG"),
    "UNICORN_BOARD": ("g.tec", "Unicorn Hybrid Black"),
    "NOTION_1_BOARD": ("Neurosity", "Notion 1"),
    "NOTION_2_BOARD": ("Neurosity", "Notion 2"),
    "CROWN_BOARD": ("Neurosity", "Crown"),
    "GFORCE_PRO_BOARD": ("OYMotion", "gForcePro+"),
    "GFORCE_DUAL_BOARD": ("OYMotion", "gForce Dual"),
    "FREEEEG32_BOARD": ("FreeEEG", "FreeEEG32"),
    "FREEEEG128_BOARD": ("FreeEEG", "FreeEEG128"),
    "MUSE_2016_BOARD": ("Interaxon", "Muse 2016"),
    "MUSE_2016_BLED_BOARD": ("Interaxon", "Muse 2016" + _DONGLE),
    "MUSE_2_BOARD": ("Interaxon", "Muse 2"),
    "MUSE_2_BLED_BOARD": ("Interaxon", "Muse 2" + _DONGLE),
    "MUSE_S_BOARD": ("Interaxon", "Muse S"),
    "MUSE_S_BLED_BOARD": ("Interaxon", "Muse S" + _DONGLE),
    "MUSE_S_ATHENA_BOARD": ("Interaxon", "Muse S Athena"),
    "ANT_NEURO_EE_410_BOARD": ("ANT Neuro", "eego EE-410"),
    "ANT_NEURO_EE_411_BOARD": ("ANT Neuro", "eego EE-411"),
    "ANT_NEURO_EE_430_BOARD": ("ANT Neuro", "eego EE-430"),
    "ANT_NEURO_EE_211_BOARD": ("ANT Neuro", "eego EE-211"),
    "ANT_NEURO_EE_212_BOARD": ("ANT Neuro", "eego EE-212"),
    "ANT_NEURO_EE_213_BOARD": ("ANT Neuro", "eego EE-213"),
    "ANT_NEURO_EE_214_BOARD": ("ANT Neuro", "eego EE-214"),
    "ANT_NEURO_EE_215_BOARD": ("ANT Neuro", "eego EE-215"),
    "ANT_NEURO_EE_221_BOARD": ("ANT Neuro", "eego EE-221"),
    "ANT_NEURO_EE_222_BOARD": ("ANT Neuro", "eego EE-222"),
    "ANT_NEURO_EE_223_BOARD": ("ANT Neuro", "eego EE-223"),
    "ANT_NEURO_EE_224_BOARD": ("ANT Neuro", "eego EE-224"),
    "ANT_NEURO_EE_225_BOARD": ("ANT Neuro", "eego EE-225"),
    "ANT_NEURO_EE_511_BOARD": ("ANT Neuro", "eego EE-511"),
    "ENOPHONE_BOARD": ("Enophone", "Enophones"),
    "BRAINALIVE_BOARD": ("BrainAlive", "BrainAlive"),
    "EXPLORE_4_CHAN_BOARD": ("Mentalab", "Explore (4 ch)"),
    "EXPLORE_8_CHAN_BOARD": ("Mentalab", "Explore (8 ch)"),
    "EXPLORE_PLUS_8_CHAN_BOARD": ("Mentalab", "Explore Pro (8 ch)"),
    "EXPLORE_PLUS_32_CHAN_BOARD": ("Mentalab", "Explore Pro (32 ch)"),
    "EMOTIBIT_BOARD": ("EmotiBit", "EmotiBit"),
    "NTL_WIFI_BOARD": ("NeuroTechLab", "NTL WiFi"),
    "AAVAA_V3_BOARD": ("AAVAA", "AAVAA v3"),
    "PIEEG_BOARD": ("PiEEG", "PiEEG"),
    "NEUROPAWN_KNIGHT_BOARD": ("NeuroPawn", "Knight"),
    "NEUROPAWN_KNIGHT_BOARD_IMU": ("NeuroPawn", "Knight with IMU"),
    "SYNCHRONI_UNO_1_CHANNELS_BOARD": ("Synchroni", "Uno (1 ch)"),
    "SYNCHRONI_TRIO_3_CHANNELS_BOARD": ("Synchroni", "Trio (3 ch)"),
    "SYNCHRONI_OCTO_8_CHANNELS_BOARD": ("Synchroni", "Octo (8 ch)"),
    "SYNCHRONI_PENTO_8_CHANNELS_BOARD": ("Synchroni", "Neo (8 ch)"),
    "OB5000_8_CHANNELS_BOARD": ("OpenBrain", "OB5000 MAX"),
    "OB3000_24_CHANNELS_BOARD": ("OpenBrain", "OB3000"),
    "BIOLISTENER_BOARD": ("BioListener", "BioListener"),
    "IRONBCI_32_BOARD": ("IronBCI", "IronBCI 32"),
    "SHIMMER3_BOARD": ("Shimmer", "Shimmer3"),
}
_TABLE: dict[str, BoardName] = {enum: BoardName(*names) for enum, names in _T.items()}


def human_name(board: str | int, *, brainflow_name: str | None = None) -> BoardName:
    """The maker and model of a board (anything :func:`resolve_board` accepts).

    A board missing from the table is listed under :data:`OTHER_MAKERS`, named by
    ``brainflow_name`` (BrainFlow's description name) or its user name.
    """
    member = BoardIds(resolve_board(board))
    known = _TABLE.get(member.name)
    if known is not None:
        return known
    return BoardName(OTHER_MAKERS, brainflow_name or board_name(member.value))


def board_label(summary: BoardSummary) -> str:
    """The board as the window lists it: ``"OpenBCI Cyton (8 ch, 250 Hz)"``."""
    name = human_name(summary.board_id, brainflow_name=summary.description_name)
    if summary.sample_rate is None:
        return f"{name.full} (channels and rate of the board that recorded it)"
    channels = f"{summary.n_eeg} ch" if summary.n_eeg else "no EEG"
    return f"{name.full} ({channels}, {summary.sample_rate} Hz)"


def maker_order(maker: str) -> tuple[int, str]:
    """Sort key of the groups: test signals first, makers A-Z, then other makers and
    BrainFlow's tools."""
    rank = {TEST_SIGNALS: 0, OTHER_MAKERS: 2, BRAINFLOW_TOOLS: 3}.get(maker, 1)
    return rank, maker.lower()
