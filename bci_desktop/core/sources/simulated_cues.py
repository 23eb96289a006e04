"""How the simulated subject follows a calibration: its state set by cues, its self-report.

Until the first cue the simulated person follows its script. A cue that starts a block
puts them in the block's state from the next sample handed out; one that ends a block
leaves them in no particular state ("neutral": the truth row says -1, the EEG carries no
emotion effect, only the person's trait asymmetry); the end of the protocol hands them
back to their script. The switches happen exactly on the sample the cue was recorded at,
with the same 1 s crossfade as a scripted switch (the brain lags the cue).

Asked how they felt, they answer from the state they were in, as a person filling in the
Self-Assessment Manikin would: valence and arousal about 2 points from the middle of the
1-9 scales, on the side of the state's quadrant, with normal noise (sd 1, rounded, so
about one block in eight gets a rating that crosses or touches the middle on one scale).
A non-responder (``state_effect`` 0) answers the same way: they feel the states, their EEG
does not show it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bci_desktop.core.affect import CIRCUMPLEX, STATES
from bci_desktop.core.sources.participant import RATING_MAX, RATING_MIN, Cue, SelfReport

__all__ = ["NEUTRAL", "SCRIPT", "CueSchedule", "code_for", "self_report"]

#: Effect row of "no particular state" (after the four states).
NEUTRAL = len(STATES)
#: A switch back to the script.
SCRIPT = -1
#: Standard deviation of the simulated person's rating noise (scale points).
RATING_NOISE_SD = 1.0
_RATING_OFFSET = 2.0


def code_for(cue: Cue) -> int | None:
    """The switch a cue asks for: a state's index, :data:`NEUTRAL`, :data:`SCRIPT`, or
    ``None`` (no change). A state the simulated person does not know is neutral."""
    if cue.protocol_over:
        return SCRIPT
    if not cue.changes_state:
        return None
    if cue.induce in STATES:
        return STATES.index(cue.induce)
    return NEUTRAL


@dataclass
class CueSchedule:
    """The switches the cues made, in sample order: ``(first sample, code)``."""

    switches: list[tuple[int, int]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """True once a cue has switched the person."""
        return bool(self.switches)

    def add(self, sample: int, code: int) -> None:
        """Switch to ``code`` from ``sample`` on (a later switch on one sample wins)."""
        self.switches.append((int(sample), int(code)))

    def codes(self, idx: np.ndarray, script: np.ndarray) -> np.ndarray:
        """The state code of each sample ``idx`` given the script's codes there."""
        out = script.copy()
        for k, (start, code) in enumerate(self.switches):
            end = self.switches[k + 1][0] if k + 1 < len(self.switches) else None
            inside = idx >= start if end is None else (idx >= start) & (idx < end)
            if code != SCRIPT:
                out[inside] = code
        return out

    def schedule(
        self, idx: np.ndarray, script_codes, effects: np.ndarray, fade_n: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Truth (``-1`` when neutral) and crossfaded log-gains of the samples ``idx``.

        ``script_codes(samples)`` gives the script's state codes. The crossfade starts at
        every change of state, scripted or cued, and lasts ``fade_n`` samples.
        """
        lo = max(int(idx[0]) - math.ceil(fade_n), 0)
        ext = np.arange(lo, int(idx[-1]) + 1)
        codes = self.codes(ext, script_codes(ext))
        positions = np.arange(ext.size)
        change = np.zeros(ext.size, dtype=bool)
        change[1:] = codes[1:] != codes[:-1]
        last = np.maximum.accumulate(np.where(change, positions, -1))
        take = idx - lo
        last, cur = last[take], codes[take]
        settled = last < 0
        prev = np.where(settled, cur, codes[np.maximum(last - 1, 0)])
        w = np.where(settled, 1.0, np.clip((take - last) / fade_n, 0.0, 1.0))
        w = (w * w * (3.0 - 2.0 * w))[:, None]
        gains = effects[prev] * (1.0 - w) + effects[cur] * w
        truth = np.where(cur == NEUTRAL, -1, cur)
        return truth, gains


def self_report(code: int | None, seed: int, number: int) -> SelfReport:
    """The simulated person's rating of a block spent in state ``code`` (``None`` or
    :data:`NEUTRAL`: nothing in particular), the ``number``-th rating of the session."""
    rng = np.random.default_rng([int(seed), 12, int(number)])
    noise = rng.normal(0.0, RATING_NOISE_SD, 2)
    middle = (RATING_MIN + RATING_MAX) / 2.0
    if code is None or not 0 <= code < len(STATES):
        target = (middle, middle)
    else:
        valence, arousal = CIRCUMPLEX[STATES[code]]
        target = (middle + _RATING_OFFSET * valence, middle + _RATING_OFFSET * arousal)
    v, a = (round(t + e) for t, e in zip(target, noise, strict=True))
    return SelfReport(min(max(v, RATING_MIN), RATING_MAX), min(max(a, RATING_MIN), RATING_MAX))
