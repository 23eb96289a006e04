"""An LSL stream through the stream session, with real pylsl outlets and inlets in this
process: predictions come out, markers other programs send land in the recording at their
sample (with their text), the app's own outlets carry the right metadata and data, and a
sender that stops and comes back is a lost device that reconnects with one gap."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from bci_desktop.core.lsl.discovery import StreamQuery, own_source_id
from bci_desktop.core.lsl.library import pylsl_module
from bci_desktop.core.lsl.outlets import PREDICTION_EXTRAS
from bci_desktop.core.recording import read_session
from bci_desktop.core.session import (
    LslSpec,
    MarkerReceived,
    RecordRequest,
    SessionOptions,
    StreamSession,
    Supervision,
)
from tests.core.lsl.publishers import FS, NAMES, Amplifier, marker_outlet, unique

pytestmark = pytest.mark.slow


def _drive(session: StreamSession, amp: Amplifier, seconds: float, every=None) -> None:
    """Publish and poll for ``seconds`` (the way the command line's loop does)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        amp.push_due()
        session.poll()
        if every is not None:
            every()
        time.sleep(0.01)


def _inlet(source_id: str):
    pylsl = pylsl_module()
    found = pylsl.resolve_byprop("source_id", source_id, 1, 10.0)
    assert found, f"no outlet with source id {source_id}"
    inlet = pylsl.StreamInlet(found[0], recover=False)
    inlet.open_stream(5.0)
    return inlet


def test_lsl_stream_markers_predictions_and_outlets(tmp_path):
    pylsl = pylsl_module()
    name, source_id = unique("Amp"), unique("amp")
    amp = Amplifier(name, source_id)
    sender = unique("Experiment")  # a text and an integer marker stream of one name
    stim = marker_outlet(sender, unique("stim"))
    trig = marker_outlet(sender, unique("trig"), numeric=True)
    messages: list = []
    session = StreamSession(
        LslSpec(StreamQuery(source_id=source_id)),
        SessionOptions(
            record=RecordRequest(folder=str(tmp_path)),
            lsl_outlets=True,
            lsl_markers=True,
            lsl_marker_query=StreamQuery(name=sender),  # not other tests' marker streams
        ),
        on_message=messages.append,
    )
    amp.push_due()
    session.start()
    try:
        source = f"LSL {name}"
        eeg_in = _inlet(own_source_id(source, "eeg"))
        marker_in = _inlet(own_source_id(source, "markers"))
        _drive(session, amp, 3.0)  # the marker streams are found, their clocks measured
        sent: list[tuple[int, str, float]] = []
        # Markers for samples already sent (they arrive late) and for samples to come.
        for k_ahead, text in ((-12, "face"), (25, "house, left"), (-3, 'say "hi"')):
            k = amp.k + k_ahead
            stim.push_sample([text], amp.time_of(k))
            sent.append((k, text, 0.0))
            _drive(session, amp, 0.6)
        k = amp.k + 10
        trig.push_sample([7], amp.time_of(k))
        sent.append((k, "", 7.0))
        session.insert_marker(5.0)
        _drive(session, amp, 0.6)
        pred_in = _inlet(own_source_id(source, "predictions-") + _predictions_suffix(session))
        _drive(session, amp, 5.0)
        status = session.status()
        eeg_rows, eeg_stamps = eeg_in.pull_chunk(0.0, 100_000, as_numpy=True)
        mark_values, _ = marker_in.pull_chunk(0.0, 100)
        preds, _ = pred_in.pull_chunk(0.0, 1000, as_numpy=True)
        eeg_info, pred_info, mark_info = eeg_in.info(2.0), pred_in.info(2.0), marker_in.info(2.0)
    finally:
        final = session.stop()
        del stim, trig

    # Predictions came out, from this stream, with the latency from the LSL time stamp.
    assert status.predictions > 0 and status.predictions > status.withheld
    assert math.isfinite(status.source_latency_p50_ms)
    data = read_session(final.folder)
    made = [p for p in data.predictions if p["label"] is not None]
    assert made and all("source_latency_ms" in p for p in made)

    # Every marker is in the recording on its sample (the Counter channel numbers them).
    counter = np.asarray(data.samples[[r.name for r in data.meta.rows].index("Counter")])
    by_text = {m.text: m for m in data.markers if m.text}
    for k, text, value in sent:
        m = by_text[text] if text else next(m for m in data.markers if m.value == value)
        assert abs(counter[m.sample] - k) <= 1, (text, value, counter[m.sample], k)
        assert m.text == text
    assert [by_text[t].value for t in ("face", "house, left", 'say "hi"')] == [-1.0, -2.0, -3.0]
    received = [m for m in messages if isinstance(m, MarkerReceived)]
    assert {m.text for m in received} >= {"face", "house, left", 'say "hi"'}
    assert any(m.late for m in received) and any(not m.late for m in received)

    # The app's EEG outlet: metadata, and each sample at its sender's time stamp.
    assert (eeg_info.name(), eeg_info.type(), eeg_info.nominal_srate()) == (
        "BCI-Desktop-EEG", "EEG", FS,
    )  # fmt: skip
    assert eeg_info.get_channel_labels() == list(NAMES)
    assert set(eeg_info.get_channel_types()) == {"EEG"}
    assert set(eeg_info.get_channel_units()) == {"microvolts"}
    assert eeg_info.source_id() == own_source_id(source, "eeg")
    index = {v: k for k, v in enumerate(amp.sent_fz)}
    pairs = zip(eeg_rows[:, 0].tolist(), eeg_stamps, strict=True)
    matched = [(index[v], t) for v, t in pairs if v in index]
    assert len(matched) > 0.9 * len(eeg_stamps) > 500
    errors = np.array([t - amp.time_of(k) for k, t in matched])
    assert np.abs(errors).max() < 1.0 / FS

    # The predictions outlet: classes, confidence and latencies, described.
    classes = made[0]["probabilities"].keys()
    labels = pred_info.get_channel_labels()
    assert labels == [*classes, *(e[0] for e in PREDICTION_EXTRAS)]
    assert pred_info.type() == "Predictions" and pred_info.nominal_srate() == 0
    desc = pred_info.desc()
    listed, node = [], desc.child("classes").child("class")
    while not node.empty():
        listed.append(node.first_child().value())
        node = node.next_sibling("class")
    assert listed == list(classes)
    assert desc.child_value("model") == made[0]["model"]
    n_cls = len(listed)
    ok = ~np.isnan(preds[:, 0])
    assert ok.any()
    assert np.allclose(preds[ok, :n_cls].sum(axis=1), 1.0, atol=1e-4)
    assert (preds[:, n_cls + 1] > 0).all()  # per-inference latency (ms)

    # The markers outlet: text, irregular, the marker the user inserted.
    assert (mark_info.type(), mark_info.channel_format(), mark_info.nominal_srate()) == (
        "Markers", pylsl.cf_string, 0.0,
    )  # fmt: skip
    assert ["5"] in mark_values


def _predictions_suffix(session: StreamSession) -> str:
    """The predictions outlet's source id ends with a digest of the classes."""
    import hashlib

    classes = session.engine.primary_model.classes
    return hashlib.sha1("|".join(classes).encode()).hexdigest()[:8]


def test_a_sender_that_stops_and_comes_back_is_one_gap(tmp_path):
    name, source_id = unique("Amp"), unique("amp")
    amp = Amplifier(name, source_id)
    session = StreamSession(
        LslSpec(StreamQuery(name=name)),
        SessionOptions(
            record=RecordRequest(folder=str(tmp_path)),
            supervision=Supervision(stall_timeout_s=1.0),
        ),
    )
    amp.push_due()
    session.start()
    try:
        _drive(session, amp, 3.0)
        amp.close()  # the sender quits
        _drive(session, amp, 2.5)
        lost = session.state.name
        amp.open()  # and starts again: a new outlet, same name and source id
        deadline = time.monotonic() + 30
        while session.state.name != "STREAMING" and time.monotonic() < deadline:
            _drive(session, amp, 0.5)
        _drive(session, amp, 2.0)
        gaps = session.gaps.gaps
    finally:
        final = session.stop()
    assert lost == "SIGNAL_LOST"
    assert gaps == 1
    data = read_session(final.folder)
    kinds = [e["kind"] for e in data.events]
    assert kinds.count("gap") == 1
    assert kinds.count("signal_lost") == 1 and kinds.count("reconnected") == 1
    counter = np.asarray(data.samples[[r.name for r in data.meta.rows].index("Counter")])
    steps = np.flatnonzero(np.diff(counter) != 1)
    assert steps.size == 1  # one break, where the sender was away; every sample else in order
    gap = next(e for e in data.events if e["kind"] == "gap")
    assert gap["sample"] == steps[0] + 1
    assert counter[-1] > counter[steps[0] + 1] + FS  # it streamed again after the gap


def test_a_sender_that_skips_samples_is_one_gap_and_markers_stay_on_their_samples(tmp_path):
    # liblsl's proc_dejitter would smooth this break away (and shift the time stamps after
    # it by its length): the source's own dejitter keeps it.
    name = unique("Amp")
    amp = Amplifier(name, unique("amp"))
    stim_id = unique("stim")
    stim = marker_outlet(unique("Stim"), stim_id)
    session = StreamSession(
        LslSpec(StreamQuery(name=name)),
        SessionOptions(
            record=RecordRequest(folder=str(tmp_path)),
            lsl_markers=True,
            lsl_marker_query=StreamQuery(source_id=stim_id),
        ),
    )
    amp.push_due()
    session.start()
    try:
        _drive(session, amp, 3.0)
        end = time.monotonic() + 0.8
        while time.monotonic() < end:  # the sender drops 0.8 s of samples, outlet open
            session.poll()
            time.sleep(0.01)
        skipped = amp.skip_to_now()
        _drive(session, amp, 1.0)
        k = amp.k - 10
        stim.push_sample(["after the break"], amp.time_of(k))
        _drive(session, amp, 1.5)
        gaps = (session.gaps.gaps, session.gaps.dropped)
    finally:
        final = session.stop()
    assert gaps[0] == 1 and abs(gaps[1] - skipped) <= 2
    data = read_session(final.folder)
    assert [e["kind"] for e in data.events] == ["gap"]
    counter = np.asarray(data.samples[[r.name for r in data.meta.rows].index("Counter")])
    marker = next(m for m in data.markers if m.text == "after the break")
    assert abs(counter[marker.sample] - k) <= 1


def test_bursty_arrival_is_one_stream_with_regular_time_stamps(tmp_path):
    name, source_id = unique("Amp"), unique("amp")
    amp = Amplifier(name, source_id, chunk=60)  # 0.24 s bursts, like a Bluetooth amplifier
    session = StreamSession(
        LslSpec(StreamQuery(name=name, type="eeg")),
        SessionOptions(record=RecordRequest(folder=str(tmp_path))),
    )
    amp.push_due()
    session.start()
    try:
        _drive(session, amp, 6.0)
        gaps = session.gaps.gaps
    finally:
        final = session.stop()
    assert gaps == 0
    data = read_session(final.folder)
    counter = np.asarray(data.samples[[r.name for r in data.meta.rows].index("Counter")])
    assert (np.diff(counter) == 1).all() and data.n_samples > 3 * FS
    steps = np.diff(data.timestamps)
    assert np.abs(steps - 1 / FS).max() < 0.2 / FS  # dejittered to the nominal rate
