"""XDF files written in the test per the XDF 1.0 specification (read back by pyxdf): replay
puts the marker streams' markers on the right samples, with their text, across clock
offsets between the machines; export writes them as EDF+ annotations; bad files are one
clear error."""

from __future__ import annotations

import json

import mne
import numpy as np
import pytest

from bci_desktop.core.errors import SourceError
from bci_desktop.core.recording import read_session
from bci_desktop.core.recording.export import export_session
from bci_desktop.core.session import RecordRequest, ReplaySpec, SessionOptions, StreamSession
from bci_desktop.core.sources.replay import ReplaySource
from bci_desktop.core.sources.simulated import SYNTHETIC_MONTAGE, SimulatedSubject
from tests.core.lsl.xdf_writer import XdfStream, write_xdf
from tests.core.test_cli import cli

FS = 250.0
N = 2500  # 10 s
T0 = 5000.0  # the recording machine's LSL clock at the first sample
REMOTE = 120.0  # the stimulus machine's clock is this far ahead of the recorder's
MARKERS = ((300, "face"), (301, "house"), (1250, "3"), (2000, "face"))
TRIGGERS = ((800, 7), (1800, 9))


def _eeg() -> np.ndarray:
    subject = SimulatedSubject(speed=None, seed=3)
    subject.start()
    parts, n = [], 0
    while n < N:
        c = subject.read()
        parts.append(c.eeg)
        n += c.n_samples
    return np.hstack(parts)[:, :N]


@pytest.fixture(scope="module")
def xdf_file(tmp_path_factory):
    eeg = _eeg()  # microvolts
    stamps = T0 + np.arange(N) / FS + np.random.default_rng(0).normal(0, 2e-4, N)  # jitter
    amp = XdfStream(
        1, "Amp", "EEG", "float32", FS, (eeg.T * 1e-6).astype(np.float32), stamps,
        labels=list(SYNTHETIC_MONTAGE), units=["volts"] * 16, types=["EEG"] * 16,
        clock_offsets=[(T0, 0.0), (T0 + 5, 0.0)],
    )  # fmt: skip
    # The stimulus machine stamped with its own clock; LabRecorder stored the offsets.
    stim = XdfStream(
        2, "PsychoPy", "Markers", "string", 0, [[text] for _, text in MARKERS],
        np.array([T0 + k / FS + REMOTE for k, _ in MARKERS]),
        clock_offsets=[(T0 + REMOTE, -REMOTE), (T0 + 5 + REMOTE, -REMOTE)],
    )  # fmt: skip
    trig = XdfStream(
        3, "Trigger", "Markers", "int32", 0, np.array([[v] for _, v in TRIGGERS]),
        np.array([T0 + k / FS for k, _ in TRIGGERS]),
    )  # fmt: skip
    path = tmp_path_factory.mktemp("xdf") / "session.xdf"
    write_xdf(path, [amp, stim, trig])
    return path, eeg


def test_replay_puts_markers_on_their_samples_with_their_text(xdf_file):
    path, eeg = xdf_file
    source = ReplaySource(path, speed=None)
    assert source.kind == "xdf"
    assert source.info.channel_names == tuple(SYNTHETIC_MONTAGE)
    source.start()
    got, texts, samples, pos = {}, {}, [], 0
    while (chunk := source.read()) is not None:
        for i in np.flatnonzero(chunk.markers):
            got[pos + int(i)] = float(chunk.markers[i])
        texts.update({pos + m.index: m.text for m in chunk.marker_texts})
        samples.append(chunk.eeg)
        pos += chunk.n_samples
    assert np.allclose(np.hstack(samples), eeg, rtol=1e-5, atol=1e-3)  # volts -> microvolts
    # Two markers one sample apart stay apart; text markers keep their text; "3" is 3.
    assert got == {300: -1.0, 301: -2.0, 1250: 3.0, 2000: -1.0, 800: 7.0, 1800: 9.0}
    assert texts == {300: "face", 301: "house", 2000: "face"}


def test_a_replayed_xdf_records_its_markers_with_their_text(xdf_file, tmp_path):
    path, _ = xdf_file
    session = StreamSession(
        ReplaySpec(path, speed=None),
        SessionOptions(record=RecordRequest(folder=str(tmp_path))),
    )
    session.start()
    session.run(lambda: False)
    final = session.stop()
    data = read_session(final.folder)
    assert [(m.sample, m.value, m.text) for m in data.markers] == [
        (300, -1.0, "face"), (301, -2.0, "house"), (800, 7.0, ""), (1250, 3.0, ""),
        (1800, 9.0, ""), (2000, -1.0, "face"),
    ]  # fmt: skip


def test_export_writes_xdf_markers_as_edf_annotations(xdf_file, tmp_path):
    path, eeg = xdf_file
    out = export_session(path, tmp_path / "x.edf", format="edf")
    raw = mne.io.read_raw_edf(out, preload=True, verbose=False)
    assert raw.ch_names == list(SYNTHETIC_MONTAGE)
    assert np.allclose(raw.get_data()[:, :N] * 1e6, eeg, atol=0.5)
    found = [(round(a["onset"] * FS), a["description"]) for a in raw.annotations]
    assert found == [
        (300, "face"), (301, "house"), (800, "Marker 7"), (1250, "Marker 3"),
        (1800, "Marker 9"), (2000, "face"),
    ]  # fmt: skip


def test_cli_export_and_replay_of_an_xdf_file(xdf_file, tmp_path):
    path, _ = xdf_file
    out = tmp_path / "x.csv"
    done = cli("export", str(path), "--format", "csv", "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = np.loadtxt(out, delimiter="\t")  # the synthetic board's layout: markers in row 31
    assert sorted(np.flatnonzero(rows[:, 31]).tolist()) == [300, 301, 800, 1250, 1800, 2000]
    done = cli("replay", str(path), "--speed", "max", "--jsonl", "-", "-q")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines and all("latency_ms" in p for p in lines)
    bad = cli("replay", str(tmp_path / "missing.xdf"))
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "content, problem",
    [
        pytest.param(b"XDF:" + b"\x01\x05\x00\x00", "holds no EEG stream.*no streams", id="empty"),
        pytest.param(b"not an xdf file at all", "Cannot read", id="not-xdf"),
    ],
)
def test_a_damaged_xdf_file_is_one_clear_error(tmp_path, content, problem):
    path = tmp_path / "bad.xdf"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=problem):
        ReplaySource(path)


def test_a_file_cut_short_replays_what_it_holds(xdf_file, tmp_path):
    path, eeg = xdf_file
    raw = path.read_bytes()
    cut = tmp_path / "cut.xdf"
    cut.write_bytes(raw[: int(len(raw) * 0.6)])  # LabRecorder killed mid-recording
    source = ReplaySource(cut, speed=None)
    source.start()
    chunks = []
    while (chunk := source.read()) is not None:
        chunks.append(chunk)
    got = np.hstack([c.eeg for c in chunks])
    assert 0.4 * N < got.shape[1] < N
    assert np.allclose(got, eeg[:, : got.shape[1]], rtol=1e-5, atol=1e-3)


def test_an_xdf_file_without_eeg_says_what_it_has(tmp_path):
    only_markers = XdfStream(1, "PsychoPy", "Markers", "string", 0, [["a"]], np.array([1.0]))
    path = write_xdf(tmp_path / "m.xdf", [only_markers])
    with pytest.raises(SourceError, match=r"no EEG stream.*PsychoPy \(Markers\)"):
        ReplaySource(path)


def test_a_replayed_xdf_can_be_published_on_lsl(xdf_file):
    from bci_desktop.core.lsl.discovery import own_source_id
    from bci_desktop.core.lsl.library import pylsl_module

    pylsl = pylsl_module()
    path, _ = xdf_file
    session = StreamSession(ReplaySpec(path, speed=None), SessionOptions(lsl_outlets=True))
    session.start()
    source = session.info.source_name
    inlets = {}
    for kind in ("eeg", "markers"):
        found = pylsl.resolve_byprop("source_id", own_source_id(source, kind), 1, 10.0)
        inlets[kind] = pylsl.StreamInlet(found[0], recover=False)
        inlets[kind].open_stream(5.0)
    session.run(lambda: False)
    # Let liblsl deliver what was pushed, then read everything (markers are sent as text).
    markers, eeg = [], 0
    for _ in range(200):
        got, _stamps = inlets["markers"].pull_chunk(0.2, 100)
        markers += [m[0] for m in got]
        _, stamps = inlets["eeg"].pull_chunk(0.0, 10_000, as_numpy=True)
        eeg += len(stamps)
        if eeg >= N and len(markers) >= 6:
            break
    session.stop()
    assert eeg == N
    assert markers == ["face", "house", "7", "3", "9", "face"]
