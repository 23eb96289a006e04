"""The steps of a calibration on the stream's clock (plain Python: the window drives it).

For each block of the protocol's order, from ``first_block`` on::

    instructions (prepare_s) -> block (block_s) -> self-report (until rated) -> rest (rest_s)

and after the last block's self-report, done. :class:`CalibrationRun` is told the stream
time (:meth:`~CalibrationRun.tick`), the ratings (:meth:`~CalibrationRun.rate`) and the end
of a clip (:meth:`~CalibrationRun.clip_ended`); it answers with the :class:`Cue` objects to
send to the session (each records its event and marker on the sample it lands on, and the
simulated subject follows it), and says what to show (:meth:`~CalibrationRun.view`).

The clock is the stream's (samples received / sample rate), not the wall clock: the steps
stay in step with the recorded data at any speed, and a stalled stream pauses them. During
a block the state's stimuli follow each other: each image for ``image_s`` seconds, each
clip until it ends; a state's next block goes on where its previous block stopped.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass

from bci_desktop.core.calibration.protocol import CalibrationProtocol, StateInduction
from bci_desktop.core.calibration.record import (
    BEGIN,
    CANCELLED,
    DONE,
    END,
    REPORT,
    START,
    STIMULUS,
)
from bci_desktop.core.calibration.stimuli import Stimulus, StimulusKind
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.sources.participant import Cue, SelfReport

__all__ = ["END_MARKER", "START_MARKER", "CalibrationRun", "Step", "View"]

#: Marker at a block's start / end: this plus the state's number in the protocol (from 1).
START_MARKER, END_MARKER = 100, 200


class Step(enum.Enum):
    """What the person is doing."""

    PREPARE = "instructions"
    BLOCK = "block"
    RATING = "self-report"
    REST = "rest"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class View:
    """What to show now.

    Attributes
    ----------
    step : Step
    block : int
        The block's number in the protocol's order (0-based).
    n_blocks : int
        Blocks in the whole calibration.
    state : StateInduction
        The block's state (for a rest: the state of the block that follows it).
    remaining_s : float or None
        Stream seconds left in this step (``None`` while waiting for a rating).
    stimulus : Stimulus or None
        What a block shows now (``None``: the instructions).
    next_state : str or None
        The state of the block after the current one (for a rest: the one it leads to;
        ``None`` after the last).
    progress : float
        Share of the calibration's blocks done (0 to 1).
    shown : int
        How many stimuli have been shown so far (a new number: a new presentation, even
        of the same file).
    """

    step: Step
    block: int
    n_blocks: int
    state: StateInduction
    remaining_s: float | None
    stimulus: Stimulus | None
    next_state: str | None
    progress: float
    shown: int = 0


class CalibrationRun:
    """The calibration's steps from ``first_block`` on (see the module docstring).

    Parameters
    ----------
    protocol : CalibrationProtocol
        What to show (its seed set).
    order : tuple of str
        Every block's state (``protocol.block_order()`` when it started).
    stimuli : mapping of str to tuple of Stimulus
        Each state's checked stimulus files (:func:`~bci_desktop.core.calibration.stimuli.
        find_stimuli`).
    first_block : int
        Where to start (a resumed calibration: the first block not done).
    start_s : float
        Stream time now.
    """

    def __init__(
        self,
        protocol: CalibrationProtocol,
        order: tuple[str, ...],
        stimuli: Mapping[str, tuple[Stimulus, ...]],
        *,
        first_block: int = 0,
        start_s: float = 0.0,
    ) -> None:
        if not 0 <= first_block < len(order):
            raise ConfigError(f"Nothing to run: block {first_block + 1} of {len(order)}.")
        self.protocol = protocol
        self.order = tuple(order)
        self.stimuli = {k: tuple(v) for k, v in stimuli.items()}
        self.first_block = first_block
        self._cursor = dict.fromkeys(protocol.state_names, 0)
        self._block = first_block
        self._step = Step.PREPARE
        self._started = start_s
        self._ends: float | None = start_s + protocol.prepare_s
        self._stimulus: Stimulus | None = None
        self._stimulus_until: float | None = None
        self._shown = 0
        self.done_blocks = 0

    # -- reading -----------------------------------------------------------------------------
    @property
    def step(self) -> Step:
        """The step running now."""
        return self._step

    @property
    def block(self) -> int:
        """The current block's number in the order (0-based)."""
        return self._block

    @property
    def finished(self) -> bool:
        """Done or cancelled."""
        return self._step in (Step.DONE, Step.CANCELLED)

    def _number(self, state: str) -> int:
        return self.protocol.state_names.index(state) + 1

    def view(self, now: float) -> View:
        """What to show at stream time ``now``."""
        i = min(self._block, len(self.order) - 1)
        nxt = self.order[i + 1] if i + 1 < len(self.order) else None
        shown = nxt if self._step is Step.REST and nxt is not None else self.order[i]
        done = self.done_blocks + self.first_block
        return View(
            step=self._step,
            block=i,
            n_blocks=len(self.order),
            state=self.protocol.state(shown),
            remaining_s=None if self._ends is None else max(0.0, self._ends - now),
            stimulus=self._stimulus if self._step is Step.BLOCK else None,
            next_state=nxt,
            progress=done / len(self.order),
            shown=self._shown,
        )

    # -- driving -----------------------------------------------------------------------------
    def begin(self) -> list[Cue]:
        """The cue that the calibration begins: from here the person is led by the steps
        (no state is induced until the first block)."""
        detail = f"blocks {self.first_block + 1}-{len(self.order)} of {len(self.order)}"
        return [Cue(BEGIN, detail, changes_state=True)]

    def tick(self, now: float) -> list[Cue]:
        """Advance to stream time ``now``; the cues of the steps that began or ended."""
        cues: list[Cue] = []
        for _ in range(4 * len(self.order) + 8):  # every boundary passed since the last tick
            if self.finished or self._ends is None:
                break
            until = self._stimulus_until
            if self._step is Step.BLOCK and until is not None and now >= until < self._ends:
                cues += self._next_stimulus(until)
                continue
            if now < self._ends:
                break
            cues += self._advance(self._ends)
        return cues

    def rate(self, report: SelfReport, now: float) -> list[Cue]:
        """The person rated the block that just ended."""
        if self._step is not Step.RATING:
            raise ConfigError("No block is waiting for a self-report.")
        state = self.order[self._block]
        detail = json.dumps(
            {
                "block": self._block,
                "state": state,
                "valence": report.valence,
                "arousal": report.arousal,
            }
        )
        cues = [Cue(REPORT, detail)]
        return cues + self._after_block(now)

    def clip_ended(self, now: float) -> list[Cue]:
        """The audio or video clip of the block ended: show the next stimulus."""
        if (
            self._step is Step.BLOCK
            and self._stimulus is not None
            and self._stimulus_until is None
        ):
            return self._next_stimulus(now)
        return []

    def cancel(self) -> list[Cue]:
        """Stop here; the block running (if any) will not be used."""
        if self.finished:
            return []
        block = self._block
        self._step, self._ends = Step.CANCELLED, None
        detail = f"before block {block + 1} of {len(self.order)}"
        return [Cue(CANCELLED, detail, protocol_over=True)]

    # -- steps -------------------------------------------------------------------------------
    def _advance(self, t: float) -> list[Cue]:
        """The current step ended at stream time ``t``: begin the next."""
        p = self.protocol
        state = self.order[self._block]
        if self._step is Step.PREPARE:
            self._step, self._ends = Step.BLOCK, t + p.block_s
            cue = Cue(
                START,
                state,
                marker=START_MARKER + self._number(state),
                induce=state,
                changes_state=True,
            )
            return [cue, *self._next_stimulus(t)]
        if self._step is Step.BLOCK:
            self._stimulus = self._stimulus_until = None
            end = Cue(
                END,
                state,
                marker=END_MARKER + self._number(state),
                changes_state=True,
                asks_report=p.self_report,
            )
            if p.self_report:
                self._step, self._ends = Step.RATING, None
                return [end]
            return [end, *self._after_block(t)]
        if self._step is Step.REST:
            self._block += 1
            self._step, self._ends = Step.PREPARE, t + p.prepare_s
            return []
        return []

    def _after_block(self, t: float) -> list[Cue]:
        self.done_blocks += 1
        if self._block + 1 >= len(self.order):
            self._step, self._ends = Step.DONE, None
            return [Cue(DONE, f"{len(self.order)} blocks", protocol_over=True)]
        self._step, self._ends = Step.REST, t + self.protocol.rest_s
        return []

    def _next_stimulus(self, t: float) -> list[Cue]:
        state = self.order[self._block]
        items = self.stimuli.get(state, ())
        if not items:
            self._stimulus = self._stimulus_until = None
            return []
        k = self._cursor[state]
        self._cursor[state] = k + 1
        stim = items[k % len(items)]
        self._stimulus = stim
        self._shown += 1
        self._stimulus_until = (
            t + self.protocol.image_s if stim.kind is StimulusKind.IMAGE else None
        )
        return [Cue(STIMULUS, stim.name)]
