"""Calibrate a personal model: labelled blocks, block-wise cross-validation, ONNX export.

A calibration session is an ordinary recorded session with labelled blocks. The GUI's
calibration flow shows a state's name, inserts a marker and records a
``calibration_start`` event (detail: the state) at each block start and a
``calibration_end`` event at its end. Sessions of the simulated subject need no events:
their Truth row labels every sample.

Training runs each session through :class:`bci_desktop.core.engine.Engine` (the live code
path, not a copy), keeps only windows that lie entirely inside one block, and
cross-validates by block, so neighbouring, overlapping windows never sit on both sides of a
split.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.metadata import ModelMetadata, ModelRecipe
from bci_desktop.core.recording.session import SessionData, read_session
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo
from bci_desktop.core.training import (
    DEFAULT_RECIPE,
    FeatureSet,
    check_model_output,
    evaluate,
    export_onnx,
    fit_classifier,
    merge,
)

logger = logging.getLogger(__name__)

START, END = "calibration_start", "calibration_end"


@dataclass(frozen=True)
class CalibrationBlock:
    """One block of a calibration: a state held for ``duration_s`` seconds."""

    state: str
    duration_s: float


@dataclass(frozen=True)
class CalibrationPlan:
    """The blocks of a calibration, in a balanced, shuffled order.

    Parameters
    ----------
    states : sequence of str
        States to calibrate (at least two).
    per_state_s : float
        Total time per state (the issue's floor: 2 minutes).
    block_s : float
        Length of one block; ``per_state_s / block_s`` blocks per state.
    rest_s : float
        Unlabelled rest between blocks (not used for training).
    seed : int
        Order of the blocks.
    """

    states: tuple[str, ...]
    per_state_s: float = 120.0
    block_s: float = 30.0
    rest_s: float = 5.0
    seed: int = 0
    blocks: tuple[CalibrationBlock, ...] = field(init=False)

    def __post_init__(self) -> None:
        if len(self.states) < 2 or len(set(self.states)) != len(self.states):
            raise ConfigError(
                f"A calibration needs at least two different states, but got {self.states!r}."
            )
        if not (self.block_s > 0 and self.per_state_s >= self.block_s and self.rest_s >= 0):
            raise ConfigError(
                "Invalid calibration timing: need per_state_s >= block_s > 0 and rest_s >= 0, "
                f"got {self.per_state_s}, {self.block_s}, {self.rest_s}."
            )
        n = max(1, round(self.per_state_s / self.block_s))
        order = [s for _ in range(n) for s in self.states]
        rng = random.Random(self.seed)
        rounds = [order[i : i + len(self.states)] for i in range(0, len(order), len(self.states))]
        for r in rounds:
            rng.shuffle(r)
        blocks = tuple(CalibrationBlock(s, self.block_s) for r in rounds for s in r)
        object.__setattr__(self, "blocks", blocks)

    @property
    def duration_s(self) -> float:
        """Total duration including rests."""
        return len(self.blocks) * (self.block_s + self.rest_s)

    def script(self) -> str:
        """The plan as a simulated-subject script (rests as 'calm' are not labelled)."""
        return ",".join(f"{b.state}:{b.duration_s:g}" for b in self.blocks)


def session_labels(data: SessionData, classes: Sequence[str]) -> np.ndarray:
    """Per-sample class index (``-1`` outside labelled blocks) of a recorded session."""
    return session_blocks(data, classes)[0]


def session_blocks(data: SessionData, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample class index (``-1`` outside blocks) and block number of a session.

    With calibration events every ``calibration_start`` opens a new block, so two blocks of
    the same state in a row stay two blocks; with a Truth row a block is a run of one state.
    """
    n = data.n_samples
    labels = np.full(n, -1, dtype=np.int16)
    blocks = np.full(n, -1, dtype=np.int64)
    starts = [e for e in data.events if e.get("kind") == START]
    if starts:
        open_block: tuple[int, int] | None = None
        number = 0
        for event in data.events:
            kind, sample = event.get("kind"), int(event.get("sample", 0))
            if kind == START:
                state = str(event.get("detail", ""))
                if state not in classes:
                    raise ConfigError(
                        f"Session {data.path.name} labels a block {state!r}, which is not one "
                        f"of the classes {', '.join(classes)}."
                    )
                open_block = (sample, classes.index(state))
            elif kind == END and open_block is not None:
                labels[open_block[0] : min(sample, n)] = open_block[1]
                blocks[open_block[0] : min(sample, n)] = number
                number += 1
                open_block = None
        return labels, blocks
    meta = data.meta
    if meta.truth_row is None:
        raise ConfigError(
            f"Session {data.path.name} has no calibration blocks and no true state: record it "
            "with the calibration flow (GUI) or from the simulated subject."
        )
    truth = np.asarray(data.samples[meta.truth_row], dtype=np.int64)
    for code, state in enumerate(meta.states):
        if state in classes:
            labels[truth == code] = classes.index(state)
    blocks = np.concatenate([[0], np.cumsum(np.diff(labels) != 0)]) if n else blocks
    return labels, blocks


def session_features(
    folder: str | Path, recipe: ModelRecipe, classes: Sequence[str], *, group: int = 0
) -> FeatureSet:
    """Features of every window lying inside one labelled block of a session."""
    data = read_session(folder, mmap=False)
    labels, block_id = session_blocks(data, classes)
    meta = data.meta
    info = StreamInfo(
        source_name=meta.source_name,
        board_id=meta.board_id,
        sample_rate=meta.sample_rate,
        eeg=tuple(meta.rows[i] for i in meta.eeg_rows) or (ChannelInfo("?"),),
        states=tuple(classes),
    )
    engine = Engine(info, recipe=recipe, config=EngineConfig(), collect_features=True)
    eeg, ts = data.eeg, data.timestamps
    rows, names, times, groups = [], [], [], []
    step = max(1, round(0.5 * meta.sample_rate))
    window = round(recipe.window_s * meta.sample_rate)
    for a in range(0, data.n_samples, step):
        sl = slice(a, a + step)
        update = engine.process(Chunk(eeg[:, sl], ts[sl], np.zeros(ts[sl].size), labels[sl]))
        for fw in update.features:
            last = engine.hop_end(fw.index) - 1  # the window's last sample in the session
            first = last - window + 1
            if fw.withheld is not None or fw.truth is None or first < 0:
                continue
            if block_id[last] < 0 or block_id[first] != block_id[last]:
                continue  # the window straddles a block boundary or a rest
            rows.append(fw.features)
            names.append(fw.truth)
            times.append(fw.t)
            groups.append(group * 100_000 + int(block_id[last]))
    if not rows:
        raise ConfigError(f"Session {data.path.name} holds no complete labelled window.")
    assert engine.feature_extractor is not None
    return FeatureSet(
        np.vstack(rows),
        tuple(names),
        np.asarray(times),
        np.asarray(groups),
        engine.feature_extractor.feature_names,
    )


@dataclass(frozen=True)
class TrainReport:
    """What ``train_personal_model`` measured and wrote."""

    path: Path
    metadata: ModelMetadata
    cv_accuracy: float
    confusion_matrix: list[list[int]]
    n_windows: int
    n_blocks: int
    folds: int

    def summary(self) -> str:
        """Lines a user can read."""
        classes = self.metadata.classes
        lines = [
            f"Trained {self.metadata.label} on {self.n_windows} windows from {self.n_blocks} "
            f"blocks; block-wise {self.folds}-fold cross-validated accuracy "
            f"{100 * self.cv_accuracy:.1f}%",
            "confusion matrix (rows: truth, columns: prediction)",
            f"{'':<12}" + "".join(f"{c:>11}" for c in classes),
        ]
        for c, row in zip(classes, self.confusion_matrix, strict=True):
            lines.append(f"{c:<12}" + "".join(f"{v:>11}" for v in row))
        lines.append(f"wrote {self.path}")
        return "\n".join(lines)


def train_personal_model(
    sessions: Sequence[str | Path],
    out: str | Path,
    *,
    name: str = "personal",
    version: str = "1",
    classes: Sequence[str] | None = None,
    recipe: ModelRecipe = DEFAULT_RECIPE,
    folds: int = 4,
    overwrite: bool = False,
) -> TrainReport:
    """Train, cross-validate by block, export and validate a personal model."""
    if not sessions:
        raise ConfigError("Name at least one calibration session to train on.")
    check_model_output(out, overwrite=overwrite)  # before minutes of training, not after
    if classes is None:
        classes = _classes_of(sessions)
    classes = tuple(classes)
    data = merge(session_features(s, recipe, classes, group=i) for i, s in enumerate(sessions))
    present = sorted(set(data.labels))
    if len(present) < 2:
        raise ConfigError(f"The sessions label only {present}: calibrate at least two states.")
    classes = tuple(c for c in classes if c in present)
    n_blocks = len(np.unique(data.groups))
    labels_arr = np.asarray(data.labels)
    few = [c for c in classes if len(np.unique(data.groups[labels_arr == c])) < 2]
    if few:
        raise ConfigError(
            f"Cross-validation by block needs at least two blocks of every state; "
            f"{', '.join(few)} {'has' if len(few) == 1 else 'have'} fewer. Calibrate longer."
        )
    per_class = min(len(np.unique(data.groups[labels_arr == c])) for c in classes)
    folds = max(2, min(folds, per_class))
    cm = np.zeros((len(classes), len(classes)), dtype=int)
    for test_groups in _group_folds(data.groups, labels_arr, folds):
        test = np.isin(data.groups, test_groups)
        train_set = _subset(data, ~test)
        if len(set(train_set.labels)) < len(classes):
            continue  # a fold that removed every block of a class cannot be scored fairly
        clf = fit_classifier(train_set, classes)
        scored = evaluate(clf, _subset(data, test), classes)
        cm += np.asarray(scored["confusion_matrix"])
    cv_accuracy = float(np.trace(cm) / max(cm.sum(), 1))
    clf = fit_classifier(data, classes)
    metadata = export_onnx(
        clf,
        out,
        name=name,
        version=version,
        classes=classes,
        recipe=recipe,
        train=data,
        description=f"Personal model calibrated on {len(sessions)} session(s).",
        provenance={
            "trained_on": [str(Path(s).name) for s in sessions],
            "validated_on_humans": False,
            "cross_validation": "by calibration block",
        },
        metrics={
            "cv_accuracy": cv_accuracy,
            "cv_confusion_matrix": cm.tolist(),
            "folds": folds,
            "n_windows": len(data.labels),
        },
        overwrite=overwrite,
    )
    from bci_desktop.core.inference.validation import validate_model_file

    report = validate_model_file(out)
    if not report.ok:
        raise ConfigError("The trained model failed validation: " + "; ".join(report.reasons))
    return TrainReport(Path(out), metadata, cv_accuracy, cm.tolist(), len(data.labels),
                       n_blocks, folds)  # fmt: skip


def _classes_of(sessions: Sequence[str | Path]) -> tuple[str, ...]:
    from bci_desktop.core.recording.session import read_meta

    states: list[str] = []
    for s in sessions:
        data = read_session(s)
        for e in data.events:
            if e.get("kind") == START and str(e.get("detail")) not in states:
                states.append(str(e.get("detail")))
        if not states:
            states += [x for x in read_meta(s).states if x not in states]
    if not states:
        raise ConfigError("The sessions name no states: pass --classes.")
    return tuple(states)


def _group_folds(groups: np.ndarray, labels: np.ndarray, folds: int) -> list[np.ndarray]:
    """Blocks dealt into folds class by class, so every fold tests every class."""
    rng = np.random.default_rng(0)
    out: list[list[int]] = [[] for _ in range(folds)]
    for c in np.unique(labels):
        blocks = rng.permutation(np.unique(groups[labels == c]))
        for i, block in enumerate(blocks):
            out[i % folds].append(int(block))
    return [np.asarray(f) for f in out]


def _subset(data: FeatureSet, mask: np.ndarray) -> FeatureSet:
    idx = np.flatnonzero(mask)
    return FeatureSet(
        data.X[idx],
        tuple(data.labels[i] for i in idx),
        data.t[idx],
        data.groups[idx],
        data.feature_names,
    )


__all__ = [
    "CalibrationBlock",
    "CalibrationPlan",
    "TrainReport",
    "session_features",
    "session_labels",
    "train_personal_model",
]
