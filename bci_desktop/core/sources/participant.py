"""What the person in front of the screen is shown, and what they answer.

A calibration shows the person a sequence of things: the instructions for a state, the
block itself (recall, images, sounds), a rating page, a rest. Each change is a :class:`Cue`.
The stream session records every cue as an event (and a marker) on the sample it happened,
and hands it to the source when the source *is* the person: the simulated subject
(:class:`Participant`) follows the cues as a cooperative person would (its state follows
the blocks) and answers the self-report. A headset is not a participant: the real person
sees the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bci_desktop.core.errors import ConfigError

__all__ = ["RATING_MAX", "RATING_MIN", "Cue", "Participant", "SelfReport"]

#: The self-report scales run from 1 to 9 (Self-Assessment Manikin).
RATING_MIN, RATING_MAX = 1, 9


@dataclass(frozen=True)
class Cue:
    """What the person is shown changed.

    Parameters
    ----------
    event : str
        Kind of the event recorded for it (``"calibration_start"``, ``"self_report"``...).
    detail : str
        The event's detail (a state, a file name, JSON).
    marker : float or None
        A marker put on the same sample (``None``: no marker).
    induce : str or None
        The state being induced from now on (a block starts); ``None``: no state is
        induced (instructions, rating, rest). Only meaningful with ``changes_state``.
    changes_state : bool
        This cue starts or ends an induction (a block start or end).
    asks_report : bool
        The person is asked how they felt in the block that just ended.
    protocol_over : bool
        The protocol ended (or was cancelled): the person is left to themselves again.
    """

    event: str
    detail: str = ""
    marker: float | None = None
    induce: str | None = None
    changes_state: bool = False
    asks_report: bool = False
    protocol_over: bool = False

    def __post_init__(self) -> None:
        if not self.event or not self.event.replace("_", "").isalnum():
            raise ConfigError(f"Invalid cue event {self.event!r}: letters, digits and '_' only.")


@dataclass(frozen=True)
class SelfReport:
    """How the person says they felt: valence and arousal on 1-9 scales.

    Attributes
    ----------
    valence : int
        1 unhappy ... 5 neutral ... 9 happy.
    arousal : int
        1 calm, sleepy ... 5 ... 9 excited, alert.
    """

    valence: int
    arousal: int

    def __post_init__(self) -> None:
        for name in ("valence", "arousal"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"A {name} rating must be a whole number, got {value!r}.")
            if not RATING_MIN <= value <= RATING_MAX:
                raise ConfigError(
                    f"A {name} rating runs from {RATING_MIN} to {RATING_MAX}, got {value}."
                )


@runtime_checkable
class Participant(Protocol):
    """A source that is the person being shown the cues (the simulated subject)."""

    def follow(self, cue: Cue) -> SelfReport | None:
        """Take ``cue`` into account from the next sample; answer when asked to report."""
        ...
