"""Export of sessions to EDF+/BDF+ (read back with MNE), BrainFlow CSV (read back and played
by BrainFlow itself) and predictions CSV, from real recordings."""

from __future__ import annotations

import csv
import datetime
import math
import time

import edfio
import mne
import numpy as np
import pytest
from brainflow.data_filter import DataFilter
from mne.io.constants import FIFF

from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.recording.edf_records import exact_records
from bci_desktop.core.recording.export import ExportError, export_session, merged_markers
from bci_desktop.core.recording.export_edf import PADDING_ANNOTATION, record_layout
from bci_desktop.core.recording.session import SessionError, read_session
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.brainflow_source import BrainFlowSource
from bci_desktop.core.sources.simulated import SimulatedSubject
from tests.core.recording.sessionfiles import (
    STARTED,
    record_simulated,
    record_synthetic_board,
    simulated_meta,
    write_session,
)

FS = 250


@pytest.fixture(scope="module")
def model() -> EmotionModel:
    return EmotionModel.load(default_model_path())


@pytest.fixture(scope="module")
def sim_session(tmp_path_factory, model):
    """60 s of the simulated subject through the engine: 15000 samples, whole seconds."""
    folder = tmp_path_factory.mktemp("sim") / "session"
    return record_simulated(folder, 60.0, model=model, marker_times=(5.0, 12.5, 30.02, 59.9))


@pytest.fixture(scope="module")
def board_session(tmp_path_factory):
    """~4 s streamed live from BrainFlow's synthetic board, cut to 873 samples (3.492 s)."""
    folder = tmp_path_factory.mktemp("board") / "session"
    return record_synthetic_board(folder, 4.0, (1.0, 2.5), keep=873)


def _steps(path) -> np.ndarray:
    """Quantisation step of every ordinary signal, from the file's header."""
    rec = edfio.read_bdf(path) if str(path).endswith(".bdf") else edfio.read_edf(path)
    return np.array(
        [(s.physical_max - s.physical_min) / (s.digital_max - s.digital_min) for s in rec.signals]
    )


def _read_mne(path):
    reader = mne.io.read_raw_bdf if str(path).endswith(".bdf") else mne.io.read_raw_edf
    return reader(path, preload=True, verbose="error")


# --------------------------------------------------------------------------- EDF+ / BDF+
@pytest.mark.parametrize("fmt", ["edf", "bdf"])
def test_edf_bdf_round_trip_with_mne(sim_session, tmp_path, fmt):
    session = read_session(sim_session)
    out = export_session(
        sim_session, tmp_path / f"s.{fmt}", format=fmt,
        annotations="markers,events,predictions",
    )  # fmt: skip
    raw = _read_mne(out)

    # every sample, no padding (60 s is whole records), names and units
    assert raw.n_times == session.n_samples == 15000
    assert raw.info["sfreq"] == FS
    assert raw.ch_names == list(session.meta.eeg_names)
    assert raw.get_channel_types() == ["eeg"] * 16
    assert all(ch["unit"] == FIFF.FIFF_UNIT_V for ch in raw.info["chs"])
    header = edfio.read_bdf(out) if fmt == "bdf" else edfio.read_edf(out)
    assert {s.physical_dimension for s in header.signals} == {"uV"}
    bits = 24 if fmt == "bdf" else 16
    assert {(s.digital_min, s.digital_max) for s in header.signals} == {
        (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    }

    # values within one quantisation step (MNE gives volts; we recorded microvolts)
    step = _steps(out)
    err = np.abs(raw.get_data() * 1e6 - session.eeg).max(axis=1)
    assert np.all(err <= step * 1.0001), (err, step)
    assert step.max() < (0.05 if fmt == "edf" else 2e-4)

    # every marker as an annotation within one sample of its time
    anns = raw.annotations
    marks = [
        (o, d) for o, d in zip(anns.onset, anns.description, strict=True) if d.startswith("Marker")
    ]
    expected = merged_markers(session)
    assert len(expected) == 4
    assert [d for _, d in marks] == [f"Marker {m.value:g}" for m in expected]
    for (onset, _), m in zip(marks, expected, strict=True):
        assert abs(onset - m.sample / FS) <= 1 / FS
        assert raw.time_as_index(onset, use_rounding=True)[0] == m.sample

    # every prediction (at its window's last sample) and the gap event
    preds = session.predictions
    labels = [p["label"] or f"withheld: {p['withheld']}" for p in preds]
    rest = [
        (o, d)
        for o, d in zip(anns.onset, anns.description, strict=True)
        if not d.startswith("Marker")
    ]
    gap = [x for x in rest if x[1].startswith("gap")]
    assert gap == [(pytest.approx(6000 / FS), "gap: 0.3 s without samples")]
    pred_anns = [x for x in rest if not x[1].startswith("gap")]
    assert [d for _, d in pred_anns] == labels
    assert [round(o * FS) for o, _ in pred_anns] == [p["sample"] for p in preds]
    assert not any(d == PADDING_ANNOTATION for d in anns.description)


def test_header_fields_and_start_time(sim_session, tmp_path):
    out = export_session(sim_session, tmp_path / "s.edf")
    rec = edfio.read_edf(out)
    started = datetime.datetime.fromisoformat(STARTED)
    assert rec.startdatetime == started.replace(tzinfo=None, microsecond=0)  # wall clock
    assert rec.is_continuous
    assert rec.patient.code == "Jane_Doe"
    assert rec.patient.sex == "X"
    assert rec.recording.equipment_code == "Simulated_subject"
    assert rec.recording.additional == ("BCI_Desktop_0.1.0",)
    assert rec.reserved == "EDF+C"
    raw = _read_mne(out)
    assert raw.info["subject_info"]["his_id"] == "Jane_Doe"
    assert raw.info["meas_date"].replace(tzinfo=None) == started.replace(
        tzinfo=None, microsecond=0
    )

    anon = export_session(sim_session, tmp_path / "anon.edf", anonymize=True)
    rec = edfio.read_edf(anon)
    assert rec.local_patient_identification == "X X X X"
    assert rec.startdatetime == started.replace(tzinfo=None, microsecond=0)  # not shifted
    assert "Jane" not in anon.read_bytes().decode("latin-1")


def test_annotations_are_markers_and_events_unless_asked(sim_session, tmp_path):
    """About 230 predictions buried the 4 markers: by default they are left out."""
    session = read_session(sim_session)
    plain = _read_mne(export_session(sim_session, tmp_path / "d.edf"))
    kinds = {d.split(" ")[0].split(":")[0] for d in plain.annotations.description}
    assert kinds == {"Marker", "gap"}
    assert len(plain.annotations) == len(merged_markers(session)) + 1
    only = _read_mne(export_session(sim_session, tmp_path / "m.edf", annotations="markers"))
    assert all(d.startswith("Marker") for d in only.annotations.description)
    none = _read_mne(export_session(sim_session, tmp_path / "n.edf", annotations="none"))
    assert len(none.annotations) == 0
    with pytest.raises(ConfigError, match=r"'annotations'.*markers, events, predictions"):
        export_session(sim_session, tmp_path / "x.edf", annotations="markers,notes")


@pytest.mark.parametrize("fmt", ["edf", "bdf"])
def test_real_board_round_trip_without_padding(board_session, tmp_path, fmt):
    session = read_session(board_session)
    n = session.n_samples
    assert n == 873 and n % FS  # not whole seconds: records of 291 samples (1.164 s)
    out = export_session(board_session, tmp_path / f"b.{fmt}", format=fmt)
    raw = _read_mne(out)
    assert raw.n_times == n, "exactly the recorded samples: no padding"
    header = edfio.read_bdf(out) if fmt == "bdf" else edfio.read_edf(out)
    assert header.data_record_duration == pytest.approx(1.164)
    assert header.num_data_records == 3
    assert raw.ch_names == ["Fz", "C3", "Cz", "C4", "Pz", "PO7", "Oz", "PO8",
                            "F5", "F7", "F3", "F1", "F2", "F4", "F6", "F8"]  # fmt: skip
    data = raw.get_data() * 1e6
    step = _steps(out)
    assert np.all(np.abs(data - session.eeg).max(axis=1) <= step * 1.0001)
    assert PADDING_ANNOTATION not in raw.annotations.description
    # the markers inserted live on the board
    row = session.samples[session.meta.marker_row]
    marked = np.flatnonzero(row)
    assert row[marked].tolist() == [1.0, 2.0]
    onsets = {
        d: o for o, d in zip(raw.annotations.onset, raw.annotations.description, strict=True)
    }
    for i in marked:
        assert abs(onsets[f"Marker {row[i]:g}"] - i / FS) <= 1 / FS


def test_a_prime_number_of_samples_is_padded_and_says_so(tmp_path):
    """2503 samples (a prime, 10.012 s) fit no record of 0.1-10 s: the last 1 s record is
    padded with the last values, and an annotation says where."""
    n = 2503
    info = SimulatedSubject(speed=None, channels=4, seed=1).info
    rng = np.random.default_rng(7)
    samples = np.zeros((7, n))
    samples[:4] = rng.normal(0, 20, (4, n))
    samples[4] = 1000.0 + np.arange(n) / FS
    folder = write_session(tmp_path / "prime", simulated_meta(info, n), samples)
    out = export_session(folder, tmp_path / "p.edf")
    raw = _read_mne(out)
    assert raw.n_times == 11 * FS
    data = raw.get_data() * 1e6
    assert np.allclose(data[:, n:], data[:, n - 1 : n], atol=1e-9)
    pad = [i for i, d in enumerate(raw.annotations.description) if d == PADDING_ANNOTATION]
    assert len(pad) == 1
    assert raw.annotations.onset[pad[0]] == pytest.approx(n / FS)
    assert raw.annotations.duration[pad[0]] == pytest.approx((11 * FS - n) / FS)
    from bci_desktop.core.sources.replay import ReplaySource

    assert ReplaySource(out, speed=None).n_samples == n  # a replay drops the padding


@pytest.mark.parametrize(
    ("n", "fs", "expected"),
    [
        pytest.param(15000, 250.0, (1.0, 250), id="whole-seconds"),
        pytest.param(10503, 250.0, (1.556, 389), id="42.012s"),
        pytest.param(5000, 256.0, (0.78125, 200), id="256Hz"),
        pytest.param(10501, 250.0, None, id="prime"),
        pytest.param(5003, 256.0, None, id="no-short-decimal"),
    ],
)
def test_exact_records_divide_the_samples(n, fs, expected):
    assert exact_records(n, fs) == expected
    if expected is not None:
        assert n % expected[1] == 0 and expected[1] / fs == expected[0]


def test_all_rows_adds_the_other_board_rows_with_units(board_session, tmp_path):
    out = export_session(board_session, tmp_path / "all.bdf", format="bdf", all_rows=True)
    rec = edfio.read_bdf(out)
    assert len(rec.signals) == 30  # 32 rows minus timestamp and marker
    units = {s.label: s.physical_dimension for s in rec.signals}
    assert units["Accel X"] == "g" and units["Gyro Z"] == "deg/s" and units["Fz"] == "uV"
    session = read_session(board_session)
    accel = rec.get_signal("Accel X").data[: session.n_samples]
    step = _steps(out)[16 + 1]
    assert np.abs(accel - session.samples[17]).max() <= step * 1.0001


def test_flat_and_nonfinite_channels_get_valid_ranges(tmp_path):
    sim = SimulatedSubject(speed=None, channels=4, seed=1)
    info = sim.info
    n = 500
    rng = np.random.default_rng(4)
    samples = np.zeros((7, n))
    samples[0] = rng.normal(0, 20, n)
    samples[1] = 12.5  # flat
    samples[2] = 0.0  # flat at zero
    samples[3] = rng.normal(0, 20, n)
    samples[3, 10] = np.nan
    samples[4] = 1.7e9 + np.arange(n) / FS
    folder = write_session(tmp_path / "flat", simulated_meta(info, n), samples)
    out = export_session(folder, tmp_path / "flat.edf")
    rec = edfio.read_edf(out)
    ranges = [(s.physical_min, s.physical_max) for s in rec.signals]
    assert ranges[1][0] < 12.5 < ranges[1][1]
    assert ranges[2][0] < 0.0 < ranges[2][1]
    assert np.allclose(rec.signals[1].data, 12.5, atol=(ranges[1][1] - ranges[1][0]) / 65535)
    assert rec.signals[3].data[10] == pytest.approx(0.0, abs=0.01)


def test_record_layout():
    assert record_layout(15000, 250.0) == (1.0, 250, 15000)
    assert record_layout(873, 250.0) == (1.0, 250, 1000)
    assert record_layout(1, 250.0) == (1.0, 250, 250)
    assert record_layout(100, 0.5) == (2.0, 1, 100)
    assert record_layout(7, 128.5) == (2.0, 257, 257)


# --------------------------------------------------------------------------- BrainFlow CSV
def test_brainflow_csv_read_back_and_played_by_playback_board(board_session, tmp_path):
    session = read_session(board_session)
    out = export_session(board_session, tmp_path / "b.csv", format="csv")
    data = DataFilter.read_file(str(out))
    assert data.shape == session.samples.shape == (32, 873)
    # six decimals of text: within 5e-7 (timestamps keep microseconds)
    assert np.abs(data - session.samples).max() <= 5.0001e-7

    src = BrainFlowSource(
        "playback_file",
        ConnectionParams(file=str(out), master_board="synthetic"),
        config=("loopback_false",),
    )
    got, n = [], 0
    src.start()
    try:
        t0 = time.monotonic()
        while n < 300 and time.monotonic() - t0 < 10:
            chunk = src.read()
            if chunk is None:
                time.sleep(0.01)
                continue
            got.append(chunk.board_data)
            n += chunk.n_samples
    finally:
        src.stop()
    played = np.concatenate(got, axis=1)
    assert played.shape[1] >= 300
    k = played.shape[1]
    # the board plays the file's samples in order (package numbers, EEG, accelerometer);
    # it restamps the samples and does not replay the marker row (BrainFlow's choice)
    assert np.array_equal(played[0], data[0, :k])
    assert np.array_equal(played[1:20], data[1:20, :k])


def test_brainflow_csv_of_simulated_session_uses_synthetic_layout(sim_session, tmp_path):
    session = read_session(sim_session)
    out = export_session(sim_session, tmp_path / "s.csv", format="csv")
    data = DataFilter.read_file(str(out))
    assert data.shape == (32, 15000)
    assert np.abs(data[1:17] - session.eeg).max() <= 5.0001e-7
    assert np.abs(data[30] - session.timestamps).max() <= 5.0001e-7
    assert np.array_equal(data[31], session.samples[session.meta.marker_row])
    others = np.delete(data, [*range(1, 17), 30, 31], axis=0)
    assert not others.any()


def test_brainflow_csv_refuses_more_eeg_than_synthetic_board(tmp_path):
    info = SimulatedSubject(speed=None, channels=20).info
    samples = np.random.default_rng(0).normal(size=(23, 100))
    folder = write_session(tmp_path / "s20", simulated_meta(info, 100), samples)
    with pytest.raises(ExportError, match=r"20 EEG channels.*at most 16"):
        export_session(folder, tmp_path / "x.csv", format="csv")
    assert not (tmp_path / "x.csv").exists()


# --------------------------------------------------------------------------- predictions
def test_predictions_csv(sim_session, tmp_path):
    session = read_session(sim_session)
    out = export_session(sim_session, tmp_path / "p.csv", format="predictions")
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["t", "sample", "label", "confidence", "p_calm", "p_happy",
                             "p_sad", "p_stressed", "latency_ms", "withheld", "truth"]  # fmt: skip
    assert len(rows) == len(session.predictions) == 225  # (60 - 4) / 0.25 + 1
    for row, pred in zip(rows, session.predictions, strict=True):
        assert float(row["t"]) == pred["t"]
        assert int(row["sample"]) == pred["sample"]
        assert row["label"] == (pred["label"] or "")
        assert row["truth"] == pred["truth"]
        if pred["label"]:
            probs = [float(row[f"p_{c}"]) for c in ("calm", "happy", "sad", "stressed")]
            assert math.isclose(sum(probs), 1.0, abs_tol=1e-5)
            assert float(row["confidence"]) == max(probs)
    assert {r["truth"] for r in rows} == {"calm", "happy", "sad", "stressed"}


# --------------------------------------------------------------------------- errors
def test_refuses_to_overwrite_unless_asked(sim_session, tmp_path):
    out = tmp_path / "s.edf"
    out.write_bytes(b"precious")
    with pytest.raises(ExportError, match=r"already exists.*overwrit"):
        export_session(sim_session, out)
    assert out.read_bytes() == b"precious"
    export_session(sim_session, out, overwrite=True)
    assert out.read_bytes()[:8] == b"0       "
    assert [p.name for p in tmp_path.iterdir()] == ["s.edf"]  # no temporary file left


def test_errors_are_one_line_bci_errors(sim_session, tmp_path):
    with pytest.raises(ConfigError, match=r"'format'.*'edf', 'bdf', 'csv', 'predictions'.*'xls'"):
        export_session(sim_session, tmp_path / "a.xls", format="xls")
    with pytest.raises(SessionError, match="not a session folder"):
        export_session(tmp_path / "nowhere", tmp_path / "a.edf")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="does not exist"):
        export_session(sim_session, blocker / "a.edf")
    with pytest.raises(ExportError, match="is a folder"):
        export_session(sim_session, tmp_path)

    info = SimulatedSubject(speed=None, channels=4).info
    empty = write_session(tmp_path / "empty", simulated_meta(info, 0), np.zeros((7, 0)))
    for fmt in ("edf", "csv"):
        with pytest.raises(ExportError, match="holds no samples"):
            export_session(empty, tmp_path / f"e.{fmt}", format=fmt)
    with pytest.raises(ExportError, match="no predictions"):
        export_session(empty, tmp_path / "p.csv", format="predictions")
    for err in (ExportError, SessionError, ConfigError):
        assert issubclass(err, BCIError)


def test_unwritable_destination_leaves_nothing(sim_session, tmp_path):
    """A write that fails half-way (file size limit, as on a full disk) is a clear error."""
    resource = pytest.importorskip("resource")
    import signal

    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, hard))
    try:
        with pytest.raises(ExportError, match=r"Cannot write .*s.edf.*disk has room"):
            export_session(sim_session, tmp_path / "s.edf")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert list(tmp_path.iterdir()) == []
