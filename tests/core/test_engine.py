"""The whole engine: chunks in, predictions out, on the simulated subject and bad input."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import ChannelMismatchError
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject, parse_script
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo


@pytest.fixture(scope="module")
def model() -> EmotionModel:
    return EmotionModel.load(default_model_path())


def _feed(engine: Engine, source: SimulatedSubject, seconds: float, step_s: float = 0.02):
    """Read `seconds` from a max-speed source in live-sized chunks."""
    source.start()
    chunk = source.read()
    assert chunk is not None
    updates = []
    fs = source.info.sample_rate
    step = round(step_s * fs)
    got = 0
    while got < seconds * fs:
        n = chunk.n_samples
        for a in range(0, n, step):
            sl = slice(a, a + step)
            piece = Chunk(chunk.eeg[:, sl], chunk.timestamps[sl], chunk.markers[sl],
                          None if chunk.truth is None else chunk.truth[sl])  # fmt: skip
            updates.append(engine.process(piece))
        got += n
        chunk = source.read()
    source.stop()
    return updates


def test_predictions_every_hop_after_first_window(model):
    sim = SimulatedSubject(speed=None, seed=5, chunk_s=1.0)
    engine = Engine(sim.info, model=model)
    updates = _feed(engine, sim, 10.0)
    preds = [p for u in updates for p in u.predictions]
    # first window after 4 s, then every 0.25 s: 4.0, 4.25, ... 10.0
    assert len(preds) == 25
    assert preds[0].t == pytest.approx(updates[0].timestamps[0] + 4.0 - 1 / 250)
    # hops fall on whole samples (62 or 63 at 250 Hz) without drifting from 0.25 s
    assert np.allclose(np.diff([p.t for p in preds]), 0.25, atol=1 / 250 + 1e-6)
    assert preds[-1].t - preds[0].t == pytest.approx(6.0, abs=1e-6)
    for p in preds:
        assert p.withheld is None
        assert p.label in model.classes
        assert sum(p.probabilities) == pytest.approx(1.0, abs=1e-5)
        assert p.confidence == max(p.probabilities)
        assert 0 < p.latency_ms < 1000
        assert p.truth in model.classes
        assert p.model == "emotion-default@1.0.0"


def test_simulated_subject_is_classified_well(model):
    script = parse_script("calm:30,happy:30,sad:30,stressed:30")
    sim = SimulatedSubject(speed=None, seed=77, script=script)
    engine = Engine(sim.info, model=model)
    runner = StreamRunner(sim, engine, duration_s=240.0)
    stats = runner.run()
    assert stats.predictions == (240 - 4) * 4 + 1
    assert stats.accuracy is not None and stats.accuracy >= 0.8


class _WaitingModel(EmotionModel):
    """The default model, but every prediction also waits 20 ms without using the CPU
    (as when another program holds the core)."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        time.sleep(0.02)
        return super().predict_proba(x)


def test_cpu_time_is_measured_only_when_asked_and_excludes_waiting(model):
    sim = SimulatedSubject(speed=None, seed=5, chunk_s=1.0)
    plain = [p for u in _feed(Engine(sim.info, model=model), sim, 5.0) for p in u.predictions]
    assert plain and all(p.cpu_ms is None and "cpu_ms" not in p.to_dict() for p in plain)

    waiting = _WaitingModel.load(default_model_path())
    engine = Engine(sim.info, model=waiting, config=EngineConfig(measure_cpu=True))
    sim = SimulatedSubject(speed=None, seed=5, chunk_s=1.0)
    preds = [p for u in _feed(engine, sim, 5.0) for p in u.predictions]
    assert len(preds) == 5
    for p in preds:
        assert p.latency_ms >= 20.0  # wall clock counts the wait
        assert 0 < p.cpu_ms < 10.0  # the thread's CPU time does not
        assert p.to_dict()["cpu_ms"] == round(p.cpu_ms, 4)


def test_chunking_does_not_change_predictions(model):
    results = []
    for step_s in (0.004, 0.02, 0.5):
        sim = SimulatedSubject(speed=None, seed=9, chunk_s=2.0)
        engine = Engine(sim.info, model=model)
        preds = [p for u in _feed(engine, sim, 8.0, step_s) for p in u.predictions]
        results.append(np.array([p.probabilities for p in preds]))
    assert results[0].shape == results[1].shape == results[2].shape
    np.testing.assert_allclose(results[0], results[1], atol=1e-5)
    np.testing.assert_allclose(results[0], results[2], atol=1e-5)


def _info(names):
    return StreamInfo("test", None, 250.0, tuple(ChannelInfo(n) for n in names))


def test_bad_channel_withholds_with_reason(model):
    sim = SimulatedSubject(speed=None, seed=1, chunk_s=0.02)
    engine = Engine(sim.info, model=model)
    sim.start()
    f3 = sim.info.channel_names.index("F3")
    preds = []
    for i in range(500):  # 10 s
        c = sim.read()
        eeg = c.eeg.copy()
        if i >= 300:
            eeg[f3] = 0.0  # electrode off: flat line
        preds += engine.process(Chunk(eeg, c.timestamps, c.markers, c.truth)).predictions
    sim.stop()
    assert preds[0].withheld is None
    last = preds[-1]
    assert last.label is None and last.probabilities is None
    assert "F3" in last.withheld and "flat" in last.withheld
    assert "check" in last.withheld


def test_nan_never_reaches_the_model(model):
    sim = SimulatedSubject(speed=None, seed=2, chunk_s=0.02)
    engine = Engine(sim.info, model=model, config=EngineConfig())
    sim.start()
    c4 = sim.info.channel_names.index("C4")
    preds = []
    for i in range(600):
        c = sim.read()
        eeg = c.eeg.copy()
        if 300 <= i < 305:
            eeg[c4, :] = np.nan
        upd = engine.process(Chunk(eeg, c.timestamps, c.markers, c.truth))
        assert np.isfinite(upd.filtered).all()
        preds += upd.predictions
    sim.stop()
    withheld = [p for p in preds if p.withheld]
    assert withheld and all("C4" in p.withheld for p in withheld)
    assert preds[-1].withheld is None  # 4 s after the burst, predictions resume
    assert engine.nonfinite_samples == 5 * 5


def test_malformed_chunk_is_counted_not_fatal(model):
    sim = SimulatedSubject(speed=None, seed=2)
    engine = Engine(sim.info, model=model)
    upd = engine.process(Chunk(np.zeros((3, 10)), np.zeros(10), np.zeros(10)))
    assert upd.n_samples == 0
    assert engine.malformed_chunks == 1


def test_missing_model_channels(model):
    muse = _info(["TP9", "AF7", "AF8", "TP10"])
    with pytest.raises(ChannelMismatchError, match="F7, F3, F4, F8, C3, C4, Pz, Oz"):
        Engine(muse, model=model)
    engine = Engine(muse, model=model, config=EngineConfig(strict_channels=False))
    rng = np.random.default_rng(0)
    preds = []
    for k in range(50):
        eeg = rng.normal(0, 10, (4, 25))
        ts = (k * 25 + np.arange(25)) / 250
        preds += engine.process(Chunk(eeg, ts, np.zeros(25))).predictions
    assert preds, "withheld predictions still flow on a montage without the model's channels"
    assert all(p.label is None and "TP9" in p.withheld for p in preds)


def test_set_filters_waits_for_a_clean_window(model):
    sim = SimulatedSubject(speed=None, seed=4, chunk_s=0.25)
    engine = Engine(sim.info, model=model)
    sim.start()
    for _ in range(20):
        engine.process(sim.read())
    engine.set_filters(FilterSettings(notch_hz=60.0))
    reasons = [p.withheld for _ in range(20) for p in engine.process(sim.read()).predictions]
    sim.stop()
    assert reasons[0] and "Filters changed" in reasons[0]
    assert reasons[-1] is None


@pytest.mark.parametrize(("channels", "rate"), [(16, 250.0), (8, 1000.0)])
def test_incremental_features_equal_whole_window_welch(model, channels, rate):
    """Cached per-hop segments give the features whole-window Welch gives."""
    from bci_desktop.core.sources.simulated import montage

    feats = []
    for incremental in (True, False):
        sim = SimulatedSubject(speed=None, seed=8, chunk_s=0.02, sample_rate=rate,
                               channels=montage(channels))  # fmt: skip
        engine = Engine(
            sim.info,
            recipe=model.metadata.recipe,
            config=EngineConfig(incremental_features=incremental),
            collect_features=True,
        )
        assert (engine._incremental is not None) == incremental
        sim.start()
        rows = []
        for _ in range(int(12 / 0.02)):
            rows += [fw.features for fw in engine.process(sim.read()).features]
        sim.stop()
        feats.append(np.array(rows))
    assert feats[0].shape == feats[1].shape and len(feats[0]) == (12 - 4) * 4 + 1
    np.testing.assert_allclose(feats[0], feats[1], rtol=1e-5, atol=1e-5)


def test_incremental_cache_restarts_after_reset(model):
    sim = SimulatedSubject(speed=None, seed=8, chunk_s=0.1)
    engine = Engine(sim.info, model=model)
    sim.start()
    n_before = sum(len(engine.process(sim.read()).predictions) for _ in range(60))
    engine.reset()
    after = [p for _ in range(60) for p in engine.process(sim.read()).predictions]
    sim.stop()
    assert n_before == (6 - 4) * 4 + 1
    # a full new window is needed after a reset: no prediction mixes old and new segments
    assert len(after) == (6 - 4) * 4 + 1


def test_gap_restarts_filters_and_waits_for_a_new_window(model):
    sim = SimulatedSubject(speed=None, seed=6, chunk_s=0.5)
    engine = Engine(sim.info, model=model)
    sim.start()
    before = [p for _ in range(12) for p in engine.process(sim.read()).predictions]
    c = sim.read()
    resumed = engine.process(
        Chunk(c.eeg, c.timestamps, c.markers, c.truth, gap_before=True)
    ).predictions
    after = [p for _ in range(8) for p in engine.process(sim.read()).predictions]
    sim.stop()
    assert before and engine.restarts == 1
    assert resumed == ()  # no window mixes samples from both sides of the gap
    assert len(after) == (4.5 - 4) * 4 + 1  # a full new window: 4 s after the gap
