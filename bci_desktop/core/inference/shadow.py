"""A candidate model run in shadow: on the live windows, beside the model in use, unseen.

:class:`ShadowModel` is given each hop after the engine made its own prediction
(:attr:`Engine.on_hop <bci_desktop.core.engine.Engine.on_hop>`): the active prediction and
the engine's filtered signal, which it only reads. It takes the same window (the last
``window_s`` seconds of its own channels, ending at the same sample), computes its own
input (features, or the window itself) and asks the candidate. Its outcome goes to the
trial's tally, never into the prediction stream.

A candidate is stopped, and never asked again, when it

- raises (any exception: a broken file, a bug in a Python classifier);
- returns garbage: not one finite probability per class in [0, 1] summing to one;
- is over its latency budget: the p99 of its recent calls (features plus model, as the
  engine counts) above ``latency_budget_ms`` (judged from 20 calls on, as the engine's
  :class:`~bci_desktop.core.inference.latency_guard.LatencyGuard` does), or one call
  slower than :data:`HARD_LIMIT_MS` or ten times the budget, whichever is larger, at once.

It withholds its prediction where the active model's window was withheld for the signal
(the same reason), and where its own channels are of bad quality, so that both are judged
on the same windows.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from bci_desktop.core.dsp.quality import QualityLevel, QualityReport
from bci_desktop.core.dsp.ring_buffer import RingBuffer
from bci_desktop.core.engine_config import EngineConfig
from bci_desktop.core.engine_plan import ModelPlan, plan_model
from bci_desktop.core.errors import ModelError, one_line
from bci_desktop.core.inference.drift import DriftMonitor
from bci_desktop.core.inference.latency_guard import LatencyGuard
from bci_desktop.core.prediction import Classifier, Prediction
from bci_desktop.core.stream import StreamInfo

__all__ = ["HARD_LIMIT_MS", "ShadowModel", "ShadowResult"]

logger = logging.getLogger(__name__)

#: One call slower than this (or ten times the budget, if larger) stops a candidate at once.
HARD_LIMIT_MS = 250.0
_SUM_TOLERANCE = 1e-3
_RANGE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class ShadowResult:
    """What the candidate said at one hop.

    Attributes
    ----------
    label : str or None
        Its most probable class, ``None`` when withheld or stopped.
    confidence : float or None
        The probability of ``label``.
    latency_ms : float or None
        Features plus model call (ms), ``None`` when it was not asked.
    withheld : str or None
        Why it gave no label at this hop.
    drift : float or None
        Its drift score (when it carries reference statistics).
    drift_alarm : bool
        Its drift alarm.
    stopped : str or None
        Set once, at the hop where it was stopped: why, in words.
    """

    label: str | None
    confidence: float | None = None
    latency_ms: float | None = None
    withheld: str | None = None
    drift: float | None = None
    drift_alarm: bool = False
    stopped: str | None = None


class ShadowModel:
    """Runs ``model`` on the stream ``info`` describes, beside the engine's model.

    Parameters
    ----------
    model : Classifier
        The candidate.
    info : StreamInfo
        The stream.
    hop_samples : float
        The engine's hop (samples).
    config : EngineConfig or None
        The engine's settings (drift window and threshold, latency window).

    Raises
    ------
    ModelError
        If the candidate cannot run on this stream (a window model at another rate,
        feature names that do not match its spec) or lacks channels of the stream.
    """

    def __init__(
        self,
        model: Classifier,
        info: StreamInfo,
        *,
        hop_samples: float,
        config: EngineConfig | None = None,
    ) -> None:
        config = config or EngineConfig()
        label = model.metadata.label
        plan: ModelPlan = plan_model(
            model.metadata.recipe,
            model,
            info=info,
            sample_rate=info.sample_rate,
            hop_samples=hop_samples,
            config=EngineConfig(
                strict_channels=False,
                incremental_features=False,
                drift_window_s=config.drift_window_s,
                drift_threshold=config.drift_threshold,
            ),
        )
        if plan.problem is not None:
            raise ModelError(f"{plan.problem} It cannot be tried on this stream.")
        self.model = model
        self.label = label
        self.classes = tuple(model.classes)
        self._plan = plan
        self._idx = plan.idx
        self._names = tuple(info.channel_names[i] for i in plan.idx)
        self._window = plan.window
        self._fs = float(info.sample_rate)
        self._drift: DriftMonitor | None = plan.drift
        self._window_kind = model.metadata.recipe.input_kind == "window"
        budget = model.metadata.latency_budget_ms
        self.budget_ms = budget
        self._guard = LatencyGuard(budget, window=config.latency_window)
        self._hard_ms = max(HARD_LIMIT_MS, 10.0 * budget)
        self.stopped: str | None = None

    @property
    def window_samples(self) -> int:
        """Samples in the candidate's window."""
        return self._window

    def run(
        self, active: Prediction, filtered: RingBuffer, quality: QualityReport | None
    ) -> ShadowResult:
        """Classify the window ending at ``active``'s hop; never raises.

        Parameters
        ----------
        active : Prediction
            What the active model said at this hop.
        filtered : RingBuffer
            The engine's filtered signal (read only: :meth:`RingBuffer.latest` views).
        quality : QualityReport or None
            The engine's latest quality report.
        """
        if self.stopped is not None:
            return ShadowResult(None, withheld=f"stopped: {self.stopped}")
        t0 = time.perf_counter_ns()
        withheld = self._withheld(active, filtered, quality)
        if withheld is not None:
            return ShadowResult(
                None, withheld=withheld, drift=self._drift_score(), drift_alarm=self._drift_alarm()
            )
        try:
            window = filtered.latest(self._window)
            buf = self._plan.window_buf
            np.take(window, self._idx, axis=0, out=buf)
            extractor = self._plan.extractor
            feats = extractor.compute(buf) if extractor is not None else None
            x = buf if self._window_kind else feats
            probs = np.asarray(self.model.predict_proba(x), dtype=np.float64)
        except Exception as exc:  # the candidate's failure must never reach the stream
            logger.exception("Candidate %s failed in shadow", self.label)
            return self._stop(f"it raised {type(exc).__name__}: {one_line(exc)}")
        latency_ms = (time.perf_counter_ns() - t0) / 1e6
        problem = self._garbage(probs)
        if problem is not None:
            return self._stop(problem)
        if latency_ms > self._hard_ms:
            return self._stop(
                f"one call took {latency_ms:.0f} ms, far over its budget of {self.budget_ms:g} ms"
            )
        if self._guard.add(latency_ms):
            return self._stop(
                f"its p99 latency {self._guard.p99:.2f} ms over the last "
                f"{min(self._guard.count, self._guard.window)} calls is over its budget of "
                f"{self.budget_ms:g} ms"
            )
        if self._drift is not None and feats is not None:
            self._drift.update(feats)
        k = int(np.argmax(probs))
        return ShadowResult(
            self.classes[k],
            confidence=float(probs[k]),
            latency_ms=latency_ms,
            drift=self._drift_score(),
            drift_alarm=self._drift_alarm(),
        )

    def _withheld(
        self, active: Prediction, filtered: RingBuffer, quality: QualityReport | None
    ) -> str | None:
        if active.withheld is not None and active.label is None:
            return active.withheld  # the same window was judged unfit for the active model
        if filtered.size < self._window:
            return (
                f"needs {self._window / self._fs:g} s of signal, "
                f"{filtered.size / self._fs:.1f} s buffered"
            )
        if quality is not None:
            levels = quality.levels[self._idx]
            bad = [self._names[i] for i in np.flatnonzero(levels >= QualityLevel.BAD)]
            if bad:
                return f"Bad signal on {', '.join(bad)}"
        return None

    def _garbage(self, probs: np.ndarray) -> str | None:
        n = len(self.classes)
        if probs.shape != (n,):
            return f"it returned {probs.size} values for its {n} classes"
        if not np.isfinite(probs).all():
            return "it returned NaN or infinite probabilities"
        if probs.min() < -_RANGE_TOLERANCE or probs.max() > 1 + _RANGE_TOLERANCE:
            return "it returned probabilities outside [0, 1]"
        total = float(probs.sum())
        if not math.isclose(total, 1.0, abs_tol=_SUM_TOLERANCE):
            return f"its probabilities sum to {total:.4f}, not 1"
        return None

    def _stop(self, reason: str) -> ShadowResult:
        self.stopped = reason
        logger.warning("Shadow trial of %s stopped: %s.", self.label, reason)
        return ShadowResult(None, withheld=f"stopped: {reason}", stopped=reason)

    def _drift_score(self) -> float | None:
        drift = self._drift
        if drift is None or not drift.ready:
            return None
        return round(drift.score, 3)

    def _drift_alarm(self) -> bool:
        return self._drift is not None and self._drift.alarm
