"""Self-reports: which state a rating says, and whether it agrees with the block's state.

After each block the person rates how they felt on the Self-Assessment Manikin's valence
(1 unpleasant ... 9 pleasant) and arousal (1 calm ... 9 excited) scales. A rating above 5 is
on the high side of its axis, below 5 on the low side, 5 is neither. A state of the
protocol expects a side on each axis (the four built-in states: their quadrant of the
circumplex; a custom state may expect either side, "any"):

- the rating **agrees** when it is on the expected side of every axis that has one;
- it **contradicts** when it is on the other side of one of them;
- it is **unclear** when it sits at 5 on an axis that has an expected side.

Labels *from the ratings* give a block the one state of the protocol whose expectations
the rating meets; none or several: the block has no label and is left out.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from bci_desktop.core.affect import Sign
from bci_desktop.core.calibration.protocol import StateInduction
from bci_desktop.core.sources.participant import SelfReport

__all__ = ["Agreement", "agreement", "rated_state", "side"]

_MIDDLE = 5


class Agreement(enum.Enum):
    """How a block's self-report relates to the state it was meant to induce."""

    AGREES = "agrees"
    CONTRADICTS = "contradicts"
    UNCLEAR = "unclear"
    UNRATED = "not rated"


def side(value: int) -> Sign:
    """The side of the middle (5) a 1-9 rating is on."""
    return Sign.HIGH if value > _MIDDLE else Sign.LOW if value < _MIDDLE else Sign.NEUTRAL


def _meets(report: SelfReport, state: StateInduction) -> bool:
    return all(
        want is None or side(got) is want
        for want, got in ((state.valence, report.valence), (state.arousal, report.arousal))
    )


def rated_state(report: SelfReport, states: Sequence[StateInduction]) -> str | None:
    """The one state whose expected sides the rating is on (``None``: none, or several)."""
    matches = [
        s.name for s in states if (s.valence, s.arousal) != (None, None) and _meets(report, s)
    ]
    return matches[0] if len(matches) == 1 else None


def agreement(report: SelfReport | None, intended: StateInduction) -> Agreement:
    """Whether ``report`` agrees with the state the block was meant to induce."""
    if report is None:
        return Agreement.UNRATED
    verdicts = []
    for want, got in ((intended.valence, report.valence), (intended.arousal, report.arousal)):
        if want is None:
            continue
        verdicts.append(side(got))
        if side(got) is not Sign.NEUTRAL and side(got) is not want:
            return Agreement.CONTRADICTS
    if any(v is Sign.NEUTRAL for v in verdicts):
        return Agreement.UNCLEAR
    return Agreement.AGREES
