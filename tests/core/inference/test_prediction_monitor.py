"""Prediction monitoring: a model stuck on one class and one that flips every hop raise
their alarms within the stated times; the shipped model on the simulated subject raises
none over 30 minutes; alarms are recorded as events in the recording."""

from __future__ import annotations

from pathlib import Path

import pytest

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.prediction_monitor import (
    MonitorThresholds,
    PredictionAlarm,
    PredictionMonitor,
    training_prior,
)
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.prediction import Prediction
from bci_desktop.core.recording import read_session
from bci_desktop.core.session import (
    ModelRequest,
    PredictionAlarmChanged,
    PredictionHealthStatus,
    RecordRequest,
    SessionOptions,
    SimulatedSpec,
    StreamSession,
)
from tests.core.trial_models import FaultyModel, constant_model

CLASSES = ("calm", "happy", "sad", "stressed")
HOP_S = 0.25
#: The stated times (see bci_desktop.core.inference.prediction_monitor).
STUCK_WITHIN_S = 5 * 60.0
FLIPPING_WITHIN_S = 30.0


def _prediction(i: int, label: str | None, confidence: float = 0.9) -> Prediction:
    probs = (
        None
        if label is None
        else tuple(confidence if c == label else (1 - confidence) / 3 for c in CLASSES)
    )
    return Prediction(
        t=i * HOP_S,
        index=i,
        classes=CLASSES,
        label=label,
        probabilities=probs,
        confidence=None if label is None else confidence,
        latency_ms=0.3,
        withheld=None if label is not None else "Bad signal on F3",
    )


def _monitor(**thresholds) -> PredictionMonitor:
    return PredictionMonitor(
        "m@1",
        CLASSES,
        training_prior(CLASSES, {}),
        hop_s=HOP_S,
        thresholds=MonitorThresholds(**thresholds),
    )


def _first_on(monitor, labels, confidences=None):
    for i, label in enumerate(labels):
        conf = 0.9 if confidences is None else confidences[i]
        for change in monitor.update(_prediction(i, label, conf)):
            if change.on:
                return change, i * HOP_S
    return None, None


def test_stuck_on_one_class_raises_within_the_stated_time():
    change, at = _first_on(_monitor(), ["calm"] * 2000)
    assert change.alarm is PredictionAlarm.STUCK
    assert 4 * 60 <= at <= STUCK_WITHIN_S  # judged once 4 of the 5 minutes are filled
    assert "100% 'calm' over the last 5 min" in change.text


def test_flipping_every_hop_raises_within_the_stated_time():
    change, at = _first_on(_monitor(), ["calm", "happy"] * 200)
    assert change.alarm is PredictionAlarm.FLIPPING
    assert at <= FLIPPING_WITHIN_S
    assert "100% of hops" in change.text


def test_collapsing_confidence_raises_and_clears_with_hysteresis():
    monitor = _monitor()
    labels = [CLASSES[(i // 240) % 4] for i in range(3000)]  # a state a minute: no STUCK
    confidences = [0.9] * 1400 + [0.3] * 800 + [0.9] * 800
    changes = []
    for i, (label, conf) in enumerate(zip(labels, confidences, strict=True)):
        changes += [(c.alarm, c.on, i) for c in monitor.update(_prediction(i, label, conf))]
    assert [(a, on) for a, on, _ in changes] == [
        (PredictionAlarm.LOW_CONFIDENCE, True),
        (PredictionAlarm.LOW_CONFIDENCE, False),
    ]
    raised, cleared = changes[0][2], changes[1][2]
    assert 1400 < raised < 1400 + 240  # within the 60 s window of low confidence
    assert cleared > 2200  # only once the window holds confident predictions again


def test_withheld_predictions_are_not_judged():
    monitor = _monitor()
    assert _first_on(monitor, [None] * 2000) == (None, None)
    health = monitor.health
    assert health.psi is None and health.flip_rate is None and health.confidence is None
    assert health.summary() == "PSI –, flips –, confidence –"


def test_the_training_prior_comes_from_the_model_or_is_uniform(caplog):
    assert training_prior(CLASSES, {}).tolist() == [0.25] * 4
    prior = training_prior(
        CLASSES, {"class_prior": {"calm": 0.7, "happy": 0.1, "sad": 0.1, "stressed": 0.1}}
    )
    assert prior.round(3).tolist() == [0.7, 0.1, 0.1, 0.1]
    assert training_prior(CLASSES, {"class_prior": {"calm": 1}}).tolist() == [0.25] * 4
    assert "does not fit its classes" in caplog.text
    # A model trained mostly on 'calm' is not stuck when it says mostly 'calm'.
    monitor = PredictionMonitor("m@1", CLASSES, prior, hop_s=HOP_S)
    labels = ["calm"] * 7 + ["happy", "sad", "stressed"]
    assert _first_on(monitor, labels * 200) == (None, None)
    assert monitor.health.psi < 0.1


def test_thresholds_are_checked():
    with pytest.raises(ConfigError, match="flip_threshold"):
        MonitorThresholds(flip_threshold=0)
    with pytest.raises(ConfigError, match="confirm_hops"):
        MonitorThresholds(confirm_hops=0)


# -- through the stream session (the simulated subject at --speed max) ------------------------
def _stream(registry, *, minutes, model=None, record=None):
    messages: list = []
    options = SessionOptions(model=ModelRequest(model), duration_s=minutes * 60, record=record)
    session = StreamSession(
        SimulatedSpec(speed=None, seed=21), options, on_message=messages.append, registry=registry
    )
    return session, messages


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "registry", include_brainflow=False)


@pytest.mark.slow
def test_the_shipped_model_raises_no_prediction_alarm_over_30_minutes(registry):
    session, messages = _stream(registry, minutes=30)
    session.start()
    session.run(lambda: False)
    assert session.stats.stream_seconds >= 30 * 60
    assert [m for m in messages if isinstance(m, PredictionAlarmChanged)] == []
    last = [m for m in messages if isinstance(m, PredictionHealthStatus)][-1].health
    assert last.psi is not None and last.psi < 0.5
    assert last.flip_rate < 0.25 and last.confidence > 0.8


def test_a_stuck_model_raises_its_alarm_in_time_and_it_is_recorded(registry, tmp_path):
    stuck = constant_model(tmp_path, [0.85, 0.05, 0.05, 0.05])
    record = RecordRequest(subject="S2", folder=str(tmp_path / "sessions"))
    session, messages = _stream(registry, minutes=5.5, model=str(stuck), record=record)
    session.start()
    session.run(lambda: False)
    session.stop()
    raised = [m for m in messages if isinstance(m, PredictionAlarmChanged) and m.on]
    assert [m.alarm for m in raised] == [PredictionAlarm.STUCK]
    assert raised[0].model == "emotion-stuck@1.0.0"
    recorded = read_session(next((tmp_path / "sessions").iterdir()))
    events = [e for e in recorded.events if e["kind"] == "prediction_alarm"]
    assert len(events) == 1 and events[0]["detail"].startswith("stuck: ")
    assert events[0]["t"] - recorded.timestamps[0] <= STUCK_WITHIN_S


def test_a_model_flipping_every_hop_raises_its_alarm_in_time(registry):
    session, messages = _stream(registry, minutes=1.0)
    session.start()
    flipper = FaultyModel("flip", name="emotion-flipper")
    session.engine.set_model(flipper)  # the engine predicts with it from the next hop
    session.watch.model_changed()
    predictions: list = []
    session.run(
        lambda: False, lambda ups: predictions.extend(p for u in ups for p in u.predictions)
    )
    assert {p.model for p in predictions} == {"emotion-flipper@1.0.0"}
    raised = [m for m in messages if isinstance(m, PredictionAlarmChanged) and m.on]
    assert [m.alarm for m in raised] == [PredictionAlarm.FLIPPING]
    assert raised[0].t - predictions[0].t <= FLIPPING_WITHIN_S
    health = [m for m in messages if isinstance(m, PredictionHealthStatus)][-1].health
    assert health.flip_rate == 1.0 and PredictionAlarm.FLIPPING in health.alarms
