"""Channel sets of the simulated subject, and the scalp geometry it uses.

The geometry lives in :mod:`bci_desktop.core.montage.geometry` (re-exported here); board
presets and ``--montage`` parsing in :mod:`bci_desktop.core.montage`.
"""

from __future__ import annotations

import numpy as np

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.montage.geometry import (
    blink_weights,
    muscle_weights,
    on_scalp,
    scalp_position,
    scalp_positions,
    spatial_kernel,
)

__all__ = [
    "MODEL_CHANNELS",
    "SYNTHETIC_MONTAGE",
    "TEN_TEN_64",
    "blink_weights",
    "montage",
    "muscle_weights",
    "on_scalp",
    "scalp_position",
    "scalp_positions",
    "spatial_kernel",
]

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
