"""The session list and deleting sessions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bci_desktop.core.recording import (
    SessionError,
    SessionRecorder,
    data_dir,
    delete_session,
    list_sessions,
)
from bci_desktop.core.recording.session import LOCK_FILE, META_FILE, read_meta, write_json_atomic
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.stream import Chunk

FS = 250.0


def _record(
    where: Path, started: str, *, subject: str = "", n: int = 250, n_markers: int = 0,
    n_predictions: int = 0,
) -> SessionRecorder:  # fmt: skip
    source = SimulatedSubject(speed=None, seed=1, chunk_s=n / FS, channels=8)
    source.start()
    chunk = source.read()
    assert chunk is not None
    markers = np.zeros(n)
    markers[np.arange(n_markers) * 10] = 1.0
    rec = SessionRecorder.create(where, source.info, subject=subject)
    rec.append(Chunk(chunk.eeg, chunk.timestamps, markers, chunk.truth))
    for i in range(n_predictions):
        rec.add_event("dummy")  # events are not counted as predictions
        with open(rec.folder / "predictions.jsonl", "a") as fh:
            fh.write(json.dumps({"t": float(i), "index": i, "sample": i}) + "\n")
    rec.stop()
    raw = read_meta(rec.folder).to_dict()
    raw["started"] = started
    write_json_atomic(rec.folder / META_FILE, raw)
    return rec


def test_data_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("BCI_DESKTOP_DATA_DIR", raising=False)
    default = data_dir()
    assert default.name == "sessions" and "bci-desktop" in str(default)
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(tmp_path / "elsewhere"))
    assert data_dir() == tmp_path / "elsewhere"
    assert list_sessions() == []  # the folder does not exist yet
    info = SimulatedSubject(channels=4).info
    with SessionRecorder.create(None, info) as rec:
        pass
    assert rec.folder.parent == tmp_path / "elsewhere"
    assert [s.folder for s in list_sessions()] == [rec.folder]


def test_list_sessions_newest_first_with_a_broken_one(tmp_path):
    old = _record(tmp_path, "2026-01-02T10:00:00.000+01:00", subject="A", n=500, n_markers=2)
    new = _record(tmp_path, "2026-03-04T09:00:00.000+00:00", subject="B", n_predictions=3)
    mid = _record(tmp_path, "2026-02-01T12:00:00.000-05:00")
    raw = read_meta(mid.folder).to_dict()
    raw.update(status="recording", n_samples=None)  # as a killed recording leaves it
    write_json_atomic(mid.folder / META_FILE, raw)
    broken = tmp_path / "20260101-000000_broken"
    broken.mkdir()
    (broken / META_FILE).write_text("{ not json")
    (tmp_path / "not-a-session").mkdir()
    (tmp_path / "stray.txt").write_text("x")

    sessions = list_sessions(tmp_path)
    assert [s.folder for s in sessions] == [new.folder, mid.folder, old.folder, broken]
    s_new, s_mid, s_old, s_broken = sessions
    assert (s_old.subject, s_old.n_samples, s_old.duration_s) == ("A", 500, 2.0)
    assert (s_old.n_markers, s_old.n_predictions) == (2, 0)
    assert (s_new.subject, s_new.n_markers, s_new.n_predictions) == ("B", 0, 3)
    assert s_old.source_name == "Simulated subject" and s_old.sample_rate == FS
    assert s_old.status == s_old.state == "complete" and s_old.error is None
    assert s_old.size_bytes == sum(p.stat().st_size for p in old.folder.iterdir())
    assert s_old.size_bytes > 500 * 8 * 11
    assert (s_mid.status, s_mid.state, s_mid.live) == ("recording", "interrupted", False)
    assert s_broken.status == "broken" and s_broken.started is None
    assert "Cannot read" in s_broken.error
    d = s_new.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["folder"] == str(new.folder) and d["name"] == new.folder.name
    assert d["state"] == "complete" and d["recording_error"] is None


def test_list_shows_live_recordings_and_errors(tmp_path):
    info = SimulatedSubject(channels=4).info
    with SessionRecorder.create(tmp_path, info) as rec:
        (summary,) = list_sessions(tmp_path)
        assert (summary.status, summary.state, summary.live) == ("recording", "recording", True)
        rec.add_event("recording_error", "Recording stopped: test")
    (summary,) = list_sessions(tmp_path)
    assert summary.recording_error == "Recording stopped: test" and not summary.live


def test_delete_session_and_its_refusals(tmp_path):
    done = _record(tmp_path, "2026-01-01T00:00:00+00:00")
    info = SimulatedSubject(channels=4).info
    live = SessionRecorder.create(tmp_path, info)
    try:
        with pytest.raises(SessionError, match="being recorded by process"):
            delete_session(live.folder)
        assert (live.folder / LOCK_FILE).exists()
    finally:
        live.stop()
    other = tmp_path / "holiday-photos"
    other.mkdir()
    (other / "a.jpg").write_bytes(b"x")
    with pytest.raises(SessionError, match="not a session folder"):
        delete_session(other)
    with pytest.raises(SessionError, match="not a session folder"):
        delete_session(tmp_path / "missing")
    nested = _record(tmp_path, "2026-01-01T00:00:00+00:00")
    (nested.folder / "sub").mkdir()
    with pytest.raises(SessionError, match="holds folders"):
        delete_session(nested.folder)
    assert other.is_dir() and nested.folder.is_dir()

    delete_session(done.folder)
    delete_session(live.folder)
    assert not done.folder.exists() and not live.folder.exists()
    assert [s.folder for s in list_sessions(tmp_path)] == [nested.folder]
