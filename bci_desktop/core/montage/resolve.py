"""A stream's montage: parse ``--montage NAME|LIST``, validate names, pick a board's names.

Which names a board's channels get, first match wins:

1. what the user gave (``--montage``, or the montage saved for this device);
2. BrainFlow's names for the board;
3. the default placement of the board's preset (boards BrainFlow names no electrodes of);
4. ``EEG 1``, ``EEG 2`` ... (no names: no model can be matched).
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.montage.presets import Preset, find_preset, preset_for_board, preset_names
from bci_desktop.core.montage.tenfive import (
    OLD_NAMES,
    POSITIONS,
    is_non_scalp_label,
    position,
    spelling,
)

__all__ = [
    "MAX_CHANNELS",
    "Montage",
    "MontageOrigin",
    "board_montage",
    "check_channel_names",
    "parse_montage",
]

#: Most channels a montage may name (FreeEEG128 and 128-channel caps fit).
MAX_CHANNELS = 256
_MAX_TEXT = 8192
_EXAMPLES = "Fp1, F3, C4, O2 (old T3-T6 are fine)"
_NON_SCALP_HINT = "X1, EXG1, AUX1, EMG1, ECG1 or EOG1 for a channel that is not on the scalp"


class MontageOrigin(enum.Enum):
    """Where a stream's channel names come from."""

    BRAINFLOW = "brainflow"
    DEFAULT_PLACEMENT = "default placement"
    PRESET = "preset"
    USER = "user"
    UNNAMED = "unnamed"

    @property
    def label(self) -> str:
        """How the window and ``bci-desktop boards`` say it."""
        return _ORIGIN_LABELS[self]


_ORIGIN_LABELS = {
    MontageOrigin.BRAINFLOW: "names from BrainFlow",
    MontageOrigin.DEFAULT_PLACEMENT: "default placement (BrainFlow names no electrodes of this "
    "board): check that it matches your electrodes",
    MontageOrigin.PRESET: "preset",
    MontageOrigin.USER: "names given by the user",
    MontageOrigin.UNNAMED: "no electrode names: name the channels (--montage) to get predictions",
}


@dataclass(frozen=True)
class Montage:
    """The names of a stream's EEG channels and where they come from.

    Parameters
    ----------
    channels : tuple of str
        One name per EEG channel, in the order of the board's inputs.
    origin : MontageOrigin
        BrainFlow, a default placement, a preset, the user, or none.
    name : str or None
        The preset's name when the names are a preset's.
    """

    channels: tuple[str, ...]
    origin: MontageOrigin
    name: str | None = None

    def describe(self) -> str:
        """One line: ``"cyton: Fp1, Fp2, ... (names from BrainFlow)"``."""
        head = f"{self.name}: " if self.name else ""
        return f"{head}{', '.join(self.channels)} ({self.origin.label})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (recorded with a session)."""
        return {"name": self.name, "origin": self.origin.value, "channels": list(self.channels)}


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name.strip(), POSITIONS, n=1, cutoff=0.6)
    if not close:
        lowered = {p.lower(): p for p in POSITIONS}
        close = [
            lowered[m]
            for m in difflib.get_close_matches(name.strip().lower(), lowered, n=1, cutoff=0.6)
        ]
    return f" Did you mean {close[0]!r}?" if close else ""


def check_channel_names(names: Sequence[object], *, what: str = "montage") -> tuple[str, ...]:
    """Validate electrode names against the 10-05 system; return them in usual spelling.

    Each name must be a 10-05 position (any case; old ``T3``-``T6`` accepted and kept as
    written) or a label of a channel that is not on the scalp (``X1``, ``EXG1`` ...). Two
    names of one position (``T3`` and ``T7``) are a duplicate.

    Raises
    ------
    ConfigError
        Naming the first bad channel, its number, and what to write instead.
    """
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ConfigError(
            f"Invalid {what}: expected a list of electrode names, but got {names!r}."
        )
    if not names:
        raise ConfigError(f"Invalid {what}: it names no channel.")
    if len(names) > MAX_CHANNELS:
        raise ConfigError(
            f"Invalid {what}: {len(names)} channels; at most {MAX_CHANNELS} are supported."
        )
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigError(f"Invalid {what}: channel {i} has no name ({raw!r}).")
        name = raw.strip()
        spelled = spelling(name)
        if spelled is None and not is_non_scalp_label(name):
            raise ConfigError(
                f"Invalid {what}: {name!r} (channel {i}) is not a 10-05 electrode position."
                f"{_suggest(name)} Use names such as {_EXAMPLES}, or {_NON_SCALP_HINT}."
            )
        label = spelled if spelled is not None else name.upper()
        key = position(label) or label.lower()
        if key in seen:
            j = seen[key]
            other = out[j - 1]
            if other.lower() == label.lower():
                clash = f"are both {label!r}"
            else:
                clash = (
                    f"({other!r} and {label!r}) name one position{_old_name_note(other, label)}"
                )
            raise ConfigError(
                f"Invalid {what}: channels {j} and {i} {clash}; each channel needs its own name."
            )
        seen[key] = i
        out.append(label)
    return tuple(out)


def _old_name_note(a: str, b: str) -> str:
    for old, new in OLD_NAMES.items():
        if {a, b} == {old, new}:
            return f" ({old} is the old name of {new})"
    return ""


def parse_montage(text: Montage | str | Sequence[str]) -> Montage:
    """Parse what a user gives after ``--montage``: a preset name, or names separated by commas.

    A single word is a preset (``cyton``, ``muse``, a board name such as ``muse_2``) or, if
    no preset has that name, a one-channel montage (``Fp1``). A list of names and a
    :class:`Montage` (e.g. a saved one) are accepted too.

    Returns
    -------
    Montage
        With origin :attr:`MontageOrigin.PRESET` or :attr:`MontageOrigin.USER`.

    Raises
    ------
    ConfigError
        On an unknown preset, an invalid electrode name or a duplicate.
    """
    if isinstance(text, Montage):
        return text
    if not isinstance(text, str):
        return Montage(check_channel_names(text), MontageOrigin.USER)
    if len(text) > _MAX_TEXT:
        raise ConfigError(f"Invalid montage: {len(text)} characters is too long.")
    stripped = text.strip()
    if not stripped:
        raise ConfigError(
            "Invalid montage: it is empty. Give a preset name (e.g. 'cyton') or electrode "
            "names separated by commas (e.g. 'Fp1,Fp2,C3,C4')."
        )
    if "," not in stripped:
        preset = find_preset(stripped)
        if preset is not None:
            return Montage(preset.channels, MontageOrigin.PRESET, preset.name)
        if spelling(stripped) is None:
            close = difflib.get_close_matches(stripped.lower(), preset_names(), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"Unknown montage {stripped!r}.{hint} Give a preset ("
                f"{', '.join(preset_names())}) or electrode names separated by commas, e.g. "
                "'Fp1,Fp2,C3,C4'."
            )
    return Montage(check_channel_names(stripped.split(",")), MontageOrigin.USER)


def board_montage(
    board: str,
    n_channels: int,
    *,
    brainflow_names: Sequence[str] = (),
    given: Montage | str | Sequence[str] | None = None,
    title: str | None = None,
) -> Montage:
    """The montage of a board's EEG channels.

    Parameters
    ----------
    board : str
        The board's user name (``"cyton"``, ``"ganglion_native"``).
    n_channels : int
        Its number of EEG channels.
    brainflow_names : sequence of str
        BrainFlow's names for them (empty when BrainFlow has none).
    given : Montage, str, sequence of str or None
        What the user chose (``--montage``, or the montage saved for this device).
    title : str or None
        How to call the board in messages (default: its name).

    Raises
    ------
    ConfigError
        If ``given`` is invalid or names another number of channels than the board has.
    """
    if given is not None:
        montage = given if isinstance(given, Montage) else parse_montage(given)
        if len(montage.channels) != n_channels:
            what = f"preset {montage.name!r}" if montage.name else "montage"
            raise ConfigError(
                f"The {what} names {len(montage.channels)} channel"
                f"{'s' if len(montage.channels) != 1 else ''}, but the "
                f"{title or board} has {n_channels} EEG channels: give {n_channels} names, in "
                "the order of the board's inputs."
            )
        return montage
    preset = preset_for_board(board)
    names = tuple(brainflow_names)
    if names and len(names) == n_channels:
        return Montage(
            names, MontageOrigin.BRAINFLOW, preset.name if _same(preset, names) else None
        )
    if preset is not None and len(preset.channels) == n_channels:
        return Montage(preset.channels, MontageOrigin.DEFAULT_PLACEMENT, preset.name)
    return Montage(tuple(f"EEG {i + 1}" for i in range(n_channels)), MontageOrigin.UNNAMED)


def _same(preset: Preset | None, names: tuple[str, ...]) -> bool:
    return preset is not None and tuple(n.lower() for n in preset.channels) == tuple(
        n.lower() for n in names
    )
