"""BrainFlow's built-in mindfulness and restfulness classifiers, usable like any model.

BrainFlow ships two small classifiers (``brainflow.ml_model``, the metrics behind the focus
widget of the OpenBCI GUI). Their input is the vector of average relative band powers over
the EEG channels (bands 2-4, 4-8, 8-13, 13-30 and 30-45 Hz) from
``DataFilter.get_avg_band_powers(data, eeg_channels, sampling_rate, apply_filter=True)``,
exactly as BrainFlow's own ``eeg_metrics.py`` example computes it; ``MLModel.predict`` returns
a one-element array holding a score in [0, 1].

:class:`BrainFlowModel` wraps one of them with the interface of
:class:`~bci_desktop.core.inference.model.EmotionModel`: a window model (``input_kind``
``"window"``, channels x samples of filtered EEG) with two classes, probabilities
``[1 - score, score]``, metadata with a label such as ``brainflow-mindfulness@5.23.0``.
The engine measures its latency like any other model's.

BrainFlow allows one prepared classifier per metric in a process; instances share it (it is
prepared on first use and released when the last instance is closed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from brainflow import data_filter
from brainflow.data_filter import DataFilter
from brainflow.exit_codes import BrainFlowError
from brainflow.ml_model import (
    BrainFlowClassifiers,
    BrainFlowMetrics,
    BrainFlowModelParams,
    MLModel,
)

from bci_desktop.core.errors import ConfigError, ModelError
from bci_desktop.core.inference.metadata import ModelMetadata, ModelRecipe, TestVector
from bci_desktop.core.stream import StreamInfo
from bci_desktop.core.validate import check_choice

logger = logging.getLogger(__name__)

#: Metric name -> (BrainFlow metric, class names in the order of the probabilities).
METRICS: dict[str, tuple[BrainFlowMetrics, tuple[str, str]]] = {
    "mindfulness": (BrainFlowMetrics.MINDFULNESS, ("not mindful", "mindful")),
    "restfulness": (BrainFlowMetrics.RESTFULNESS, ("not restful", "restful")),
}
#: Window BrainFlow recommends for its metrics ("at least 4 seconds, bigger is better").
WINDOW_S = 4.0
#: Budget of one prediction: band powers of 16 x 1000 samples take ~2 ms (7 ms through
#: BrainFlow's Python wrapper).
LATENCY_BUDGET_MS = 50.0

#: The bands of ``DataFilter.get_avg_band_powers``.
_BANDS = ((2.0, 4.0), (4.0, 8.0), (8.0, 13.0), (13.0, 30.0), (30.0, 45.0))

_lock = threading.Lock()
_shared: dict[str, tuple[MLModel, int]] = {}


def _avg_band_powers_direct(data: np.ndarray, rate: int, apply_filter: bool) -> np.ndarray:
    """What ``get_avg_band_powers(data, all rows, rate, apply_filter)[0]`` returns, without
    its Python wrapper's per-sample copy loop (~4x faster on 16 x 1000 samples). Uses the
    wrapper's own library handle; :class:`BrainFlowModel` checks once that both agree and
    otherwise uses the documented call."""
    n_ch, n = data.shape
    flat = np.array(data, dtype=np.float64, order="C").reshape(-1)
    avg, std = np.zeros(len(_BANDS)), np.zeros(len(_BANDS))
    start = np.array([b[0] for b in _BANDS])
    stop = np.array([b[1] for b in _BANDS])
    res = data_filter.DataHandlerDLL.get_instance().get_custom_band_powers(
        flat, n_ch, n, start, stop, len(_BANDS), rate, int(apply_filter), avg, std
    )
    if res != 0:
        raise BrainFlowError("unable to get_avg_band_powers", res)
    return avg


def _acquire(metric: str) -> MLModel:
    with _lock:
        model, users = _shared.get(metric, (None, 0))
        if model is None:
            params = BrainFlowModelParams(
                METRICS[metric][0].value, BrainFlowClassifiers.DEFAULT_CLASSIFIER.value
            )
            model = MLModel(params)
            try:
                model.prepare()
            except BrainFlowError as exc:
                raise ModelError(
                    f"BrainFlow's {metric} classifier could not be prepared ({exc})."
                ) from exc
        _shared[metric] = (model, users + 1)
        return model


def _release(metric: str) -> None:
    with _lock:
        model, users = _shared.get(metric, (None, 0))
        if model is None:
            return
        if users > 1:
            _shared[metric] = (model, users - 1)
            return
        del _shared[metric]
        try:
            model.release()
        except BrainFlowError as exc:
            logger.warning("Releasing BrainFlow's %s classifier failed: %s", metric, exc)


def brainflow_version() -> str:
    """Version of BrainFlow's ML library (the version of its built-in models)."""
    try:
        return MLModel.get_version()
    except BrainFlowError:
        return "unknown"


class BrainFlowModel:
    """One of BrainFlow's built-in classifiers for one stream.

    Parameters
    ----------
    metric : str
        ``"mindfulness"`` or ``"restfulness"``.
    channels : sequence of str
        EEG channels it averages over (BrainFlow uses every EEG channel of the board).
    sample_rate : float
        The stream's sample rate (Hz).
    window_s, hop_s : float
        Analysed window and time between predictions.
    apply_filter : bool
        Let BrainFlow apply its own band-pass and band-stop filters to (a copy of) each
        window, as its examples do.

    Notes
    -----
    Use :meth:`for_stream` to build one for a source, and :meth:`close` (or a ``with``
    block) when done.
    """

    def __init__(
        self,
        metric: str,
        channels: Sequence[str],
        sample_rate: float,
        *,
        window_s: float = WINDOW_S,
        hop_s: float = 0.25,
        apply_filter: bool = True,
    ) -> None:
        check_choice("metric", metric, tuple(METRICS))
        if not channels:
            raise ConfigError("BrainFlow's classifiers need at least one EEG channel.")
        rate = round(float(sample_rate))
        if rate < 100:
            raise ConfigError(
                f"BrainFlow's band powers need a sample rate of at least 100 Hz (its 30-45 Hz "
                f"band), but the stream runs at {sample_rate:g} Hz."
            )
        self.metric = metric
        self.apply_filter = bool(apply_filter)
        self._rate = rate
        classes = METRICS[metric][1]
        recipe = ModelRecipe(
            channels=tuple(channels),
            sample_rate=float(sample_rate),
            window_s=float(window_s),
            hop_s=float(hop_s),
            input_kind="window",
        )
        self.metadata = ModelMetadata(
            name=f"brainflow-{metric}",
            version=brainflow_version(),
            classes=classes,
            recipe=recipe,
            test_vector=TestVector((), ()),
            description=(
                f"BrainFlow's built-in {metric} classifier (DEFAULT_CLASSIFIER) on the average "
                "band powers of all EEG channels; probabilities are [1 - score, score]."
            ),
            task=metric,
            provenance={"library": "brainflow", "classifier": "DEFAULT_CLASSIFIER"},
            latency_budget_ms=LATENCY_BUDGET_MS,
        )
        self.path = None
        self.sha256 = ""
        self._channels = list(range(len(channels)))
        self._direct = self._direct_path_agrees()
        self._model: MLModel | None = _acquire(metric)

    @classmethod
    def for_stream(cls, info: StreamInfo, metric: str = "mindfulness", **kwargs: Any):
        """A classifier over every EEG channel of ``info`` at its sample rate."""
        return cls(metric, info.channel_names, info.sample_rate, **kwargs)

    # -- the EmotionModel interface ------------------------------------------------------
    @property
    def classes(self) -> tuple[str, ...]:
        """Class names, in the order of the probabilities."""
        return self.metadata.classes

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input: channels x samples."""
        recipe = self.metadata.recipe
        return (len(recipe.channels), recipe.window_samples)

    @property
    def latency_budget_ms(self) -> float:
        """The latency budget per prediction (ms)."""
        return self.metadata.latency_budget_ms

    def features(self, window: np.ndarray) -> np.ndarray:
        """BrainFlow's feature vector of one window: average relative band powers (5,)."""
        data = np.ascontiguousarray(window, dtype=np.float64)
        if data.shape != self.input_shape:
            raise ValueError(f"Expected a window of shape {self.input_shape}, got {data.shape}.")
        if self._direct:
            return _avg_band_powers_direct(data, self._rate, self.apply_filter)
        avg, _std = DataFilter.get_avg_band_powers(
            data, self._channels, self._rate, self.apply_filter
        )
        return avg

    def _direct_path_agrees(self) -> bool:
        """Check once, on a seeded window, that the fast path gives the documented result."""
        rng = np.random.default_rng(0)
        probe = np.ascontiguousarray(rng.normal(0.0, 10.0, self.input_shape))
        expected = DataFilter.get_avg_band_powers(
            probe.copy(), self._channels, self._rate, self.apply_filter
        )[0]
        try:
            fast = _avg_band_powers_direct(probe, self._rate, self.apply_filter)
        except (AttributeError, TypeError, BrainFlowError) as exc:
            logger.info("BrainFlow band powers through the documented call only (%s).", exc)
            return False
        return bool(np.allclose(fast, expected, rtol=1e-9, atol=1e-12))

    def score(self, window: np.ndarray) -> float:
        """BrainFlow's score in [0, 1] for one window."""
        if self._model is None:
            raise ModelError(f"Model '{self.metadata.label}' was closed.")
        out = self._model.predict(self.features(window))
        return float(np.clip(out[0], 0.0, 1.0))

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities ``[1 - score, score]`` for one window (channels x samples)."""
        s = self.score(x)
        return np.array([1.0 - s, s], dtype=np.float32)

    def predict_proba_batch(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (n, 2) for a batch of windows."""
        return np.stack([self.predict_proba(w) for w in x])

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Release BrainFlow's classifier when no other instance uses it."""
        if self._model is not None:
            self._model = None
            _release(self.metric)

    def __enter__(self) -> BrainFlowModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BrainFlowModel({self.metric!r}, {len(self._channels)} channels, {self._rate} Hz)"


__all__ = ["METRICS", "BrainFlowModel", "brainflow_version"]
