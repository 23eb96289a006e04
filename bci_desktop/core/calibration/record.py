"""A calibration as recorded: its protocol file and its events, read back into blocks.

A calibration session is an ordinary session folder with one more file,
``calibration.json`` (written when the recording starts)::

    {"format": "bci-desktop-calibration/1",
     "protocol": {... the protocol, with its seed ...},
     "order": ["happy", "calm", ...],     every block's state, in order
     "first_block": 0,                    the block this session starts with (resumed: > 0)
     "continues": null,                   the session it resumes, by folder name
     "base_dir": "/where/the/protocol/was"}

and these events (``events.jsonl``, with the sample they happened on):

============================ ==================================================
``calibration_begin``        the calibration (or its resumption) begins
``calibration_start``        a block starts (detail: its state); marker 100 + n
``calibration_stimulus``     a stimulus is shown (detail: the file)
``calibration_end``          the block ends (detail: its state); marker 200 + n
``self_report``              the rating (detail: JSON block, state, valence, arousal)
``calibration_done``         every block is done
``calibration_cancelled``    stopped before the end (the block running is not used)
============================ ==================================================

(``n``: the state's number in the protocol, from 1.) The k-th ``calibration_start`` of a
session is block ``first_block + k`` of the protocol's order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bci_desktop.core import jsonsafe
from bci_desktop.core.calibration.protocol import (
    RECORDED_FORMAT,
    CalibrationProtocol,
    ProtocolError,
)
from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.recording.session import SessionData, read_meta, read_session
from bci_desktop.core.regular_files import read_regular
from bci_desktop.core.sources.participant import SelfReport

__all__ = [
    "BEGIN",
    "CALIBRATION_FILE",
    "CANCELLED",
    "DONE",
    "END",
    "FORMAT",
    "REPORT",
    "START",
    "STIMULUS",
    "CalibrationRecord",
    "RecordedBlock",
    "calibration_chain",
    "calibration_file",
    "is_calibration",
    "read_calibration",
    "resumable",
    "subject_calibrations",
]

logger = logging.getLogger(__name__)

FORMAT = RECORDED_FORMAT
CALIBRATION_FILE = "calibration.json"
BEGIN, START, END = "calibration_begin", "calibration_start", "calibration_end"
STIMULUS = "calibration_stimulus"
REPORT, DONE, CANCELLED = "self_report", "calibration_done", "calibration_cancelled"


def calibration_file(
    protocol: CalibrationProtocol,
    order: tuple[str, ...],
    *,
    first_block: int = 0,
    continues: str | None = None,
) -> str:
    """The text of ``calibration.json`` for a session starting at ``first_block``."""
    return (
        jsonsafe.dumps_strict(
            {
                "format": FORMAT,
                "protocol": protocol.to_dict(),
                "order": list(order),
                "first_block": int(first_block),
                "continues": continues,
                "base_dir": None if protocol.base_dir is None else str(protocol.base_dir),
            },
            indent=2,
        )
        + "\n"
    )


@dataclass(frozen=True)
class RecordedBlock:
    """One block of a recorded calibration.

    Attributes
    ----------
    session : Path
        Its session folder.
    index : int
        Its number in the protocol's order (0-based).
    state : str
        The state it was meant to induce.
    start, end : int
        First sample and the sample after its last (``end`` is ``start`` if it never
        ended).
    report : SelfReport or None
        The self-report given after it.
    complete : bool
        It ran to its end (and was rated, when the protocol asks for ratings).
    """

    session: Path
    index: int
    state: str
    start: int
    end: int
    report: SelfReport | None
    complete: bool

    @property
    def key(self) -> str:
        """``"<session folder name>#<block number from 1>"``: how a block is named."""
        return f"{self.session.name}#{self.index + 1}"


@dataclass(frozen=True)
class CalibrationRecord:
    """A recorded calibration session, read back.

    Attributes
    ----------
    folder : Path
    protocol : CalibrationProtocol
    order : tuple of str
        Every block's state (the whole calibration, not only this session's).
    first_block : int
    blocks : tuple of RecordedBlock
        The blocks this session holds, in order.
    finished, cancelled : bool
        It reached its end / was stopped before.
    continues : str or None
        The session it resumes.
    subject, started : str
        From ``session.json``.
    """

    folder: Path
    protocol: CalibrationProtocol
    order: tuple[str, ...]
    first_block: int
    blocks: tuple[RecordedBlock, ...]
    finished: bool
    cancelled: bool
    continues: str | None
    subject: str
    started: str

    @property
    def next_block(self) -> int:
        """The first block a resumed calibration would run (all done: ``len(order)``)."""
        done = [b.index for b in self.blocks if b.complete]
        last = self.first_block - 1
        for i in range(self.first_block, len(self.order)):  # blocks run in order
            if i in done:
                last = i
            else:
                break
        return last + 1

    @property
    def interrupted(self) -> bool:
        """True when blocks remain to be done."""
        return not self.finished and self.next_block < len(self.order)


def _read_file(folder: Path) -> dict[str, Any]:
    path = folder / CALIBRATION_FILE
    try:
        raw = jsonsafe.loads(read_regular(path, max_bytes=4 << 20).decode("utf-8"), finite=True)
    except FileNotFoundError:
        raise ConfigError(
            f"{folder.name} is not a calibration session (no {CALIBRATION_FILE})."
        ) from None
    except (OSError, UnicodeDecodeError, jsonsafe.JSONInputError, ValueError) as exc:
        raise ConfigError(f"Cannot read {path}: {exc}.") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ConfigError(f"{path} is not a calibration file of this app ({FORMAT}).")
    return raw


def is_calibration(folder: str | Path) -> bool:
    """True when the session folder holds a calibration file."""
    return (Path(folder) / CALIBRATION_FILE).is_file()


def read_calibration(folder: str | Path, data: SessionData | None = None) -> CalibrationRecord:
    """Read a calibration session.

    Raises
    ------
    ConfigError
        If the folder is not a calibration session or its files are damaged.
    """
    folder = Path(folder)
    raw = _read_file(folder)
    base = raw.get("base_dir")
    try:
        protocol = CalibrationProtocol.from_dict(
            raw.get("protocol"),
            base_dir=Path(base) if isinstance(base, str) else None,
            where=str(folder / CALIBRATION_FILE),
        )
    except ProtocolError as exc:
        raise ConfigError(str(exc)) from exc
    order = raw.get("order")
    first = raw.get("first_block", 0)
    if (
        not isinstance(order, list)
        or not all(isinstance(s, str) and s in protocol.state_names for s in order)
        or not isinstance(first, int)
        or isinstance(first, bool)
        or not 0 <= first <= len(order)
    ):
        raise ConfigError(f"{folder / CALIBRATION_FILE} holds an invalid block order.")
    if data is None:
        data = read_session(folder)
    meta = data.meta
    blocks, finished, cancelled = _blocks(folder, data.events, tuple(order), first, protocol)
    continues = raw.get("continues")
    return CalibrationRecord(
        folder=folder,
        protocol=protocol,
        order=tuple(order),
        first_block=first,
        blocks=blocks,
        finished=finished,
        cancelled=cancelled,
        continues=continues if isinstance(continues, str) else None,
        subject=meta.subject,
        started=meta.started,
    )


def _report(detail: str) -> tuple[int | None, SelfReport | None]:
    """The block and ratings of a ``self_report`` event (``None``s when it is damaged)."""
    try:
        raw = jsonsafe.loads(detail, finite=True)
        block, valence, arousal = raw["block"], raw["valence"], raw["arousal"]
        if not all(
            isinstance(v, int) and not isinstance(v, bool) for v in (block, valence, arousal)
        ):
            return None, None
        return block, SelfReport(valence, arousal)
    except (jsonsafe.JSONInputError, ValueError, TypeError, KeyError, ConfigError):
        return None, None


def _sample(event: dict[str, Any]) -> int | None:
    value = event.get("sample")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _blocks(
    folder: Path,
    events: tuple[dict[str, Any], ...],
    order: tuple[str, ...],
    first: int,
    protocol: CalibrationProtocol,
) -> tuple[tuple[RecordedBlock, ...], bool, bool]:
    starts: dict[int, tuple[str, int]] = {}
    ends: dict[int, int] = {}
    reports: dict[int, SelfReport] = {}
    finished = cancelled = False
    k = first - 1
    for e in events:
        kind, sample = e.get("kind"), _sample(e)
        if sample is None:
            continue  # a damaged line: the block it belonged to stays incomplete
        if kind == START and k + 1 < len(order):
            k += 1
            starts[k] = (str(e.get("detail", "")), sample)
        elif kind == END and k in starts and k not in ends:
            ends[k] = sample
        elif kind == REPORT:
            block, report = _report(str(e.get("detail", "")))
            if block is not None and report is not None:
                reports[block] = report
        elif kind == DONE:
            finished = True
        elif kind == CANCELLED:
            cancelled = True
    out = []
    for i, (state, start) in sorted(starts.items()):
        if state != order[i]:
            raise ConfigError(
                f"{folder.name}: block {i + 1} was recorded as {state!r}, but the protocol's "
                f"order has {order[i]!r} there."
            )
        end = ends.get(i)
        report = reports.get(i)
        complete = end is not None and (report is not None or not protocol.self_report)
        out.append(RecordedBlock(folder, i, state, start, end or start, report, complete))
    return tuple(out), finished, cancelled


def subject_calibrations(sessions_dir: Path, subject: str) -> list[CalibrationRecord]:
    """The calibration sessions of ``subject`` in ``sessions_dir``, oldest first
    (unreadable ones are skipped)."""
    out = []
    if not sessions_dir.is_dir():
        return out
    for folder in sorted(p for p in sessions_dir.iterdir() if p.is_dir()):
        if not is_calibration(folder):
            continue
        try:
            if read_meta(folder).subject != subject:
                continue
            out.append(read_calibration(folder))
        except (BCIError, OSError) as exc:
            logger.info("Skipped %s: %s", folder.name, exc)
    return out


def resumable(sessions_dir: Path, subject: str) -> CalibrationRecord | None:
    """The newest calibration of ``subject`` that stopped before its end and that no later
    session continues (``None``: nothing to resume)."""
    records = subject_calibrations(sessions_dir, subject)
    continued = {r.continues for r in records if r.continues}
    open_ = [r for r in records if r.interrupted and r.folder.name not in continued]
    return open_[-1] if open_ else None


def calibration_chain(sessions_dir: Path, record: CalibrationRecord) -> list[Path]:
    """The sessions of the calibration ``record`` belongs to, oldest first (a resumed
    calibration: the ones it continues, then itself)."""
    by_name = {r.folder.name: r for r in subject_calibrations(sessions_dir, record.subject)}
    chain, r = [record.folder], record
    while r.continues and r.continues in by_name and len(chain) < 1000:
        r = by_name[r.continues]
        chain.insert(0, r.folder)
    return chain
