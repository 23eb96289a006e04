"""What a stream session says about its model's output and its shadow trials.

Part of the session's messages (:data:`~bci_desktop.core.session.status.SessionMessage`):
small frozen dataclasses, picklable, so they cross from the window's acquisition process
as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from bci_desktop.core.inference.prediction_monitor import PredictionAlarm, PredictionHealth
from bci_desktop.core.inference.trial import (
    TrialDecision,
    TrialFigures,
    TrialThresholds,
)
from bci_desktop.core.inference.trial_log import TrialRecord

__all__ = ["PredictionAlarmChanged", "PredictionHealthStatus", "TrialEnded", "TrialStatus"]


@dataclass(frozen=True)
class PredictionHealthStatus:
    """The prediction monitor's figures, about once a second while a model predicts."""

    health: PredictionHealth


@dataclass(frozen=True)
class PredictionAlarmChanged:
    """A prediction alarm turned on or off (also recorded as an event).

    Attributes
    ----------
    alarm : PredictionAlarm
    on : bool
    text : str
        What it means, in the user's words, with its figures.
    t : float
        Stream time of the prediction that turned it.
    model : str
        The model watched.
    """

    alarm: PredictionAlarm
    on: bool
    text: str
    t: float
    model: str


@dataclass(frozen=True)
class TrialStatus:
    """A shadow trial runs: its figures and the decision they give now (when it starts and
    about once a second).

    Attributes
    ----------
    figures : TrialFigures
    thresholds : TrialThresholds
    decision : TrialDecision
        What the figures so far give.
    minutes : float or None
        The trial's length (``None``: until stopped).
    """

    figures: TrialFigures
    thresholds: TrialThresholds
    decision: TrialDecision
    minutes: float | None


@dataclass(frozen=True)
class TrialEnded:
    """A shadow trial ended; its record (figures, decision, why it ended).

    Attributes
    ----------
    record : TrialRecord
    saved_error : str or None
        Why the record could not be kept in the registry's history (a full disk), if so.
    """

    record: TrialRecord
    saved_error: str | None = None
