"""BrainFlow's built-in mindfulness and restfulness classifiers as engine models."""

from __future__ import annotations

import numpy as np
import pytest
from brainflow.data_filter import DataFilter
from brainflow.ml_model import BrainFlowClassifiers, BrainFlowModelParams, MLModel

from bci_desktop.core.engine import Engine
from bci_desktop.core.errors import ConfigError, ModelError
from bci_desktop.core.inference.brainflow_models import METRICS, BrainFlowModel
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject


@pytest.mark.parametrize("metric", ["mindfulness", "restfulness"])
def test_engine_predicts_with_brainflow_classifier(metric):
    sim = SimulatedSubject(speed=None, seed=4, chunk_s=0.1)
    with BrainFlowModel.for_stream(sim.info, metric) as model:
        assert model.metadata.label.startswith(f"brainflow-{metric}@")
        assert model.input_shape == (16, 1000)
        engine = Engine(sim.info, model=model)
        preds = []
        StreamRunner(
            sim, engine, duration_s=8.0, on_update=lambda u: preds.extend(u.predictions)
        ).run()
    assert len(preds) == (8 - 4) * 4 + 1
    classes = METRICS[metric][1]
    for p in preds:
        assert p.classes == classes and p.model == model.metadata.label
        assert p.withheld is None and p.label in classes
        assert sum(p.probabilities) == pytest.approx(1.0, abs=1e-6)
        assert all(0.0 <= q <= 1.0 for q in p.probabilities)
        assert p.latency_ms > 0
        assert p.drift is None  # BrainFlow's models carry no reference statistics


def test_score_is_brainflows_own_prediction():
    """The wrapper gives what BrainFlow's documented recipe gives on the same window."""
    rng = np.random.default_rng(1)
    window = np.ascontiguousarray(rng.normal(0, 10, (8, 1000)))
    with BrainFlowModel("mindfulness", [f"c{i}" for i in range(8)], 250.0) as model:
        p = model.predict_proba(window)
        features = model.features(window)
        # the shared classifier is prepared: BrainFlow refuses a second one, so compare by
        # recomputing the documented feature vector and asking the wrapper's classifier
        avg, _ = DataFilter.get_avg_band_powers(window.copy(), list(range(8)), 250, True)
        np.testing.assert_allclose(features, avg)
        assert features.shape == (5,) and features.sum() == pytest.approx(1.0, abs=1e-6)
        assert p[1] == pytest.approx(model.score(window)) and p.sum() == pytest.approx(1.0)
    # released: BrainFlow's own classifier can now be prepared and agrees
    params = BrainFlowModelParams(
        METRICS["mindfulness"][0].value, BrainFlowClassifiers.DEFAULT_CLASSIFIER.value
    )
    reference = MLModel(params)
    reference.prepare()
    try:
        assert float(reference.predict(avg)[0]) == pytest.approx(float(p[1]), abs=1e-6)
    finally:
        reference.release()


def test_instances_share_one_classifier():
    a = BrainFlowModel("restfulness", ["Cz", "Pz"], 250.0)
    b = BrainFlowModel("restfulness", ["Cz", "Pz"], 250.0)
    window = np.random.default_rng(2).normal(0, 10, (2, 1000))
    a.close()
    assert b.predict_proba(window).shape == (2,)  # still prepared for b
    b.close()
    with pytest.raises(ModelError, match="was closed"):
        b.predict_proba(window)


def test_bad_arguments_are_refused():
    with pytest.raises(ConfigError, match="'metric' parameter"):
        BrainFlowModel("focus", ["Cz"], 250.0)
    with pytest.raises(ConfigError, match="at least 100 Hz"):
        BrainFlowModel("mindfulness", ["Cz"], 64.0)


def test_registry_entry_loads_for_a_stream(tmp_path):
    sim = SimulatedSubject(speed=None, seed=4)
    entry = ModelRegistry(tmp_path / "r", runs=5).get("brainflow-restfulness")
    model = entry.load(sim.info)
    try:
        assert isinstance(model, BrainFlowModel) and model.metadata.label == entry.label
        assert model.classes == ("not restful", "restful")
    finally:
        model.close()
