"""A coarse flat map of the scalp, from 10-05 names: where the simulated subject's sources
and electrodes sit.

A 10-05 name says roughly where an electrode sits: its row prefix (``Fp``, ``AFp``, ``AF``,
``AFF``, ``F``, ``FFC``, ``FC`` ... ``O``, ``OI``, ``I``) gives the position from front to
back, its number the side (odd left, even right, larger further out; an ``h`` suffix is half
a step towards the midline) and ``z`` the midline. That is all the simulator needs to decide
how strongly a channel sees a rhythm, a blink or a muscle burst. Positions live on a flat
map: ``x`` from -1 (left ear) to +1 (right ear), ``y`` from -1 (inion) to +1 (nasion). The
ear lobes ``A1``/``A2`` and mastoids ``M1``/``M2`` sit just outside it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bci_desktop.core.montage.tenfive import position

__all__ = [
    "blink_weights",
    "muscle_weights",
    "on_scalp",
    "scalp_position",
    "scalp_positions",
    "spatial_kernel",
]

# Front-to-back position of each row prefix (the 10-10 rows as they always were; the 10-05
# rows halfway between their neighbours).
_ROW_Y: dict[str, float] = {
    "n": 1.1, "fp": 0.95, "afp": 0.85, "af": 0.75, "aff": 0.65, "f": 0.55, "ffc": 0.425,
    "fft": 0.425, "fc": 0.3, "ft": 0.3, "fcc": 0.15, "ftt": 0.15, "c": 0.0, "t": 0.0,
    "ccp": -0.15, "ttp": -0.15, "cp": -0.3, "tp": -0.3, "cpp": -0.425, "tpp": -0.425,
    "p": -0.55, "ppo": -0.65, "po": -0.75, "poo": -0.85, "o": -0.95, "oi": -1.0, "i": -1.05,
}  # fmt: skip
# Sites off the top of the head: ear lobes and mastoids.
_OFF_MAP: dict[str, tuple[float, float]] = {
    "A1": (-1.1, 0.0), "A2": (1.1, 0.0), "M1": (-1.0, -0.45), "M2": (1.0, -0.45),
}  # fmt: skip


def on_scalp(name: str) -> bool:
    """True when ``name`` is an electrode position (10-05, A1/A2, M1/M2, old T3-T6)."""
    return position(name) is not None


def scalp_position(name: str) -> tuple[float, float]:
    """Return the flat-map position ``(x, y)`` of an electrode from its 10-05 name.

    Parameters
    ----------
    name : str
        Electrode name, case-insensitive (``"F3"``, ``"fcz"``, ``"FCC3h"``, old ``"T3"``).

    Returns
    -------
    tuple of float
        ``x`` from -1 (left) to +1 (right), ``y`` from -1 (back) to +1 (front). Labels that
        are not positions (``"EXG1"``, ``"X3"`` ...) give the vertex, ``(0, 0)``: check
        :func:`on_scalp` first.
    """
    modern = position(name)
    if modern is None:
        return 0.0, 0.0
    if modern in _OFF_MAP:
        return _OFF_MAP[modern]
    key = modern.lower()
    half = key.endswith("h")
    if half:
        key = key[:-1]
    stem = key.rstrip("0123456789z")
    col = key[len(stem) :]
    y = _ROW_Y[stem]
    if col == "z":
        return 0.0, y
    number = int(col)
    side = -1.0 if number % 2 else 1.0
    steps = min((number + 1) // 2, 5) - (0.5 if half else 0.0)
    return side * steps / 5.0, y


def scalp_positions(names: Sequence[str]) -> np.ndarray:
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
