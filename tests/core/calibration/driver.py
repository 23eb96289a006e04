"""Run a calibration headless: a real StreamSession, the simulated subject, the run's cues.

What the window does on its timer, done in a loop: the stream's clock drives
:class:`CalibrationRun`, every cue goes to :meth:`StreamSession.cue`, and each self-report
is what the simulated subject answered (or what ``rate`` returns instead).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bci_desktop.core.calibration import CalibrationProtocol, CalibrationRun, Step
from bci_desktop.core.calibration.record import CALIBRATION_FILE, calibration_file
from bci_desktop.core.calibration.stimuli import find_stimuli
from bci_desktop.core.session import (
    RecordRequest,
    SimulatedSpec,
    StreamSession,
    SubjectAnswered,
)
from bci_desktop.core.sources.participant import SelfReport


def calibrate(
    folder: Path,
    protocol: CalibrationProtocol,
    *,
    spec: SimulatedSpec | None = None,
    subject: str = "S01",
    first_block: int = 0,
    continues: str | None = None,
    stop_after: int | None = None,
    rate: Callable[[int, SelfReport], SelfReport] | None = None,
    order: tuple[str, ...] | None = None,
) -> Path:
    """Record a calibration into a new session folder under ``folder``; its path.

    ``stop_after``: cancel once that many blocks of this session are done (the next one
    has just started). ``rate(block, answer)`` may change what is typed.
    """
    answers: list[SelfReport] = []

    def heard(message) -> None:
        if isinstance(message, SubjectAnswered):
            answers.append(message.report)

    session = StreamSession(spec or SimulatedSpec(speed=None, seed=3), on_message=heard)
    session.start()
    order = order or protocol.block_order()
    text = calibration_file(protocol, order, first_block=first_block, continues=continues)
    status = session.start_recording(
        RecordRequest(subject=subject, folder=str(folder), attachments=((CALIBRATION_FILE, text),))
    )
    fs = session.info.sample_rate
    run = CalibrationRun(protocol, order, find_stimuli(protocol), first_block=first_block,
                         start_s=session.stats.samples / fs)  # fmt: skip
    for cue in run.begin():
        session.cue(cue)
    while not run.finished:
        session.poll()
        now = session.stats.samples / fs
        for cue in run.tick(now):
            session.cue(cue)
        if stop_after is not None and run.done_blocks >= stop_after and run.step is Step.BLOCK:
            for cue in run.cancel():
                session.cue(cue)
            break
        if run.step is Step.RATING and answers:
            answer = answers.pop()
            typed = rate(run.block, answer) if rate is not None else answer
            for cue in run.rate(typed, now):
                session.cue(cue)
    session.stop()
    return Path(status.folder)
