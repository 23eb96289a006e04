"""What a calibration will do and when, on the stream's clock (plain Python, no Qt).

:class:`CalibrationSetup` holds the user's choices; :class:`Timeline` places the blocks and
rests of its plan on the stream's clock.

The calibration flow times its blocks by the stream, not the wall clock: the clock is the
number of samples received divided by the sample rate. The prompts then stay in step with
the recorded data whatever the pace (a simulated subject can stream faster than real
time), and a stalled stream pauses the countdown instead of running blocks without data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bci_desktop.core.calibration import CalibrationPlan
from bci_desktop.core.errors import ConfigError

__all__ = ["SUBJECT_PATTERN", "CalibrationSetup", "Segment", "Timeline", "first_block_start"]

#: Subject ids usable in a model name.
SUBJECT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,40}$")


@dataclass(frozen=True)
class CalibrationSetup:
    """What the user chose on the first page.

    Parameters
    ----------
    states : tuple of str
        States to calibrate, in the order they are numbered for markers.
    per_state_s, block_s, rest_s : float
        Time per state, block length, rest between blocks (seconds).
    subject : str
        Subject id (letters, digits, ``.``, ``_``, ``+``, ``-``).
    seed : int
        Order of the blocks (:class:`CalibrationPlan`).
    lead_in_s : float
        "Get ready" time before the first block (stream seconds).
    align_s : float or None
        Start the first block on a multiple of this many stream seconds (to follow a
        simulated subject's looping script, see docs/models.md); ``None``: no alignment.
    full_screen : bool
        Show the block prompts full screen.
    """

    states: tuple[str, ...]
    per_state_s: float = 120.0
    block_s: float = 30.0
    rest_s: float = 5.0
    subject: str = ""
    seed: int = 0
    lead_in_s: float = 5.0
    align_s: float | None = None
    full_screen: bool = True

    def plan(self) -> CalibrationPlan:
        """The blocks (raises :class:`ConfigError` on bad values)."""
        return CalibrationPlan(
            tuple(self.states), self.per_state_s, self.block_s, self.rest_s, self.seed
        )

    def problems(self) -> list[str]:
        """Why this setup cannot start (empty: it can)."""
        out: list[str] = []
        if len(self.states) < 2:
            out.append("Choose at least two states.")
        if not SUBJECT_PATTERN.match(self.subject):
            out.append(
                "Enter a subject id: letters, digits, '.', '_', '+' or '-' (it names the model)."
            )
        if self.block_s <= 0 or self.per_state_s < 2 * self.block_s:
            out.append(
                "Each state needs at least two blocks (cross-validation holds whole blocks "
                "out): raise the minutes per state or shorten the blocks."
            )
        return out


@dataclass(frozen=True)
class Segment:
    """One stretch of the calibration: a labelled block or the rest after one.

    Attributes
    ----------
    kind : str
        ``"block"`` or ``"rest"``.
    state : str
        The block's state; for a rest, the state of the next block.
    block : int
        Number of the block (0-based); for a rest, of the block before it.
    start_s, end_s : float
        Stream clock (s) at its start and end.
    """

    kind: str
    state: str
    block: int
    start_s: float
    end_s: float


def first_block_start(now_s: float, lead_in_s: float, align_s: float | None = None) -> float:
    """Stream time of the first block: ``lead_in_s`` from now, or, with ``align_s``, the
    first multiple of ``align_s`` at least ``lead_in_s`` away.

    ``align_s`` lets the blocks follow a looping script that started with the stream (a
    simulated subject streaming ``CalibrationPlan.script()`` with no rests: ``align_s`` is
    the script's length).
    """
    if not (lead_in_s >= 0 and math.isfinite(lead_in_s)):
        raise ConfigError(f"Invalid value for the 'lead_in_s' parameter: {lead_in_s!r}.")
    start = now_s + lead_in_s
    if align_s is None:
        return start
    if not (align_s > 0 and math.isfinite(align_s)):
        raise ConfigError(
            f"Invalid value for the 'align_s' parameter: a number of seconds > 0 or None, "
            f"but got {align_s!r}."
        )
    return math.ceil(start / align_s - 1e-9) * align_s


class Timeline:
    """The segments of ``plan`` when its first block starts at ``start_s``.

    Parameters
    ----------
    plan : CalibrationPlan
        The blocks (a rest of ``plan.rest_s`` follows every block but the last).
    start_s : float
        Stream time of the first block.
    """

    def __init__(self, plan: CalibrationPlan, start_s: float) -> None:
        self.plan = plan
        self.start_s = float(start_s)
        segments: list[Segment] = []
        t = self.start_s
        blocks = plan.blocks
        for i, b in enumerate(blocks):
            segments.append(Segment("block", b.state, i, t, t + b.duration_s))
            t += b.duration_s
            if plan.rest_s > 0 and i + 1 < len(blocks):
                segments.append(Segment("rest", blocks[i + 1].state, i, t, t + plan.rest_s))
                t += plan.rest_s
        self.segments: tuple[Segment, ...] = tuple(segments)
        self.end_s = t

    @property
    def n_blocks(self) -> int:
        """Number of labelled blocks."""
        return len(self.plan.blocks)

    def at(self, t: float) -> Segment | None:
        """The segment running at stream time ``t`` (``None`` before the start and after
        the end)."""
        for seg in self.segments:
            if seg.start_s <= t < seg.end_s:
                return seg
        return None

    def progress(self, t: float) -> float:
        """Share of the calibration done at ``t`` (0 to 1)."""
        total = self.end_s - self.start_s
        return min(1.0, max(0.0, (t - self.start_s) / total)) if total > 0 else 1.0

    def boundaries(self, after: float, upto: float) -> list[tuple[float, str, Segment]]:
        """Block starts and ends in ``(after, upto]``, in order, as ``(t, "start"|"end",
        block segment)``; a start at exactly ``start_s`` counts when ``after < start_s``."""
        out: list[tuple[float, str, Segment]] = []
        for seg in self.segments:
            if seg.kind != "block":
                continue
            if after < seg.start_s <= upto:
                out.append((seg.start_s, "start", seg))
            if after < seg.end_s <= upto:
                out.append((seg.end_s, "end", seg))
        out.sort(key=lambda x: (x[0], x[1] == "start"))  # an end before the next start
        return out
