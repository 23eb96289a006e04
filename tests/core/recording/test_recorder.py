"""SessionRecorder on real sources: BrainFlow's synthetic board, the simulated subject,
a file-size limit and a full disk (a tiny tmpfs), with streaming going on after a failure."""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

import bci_desktop
from bci_desktop.core.engine import Engine
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.model import EmotionModel, sha256_of
from bci_desktop.core.recording import (
    RecordingError,
    RecordingTap,
    SessionError,
    SessionRecorder,
    find_interrupted,
    read_meta,
    read_session,
    recover,
)
from bci_desktop.core.recording.recorder import model_info
from bci_desktop.core.recording.session import LOCK_FILE, META_FILE, SAMPLES_FILE
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.brainflow_source import BrainFlowSource
from bci_desktop.core.sources.simulated import STATES, SimulatedSubject
from bci_desktop.core.stream import Chunk

REPO = Path(__file__).resolve().parents[3]
FS = 250.0


@pytest.fixture(scope="module")
def model() -> EmotionModel:
    return EmotionModel.load(default_model_path())


def _fresh(seed: int, n: int) -> Chunk:
    """The first ``n`` samples of a simulated subject with this seed, read in one go."""
    sim = SimulatedSubject(speed=None, seed=seed, chunk_s=n / FS)
    sim.start()
    chunk = sim.read()
    sim.stop()
    assert chunk is not None and chunk.n_samples == n
    return chunk


def _chunk(n_ch: int, start: int, n: int, t0: float = 1000.0) -> Chunk:
    rng = np.random.default_rng(start)
    ts = t0 + np.arange(start, start + n) / FS
    return Chunk(rng.normal(size=(n_ch, n)), ts, np.zeros(n), np.zeros(n, dtype=np.int16))


# --------------------------------------------------------------------- real sources
def test_brainflow_synthetic_board_every_sample_and_marker(tmp_path):
    source = BrainFlowSource("synthetic")
    info = source.info
    captured: list[Chunk] = []
    recorder = SessionRecorder.create(tmp_path, info, subject="S01", notes="eyes open")

    def on_chunk(chunk: Chunk) -> None:
        captured.append(chunk)
        recorder.append(chunk)

    runner = StreamRunner(source, Engine(info), duration_s=5.0, on_chunk=on_chunk)
    inserted: list[float] = []
    deadline = time.monotonic() + 30.0
    with source:
        while not runner.done and time.monotonic() < deadline:
            runner.step()
            due = (1.0, 2.5, 4.0)
            k = len(inserted)
            if k < len(due) and runner.stats.samples >= due[k] * FS:
                source.insert_marker(float(k + 1))
                inserted.append(float(k + 1))
            time.sleep(0.005)
    recorder.stop()
    assert runner.done

    data = read_session(recorder.folder)
    expected = np.hstack([c.board_data for c in captured])
    assert data.n_samples == 1250 == expected.shape[1]
    np.testing.assert_array_equal(data.samples, expected)
    assert data.samples.shape[0] == len(info.board_rows) == 32
    meta = data.meta
    assert meta.status == "complete" and meta.n_samples == 1250
    assert meta.eeg_names == info.channel_names
    assert (meta.timestamp_row, meta.marker_row) == (info.timestamp_row, info.marker_row)
    assert meta.board_id == meta.layout_board_id == -1
    assert meta.subject == "S01" and meta.notes == "eyes open"
    assert meta.app_version == bci_desktop.__version__ and meta.pid == os.getpid()
    assert datetime.fromisoformat(meta.started).utcoffset() is not None
    assert datetime.fromisoformat(meta.ended) >= datetime.fromisoformat(meta.started)
    assert meta.description["name"] == "Synthetic"
    assert not (recorder.folder / LOCK_FILE).exists()
    # every marker is in markers.csv, at the sample where the board delivered it
    row = expected[info.marker_row]
    where = np.flatnonzero(row)
    assert sorted(row[where].tolist()) == inserted == [1.0, 2.0, 3.0]
    assert [(m.sample, m.value) for m in data.markers] == [(int(i), row[i]) for i in where]
    for m in data.markers:
        assert m.t == data.timestamps[m.sample]
        assert data.samples[info.marker_row, m.sample] == m.value
    assert recorder.size_bytes == sum(p.stat().st_size for p in recorder.folder.iterdir())


def test_simulated_subject_truth_markers_and_predictions(tmp_path, model):
    source = SimulatedSubject(speed=None, seed=3)
    captured: list[Chunk] = []
    recorder = SessionRecorder.create(
        tmp_path, source.info, filters={"notch_hz": 50.0}, model=model_info(model)
    )
    tap = RecordingTap(recorder)
    marks = iter([(2.0, 7.0), (6.0, 8.0)])
    next_mark = next(marks)

    def on_chunk(chunk: Chunk) -> None:
        nonlocal next_mark
        captured.append(chunk)
        tap(chunk)
        if next_mark and sum(c.n_samples for c in captured) >= next_mark[0] * FS:
            source.insert_marker(next_mark[1])
            next_mark = next(marks, None)

    engine = Engine(source.info, model=model)
    runner = StreamRunner(
        source, engine, duration_s=10.0, on_chunk=on_chunk, on_update=tap.on_update
    )
    stats = runner.run()
    recorder.stop()

    data = read_session(recorder.folder)
    meta = data.meta
    assert data.n_samples == 2500
    assert meta.states == STATES and meta.truth_row == 18 and len(meta.rows) == 19
    assert [r.name for r in meta.rows[16:]] == ["Timestamp", "Marker", "Truth"]
    assert meta.layout_board_id is None and meta.board_id is None
    assert meta.filters == {"notch_hz": 50.0}
    assert meta.model == {
        "name": model.metadata.name, "version": model.metadata.version,
        "sha256": sha256_of(default_model_path()), "path": str(default_model_path()),
    }  # fmt: skip
    np.testing.assert_array_equal(data.eeg, np.hstack([c.eeg for c in captured]))
    np.testing.assert_array_equal(data.timestamps, np.hstack([c.timestamps for c in captured]))
    truth = np.hstack([c.truth for c in captured])
    np.testing.assert_array_equal(data.samples[meta.truth_row], truth)
    fresh = _fresh(3, 2500)  # the subject is deterministic by seed
    np.testing.assert_array_equal(data.eeg, fresh.eeg)
    np.testing.assert_array_equal(data.samples[meta.truth_row], fresh.truth)
    # the markers land on the first sample of the chunk after the insertion
    assert [m.value for m in data.markers] == [7.0, 8.0]
    for m in data.markers:
        assert data.samples[meta.marker_row, m.sample] == m.value
        assert m.sample in (500, 1500)
    # one prediction line per prediction, pointing at the window's last sample
    assert len(data.predictions) == stats.predictions > 0
    for p in data.predictions:
        assert data.timestamps[p["sample"]] == pytest.approx(p["t"], abs=1e-6)
        assert STATES[int(data.samples[meta.truth_row, p["sample"]])] == p["truth"]
        assert p["latency_ms"] > 0
    assert data.predictions[0]["sample"] == 999  # the first 4 s window


def test_unique_folders_in_one_second_named_without_the_subject(tmp_path):
    # issue 12, item 11: the subject id stays in session.json, never in the folder's name
    info = SimulatedSubject(channels=4).info
    recs = [SessionRecorder.create(tmp_path, info, subject="Jane Doe/01 é") for _ in range(3)]
    names = [r.folder.name for r in recs]
    for r in recs:
        r.stop()
    assert len(set(names)) == 3
    assert all(re.fullmatch(r"\d{8}-\d{6}(-\d+)?", n) for n in names), names
    assert all(read_meta(r.folder).subject == "Jane Doe/01 é" for r in recs)
    named = SessionRecorder.create(tmp_path, info, name="mine")
    named.stop()
    assert named.folder == tmp_path / "mine"


def test_refuses_a_session_folder_and_bad_settings(tmp_path):
    info = SimulatedSubject(channels=4).info
    with SessionRecorder.create(tmp_path, info) as rec:
        pass
    with pytest.raises(SessionError, match="already a session folder"):
        SessionRecorder.create(rec.folder, info)
    with pytest.raises(ConfigError, match="'flush_interval_s'"):
        SessionRecorder.create(tmp_path, info, flush_interval_s=-1)
    with pytest.raises(ConfigError, match="'gap_threshold_s'"):
        SessionRecorder.create(tmp_path, info, gap_threshold_s=0)
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(RecordingError, match="Cannot start recording: a part of the path is"):
        SessionRecorder.create(tmp_path / "a-file" / "sessions", info)
    assert {p.name for p in tmp_path.iterdir()} == {"a-file", rec.folder.name}


def test_flush_interval_puts_data_on_disk_and_stop_is_idempotent(tmp_path):
    info = SimulatedSubject(channels=4).info
    frame = 8 * 7  # 4 EEG + timestamp + marker + truth
    every = SessionRecorder.create(tmp_path, info, flush_interval_s=0.0)
    lazy = SessionRecorder.create(tmp_path, info, flush_interval_s=3600.0)
    for rec in (every, lazy):
        assert rec.append(_chunk(4, 0, 10))
        assert rec.append(_chunk(4, 10, 15))
        assert rec.n_samples == 25 and rec.elapsed_s == pytest.approx(0.1)
    assert (every.folder / SAMPLES_FILE).stat().st_size == 25 * frame  # on disk already
    assert (lazy.folder / SAMPLES_FILE).stat().st_size == 0  # still in the buffer
    lazy.flush()
    assert (lazy.folder / SAMPLES_FILE).stat().st_size == 25 * frame
    for rec in (every, lazy):
        assert (rec.folder / LOCK_FILE).read_text().split()[0] == str(os.getpid())
        rec.stop()
        rec.stop()
        assert not rec.recording and rec.failed is None
        assert not rec.append(_chunk(4, 25, 5))
        assert not rec.add_event("late")
        assert read_session(rec.folder).n_samples == 25
        assert not (rec.folder / LOCK_FILE).exists()


def test_gap_and_custom_events(tmp_path):
    info = SimulatedSubject(channels=4).info
    with SessionRecorder.create(tmp_path, info) as rec:
        rec.append(_chunk(4, 0, 50))
        rec.append(_chunk(4, 50 + 250, 50))  # one second missing
        rec.append(_chunk(4, 350 + 10, 50))  # 40 ms missing: below the threshold
        rec.add_event("note", "subject moved")
    events = read_session(rec.folder).events
    assert [e["kind"] for e in events] == ["gap", "note"]
    gap = events[0]
    assert gap["sample"] == 50 and gap["t"] == pytest.approx(1000.0 + 300 / FS)
    assert gap["detail"].startswith("1.000 s")
    assert events[1] == {
        "t": pytest.approx(1000.0 + 409 / FS), "sample": 150, "kind": "note",
        "detail": "subject moved",
    }  # fmt: skip


def test_a_chunk_that_does_not_fit_stops_recording_once(tmp_path):
    info = SimulatedSubject(channels=4).info
    rec = SessionRecorder.create(tmp_path, info)
    assert rec.append(_chunk(4, 0, 20))
    with pytest.raises(RecordingError, match="session records 4 EEG channels"):
        rec.append(_chunk(3, 20, 5))
    assert not rec.append(_chunk(4, 20, 5))
    assert rec.failed is not None and "0.1 s is kept" in rec.failed
    rec.stop()
    data = read_session(rec.folder)
    assert data.n_samples == 20 and data.meta.status == "complete"
    assert data.events[-1]["kind"] == "recording_error"


# --------------------------------------------------------------------- write failures
def test_file_size_limit_stops_recording_and_streaming_goes_on(tmp_path):
    """A child process whose files may not grow past 50,000 bytes (RLIMIT_FSIZE)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "tests.core.recording.child_recorder", "fsize", str(tmp_path),
         "4", "50000", "30"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    frame = 8 * 19
    kept = 50_000 // frame  # 328 whole frames; the partial one is cut
    message = result["failed"]
    assert message.startswith(
        "Recording stopped: the file has reached the largest size allowed (File too large) "
        f"while writing {result['folder']}/samples.f64."
    )
    assert message.endswith(f"Everything recorded up to {kept / FS:.1f} s is kept.")
    assert "Recording stopped" in out.stderr  # logged, not swallowed
    assert result["at_error"]["error"] == message  # reported through the tap's callback
    assert result["recorder_samples"] == kept
    # streaming went on to the end, predicting, and later appends were no-ops
    assert result["samples"] == 30 * 250
    assert result["predictions"] > result["at_error"]["predictions"] + 80
    assert result["append_after"] is False
    folder = Path(result["folder"])
    assert (folder / SAMPLES_FILE).stat().st_size == kept * frame
    data = read_session(folder)
    assert data.meta.status == "complete" and data.meta.n_samples == kept
    fresh = _fresh(4, kept)
    np.testing.assert_array_equal(data.eeg, fresh.eeg)
    np.testing.assert_array_equal(data.samples[data.meta.truth_row], fresh.truth)
    assert data.events[-1]["kind"] == "recording_error"
    assert data.events[-1]["detail"] == message
    assert not (folder / LOCK_FILE).exists()
    assert find_interrupted(tmp_path) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 KiB tmpfs (root only); skipped where mounting is not permitted."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and the mount command")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield disk
    finally:
        gc.collect()  # drop memory maps of files on it
        if subprocess.run(["umount", str(disk)]).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], check=True)


def test_full_disk_stops_recording_and_streaming_goes_on(tiny_disk, model):
    filler = tiny_disk / "filler"
    filler.write_bytes(b"\0" * 96 * 1024)
    source = SimulatedSubject(speed=None, seed=9)
    captured: list[Chunk] = []
    errors: list[tuple[RecordingError, int]] = []
    recorder = SessionRecorder.create(tiny_disk / "sessions", source.info)
    runner: StreamRunner
    tap = RecordingTap(recorder, on_error=lambda e: errors.append((e, runner.stats.predictions)))

    def on_chunk(chunk: Chunk) -> None:
        captured.append(chunk)
        tap(chunk)

    runner = StreamRunner(source, Engine(source.info, model=model), duration_s=40.0,
                          on_chunk=on_chunk, on_update=tap.on_update)  # fmt: skip
    stats = runner.run()
    recorder.stop()  # a no-op after the failure

    assert len(errors) == 1
    exc, predictions_at_error = errors[0]
    message = str(exc)
    assert re.fullmatch(
        r"Recording stopped: the disk is full \(No space left on device\) while writing "
        rf"{re.escape(str(recorder.folder))}/\S+\. Everything recorded up to \d+\.\d s is kept\.",
        message,
    ), message
    assert tap.error is exc and recorder.failed == message
    # streaming went on after the failure, and predicted
    assert stats.samples == 40 * 250
    assert stats.predictions > predictions_at_error + 40
    # what was written before the failure is intact: whole frames, equal to the source's
    n = recorder.n_samples
    assert 0 < n < stats.samples
    assert f"up to {n / FS:.1f} s is kept" in message
    assert (recorder.folder / SAMPLES_FILE).stat().st_size == n * 8 * 19
    data = read_session(recorder.folder, mmap=False)
    assert data.n_samples == n
    np.testing.assert_array_equal(data.eeg, np.hstack([c.eeg for c in captured])[:, :n])
    np.testing.assert_array_equal(data.eeg, _fresh(9, n).eeg)
    assert not (recorder.folder / LOCK_FILE).exists()
    # with room again, the session is finished (if the full disk kept session.json from it)
    filler.unlink()
    if data.meta.status == "recording":
        assert find_interrupted(tiny_disk / "sessions") == [recorder.folder]
        assert recover(recorder.folder).status == "recovered"
    data = read_session(recorder.folder, mmap=False)
    assert data.meta.status in ("complete", "recovered") and data.meta.n_samples == n
    assert (recorder.folder / META_FILE).is_file()
