"""Which features a personal model computes: those of the shipped model made for the montage.

The shipped models were tuned per montage family (docs/models.md: channels, window length,
feature spec), so a person calibrated on a Muse gets the Muse family's 10 s windows on
TP9, AF7, AF8, TP10, and a person on a 16-channel cap the default model's 4 s windows on
F7, F3, F4, F8, C3, C4, Pz, Oz. A montage that no shipped model fits gets the default
feature spec on its own named scalp channels. Channels with no electrode name cannot be
used: a model must name the electrodes it reads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from bci_desktop.core.dsp.features import FeatureSpec
from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.inference.metadata import ModelRecipe
from bci_desktop.core.montage.tenfive import position

__all__ = ["personal_recipe"]

logger = logging.getLogger(__name__)

#: Homologous left-right pairs used for asymmetry features when the montage has them.
_PAIRS = (("F3", "F4"), ("F7", "F8"), ("AF3", "AF4"), ("AF7", "AF8"), ("Fp1", "Fp2"),
          ("F5", "F6"), ("F1", "F2"))  # fmt: skip


def personal_recipe(
    channel_names: Sequence[str], sample_rate: float, *, registry=None
) -> ModelRecipe:
    """The recipe of a personal model for a stream with these channels at this rate.

    Raises
    ------
    ConfigError
        If no channel has an electrode name.
    """
    from bci_desktop.core.inference.model_choice import choose_model
    from bci_desktop.core.inference.registry import ModelRegistry
    from bci_desktop.core.inference.validation import open_session, read_metadata, read_model_bytes

    try:
        entries = [
            e
            for e in (registry or ModelRegistry()).list()
            if e.source == "shipped" and e.input_kind == "features" and e.path is not None
        ]
        choice = choose_model(channel_names, entries)
        if choice.entry is not None and choice.entry.path is not None:
            data, _ = read_model_bytes(choice.entry.path)
            meta = read_metadata(open_session(data, choice.entry.path), choice.entry.path)
            return replace(meta.recipe, sample_rate=float(sample_rate))
    except BCIError as exc:
        logger.warning("No shipped model's recipe for a personal model: %s", exc)
    named = tuple(c for c in channel_names if position(c) is not None)
    if not named:
        raise ConfigError(
            "The channels have no electrode names, so no model can be trained on them: name "
            "the channels where the electrodes are (the montage) first."
        )
    have = {n.lower(): n for n in named}
    pairs = tuple(
        (have[a.lower()], have[b.lower()])
        for a, b in _PAIRS
        if a.lower() in have and b.lower() in have
    )
    return ModelRecipe(
        channels=named,
        sample_rate=float(sample_rate),
        window_s=4.0,
        hop_s=0.25,
        features=FeatureSpec(kinds=("log_band_power",), asymmetry_pairs=pairs),
    )
