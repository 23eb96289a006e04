"""validate_model_file: every check of the model contract, every reason listed."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.metadata import ModelMetadata
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.inference.validation import ValidationReport, validate_model_file
from bci_desktop.core.resources import default_model_path
from tests.core.inference.onnx_graphs import write_linear_model, write_window_model
from tests.core.modelfiles import feature_names, fitted, metadata_dict, write_model

pytest.importorskip("skl2onnx")
pytest.importorskip("onnx")

REPO = Path(__file__).resolve().parents[3]


def _bad_test_vector(path: Path) -> Path:
    clf, X = fitted(len(feature_names()))
    meta = metadata_dict(clf, X)
    meta["test_vector"]["probabilities"] = [[0.25, 0.25, 0.25, 0.25]] * 2
    return write_model(path, raw_metadata=json.dumps(meta))


def test_good_model_is_valid_with_latency_and_hash(tmp_path):
    path = write_model(tmp_path / "good.onnx")
    report = validate_model_file(path, runs=50)
    assert report.ok, report.reasons
    assert report.reasons == ()
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.metadata is not None and report.metadata.label == "test-model@0.1"
    assert report.p99_ms is not None and report.p99_ms >= report.p50_ms > 0
    assert report.budget_ms == 100.0 and report.runs == 50
    assert "valid" in report.summary() and report.to_dict()["ok"] is True


def test_shipped_default_model_is_valid():
    assert validate_model_file(default_model_path(), runs=20).ok


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        pytest.param("missing", "does not exist", id="missing-file"),
        pytest.param("text", "not a readable ONNX model", id="not-onnx"),
        pytest.param("truncated", "not a readable ONNX model", id="truncated"),
        pytest.param("no-metadata", "has no 'bci_desktop' metadata", id="no-metadata"),
        pytest.param(
            "wrong-input",
            r"input has shape \[None, 7\] but .*\[batch, 44\]",
            id="wrong-input-shape",
        ),
        pytest.param(
            "classes",
            "has 3 columns but the metadata declares 4 classes",
            id="outputs-not-classes",
        ),
        pytest.param("sigmoid", r"sum to \d\.\d+ \(row \d\), not 1", id="sum-not-one"),
        pytest.param("raw-scores", r"probabilities must lie within \[0, 1\]", id="raw-scores"),
        pytest.param("test-vector", "does not reproduce its test vector", id="test-vector"),
        pytest.param(
            "huge-input",
            r"inputs that are not finite float32 numbers \(largest magnitude 1e\+39\)",
            id="test-vector-overflows-float32",
        ),
        pytest.param(
            "names", "'feature_names' lists 44 features, but the feature spec", id="feature-names"
        ),
    ],
)
def test_bad_files_are_refused_with_their_reason(tmp_path, kind, reason):
    path = tmp_path / "model.onnx"
    if kind == "text":
        path.write_text("this is not a model\n")
    elif kind == "truncated":
        good = write_model(tmp_path / "good.onnx").read_bytes()
        path.write_bytes(good[: len(good) // 2])
    elif kind == "no-metadata":
        write_model(path, n_features=len(feature_names()))
    elif kind == "wrong-input":
        write_model(path, n_features=7, meta_overrides={})
    elif kind == "classes":
        write_model(path, n_classes=3)
    elif kind == "sigmoid":
        write_linear_model(path, activation="Sigmoid")
    elif kind == "raw-scores":
        write_linear_model(path, activation="Identity")
    elif kind == "test-vector":
        _bad_test_vector(path)
    elif kind == "huge-input":  # found by the fuzzer: one digit of a JSON number changed
        clf, X = fitted(len(feature_names()))
        meta = metadata_dict(clf, X)
        meta["test_vector"]["inputs"][0][5] = 1e39
        write_model(path, raw_metadata=json.dumps(meta))
    elif kind == "names":
        names = list(feature_names())
        names[3] = "F7 alpha something_else"
        write_model(path, meta_overrides={"feature_names": names})
    report = validate_model_file(path, runs=10)
    assert not report.ok
    assert any(re.search(reason, r) for r in report.reasons), report.reasons
    # the same checks refuse the file on load
    with pytest.raises(ModelError):
        EmotionModel.load(path)


def test_every_failing_check_is_listed(tmp_path):
    # a sigmoid output (rows do not sum to one) AND a test vector it does not reproduce AND
    # an impossible latency budget: three reasons, not just the first
    path = write_linear_model(tmp_path / "m.onnx", activation="Sigmoid")
    broken = tmp_path / "broken.onnx"
    import onnx

    model = onnx.load(str(path))
    meta = json.loads(model.metadata_props[0].value)
    meta["test_vector"]["probabilities"] = [[0.5, 0.5, 0.5, 0.5]] * 2
    model.metadata_props[0].value = json.dumps(meta)
    broken.write_bytes(model.SerializeToString())
    report = validate_model_file(broken, latency_budget_ms=1e-9, runs=20)
    text = " | ".join(report.reasons)
    assert len(report.reasons) == 3, text
    assert "not 1" in text
    assert "does not reproduce its test vector" in text
    assert "over its budget of 1e-09 ms" in text


def test_wrong_input_also_reports_inconsistent_reference(tmp_path):
    path = write_model(tmp_path / "m.onnx", n_features=7, meta_overrides={})
    reasons = validate_model_file(path, runs=0).reasons
    assert any("input has shape" in r for r in reasons)
    assert any("'reference.mean' has 7 values for 44 features" in r for r in reasons)


def test_latency_over_budget_is_a_reason(tmp_path):
    path = write_model(tmp_path / "m.onnx", meta_overrides={"latency_budget_ms": 1e-6})
    report = validate_model_file(path, runs=30)
    assert not report.ok
    assert report.budget_ms == 1e-6 and report.p99_ms > 1e-6
    assert report.reasons == (
        f"its p99 latency on this machine is {report.p99_ms:.3f} ms, over its budget of 1e-06 ms",
    )
    # an explicit, generous budget overrides the model's own
    assert validate_model_file(path, latency_budget_ms=1000.0, runs=30).ok


def test_runs_zero_skips_the_latency_measurement(tmp_path):
    report = validate_model_file(write_model(tmp_path / "m.onnx"), runs=0)
    assert report.ok and report.p99_ms is None and report.runs == 0


def test_window_model_with_nested_test_vector_is_valid(tmp_path):
    path = write_window_model(tmp_path / "w.onnx")
    report = validate_model_file(path, runs=20)
    assert report.ok, report.reasons
    model = EmotionModel.load(path)
    assert model.input_shape == (8, 500)
    p = model.predict_proba(np.random.default_rng(0).normal(0, 10, (8, 500)))
    assert p.shape == (4,) and p.sum() == pytest.approx(1.0, abs=1e-5)


def test_window_model_with_wrong_window_is_refused(tmp_path):
    path = write_window_model(tmp_path / "w.onnx", window_s=2.0)
    import onnx

    model = onnx.load(str(path))
    meta = json.loads(model.metadata_props[0].value)
    meta["window_s"] = 3.0  # the graph takes 500 samples, the metadata now says 750
    model.metadata_props[0].value = json.dumps(meta)
    path.write_bytes(model.SerializeToString())
    reasons = validate_model_file(path, runs=0).reasons
    assert any("[batch, 8, 750] (channels x samples)" in r for r in reasons), reasons


def test_names_that_cannot_be_folders_are_refused():
    meta = {
        "name": "../evil",
        "version": "1 0",
        "classes": ["a", "b"],
        "channels": ["Cz"],
        "sample_rate": 250,
        "test_vector": {"inputs": [[0]], "probabilities": [[1, 0]]},
    }
    with pytest.raises(ModelError) as info:
        ModelMetadata.from_dict(meta)
    assert "'name' must be 1-64 letters" in str(info.value)
    assert "'version' must be 1-64 letters" in str(info.value)


def test_reference_statistics_are_checked():
    meta = {
        "name": "m",
        "version": "1",
        "classes": ["a", "b"],
        "channels": ["Cz"],
        "sample_rate": 250,
        "reference": {"mean": [0.0, "x"], "n": 0},
        "test_vector": {"inputs": [[0]], "probabilities": [[1, 0]]},
    }
    with pytest.raises(ModelError) as info:
        ModelMetadata.from_dict(meta)
    text = str(info.value)
    assert "'reference' needs 'std'" in text
    assert "'reference.mean' must be a list of finite numbers" in text
    assert "'reference.n' must be a positive integer" in text


def _doc_example(name: str) -> str:
    text = (REPO / "docs" / "models.md").read_text(encoding="utf-8")
    start = text.index(f"<!-- example: {name}")
    body = text.index("```python\n", start) + len("```python\n")
    return text[body : text.index("```", body)]


def test_sklearn_example_of_the_docs_runs_and_validates(tmp_path):
    """docs/models.md's scikit-learn example, run as written, gives a valid model."""
    script = tmp_path / "export_example.py"
    script.write_text(_doc_example("sklearn"), encoding="utf-8")
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote seed-like-de.onnx" in done.stdout
    report: ValidationReport = validate_model_file(tmp_path / "seed-like-de.onnx", runs=50)
    assert report.ok, report.reasons
    meta = report.metadata
    assert meta.label == "seed-like-de@1.0.0"
    assert meta.classes == ("negative", "neutral", "positive")
    assert len(meta.reference["mean"]) == len(meta.feature_names) == 40
    assert meta.metrics["holdout_accuracy"] > 0.8
