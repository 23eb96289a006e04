"""The labelled windows of calibration sessions, computed by the live pipeline itself.

Each session runs through :class:`~bci_desktop.core.engine.Engine` (the live code path,
not a copy). Only windows lying entirely inside one labelled block are kept; each window
carries its block as its group, so cross-validation keeps a block's windows together.

Sessions recorded before calibration files existed still train: their
``calibration_start`` / ``calibration_end`` events label the blocks, and a simulated
subject's session without events is labelled by its Truth row (a block is a run of one
state).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bci_desktop.core.calibration.record import END, START
from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.inference.metadata import ModelRecipe
from bci_desktop.core.recording.session import SessionData
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo
from bci_desktop.core.training import FeatureSet

__all__ = ["Segment", "legacy_segments", "session_labels", "session_windows"]


@dataclass(frozen=True)
class Segment:
    """A labelled stretch of a session: samples ``start`` to ``end`` (excluded) are
    ``label``; ``group`` numbers the block across all sessions of a training."""

    start: int
    end: int
    label: str
    group: int


def legacy_segments(data: SessionData, classes: Sequence[str]) -> list[Segment]:
    """The blocks of a session without a calibration file (events, else the Truth row).

    Raises
    ------
    ConfigError
        If a block's state is not among ``classes``, or the session has neither.
    """
    out: list[Segment] = []
    if any(e.get("kind") == START for e in data.events):
        open_block: tuple[int, str] | None = None
        for event in data.events:
            kind, sample = event.get("kind"), event.get("sample")
            if not isinstance(sample, int) or isinstance(sample, bool) or sample < 0:
                continue  # a damaged line
            if kind == START:
                state = str(event.get("detail", ""))
                if state not in classes:
                    raise ConfigError(
                        f"Session {data.path.name} labels a block {state!r}, which is not one "
                        f"of the classes {', '.join(classes)}."
                    )
                open_block = (sample, state)
            elif kind == END and open_block is not None:
                out.append(
                    Segment(open_block[0], min(sample, data.n_samples), open_block[1], len(out))
                )
                open_block = None
        return out
    meta = data.meta
    if meta.truth_row is None:
        raise ConfigError(
            f"Session {data.path.name} has no calibration blocks and no true state: record it "
            "with the calibration (Models > Calibrate) or from the simulated subject."
        )
    truth = np.asarray(data.samples[meta.truth_row], dtype=np.int64)
    if truth.size == 0:
        return out
    change = np.flatnonzero(np.diff(truth) != 0) + 1
    bounds = [0, *change.tolist(), truth.size]
    for a, b in itertools.pairwise(bounds):
        code = int(truth[a])
        if 0 <= code < len(meta.states) and meta.states[code] in classes:
            out.append(Segment(a, b, meta.states[code], len(out)))
    return out


def session_labels(data: SessionData, segments: Sequence[Segment], classes: Sequence[str]):
    """Per-sample class index (``-1`` outside) and group (``-1`` outside) of a session."""
    labels = np.full(data.n_samples, -1, dtype=np.int16)
    groups = np.full(data.n_samples, -1, dtype=np.int64)
    for s in segments:
        labels[s.start : s.end] = classes.index(s.label)
        groups[s.start : s.end] = s.group
    return labels, groups


def session_windows(
    data: SessionData, segments: Sequence[Segment], recipe: ModelRecipe, classes: Sequence[str]
) -> FeatureSet:
    """Features of every window of ``data`` that lies inside one segment.

    Raises
    ------
    ConfigError
        If the session lacks a channel of the recipe, or holds no complete labelled window.
    """
    labels, block_id = session_labels(data, segments, classes)
    meta = data.meta
    info = StreamInfo(
        source_name=meta.source_name,
        board_id=meta.board_id,
        sample_rate=meta.sample_rate,
        eeg=tuple(meta.rows[i] for i in meta.eeg_rows) or (ChannelInfo("?"),),
        states=tuple(classes),
    )
    try:
        engine = Engine(info, recipe=recipe, config=EngineConfig(), collect_features=True)
    except BCIError as exc:
        raise ConfigError(f"Session {Path(data.path).name}: {exc}") from exc
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
            groups.append(int(block_id[last]))
    if not rows:
        raise ConfigError(f"Session {Path(data.path).name} holds no complete labelled window.")
    assert engine.feature_extractor is not None
    return FeatureSet(
        np.vstack(rows),
        tuple(names),
        np.asarray(times),
        np.asarray(groups),
        engine.feature_extractor.feature_names,
    )
