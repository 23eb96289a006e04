"""Prediction monitoring: does the model's *output* still look healthy?

Drift (:mod:`bci_desktop.core.inference.drift`) watches the model's input. This module
watches what comes out, prediction by prediction, with three checks and one alarm each:

``STUCK``
    The class distribution of the last ``distribution_window_s`` (5 min) against the
    model's training prior, as a population stability index
    ``PSI = sum_k (a_k - e_k) ln(a_k / e_k)`` (``a``: live shares with half a count added
    to each class, ``e``: the prior). A model stuck on one of four classes scores 5.7.
``FLIPPING``
    The share of consecutive labelled predictions over the last ``flip_window_s`` (30 s)
    whose labels differ. A model that changes its mind every hop scores 1.0.
``LOW_CONFIDENCE``
    The mean confidence over the last ``confidence_window_s`` (60 s), against a floor of
    ``chance + confidence_margin * (1 - chance)`` (0.44 for four classes) and against its
    own baseline (the mean over the model's first ``baseline_s`` (5 min) on this stream):
    the alarm's score is ``max((1 - conf) / (1 - floor), drop / confidence_drop)``.

Each check gives a score whose alarm threshold is 1 on its own scale (PSI 1.0, flip rate
0.5, confidence score 1.0). An alarm turns on after ``confirm_hops`` (8: 2 s) predictions in
a row above its threshold and off after as many in a row below ``clear_ratio`` (0.8) times
it: hysteresis, as the drift alarm has. A check judges only once its window is filled to
its ``min_fill`` share, with at least a quarter of that window labelled (not withheld).

The numbers behind the defaults (the shipped emotion-default model on the simulated
subject, default script: each state for 60 s in turn; three 30-minute sessions, seeds 1-3,
7185 predictions each; ``python benchmarks/prediction_monitor.py`` prints them):

========================  =========================  =====================  ==============
check                     good model: worst over     stuck / flipping       alarm above
                          3 x 30 min (accuracy       model
                          89-91 %)
========================  =========================  =====================  ==============
PSI over 5 min            0.16                       5.7 (stuck)            1.0
flip rate over 30 s       0.21                       1.0 (flipping)         0.5
mean confidence over 60s  0.83 (score 0.30)          -                      floor 0.44
confidence drop           0.08 (score 0.26)          -                      0.3
========================  =========================  =====================  ==============

Why a window of 5 minutes for the distribution: a good model on a person who really stays
in two states scores up to 3.1 over 2 minutes and 1.6 over 3 minutes, and only a window of
4 minutes or more holds every state of the script (0.31 at most over 4 min, judged from
3.2 min on). The 5-minute check judges from 4 minutes of stream on
(``distribution_min_fill`` 0.8). Its limit, said plainly in its message: a person who truly
stays in one state for five minutes looks like a stuck model. The flip check judges from
15 s on, the confidence check from 30 s.

Stated times (tested in ``tests/core/inference/test_prediction_monitor.py`` through the
stream session at ``--speed max``): a model stuck on one class raises ``STUCK`` within
5 minutes of stream (4 min 1.5 s measured); a model that flips every hop raises
``FLIPPING`` within 30 s (16.5 s measured); the shipped model raises nothing over
30 minutes.
"""

from __future__ import annotations

import enum
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from bci_desktop.core.prediction import Prediction
from bci_desktop.core.validate import check_int, check_number

__all__ = [
    "AlarmChange",
    "MonitorThresholds",
    "PredictionAlarm",
    "PredictionHealth",
    "PredictionMonitor",
    "training_prior",
]

logger = logging.getLogger(__name__)


class PredictionAlarm(enum.Enum):
    """What can be wrong with a model's output."""

    STUCK = "stuck"
    FLIPPING = "flipping"
    LOW_CONFIDENCE = "low_confidence"

    @property
    def label(self) -> str:
        """A word or two for a status bar."""
        return {"stuck": "STUCK", "flipping": "FLIPPING", "low_confidence": "LOW CONF."}[
            self.value
        ]


@dataclass(frozen=True)
class MonitorThresholds:
    """Windows and thresholds of the three checks (see the module docstring for the
    numbers behind each default).

    Raises
    ------
    ConfigError
        If a value is out of its range.
    """

    distribution_window_s: float = 300.0
    distribution_min_fill: float = 0.8
    psi_threshold: float = 1.0
    flip_window_s: float = 30.0
    flip_min_fill: float = 0.5
    flip_threshold: float = 0.5
    confidence_window_s: float = 60.0
    confidence_min_fill: float = 0.5
    confidence_margin: float = 0.25
    confidence_drop: float = 0.3
    baseline_s: float = 300.0
    confirm_hops: int = 8
    clear_ratio: float = 0.8

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "confirm_hops":
                check_int(f.name, value, minimum=1, maximum=10_000)
            elif f.name.endswith("_s"):
                check_number(f.name, value, minimum=1.0, maximum=86_400.0, unit="seconds")
            else:
                upper = 100.0 if f.name == "psi_threshold" else 1.0
                check_number(f.name, value, minimum=0.0, maximum=upper, exclusive_minimum=True)


@dataclass(frozen=True)
class PredictionHealth:
    """The monitor's figures now.

    Attributes
    ----------
    model : str
        ``name@version`` watched.
    psi : float or None
        Population stability index of the last window's classes against the training
        prior (``None`` until the window is filled enough).
    top_class : str or None
        The most frequent class of that window, and ``top_share`` its share.
    top_share : float or None
    flip_rate : float or None
        Share of consecutive labelled predictions that changed label (flip window).
    confidence : float or None
        Mean confidence over the confidence window.
    confidence_baseline : float or None
        Mean confidence over the model's first ``baseline_s`` on this stream.
    confidence_floor : float
        The floor of the confidence check for this model's number of classes.
    alarms : frozenset of PredictionAlarm
        The alarms on now.
    """

    model: str
    psi: float | None = None
    top_class: str | None = None
    top_share: float | None = None
    flip_rate: float | None = None
    confidence: float | None = None
    confidence_baseline: float | None = None
    confidence_floor: float = 0.0
    alarms: frozenset[PredictionAlarm] = frozenset()

    @property
    def confidence_change(self) -> float | None:
        """Mean confidence now minus its baseline (the trend; negative: falling)."""
        if self.confidence is None or self.confidence_baseline is None:
            return None
        return self.confidence - self.confidence_baseline

    def summary(self) -> str:
        """One line of figures, e.g. ``"PSI 0.05, flips 4%, confidence 0.93 (-0.01)"``."""
        parts = ["PSI –" if self.psi is None else f"PSI {self.psi:.2f}"]
        parts.append("flips –" if self.flip_rate is None else f"flips {self.flip_rate:.0%}")
        if self.confidence is None:
            parts.append("confidence –")
        else:
            change = self.confidence_change
            trend = "" if change is None else f" ({change:+.2f})"
            parts.append(f"confidence {self.confidence:.2f}{trend}")
        return ", ".join(parts)

    def describe(self, alarm: PredictionAlarm, thresholds: MonitorThresholds) -> str:
        """The alarm in the user's words, with its figures."""
        if alarm is PredictionAlarm.STUCK:
            minutes = thresholds.distribution_window_s / 60
            share = f"{self.top_share:.0%} '{self.top_class}'" if self.top_class else "?"
            return (
                f"Predictions of {self.model} are {share} over the last {minutes:g} min (PSI "
                f"{_fmt(self.psi)} against its training classes, alarm above "
                f"{thresholds.psi_threshold:g}): the model may be stuck, or the person has "
                "stayed in one state."
            )
        if alarm is PredictionAlarm.FLIPPING:
            return (
                f"Predictions of {self.model} change label at {_pct(self.flip_rate)} of hops "
                f"over the last {thresholds.flip_window_s:g} s (alarm above "
                f"{thresholds.flip_threshold:.0%}): they are not stable enough to read."
            )
        base = self.confidence_baseline
        since = "" if base is None else f", {_fmt(base)} in its first minutes"
        return (
            f"Confidence of {self.model} has fallen to {_fmt(self.confidence)} over the last "
            f"{thresholds.confidence_window_s:g} s{since} (floor {self.confidence_floor:.2f}): "
            "its predictions are little better than chance. Check the electrodes."
        )


@dataclass(frozen=True)
class AlarmChange:
    """An alarm turned on (``on``) or off, with its message."""

    alarm: PredictionAlarm
    on: bool
    text: str
    t: float


def training_prior(classes: Sequence[str], metrics: Mapping[str, Any]) -> np.ndarray:
    """The class shares the model was trained on: ``metrics["class_prior"]`` (an object
    class -> share, or a list in the order of ``classes``) when the model declares it,
    else equal shares. Shares are floored at 0.001 and renormalised."""
    k = len(classes)
    raw = metrics.get("class_prior") if isinstance(metrics, Mapping) else None
    prior = np.full(k, 1.0 / k)
    try:
        if isinstance(raw, Mapping):
            prior = np.array([float(raw[c]) for c in classes])
        elif isinstance(raw, list | tuple) and len(raw) == k:
            prior = np.array([float(v) for v in raw])
    except (KeyError, TypeError, ValueError):
        logger.warning("Ignored the model's class_prior %r: it does not fit its classes.", raw)
        prior = np.full(k, 1.0 / k)
    if not np.isfinite(prior).all() or prior.sum() <= 0:
        prior = np.full(k, 1.0 / k)
    prior = np.maximum(prior, 1e-3)
    return prior / prior.sum()


class _Window:
    """The last ``capacity`` hops of one value (NaN: nothing this hop), with running sums."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._values = np.full(capacity, np.nan)
        self._count = 0
        self.total = 0.0
        self.n = 0

    @property
    def hops(self) -> int:
        return min(self._count, self.capacity)

    def push(self, value: float) -> None:
        slot = self._count % self.capacity
        old = self._values[slot]
        if self._count >= self.capacity and not math.isnan(old):
            self.total -= old
            self.n -= 1
        self._values[slot] = value
        self._count += 1
        if not math.isnan(value):
            self.total += value
            self.n += 1
        if slot == self.capacity - 1:  # exact once per window: no rounding build-up
            kept = self._values[~np.isnan(self._values)]
            self.total = float(kept.sum())

    def mean(self) -> float | None:
        return self.total / self.n if self.n else None


class _Hysteresis:
    def __init__(self) -> None:
        self.on = False
        self._run = 0

    def update(self, score: float | None, confirm: int, clear_ratio: float) -> bool | None:
        """Feed a score (1.0 = threshold); True/False when the alarm just turned on/off."""
        if score is None:
            self._run = 0
            return None
        beyond = score > 1.0 if not self.on else score < clear_ratio
        self._run = self._run + 1 if beyond else 0
        if self._run >= confirm:
            self._run = 0
            self.on = not self.on
            return self.on
        return None


class PredictionMonitor:
    """Watches one model's predictions (one call per hop, withheld ones included).

    Parameters
    ----------
    model : str
        ``name@version`` (for messages).
    classes : sequence of str
        The model's classes.
    prior : array-like
        Training class shares (:func:`training_prior`).
    hop_s : float
        Seconds between two predictions.
    thresholds : MonitorThresholds or None
        Windows and thresholds (defaults: the module docstring's).
    """

    def __init__(
        self,
        model: str,
        classes: Sequence[str],
        prior: Sequence[float] | np.ndarray,
        *,
        hop_s: float,
        thresholds: MonitorThresholds | None = None,
    ) -> None:
        self.model = model
        self.classes = tuple(classes)
        self.thresholds = th = thresholds or MonitorThresholds()
        self._index = {c: i for i, c in enumerate(self.classes)}
        self._prior = np.asarray(prior, dtype=np.float64)
        hop_s = check_number("hop_s", hop_s, minimum=0.0, exclusive_minimum=True)

        def hops(seconds: float) -> int:
            return max(2, round(seconds / hop_s))

        self._dist_cap = hops(th.distribution_window_s)
        self._labels = np.full(self._dist_cap, -1, dtype=np.int64)
        self._counts = np.zeros(len(self.classes), dtype=np.int64)
        self._dist_hops = 0
        self._flips = _Window(hops(th.flip_window_s))
        self._conf = _Window(hops(th.confidence_window_s))
        self._baseline_hops = hops(th.baseline_s)
        self._baseline_sum = 0.0
        self._baseline_n = 0
        self._seen = 0
        self._previous: int | None = None
        chance = 1.0 / len(self.classes)
        self.confidence_floor = chance + th.confidence_margin * (1.0 - chance)
        self._alarms = {a: _Hysteresis() for a in PredictionAlarm}
        self._health = PredictionHealth(model, confidence_floor=self.confidence_floor)

    @property
    def health(self) -> PredictionHealth:
        """The figures after the last prediction."""
        return self._health

    @property
    def alarms(self) -> frozenset[PredictionAlarm]:
        """The alarms on now."""
        return self._health.alarms

    def update(self, prediction: Prediction) -> list[AlarmChange]:
        """Add one prediction; the alarms that turned on or off with it."""
        label = prediction.label
        k = self._index.get(label, -1) if label is not None else -1
        self._push_label(k)
        if k >= 0:
            flip = 0.0 if self._previous is None or self._previous == k else 1.0
            self._flips.push(math.nan if self._previous is None else flip)
            self._previous = k
        else:
            self._flips.push(math.nan)
        conf = prediction.confidence
        self._conf.push(math.nan if conf is None or k < 0 else float(conf))
        if k >= 0 and conf is not None and self._seen < self._baseline_hops:
            self._baseline_sum += float(conf)
            self._baseline_n += 1
        self._seen += 1
        return self._judge(prediction.t)

    def _push_label(self, k: int) -> None:
        slot = self._dist_hops % self._dist_cap
        if self._dist_hops >= self._dist_cap and self._labels[slot] >= 0:
            self._counts[self._labels[slot]] -= 1
        self._labels[slot] = k
        if k >= 0:
            self._counts[k] += 1
        self._dist_hops += 1

    def _judge(self, t: float) -> list[AlarmChange]:
        th = self.thresholds
        psi = top = share = None
        filled = min(self._dist_hops, self._dist_cap)
        labelled = int(self._counts.sum())
        if filled >= th.distribution_min_fill * self._dist_cap and labelled * 4 >= filled:
            n = len(self.classes)
            live = (self._counts + 0.5) / (labelled + 0.5 * n)
            psi = float(np.sum((live - self._prior) * np.log(live / self._prior)))
            best = int(np.argmax(self._counts))
            top, share = self.classes[best], float(self._counts[best] / labelled)
        flip = self._judged(self._flips, th.flip_min_fill)
        conf = self._judged(self._conf, th.confidence_min_fill)
        base = self._baseline_sum / self._baseline_n if self._baseline_n else None
        if self._seen < self._baseline_hops:
            base = None  # not settled yet: no trend
        scores = {
            PredictionAlarm.STUCK: None if psi is None else psi / th.psi_threshold,
            PredictionAlarm.FLIPPING: None if flip is None else flip / th.flip_threshold,
            PredictionAlarm.LOW_CONFIDENCE: self._confidence_score(conf, base),
        }
        changes: list[tuple[PredictionAlarm, bool]] = []
        for alarm, score in scores.items():
            turned = self._alarms[alarm].update(score, th.confirm_hops, th.clear_ratio)
            if turned is not None:
                changes.append((alarm, turned))
        self._health = PredictionHealth(
            self.model,
            psi=psi,
            top_class=top,
            top_share=share,
            flip_rate=flip,
            confidence=conf,
            confidence_baseline=base,
            confidence_floor=self.confidence_floor,
            alarms=frozenset(a for a, h in self._alarms.items() if h.on),
        )
        return [self._change(alarm, on, t) for alarm, on in changes]

    def _judged(self, window: _Window, min_fill: float) -> float | None:
        if window.hops < min_fill * window.capacity or window.n * 4 < window.hops:
            return None
        return window.mean()

    def _confidence_score(self, conf: float | None, base: float | None) -> float | None:
        if conf is None:
            return None
        th = self.thresholds
        score = (1.0 - conf) / (1.0 - self.confidence_floor)
        if base is not None:
            score = max(score, (base - conf) / th.confidence_drop)
        return score

    def _change(self, alarm: PredictionAlarm, on: bool, t: float) -> AlarmChange:
        if on:
            text = self._health.describe(alarm, self.thresholds)
            logger.warning("%s", text)
        else:
            text = (
                f"Predictions of {self.model}: the {alarm.value.replace('_', ' ')} alarm "
                f"cleared ({self._health.summary()})."
            )
            logger.info("%s", text)
        return AlarmChange(alarm, on, text, t)


def _fmt(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "?" if value is None else f"{value:.0%}"
