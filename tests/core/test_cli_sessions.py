"""Recording, recovery, export and replay through the command line (real processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from bci_desktop.core.recording import read_session


def _env(data_dir):
    return {**os.environ, "PYTHONUNBUFFERED": "1", "BCI_DESKTOP_DATA_DIR": str(data_dir)}


def cli(data_dir, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "bci_desktop", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(data_dir),
        check=False,
    )


def test_killed_recording_is_recovered_by_sessions_recover(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "bci_desktop", "run", "--board", "simulated", "--record",
         "--subject", "K1", "--no-model"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )  # fmt: skip
    last_reported = 0
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if line.startswith("["):
                last_reported = int(line.split("]")[1].split()[0])
                if last_reported >= 3 * 250:
                    break
        assert last_reported >= 750, "the recording did not start"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stderr.close()
    listed = cli(tmp_path, "sessions")
    assert "interrupted" in listed.stdout
    assert "sessions --recover" in listed.stderr
    recovered = cli(tmp_path, "sessions", "--recover", "--json")
    assert recovered.returncode == 0, recovered.stderr
    (info,) = json.loads(recovered.stdout)
    assert info["status"] == "recovered" and info["subject"] == "K1"
    data = read_session(info["folder"])
    # the status line lags the recorder: whatever it reported, at most 1 s is missing
    assert data.n_samples >= last_reported - 250
    assert np.isfinite(data.eeg).all()


def test_live_run_and_replay_of_its_edf_export_agree(tmp_path):
    live = tmp_path / "live.jsonl"
    rec_dir = tmp_path / "rec"
    proc = cli(tmp_path, "run", "--board", "simulated", "--speed", "max", "--duration", "90",
               "--record", str(rec_dir), "--jsonl", str(live), "-q")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (session,) = list(rec_dir.iterdir())
    edf = tmp_path / "s.edf"
    exp = cli(tmp_path, "export", str(session), "--format", "edf", "-o", str(edf))
    assert exp.returncode == 0, exp.stderr
    again = cli(tmp_path, "export", str(session), "--format", "edf", "-o", str(edf))
    assert again.returncode != 0 and "already exists" in again.stderr
    replayed = tmp_path / "replay.jsonl"
    rep = cli(tmp_path, "replay", str(edf), "--speed", "max", "--jsonl", str(replayed), "-q")
    assert rep.returncode == 0, rep.stderr
    a = [json.loads(x) for x in live.read_text().splitlines()]
    b = [json.loads(x) for x in replayed.read_text().splitlines()]
    assert len(a) == len(b) == (90 - 4) * 4 + 1
    same = sum(x["label"] == y["label"] for x, y in zip(a, b, strict=True)) / len(a)
    assert same >= 0.99


@pytest.mark.parametrize("fmt", ["bdf", "csv", "predictions"])
def test_export_formats_from_cli(tmp_path, fmt):
    rec_dir = tmp_path / "rec"
    proc = cli(tmp_path, "run", "--board", "simulated", "--speed", "max", "--duration", "10",
               "--record", str(rec_dir), "-q")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (session,) = list(rec_dir.iterdir())
    out = tmp_path / f"x.{fmt}"
    exp = cli(tmp_path, "export", session.name, "--format", fmt, "-o", str(out))
    # a bare name is looked up in the data folder, which is not where --record DIR put it
    assert exp.returncode == 2 and "bci-desktop sessions" in exp.stderr
    exp = cli(tmp_path, "export", str(session), "--format", fmt, "-o", str(out))
    assert exp.returncode == 0, exp.stderr
    assert out.stat().st_size > 0
    if fmt == "edf":  # predictions as annotations only on request
        import mne

        with_preds = tmp_path / "p.edf"
        exp = cli(tmp_path, "export", str(session), "--format", "edf", "-o", str(with_preds),
                  "--annotations", "markers,events,predictions")  # fmt: skip
        assert exp.returncode == 0, exp.stderr
        plain = mne.io.read_raw_edf(out, verbose="error").annotations
        preds = mne.io.read_raw_edf(with_preds, verbose="error").annotations
        assert len(preds) > len(plain) + 20  # four predictions a second
        bad = cli(tmp_path, "export", str(session), "--format", "edf", "-o",
                  str(tmp_path / "b.edf"), "--annotations", "markers,notes")  # fmt: skip
        assert bad.returncode == 2 and "'annotations'" in bad.stderr
