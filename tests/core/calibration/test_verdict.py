"""The verdict against chance, the classifier, and the ONNX file it becomes."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from bci_desktop.core.calibration.verdict import Verdict, p_text, verdict
from bci_desktop.core.classifier import fit_linear_softmax
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.model_choice import validated_accuracy
from bci_desktop.core.inference.onnx_linear import linear_softmax_onnx


def _blocks(n_states: int, per_state: int, windows: int, effect: float, seed: int = 0):
    """Features of ``per_state`` blocks per state, each block with its own offset (the slow
    drift that makes windows of one block alike), ``effect`` apart between states."""
    rng = np.random.default_rng(seed)
    X, y, g = [], [], []
    for s in range(n_states):
        for b in range(per_state):
            block_offset = rng.normal(0, 1.0, 6)
            centre = effect * np.eye(n_states, 6)[s] + block_offset
            X.append(centre + rng.normal(0, 0.5, (windows, 6)))
            y += [s] * windows
            g += [s * 100 + b] * windows
    return np.vstack(X), np.array(y), np.array(g)


def test_a_model_that_tells_states_apart_is_better_than_chance() -> None:
    X, y, g = _blocks(3, 4, 20, effect=4.0)
    v = verdict(X, y, g, ("a", "b", "c"))
    assert v.better_than_chance and v.p_value == pytest.approx(1 / 101)
    assert v.balanced_accuracy > 0.8 and v.chance == pytest.approx(1 / 3)
    assert v.folds == 4 and len(v.fold_scores) == 4 and v.n_blocks == 12
    assert sum(map(sum, v.confusion)) == v.n_windows == 240
    assert v.sentence() == "Better than chance: p = 0.0099."
    metrics = v.to_metrics()
    assert metrics["better_than_chance"] is True and metrics["permutations"] == 100
    assert validated_accuracy(metrics) == (pytest.approx(v.accuracy), "cross-validated")


def test_features_without_state_information_are_not_better_than_chance() -> None:
    X, y, g = _blocks(4, 3, 20, effect=0.0, seed=5)
    v = verdict(X, y, g, ("a", "b", "c", "d"))
    assert not v.better_than_chance and v.p_value > 0.05
    assert v.sentence().startswith("Not better than chance (p = ")
    assert v.sentence().endswith("do not use this model.")
    metrics = v.to_metrics()
    assert validated_accuracy(metrics) is None  # never chosen automatically


def test_windows_of_one_block_never_fake_a_result() -> None:
    """Block offsets alone separate windows perfectly when they are split randomly; by block
    (and with labels permuted by block) they are worth nothing."""
    X, y, g = _blocks(2, 6, 20, effect=0.0, seed=2)
    v = verdict(X, y, g, ("a", "b"))
    assert not v.better_than_chance, v.figures()


def test_few_blocks_cannot_reach_a_small_p_value_and_the_verdict_says_no() -> None:
    X, y, g = _blocks(2, 2, 30, effect=8.0)
    v = verdict(X, y, g, ("a", "b"))
    assert v.balanced_accuracy > 0.95  # perfect on held-out blocks...
    assert v.p_value > 0.1 and not v.better_than_chance  # ...but 1 shuffle in 6 is as good


def test_refusals_say_what_is_missing() -> None:
    X, y, g = _blocks(2, 2, 10, effect=1.0)
    with pytest.raises(ConfigError, match="at least 100 permutations"):
        verdict(X, y, g, ("a", "b"), permutations=50)
    keep = g != g.max()
    with pytest.raises(ConfigError, match="two blocks of every state; b has fewer"):
        verdict(X[keep], y[keep], g[keep], ("a", "b"))
    assert p_text(0.0099) == "p = 0.0099" and p_text(0.43) == "p = 0.43"
    assert isinstance(verdict(X, y, g, ("a", "b"), permutations=100), Verdict)


def test_the_classifier_exports_to_an_onnx_file_that_computes_the_same() -> None:
    X, y, _ = _blocks(3, 2, 40, effect=2.0)
    model = fit_linear_softmax(X, y, 3, c=0.5)
    data = model.to_onnx(metadata={"bci_desktop": "{}"}, doc="test")
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (inp,) = session.get_inputs()
    assert inp.name == "features" and inp.shape[1] == 6
    got = session.run(["probabilities"], {"features": X[:50].astype(np.float32)})[0]
    assert np.allclose(got, model.predict_proba(X[:50]), atol=1e-5)
    assert np.allclose(got.sum(axis=1), 1.0, atol=1e-5)
    assert session.get_modelmeta().custom_metadata_map == {"bci_desktop": "{}"}
    with pytest.raises(ValueError, match="finite"):
        linear_softmax_onnx(np.full((2, 2), np.nan), np.zeros(2))


def test_the_onnx_file_passes_the_onnx_checker() -> None:
    onnx = pytest.importorskip("onnx")  # a test tool only: the app never imports onnx
    X, y, _ = _blocks(2, 2, 20, effect=2.0)
    data = fit_linear_softmax(X, y, 2).to_onnx(metadata={"k": "v"})
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 17 and model.ir_version == 8


def test_the_classifier_agrees_with_scikit_learn() -> None:
    pytest.importorskip("sklearn")  # the reference it was written against
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, _ = _blocks(4, 3, 40, effect=1.5, seed=3)
    X = X * np.array([1, 10, 0.1, 3, 1, 1])  # features on different scales
    for c in (0.01, 0.1, 1.0):
        ours = fit_linear_softmax(X, y, 4, c=c)
        ref = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=10000, tol=1e-10))
        ref.fit(X.astype(np.float32), y)
        diff = np.abs(ours.predict_proba(X) - ref.predict_proba(X.astype(np.float32))).max()
        assert diff < 1e-3, (c, diff)
