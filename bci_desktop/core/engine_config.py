"""How the engine is set up: filters, hop, history, quality, drift, latency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.dsp.quality import QualityThresholds
from bci_desktop.core.inference.drift import DEFAULT_THRESHOLD

__all__ = ["EngineConfig"]


@dataclass(frozen=True)
class EngineConfig:
    """Settings of the engine; ``None`` fields take the model's values.

    Parameters
    ----------
    filters : FilterSettings or None
        Streaming filters; ``None`` uses the model's (or the defaults without a model).
    hop_s : float or None
        Time between two predictions; ``None`` uses the model's.
    history_s : float
        Seconds of raw and filtered signal kept, so that a model switched to while
        streaming whose window is longer than the current one can predict at once.
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
    drift_window_s : float
        Seconds of live features the drift score compares with the model's training
        reference (see :mod:`bci_desktop.core.inference.drift`).
    drift_threshold : float
        Drift score above which :attr:`Engine.drift_alarm` turns on (and a warning is logged).
    latency_window : int
        Predictions over which the p99 latency is compared with the model's budget.
    fallback_model : EmotionModel or None
        The latency fallback: while the model's p99 latency exceeds its budget, this faster
        model for the same classes (e.g. the registry's fastest validated one) predicts
        until the slow model is tried again (after ``latency_retry_s``). ``None``: an
        over-budget model only warns. Can also be set with :meth:`Engine.set_fallback_model`.
    latency_retry_s : float
        Stream time on the fallback before the primary model is tried again (doubles each
        time it trips again, up to 16 times).
    measure_cpu : bool
        Also measure the CPU time this thread spends on each prediction
        (:attr:`Prediction.cpu_ms`, from :func:`time.thread_time_ns`). Unlike the wall-clock
        latency it does not count time the thread waited for the CPU while other programs
        ran, so it shows whether the pipeline's own work changes over a long session.
        Costs about 1 µs per prediction.
    source_clock : callable or None
        Now, on the clock of the chunks' time stamps (an LSL stream's: its sender's clock
        mapped to this machine); gives :attr:`Prediction.source_latency_ms`.
    """

    filters: FilterSettings | None = None
    hop_s: float | None = None
    history_s: float = 30.0
    quality_window_s: float = 1.0
    quality: QualityThresholds = field(default_factory=QualityThresholds)
    strict_channels: bool = True
    incremental_features: bool = True
    drift_window_s: float = 30.0
    drift_threshold: float = DEFAULT_THRESHOLD
    latency_window: int = 400
    fallback_model: Any = None
    latency_retry_s: float = 60.0
    measure_cpu: bool = False
    source_clock: Callable[[], float] | None = None
