"""pylsl off the main thread, under load: the window drives its stream session from a worker
thread (and soon a child process), so the session's inlet, outlets, marker inlets and
resolver live on that thread, while this (main) thread publishes, resolves and reads the
app's outlets, and two more threads keep both cores busy. pylsl's notes report crashes
when it is called from other threads on Linux: this test is the check."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bci_desktop.core.lsl.discovery import LslDirectory, StreamQuery, own_source_id
from bci_desktop.core.lsl.library import pylsl_module
from bci_desktop.core.recording import read_session
from bci_desktop.core.session import (
    LslSpec,
    RecordRequest,
    SessionOptions,
    StreamSession,
    Supervision,
)
from tests.core.lsl.publishers import Amplifier, marker_outlet, unique

pytestmark = pytest.mark.slow


def _burn(stop: threading.Event) -> None:
    a = np.random.default_rng(0).normal(size=(200, 200))
    while not stop.is_set():
        a = np.tanh(a @ a.T / 200.0)


def test_a_session_on_a_worker_thread_under_load(tmp_path):
    pylsl = pylsl_module()
    name, source_id = unique("Amp"), unique("amp")
    amp = Amplifier(name, source_id)
    stim_id = unique("stim")
    stim = marker_outlet(unique("Stim"), stim_id)
    stop = threading.Event()
    failures: list[BaseException] = []
    result: dict = {}

    def drive() -> None:  # the worker thread owns every pylsl object of the session
        try:
            session = StreamSession(
                LslSpec(StreamQuery(source_id=source_id)),
                SessionOptions(
                    record=RecordRequest(folder=str(tmp_path)),
                    lsl_outlets=True,
                    lsl_markers=True,
                    lsl_marker_query=StreamQuery(source_id=stim_id),
                    supervision=Supervision(stall_timeout_s=1.0),
                ),
            )
            session.start()
            result["started"] = True
            while not stop.is_set():
                if not session.poll():
                    time.sleep(0.002)
            result["gaps"] = session.gaps.gaps
            result["final"] = session.stop()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which fails
            failures.append(exc)

    burners = [threading.Thread(target=_burn, args=(stop,), daemon=True) for _ in range(2)]
    for b in burners:
        b.start()
    amp.push_due()
    worker = threading.Thread(target=drive, name="session-worker")
    worker.start()
    directory = LslDirectory()
    inlet, seen, sent = None, 0, 0
    start = time.monotonic()
    next_marker = start + 3.0
    reopened = False
    try:
        while time.monotonic() - start < 14 and not failures:
            amp.push_due()
            elapsed = time.monotonic() - start
            if result.get("started") and inlet is None:
                found = pylsl.resolve_byprop(
                    "source_id", own_source_id(f"LSL {name}", "eeg"), 1, 5.0
                )
                inlet = pylsl.StreamInlet(found[0], recover=True)
            if inlet is not None:
                _, stamps = inlet.pull_chunk(0.0, 1024, as_numpy=True)
                seen += len(stamps)
            if 4.0 < elapsed < 4.3 and amp.outlet is not None:
                amp.close()  # the sender stops while everything runs...
            if elapsed > 6.5 and not reopened:
                amp.open()  # ...and comes back
                reopened = True
            if time.monotonic() >= next_marker and elapsed < 12:
                stim.push_sample([f"m{sent}"], pylsl.local_clock())
                sent += 1
                next_marker += 0.2
            directory.streams()
            time.sleep(0.005)
    finally:
        stop.set()
        worker.join(60)
        for b in burners:
            b.join(10)
    assert not failures, failures
    assert not worker.is_alive()
    assert seen > 1000
    assert result["gaps"] == 1
    data = read_session(result["final"].folder)
    counter = np.asarray(data.samples[[r.name for r in data.meta.rows].index("Counter")])
    assert np.flatnonzero(np.diff(counter) != 1).size == 1  # only the sender's absence
    texts = [m.text for m in data.markers]
    assert sent > 30 and texts == [f"m{i}" for i in range(sent)]  # each once, in order
