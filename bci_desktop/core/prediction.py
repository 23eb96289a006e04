"""What the engine hands out: predictions, feature windows, updates; what it calls.

Plain frozen dataclasses passed between the engine, the runner, the recorder, the CLI and
the GUI (re-exported by :mod:`bci_desktop.core.engine`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from bci_desktop.core.dsp.quality import QualityReport
from bci_desktop.core.inference.metadata import ModelMetadata
from bci_desktop.core.stream import MarkerText


def truth_comparable(classes: tuple[str, ...], states: tuple[str, ...]) -> bool:
    """True when a model's predictions can be scored against a source's true states: the
    model predicts exactly the states the source reports (in any order). A mindfulness
    model on the simulated subject's emotions agrees with nothing, and saying "0 %" would
    be wrong."""
    return bool(states) and set(classes) == set(states)


class Classifier(Protocol):
    """What the engine needs of a model: :class:`EmotionModel` and
    :class:`~bci_desktop.core.inference.brainflow_models.BrainFlowModel` both fit."""

    metadata: ModelMetadata

    @property
    def classes(self) -> tuple[str, ...]: ...

    def predict_proba(self, x: np.ndarray) -> np.ndarray: ...


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
    drift_alarm : bool
        True while that score is over the alarm threshold (with hysteresis): the signal no
        longer looks like what the model was trained on. The one drift alarm of the app.
    model : str or None
        ``name@version`` of the model that made it.
    cpu_ms : float or None
        CPU time the engine's thread spent over the same span as ``latency_ms`` (ms), when
        the engine measures it (``EngineConfig.measure_cpu``).
    novelty : float or None
        How unlike the model's training data this one window is (about 1 for windows like
        it; above 4 the prediction is withheld as unreliable), see
        :mod:`bci_desktop.core.inference.novelty`; ``None`` when not scored.
    source_latency_ms : float or None
        Time from the window's last sample's time stamp at its source (an LSL stream's
        sender, on another machine or this one) to this prediction (ms): transport,
        buffering and processing together. ``None`` when the source's clock is not known
        (``EngineConfig.source_clock``).
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
    drift_alarm: bool = False
    model: str | None = None
    cpu_ms: float | None = None
    novelty: float | None = None
    source_latency_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-lines record of the CLI (keys are a stable contract)."""
        probs = (
            None
            if self.probabilities is None
            else {c: round(p, 6) for c, p in zip(self.classes, self.probabilities, strict=True)}
        )
        record = {
            "t": round(self.t, 6),
            "index": self.index,
            "label": self.label,
            "probabilities": probs,
            "confidence": None if self.confidence is None else round(self.confidence, 6),
            "latency_ms": round(self.latency_ms, 4),
            "withheld": self.withheld,
            "truth": self.truth,
            "drift": self.drift,
            "drift_alarm": self.drift_alarm,
            "model": self.model,
            "novelty": self.novelty,
        }
        if self.cpu_ms is not None:
            record["cpu_ms"] = round(self.cpu_ms, 4)
        if self.source_latency_ms is not None:
            record["source_latency_ms"] = round(self.source_latency_ms, 3)
        return record


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
    """What one :meth:`Engine.process` call produced (``markers`` and ``marker_texts`` are
    the chunk's)."""

    raw: np.ndarray
    filtered: np.ndarray
    timestamps: np.ndarray
    markers: np.ndarray
    quality: QualityReport | None
    predictions: tuple[Prediction, ...] = ()
    features: tuple[FeatureWindow, ...] = ()
    marker_texts: tuple[MarkerText, ...] = ()

    @property
    def n_samples(self) -> int:
        """Number of new samples."""
        return int(self.raw.shape[1])
