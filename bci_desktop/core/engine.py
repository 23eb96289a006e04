"""One step of the pipeline: a chunk of samples in, an update out.

The engine filters each new sample once (causal filters with carried state), keeps the last
seconds of raw and filtered signal in preallocated ring buffers, scores signal quality, and
every hop computes features over the window and asks the model for a prediction. Each
prediction carries its own latency, measured with :func:`time.perf_counter_ns` from the
moment the samples completing its window are handed to the engine until the prediction
object exists.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bci_desktop.core.dsp.features import FeatureExtractor
from bci_desktop.core.dsp.filters import FilterSettings, StreamingFilter
from bci_desktop.core.dsp.incremental import IncrementalWelch
from bci_desktop.core.dsp.quality import (
    QualityLevel,
    QualityMonitor,
    QualityReport,
    QualityThresholds,
)
from bci_desktop.core.dsp.ring_buffer import RingBuffer
from bci_desktop.core.errors import ChannelMismatchError, ConfigError, ModelError
from bci_desktop.core.inference.channels import map_channels
from bci_desktop.core.inference.metadata import ModelRecipe
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.stream import Chunk, StreamInfo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    """One classification of one window (or the reason it was withheld).

    Attributes
    ----------
    t : float
        Stream time of the window's last sample (s).
    index : int
        Number of this hop since the engine started.
    classes : tuple of str
        Class names, in the order of ``probabilities``.
    label : str or None
        The most probable class, ``None`` when withheld.
    probabilities : tuple of float or None
        One probability per class, ``None`` when withheld.
    confidence : float or None
        Probability of ``label``.
    latency_ms : float
        Time from the window's last sample reaching the engine to this object (ms).
    withheld : str or None
        Why no label was given (bad signal, missing channels ...), else ``None``.
    truth : str or None
        The true state at the window's end when the source knows it.
    drift : float or None
        Drift score of the live features against the model's training data.
    model : str or None
        ``name@version`` of the model that made it.
    """

    t: float
    index: int
    classes: tuple[str, ...]
    label: str | None
    probabilities: tuple[float, ...] | None
    confidence: float | None
    latency_ms: float
    withheld: str | None = None
    truth: str | None = None
    drift: float | None = None
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-lines record of the CLI (keys are a stable contract)."""
        probs = (
            None
            if self.probabilities is None
            else {c: round(p, 6) for c, p in zip(self.classes, self.probabilities, strict=True)}
        )
        return {
            "t": round(self.t, 6),
            "index": self.index,
            "label": self.label,
            "probabilities": probs,
            "confidence": None if self.confidence is None else round(self.confidence, 6),
            "latency_ms": round(self.latency_ms, 4),
            "withheld": self.withheld,
            "truth": self.truth,
            "drift": self.drift,
            "model": self.model,
        }


@dataclass(frozen=True)
class FeatureWindow:
    """The model input computed at one hop (kept when ``collect_features`` is on)."""

    t: float
    index: int
    features: np.ndarray
    truth: str | None
    withheld: str | None


@dataclass(frozen=True)
class EngineUpdate:
    """What one :meth:`Engine.process` call produced."""

    raw: np.ndarray
    filtered: np.ndarray
    timestamps: np.ndarray
    markers: np.ndarray
    quality: QualityReport | None
    predictions: tuple[Prediction, ...] = ()
    features: tuple[FeatureWindow, ...] = ()

    @property
    def n_samples(self) -> int:
        """Number of new samples."""
        return int(self.raw.shape[1])


@dataclass(frozen=True)
class EngineConfig:
    """Settings of the engine; ``None`` fields take the model's values.

    Parameters
    ----------
    filters : FilterSettings or None
        Streaming filters; ``None`` uses the model's (or the defaults without a model).
    hop_s : float or None
        Time between two predictions; ``None`` uses the model's.
    display_s : float
        Seconds of raw and filtered signal kept for plots.
    quality_window_s : float
        Seconds of signal each quality score looks at.
    quality : QualityThresholds
        Thresholds of the quality states.
    strict_channels : bool
        If True, a model whose channels the stream lacks is an error; if False the engine
        runs and withholds every prediction, saying which channels are missing.
    incremental_features : bool
        Compute Welch features one segment per hop when the hop allows it (the same
        numbers as whole-window Welch, several times cheaper).
    """

    filters: FilterSettings | None = None
    hop_s: float | None = None
    display_s: float = 30.0
    quality_window_s: float = 1.0
    quality: QualityThresholds = field(default_factory=QualityThresholds)
    strict_channels: bool = True
    incremental_features: bool = True


class Engine:
    """Chunk in, update out. Not thread-safe: one thread owns an engine.

    Parameters
    ----------
    info : StreamInfo
        The stream's channels and sample rate.
    model : EmotionModel or None
        The classifier; ``None`` runs filtering and quality only (or feature collection
        when ``recipe`` is given).
    recipe : ModelRecipe or None
        How to build model inputs when there is no model (training).
    config : EngineConfig
        Engine settings.
    collect_features : bool
        Keep each hop's model input in :attr:`EngineUpdate.features` (training).
    """

    def __init__(
        self,
        info: StreamInfo,
        *,
        model: EmotionModel | None = None,
        recipe: ModelRecipe | None = None,
        config: EngineConfig | None = None,
        collect_features: bool = False,
    ) -> None:
        if info.n_channels == 0:
            raise ConfigError(f"The source '{info.source_name}' has no EEG channels to process.")
        if not (math.isfinite(info.sample_rate) and info.sample_rate > 0):
            raise ConfigError(f"The source reports an invalid sample rate {info.sample_rate}.")
        self.info = info
        self.config = config or EngineConfig()
        self.collect_features = collect_features
        self._fs = float(info.sample_rate)
        self._n_ch = info.n_channels
        self.model: EmotionModel | None = None
        self.model_problem: str | None = None
        self._recipe: ModelRecipe | None = None
        self._model_idx: np.ndarray | None = None
        self._extractor: FeatureExtractor | None = None
        self._incremental: IncrementalWelch | None = None
        self._window = 0
        self.total_samples = 0
        self.hops = 0
        self.malformed_chunks = 0
        self.gaps = 0
        self.nonfinite_samples = 0
        self._settle_until = 0
        self._last_nonfinite = np.full(self._n_ch, -(10**12), dtype=np.int64)
        self._quality: QualityReport | None = None

        base_recipe = model.metadata.recipe if model is not None else recipe
        filters = self.config.filters or (
            base_recipe.filters if base_recipe is not None else FilterSettings()
        )
        filters.validate(self._fs)
        hop_s = self.config.hop_s or (base_recipe.hop_s if base_recipe is not None else 0.25)
        if hop_s <= 0:
            raise ConfigError(f"Invalid value for the 'hop_s' parameter: {hop_s}; must be > 0.")
        self._hop_exact = hop_s * self._fs
        if self._hop_exact < 1:
            raise ConfigError(
                f"The hop of {hop_s} s is shorter than one sample at {self._fs:g} Hz."
            )
        self._next_hop = self._boundary(1)
        self._filter = StreamingFilter(self._n_ch, self._fs, filters)
        self._quality_n = max(8, round(self.config.quality_window_s * self._fs))
        self._display_n = max(1, round(self.config.display_s * self._fs))
        line = filters.notch_hz or 50.0
        self._monitor = QualityMonitor(
            info.channel_names, self._fs, line_freq=line, thresholds=self.config.quality
        )
        self._capacity = 0
        self._raw = self._filt = None  # type: ignore[assignment]
        self._allocate(0)
        if model is not None:
            self.set_model(model)
        elif recipe is not None:
            self._set_recipe(recipe)

    # -- configuration -----------------------------------------------------------------
    @property
    def sample_rate(self) -> float:
        """Sample rate of the stream (Hz)."""
        return self._fs

    @property
    def hop_samples(self) -> float:
        """Samples between two predictions (hop boundaries fall at ``round(k * hop)``)."""
        return self._hop_exact

    @property
    def window_samples(self) -> int:
        """Samples in one analysed window (0 without a model or recipe)."""
        return self._window

    @property
    def filters(self) -> FilterSettings:
        """The filters in use."""
        return self._filter.settings

    @property
    def raw_buffer(self) -> RingBuffer:
        """Last seconds of raw EEG (owned by the engine's thread)."""
        return self._raw

    @property
    def filtered_buffer(self) -> RingBuffer:
        """Last seconds of filtered EEG (owned by the engine's thread)."""
        return self._filt

    @property
    def quality(self) -> QualityReport | None:
        """The latest quality report."""
        return self._quality

    def _boundary(self, k: int) -> int:
        """Sample count at which hop ``k`` ends: half-up rounding keeps every pair of hops
        exactly ``2 * hop`` apart (Python's round-half-even would not)."""
        return math.floor(k * self._hop_exact + 0.5)

    def _allocate(self, window: int) -> None:
        capacity = max(self._display_n, window, self._quality_n)
        if capacity == self._capacity:
            return
        raw, filt = RingBuffer(self._n_ch, capacity), RingBuffer(self._n_ch, capacity)
        if self._raw is not None and self._raw.size:
            keep = min(self._raw.size, capacity)
            raw.extend(np.array(self._raw.latest(keep)))
            filt.extend(np.array(self._filt.latest(keep)))
        self._raw, self._filt, self._capacity = raw, filt, capacity

    def set_filters(self, settings: FilterSettings) -> None:
        """Change the filters live; predictions wait for a window of cleanly filtered data."""
        settings.validate(self._fs)
        self._filter = StreamingFilter(self._n_ch, self._fs, settings)
        self._settle_until = self.total_samples + self._window
        logger.info("Filters changed to %s", settings)

    def set_model(self, model: EmotionModel | None) -> None:
        """Use another model from the next hop on (``None``: stop classifying)."""
        if model is None:
            self.model, self._recipe, self._extractor, self._window = None, None, None, 0
            self._incremental = None
            self.model_problem = None
            return
        recipe = model.metadata.recipe
        if recipe.input_kind == "window" and not math.isclose(recipe.sample_rate, self._fs):
            raise ModelError(
                f"Model '{model.metadata.label}' takes raw windows at {recipe.sample_rate:g} Hz, "
                f"but the stream runs at {self._fs:g} Hz."
            )
        self._set_recipe(recipe, label=f"Model '{model.metadata.label}'")
        if self._extractor is not None:
            names = self._extractor.feature_names
            if model.metadata.feature_names and tuple(model.metadata.feature_names) != names:
                raise ModelError(
                    f"Model '{model.metadata.label}' expects features "
                    f"{len(model.metadata.feature_names)} named in its metadata, but its "
                    f"feature spec gives {len(names)} different ones on channels "
                    f"{', '.join(recipe.channels)}."
                )
        self.model = model

    def _set_recipe(self, recipe: ModelRecipe, label: str = "The recipe") -> None:
        self._recipe = recipe
        self.model_problem = None
        try:
            idx = map_channels(self.info.channel_names, recipe.channels, what=label)
        except ChannelMismatchError as exc:
            if self.config.strict_channels:
                raise
            self.model_problem = str(exc)
            logger.info("%s Predictions will be withheld.", exc)
            self._model_idx, self._extractor, self._window = None, None, 0
            self._incremental = None
            return
        self._model_idx = np.asarray(idx, dtype=np.intp)
        self._window = max(1, round(recipe.window_s * self._fs))
        self._incremental = None
        if recipe.input_kind == "features":
            self._extractor = FeatureExtractor(
                recipe.features, recipe.channels, self._fs, self._window
            )
            if self.config.incremental_features:
                self._incremental = IncrementalWelch.plan(self._extractor, self._hop_exact)
            if self._incremental is not None:
                self._segment_buf = np.empty((len(idx), self._incremental.nperseg))
        else:
            self._extractor = None
        self._allocate(self._window)
        self._window_buf = np.empty((len(idx), self._window), dtype=np.float64)

    def reset(self) -> None:
        """Start over after a gap: clear buffers and filter state (no transient is classified).

        Predictions resume once a whole window of new signal has arrived.
        """
        self._filter.reset()
        self._raw.clear()
        self._filt.clear()
        self._quality = None
        if self._incremental is not None:
            self._incremental.reset()

    # -- processing --------------------------------------------------------------------
    def process(self, chunk: Chunk) -> EngineUpdate:
        """Feed one chunk; return the filtered samples, quality and predictions it produced."""
        raw = np.asarray(chunk.eeg, dtype=np.float64)
        if raw.ndim != 2 or raw.shape[0] != self._n_ch:
            self.malformed_chunks += 1
            logger.warning(
                "Dropped a chunk of shape %s: expected (%d, n) for %d EEG channels.",
                raw.shape,
                self._n_ch,
                self._n_ch,
            )
            empty = np.empty((self._n_ch, 0))
            return EngineUpdate(empty, empty, np.empty(0), np.empty(0), self._quality)
        if chunk.gap_before:
            self.gaps += 1
            self.reset()
            logger.info("Gap in the stream: filters and buffers restarted.")
        n = raw.shape[1]
        filtered = np.empty_like(raw)
        predictions: list[Prediction] = []
        features: list[FeatureWindow] = []
        quality_changed = False
        pos = 0
        while pos < n:
            t0 = time.perf_counter_ns()
            take = min(n - pos, self._next_hop - self.total_samples)
            piece = raw[:, pos : pos + take]
            finite = np.isfinite(piece)
            if finite.all():
                clean = piece
            else:
                bad_rows = ~finite.all(axis=1)
                self._last_nonfinite[bad_rows] = self.total_samples + take
                self.nonfinite_samples += int(piece.size - finite.sum())
                clean = np.where(finite, piece, 0.0)
            out = self._filter.process(clean)
            filtered[:, pos : pos + take] = out
            self._raw.extend(piece)
            self._filt.extend(out)
            self.total_samples += take
            pos += take
            if self.total_samples >= self._next_hop:
                self.hops += 1
                self._next_hop = self._boundary(self.hops + 1)
                if self._incremental is not None and self._filt.size >= self._incremental.nperseg:
                    seg = self._filt.latest(self._incremental.nperseg)
                    np.take(seg, self._model_idx, axis=0, out=self._segment_buf)
                    self._incremental.push(self._segment_buf)
                self._quality = self._assess()
                quality_changed = True
                if self._recipe is not None:
                    self._hop_output(chunk, pos - 1, t0, predictions, features)
        return EngineUpdate(
            raw=raw,
            filtered=filtered,
            timestamps=chunk.timestamps,
            markers=chunk.markers,
            quality=self._quality if quality_changed else None,
            predictions=tuple(predictions),
            features=tuple(features),
        )

    def _assess(self) -> QualityReport:
        n = min(self._quality_n, self._raw.size)
        return self._monitor.assess(self._raw.latest(n), self._filt.latest(n))

    def _withheld_reason(self) -> str | None:
        if self.model_problem is not None:
            return self.model_problem
        if self._filt.size < self._window:
            return None  # not reached: caller checks first
        idx = self._model_idx
        recent = self._last_nonfinite[idx] > self.total_samples - self._window
        if recent.any():
            names = ", ".join(self._recipe.channels[i] for i in np.flatnonzero(recent))
            return f"NaN/inf samples on {names} in the current window: check those electrodes"
        if self._quality is not None:
            levels = self._quality.levels[idx]
            bad = np.flatnonzero(levels >= QualityLevel.BAD)
            if bad.size:
                parts = [self._quality.describe(self.info.channel_names[idx[i]]) for i in bad]
                return "Bad signal on " + "; ".join(parts) + ": check those electrodes"
        if self.total_samples < self._settle_until:
            return "Filters changed: waiting for a cleanly filtered window"
        return None

    def _hop_output(
        self,
        chunk: Chunk,
        last: int,
        t0: int,
        predictions: list[Prediction],
        features: list[FeatureWindow],
    ) -> None:
        if self.model_problem is None and self._filt.size < self._window:
            return  # still filling the first window
        withheld = self._withheld_reason()
        x: np.ndarray | None = None
        if withheld is None or (self.collect_features and self.model_problem is None):
            if self._incremental is not None and self._incremental.ready:
                x = self._incremental.features()
            else:
                window = self._filt.latest(self._window)
                np.take(window, self._model_idx, axis=0, out=self._window_buf)
                if self._extractor is not None:
                    x = self._extractor.compute(self._window_buf)
                else:
                    x = self._window_buf.astype(np.float32)
        t = float(chunk.timestamps[last]) if chunk.timestamps.size else float("nan")
        truth = None
        if chunk.truth is not None and self.info.states:
            code = int(chunk.truth[last])
            truth = self.info.states[code] if 0 <= code < len(self.info.states) else None
        if self.collect_features and x is not None:
            features.append(FeatureWindow(t, self.hops, x.copy(), truth, withheld))
        model = self.model
        if model is None:
            return
        label = probs = confidence = None
        if withheld is None and x is not None:
            p = model.predict_proba(x)
            k = int(np.argmax(p))
            label, probs, confidence = model.classes[k], tuple(p.tolist()), float(p[k])
        latency_ms = (time.perf_counter_ns() - t0) / 1e6
        predictions.append(
            Prediction(
                t=t,
                index=self.hops,
                classes=model.classes,
                label=label,
                probabilities=probs,
                confidence=confidence,
                latency_ms=latency_ms,
                withheld=withheld,
                truth=truth,
                model=model.metadata.label,
            )
        )


__all__ = ["Engine", "EngineConfig", "EngineUpdate", "FeatureWindow", "Prediction"]
