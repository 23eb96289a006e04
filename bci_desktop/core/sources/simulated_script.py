"""The script a simulated subject follows: its emotional states and how long each lasts.

A script is a sequence of :class:`ScriptStep`; on the command line and in settings it is
written ``"calm:60,happy:60,sad:30"`` (:func:`parse_script`, :func:`script_text`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bci_desktop.core.affect import STATES  # one per quadrant of Russell's circumplex
from bci_desktop.core.errors import ConfigError

__all__ = ["STATES", "ScriptStep", "default_script", "parse_script", "script_text"]

_DEFAULT_ORDER = ("calm", "happy", "stressed", "sad")  # a walk around the circumplex


@dataclass(frozen=True)
class ScriptStep:
    """One block of a script: the subject is in ``state`` for ``duration_s`` seconds.

    Parameters
    ----------
    state : str
        One of :data:`STATES`.
    duration_s : float
        Length of the block in seconds, finite and > 0.
    """

    state: str
    duration_s: float

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ConfigError(
                f"Unknown state {self.state!r} in the script. Allowed states are "
                f"{', '.join(repr(s) for s in STATES)}."
            )
        d = self.duration_s
        if isinstance(d, bool) or not isinstance(d, int | float) or not 0 < d < math.inf:
            raise ConfigError(
                f"Invalid duration {d!r} for state {self.state!r} in the script: give a "
                f"finite number of seconds > 0, e.g. '{self.state}:60'."
            )


_STEP_RE = re.compile(r"^([A-Za-z_]+)\s*:\s*([^\s]+?)\s*s?$")


def parse_script(text: str) -> tuple[ScriptStep, ...]:
    """Parse a script such as ``"calm:60,happy:60,sad:30"`` (state:seconds, comma-separated).

    Raises
    ------
    ConfigError
        On an empty script, an unknown state, or a duration that is not a number > 0.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(
            f"The script is empty ({text!r}); give steps as state:seconds separated by "
            f"commas, e.g. 'calm:60,happy:60,sad:30'."
        )
    steps = []
    for part in text.split(","):
        item = part.strip()
        match = _STEP_RE.match(item)
        if match is None:
            raise ConfigError(
                f"Invalid script step {item!r}: write state:seconds, e.g. 'calm:60' "
                f"(states: {', '.join(STATES)})."
            )
        state, duration = match.group(1).lower(), match.group(2)
        try:
            seconds = float(duration)
        except ValueError:
            raise ConfigError(
                f"Invalid duration {duration!r} in script step {item!r}: give a number of "
                f"seconds > 0, e.g. '{state}:60'."
            ) from None
        steps.append(ScriptStep(state, seconds))
    return tuple(steps)


def default_script(block_s: float = 60.0) -> tuple[ScriptStep, ...]:
    """Each state once for ``block_s`` seconds: calm, happy, stressed, sad."""
    return tuple(ScriptStep(s, float(block_s)) for s in _DEFAULT_ORDER)


def script_text(steps: Sequence[ScriptStep]) -> str:
    """Write a script back in the form :func:`parse_script` reads."""
    return ",".join(f"{s.state}:{s.duration_s:g}" for s in steps)
