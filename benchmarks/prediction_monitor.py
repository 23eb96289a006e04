"""The numbers behind the prediction monitor's thresholds (bci_desktop/core/inference/
prediction_monitor.py, docs/models.md "Prediction monitoring").

    python benchmarks/prediction_monitor.py            # 3 sessions x 30 min, about 1 min

For the shipped model on the simulated subject (default script, seeds 1-3, 30 minutes
each at --speed max, through the StreamSession): the worst (highest) PSI of the class
distribution over windows of 2, 3, 4 and 5 minutes, the worst flip rate over 30 s and the
lowest mean confidence over 60 s, once each check judges. Then the stream time at which a
model stuck on one class and a model that flips every hop raise their alarms.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

from bci_desktop.core.inference.prediction_monitor import (
    MonitorThresholds,
    PredictionMonitor,
    training_prior,
)
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.session import (
    ModelRequest,
    PredictionAlarmChanged,
    SessionOptions,
    SimulatedSpec,
    StreamSession,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.core.trial_models import FaultyModel, constant_model

WINDOWS_MIN = (2, 3, 4, 5)


def good_model(seed: int, registry: ModelRegistry) -> dict[str, float]:
    predictions: list = []
    session = StreamSession(
        SimulatedSpec(speed=None, seed=seed),
        SessionOptions(duration_s=30 * 60),
        registry=registry,
    )
    session.start()
    session.run(
        lambda: False, lambda ups: predictions.extend(p for u in ups for p in u.predictions)
    )
    classes = predictions[0].classes
    prior = training_prior(classes, {})
    worst: dict[str, float] = {}
    for minutes in WINDOWS_MIN:
        th = MonitorThresholds(distribution_window_s=minutes * 60.0)
        monitor = PredictionMonitor("m", classes, prior, hop_s=0.25, thresholds=th)
        for p in predictions:
            monitor.update(p)
            h = monitor.health
            if h.psi is not None:
                worst[f"psi_{minutes}min"] = max(worst.get(f"psi_{minutes}min", 0.0), h.psi)
            if minutes == 5:
                if h.flip_rate is not None:
                    worst["flip_30s"] = max(worst.get("flip_30s", 0.0), h.flip_rate)
                if h.confidence is not None:
                    worst["conf_60s_min"] = min(worst.get("conf_60s_min", 1.0), h.confidence)
                change = h.confidence_change
                if change is not None:
                    worst["conf_drop"] = max(worst.get("conf_drop", 0.0), -change)
    worst["accuracy"] = session.stats.accuracy or float("nan")
    return worst


def raise_time(registry: ModelRegistry, *, model_file: str | None = None,
               flipper: bool = False) -> float | None:  # fmt: skip
    messages: list = []
    first: list = []
    session = StreamSession(
        SimulatedSpec(speed=None, seed=21),
        SessionOptions(model=ModelRequest(model_file), duration_s=6 * 60),
        on_message=messages.append,
        registry=registry,
    )
    session.start()
    if flipper:
        session.engine.set_model(FaultyModel("flip", name="emotion-flipper"))
        session.watch.model_changed()

    def keep(ups) -> None:
        if not first:
            first.extend(p.t for u in ups for p in u.predictions[:1])

    session.run(lambda: bool([m for m in messages if isinstance(m, PredictionAlarmChanged)]), keep)
    session.stop()
    raised = [m for m in messages if isinstance(m, PredictionAlarmChanged) and m.on]
    return None if not raised else (raised[0].alarm.value, raised[0].t - first[0])


def main() -> int:
    logging.getLogger("bci_desktop").setLevel(logging.ERROR)  # the alarms it provokes
    with tempfile.TemporaryDirectory() as tmp:
        registry = ModelRegistry(Path(tmp) / "registry", include_brainflow=False)
        print("shipped model, simulated subject, 30 min per session:")
        for seed in (1, 2, 3):
            worst = good_model(seed, registry)
            print(f"  seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in worst.items()))
        stuck = constant_model(Path(tmp), [0.85, 0.05, 0.05, 0.05])
        print("stuck model raises:", raise_time(registry, model_file=str(stuck)))
        print("flipping model raises:", raise_time(registry, flipper=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
