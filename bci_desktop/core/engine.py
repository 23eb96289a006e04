"""One step of the pipeline: a chunk of samples in, an update out.

The engine filters each new sample once (causal filters with carried state), keeps the last
seconds of raw and filtered signal in preallocated ring buffers, scores signal quality, and
every hop computes features over the window and asks the model for a prediction (then
scores the quality of the last second, which the next hop's prediction uses). Each
prediction carries its own latency, measured with :func:`time.perf_counter_ns` from the
moment the samples completing its window are handed to the engine until the prediction
object exists.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import numpy as np

from bci_desktop.core.dsp.features import FeatureExtractor
from bci_desktop.core.dsp.filters import FilterSettings, StreamingFilter
from bci_desktop.core.dsp.incremental import IncrementalWelch
from bci_desktop.core.dsp.quality import (
    QualityLevel,
    QualityMonitor,
    QualityReport,
)
from bci_desktop.core.dsp.ring_buffer import RingBuffer
from bci_desktop.core.engine_config import EngineConfig
from bci_desktop.core.engine_fallback import LatencyFallback
from bci_desktop.core.engine_plan import ModelPlan, plan_model
from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.inference.drift import DriftMonitor, update_drift
from bci_desktop.core.inference.latency_guard import LatencyGuard
from bci_desktop.core.inference.metadata import ModelRecipe
from bci_desktop.core.inference.novelty import NoveltyCheck
from bci_desktop.core.inference.probabilities import probability_problem
from bci_desktop.core.prediction import Classifier, EngineUpdate, FeatureWindow, Prediction
from bci_desktop.core.stream import Chunk, StreamInfo
from bci_desktop.core.validate import check_positive

logger = logging.getLogger(__name__)


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

    Notes
    -----
    Models can be switched while streaming (:meth:`set_model`, from the engine's thread)
    between two hops, with a prediction at every hop. The ring buffers are kept: a model
    whose window fits in the signal buffered predicts at the next hop; one that needs more
    emits withheld predictions saying so until it has it. :attr:`on_hop`, when set, is
    called with each prediction, once it exists, and the filtered :class:`RingBuffer`
    (read only): a shadow model and the prediction monitor listen there.
    """

    def __init__(
        self,
        info: StreamInfo,
        *,
        model: Classifier | None = None,
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
        self.model: Classifier | None = None
        self.model_problem: str | None = None
        self._recipe: ModelRecipe | None = None
        self._model_idx: np.ndarray | None = None
        self._extractor: FeatureExtractor | None = None
        self._incremental: IncrementalWelch | None = None
        self._window_buf: np.ndarray | None = None
        self._segment_buf: np.ndarray | None = None
        self._drift: DriftMonitor | None = None
        self._novelty: NoveltyCheck | None = None
        self._window = 0
        self.total_samples = 0
        self.hops = 0
        self.malformed_chunks = 0
        self.restarts = 0
        self.nonfinite_samples = 0
        self._settle_until = 0
        self._last_nonfinite = np.full(self._n_ch, -(10**12), dtype=np.int64)
        self._quality: QualityReport | None = None
        self._emitting = False  # predictions flow: a switch must not interrupt them
        self.on_hop: Callable[[Prediction, RingBuffer], None] | None = None

        base_recipe = model.metadata.recipe if model is not None else recipe
        self._filters_explicit = self.config.filters is not None
        filters = self.config.filters or (
            base_recipe.filters if base_recipe is not None else FilterSettings()
        )
        filters.validate(self._fs)
        hop_s = self.config.hop_s or (base_recipe.hop_s if base_recipe is not None else 0.25)
        check_positive("hop_s", hop_s, unit="seconds")
        self._hop_exact = hop_s * self._fs
        if self._hop_exact < 1:
            raise ConfigError(
                f"The hop of {hop_s} s is shorter than one sample at {self._fs:g} Hz."
            )
        self._next_hop = self.hop_end(1)
        self._latency = LatencyFallback(
            self._use,
            latency_window=self.config.latency_window,
            retry_hops=max(1, round(self.config.latency_retry_s * self._fs / self._hop_exact)),
        )
        self._filter = StreamingFilter(self._n_ch, self._fs, filters)
        self._quality_n = max(8, round(self.config.quality_window_s * self._fs))
        self._history_n = max(1, round(self.config.history_s * self._fs))
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
            self._commit(self._plan(recipe))
        if self.config.fallback_model is not None:
            self.set_fallback_model(self.config.fallback_model)

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
    def feature_extractor(self) -> FeatureExtractor | None:
        """What turns a window into the model's features (``None`` for window models)."""
        return self._extractor

    @property
    def model_channel_index(self) -> np.ndarray | None:
        """Row of each of the model's channels in the stream (``None`` without a model)."""
        return self._model_idx

    @property
    def quality(self) -> QualityReport | None:
        """The latest quality report."""
        return self._quality

    @property
    def drift(self) -> float | None:
        """The latest drift score (``None`` without reference statistics or data yet)."""
        if self._drift is None or not self._drift.ready:
            return None
        return self._drift.score

    @property
    def drift_alarm(self) -> bool:
        """True while the live features drift beyond the threshold from the training data."""
        return self._drift is not None and self._drift.alarm

    @property
    def drift_monitor(self) -> DriftMonitor | None:
        """The drift monitor of the model in use, if its metadata has reference statistics."""
        return self._drift

    @property
    def primary_model(self) -> Classifier | None:
        """The model chosen with :meth:`set_model` (``model`` differs while on the fallback)."""
        return self._latency.primary

    @property
    def fallback_model(self) -> Classifier | None:
        """The model used while the primary one is over its latency budget."""
        return self._latency.fallback

    @property
    def fallback_active(self) -> bool:
        """True while predictions come from the fallback model."""
        return self._latency.active

    @property
    def latency_guard(self) -> LatencyGuard | None:
        """The latency guard of the primary model."""
        return self._latency.primary_guard

    @property
    def latency_alarm(self) -> bool:
        """True while the primary model's p99 latency is over its budget (or on fallback)."""
        guard = self._latency.primary_guard
        return self._latency.active or (guard is not None and guard.over_budget)

    def hop_end(self, k: int) -> int:
        """Sample count at which hop ``k`` ends (its window's last sample is the one before).

        Half-up rounding keeps every pair of hops exactly ``2 * hop`` apart (Python's
        round-half-even would not)."""
        return math.floor(k * self._hop_exact + 0.5)

    def _allocate(self, window: int) -> None:
        capacity = max(self._history_n, window, self._quality_n)
        if capacity <= self._capacity:
            return
        raw, filt = RingBuffer(self._n_ch, capacity), RingBuffer(self._n_ch, capacity)
        if self._raw is not None and self._raw.size:
            keep = min(self._raw.size, capacity)
            raw.extend(np.array(self._raw.latest(keep)))
            filt.extend(np.array(self._filt.latest(keep)))
        self._raw, self._filt, self._capacity = raw, filt, capacity

    def set_filters(self, settings: FilterSettings) -> None:
        """Change the filters live; predictions wait for a window of cleanly filtered data."""
        self._filters_explicit = True
        self._change_filters(settings)

    def _change_filters(self, settings: FilterSettings) -> None:
        settings.validate(self._fs)
        self._filter = StreamingFilter(self._n_ch, self._fs, settings)
        self._settle_until = self.total_samples + self._window
        logger.info("Filters changed to %s", settings)

    # -- models --------------------------------------------------------------------------
    def check_model(self, model: Classifier) -> None:
        """Raise the error :meth:`set_model` would raise for ``model``; change nothing.

        Raises
        ------
        ModelError
            If the model takes raw windows at another sample rate, or its feature names do
            not match its feature spec on this stream.
        ChannelMismatchError
            If the stream lacks the model's channels and ``strict_channels`` is on.
        """
        self._plan(model.metadata.recipe, model)

    def set_model(self, model: Classifier | None) -> None:
        """Use another model from the next hop on (``None``: stop classifying).

        Call it from the thread that calls :meth:`process`. If the model cannot run on this
        stream the error is raised and the current model stays in use. The hop is kept, so
        predictions go on without a gap; latency guard and drift monitor start afresh.
        """
        if model is None:
            self.model = self._recipe = self._extractor = None
            self._incremental = self._drift = None
            self._model_idx, self._window, self.model_problem = None, 0, None
            self._latency.cleared()
            return
        plan = self._plan(model.metadata.recipe, model)
        previous = self.model
        self._commit(plan, model)
        self._latency.chose(model)
        recipe = model.metadata.recipe
        if not self._filters_explicit and recipe.filters != self._filter.settings:
            self._change_filters(recipe.filters)
        if previous is not None and previous is not model:
            logger.info(
                "Model switched from %s to %s at hop %d",
                previous.metadata.label,
                model.metadata.label,
                self.hops,
            )

    def set_fallback_model(self, model: Classifier | None) -> None:
        """The model to use while the primary one is over its latency budget.

        Raises
        ------
        ConfigError
            If it predicts other classes than the primary model.
        """
        if model is not None:
            self._latency.check_fallback(model)
            self.check_model(model)
        self._latency.set_fallback(model, current=self.model)

    def _plan(self, recipe: ModelRecipe, model: Classifier | None = None) -> ModelPlan:
        return plan_model(
            recipe,
            model,
            info=self.info,
            sample_rate=self._fs,
            hop_samples=self._hop_exact,
            config=self.config,
        )

    def _commit(self, plan: ModelPlan, model: Classifier | None = None) -> None:
        """Adopt a plan (cannot fail): buffers are kept, so no signal is lost."""
        self._recipe = plan.recipe
        self.model_problem = plan.problem
        self._model_idx = plan.idx
        self._window = plan.window
        self._extractor = plan.extractor
        self._incremental = plan.incremental
        self._window_buf = plan.window_buf
        self._segment_buf = plan.segment_buf
        self._drift = plan.drift
        self._novelty = plan.novelty
        if plan.problem is not None:
            logger.info("%s Predictions will be withheld.", plan.problem)
        self._allocate(self._window)
        self.model = model
        self._latency.committed(model)

    def _use(self, model: Classifier) -> bool:
        """Switch the model in use (fallback or back to the primary) without raising;
        False (logged) if it cannot run on this stream."""
        try:
            plan = self._plan(model.metadata.recipe, model)
        except BCIError as exc:
            logger.error("Cannot switch to model %s: %s", model.metadata.label, exc)
            return False
        self._commit(plan, model)
        return True

    def reset(self) -> None:
        """Start over after a gap: clear buffers and filter state (no transient is classified).

        Predictions resume once a whole window of new signal has arrived.
        """
        self._filter.reset()
        self._raw.clear()
        self._filt.clear()
        self._quality = None
        self._emitting = False
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
            self.restarts += 1
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
            c0 = time.thread_time_ns() if self.config.measure_cpu else 0
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
                self._next_hop = self.hop_end(self.hops + 1)
                if self._incremental is not None and self._filt.size >= self._incremental.nperseg:
                    seg = self._filt.latest(self._incremental.nperseg)
                    np.take(seg, self._model_idx, axis=0, out=self._segment_buf)
                    self._incremental.push(self._segment_buf)
                if self._recipe is not None:
                    # The prediction first: it withholds on the quality of the previous hop
                    # (the last second up to one hop ago; NaN/inf samples are checked in its
                    # own window), and the scoring of this hop stays out of its latency.
                    self._hop_output(chunk, pos - 1, (t0, c0), predictions, features)
                self._quality = self._assess()
                quality_changed = True
        return EngineUpdate(
            raw=raw,
            filtered=filtered,
            timestamps=chunk.timestamps,
            markers=chunk.markers,
            quality=self._quality if quality_changed else None,
            predictions=tuple(predictions),
            features=tuple(features),
            marker_texts=chunk.marker_texts,
        )

    def _assess(self) -> QualityReport:
        n = min(self._quality_n, self._raw.size)
        return self._monitor.assess(self._raw.latest(n), self._filt.latest(n))

    def _withheld_reason(self) -> str | None:
        if self.model_problem is not None:
            return self.model_problem
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

    def _model_input(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(model input, feature vector or None) of the current window."""
        inc = self._incremental
        from_cache = inc is not None and inc.ready
        if self._recipe.input_kind == "window" or not from_cache:
            window = self._filt.latest(self._window)
            np.take(window, self._model_idx, axis=0, out=self._window_buf)
        feats = None
        if self._extractor is not None:
            feats = inc.features() if from_cache else self._extractor.compute(self._window_buf)
        x = self._window_buf if self._recipe.input_kind == "window" else feats
        return x, feats

    def _hop_output(
        self,
        chunk: Chunk,
        last: int,
        start: tuple[int, int],
        predictions: list[Prediction],
        features: list[FeatureWindow],
    ) -> None:
        model = self.model
        x = feats = novelty = None
        if self.model_problem is None and self._filt.size < self._window:
            if model is None or not self._emitting:
                return  # still filling the first window
            withheld = (
                f"Model '{model.metadata.label}' needs {self._window / self._fs:g} s of "
                f"signal, {self._filt.size / self._fs:.1f} s buffered: waiting for more"
            )
        else:
            withheld = self._withheld_reason()
            if withheld is None or (self.collect_features and self.model_problem is None):
                x, feats = self._model_input()
            if withheld is None and feats is not None and self._novelty is not None:
                withheld = self._novelty.check(feats)  # a window unlike the training data
                novelty = round(self._novelty.last_score, 3)
        t = float(chunk.timestamps[last]) if chunk.timestamps.size else float("nan")
        truth = None
        if chunk.truth is not None and self.info.states:
            code = int(chunk.truth[last])
            truth = self.info.states[code] if 0 <= code < len(self.info.states) else None
        if self.collect_features and x is not None:
            kept = x.astype(np.float32) if x is self._window_buf else x.copy()
            features.append(FeatureWindow(t, self.hops, kept, truth, withheld))
        if model is None:
            return
        label = probs = confidence = None
        if withheld is None and x is not None:
            p = model.predict_proba(x)
            wrong = probability_problem(p, len(model.classes))
            if wrong is None:
                k = int(np.argmax(p))
                label, probs, confidence = model.classes[k], tuple(p.tolist()), float(p[k])
            else:  # never a label from NaN: withheld, with the reason
                withheld = f"Model '{model.metadata.label}' gave no probabilities: {wrong}"
        # The drift of the last 30 s up to the previous hop: this hop's features enter the
        # drift monitor once the prediction exists, outside its latency.
        drift = self.drift
        latency_ms = (time.perf_counter_ns() - start[0]) / 1e6
        cpu_ms = (time.thread_time_ns() - start[1]) / 1e6 if self.config.measure_cpu else None
        clock = self.config.source_clock
        source_ms = (clock() - t) * 1e3 if clock is not None and math.isfinite(t) else None
        predictions.append(
            Prediction(
                t=t,
                index=self.hops,
                classes=model.classes,
                label=label,
                probabilities=probs,
                confidence=confidence,
                latency_ms=latency_ms,
                cpu_ms=cpu_ms,
                source_latency_ms=source_ms,
                withheld=withheld,
                truth=truth,
                drift=None if drift is None else round(drift, 3),
                drift_alarm=self.drift_alarm,
                model=model.metadata.label,
                novelty=novelty,
            )
        )
        self._emitting = True
        if label is not None and self._drift is not None and feats is not None:
            update_drift(self._drift, feats)
        if self.on_hop is not None:  # after the prediction exists: nothing can change it
            self.on_hop(predictions[-1], self._filt)
        self._latency.after_prediction(model, latency_ms, labelled=label is not None)


__all__ = ["Classifier", "Engine", "EngineConfig", "EngineUpdate", "FeatureWindow", "Prediction"]
