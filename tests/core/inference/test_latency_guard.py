"""Latency tiers: a model over its budget is flagged, and optionally replaced for a while."""

from __future__ import annotations

import logging

import pytest

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.latency_guard import LatencyGuard
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject
from tests.core.modelfiles import write_model

pytest.importorskip("skl2onnx")

FALLBACK = "emotion-default@1.0.0"


def test_guard_trips_once_when_p99_exceeds_budget():
    guard = LatencyGuard(1.0, window=100, min_samples=20, check_every=1)
    tripped = [guard.add(0.5) for _ in range(50)]
    assert not any(tripped) and not guard.over_budget and guard.p99 == pytest.approx(0.5)
    tripped = [guard.add(5.0) for _ in range(10)]  # 10 % slow calls: p99 is slow
    assert tripped.count(True) == 1 and guard.over_budget and guard.trips == 1
    assert guard.p99 > 1.0
    for _ in range(100):  # the slow calls leave the window
        guard.add(0.5)
    assert not guard.over_budget and guard.trips == 1


def test_guard_waits_for_enough_samples():
    guard = LatencyGuard(1.0, window=400)
    assert guard.min_samples == 100
    assert not any(guard.add(50.0) for _ in range(99))
    assert not guard.over_budget
    assert any(guard.add(50.0) for _ in range(4))


@pytest.mark.parametrize("budget", [0, -1.0, float("nan"), True, "5"])
def test_guard_refuses_a_bad_budget(budget):
    with pytest.raises(ConfigError, match="'budget_ms' parameter"):
        LatencyGuard(budget)


@pytest.fixture(scope="module")
def slow_model(tmp_path_factory) -> EmotionModel:
    """A real model with an impossible budget: every prediction is over it."""
    path = tmp_path_factory.mktemp("m") / "slow.onnx"
    write_model(path, meta_overrides={"name": "slow-model", "latency_budget_ms": 0.0001})
    return EmotionModel.load(path)


def _run(engine: Engine, seconds: float, seed: int = 3):
    sim = SimulatedSubject(speed=None, seed=seed, chunk_s=0.25)
    assert sim.info.channel_names == engine.info.channel_names
    preds = []
    StreamRunner(
        sim, engine, duration_s=seconds, on_update=lambda u: preds.extend(u.predictions)
    ).run()
    return preds


def test_over_budget_model_is_flagged_and_logged_once(slow_model, caplog):
    caplog.set_level(logging.INFO, logger="bci_desktop")
    sim = SimulatedSubject(speed=None, seed=3)
    engine = Engine(sim.info, model=slow_model, config=EngineConfig(latency_window=80))
    preds = _run(engine, 40.0)
    assert engine.latency_alarm and engine.latency_guard.over_budget
    assert engine.latency_guard.p99 > 0.0001
    assert not engine.fallback_active  # fallback not enabled: keep the chosen model
    assert {p.model for p in preds} == {"slow-model@0.1"}
    warnings = [r for r in caplog.records if "exceeds its budget" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "Model slow-model@0.1: p99 latency" in warnings[0].getMessage()


def test_fallback_replaces_the_slow_model_then_retries_it(slow_model, caplog):
    caplog.set_level(logging.INFO, logger="bci_desktop")
    fallback = EmotionModel.load(default_model_path())
    sim = SimulatedSubject(speed=None, seed=3)
    config = EngineConfig(latency_window=40, fallback_model=fallback, latency_retry_s=5.0)
    engine = Engine(sim.info, model=slow_model, config=config)
    preds = _run(engine, 60.0)
    labels = [p.model for p in preds]
    # slow first; after its guard trips (>= 20 predictions), the fallback
    first_fallback = labels.index(FALLBACK)
    assert first_fallback >= 20 and set(labels[:first_fallback]) == {"slow-model@0.1"}
    # after 5 s (20 hops) on the fallback, the slow model is tried again, and trips again
    retried = labels.index("slow-model@0.1", first_fallback)
    assert retried - first_fallback == 20
    assert FALLBACK in labels[retried:]
    # no gap in the prediction stream through the switches
    assert [p.index for p in preds] == list(range(preds[0].index, preds[-1].index + 1))
    assert engine.primary_model is slow_model
    assert engine.latency_alarm
    text = caplog.text
    assert "Switching to the faster model emotion-default@1.0.0" in text
    assert "Trying model slow-model@0.1 again" in text
    assert (
        sum(
            "exceeds its budget" in r.getMessage() and r.levelno == logging.WARNING
            for r in caplog.records
        )
        == 1
    )


def test_fallback_armed_while_over_budget_takes_over_at_once(slow_model):
    """The GUI's switch can be turned on after the guard tripped: no new trip will come, so
    arming the fallback must switch at once; disarming goes back to the chosen model."""
    sim = SimulatedSubject(speed=None, seed=3, chunk_s=0.25)
    config = EngineConfig(latency_window=40)
    engine = Engine(sim.info, model=slow_model, config=config)
    sim.start()
    preds = []

    def run(hops: int) -> list:
        out = []
        while len(out) < hops:
            out += engine.process(sim.read()).predictions
        preds.extend(out)
        return out

    run(60)
    assert engine.latency_guard.over_budget and not engine.fallback_active
    engine.set_fallback_model(EmotionModel.load(default_model_path()))
    assert engine.fallback_active
    assert {p.model for p in run(8)} == {FALLBACK}
    engine.set_fallback_model(None)
    assert not engine.fallback_active
    assert {p.model for p in run(8)} == {"slow-model@0.1"}
    assert [p.index for p in preds] == list(range(preds[0].index, preds[-1].index + 1))


def test_fallback_must_predict_the_same_classes(slow_model, tmp_path):
    other = EmotionModel.load(
        write_model(tmp_path / "o.onnx", meta_overrides={"classes": ["w", "x", "y", "z"]})
    )
    sim = SimulatedSubject(speed=None, seed=3)
    with pytest.raises(ConfigError, match="a fallback must predict the same classes"):
        Engine(sim.info, model=slow_model, config=EngineConfig(fallback_model=other))
