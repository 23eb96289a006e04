"""Train a personal model on calibration sessions, judge it honestly, embed its card.

1. Every session's blocks are read (:mod:`~bci_desktop.core.calibration.record`); a block
   is used when it ran to its end (and was rated, when the protocol asks), is not left
   out, and has a label: its protocol state, or the state its self-report says (labels
   *from the ratings*; a rating that fits no state, or several, leaves the block out).
2. The live pipeline computes the windows inside the blocks
   (:mod:`~bci_desktop.core.calibration.windows`), with the features of the shipped model
   made for the montage (:mod:`~bci_desktop.core.calibration.recipe`).
3. :func:`~bci_desktop.core.calibration.verdict.verdict` cross-validates by block and runs
   the permutation test; then the model is fitted on every window, exported to ONNX and
   validated.
4. The model's metadata carries its card: ``provenance["calibration"]`` (pseudonymous
   subject id, date, protocol, label source, sessions, blocks left out) and ``metrics``
   (the verdict's figures, chance level, p-value).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bci_desktop.core.calibration.ratings import Agreement, agreement, rated_state
from bci_desktop.core.calibration.recipe import personal_recipe
from bci_desktop.core.calibration.record import (
    CalibrationRecord,
    RecordedBlock,
    is_calibration,
    read_calibration,
)
from bci_desktop.core.calibration.verdict import DEFAULT_C, MIN_PERMUTATIONS, Verdict, verdict
from bci_desktop.core.calibration.windows import Segment, legacy_segments, session_windows
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.metadata import ModelMetadata, ModelRecipe
from bci_desktop.core.recording.session import SessionData, read_session
from bci_desktop.core.training import check_model_output, export_onnx, fit_classifier, merge

__all__ = [
    "DEFAULT_C",
    "BlockReview",
    "LabelSource",
    "TrainReport",
    "review_blocks",
    "train_personal_model",
]

logger = logging.getLogger(__name__)

_SUBJECT = re.compile(r"[^A-Za-z0-9._+-]")


class LabelSource(enum.Enum):
    """Where a block's label comes from."""

    PROTOCOL = "protocol"
    RATINGS = "ratings"


@dataclass(frozen=True)
class BlockReview:
    """One recorded block with what its self-report says.

    Attributes
    ----------
    block : RecordedBlock
    agreement : Agreement
        Whether the rating agrees with the state the block was meant to induce.
    rated : str or None
        The state the rating says (``None``: none, or several).
    """

    block: RecordedBlock
    agreement: Agreement
    rated: str | None

    def label(self, source: LabelSource) -> str | None:
        """The block's label under ``source`` (``None``: no label, left out)."""
        if not self.block.complete:
            return None
        return self.block.state if source is LabelSource.PROTOCOL else self.rated


def review_blocks(records: Sequence[CalibrationRecord]) -> list[BlockReview]:
    """Every block of the sessions with its self-report's agreement."""
    out = []
    for rec in records:
        states = rec.protocol.states
        for b in rec.blocks:
            report = b.report
            out.append(
                BlockReview(
                    b,
                    agreement(report, rec.protocol.state(b.state)),
                    None if report is None else rated_state(report, states),
                )
            )
    return out


@dataclass(frozen=True)
class TrainReport:
    """What :func:`train_personal_model` measured and wrote.

    Attributes
    ----------
    path : Path
    metadata : ModelMetadata
        With the card (``provenance["calibration"]``) and the figures (``metrics``).
    verdict : Verdict
    label_source : LabelSource
    left_out : tuple of str
        Blocks not used (``"<session>#<n>"``) and why.
    """

    path: Path
    metadata: ModelMetadata
    verdict: Verdict
    label_source: LabelSource
    left_out: tuple[str, ...]

    @property
    def cv_accuracy(self) -> float:
        """Plain cross-validated accuracy."""
        return self.verdict.accuracy

    def summary(self) -> str:
        """Lines a user can read: the same figures the window shows."""
        v = self.verdict
        classes = v.classes
        lines = [
            f"Trained {self.metadata.label} (labels from the {self.label_source.value}) on "
            f"{v.n_windows} windows of {v.n_blocks} blocks",
            *v.lines(),
        ]
        if self.left_out:
            lines.append(f"left out: {'; '.join(self.left_out)}")
        lines.append("confusion matrix (rows: the block's state, columns: predicted)")
        lines.append(f"{'':<12}" + "".join(f"{c:>11}" for c in classes))
        for c, row in zip(classes, v.confusion, strict=True):
            lines.append(f"{c:<12}" + "".join(f"{x:>11}" for x in row))
        lines.append(f"wrote {self.path}")
        return "\n".join(lines)


def _label_segments(
    reviews: Sequence[BlockReview],
    source: LabelSource,
    leave_out: set[str],
    leave_out_contradicting: bool,
    group_base: int,
) -> tuple[list[Segment], list[str]]:
    segments, left = [], []
    for r in reviews:
        b = r.block
        why = None
        if not b.complete:
            why = "did not run to its end" if b.end <= b.start else "was not rated"
        elif b.key in leave_out:
            why = "left out by you"
        elif leave_out_contradicting and r.agreement is Agreement.CONTRADICTS:
            why = "its rating contradicts its state"
        label = r.label(source)
        if why is None and label is None:
            why = "its rating fits no single state"
        if why is not None:
            left.append(f"{b.key} ({b.state}) {why}")
            continue
        segments.append(Segment(b.start, b.end, label, group_base + b.index))
    return segments, left


def _sessions(paths: Sequence[str | Path]) -> list[tuple[SessionData, CalibrationRecord | None]]:
    out = []
    for p in paths:
        data = read_session(p, mmap=False)
        record = read_calibration(p, data) if is_calibration(p) else None
        out.append((data, record))
    return out


def _classes(sessions, given: Sequence[str] | None) -> tuple[str, ...]:
    if given:
        return tuple(given)
    states: list[str] = []
    for data, record in sessions:
        names = record.protocol.state_names if record is not None else data.meta.states
        if record is None:
            names = tuple(
                dict.fromkeys(
                    str(e.get("detail"))
                    for e in data.events
                    if e.get("kind") == "calibration_start"
                )
            ) or tuple(names)
        states += [s for s in names if s not in states]
    if len(states) < 2:
        raise ConfigError("The sessions name fewer than two states: give the classes.")
    return tuple(states)


def train_personal_model(
    sessions: Sequence[str | Path],
    out: str | Path,
    *,
    name: str | None = None,
    version: str | None = None,
    classes: Sequence[str] | None = None,
    label_source: LabelSource = LabelSource.PROTOCOL,
    leave_out: Sequence[str] = (),
    leave_out_contradicting: bool = False,
    subject: str | None = None,
    recipe: ModelRecipe | None = None,
    folds: int = 4,
    permutations: int = MIN_PERMUTATIONS,
    c: float = DEFAULT_C,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> TrainReport:
    """Train, judge, export and validate a personal model (see the module docstring).

    Parameters
    ----------
    sessions : sequence of path
        Calibration session folders (a person's sessions of several days train together).
    out : path
        The model file to write (checked before anything is read).
    name, version : str or None
        Default ``personal-<subject>`` and the date and time.
    classes : sequence of str or None
        The states to tell apart (default: every state of the sessions).
    label_source : LabelSource
        Labels from the protocol (the state each block was meant to induce) or from the
        self-reports.
    leave_out : sequence of str
        Blocks not to use, as ``"<session folder name>#<block number from 1>"``.
    leave_out_contradicting : bool
        Leave out every block whose self-report contradicts its state.
    subject : str or None
        Pseudonymous subject id for the card (default: the sessions').
    permutations : int
        Label permutations of the test against chance (at least 100).
    progress : callable or None
        Called with (permutations done, permutations) while testing.

    Raises
    ------
    BCIError
        ``ConfigError`` when the output cannot be written, a session cannot be used, a
        state has fewer than two usable blocks, or the model fails validation;
        ``SessionError`` for an unreadable session.
    """
    if not sessions:
        raise ConfigError("Name at least one calibration session to train on.")
    out = check_model_output(out, overwrite=overwrite)  # before minutes of work, not after
    loaded = _sessions(sessions)
    if label_source is LabelSource.RATINGS:
        unrated = [d.path.name for d, r in loaded if r is None or not r.protocol.self_report]
        if unrated:
            raise ConfigError(
                f"Labels from the ratings need self-reports, and {', '.join(unrated)} has none: "
                "use the protocol's labels."
            )
    classes = _classes(loaded, classes)
    first = loaded[0][0]
    if recipe is None:
        recipe = personal_recipe(first.meta.eeg_names, first.meta.sample_rate)
    sets, left_out, protocols = [], [], []
    for i, (data, record) in enumerate(loaded):
        base = i * 100_000
        if record is None:
            segments = [
                Segment(s.start, s.end, s.label, base + s.group)
                for s in legacy_segments(data, classes)
            ]
        else:
            protocols.append(record.protocol.to_dict())
            reviews = review_blocks([record])
            segments, left = _label_segments(
                reviews, label_source, set(leave_out), leave_out_contradicting, base
            )
            left_out += left
            segments = [s for s in segments if s.label in classes]
        if segments:
            sets.append(session_windows(data, segments, recipe, classes))
    if not sets:
        raise ConfigError("No usable block in the sessions: nothing to train on.")
    data_set = merge(sets)
    present = [c for c in classes if c in set(data_set.labels)]
    if len(present) < 2:
        raise ConfigError(f"Only {present} has usable blocks: a model needs two states or more.")
    classes = tuple(present)
    y = np.array([classes.index(label) for label in data_set.labels])
    if left_out:
        blocks = {c: len(set(data_set.groups[y == i])) for i, c in enumerate(classes)}
        few = [c for c, n in blocks.items() if n < 2]
        if few:
            raise ConfigError(
                f"After leaving out {len(left_out)} block(s), {', '.join(few)} "
                f"{'has' if len(few) == 1 else 'have'} fewer than two blocks, and "
                "cross-validation by block needs two of every state: keep more blocks, or "
                "add another calibration session."
            )
    judged = verdict(
        data_set.X,
        y,
        data_set.groups,
        classes,
        folds=folds,
        permutations=permutations,
        c=c,
        progress=progress,
    )
    subject = subject or next((d.meta.subject for d, _ in loaded if d.meta.subject), "")
    stamp = dt.datetime.now().astimezone()
    tag = _SUBJECT.sub("-", subject) or "person"
    name = name or f"personal-{tag}"
    version = version or stamp.strftime("%Y%m%d-%H%M%S")
    card = {
        "subject": subject,
        "date": stamp.isoformat(timespec="seconds"),
        "protocol": protocols[0] if protocols else None,
        "protocol_name": protocols[0].get("name", "")
        if protocols
        else "(recorded without a protocol)",
        "label_source": label_source.value,
        "sessions": [d.path.name for d, _ in loaded],
        "left_out": left_out,
        "verdict": judged.sentence(),
    }
    clf = fit_classifier(data_set, classes, c=c)
    metadata = export_onnx(
        clf,
        out,
        name=name,
        version=version,
        classes=classes,
        recipe=recipe,
        train=data_set,
        description=(
            f"Personal model of {subject or 'one person'}, calibrated on "
            f"{len(loaded)} session(s). {judged.sentence()}"
        ),
        provenance={
            "calibration": card,
            "trained_on": card["sessions"],
            "validated_on_humans": False,
            "cross_validation": "by calibration block",
        },
        metrics=judged.to_metrics(),
        overwrite=overwrite,
    )
    from bci_desktop.core.inference.validation import validate_model_file

    report = validate_model_file(out)
    if not report.ok:
        raise ConfigError("The trained model failed validation: " + "; ".join(report.reasons))
    logger.info("Trained %s: %s", metadata.label, judged.figures())
    return TrainReport(out, metadata, judged, label_source, tuple(left_out))


def card_of(metadata: ModelMetadata) -> dict[str, Any]:
    """The calibration card a model embeds (empty for other models)."""
    card = metadata.provenance.get("calibration")
    return card if isinstance(card, dict) else {}
