"""Novelty: does *this one window* look like the data the model was trained on?

The drift monitor (:mod:`bci_desktop.core.inference.drift`) compares 30 s of live features
with the model's training reference and warns about slow changes (another person, electrodes
drying). It needs time. A signal that is not EEG at all (BrainFlow's synthetic board sends
sine waves; a floating electrode; a board sending test signals) must not get a confident
label even once, so every window is also checked on its own, from the first one on.

The score
---------
With ``x`` the window's feature vector and ``M``, ``S`` the training mean and standard
deviation of each feature (``S`` floored as in the drift monitor)::

    z_f   = (x_f - M_f) / S_f
    score = sqrt(mean_f min(z_f**2, 10**2))

the root mean square of the features' distances from training, in training SDs. On windows
like the training data it is about 1 (every feature is about one SD away on average); each
term is capped at 10 SD, so one or two broken features cannot make a window novel, but most
features far away do.

Measured through the engine with the default model (44 features, 4 s windows): the trained
person's new sessions 0.5-1.8 (max over 4,770 windows); other simulated persons 1.2-3.1;
the same person at 125-512 Hz at most 2.4; 10 µV of electrode noise 2.1-2.9; 30 µV 4.5-4.9;
white noise alone 5.3-8.8; BrainFlow's synthetic board 7.1-7.4; the Cyton emulator's sine
waves 9.4. The threshold of 4 sits above every EEG-like signal with a margin and below every
signal that is not EEG. ``models/train_default.py`` checks each shipped model's held-out
windows against it and writes their maximum into the model card.

A novel window's prediction is *withheld* (see ``docs/models.md`` for why withholding rather
than flagging): the reason starts with :data:`UNRELIABLE`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.stream import StreamInfo

__all__ = ["DEFAULT_THRESHOLD", "UNRELIABLE", "NoveltyCheck"]

#: Score above which a window does not look like the training data.
DEFAULT_THRESHOLD = 4.0
#: How every novelty reason starts (the window leads with it).
UNRELIABLE = "Unreliable: the signal does not look like the model's training data"
_CAP = 10.0
_SYNTHETIC_BOARD = -1
_SYNTHETIC_HINT = (
    "BrainFlow's synthetic board sends sine waves, not EEG: choose the simulated subject "
    "(--board simulated) for EEG-like data"
)
_GENERAL_HINT = (
    "check the electrodes and that the montage names the channels where they really are"
)


class NoveltyCheck:
    """Scores single feature vectors against a model's training reference.

    Parameters
    ----------
    reference : mapping
        At least ``mean`` and ``std`` (one number per feature), as embedded in a model.
    threshold : float
        Score above which a window is novel.
    hint : str
        What to try, appended to every reason.

    Raises
    ------
    ConfigError
        If the reference lacks ``mean``/``std``, they differ in length or hold NaN, or the
        threshold is not a positive number.
    """

    def __init__(
        self,
        reference: Mapping[str, Any],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        hint: str = _GENERAL_HINT,
    ) -> None:
        try:
            mean = np.asarray(reference["mean"], dtype=np.float64)
            std = np.asarray(reference["std"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                "A novelty check needs reference statistics with 'mean' and 'std' lists."
            ) from exc
        if mean.ndim != 1 or mean.shape != std.shape or mean.size == 0:
            raise ConfigError("The reference 'mean' and 'std' must be lists of equal length.")
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            raise ConfigError("The reference statistics hold NaN or infinite values.")
        if isinstance(threshold, bool) or not (math.isfinite(threshold) and threshold > 0):
            raise ConfigError(f"Invalid value for the 'threshold' parameter: {threshold!r}.")
        self.threshold = float(threshold)
        self.hint = hint
        self._mean = mean
        self._inv_std = 1.0 / np.maximum(np.abs(std), 1e-6 + 1e-3 * np.abs(mean))
        self._z = np.empty_like(mean)
        self.last_score = math.nan

    @classmethod
    def for_stream(
        cls, reference: Mapping[str, Any], n_features: int, info: StreamInfo | None = None
    ) -> NoveltyCheck | None:
        """The check for a model on a stream, ``None`` when the model has no usable reference.

        The reason names what to try; on BrainFlow's synthetic board, that it is not EEG.
        """
        try:
            usable = (
                n_features > 0
                and len(reference["mean"]) == n_features
                and len(reference["std"]) == n_features
            )
        except (KeyError, TypeError):
            usable = False
        if not usable:
            return None
        synthetic = info is not None and info.board_id == _SYNTHETIC_BOARD
        try:
            return cls(reference, hint=_SYNTHETIC_HINT if synthetic else _GENERAL_HINT)
        except ConfigError:
            return None

    @property
    def n_features(self) -> int:
        """Features per vector."""
        return int(self._mean.size)

    def score(self, features: np.ndarray) -> float:
        """Novelty score of one feature vector (NaN if it holds NaN or has the wrong size)."""
        x = features if isinstance(features, np.ndarray) else np.asarray(features, dtype=float)
        if x.size != self._mean.size:
            self.last_score = math.nan
            return self.last_score
        z = self._z  # five ufunc calls into a preallocated buffer: a few microseconds
        np.subtract(x.reshape(-1), self._mean, out=z)
        np.multiply(z, self._inv_std, out=z)
        np.minimum(np.abs(z, out=z), _CAP, out=z)
        self.last_score = math.sqrt(float(np.dot(z, z)) / z.size)
        return self.last_score

    def check(self, features: np.ndarray) -> str | None:
        """The reason to withhold this window's prediction, or ``None`` when it looks fine."""
        score = self.score(features)
        if not score > self.threshold:  # NaN features are the quality monitor's business
            return None
        return f"{UNRELIABLE} (novelty {score:.1f}, limit {self.threshold:g}): {self.hint}"
