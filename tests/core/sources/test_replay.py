"""Replay of sessions, BrainFlow files and EDF/BDF files through the same pipeline."""

from __future__ import annotations

import dataclasses

import edfio
import mne
import numpy as np
import pytest
from brainflow.data_filter import DataFilter

import bci_desktop.core.sources.replay as replay_mod
from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import ConfigError, SourceError
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.inference.novelty import UNRELIABLE
from bci_desktop.core.recording.export import export_session, merged_markers
from bci_desktop.core.recording.session import STATUS_COMPLETE, SessionMeta, read_session
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.sources.brainflow_source import BrainFlowSource
from bci_desktop.core.sources.replay import ReplaySource
from bci_desktop.core.sources.replay_files import load_recording
from bci_desktop.core.sources.simulated import STATES
from tests.core.recording.sessionfiles import STARTED, record_simulated, write_session

FS = 250
N = 14_937  # 59.748 s: not whole seconds, so the EDF export pads its last record


@pytest.fixture(scope="module")
def model() -> EmotionModel:
    return EmotionModel.load(default_model_path())


@pytest.fixture(scope="module")
def session(tmp_path_factory, model):
    folder = tmp_path_factory.mktemp("replay") / "session"
    return record_simulated(
        folder, 60.0, model=model, seed=11, marker_times=(3.0, 21.5, 44.04), keep=N
    )


@pytest.fixture(scope="module")
def edf_file(session, tmp_path_factory):
    return export_session(session, tmp_path_factory.mktemp("edf") / "s.edf")


def _play(source: ReplaySource):
    """Read a speed-None replay to its end; return the concatenated chunks."""
    chunks = []
    with source:
        while not source.finished:
            chunk = source.read()
            assert chunk is not None
            chunks.append(chunk)
        assert source.read() is None
    return chunks


def _cat(chunks, name):
    values = [getattr(c, name) for c in chunks]
    return np.concatenate(values, axis=-1)


def _labels(source: ReplaySource, model: EmotionModel, **config):
    engine = Engine(source.info, model=model, config=EngineConfig(**config))
    with source:
        preds = []
        while not source.finished:
            preds += engine.process(source.read()).predictions
    return preds


# ------------------------------------------------------------------------------ sessions
def test_session_at_full_speed_gives_every_sample_marker_and_truth(session):
    data = read_session(session)
    source = ReplaySource(session, speed=None, chunk_s=0.02)
    assert source.kind == "session"
    assert source.info.channel_names == data.meta.eeg_names
    assert source.info.states == STATES
    assert source.duration_s == pytest.approx(N / FS)
    assert not source.realtime
    chunks = _play(source)
    assert {c.n_samples for c in chunks[:-1]} == {5}
    assert np.array_equal(_cat(chunks, "eeg"), data.eeg)
    assert np.array_equal(_cat(chunks, "timestamps"), data.timestamps)
    markers = _cat(chunks, "markers")
    assert (
        [(int(i), markers[i]) for i in np.flatnonzero(markers)]
        == [(m.sample, m.value) for m in merged_markers(data)]
        == [(750, 1.0), (5375, 2.0), (11010, 3.0)]
    )
    truth = _cat(chunks, "truth")
    assert np.array_equal(truth, data.samples[data.meta.truth_row].astype(np.int16))
    assert set(np.unique(truth)) == {0, 1, 2, 3}
    assert all(c.board_data is None for c in chunks)


def test_session_replay_reproduces_the_live_predictions(session, model):
    live = read_session(session).predictions
    replayed = _labels(ReplaySource(session, speed=None), model)
    assert len(replayed) == len(live) == 223
    for p, d in zip(replayed, live, strict=True):
        assert p.t == pytest.approx(d["t"], abs=1e-6)
        assert p.label == d["label"]
        assert p.truth == d["truth"]
        assert p.probabilities == pytest.approx(list(d["probabilities"].values()), abs=2e-6)


def test_brainflow_layout_session_carries_board_rows(session, tmp_path):
    """A session recorded from a BrainFlow board replays its rows as board_data."""
    data = read_session(session)
    csv = export_session(session, tmp_path / "s.csv", format="csv")
    rows = DataFilter.read_file(str(csv))
    info = BrainFlowSource("synthetic").info
    meta = SessionMeta(
        source_name="Synthetic", sample_rate=FS, rows=info.board_rows, eeg_rows=info.eeg_rows,
        timestamp_row=30, marker_row=31, started=STARTED, status=STATUS_COMPLETE,
        board_id=-1, layout_board_id=-1,
    )  # fmt: skip
    folder = write_session(tmp_path / "bf", meta, rows)
    source = ReplaySource(folder, speed=None, chunk_s=1.0)
    assert source.info.board_id == -1
    assert source.info.board_rows == info.board_rows
    assert source.info.timestamp_row == 30 and source.info.marker_row == 31
    chunks = _play(source)
    board = _cat(chunks, "board_data")
    assert np.array_equal(board, rows)
    assert np.abs(_cat(chunks, "eeg") - data.eeg).max() <= 5.0001e-7
    assert np.array_equal(_cat(chunks, "markers"), rows[31])
    assert all(c.truth is None for c in chunks)


# ------------------------------------------------------------------------------ BrainFlow CSV
def test_brainflow_csv(session, tmp_path):
    data = read_session(session)
    csv = export_session(session, tmp_path / "s.csv", format="csv")
    source = ReplaySource(csv, speed=None, master_board="synthetic", chunk_s=0.1)
    assert source.kind == "brainflow"
    assert source.info.channel_names[:3] == ("Fz", "C3", "Cz")
    chunks = _play(source)
    assert np.abs(_cat(chunks, "eeg") - data.eeg).max() <= 5.0001e-7
    assert np.abs(_cat(chunks, "timestamps") - data.timestamps).max() <= 5.0001e-7
    assert np.array_equal(_cat(chunks, "markers"), data.samples[data.meta.marker_row])
    assert _cat(chunks, "board_data").shape == (32, N)

    with pytest.raises(SourceError, match="32 values per line, but board 'cyton' has 24 rows"):
        ReplaySource(csv, master_board="cyton")
    with pytest.raises(ConfigError, match="Unknown board 'nope'"):
        ReplaySource(csv, master_board="nope")


# ------------------------------------------------------------------------------ EDF / BDF
@pytest.mark.parametrize("fmt", ["edf", "bdf"])
def test_exported_edf_equals_the_session_within_quantisation(session, tmp_path, fmt):
    data = read_session(session)
    out = export_session(session, tmp_path / f"s.{fmt}", format=fmt)
    rec = (edfio.read_bdf if fmt == "bdf" else edfio.read_edf)(out)
    step = np.array([(s.physical_max - s.physical_min) / (s.digital_max - s.digital_min)
                     for s in rec.signals])  # fmt: skip
    assert rec.signals[0].data.size == N  # records that divide the samples: no padding
    source = ReplaySource(out, speed=None)
    assert source.kind == fmt
    assert source.n_samples == N
    assert source.info.channel_names == data.meta.eeg_names
    chunks = _play(source)
    err = np.abs(_cat(chunks, "eeg") - data.eeg).max(axis=1)
    assert np.all(err <= step * 1.0001)
    markers = _cat(chunks, "markers")
    assert [(int(i), markers[i]) for i in np.flatnonzero(markers)] == [
        (m.sample, m.value) for m in merged_markers(data)
    ]
    ts = _cat(chunks, "timestamps")
    assert np.allclose(np.diff(ts), 1 / FS, rtol=0, atol=1e-6)
    # EDF has no time zone: the recorded wall clock (09:26:53, to the second) is read as UTC
    assert ts[0] == 1741944413.0


def test_exported_edf_through_the_engine_gives_the_live_labels(session, edf_file, model):
    live = read_session(session).predictions
    replayed = _labels(ReplaySource(edf_file, speed=None), model)
    assert len(replayed) == len(live) == 223
    same = sum(p.label == d["label"] for p, d in zip(replayed, live, strict=True))
    assert same / len(live) >= 0.99
    assert {p.label for p in replayed} >= {"calm", "stressed"}


def test_edf_from_another_system(tmp_path, model):
    """Clinical-style labels, mV units, non-EEG signals, another rate, annotations."""
    rng = np.random.default_rng(8)
    n = 10 * FS
    eeg_names = ["F7", "F3", "F4", "F8", "C3", "C4", "Pz", "Oz", "Fp1"]
    eeg = rng.normal(0, 20e-3, (len(eeg_names), n))  # mV
    signals = [
        edfio.EdfSignal(x, FS, label=f"EEG {name}-REF", physical_dimension="mV")
        for name, x in zip(eeg_names, eeg, strict=True)
    ]
    signals.append(edfio.EdfSignal(rng.normal(0, 1, n), FS, label="ECG", physical_dimension="mV"))
    signals.append(edfio.EdfSignal(rng.normal(0, 1, n), FS, label="Resp", physical_dimension=""))
    signals.append(edfio.EdfSignal(rng.normal(0, 1, 2 * n), 2 * FS, label="EEG O1-REF",
                                   physical_dimension="uV"))  # fmt: skip
    anns = [edfio.EdfAnnotation(1.5, None, "Marker 2"), edfio.EdfAnnotation(2.0, 1.0, "T1"),
            edfio.EdfAnnotation(7.004, None, "marker 7")]  # fmt: skip
    path = tmp_path / "clinic.EDF"
    edfio.Edf(signals, annotations=anns).write(path)

    source = ReplaySource(path, speed=None, chunk_s=1.0)
    assert source.info.channel_names == tuple(f"EEG {x}-REF" for x in eeg_names)
    assert source.info.description["not_replayed"] == ["ECG", "Resp", "EEG O1-REF"]
    chunks = _play(source)
    got = _cat(chunks, "eeg")
    step_uv = np.array([(s.physical_max - s.physical_min) / 65535 for s in signals[:9]]) * 1e3
    assert np.all(np.abs(got - eeg * 1e3).max(axis=1) <= step_uv * 1.0001)  # mV -> uV
    markers = _cat(chunks, "markers")
    assert {int(i): markers[i] for i in np.flatnonzero(markers)} == {375: 2.0, 1751: 7.0}

    # the engine maps "EEG F7-REF" to the model's F7 and scores every window; white noise is
    # not EEG, so the windows are withheld as unreliable (never for missing channels)
    preds = _labels(ReplaySource(path, speed=None), model)
    assert len(preds) == 25 and all(p.novelty is not None for p in preds)
    assert all(p.withheld is None or p.withheld.startswith(UNRELIABLE) for p in preds)


def test_edf_made_by_mne_without_the_model_channels(tmp_path, model):
    rng = np.random.default_rng(2)
    info = mne.create_info(["Fp1", "Fp2", "O1", "O2"], FS, "eeg")
    raw = mne.io.RawArray(rng.normal(0, 20e-6, (4, 8 * FS)), info, verbose="error")
    raw.set_annotations(mne.Annotations([2.0], [0.0], ["Marker 5"]))
    path = tmp_path / "mne.edf"
    mne.export.export_raw(path, raw, fmt="edf", verbose="error")

    source = ReplaySource(path, speed=None)
    assert source.info.channel_names == ("Fp1", "Fp2", "O1", "O2")
    chunks = _play(source)
    assert np.allclose(_cat(chunks, "eeg"), raw.get_data() * 1e6, atol=0.01)
    assert np.flatnonzero(_cat(chunks, "markers")).tolist() == [500]
    # shown anyway, with every prediction withheld and the reason given
    preds = _labels(ReplaySource(path, speed=None), model, strict_channels=False)
    assert preds and all(p.label is None for p in preds)
    assert "needs channels F7, F3, F4, F8, C3, C4, Pz, Oz" in preds[0].withheld


# ------------------------------------------------------------------------------ pace, pause, seek
class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


def test_real_time_and_faster_pacing(session, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(replay_mod, "time", clock)
    source = ReplaySource(session, speed=1.0)
    assert source.realtime
    source.start()
    assert source.read() is None  # nothing is due yet
    clock.now += 0.1
    assert source.read().n_samples == 25
    clock.now += 1.0
    assert source.read().n_samples == 250
    clock.now += 100.0  # the reader stalled: at most 2 s, then the clock slips
    assert source.read().n_samples == 500
    assert source.read() is None
    clock.now += 0.02
    assert source.read().n_samples == 5
    source.stop()

    fast = ReplaySource(session, speed=10.0)
    fast.start()
    clock.now += 0.1
    assert fast.read().n_samples == 250
    fast.stop()


def test_pause_resume_seek_and_markers(session, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(replay_mod, "time", clock)
    data = read_session(session)
    source = ReplaySource(session, speed=1.0)
    source.start()
    clock.now += 1.0
    assert source.read().n_samples == 250
    source.pause()
    assert source.paused
    clock.now += 5.0
    assert source.read() is None  # paused: nothing, and no catching up afterwards
    source.resume()
    clock.now += 0.2
    chunk = source.read()
    assert chunk.n_samples == 50
    assert np.array_equal(chunk.eeg, data.eeg[:, 250:300])
    assert not chunk.gap_before  # a pause does not break the stream
    assert source.position_s == pytest.approx(1.2)

    source.seek(30.0)
    assert source.seeks == 1
    source.insert_marker(9)
    clock.now += 0.04
    chunk = source.read()
    assert np.array_equal(chunk.eeg, data.eeg[:, 7500:7510])
    assert chunk.timestamps[0] == data.timestamps[7500]
    assert chunk.markers[0] == 9.0 and not chunk.markers[1:].any()
    assert chunk.gap_before  # the engine restarts its filters after a jump
    clock.now += 0.04
    assert not source.read().gap_before

    source.seek(1e6)  # clamped to the end
    assert source.finished and source.read() is None
    source.seek(-3)
    assert source.position_s == 0 and not source.finished
    source.stop()
    with pytest.raises(SourceError, match="not started"):
        source.read()
    with pytest.raises(ConfigError, match="'seconds'"):
        source.seek(float("nan"))
    with pytest.raises(ConfigError, match="marker"):
        source.insert_marker(0)


def test_seek_context_is_read_at_once_then_paced_from_the_position(session, monkeypatch):
    """A seek with context: the seconds before the position come at once, paused or not,
    contiguous and marked as a jump; then nothing until resumed, and pacing from the
    position (the transport shows the position throughout)."""
    clock = _Clock()
    monkeypatch.setattr(replay_mod, "time", clock)
    data = read_session(session)
    source = ReplaySource(session, speed=1.0)
    source.start()
    assert source.start_time == data.timestamps[0]
    source.pause()
    source.seek(30.0, context_s=3.0)
    assert source.position_s == 30.0
    chunks = []
    while (chunk := source.read()) is not None:
        chunks.append(chunk)
    assert chunks[0].gap_before and not any(c.gap_before for c in chunks[1:])
    eeg = np.concatenate([c.eeg for c in chunks], axis=1)
    np.testing.assert_array_equal(eeg, data.eeg[:, 6750:7500])
    assert source.position_s == 30.0 and source.paused
    clock.now += 5.0
    assert source.read() is None  # paused: nothing after the context
    source.resume()
    clock.now += 0.2
    chunk = source.read()
    np.testing.assert_array_equal(chunk.eeg, data.eeg[:, 7500:7550])
    source.seek(1.0, context_s=3.0)  # near the start: the context is what there is
    context = []
    while (chunk := source.read()) is not None:  # the clock stands still: context only
        context.append(chunk.eeg)
    np.testing.assert_array_equal(np.concatenate(context, axis=1), data.eeg[:, :250])
    with pytest.raises(ConfigError, match="'context_s'"):
        source.seek(1.0, context_s=-1.0)
    source.stop()


# ------------------------------------------------------------------------------ errors
def test_unreadable_files_raise_clear_errors(edf_file, tmp_path):
    whole = edf_file.read_bytes()
    half = tmp_path / "half.edf"
    half.write_bytes(whole[: len(whole) // 2])
    records = edfio.read_edf(edf_file).num_data_records  # 39 of 1.532 s: 14937 samples
    with pytest.raises(
        SourceError, match=rf"truncated.*announces {records} data records, it holds {records // 2}"
    ):
        ReplaySource(half)
    stub = tmp_path / "stub.edf"
    stub.write_bytes(whole[:100])
    with pytest.raises(SourceError, match="too short"):
        ReplaySource(stub)
    text = tmp_path / "notes.edf"
    text.write_text("this is not an EDF file\n" * 40)
    with pytest.raises(SourceError, match="not an EDF/BDF file"):
        ReplaySource(text)
    mat = tmp_path / "x.mat"
    mat.write_text("x")
    with pytest.raises(ConfigError, match=r"unknown file type '\.mat'"):
        ReplaySource(mat)
    with pytest.raises(SourceError, match="no such file"):
        ReplaySource(tmp_path / "missing.edf")

    wrong = tmp_path / "ten.csv"
    DataFilter.write_file(np.zeros((10, 50)), str(wrong), "w")
    with pytest.raises(SourceError, match="10 values per line, but board 'synthetic' has 32"):
        ReplaySource(wrong)
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(SourceError, match="as a BrainFlow file"):
        ReplaySource(garbage)
    # A number beyond double range: BrainFlow's own DataFilter.read_file aborts the process
    # on it (uncaught std::out_of_range); ours reads it as inf, which the engine flags.
    huge = tmp_path / "huge.csv"
    DataFilter.write_file(np.zeros((32, 20)), str(huge), "w")
    lines = huge.read_text().splitlines()
    lines[3] = lines[3].replace("0.000000", "1e999", 1)
    huge.write_text("\n".join(lines) + "\n")
    assert np.isinf(load_recording(huge, master_board="synthetic").samples).sum() == 1
    assert ReplaySource(huge, master_board="synthetic").kind == "brainflow"
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("\n".join([*lines[:5], "1.0\t2.0"]) + "\n")
    with pytest.raises(SourceError, match=r"ragged\.csv' as a BrainFlow file.*columns changed"):
        ReplaySource(ragged)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(SourceError, match=r"'empty\.csv': the file holds no samples"):
        ReplaySource(empty)

    not_session = tmp_path / "folder"
    not_session.mkdir()
    with pytest.raises(SourceError, match="not a session folder"):
        ReplaySource(not_session)


def test_empty_session_and_bad_options(session, tmp_path):
    meta = dataclasses.replace(read_session(session).meta, n_samples=0)
    empty = write_session(tmp_path / "empty", meta, np.zeros((len(meta.rows), 0)))
    with pytest.raises(SourceError, match="holds no samples"):
        ReplaySource(empty)
    for bad in (0, -1.0, float("inf"), "max", True):
        with pytest.raises(ConfigError, match="'speed'"):
            ReplaySource(session, speed=bad)
    with pytest.raises(ConfigError, match="'chunk_s'"):
        ReplaySource(session, chunk_s=0)
    tiny = ReplaySource(session, speed=None, chunk_s=0.001)  # under one sample: one sample
    tiny.start()
    assert tiny.read().n_samples == 1
