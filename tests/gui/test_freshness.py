"""What may be presented as current: the liveness rule, with the wall clock in the test's hand.

The live data are fed with real engine updates of the simulated subject; only the arrival
times are chosen, so the age of a prediction can be checked exactly (no timed assertion).
"""

from __future__ import annotations

import pytest

from bci_desktop.core.engine import Engine, EngineUpdate
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.session import StreamState
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.stream import StreamInfo
from bci_desktop.gui.freshness import DELIVERY_GRACE_S, MAX_AGE_HOPS, NOT_LIVE
from bci_desktop.gui.live_data import LiveData

CHUNK_S = 0.1


@pytest.fixture(scope="module")
def run() -> tuple[StreamInfo, list[EngineUpdate]]:
    """8 s of the simulated subject through the engine, in 0.1 s chunks."""
    sim = SimulatedSubject(speed=None, seed=2, chunk_s=CHUNK_S)
    engine = Engine(sim.info, model=EmotionModel.load(default_model_path()))
    sim.start()
    updates = [engine.process(sim.read()) for _ in range(80)]
    sim.stop()
    return sim.info, updates


class Clock:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _streamed(run, *, pace: float = 1.0) -> tuple[LiveData, Clock]:
    """Live data that received the whole run at ``pace`` times real time."""
    info, updates = run
    clock = Clock()
    live = LiveData(wall_clock=clock)
    live.set_state(StreamState.CONNECTING, "Connecting to the simulated subject…")
    live.configure(info)
    live.set_state(StreamState.STREAMING, "Streaming Simulated subject")
    for u in updates:
        clock.t += CHUNK_S / pace
        live.ingest(u)
    return live, clock


def test_a_recent_prediction_is_current_while_streaming(run) -> None:
    live, _ = _streamed(run)
    lv = live.liveness()
    assert lv.live and lv.headline == ""
    assert lv.current is live.last_prediction and lv.current is not None
    assert live.clock.hop_s == pytest.approx(0.25, rel=1e-3), "learnt from the predictions"


def test_a_prediction_older_than_two_hops_is_never_current(run) -> None:
    live, clock = _streamed(run)
    last = live.last_prediction
    assert last is not None
    lag = live.clock.newest_t - last.t  # the newest samples are after the last window
    limit = MAX_AGE_HOPS * live.clock.hop_s
    # Samples stop coming (a stalled device, before the session calls the signal lost).
    clock.t += DELIVERY_GRACE_S + (limit - lag) - 0.01
    assert live.liveness().live
    clock.t += 0.02
    lv = live.liveness()
    assert not lv.live and lv.current is None and lv.last is last
    assert lv.headline.startswith(f"{NOT_LIVE}: no new reading for 0.5 s")


def test_the_age_follows_the_pace_of_the_stream(run) -> None:
    live, clock = _streamed(run, pace=4.0)
    assert live.clock.pace == pytest.approx(4.0, rel=0.05)
    last = live.last_prediction
    lag = live.clock.newest_t - last.t
    clock.t += DELIVERY_GRACE_S + (MAX_AGE_HOPS * 0.25 - lag) / 4.0 + 0.01
    assert not live.liveness().live, "at 4x, two hops pass four times faster"


@pytest.mark.parametrize(
    ("before", "state", "message", "words"),
    [
        pytest.param(
            StreamState.STREAMING, StreamState.IDLE, "Disconnected", "Disconnected", id="idle"
        ),
        pytest.param(
            StreamState.CONNECTING,
            StreamState.ERROR,
            "Board 'cyton' could not open /dev/ttyNOPE",
            "Connection failed",
            id="failed",
        ),
        pytest.param(
            StreamState.STREAMING,
            StreamState.ERROR,
            "The acquisition process died",
            "Stream stopped",
            id="error",
        ),
        pytest.param(
            StreamState.STREAMING,
            StreamState.ENDED,
            "Replay ended: S01",
            "Replay ended",
            id="replay-ended",
        ),
        pytest.param(
            StreamState.STREAMING,
            StreamState.PAUSED,
            "Replay paused at 3.0 s",
            "Replay paused",
            id="paused",
        ),
        pytest.param(
            StreamState.IDLE, StreamState.CONNECTING, "Connecting…", "Connecting…", id="connecting"
        ),
    ],
)
def test_every_state_but_streaming_says_why_it_is_not_live(
    run, before: StreamState, state: StreamState, message: str, words: str
) -> None:
    live, _ = _streamed(run)
    live.set_state(before, "")
    live.set_state(state, message)
    lv = live.liveness()
    assert not lv.live and lv.current is None
    assert lv.words == words
    assert lv.headline == f"{NOT_LIVE}: {words[0].lower()}{words[1:]}"
    assert lv.last is live.last_prediction, "the last reading is kept, as history"


def test_signal_lost_counts_from_the_last_samples(run) -> None:
    live, clock = _streamed(run)
    arrived = clock.t
    clock.t += 2.0
    live.set_state(StreamState.SIGNAL_LOST, "Signal lost at 12:00:01")
    clock.t = arrived + 12.4
    assert live.liveness().headline == f"{NOT_LIVE}: signal lost 12 s ago"
    clock.t = arrived + 13.0
    assert live.liveness().words == "Signal lost 13 s ago"


def test_before_any_stream_nothing_needs_a_not_live_strip() -> None:
    live = LiveData(wall_clock=Clock())
    lv = live.liveness()
    assert not lv.live and lv.headline == "" and lv.words == "Not connected"
    live.set_state(StreamState.CONNECTING, "Connecting…")
    live.set_state(StreamState.ERROR, "No such port")
    assert live.liveness().words == "Connection failed"
    assert live.liveness().headline == ""
