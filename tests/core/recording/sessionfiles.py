"""Session folders for the export and replay tests, written in the session format by hand.

The samples are real: BrainFlow's synthetic board streamed live, or the simulated subject
read at full speed through the engine with the shipped model (whose predictions are stored
as the recorder stores them: ``Prediction.to_dict()`` plus ``"sample"``, the index of the
window's last sample).
"""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import numpy as np

from bci_desktop.core.engine import Engine
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.recording.session import (
    MARKERS_FILE,
    META_FILE,
    PREDICTIONS_FILE,
    SAMPLES_FILE,
    STATUS_COMPLETE,
    SessionMeta,
    write_json_atomic,
)
from bci_desktop.core.sources.brainflow_source import BrainFlowSource
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.stream import ChannelInfo, StreamInfo

EVENTS_FILE = "events.jsonl"
STARTED = "2025-03-14T09:26:53.589793+01:00"


def write_session(
    folder: Path,
    meta: SessionMeta,
    samples: np.ndarray,
    *,
    markers: list[tuple[float, int, float]] = (),
    predictions: list[dict] = (),
    events: list[dict] = (),
) -> Path:
    """Write a session folder: session.json, samples.f64, markers.csv, predictions, events."""
    folder.mkdir(parents=True, exist_ok=True)
    assert samples.shape[0] == len(meta.rows)
    write_json_atomic(folder / META_FILE, meta.to_dict())
    np.ascontiguousarray(samples.T, dtype="<f8").tofile(folder / SAMPLES_FILE)
    with open(folder / MARKERS_FILE, "w", encoding="utf-8") as fh:
        fh.write("t,sample,value\n")
        for t, i, v in markers:
            fh.write(f"{t!r},{i},{v!r}\n")
    with open(folder / PREDICTIONS_FILE, "w", encoding="utf-8") as fh:
        for p in predictions:
            fh.write(json.dumps(p) + "\n")
    with open(folder / EVENTS_FILE, "w", encoding="utf-8") as fh:
        for e in events:
            fh.write(json.dumps(e) + "\n")
    return folder


def record_synthetic_board(
    folder: Path, seconds: float, marker_times: tuple[float, ...], *, keep: int | None = None
) -> Path:
    """Stream the real BrainFlow synthetic board for ``seconds``, inserting markers 1, 2, ...

    ``keep`` cuts the session to that many samples (to get a length that is not whole
    seconds).
    """
    source = BrainFlowSource("synthetic")
    info = source.info
    fs = info.sample_rate
    chunks = []
    got = 0
    pending = list(marker_times)
    source.start()
    try:
        t0 = time.monotonic()
        while got < seconds * fs and time.monotonic() - t0 < seconds + 10:
            if pending and time.monotonic() - t0 >= pending[0]:
                source.insert_marker(float(len(marker_times) - len(pending) + 1))
                pending.pop(0)
            chunk = source.read()
            if chunk is None:
                time.sleep(0.005)
                continue
            chunks.append(chunk.board_data)
            got += chunk.n_samples
    finally:
        source.stop()
    samples = np.concatenate(chunks, axis=1)
    if keep is not None:
        samples = samples[:, :keep]
    meta = SessionMeta(
        source_name=info.source_name,
        sample_rate=fs,
        rows=info.board_rows,
        eeg_rows=info.eeg_rows,
        timestamp_row=info.timestamp_row,
        marker_row=info.marker_row,
        started=STARTED,
        app_version="0.1.0",
        status=STATUS_COMPLETE,
        subject="S01 pilot",
        board_id=info.board_id,
        layout_board_id=info.board_id,
        description=info.description,
        n_samples=samples.shape[1],
    )
    return write_session(folder, meta, samples)


def simulated_meta(info: StreamInfo, n: int, *, started: str = STARTED) -> SessionMeta:
    """Metadata of a session from a non-BrainFlow source: EEG, Timestamp, Marker, Truth."""
    k = info.n_channels
    rows = (
        *info.eeg,
        ChannelInfo("Timestamp", "timestamp", "s"),
        ChannelInfo("Marker", "marker", ""),
        ChannelInfo("Truth", "truth", ""),
    )
    return SessionMeta(
        source_name=info.source_name,
        sample_rate=info.sample_rate,
        rows=rows,
        eeg_rows=tuple(range(k)),
        timestamp_row=k,
        marker_row=k + 1,
        truth_row=k + 2,
        states=info.states,
        started=started,
        app_version="0.1.0",
        status=STATUS_COMPLETE,
        subject="Jane Doe",
        notes="test session",
        description=dict(info.description),
        n_samples=n,
    )


def record_simulated(
    folder: Path,
    seconds: float,
    *,
    model: EmotionModel | None,
    script: str | None = None,
    seed: int = 3,
    marker_times: tuple[float, ...] = (),
    keep: int | None = None,
) -> Path:
    """Run the simulated subject (speed None) through the engine and write the session.

    Markers 1, 2, ... are inserted at ``marker_times`` (s); they land on the first sample of
    the next chunk and are written both to the marker row and to markers.csv. A gap event
    is written at 40% of the session.
    """
    script = (
        script
        or f"calm:{seconds / 4},happy:{seconds / 4},stressed:{seconds / 4},sad:{seconds / 4}"
    )
    start_time = datetime.datetime.fromisoformat(STARTED).timestamp()
    sim = SimulatedSubject(
        script=script, loop=False, speed=None, seed=seed, chunk_s=0.02, start_time=start_time
    )
    info = sim.info
    fs = info.sample_rate
    engine = Engine(info, model=model) if model is not None else None
    rows, preds, markers = [], [], []
    pending = list(marker_times)
    got = 0
    sim.start()
    while not sim.finished:
        if pending and got / fs >= pending[0]:
            sim.insert_marker(float(len(marker_times) - len(pending) + 1))
            pending.pop(0)
        chunk = sim.read()
        if chunk is None:
            break
        n = chunk.n_samples
        rows.append(
            np.vstack([chunk.eeg, chunk.timestamps, chunk.markers, chunk.truth.astype(float)])
        )
        for j in np.flatnonzero(chunk.markers):
            markers.append((float(chunk.timestamps[j]), got + int(j), float(chunk.markers[j])))
        if engine is not None:
            for p in engine.process(chunk).predictions:
                d = p.to_dict()
                d["sample"] = round((p.t - start_time) * fs)
                preds.append(d)
        got += n
    sim.stop()
    samples = np.concatenate(rows, axis=1)
    if keep is not None:
        samples = samples[:, :keep]
        preds = [p for p in preds if p["sample"] < keep]
        markers = [m for m in markers if m[1] < keep]
    n = samples.shape[1]
    events = [{"t": start_time + 0.4 * n / fs, "sample": int(0.4 * n), "kind": "gap",
               "detail": "0.3 s without samples"}]  # fmt: skip
    return write_session(
        folder,
        simulated_meta(info, n),
        samples,
        markers=markers,
        predictions=preds,
        events=events,
    )
