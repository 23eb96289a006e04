"""The acquisition process without Qt: the shared-memory ring, and a real child process
that streams, records, crashes (abort, segfault, exit), hangs, and is restarted."""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bci_desktop.core.acquisition import (
    ChildConfig,
    InsertMarker,
    ProcessHost,
    ProcessLost,
    StartRecording,
)
from bci_desktop.core.acquisition.ring import SampleRing
from bci_desktop.core.engine import EngineUpdate
from bci_desktop.core.recording import read_session
from bci_desktop.core.session import (
    ModelRequest,
    Notice,
    RecordingStatus,
    RecordRequest,
    SessionOptions,
    SimulatedSpec,
    StateChanged,
    StreamState,
)
from tests.faulty_sources import always_faulty, faulty_simulated
from tests.realtime import realtime_allowed


# -- the ring -----------------------------------------------------------------------------------
def test_ring_hands_over_every_sample_in_order_across_the_wrap():
    writer = SampleRing.create(3, 250.0)
    reader = SampleRing.attach(writer.name, 3, writer.capacity)
    try:
        rng = np.random.default_rng(0)
        sent, got = [], []
        total = 0
        for n in rng.integers(1, 400, 60):  # many wraps of a 2000-sample ring
            raw = rng.normal(size=(3, n))
            t = total + np.arange(n, dtype=float)
            first = writer.write(raw, raw * 2, t, np.zeros(n))
            assert first == total
            total += n
            sent.append(raw)
            out = reader.read_new(upto=first + n)
            got.append(out.raw)
            np.testing.assert_array_equal(out.filtered, out.raw * 2)
            np.testing.assert_array_equal(out.times, t)
        np.testing.assert_array_equal(np.hstack(got), np.hstack(sent))
    finally:
        reader.close()
        writer.close()
        writer.unlink()


def test_a_reader_that_falls_behind_gets_the_newest_samples():
    writer = SampleRing.create(1, 100.0)  # 800 samples
    reader = SampleRing.attach(writer.name, 1, writer.capacity)
    try:
        x = np.arange(3000, dtype=float)[None, :]
        writer.write(x, x, x[0], np.zeros(3000))
        out = reader.read_new()
        assert out.first == 3000 - writer.capacity
        np.testing.assert_array_equal(out.times, x[0, -writer.capacity :])
        assert reader.read_new() is None
    finally:
        reader.close()
        writer.close()
        writer.unlink()


def test_attaching_to_something_else_is_refused():
    writer = SampleRing.create(2, 100.0)
    try:
        with pytest.raises(ValueError, match="ring of this shape"):
            SampleRing.attach(writer.name, 3, writer.capacity // 2)
    finally:
        writer.close()
        writer.unlink()


# -- a real child process ---------------------------------------------------------------------
def _config(open_source=None, **options) -> ChildConfig:
    options.setdefault("model", ModelRequest.none())
    return ChildConfig(
        SimulatedSpec(speed=1.0), SessionOptions(**options), open_source=open_source
    )


def _pump(host: ProcessHost, seconds: float, until=None) -> list:
    items: list = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        items.extend(host.poll())
        if until is not None and until(items):
            break
        time.sleep(0.01)
    return items


def _samples(items: list) -> int:
    return sum(i.n_samples for i in items if isinstance(i, EngineUpdate))


def test_a_child_streams_records_and_stops_cleanly(tmp_path):
    host = ProcessHost()
    host.start(_config())
    items = _pump(host, 30, lambda got: _samples(got) >= 500)
    assert _samples(items) >= 500
    pid = host.pid
    host.send(StartRecording(RecordRequest(folder=str(tmp_path))))
    host.send(InsertMarker(7.0))
    items = _pump(host, 10, lambda got: any(isinstance(i, RecordingStatus) for i in got))
    assert host.recording
    items += _pump(host, 1.5)
    host.stop()
    items += host.poll()
    final = [i for i in items if isinstance(i, RecordingStatus)][-1]
    assert final.recording is False and final.error is None
    assert [i.state for i in items if isinstance(i, StateChanged)][-1] is StreamState.IDLE
    data = read_session(final.folder)
    assert data.meta.status == "complete" and [m.value for m in data.markers] == [7.0]
    assert host.pid is None and not Path(f"/proc/{pid}").exists()


def _autogroup(pid: str) -> str:
    """The autogroup a process is in; empty for the default group, the one the first
    process and every process that never started a session of its own share (a CI
    runner's jobs, a container's), where the kernel shows nothing."""
    fields = Path(f"/proc/{pid}/autogroup").read_text().split()
    return fields[0] if fields else ""


def test_the_child_has_a_scheduling_group_of_its_own_apart_from_the_window():
    """On a busy machine a hop must not wait for the window's painting in its middle
    (see acquisition/scheduling.py): its own session and, on Linux with autogroup, its
    own autogroup."""
    host = ProcessHost()
    host.start(_config())
    try:
        assert _samples(_pump(host, 30, lambda got: _samples(got) > 0)) > 0
        pid = host.pid
        assert os.getsid(pid) == pid != os.getsid(0)
        enabled = Path("/proc/sys/kernel/sched_autogroup_enabled")
        if enabled.exists() and enabled.read_text().strip() == "1":
            assert _autogroup(str(pid)) not in ("", _autogroup("self"))
    finally:
        host.stop()


def _policies(pid: int) -> dict[int, int]:
    """Scheduling policy of each thread of ``pid`` (without the reset-on-fork flag)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        out[int(tid)] = os.sched_getscheduler(int(tid)) & ~os.SCHED_RESET_ON_FORK
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux scheduling")
@pytest.mark.parametrize("asked", [True, False], ids=["default", "BCI_DESKTOP_REALTIME=0"])
def test_the_childs_loop_runs_at_real_time_priority_where_the_user_may(monkeypatch, asked):
    """Hops are not cut by the window's painting (docs/reliability.md): the loop that runs
    them at the lowest real-time priority, its other threads as they are, and a clean
    exit (back to normal before the interpreter winds up)."""
    if not asked:
        monkeypatch.setenv("BCI_DESKTOP_REALTIME", "0")
    host = ProcessHost()
    host.start(_config())
    process = host._process
    try:
        assert _samples(_pump(host, 30, lambda got: _samples(got) > 0)) > 0
        pid = host.pid
        policies = _policies(pid)
        realtime = asked and realtime_allowed()
        assert policies.pop(pid) == (os.SCHED_FIFO if realtime else os.SCHED_OTHER)
        if realtime:
            assert os.sched_getparam(pid).sched_priority == 1
        assert policies and set(policies.values()) == {os.SCHED_OTHER}, "other threads"
    finally:
        host.stop()
    assert process.exitcode == 0


@pytest.mark.parametrize("fault", ["abort", "segfault", "hang"])
def test_a_crashing_or_hanging_child_is_restarted_and_the_recording_goes_on(tmp_path, fault):
    marker = tmp_path / "faulted"
    opener = functools.partial(faulty_simulated, marker=str(marker), after_s=2.0, fault=fault)
    host = ProcessHost(heartbeat_timeout_s=3.0)
    host.start(_config(opener, record=RecordRequest(folder=str(tmp_path / "rec"))))
    items = _pump(host, 60, lambda got: any(isinstance(i, ProcessLost) for i in got))
    lost = [i for i in items if isinstance(i, ProcessLost)]
    assert lost and lost[0].restarting and marker.exists()
    expected = {"abort": "SIGABRT", "segfault": "SIGSEGV", "hang": "stopped answering"}[fault]
    assert expected in lost[0].reason
    before = _samples(items)
    after = _pump(host, 30, lambda got: _samples(got) >= 500)
    assert _samples(after) >= 500, "the new process streams"
    host.stop()
    after += host.poll()
    (folder,) = (tmp_path / "rec").iterdir()  # one session across the crash
    data = read_session(folder)
    assert data.meta.status == "complete"
    # What came before the crash (but for the last half second, flushed every 0.5 s) and
    # what came after it.
    assert data.n_samples >= before - 125 + 400
    kinds = [e["kind"] for e in data.events]
    assert kinds.count("gap") == 1 and "acquisition_restarted" in kinds
    statuses = [i for i in after if hasattr(i, "gaps") and hasattr(i, "dropped")]
    assert statuses and statuses[-1].gaps == 1


def test_three_crashes_within_a_minute_and_it_stops_retrying():
    opener = functools.partial(always_faulty, fault="exit")
    host = ProcessHost()
    host.start(_config(opener))
    items = _pump(host, 120, lambda got: any(isinstance(i, ProcessLost) and not i.restarting
                                             for i in got))  # fmt: skip
    lost = [i for i in items if isinstance(i, ProcessLost)]
    assert [i.restarting for i in lost] == [True, True, False]
    assert "exit code 3" in lost[-1].reason and "no longer restarts" in lost[-1].advice
    assert [i.state for i in items if isinstance(i, StateChanged)][-1] is StreamState.ERROR
    assert host.pid is None
    host.stop()


def test_a_source_that_cannot_connect_is_an_error_not_a_crash():
    host = ProcessHost()
    host.start(ChildConfig(SimulatedSpec(speed=1.0, script="nonsense:xx"), SessionOptions()))

    def failed(got):
        return [i for i in got if isinstance(i, StateChanged) and i.state is StreamState.ERROR]

    items = _pump(host, 60, failed)
    errors = failed(items)
    assert errors and "script" in errors[-1].message.lower()
    assert not any(isinstance(i, ProcessLost) for i in items) and host.crash_count == 0
    host.stop()


def test_a_shadow_trial_runs_in_the_child_through_typed_commands_and_messages(tmp_path):
    from bci_desktop.core.acquisition import StartTrial, StopTrial
    from bci_desktop.core.inference.trial import TrialRequest, Verdict
    from bci_desktop.core.session import PredictionHealthStatus, TrialEnded, TrialStatus
    from tests.core.trial_models import swapped_model

    candidate = swapped_model(tmp_path)
    host = ProcessHost()
    config = ChildConfig(
        SimulatedSpec(speed=20.0),
        SessionOptions(),
        registry_root=tmp_path / "registry",
    )
    host.start(config)
    try:
        _pump(host, 30, lambda got: _samples(got) >= 250)
        host.send(StartTrial(TrialRequest(str(candidate), None)))
        items = _pump(host, 60, lambda got: sum(isinstance(i, TrialStatus) for i in got) >= 3)
        statuses = [i for i in items if isinstance(i, TrialStatus)]
        assert statuses[-1].figures.candidate == "emotion-swapped@1.0.0"
        assert statuses[-1].figures.hops > 0
        assert any(isinstance(i, PredictionHealthStatus) for i in items)
        host.send(StopTrial())
        items = _pump(host, 30, lambda got: any(isinstance(i, TrialEnded) for i in got))
        ended = next(i for i in items if isinstance(i, TrialEnded))
        assert ended.record.why_ended == "stopped by the user"
        assert ended.record.verdict is Verdict.DISCARD  # too few hops, at least
        assert ended.saved_error is None
        host.send(StopTrial())  # nothing runs now: refused in words, the stream goes on
        items = _pump(host, 10, lambda got: any(isinstance(i, Notice) for i in got))
        notice = next(i for i in items if isinstance(i, Notice))
        assert notice.text == "Shadow trial not stopped: No shadow trial is running."
    finally:
        host.stop()
    assert (tmp_path / "registry" / "trials.jsonl").is_file()
