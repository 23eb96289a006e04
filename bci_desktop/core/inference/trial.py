"""A shadow trial's figures and its promote / discard decision.

While a candidate runs in shadow (:mod:`bci_desktop.core.inference.shadow`), a
:class:`TrialTally` counts, hop by hop, how it compares with the active model: agreement,
accuracy against the truth when one is known (the simulated subject's true state, or the
labels of a calibration block), latency, confidence, withheld windows and drift. Its
:meth:`~TrialTally.figures` are a frozen :class:`TrialFigures`, and :func:`decide` turns
figures and the user's :class:`TrialThresholds` into a :class:`TrialDecision`: every check
in words, and the verdict.

The checks (all must pass to promote):

1. **not stopped**: the candidate did not raise, return garbage or exceed its latency
   budget;
2. **evidence**: at least ``min_compared`` hops where both models gave a label;
3. **accuracy** (when a truth is known for at least ``min_compared`` of those hops): the
   candidate's accuracy is at most ``max_accuracy_loss`` below the active model's;
   **agreement** (when no truth is known): it agrees with the active model on at least
   ``min_agreement`` of the hops, since without labels nothing shows it is better, and a
   candidate that disagrees is a leap in the dark;
4. **withheld**: its withheld share is at most ``max_withheld_increase`` above the active's;
5. **drift** (when it carries reference statistics): its drift alarm was on for at most
   ``max_drift_alarm_share`` of its predictions.
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.shadow import ShadowResult
from bci_desktop.core.prediction import Prediction
from bci_desktop.core.stats import RollingPercentiles
from bci_desktop.core.validate import check_int, check_number

__all__ = [
    "CONFIDENCE_BINS",
    "TrialDecision",
    "TrialFigures",
    "TrialRequest",
    "TrialTally",
    "TrialThresholds",
    "Verdict",
    "decide",
]

#: The confidence histograms have this many bins over [0, 1].
CONFIDENCE_BINS = 10
_LATENCIES_KEPT = 4800


class Verdict(enum.Enum):
    """What to do with the candidate."""

    PROMOTE = "promote"
    DISCARD = "discard"


@dataclass(frozen=True)
class TrialThresholds:
    """What a candidate must show to be promoted (see the module docstring).

    Raises
    ------
    ConfigError
        If a value is out of its range.
    """

    min_compared: int = 240
    max_accuracy_loss: float = 0.01
    min_agreement: float = 0.8
    max_withheld_increase: float = 0.05
    max_drift_alarm_share: float = 0.25

    def __post_init__(self) -> None:
        check_int("min-compared", self.min_compared, minimum=1, maximum=10_000_000)
        for f in fields(self)[1:]:
            check_number(f.name.replace("_", "-"), getattr(self, f.name), minimum=0.0, maximum=1.0)

    def to_dict(self) -> dict[str, Any]:
        """As JSON-friendly values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrialThresholds:
        """From :meth:`to_dict`'s output (unknown keys are ignored).

        Raises
        ------
        ConfigError
            If a value is out of range.
        """
        if not isinstance(raw, dict):
            raise ConfigError("The trial thresholds must be an object.")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


@dataclass(frozen=True)
class TrialRequest:
    """Start a shadow trial.

    Parameters
    ----------
    ref : str
        The candidate: a registry ``NAME[@VERSION]`` or an ONNX file.
    minutes : float or None
        Stream minutes the trial lasts (``None``: until stopped).
    thresholds : TrialThresholds
        What it must show to be promoted.
    """

    ref: str
    minutes: float | None = 10.0
    thresholds: TrialThresholds = field(default_factory=TrialThresholds)

    def __post_init__(self) -> None:
        if not isinstance(self.ref, str) or not self.ref.strip():
            raise ConfigError("Name the candidate model: NAME[@VERSION] or an ONNX file.")
        if self.minutes is not None:
            check_number(
                "minutes", self.minutes, minimum=0.0, exclusive_minimum=True, maximum=24 * 60.0
            )


@dataclass(frozen=True)
class TrialFigures:
    """How the candidate compared with the active model so far.

    Attributes
    ----------
    candidate, active : str
        ``name@version`` of each.
    hops : int
        Hops seen; ``stream_s`` the stream seconds they span.
    stream_s : float
    compared : int
        Hops where both gave a label.
    agreement : float or None
        Share of those where they gave the same label.
    truth_source : str or None
        ``"simulated subject"`` or ``"calibration labels"`` when a truth was known.
    labelled : int
        Compared hops with a known truth.
    active_accuracy, candidate_accuracy : float or None
        Share of the labelled hops each got right.
    active_withheld, candidate_withheld : float or None
        Share of hops withheld.
    active_p50_ms, active_p99_ms : float or None
        The active model's latency as the engine measures it (filters, features, model).
    candidate_p50_ms, candidate_p99_ms : float or None
        The candidate's (its features and model call).
    candidate_budget_ms : float
        The candidate's latency budget.
    active_confidence, candidate_confidence : float or None
        Mean confidence of the labelled predictions.
    active_histogram, candidate_histogram : tuple of int
        Confidences in :data:`CONFIDENCE_BINS` bins over [0, 1].
    candidate_drift : float or None
        The candidate's mean drift score (``None`` without reference statistics).
    candidate_drift_alarm_share : float or None
        Share of its scored predictions with its drift alarm on.
    stopped : str or None
        Why the candidate was stopped, if it was.
    """

    candidate: str
    active: str
    hops: int = 0
    stream_s: float = 0.0
    compared: int = 0
    agreement: float | None = None
    truth_source: str | None = None
    labelled: int = 0
    active_accuracy: float | None = None
    candidate_accuracy: float | None = None
    active_withheld: float | None = None
    candidate_withheld: float | None = None
    active_p50_ms: float | None = None
    active_p99_ms: float | None = None
    candidate_p50_ms: float | None = None
    candidate_p99_ms: float | None = None
    candidate_budget_ms: float = 100.0
    active_confidence: float | None = None
    candidate_confidence: float | None = None
    active_histogram: tuple[int, ...] = ()
    candidate_histogram: tuple[int, ...] = ()
    candidate_drift: float | None = None
    candidate_drift_alarm_share: float | None = None
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly values (tuples as lists; NaN never appears)."""
        out = asdict(self)
        out["active_histogram"] = list(self.active_histogram)
        out["candidate_histogram"] = list(self.candidate_histogram)
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrialFigures:
        """From :meth:`to_dict`'s output (unknown keys ignored).

        Raises
        ------
        ConfigError
            If the candidate or active model is not named.
        """
        if not isinstance(raw, dict):
            raise ConfigError("A trial's figures must be an object.")
        kinds = {f.name: str(f.type) for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in kinds}
        if not isinstance(values.get("candidate"), str) or not isinstance(
            values.get("active"), str
        ):
            raise ConfigError("A trial record must name its candidate and active model.")
        try:  # the file is the user's: every value is checked, a wrong one refuses the record
            for key, value in values.items():
                kind = kinds[key]
                if kind.startswith("tuple"):
                    values[key] = tuple(_number(v, int) for v in value or ())
                elif value is None and kind.endswith("| None"):
                    continue
                elif kind.startswith(("int", "float")):
                    values[key] = _number(value, int if kind.startswith("int") else float)
                else:
                    values[key] = str(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"malformed trial figures ({exc})") from exc
        return cls(**values)


@dataclass(frozen=True)
class TrialDecision:
    """The verdict and every check behind it, in words.

    Attributes
    ----------
    verdict : Verdict
    checks : tuple of (str, bool)
        Each check in words and whether it passed.
    """

    verdict: Verdict
    checks: tuple[tuple[str, bool], ...]

    @property
    def failed(self) -> tuple[str, ...]:
        """The checks that failed."""
        return tuple(text for text, ok in self.checks if not ok)

    def summary(self) -> str:
        """``"promote"`` or ``"discard: <first failed check>"``."""
        if self.verdict is Verdict.PROMOTE:
            return "promote"
        return f"discard: {self.failed[0]}" if self.failed else "discard"


def decide(figures: TrialFigures, thresholds: TrialThresholds) -> TrialDecision:
    """The promote / discard decision on ``figures`` (pure: the same figures and thresholds
    always give the same decision)."""
    th = thresholds
    f = figures
    checks: list[tuple[str, bool]] = []
    if f.stopped is not None:
        checks.append((f"the candidate was stopped: {f.stopped}", False))
    else:
        p99 = "–" if f.candidate_p99_ms is None else f"{f.candidate_p99_ms:.2f} ms"
        checks.append((f"latency p99 {p99} within its {f.candidate_budget_ms:g} ms budget", True))
    checks.append(
        (
            f"{f.compared} hops compared (at least {th.min_compared} needed)",
            f.compared >= th.min_compared,
        )
    )
    if f.labelled >= th.min_compared and f.candidate_accuracy is not None:
        loss = f.active_accuracy - f.candidate_accuracy
        checks.append(
            (
                f"accuracy against the {f.truth_source} {_pct(f.candidate_accuracy)} vs "
                f"{_pct(f.active_accuracy)} for the active model (at most "
                f"{_points(th.max_accuracy_loss)} lower allowed)",
                loss <= th.max_accuracy_loss + 1e-12,
            )
        )
    else:
        checks.append(
            (
                f"no truth known: agreement with the active model {_pct(f.agreement)} (at "
                f"least {_pct(th.min_agreement)} needed)",
                f.agreement is not None and f.agreement >= th.min_agreement,
            )
        )
    if f.candidate_withheld is not None and f.active_withheld is not None:
        more = f.candidate_withheld - f.active_withheld
        checks.append(
            (
                f"withheld {_pct(f.candidate_withheld)} vs {_pct(f.active_withheld)} (at most "
                f"{_points(th.max_withheld_increase)} more allowed)",
                more <= th.max_withheld_increase + 1e-12,
            )
        )
    if f.candidate_drift_alarm_share is not None:
        checks.append(
            (
                f"drift alarm on for {_pct(f.candidate_drift_alarm_share)} of its predictions "
                f"(at most {_pct(th.max_drift_alarm_share)} allowed)",
                f.candidate_drift_alarm_share <= th.max_drift_alarm_share + 1e-12,
            )
        )
    verdict = Verdict.PROMOTE if all(ok for _, ok in checks) else Verdict.DISCARD
    return TrialDecision(verdict, tuple(checks))


class TrialTally:
    """Running counts of one trial (one :meth:`add` per hop)."""

    def __init__(self, candidate: str, active: str, *, hop_s: float, budget_ms: float) -> None:
        self.candidate = candidate
        self.active = active
        self.hop_s = hop_s
        self.budget_ms = budget_ms
        self.hops = 0
        self.compared = self.agree = 0
        self.labelled = self.active_right = self.candidate_right = 0
        self.active_withheld = self.candidate_withheld = 0
        self.truth_source: str | None = None
        self._active_lat = RollingPercentiles(_LATENCIES_KEPT)
        self._candidate_lat = RollingPercentiles(_LATENCIES_KEPT)
        self._active_hist = np.zeros(CONFIDENCE_BINS, dtype=np.int64)
        self._candidate_hist = np.zeros(CONFIDENCE_BINS, dtype=np.int64)
        self._active_conf = self._candidate_conf = 0.0
        self._drift_sum = 0.0
        self._drift_n = self._drift_alarms = 0
        self.stopped: str | None = None

    def add(
        self, active: Prediction, shadow: ShadowResult, truth: str | None, source: str | None
    ) -> None:
        """Count one hop: both outputs and the truth (``None`` when unknown)."""
        self.hops += 1
        if shadow.stopped is not None:
            self.stopped = shadow.stopped
        if active.label is None:
            self.active_withheld += 1
        else:
            self._active_lat.add(active.latency_ms)
            self._active_conf += active.confidence or 0.0
            self._active_hist[_bin(active.confidence)] += 1
        if shadow.label is None:
            self.candidate_withheld += 1
        else:
            self._candidate_conf += shadow.confidence or 0.0
            self._candidate_hist[_bin(shadow.confidence)] += 1
        if shadow.latency_ms is not None:
            self._candidate_lat.add(shadow.latency_ms)
        if shadow.drift is not None:
            self._drift_sum += shadow.drift
            self._drift_n += 1
            self._drift_alarms += int(shadow.drift_alarm)
        if active.label is None or shadow.label is None:
            return
        self.compared += 1
        self.agree += int(active.label == shadow.label)
        if truth is not None:
            self.truth_source = source
            self.labelled += 1
            self.active_right += int(active.label == truth)
            self.candidate_right += int(shadow.label == truth)

    def figures(self) -> TrialFigures:
        """The figures so far."""
        a50, a99 = _percentiles(self._active_lat)
        c50, c99 = _percentiles(self._candidate_lat)
        a_n = self.hops - self.active_withheld
        c_n = self.hops - self.candidate_withheld
        return TrialFigures(
            candidate=self.candidate,
            active=self.active,
            hops=self.hops,
            stream_s=round(self.hops * self.hop_s, 3),
            compared=self.compared,
            agreement=_share(self.agree, self.compared),
            truth_source=self.truth_source if self.labelled else None,
            labelled=self.labelled,
            active_accuracy=_share(self.active_right, self.labelled),
            candidate_accuracy=_share(self.candidate_right, self.labelled),
            active_withheld=_share(self.active_withheld, self.hops),
            candidate_withheld=_share(self.candidate_withheld, self.hops),
            active_p50_ms=a50,
            active_p99_ms=a99,
            candidate_p50_ms=c50,
            candidate_p99_ms=c99,
            candidate_budget_ms=self.budget_ms,
            active_confidence=_share(self._active_conf, a_n),
            candidate_confidence=_share(self._candidate_conf, c_n),
            active_histogram=tuple(int(v) for v in self._active_hist),
            candidate_histogram=tuple(int(v) for v in self._candidate_hist),
            candidate_drift=_share(self._drift_sum, self._drift_n),
            candidate_drift_alarm_share=_share(self._drift_alarms, self._drift_n),
            stopped=self.stopped,
        )


def _number(value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return kind(value)


def _bin(confidence: float | None) -> int:
    c = 0.0 if confidence is None or not math.isfinite(confidence) else confidence
    return min(CONFIDENCE_BINS - 1, max(0, int(c * CONFIDENCE_BINS)))


def _share(part: float, whole: int) -> float | None:
    return None if whole <= 0 else round(float(part) / whole, 6)


def _percentiles(values: RollingPercentiles) -> tuple[float | None, float | None]:
    if values.count == 0:
        return None, None
    p50, p99 = values.percentiles((50.0, 99.0))
    return round(p50, 4), round(p99, 4)


def _points(share: float) -> str:
    points = round(100 * share, 6)
    return f"{points:g} point" + ("" if points == 1 else "s")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"
