"""SupervisedSource: stalls and read errors injected into a real source, then reconnection.

The faulty source is a real :class:`SimulatedSubject` behind a small delegating source that
stops delivering (a stall, as an unplugged serial board does) or raises ``SourceError`` on
read after a number of reads with samples. Timeouts are short; waits poll with generous
deadlines and assert on what happened, never on how long it took.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from bci_desktop.core.engine import Engine, EngineUpdate
from bci_desktop.core.errors import ConfigError, SourceError
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.sources.supervised import (
    SourceEvent,
    SourceState,
    SupervisedSource,
)
from bci_desktop.core.stream import Chunk, StreamInfo

DEADLINE_S = 15.0
POLL_S = 0.005
FAST = {"stall_timeout_s": 0.3, "backoff_s": (0.05, 0.1)}


class FaultySource(Source):
    """A simulated subject that stalls or fails after ``good_reads`` reads with samples.

    Parameters
    ----------
    fault : "stall", "error" or None
        What happens after ``good_reads``: no samples any more, ``SourceError`` on read, or
        nothing (a healthy source).
    start_error : bool
        ``start()`` raises ``SourceError`` (the device is not back yet).
    channels : int
        Number of channels of the simulated subject.
    """

    def __init__(
        self,
        fault: str | None = None,
        *,
        good_reads: int = 20,
        start_error: bool = False,
        channels: int = 8,
        seed: int = 0,
        slow_start: threading.Event | None = None,
        loop: bool = True,
        speed: float = 4.0,
    ) -> None:
        self.inner = SimulatedSubject(
            speed=speed, channels=channels, seed=seed, script="calm:2", loop=loop
        )
        self.fault, self.good_reads, self.start_error = fault, good_reads, start_error
        self.slow_start = slow_start
        self.entered_start = threading.Event()
        self.reads_with_samples = 0
        self.started = self.stopped = False
        self.markers: list[float] = []

    @property
    def info(self) -> StreamInfo:
        return self.inner.info

    def start(self) -> None:
        self.entered_start.set()
        if self.slow_start is not None:
            self.slow_start.wait(5.0)  # a connection that takes a while (a Bluetooth connect)
        if self.start_error:
            raise SourceError("Cannot open the device: it is not plugged in.")
        self.inner.start()
        self.started = True

    def read(self) -> Chunk | None:
        if self.fault is not None and self.reads_with_samples >= self.good_reads:
            if self.fault == "error":
                raise SourceError(
                    "Board 'test' failed to read data (BrainFlow BOARD_WRITE_ERROR)."
                )
            return None
        chunk = self.inner.read()
        if chunk is not None:
            self.reads_with_samples += 1
        return chunk

    def stop(self) -> None:
        self.inner.stop()
        self.stopped = True

    @property
    def finished(self) -> bool:
        return self.inner.finished

    def insert_marker(self, value: float) -> None:
        self.markers.append(value)
        self.inner.insert_marker(value)


class Factory:
    """Hands out the given sources in order (the last one repeats), remembering each."""

    def __init__(self, *makers: Callable[[], FaultySource]) -> None:
        self.makers = list(makers)
        self.made: list[FaultySource] = []
        self.lock = threading.Lock()

    def __call__(self) -> FaultySource:
        with self.lock:
            maker = self.makers[min(len(self.made), len(self.makers) - 1)]
            src = maker()
            self.made.append(src)
            return src


class Reader:
    """Reads a supervised source, keeping every chunk and event."""

    def __init__(self, source: SupervisedSource) -> None:
        self.source = source
        self.chunks: list[Chunk] = []
        self.events: list[SourceEvent] = []
        source.on_event = self.events.append

    def until(self, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while not condition():
            assert time.monotonic() < deadline, f"gave up waiting; events: {self.kinds()}"
            chunk = self.source.read()
            if chunk is not None:
                self.chunks.append(chunk)
            else:
                time.sleep(POLL_S)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def samples_after_gap(self) -> int:
        gaps = [i for i, c in enumerate(self.chunks) if c.gap_before]
        return sum(c.n_samples for c in self.chunks[gaps[0] :]) if gaps else 0


def healthy() -> FaultySource:
    return FaultySource()


def _run_fault(fault: str, caplog: pytest.LogCaptureFixture) -> tuple[Reader, Factory]:
    factory = Factory(lambda: FaultySource(fault), healthy)
    source = SupervisedSource(factory, **FAST)
    reader = Reader(source)
    caplog.set_level(logging.INFO, logger="bci_desktop")
    source.start()
    try:
        assert source.state is SourceState.STREAMING
        reader.until(lambda: source.state is SourceState.SIGNAL_LOST)
        reader.until(lambda: source.reconnections == 1 and reader.samples_after_gap() > 250)
        assert source.state is SourceState.STREAMING
    finally:
        source.stop()
    return reader, factory


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        pytest.param("stall", "no samples for 0.3 s", id="stall"),
        pytest.param("error", "read error: Board 'test' failed", id="read-error"),
    ],
)
def test_fault_is_detected_then_reconnected(
    fault: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    reader, factory = _run_fault(fault, caplog)
    kinds = reader.kinds()
    assert kinds[:3] == ["signal_lost", "reconnect_attempt", "reconnected"]
    lost, attempt, back = reader.events[:3]
    assert reason in lost.detail
    assert attempt.attempt == 1 and back.attempt == 1
    # the old source was released, a new one built by the factory carries on
    assert len(factory.made) == 2  # one built by __init__ (and started), one reconnection
    assert factory.made[0].stopped and factory.made[1].started
    # exactly one chunk says "gap before", and it is the first of the new source
    gaps = [i for i, c in enumerate(reader.chunks) if c.gap_before]
    assert len(gaps) == 1
    before, after = reader.chunks[gaps[0] - 1], reader.chunks[gaps[0]]
    assert lost.stream_time == before.timestamps[-1]
    assert back.stream_time == after.timestamps[0]
    # the log line names the time and the reason
    lines = [r for r in caplog.records if r.getMessage().startswith("Signal lost at")]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    assert re.match(r"Signal lost at \d\d:\d\d:\d\d \(" + re.escape(reason), lines[0].getMessage())
    assert any(r.getMessage().startswith("Reconnected to") for r in caplog.records)


def test_backoff_retries_until_the_device_is_back() -> None:
    absent = lambda: FaultySource(start_error=True)  # noqa: E731
    factory = Factory(lambda: FaultySource("stall"), absent, absent, healthy)
    source = SupervisedSource(factory, stall_timeout_s=0.3, backoff_s=(0.05, 0.1, 0.2))
    reader = Reader(source)
    source.start()
    try:
        reader.until(lambda: source.reconnections == 1 and reader.samples_after_gap() > 0)
    finally:
        source.stop()
    attempts = [e.attempt for e in reader.events if e.kind == "reconnect_attempt"]
    assert attempts == [1, 2, 3]
    assert reader.kinds()[-1] == "reconnected"
    assert reader.events[-1].attempt == 3
    assert source.attempts == 0  # reset once samples flow again
    assert all(src.stopped for src in factory.made[:1])


def test_max_attempts_exhausted_then_reconnect_now() -> None:
    absent = lambda: FaultySource(start_error=True)  # noqa: E731
    factory = Factory(lambda: FaultySource("error"), absent)
    source = SupervisedSource(factory, stall_timeout_s=0.3, backoff_s=(0.02,), max_attempts=2)
    reader = Reader(source)
    source.start()
    try:
        reader.until(lambda: "reconnect_failed" in reader.kinds())
        assert reader.kinds() == [
            "signal_lost",
            "reconnect_attempt",
            "reconnect_attempt",
            "reconnect_failed",
        ]
        assert source.state is SourceState.SIGNAL_LOST
        for _ in range(20):  # reading on is harmless: nothing, no error, no new attempt
            assert source.read() is None
        assert source.state is SourceState.SIGNAL_LOST
        assert len(factory.made) == 3
        factory.makers.append(healthy)  # the device is back; the user clicks "reconnect now"
        assert source.reconnect_now()
        reader.until(lambda: source.reconnections == 1 and reader.samples_after_gap() > 0)
    finally:
        source.stop()
    assert reader.kinds()[-2:] == ["reconnect_attempt", "reconnected"]
    assert reader.events[-1].attempt == 1  # a fresh round


def test_reconnect_now_skips_the_wait() -> None:
    factory = Factory(lambda: FaultySource("stall"), healthy)
    source = SupervisedSource(factory, stall_timeout_s=0.3, backoff_s=(3600.0,))
    reader = Reader(source)
    source.start()
    try:
        assert not source.reconnect_now()  # streaming: nothing to do
        reader.until(lambda: source.state is SourceState.SIGNAL_LOST)
        assert source.next_attempt_in_s is not None and source.next_attempt_in_s > 60
        assert source.lost_for_s is not None
        assert source.reconnect_now()
        reader.until(lambda: source.reconnections == 1)
    finally:
        source.stop()
    assert reader.kinds() == ["signal_lost", "reconnect_attempt", "reconnected"]
    assert source.lost_for_s is None


def test_a_device_seen_absent_then_present_is_tried_at_once() -> None:
    present = threading.Event()  # the port is gone at the loss
    factory = Factory(lambda: FaultySource("stall"), healthy)
    source = SupervisedSource(
        factory, stall_timeout_s=0.3, backoff_s=(3600.0,), device_present=present.is_set
    )
    reader = Reader(source)
    source.start()
    try:
        reader.until(lambda: source.next_attempt_in_s is not None)
        assert source.state is SourceState.SIGNAL_LOST and len(factory.made) == 1
        present.set()  # plugged back in: no need to wait an hour
        reader.until(lambda: source.reconnections == 1)
    finally:
        source.stop()
    assert reader.kinds() == ["signal_lost", "reconnect_attempt", "reconnected"]


def test_stop_during_a_connection_attempt_is_clean() -> None:
    gate = threading.Event()
    factory = Factory(lambda: FaultySource("stall"), lambda: FaultySource(slow_start=gate))
    source = SupervisedSource(factory, stall_timeout_s=0.3, backoff_s=(0.01,))
    reader = Reader(source)
    source.start()
    reader.until(lambda: len(factory.made) == 2 and factory.made[1].entered_start.is_set())
    worker = source._worker
    assert worker is not None and worker.is_alive()
    assert source.state is SourceState.RECONNECTING
    stopper = threading.Thread(target=source.stop)
    stopper.start()
    gate.set()  # the connection completes while stop() waits for it
    stopper.join(DEADLINE_S)
    assert not stopper.is_alive() and not worker.is_alive()
    assert source.state is SourceState.STOPPED
    assert factory.made[1].started and factory.made[1].stopped  # not leaked
    assert source.source is None
    with pytest.raises(SourceError, match="not streaming"):
        source.read()


def test_a_device_with_other_channels_is_not_used() -> None:
    factory = Factory(
        lambda: FaultySource("stall"), lambda: FaultySource(channels=4), lambda: FaultySource()
    )
    source = SupervisedSource(factory, stall_timeout_s=0.3, backoff_s=(0.02,))
    reader = Reader(source)
    source.start()
    try:
        reader.until(lambda: source.reconnections == 1)
    finally:
        source.stop()
    assert reader.kinds() == [
        "signal_lost",
        "reconnect_attempt",
        "device_mismatch",
        "reconnect_attempt",
        "reconnected",
    ]
    assert "channels" in reader.events[2].detail
    assert factory.made[1].stopped  # the wrong device was released
    assert all(c.eeg.shape[0] == 8 for c in reader.chunks)


def test_markers_pass_through_only_while_streaming() -> None:
    factory = Factory(lambda: FaultySource("stall", good_reads=5), healthy)
    source = SupervisedSource(factory, stall_timeout_s=0.3, backoff_s=(3600.0,))
    reader = Reader(source)
    source.start()
    try:
        source.insert_marker(3.0)
        assert factory.made[0].markers == [3.0]
        reader.until(lambda: source.state is SourceState.SIGNAL_LOST)
        with pytest.raises(SourceError, match="signal lost"):
            source.insert_marker(4.0)
    finally:
        source.stop()
    marked = np.concatenate([c.markers for c in reader.chunks])
    assert np.count_nonzero(marked) == 1 and marked[marked != 0][0] == 3.0


def test_a_finite_source_that_ends_is_not_a_lost_signal() -> None:
    factory = Factory(lambda: FaultySource(loop=False))
    source = SupervisedSource(factory, stall_timeout_s=0.2, backoff_s=(0.01,))
    reader = Reader(source)
    source.start()
    try:
        reader.until(lambda: source.finished)
        deadline = time.monotonic() + 0.5  # well past the stall timeout
        while time.monotonic() < deadline:
            assert source.read() is None
            time.sleep(POLL_S)
    finally:
        source.stop()
    assert reader.events == []
    assert sum(c.n_samples for c in reader.chunks) == 500  # calm:2 at 250 Hz


def test_info_state_and_restart() -> None:
    factory = Factory(healthy)
    source = SupervisedSource(factory)
    assert source.state is SourceState.STOPPED and source.state.label == "Stopped"
    assert source.info == factory.made[0].info  # known before start
    with pytest.raises(SourceError, match="start it first"):
        source.read()
    with source:
        assert source.state is SourceState.STREAMING
        assert len(factory.made) == 1  # the first source is the one started
    assert source.state is SourceState.STOPPED and factory.made[0].stopped
    source.start()  # a second run builds a new source
    source.stop()
    assert len(factory.made) == 2 and factory.made[1].stopped


def test_first_connection_failure_is_raised() -> None:
    source = SupervisedSource(Factory(lambda: FaultySource(start_error=True)))
    with pytest.raises(SourceError, match="not plugged in"):
        source.start()
    assert source.state is SourceState.STOPPED


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"stall_timeout_s": 0}, "stall_timeout_s", id="stall-zero"),
        pytest.param({"stall_timeout_s": float("nan")}, "stall_timeout_s", id="stall-nan"),
        pytest.param({"backoff_s": ()}, "backoff_s", id="backoff-empty"),
        pytest.param({"backoff_s": (1, -2)}, "backoff_s", id="backoff-negative"),
        pytest.param({"backoff_s": "1,2"}, "backoff_s", id="backoff-text"),
        pytest.param({"max_attempts": 0}, "max_attempts", id="attempts-zero"),
        pytest.param({"max_attempts": 2.5}, "max_attempts", id="attempts-float"),
    ],
)
def test_invalid_settings(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        SupervisedSource(healthy, **kwargs)


def test_factory_must_build_a_source() -> None:
    with pytest.raises(ConfigError, match="factory"):
        SupervisedSource(lambda: "not a source")  # type: ignore[arg-type, return-value]


def test_predictions_resume_after_a_whole_new_window() -> None:
    """Through StreamRunner and the engine: no prediction is made from pre-gap samples."""
    factory = Factory(
        lambda: FaultySource("stall", good_reads=150, speed=10.0),
        lambda: FaultySource(speed=10.0, seed=1),
    )
    source = SupervisedSource(factory, stall_timeout_s=0.3, backoff_s=(0.05,))
    engine = Engine(source.info, model=EmotionModel.load(default_model_path()))
    seen = {"samples": 0, "gap_at": None}
    made: list[tuple[int, str | None, str | None]] = []  # (samples so far, label, withheld)

    def on_chunk(chunk: Chunk) -> None:
        if chunk.gap_before:
            seen["gap_at"] = seen["samples"]
        seen["samples"] += chunk.n_samples

    def on_update(update: EngineUpdate) -> None:
        made.extend((seen["samples"], p.label, p.withheld) for p in update.predictions)

    runner = StreamRunner(source, engine, on_chunk=on_chunk, on_update=on_update)
    source.start()
    try:
        deadline = time.monotonic() + DEADLINE_S
        while not (seen["gap_at"] is not None and sum(m[0] > seen["gap_at"] for m in made) > 20):
            assert time.monotonic() < deadline, "no predictions after the reconnection"
            if runner.step() is None:
                time.sleep(POLL_S)
    finally:
        source.stop()
    gap_at = seen["gap_at"]
    before = [m for m in made if m[0] <= gap_at]
    after = [m for m in made if m[0] > gap_at]
    assert before and after and engine.restarts == 1
    window = engine.window_samples
    # a prediction's window ends in the chunk that produced it; the first one after the gap
    # needs a whole window of new samples
    assert all(n - gap_at >= window for n, _, _ in after)
    assert sum(label is not None for _, label, _ in after) > 10
