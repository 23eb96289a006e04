"""The recording issue's round trip, literally: 60 s recorded from BrainFlow's real
synthetic board by the app's recorder, exported to EDF+ and BDF+, read back by MNE."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.recording import RecordingTap, SessionRecorder, read_session
from bci_desktop.core.recording.export import export_session
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.brainflow_source import BrainFlowSource

mne = pytest.importorskip("mne")
MARK_AT = (10.0, 25.0, 40.0, 55.0)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    source = BrainFlowSource("synthetic")
    engine = Engine(source.info, config=EngineConfig())
    recorder = SessionRecorder.create(
        tmp_path_factory.mktemp("rec"), source.info, subject="S60", layout_board_id=-1
    )
    tap = RecordingTap(recorder)
    runner = StreamRunner(source, engine, duration_s=60.0, on_chunk=tap)
    stop = threading.Event()

    def markers() -> None:
        start = time.monotonic()
        for k, at in enumerate(MARK_AT, start=1):
            if stop.wait(max(0.0, at - (time.monotonic() - start))):
                return
            source.insert_marker(float(k))

    thread = threading.Thread(target=markers, daemon=True)
    source.start()
    thread.start()
    try:
        runner.run(stop, started=True)
    finally:
        stop.set()
        thread.join(timeout=5)
        recorder.stop()
    return read_session(recorder.folder, mmap=False)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["edf", "bdf"])
def test_sixty_seconds_of_synthetic_board_round_trip_through_mne(session, tmp_path, fmt):
    assert session.n_samples == 60 * 250
    assert [m.value for m in session.markers] == [1.0, 2.0, 3.0, 4.0]
    out = export_session(session.path, tmp_path / f"s.{fmt}", format=fmt)
    reader = mne.io.read_raw_bdf if fmt == "bdf" else mne.io.read_raw_edf
    raw = reader(out, preload=True, verbose="error")
    assert raw.n_times == session.n_samples  # 60 whole seconds: no padding
    assert raw.ch_names == list(session.meta.eeg_names)
    assert set(raw.get_channel_types()) == {"eeg"}
    got_uv = raw.get_data() * 1e6
    # one quantisation step per channel: physical range over digital range
    bits = 24 if fmt == "bdf" else 16
    span = session.eeg.max(axis=1) - session.eeg.min(axis=1)
    step = np.maximum(span, 1e-3) * 1.1 / (2**bits - 1)  # the export adds a small margin
    assert (np.abs(got_uv - session.eeg).max(axis=1) <= step * 1.01).all()
    onsets = {a["description"]: a["onset"] for a in raw.annotations}
    onsets = {k: v for k, v in onsets.items() if k.startswith("Marker")}
    assert sorted(onsets) == ["Marker 1", "Marker 2", "Marker 3", "Marker 4"]
    for m in session.markers:
        assert onsets[f"Marker {m.value:g}"] == pytest.approx(m.sample / 250.0, abs=1 / 250 + 1e-9)
