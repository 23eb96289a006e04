"""The four emotional states of the app and where they sit on the circumplex of affect.

Russell's circumplex places feelings on two axes, valence (unpleasant to pleasant) and
arousal (deactivated to activated). The app's four states are its four quadrants; a
self-report on the Self-Assessment Manikin's valence and arousal scales (1-9, 5 neutral)
falls into one of them.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CIRCUMPLEX", "STATES", "Sign", "quadrant_state"]

#: The app's emotional states, one per quadrant (the simulated subject's too).
STATES: tuple[str, ...] = ("calm", "happy", "sad", "stressed")


class Sign(IntEnum):
    """The side of an axis: below, at or above its middle."""

    LOW = -1
    NEUTRAL = 0
    HIGH = 1


#: State -> (valence, arousal) side.
CIRCUMPLEX: dict[str, tuple[Sign, Sign]] = {
    "calm": (Sign.HIGH, Sign.LOW),
    "happy": (Sign.HIGH, Sign.HIGH),
    "sad": (Sign.LOW, Sign.LOW),
    "stressed": (Sign.LOW, Sign.HIGH),
}


def quadrant_state(valence: Sign, arousal: Sign) -> str | None:
    """The state of a quadrant (``None`` when either side is neutral)."""
    for state, sides in CIRCUMPLEX.items():
        if sides == (valence, arousal):
            return state
    return None
