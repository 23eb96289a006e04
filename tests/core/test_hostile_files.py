"""Issue 12: readers of user files against hostile files (items 2, 5, 6, 9, 13, 15).

Readers take regular files only, check what a header declares against the file's real size
before allocating, bound JSON nesting, and say what is wrong in one line that quotes no
file content. Every file here is real; FIFOs are real FIFOs.
"""

from __future__ import annotations

import json
import shutil
import threading
import tracemalloc

import numpy as np
import pytest

from bci_desktop.core.errors import InputFileError
from bci_desktop.core.recording import list_sessions, read_session
from bci_desktop.core.recording.export import export_session
from bci_desktop.core.recording.session import SessionError
from bci_desktop.core.settings import AppSettings, load_settings
from bci_desktop.core.sources.replay import ReplaySource
from bci_desktop.core.sources.replay_files import RecordingFileError
from tests.core import hostile


def _finishes(target, *args):
    """Run ``target(*args)`` in a thread; return (finished, result or exception).

    A hang guard, not a timing assertion: the fixed readers return at once, the old ones
    blocked for ever on a FIFO with no writer.
    """
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = target(*args)
        except Exception as exc:  # noqa: BLE001 - handed to the test, which checks it
            box["value"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)
    return not worker.is_alive(), box.get("value")


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return hostile.record_session(tmp_path_factory.mktemp("rec"), seconds=8.0)


# -- item 2: EDF headers that make the reader divide by zero ---------------------------------
@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        pytest.param({"duration": "0"}, "last 0 s", id="duration-0"),
        pytest.param({"duration": "1e-9"}, "above the 100000 Hz", id="duration-1e-9"),
        pytest.param({"duration": "nan"}, "last nan s", id="duration-nan"),
        pytest.param({"duration": "-1"}, "last -1 s", id="duration-negative"),
        pytest.param({"n_signals": 0}, "declares 0 signals", id="no-signals"),
        pytest.param({"header_bytes": 99999}, "header bytes", id="header-size-lies"),
        pytest.param({"samples_per_record": 0}, "fewer than one sample", id="spr-0"),
    ],
)
def test_edf_headers_that_lie_are_refused_in_one_line(tmp_path, kwargs, reason):
    path = hostile.write_edf(tmp_path / "lie.edf", **kwargs)
    with pytest.raises(RecordingFileError, match=reason) as info:
        ReplaySource(path, speed=None)
    assert isinstance(info.value, InputFileError)  # bad input: exit code 2
    assert "lie.edf" in str(info.value) and "\n" not in str(info.value)


# -- item 5: FIFOs and devices -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["rec.csv", "rec.edf", "rec.bdf"])
def test_replay_of_a_fifo_returns_with_a_reason(tmp_path, name):
    fifo = hostile.make_fifo(tmp_path / name)
    finished, outcome = _finishes(ReplaySource, fifo)
    assert finished, "replay of a FIFO blocked"
    assert isinstance(outcome, RecordingFileError) and "named pipe (FIFO)" in str(outcome)


@pytest.mark.parametrize("name", ["zero.csv", "zero.edf"])
def test_replay_of_a_symlink_to_dev_zero_is_refused(tmp_path, name):
    link = hostile.symlink_to_zero(tmp_path / name)
    finished, outcome = _finishes(ReplaySource, link)
    assert finished
    assert isinstance(outcome, RecordingFileError) and "character device" in str(outcome)


def test_a_fifo_in_place_of_settings_gives_the_defaults(tmp_path):
    fifo = hostile.make_fifo(tmp_path / "settings.json")
    finished, outcome = _finishes(load_settings, fifo)
    assert finished, "loading the settings blocked on a FIFO"
    settings, warnings = outcome
    assert settings == AppSettings() and "named pipe" in warnings[0]
    assert fifo.exists()  # left where it was: nothing is lost


def test_fifo_side_files_of_a_session_do_not_block_the_list(tmp_path, session):
    copy = tmp_path / "s" / session.name
    shutil.copytree(session, copy)
    (copy / "predictions.jsonl").unlink(missing_ok=True)
    hostile.make_fifo(copy / "predictions.jsonl")
    finished, outcome = _finishes(list_sessions, tmp_path / "s")
    assert finished, "listing sessions blocked on a FIFO"
    (summary,) = outcome
    assert summary.status == "broken" and "named pipe" in summary.error


# -- item 6: small files, huge allocations -----------------------------------------------------
def test_an_edf_declaring_9999_signals_is_refused_before_allocating(tmp_path):
    path = hostile.write_edf(tmp_path / "many.edf", n_signals=9999, samples_per_record=4,
                             n_records=20)  # fmt: skip
    tracemalloc.start()
    try:
        with pytest.raises(RecordingFileError, match="declares 9999 signals"):
            ReplaySource(path, speed=None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"{peak / 1e6:.0f} MB allocated to refuse a header"


def test_an_edf_declaring_more_records_than_it_holds_is_refused_before_reading(tmp_path):
    path = hostile.write_edf(tmp_path / "lies.edf", n_signals=64, samples_per_record=256,
                             n_records=10**6, data_records_written=20)  # fmt: skip
    tracemalloc.start()
    try:
        with pytest.raises(RecordingFileError, match="announces 1000000 data records"):
            ReplaySource(path, speed=None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < path.stat().st_size, "the data was read before the header was checked"


def test_an_edf_too_large_to_decode_is_refused(tmp_path):
    # 1024 signals x 65536 samples x 3 records: 403 MB of EDF, 1.6 GB once float64: the
    # header says so and the file is sparse, so nothing big is written or read here
    path = tmp_path / "huge.edf"
    head = hostile.edf_bytes(n_signals=1024, samples_per_record=65536, duration="1",
                             n_records=3, data_records_written=0)  # fmt: skip
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(len(head) + 3 * 1024 * 65536 * 2)
    with pytest.raises(RecordingFileError, match="GB of memory to replay"):
        ReplaySource(path, speed=None)


# -- item 9: JSON nested 100,000 deep --------------------------------------------------------
def test_one_deep_session_json_does_not_hide_the_other_sessions(tmp_path, session):
    root = tmp_path / "sessions"
    shutil.copytree(session, root / "20250101-000000")
    deep = root / "20250102-000000"
    shutil.copytree(session, deep)
    (deep / "session.json").write_text(hostile.deep_json(100_000))
    listed = {s.name: s for s in list_sessions(root)}
    assert listed["20250101-000000"].status == "complete"
    assert listed["20250102-000000"].status == "broken"
    assert "nested deeper than" in listed["20250102-000000"].error
    with pytest.raises(SessionError, match="nested deeper than"):
        read_session(deep)


def test_a_deep_line_of_predictions_is_skipped_and_the_rest_kept(tmp_path, session):
    copy = tmp_path / "copy"
    shutil.copytree(session, copy)
    good = {"t": 1.0, "sample": 10, "label": "calm", "probabilities": {"calm": 1.0}}
    with open(copy / "predictions.jsonl", "w") as fh:
        fh.write(json.dumps(good) + "\n" + hostile.deep_json(100_000) + "\n")
        fh.write(json.dumps({**good, "sample": 20}) + "\n")
    data = read_session(copy)
    assert [p["sample"] for p in data.predictions] == [10, 20]
    out = export_session(copy, tmp_path / "p.csv", format="predictions")
    assert len(out.read_text().splitlines()) == 3  # header + the two good ones
    src = ReplaySource(copy, speed=None)  # replays
    assert src.n_samples == data.n_samples


def test_an_over_long_line_is_skipped_without_reading_it_whole(tmp_path, session):
    copy = tmp_path / "copy"
    shutil.copytree(session, copy)
    with open(copy / "events.jsonl", "w") as fh:
        fh.write('{"t": 1, "sample": 1, "kind": "a", "detail": "' + "x" * (3 << 20) + '"}\n')
        fh.write('{"t": 2, "sample": 2, "kind": "gap", "detail": ""}\n')
    assert [e["kind"] for e in read_session(copy).events] == ["gap"]


def test_deep_settings_give_the_defaults_and_keep_the_file(tmp_path):
    path = tmp_path / "settings.json"
    text = hostile.deep_json(100_000)
    path.write_text(text)
    settings, warnings = load_settings(path)
    assert settings == AppSettings() and "nested deeper than" in warnings[0]
    assert [p for p in tmp_path.iterdir() if p.read_text() == text]  # kept aside


# -- item 13: bad files are bad input (exit code 2) -------------------------------------------
def test_corrupt_recordings_and_broken_sessions_are_input_errors(tmp_path, session):
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("not\ta\tBrainFlow file\n")
    with pytest.raises(InputFileError):
        ReplaySource(garbage)
    broken = tmp_path / "broken"
    shutil.copytree(session, broken)
    (broken / "session.json").write_text("{ not json")
    with pytest.raises(InputFileError):
        read_session(broken)
    with pytest.raises(InputFileError):
        ReplaySource(broken)
    with pytest.raises(InputFileError):
        export_session(broken, tmp_path / "b.edf")


# -- item 15: 1 Hz files, errors that quote the file -----------------------------------------
def test_a_1_hz_edf_replays_one_sample_per_chunk(tmp_path):
    path = hostile.write_edf(tmp_path / "slow.edf", samples_per_record=1, n_records=30)
    src = ReplaySource(path, speed=None)
    src.start()
    chunk = src.read()
    assert src.info.sample_rate == 1.0 and chunk.n_samples == 1


def test_replay_errors_name_the_line_not_its_content(tmp_path):
    path = tmp_path / "secret.csv"
    path.write_text("1\t2\nPatient Jane Doe\x1b[2J\t3\n")
    with pytest.raises(RecordingFileError) as info:
        ReplaySource(path)
    text = str(info.value)
    assert "line 2, column 1 is not a number" in text
    assert "Jane" not in text and "\x1b" not in text
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("1\t2\n3\n")
    with pytest.raises(RecordingFileError, match="columns changed from 2 to 1 on line 2"):
        ReplaySource(ragged)


def test_csv_rows_beyond_the_memory_bound_are_refused(tmp_path, monkeypatch):
    import bci_desktop.core.sources.replay_files as files

    monkeypatch.setattr(files, "MAX_REPLAY_BYTES", 32 * 8 * 100)  # room for 100 samples
    path = tmp_path / "long.csv"
    np.savetxt(path, np.zeros((150, 32)), fmt="%f", delimiter="\t")
    with pytest.raises(RecordingFileError, match="more than 100 samples"):
        ReplaySource(path)
