"""Electrode montages and a coarse scalp geometry for the simulated subject.

A 10-10 name says roughly where an electrode sits: its prefix (``Fp``, ``AF``, ``F``, ``FC``,
``FT``, ``C``, ``T``, ``CP``, ``TP``, ``P``, ``PO``, ``O``, ``I``) gives the position from front
to back, its number the side (odd left, even right, larger further out) and ``z`` the
midline. That is all the simulator needs to decide how strongly a channel sees a rhythm, a
blink or a muscle burst. Positions live on a flat map: ``x`` from -1 (left ear) to +1 (right
ear), ``y`` from -1 (inion) to +1 (nasion).
"""

from __future__ import annotations

import re

import numpy as np

from bci_desktop.core.errors import ConfigError

#: The channels the default emotion model reads, in its order.
MODEL_CHANNELS: tuple[str, ...] = ("F7", "F3", "F4", "F8", "C3", "C4", "Pz", "Oz")

#: EEG channel names of BrainFlow's synthetic board (board id -1), the default montage.
SYNTHETIC_MONTAGE: tuple[str, ...] = (
    "Fz", "C3", "Cz", "C4", "Pz", "PO7", "Oz", "PO8",
    "F5", "F7", "F3", "F1", "F2", "F4", "F6", "F8",
)  # fmt: skip

#: 64 standard 10-10 positions (the BioSemi 64 set) in priority order: the model's 8
#: channels, then the rest of the 10-20 system (20 in all), then the 12 that complete the
#: common 32-channel cap, then the 32 that complete the 64-channel cap. Any prefix of 8 or
#: more therefore holds the model's channels, and the first 32 are the standard 32 cap.
TEN_TEN_64: tuple[str, ...] = (
    *MODEL_CHANNELS,
    "Fp1", "Fp2", "Fz", "Cz", "T7", "T8", "P7", "P3", "P4", "P8", "O1", "O2",
    "AF3", "AF4", "FC5", "FC1", "FC2", "FC6", "CP5", "CP1", "CP2", "CP6", "PO3", "PO4",
    "Fpz", "AF7", "AFz", "AF8", "F5", "F1", "F2", "F6", "FT7", "FC3", "FCz", "FC4", "FT8",
    "C5", "C1", "C2", "C6", "TP7", "CP3", "CPz", "CP4", "TP8", "P9", "P5", "P1", "P2",
    "P6", "P10", "PO7", "POz", "PO8", "Iz",
)  # fmt: skip

# Front-to-back position of each 10-10 prefix (longest prefixes first for the regex).
_ROW_Y: dict[str, float] = {
    "fp": 0.95, "af": 0.75, "fc": 0.3, "ft": 0.3, "cp": -0.3, "tp": -0.3, "po": -0.75,
    "f": 0.55, "c": 0.0, "t": 0.0, "p": -0.55, "o": -0.95, "i": -1.05,
}  # fmt: skip
_NAME_RE = re.compile(r"^(fp|af|fc|ft|cp|tp|po|f|c|t|p|o|i)(z|\d{1,2})$")
# Old 10-20 names of temporal sites.
_OLD_NAMES = {"t3": "t7", "t4": "t8", "t5": "p7", "t6": "p8"}


def montage(n_channels: int) -> tuple[str, ...]:
    """Return standard channel names for a cap with ``n_channels`` electrodes.

    Parameters
    ----------
    n_channels : int
        1 to 64. 16 gives BrainFlow's synthetic board names (:data:`SYNTHETIC_MONTAGE`);
        8 gives the default model's channels; 32 and 64 give the standard 10-10 caps;
        other values give the first ``n_channels`` of :data:`TEN_TEN_64`.

    Returns
    -------
    tuple of str
        Channel names.

    Raises
    ------
    ConfigError
        If ``n_channels`` is not an integer from 1 to 64.
    """
    if isinstance(n_channels, bool) or not isinstance(n_channels, int | np.integer):
        raise ConfigError(
            f"Invalid value for the 'n_channels' parameter. Allowed values are integers from "
            f"1 to 64, but got {n_channels!r} instead."
        )
    n = int(n_channels)
    if not 1 <= n <= len(TEN_TEN_64):
        raise ConfigError(
            f"Invalid value for the 'n_channels' parameter. Allowed values are integers from "
            f"1 to {len(TEN_TEN_64)}, but got {n} instead."
        )
    if n == len(SYNTHETIC_MONTAGE):
        return SYNTHETIC_MONTAGE
    return TEN_TEN_64[:n]


def scalp_position(name: str) -> tuple[float, float]:
    """Return the flat-map position ``(x, y)`` of an electrode from its 10-10 name.

    Parameters
    ----------
    name : str
        Electrode name, case-insensitive (``"F3"``, ``"fcz"``, old ``"T3"`` ...).

    Returns
    -------
    tuple of float
        ``x`` from -1 (left) to +1 (right), ``y`` from -1 (back) to +1 (front). Names that
        are not 10-10 positions (``"A1"``, ``"EXG1"`` ...) sit at the vertex, ``(0, 0)``.
    """
    key = name.strip().lower()
    key = _OLD_NAMES.get(key, key)
    match = _NAME_RE.match(key)
    if match is None:
        return 0.0, 0.0
    row, col = match.groups()
    y = _ROW_Y[row]
    if col == "z":
        return 0.0, y
    number = int(col)
    if number == 0:
        return 0.0, 0.0
    side = -1.0 if number % 2 else 1.0
    x = side * min((number + 1) // 2, 5) / 5.0
    return x, y


def scalp_positions(names: tuple[str, ...] | list[str]) -> np.ndarray:
    """Return the positions of several electrodes as an array of shape ``(n, 2)``."""
    return np.array([scalp_position(n) for n in names], dtype=np.float64).reshape(-1, 2)


def spatial_kernel(
    channels_xy: np.ndarray, sources_xy: np.ndarray, width: float = 0.35
) -> np.ndarray:
    """Return how strongly each channel sees each source: a Gaussian of their distance.

    Parameters
    ----------
    channels_xy : ndarray, shape (n_channels, 2)
    sources_xy : ndarray, shape (n_sources, 2)
    width : float
        Spread of a source over the scalp, in flat-map units (the crude stand-in for volume
        conduction).

    Returns
    -------
    ndarray, shape (n_channels, n_sources)
    """
    d2 = ((channels_xy[:, None, :] - sources_xy[None, :, :]) ** 2).sum(axis=-1)
    return np.exp(-d2 / (2.0 * width**2))


def blink_weights(channels_xy: np.ndarray) -> np.ndarray:
    """Return the share of a blink each channel sees: 1 at Fp, ~0.5 at F, ~0.2 at C, ~0.04 at O."""
    y = channels_xy[:, 1]
    x = channels_xy[:, 0]
    return np.exp(-1.7 * np.clip(0.95 - y, 0.0, None)) * (1.0 - 0.25 * np.abs(x))


def muscle_weights(channels_xy: np.ndarray) -> np.ndarray:
    """Return the share of a muscle burst each channel sees.

    Temporal and fronto-lateral sites (F7, F8, FT7, T7, T8 ...) near the temporalis and
    frontalis muscles see most of it; midline and posterior sites little.
    """
    x = np.abs(channels_xy[:, 0])
    y = channels_xy[:, 1]
    lateral = np.clip((x - 0.3) / 0.5, 0.0, 1.0)
    frontal = np.where(y >= -0.35, 1.0, 0.5)
    return 0.12 + 0.88 * lateral * frontal + 0.2 * np.clip(y - 0.6, 0.0, None)
