"""BrainFlow's real Cyton driver over a pseudo-terminal: stream, unplug, plug back.

The emulator (``cyton_emulator.py``) speaks the Cyton's serial protocol behind a stable
symlink; BrainFlow opens that path as it would open ``/dev/ttyUSB0``. Unplugging closes the
pty and removes the path mid-stream, which BrainFlow does not notice (it just delivers no
more samples): the supervisor must.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from brainflow.board_shim import BoardIds, BoardShim

from bci_desktop.core.engine import Engine, EngineConfig, EngineUpdate
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.brainflow_source import BrainFlowSource
from bci_desktop.core.sources.supervised import SourceEvent, SourceState, SupervisedSource
from bci_desktop.core.stream import Chunk
from tests.core.sources.cyton_emulator import N_CHANNELS, CytonEmulator

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX pseudo-terminals")

DEADLINE_S = 20.0
CYTON_NAMES = ("Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2")
STALL_S = 0.5


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def cyton(tmp_path: Path) -> CytonEmulator:
    with CytonEmulator(tmp_path / "ttyCYTON") as emulator:
        yield emulator


def cyton_factory(emulator: CytonEmulator) -> Callable[[], BrainFlowSource]:
    params = ConnectionParams(serial_port=str(emulator.port))
    return lambda: BrainFlowSource("cyton", params)


def check_values(chunks: list[Chunk], emulator: CytonEmulator) -> int:
    """Every EEG sample equals what the emulator sent for its sample number."""
    board = np.concatenate([c.board_data for c in chunks], axis=1)
    eeg = np.concatenate([c.eeg for c in chunks], axis=1)
    package = board[0]  # Cyton package-number row: the sample number byte
    np.testing.assert_allclose(eeg, emulator.expected_uv(package), rtol=1e-9, atol=1e-9)
    steps = np.diff(package) % 256
    assert np.all(steps == 1), "samples were lost or reordered"
    return eeg.shape[1]


def test_cyton_streams_known_values(cyton: CytonEmulator) -> None:
    source = SupervisedSource(cyton_factory(cyton), stall_timeout_s=STALL_S)
    assert source.info.channel_names == CYTON_NAMES
    assert source.info.sample_rate == 250
    chunks: list[Chunk] = []
    with source:
        wait_for(lambda: sum(_take(source, chunks)) >= 500, "2 s of samples")
        assert cyton.commands[:3] == ["v", "d", "b"] and cyton.streaming
    wait_for(lambda: not cyton.streaming, "BrainFlow to send 's'")
    assert cyton.commands[-1] == "s"
    assert check_values(chunks, cyton) >= 500
    eeg = np.concatenate([c.eeg for c in chunks], axis=1)
    assert eeg.shape[0] == N_CHANNELS
    peaks = np.abs(eeg).max(axis=1)  # the sines' amplitudes, 20..160 uV
    np.testing.assert_allclose(peaks, 20.0 * np.arange(1, 9), rtol=0.01)
    assert source.state is SourceState.STOPPED


def _take(source: SupervisedSource, chunks: list[Chunk]) -> list[int]:
    chunk = source.read()
    if chunk is not None:
        chunks.append(chunk)
    return [c.n_samples for c in chunks]


class Session:
    """A StreamRunner on a supervised Cyton, in a thread, recording what it sees."""

    def __init__(self, source: SupervisedSource, engine: Engine) -> None:
        self.source, self.engine = source, engine
        self.chunks: list[Chunk] = []
        self.events: list[SourceEvent] = []
        self.predictions_at_event: list[int] = []
        self.predictions = 0
        self.withheld_reasons: set[str] = set()
        source.on_event = self._event
        self.runner = StreamRunner(
            source, engine, on_chunk=self.chunks.append, on_update=self._update
        )
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.runner.run, args=(self.stop,))

    def _event(self, event: SourceEvent) -> None:
        self.events.append(event)
        self.predictions_at_event.append(self.predictions)

    def _update(self, update: EngineUpdate) -> None:
        for p in update.predictions:
            self.predictions += 1
            if p.withheld is not None:
                self.withheld_reasons.add(p.withheld)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def test_unplug_and_replug_resume_without_user_action(
    cyton: CytonEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bci_desktop")
    source = SupervisedSource(
        cyton_factory(cyton), stall_timeout_s=STALL_S, backoff_s=(0.2, 0.4), max_attempts=None
    )
    model = EmotionModel.load(default_model_path())
    engine = Engine(source.info, model=model, config=EngineConfig(strict_channels=False))
    session = Session(source, engine)
    session.thread.start()
    try:
        wait_for(lambda: engine.total_samples >= 300, "samples before the unplug")
        assert source.state is SourceState.STREAMING

        cyton.unplug()
        wait_for(lambda: "signal_lost" in session.kinds(), "the loss to be detected")
        assert source.state in (SourceState.SIGNAL_LOST, SourceState.RECONNECTING)
        before = engine.total_samples
        wait_for(lambda: "reconnect_attempt" in session.kinds(), "a reconnection attempt")
        assert engine.total_samples == before  # nothing arrives while unplugged

        cyton.replug()  # no call on the source: it must find the device by itself
        wait_for(lambda: "reconnected" in session.kinds(), "the automatic reconnection")
        n_events = session.kinds().index("reconnected")
        wait_for(
            lambda: session.predictions > session.predictions_at_event[n_events] + 4,
            "predictions after the reconnection",
        )
        wait_for(lambda: engine.total_samples >= before + 300, "new samples")
        assert source.state is SourceState.STREAMING
    finally:
        session.stop.set()
        session.thread.join(DEADLINE_S)
    assert not session.thread.is_alive()
    assert source.state is SourceState.STOPPED

    kinds = session.kinds()
    assert kinds[0] == "signal_lost" and kinds[-1] == "reconnected"
    assert set(kinds) == {"signal_lost", "reconnect_attempt", "reconnected"}
    assert source.losses == 1 and source.reconnections == 1
    # one session, one gap: the engine restarted its filters exactly once
    assert engine.restarts == 1
    gaps = [i for i, c in enumerate(session.chunks) if c.gap_before]
    assert len(gaps) == 1
    lost, back = session.events[0], session.events[-1]
    assert lost.stream_time == session.chunks[gaps[0] - 1].timestamps[-1]
    assert back.stream_time == session.chunks[gaps[0]].timestamps[0]
    assert back.stream_time > lost.stream_time
    # the samples on both sides of the gap are exactly what the device sent
    assert check_values(session.chunks[: gaps[0]], cyton) >= 300
    assert check_values(session.chunks[gaps[0] :], cyton) >= 300
    assert cyton.connections == 2  # a second handshake on the re-plugged device
    # predictions went on: withheld, because the Cyton lacks most of the model's channels
    assert session.withheld_reasons and all("F7" in r for r in session.withheld_reasons)
    # the log says when the signal was lost and that it came back
    lost_lines = [r for r in caplog.records if r.getMessage().startswith("Signal lost at")]
    assert len(lost_lines) == 1 and lost_lines[0].levelno == logging.WARNING
    assert re.match(
        r"Signal lost at \d\d:\d\d:\d\d \(no samples for 0.5 s\)", lost_lines[0].getMessage()
    )
    assert any(r.getMessage().startswith("Reconnected to") for r in caplog.records)


def test_unplugged_device_is_retried_until_it_returns(cyton: CytonEmulator) -> None:
    """While the port is missing every attempt fails fast; the stream waits, then resumes."""
    source = SupervisedSource(cyton_factory(cyton), stall_timeout_s=STALL_S, backoff_s=(0.05,))
    chunks: list[Chunk] = []
    events: list[SourceEvent] = []
    source.on_event = events.append
    source.start()
    try:
        wait_for(lambda: sum(_take(source, chunks)) >= 250, "1 s of samples")
        cyton.unplug()
        wait_for(
            lambda: (
                bool(_take(source, chunks))
                and sum(e.kind == "reconnect_attempt" for e in events) >= 3
            ),
            "three failed attempts",
        )
        assert source.state in (SourceState.SIGNAL_LOST, SourceState.RECONNECTING)
        assert source.source is None
        cyton.replug()
        wait_for(
            lambda: bool(_take(source, chunks)) and source.reconnections == 1,
            "the reconnection",
        )
    finally:
        source.stop()
    assert [e.attempt for e in events if e.kind == "reconnect_attempt"] == list(
        range(1, events[-1].attempt + 1)
    )
    assert events[-1].kind == "reconnected"
    assert sum(c.gap_before for c in chunks) == 1


def test_asking_for_a_missing_preset_leaves_the_cyton_usable(cyton: CytonEmulator) -> None:
    """BrainFlow quirk: describing a preset a board lacks used to break its start_stream."""
    with pytest.raises(ConfigError, match="has no preset 1"):
        BrainFlowSource("cyton", preset=1)
    assert BoardShim.get_board_presets(BoardIds.CYTON_BOARD.value) == [0]
    chunks: list[Chunk] = []
    with SupervisedSource(cyton_factory(cyton), stall_timeout_s=STALL_S) as source:
        wait_for(lambda: sum(_take(source, chunks)) >= 50, "samples")
    assert check_values(chunks, cyton) >= 50


def test_a_returning_port_cuts_the_backoff_short(cyton: CytonEmulator) -> None:
    """With ``device_present`` watching the port, plugging back in triggers the attempt."""
    source = SupervisedSource(
        cyton_factory(cyton),
        stall_timeout_s=STALL_S,
        backoff_s=(3600.0,),  # without the port check, no attempt would come for an hour
        device_present=cyton.port.exists,
    )
    chunks: list[Chunk] = []
    events: list[SourceEvent] = []
    source.on_event = events.append
    source.start()
    try:
        wait_for(lambda: sum(_take(source, chunks)) >= 250, "1 s of samples")
        cyton.unplug()
        wait_for(
            lambda: bool(_take(source, chunks)) and source.next_attempt_in_s is not None,
            "the loss and the backoff wait",
        )
        assert source.next_attempt_in_s > 60 and source.state is SourceState.SIGNAL_LOST
        cyton.replug()
        wait_for(lambda: bool(_take(source, chunks)) and source.reconnections == 1, "reconnect")
    finally:
        source.stop()
    assert [e.kind for e in events] == ["signal_lost", "reconnect_attempt", "reconnected"]
    assert check_values(chunks[[c.gap_before for c in chunks].index(True) :], cyton) > 0
