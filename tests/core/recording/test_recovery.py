"""Crash recovery: a recording process killed with SIGKILL, and folders cut mid-write."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from bci_desktop.core.recording import (
    SessionError,
    SessionRecorder,
    find_interrupted,
    read_session,
    recover,
)
from bci_desktop.core.recording.recovery import (
    drop_partial_line,
    lock_owner,
    lock_text,
    pid_alive,
    truncate_partial_frame,
)
from bci_desktop.core.recording.session import (
    EVENTS_FILE,
    LOCK_FILE,
    MARKERS_FILE,
    META_FILE,
    PREDICTIONS_FILE,
    SAMPLES_FILE,
    read_meta,
    write_json_atomic,
)
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.stream import Chunk
from tests.core.recording.child_recorder import CRASH_MARKER

REPO = Path(__file__).resolve().parents[3]
FS = 250.0
SEED = 11


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_sigkill_mid_recording_loses_at_most_a_second(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.core.recording.child_recorder", "crash", str(tmp_path),
         str(SEED)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    folder: Path | None = None
    reported = 0
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60.0
        while reported < 4 * FS and time.monotonic() < deadline:
            if not sel.select(timeout=1.0):
                assert proc.poll() is None, "the recording process ended by itself"
                continue
            line = proc.stdout.readline().split()
            if line[0] == "FOLDER":
                folder = Path(line[1])
            elif line[0] == "SAMPLES":
                reported = int(line[1])
        sel.close()
    finally:
        proc.kill()  # SIGKILL
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -9
    assert folder is not None and reported >= 4 * FS

    # the folder is readable as it is, still marked "recording" with a stale lock
    assert read_meta(folder).status == "recording"
    assert (folder / LOCK_FILE).read_text().split()[0] == str(proc.pid)
    assert find_interrupted(tmp_path) == [folder]

    meta = recover(folder)
    assert meta.status == "recovered"
    data = read_session(folder)
    n = data.n_samples
    assert meta.n_samples == n == read_meta(folder).n_samples
    assert reported - FS <= n  # at most one second lost
    assert n <= reported + FS  # (samples handed over after the last report)
    # the samples are those of a fresh subject with the same seed
    fresh = SimulatedSubject(speed=None, seed=SEED, chunk_s=n / FS)
    fresh.start()
    chunk = fresh.read()
    assert chunk is not None
    np.testing.assert_array_equal(data.eeg, chunk.eeg)
    np.testing.assert_array_equal(data.samples[meta.truth_row], chunk.truth)
    ts = data.timestamps
    np.testing.assert_allclose(ts, ts[0] + np.arange(n) / FS, rtol=0, atol=1e-6)
    # the marker inserted after one second is there, on its sample
    assert [m.value for m in data.markers] == [CRASH_MARKER]
    marker = data.markers[0]
    assert FS <= marker.sample < 2 * FS
    assert data.samples[meta.marker_row, marker.sample] == CRASH_MARKER
    # ended is the time of the last sample, in the start's time zone
    ended = datetime.fromisoformat(meta.ended)
    started = datetime.fromisoformat(meta.started)
    assert ended.utcoffset() == started.utcoffset()
    assert ended.timestamp() == pytest.approx(ts[-1], abs=1e-3)
    assert [e["kind"] for e in data.events] == ["recovered"]
    assert not (folder / LOCK_FILE).exists()
    assert find_interrupted(tmp_path) == []
    # idempotent
    assert recover(folder) == meta
    assert len(read_session(folder).events) == 1


def _recorded(tmp_path: Path, n: int = 100) -> SessionRecorder:
    source = SimulatedSubject(speed=None, seed=2, chunk_s=n / FS)
    source.start()
    chunk = source.read()
    assert chunk is not None
    markers = chunk.markers.copy()
    markers[[10, 60]] = (1.0, 2.0)
    chunk = Chunk(chunk.eeg, chunk.timestamps, markers, chunk.truth)
    rec = SessionRecorder.create(tmp_path, source.info)
    rec.append(chunk)
    rec.add_event("note", "before the crash")
    rec.stop()
    return rec


def _as_if_killed(folder: Path, pid: int | None) -> None:
    """Turn a finished session into what a killed recorder leaves, cut mid-write."""
    meta = read_meta(folder)
    raw = meta.to_dict()
    raw.update(status="recording", ended=None, n_samples=None)
    write_json_atomic(folder / META_FILE, raw)
    if pid is not None:
        (folder / LOCK_FILE).write_text(f"{pid}\n")
    with open(folder / SAMPLES_FILE, "ab") as fh:
        fh.write(b"\x01" * 100)  # part of a frame
    with open(folder / MARKERS_FILE, "ab") as fh:
        fh.write(b"1234.5,7")
    with open(folder / PREDICTIONS_FILE, "ab") as fh:
        fh.write(b'{"t": 1.0, "index": 3, "lab')
    with open(folder / EVENTS_FILE, "ab") as fh:
        fh.write(b'{"t": 1.0, "sam')


@pytest.mark.parametrize("with_lock", [True, False], ids=["stale-lock", "no-lock"])
def test_recover_cuts_partial_frame_and_lines(tmp_path, with_lock):
    rec = _recorded(tmp_path)
    folder = rec.folder
    before = read_session(folder, mmap=False)
    _as_if_killed(folder, _dead_pid() if with_lock else None)
    frame = 8 * len(before.meta.rows)
    assert (folder / SAMPLES_FILE).stat().st_size == 100 * frame + 100
    assert find_interrupted(tmp_path) == [folder]

    meta = recover(folder)
    assert meta.status == "recovered" and meta.n_samples == 100
    assert (folder / SAMPLES_FILE).stat().st_size == 100 * frame
    for name in (MARKERS_FILE, PREDICTIONS_FILE, EVENTS_FILE):
        text = (folder / name).read_bytes()
        assert text == b"" or text.endswith(b"\n"), name
    after = read_session(folder, mmap=False)
    np.testing.assert_array_equal(after.samples, before.samples)
    assert after.markers == before.markers
    assert [(m.sample, m.value) for m in after.markers] == [(10, 1.0), (60, 2.0)]
    assert after.predictions == ()
    assert [e["kind"] for e in after.events] == ["note", "recovered"]
    detail = after.events[-1]["detail"]
    assert "100 samples (0.4 s) kept" in detail
    assert "a partial last frame of 100 bytes dropped" in detail
    for name in (MARKERS_FILE, PREDICTIONS_FILE, EVENTS_FILE):
        assert f"a cut last line of {name} dropped" in detail
    assert after.events[-1]["t"] == before.timestamps[-1]
    ended = datetime.fromisoformat(meta.ended)
    assert ended.timestamp() == pytest.approx(before.timestamps[-1], abs=1e-3)
    assert not (folder / LOCK_FILE).exists()
    assert recover(folder) == meta  # idempotent
    assert len(read_session(folder).events) == 2


def test_recover_refuses_a_live_recording(tmp_path):
    info = SimulatedSubject(channels=4).info
    with SessionRecorder.create(tmp_path, info) as rec:
        assert lock_owner(rec.folder) == os.getpid()
        assert find_interrupted(tmp_path) == []
        with pytest.raises(SessionError, match=f"still being recorded by process {os.getpid()}"):
            recover(rec.folder)
    assert recover(rec.folder).status == "complete"  # finished: nothing to do


def test_a_reused_pid_does_not_keep_a_session_locked(tmp_path):
    rec = _recorded(tmp_path)
    pid = os.getpid()
    own = lock_text()
    pid_line, ticks_line = own.split()  # Linux: the pid, then its start time
    assert int(pid_line) == pid and pid_alive(pid, start_ticks=int(ticks_line))
    # this process is alive, but it is not the one that wrote the lock (it started later)
    _as_if_killed(rec.folder, pid)
    (rec.folder / LOCK_FILE).write_text(f"{pid}\n{int(ticks_line) + 100}\n")
    assert not pid_alive(pid, start_ticks=int(ticks_line) + 100)
    assert lock_owner(rec.folder) is None
    assert find_interrupted(tmp_path) == [rec.folder]
    (rec.folder / LOCK_FILE).write_text(own)
    assert lock_owner(rec.folder) == pid and find_interrupted(tmp_path) == []
    (rec.folder / LOCK_FILE).write_text(f"{pid}\n")  # no start time: the pid decides
    assert lock_owner(rec.folder) == pid
    (rec.folder / LOCK_FILE).write_text("not a pid")
    assert lock_owner(rec.folder) is None
    assert not pid_alive(_dead_pid())


def test_recover_refuses_what_is_not_a_session(tmp_path):
    with pytest.raises(SessionError, match="not a session folder"):
        recover(tmp_path)
    (tmp_path / META_FILE).write_text(json.dumps({"format": "other"}))
    with pytest.raises(SessionError, match="format"):
        recover(tmp_path)
    assert find_interrupted(tmp_path / "missing") == []


def test_file_helpers(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"a\nbb\nccc")
    assert drop_partial_line(path) == 3 and path.read_bytes() == b"a\nbb\n"
    assert drop_partial_line(path) == 0
    path.write_bytes(b"x" * 10_000)  # no newline at all, longer than one block
    assert drop_partial_line(path) == 10_000 and path.read_bytes() == b""
    path.write_bytes(b"\0" * 50)
    assert truncate_partial_frame(path, 16) == (3, 2)
    assert path.stat().st_size == 48
    assert truncate_partial_frame(tmp_path / "missing", 16) == (0, 0)
