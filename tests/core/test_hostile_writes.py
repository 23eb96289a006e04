"""Issue 12: every file the app writes is complete or absent, private, at an unguessable
temporary name (items 1, 10, 11, 15).

Full disks are real: a tmpfs of a few hundred kilobytes (``mount -t tmpfs``, root only;
skipped with the reason where mounting is not permitted).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest
from brainflow.data_filter import DataFilter

from bci_desktop.core.atomic import atomic_write, write_atomic
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.logs import setup_logging
from bci_desktop.core.recording import (
    SessionRecorder,
    find_interrupted,
    read_session,
    recover,
)
from bci_desktop.core.recording.export import ExportError, export_session
from bci_desktop.core.recording.session import SessionError
from bci_desktop.core.sources.simulated import SimulatedSubject
from tests.core import hostile


@pytest.fixture
def tiny_disk():
    with hostile.small_tmpfs("256k") as mount:
        if mount is None:
            pytest.skip("mounting a tmpfs is not permitted here (needs root)")
        yield mount


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return hostile.record_session(tmp_path_factory.mktemp("rec"), seconds=30.0)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- item 1: export onto a nearly full disk -----------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "edf", "bdf"])
def test_export_onto_a_full_disk_fails_and_leaves_nothing(tiny_disk, session, fmt):
    hostile.fill_disk(tiny_disk, leave=16_000)  # room for a part of the file only
    out = tiny_disk / f"out.{fmt}"
    with pytest.raises(ExportError, match="Cannot write"):
        export_session(session, out, format=fmt)
    assert not out.exists()
    assert [p.name for p in tiny_disk.iterdir()] == ["filler"]  # no temporary left


def test_export_onto_a_full_disk_keeps_the_file_it_would_replace(tiny_disk, session):
    out = tiny_disk / "out.csv"
    out.write_text("the previous export\n")
    hostile.fill_disk(tiny_disk, leave=50_000)
    with pytest.raises(ExportError):
        export_session(session, out, format="csv", overwrite=True)
    assert out.read_text() == "the previous export\n"


def test_our_brainflow_csv_is_byte_for_byte_what_brainflow_writes(tmp_path, session):
    from bci_desktop.core.recording.export_csv import brainflow_layout

    copy = tmp_path / "copy"
    shutil.copytree(session, copy)
    n_rows = len(read_session(copy).meta.rows)
    raw = np.fromfile(copy / "samples.f64", dtype="<f8").reshape(-1, n_rows)
    raw[:3, 0] = [np.nan, np.inf, -np.inf]  # printed as C prints them: nan, inf, -inf
    raw[3, 1] = 1e10
    raw.tofile(copy / "samples.f64")
    ours = export_session(copy, tmp_path / "ours.csv", format="csv")
    _, data = brainflow_layout(read_session(copy))
    DataFilter.write_file(np.ascontiguousarray(data), str(tmp_path / "theirs.csv"), "w")
    assert ours.read_bytes() == (tmp_path / "theirs.csv").read_bytes()
    assert _mode(ours) == 0o600


# -- item 10: temporary files at guessable names ------------------------------------------
def test_symlinks_at_guessable_temporary_names_are_never_followed(tmp_path, session):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out.edf"
    for name in ("out.edf.tmp", f".out.edf.{os.getpid()}.tmp", ".out.edf.tmp"):
        (tmp_path / name).symlink_to(victim)
    export_session(session, out, format="edf")
    assert victim.read_text() == "precious\n"
    assert out.is_file() and not out.is_symlink()


def test_a_symlink_at_the_destination_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    target = tmp_path / "model.onnx"
    target.symlink_to(victim)
    write_atomic(target, b"new model")
    assert victim.read_text() == "precious\n"
    assert not target.is_symlink() and target.read_bytes() == b"new model"
    assert _mode(target) == 0o600


def test_training_ignores_a_symlink_planted_at_model_onnx_tmp(tmp_path):
    from bci_desktop.core.calibration import train_personal_model

    sessions = tmp_path / "sessions"
    sim = SimulatedSubject(speed=None, seed=5, chunk_s=1.0, channels=16,
                           script="calm:20,happy:20,calm:20,happy:20")  # fmt: skip
    rec = SessionRecorder.create(sessions, sim.info)
    sim.start()
    for _ in range(80):
        rec.append(sim.read())
    rec.stop()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "MODEL.onnx"
    (tmp_path / "MODEL.onnx.tmp").symlink_to(victim)
    train_personal_model([rec.folder], out)
    assert victim.read_text() == "precious\n"
    assert out.is_file() and not out.is_symlink()


def test_atomic_write_checks_and_cleans_up(tiny_disk):
    out = tiny_disk / "big.bin"
    with pytest.raises(OSError), atomic_write(out) as fh:
        fh.write(b"x" * 400_000)  # more than the disk holds
    assert list(tiny_disk.iterdir()) == []
    (tiny_disk / "keep").write_text("old")
    with pytest.raises(FileExistsError), atomic_write(tiny_disk / "keep", overwrite=False) as fh:
        fh.write(b"new")
    assert (tiny_disk / "keep").read_text() == "old"
    assert [p.name for p in tiny_disk.iterdir()] == ["keep"]


# -- item 11: privacy -------------------------------------------------------------------------
def test_sessions_are_private_and_named_without_the_subject(tmp_path, monkeypatch):
    monkeypatch.setenv("BCI_DESKTOP_LOG_DIR", str(tmp_path / "log"))
    log_file = setup_logging(logging.WARNING, console=False)
    try:
        folder = hostile.record_session(tmp_path / "data" / "sessions", subject="Alice Smith")
        hostile.record_session(tmp_path / "data" / "sessions", subject="Alice Smith")
        recover(folder)  # logs the folder too
    finally:
        for handler in logging.getLogger("bci_desktop").handlers:
            handler.flush()
    assert "Alice" not in folder.name and "Smith" not in folder.name
    assert _mode(folder) == 0o700
    assert {p.name: _mode(p) for p in folder.iterdir()} == dict.fromkeys(
        (p.name for p in folder.iterdir()), 0o600
    )
    assert _mode(log_file) == 0o600 and _mode(log_file.parent) == 0o700
    text = log_file.read_text()
    assert folder.name in text and "Alice" not in text  # the log names folders only
    assert read_session(folder).meta.subject == "Alice Smith"


def test_an_old_log_readable_by_others_is_made_private(tmp_path, monkeypatch):
    monkeypatch.setenv("BCI_DESKTOP_LOG_DIR", str(tmp_path))
    old = tmp_path / "bci-desktop.log"
    old.write_text("from an older version\n")
    old.chmod(0o644)
    setup_logging(logging.WARNING, console=False)
    assert _mode(old) == 0o600 and old.read_text().startswith("from an older version")


# -- item 15: recovery on a full disk, the recording_error event ------------------------------
def _interrupted(root):
    folder = hostile.record_session(root, seconds=2.0)
    meta = json.loads((folder / "session.json").read_text())
    meta.update(status="recording", n_samples=None, ended=None)
    (folder / "session.json").write_text(json.dumps(meta))
    return folder


def test_a_recovery_that_fails_on_a_full_disk_changes_nothing(tiny_disk):
    folder = _interrupted(tiny_disk)
    events_before = (folder / "events.jsonl").read_bytes()
    meta_before = (folder / "session.json").read_bytes()
    hostile.fill_disk(tiny_disk)
    with pytest.raises(SessionError, match="Free some space"):
        recover(folder)
    assert (folder / "events.jsonl").read_bytes() == events_before
    assert (folder / "session.json").read_bytes() == meta_before
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    (tiny_disk / "filler").unlink()
    recover(folder)  # a retry notes the event once
    data = read_session(folder)
    assert [e["kind"] for e in data.events].count("recovered") == 1
    assert data.meta.status == "recovered" and find_interrupted(tiny_disk) == []
    (event,) = [e for e in data.events if e["kind"] == "recovered"]
    assert event["sample"] == data.n_samples - 1  # on a sample an export can annotate


_RECORD_UNTIL_FULL = """
import resource, signal, sys
from bci_desktop.core.recording import RecordingError, SessionRecorder
from bci_desktop.core.sources.simulated import SimulatedSubject
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
sim = SimulatedSubject(speed=None, seed=3, chunk_s=0.5, channels=4)
rec = SessionRecorder.create(sys.argv[1], sim.info, flush_interval_s=0)
sim.start()
try:
    for _ in range(1000):
        rec.append(sim.read())
except RecordingError as exc:
    print(exc)
"""


def test_the_recording_error_event_lands_on_a_sample_and_is_exported(tmp_path):
    import edfio

    # a file-size limit (RLIMIT_FSIZE) stops the samples while the events file has room
    done = subprocess.run([sys.executable, "-c", _RECORD_UNTIL_FULL, str(tmp_path / "s")],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert "Recording stopped" in done.stdout
    (folder,) = (tmp_path / "s").iterdir()
    data = read_session(folder)
    (event,) = [e for e in data.events if e["kind"] == "recording_error"]
    assert event["sample"] == data.n_samples - 1
    out = export_session(folder, tmp_path / "cut.edf", format="edf")
    texts = [a.text for a in edfio.read_edf(out).annotations]
    assert any(t.startswith("recording_error") for t in texts), texts


# -- item 15: train's output path, checked first ----------------------------------------------
def test_train_checks_its_output_before_reading_any_session(tmp_path):
    from bci_desktop.core.calibration import train_personal_model

    exists = tmp_path / "model.onnx"
    exists.write_bytes(b"mine")
    missing = [tmp_path / "no-such-session"]
    with pytest.raises(ConfigError, match="--overwrite") as info:
        train_personal_model(missing, exists)
    assert "--force" not in str(info.value) and exists.read_bytes() == b"mine"
    folder = tmp_path / "models"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        train_personal_model(missing, folder, overwrite=True)
    assert not list(tmp_path.glob("*.tmp"))
    under_a_file = exists / "m.onnx"
    with pytest.raises(ConfigError, match="does not exist"):
        train_personal_model(missing, under_a_file)


# -- item 15: warnings go to the log, not to stderr -------------------------------------------
def test_python_warnings_go_to_the_log_file_not_the_console(tmp_path):
    code = (
        "import logging, warnings, numpy as np\n"
        "from bci_desktop.core.logs import setup_logging\n"
        "setup_logging(logging.WARNING)\n"
        "np.mean(np.array([]))\n"  # numpy: 'Mean of empty slice'
        "warnings.warn('edfio-like warning')\n"
    )
    env = {**os.environ, "BCI_DESKTOP_LOG_DIR": str(tmp_path), "PYTHONWARNINGS": "default"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0 and done.stderr == ""
    log = (tmp_path / "bci-desktop.log").read_text()
    assert "Mean of empty slice" in log and "edfio-like warning" in log
