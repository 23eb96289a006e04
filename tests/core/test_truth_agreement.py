"""Agreement with the truth counts only predictions of models whose classes are the
source's true states (a mindfulness model agrees with no emotion: "0 %" would be wrong)."""

from __future__ import annotations

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.prediction import truth_comparable
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject
from tests.core.modelfiles import write_model


def _accuracy(model: EmotionModel) -> tuple[float | None, int]:
    sim = SimulatedSubject(speed=None, seed=5, chunk_s=0.25)
    engine = Engine(sim.info, model=model, config=EngineConfig(strict_channels=False))
    runner = StreamRunner(sim, engine, duration_s=12.0)
    stats = runner.run()
    return stats.accuracy, stats.predictions


def test_truth_comparable_needs_the_same_classes():
    states = ("calm", "happy", "sad", "stressed")
    assert truth_comparable(("stressed", "calm", "sad", "happy"), states)
    assert not truth_comparable(("focused", "relaxed"), states)
    assert not truth_comparable(("calm", "happy"), states)
    assert not truth_comparable(("calm",), ())


def test_runner_scores_only_models_of_the_subjects_states(tmp_path):
    default = EmotionModel.load(default_model_path())
    accuracy, n = _accuracy(default)
    assert n > 20 and accuracy is not None
    other = write_model(
        tmp_path / "mindful.onnx", n_classes=2, meta_overrides={"classes": ["focused", "relaxed"]}
    )
    accuracy, n = _accuracy(EmotionModel.load(other))
    assert n > 20 and accuracy is None
