"""The model registry: validated import, SHA-256 copies, activation, rollback, safety."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.registry import (
    ModelRegistry,
    ModelValidationError,
    user_models_dir,
)
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.sources.montage import MODEL_CHANNELS
from tests.core.inference.onnx_graphs import write_linear_model, write_window_model
from tests.core.modelfiles import feature_names, fitted, metadata_dict, write_model

pytest.importorskip("skl2onnx")
pytest.importorskip("onnx")

DEFAULT = "emotion-default@1.0.0"


@pytest.fixture
def registry(tmp_path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "registry", runs=20)


def _model(tmp_path, name="lab-model", version="1.0", seed=0, **meta):
    path = tmp_path / f"{name}-{version}-{seed}.onnx"
    return write_model(path, seed=seed, meta_overrides={"name": name, "version": version, **meta})


def test_fresh_registry_has_the_shipped_default_active(registry):
    entries = {e.label: e for e in registry.list()}
    assert entries[DEFAULT].source == "shipped" and entries[DEFAULT].active
    assert sum(e.active for e in entries.values()) == 1
    assert registry.active().label == DEFAULT
    builtin = [e for e in entries.values() if e.source == "brainflow"]
    assert {e.name for e in builtin} == {"brainflow-mindfulness", "brainflow-restfulness"}
    assert not registry.index_path.exists()  # reading writes nothing


def test_data_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    assert user_models_dir() == tmp_path / "data" / "models"
    assert ModelRegistry().root == tmp_path / "data" / "models"


def test_import_copies_the_file_with_its_hash(registry, tmp_path):
    original = _model(tmp_path)
    data = original.read_bytes()
    entry = registry.import_file(original)
    assert entry.label == "lab-model@1.0" and entry.source == "user" and not entry.active
    assert entry.path == registry.root / "lab-model" / "1.0" / "model.onnx"
    assert entry.path.read_bytes() == data
    assert entry.sha256 == hashlib.sha256(data).hexdigest()
    assert entry.p99_ms is not None and entry.classes == ("calm", "happy", "sad", "stressed")
    index = json.loads(registry.index_path.read_text())
    assert index["models"]["lab-model@1.0"]["sha256"] == entry.sha256
    # a later change to the original changes nothing in the registry
    _model(tmp_path, seed=5).replace(original)
    assert original.read_bytes() != data
    again = registry.get("lab-model@1.0")
    assert again.path.read_bytes() == data and again.sha256 == entry.sha256
    assert registry.activate("lab-model").label == "lab-model@1.0"


def test_import_is_idempotent_and_refuses_a_changed_twin(registry, tmp_path):
    first = registry.import_file(_model(tmp_path))
    assert registry.import_file(_model(tmp_path)) == first  # same bytes: same entry
    twin = _model(tmp_path, seed=3)  # same name@version, other weights
    with pytest.raises(ModelError, match="already in the registry with other contents"):
        registry.import_file(twin)
    replaced = registry.import_file(twin, replace=True)
    assert replaced.sha256 != first.sha256
    assert registry.get("lab-model@1.0").sha256 == replaced.sha256


def test_shipped_models_cannot_be_replaced(registry, tmp_path):
    clone = _model(tmp_path, name="emotion-default", version="1.0.0")
    with pytest.raises(ModelError, match="comes with the app and cannot be replaced"):
        registry.import_file(clone, replace=True)


def _refused_file(tmp_path, kind):
    path = tmp_path / f"{kind}.onnx"
    if kind == "truncated":
        good = _model(tmp_path, name="cut").read_bytes()
        path.write_bytes(good[: len(good) // 3])
    elif kind == "not-onnx":
        path.write_text("id,value\n1,2\n")
    elif kind == "wrong-input":
        write_model(path, n_features=9, meta_overrides={"name": "narrow"})
    elif kind == "outputs-not-classes":
        write_model(path, n_classes=3, meta_overrides={"name": "three"})
    elif kind == "sum-not-one":
        write_linear_model(path, activation="Sigmoid", name="sigmoid-net")
    elif kind == "test-vector":
        clf, X = fitted(len(feature_names()))
        meta = metadata_dict(clf, X, name="liar")
        meta["test_vector"]["probabilities"] = [[1.0, 0.0, 0.0, 0.0]] * 2
        write_model(path, raw_metadata=json.dumps(meta))
    return path


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("truncated", "not a readable ONNX model"),
        ("not-onnx", "not a readable ONNX model"),
        ("wrong-input", r"input has shape \[None, 9\]"),
        ("outputs-not-classes", "3 columns but the metadata declares 4 classes"),
        ("sum-not-one", r"sum to .* not 1"),
        ("test-vector", "does not reproduce its test vector"),
    ],
)
def test_refused_import_keeps_the_active_model(registry, tmp_path, kind, reason):
    registry.activate(registry.import_file(_model(tmp_path)).label)
    before = registry.active()
    listed = registry.list()
    with pytest.raises(ModelValidationError, match=reason) as info:
        registry.import_file(_refused_file(tmp_path, kind))
    assert not info.value.report.ok and info.value.report.reasons
    assert registry.active() == before and before.label == "lab-model@1.0"
    assert registry.list() == listed  # nothing stored
    # the active model still loads and predicts
    model = registry.active().load()
    p = model.predict_proba(np.zeros(model.input_shape, dtype=np.float32))
    assert p.sum() == pytest.approx(1.0, abs=1e-5)


def test_activation_history_and_rollback(registry, tmp_path):
    a = registry.import_file(_model(tmp_path, version="1.0"))
    b = registry.import_file(_model(tmp_path, version="1.10", seed=1))
    c = registry.import_file(_model(tmp_path, version="1.9", seed=2))
    assert registry.get("lab-model") == b  # natural version order: 1.10 > 1.9 > 1.0
    registry.activate("lab-model@1.0")
    registry.activate("lab-model")  # newest: 1.10
    registry.activate(c.label)
    assert registry.active().label == c.label
    assert registry.history() == [DEFAULT, a.label, b.label]
    assert registry.activate(c.label).label == c.label  # no-op: history unchanged
    assert registry.history() == [DEFAULT, a.label, b.label]
    assert registry.rollback().label == b.label
    assert registry.rollback().label == a.label
    assert registry.rollback().label == DEFAULT
    assert registry.active().label == DEFAULT
    with pytest.raises(ModelError, match="no previous model to roll back to"):
        registry.rollback()


def test_unknown_model_lists_what_there_is(registry):
    with pytest.raises(ModelError, match=r"No model 'nope' in the registry \(it has: .*emotion"):
        registry.activate("nope")
    assert registry.active().label == DEFAULT


def test_a_copy_changed_on_disk_is_not_activated(registry, tmp_path):
    entry = registry.import_file(_model(tmp_path))
    entry.path.write_bytes(_model(tmp_path, seed=7).read_bytes())  # tampered in place
    with pytest.raises(ModelValidationError, match="changed since it was imported"):
        registry.activate(entry.label)
    assert registry.active().label == DEFAULT


def test_rollback_target_failing_validation_changes_nothing(registry, tmp_path):
    a = registry.import_file(_model(tmp_path))
    registry.activate(a.label)
    registry.activate(DEFAULT)
    a.path.write_bytes(a.path.read_bytes()[:100])  # the previous model got damaged
    with pytest.raises(ModelValidationError, match="not a readable ONNX model"):
        registry.rollback()
    assert registry.active().label == DEFAULT and registry.history() == [DEFAULT, a.label]


def test_active_and_previous_models_are_never_removed_or_replaced(registry, tmp_path):
    a = registry.import_file(_model(tmp_path, version="1"))
    b = registry.import_file(_model(tmp_path, version="2", seed=1))
    c = registry.import_file(_model(tmp_path, version="3", seed=2))
    registry.activate(a.label)
    registry.activate(b.label)  # a is now the rollback target
    for ref in (a.label, b.label):
        with pytest.raises(ModelError, match="active model or the one a rollback returns to"):
            registry.remove(ref)
    with pytest.raises(ModelError, match="active model or the one a rollback"):
        registry.import_file(_model(tmp_path, version="2", seed=9), replace=True)
    with pytest.raises(ModelError, match="comes with the app"):
        registry.remove(DEFAULT)
    registry.remove(c.label)
    assert not c.path.exists()
    assert c.label not in {e.label for e in registry.list()}
    assert a.path.exists() and b.path.exists()


def test_damaged_index_is_rebuilt_from_the_files(registry, tmp_path, caplog):
    entry = registry.import_file(_model(tmp_path))
    registry.activate(entry.label)
    registry.index_path.write_text("{ half a json")
    labels = {e.label for e in registry.list()}
    assert entry.label in labels
    assert registry.active().label == DEFAULT  # the choice is lost, a working model is not
    assert "damaged" in caplog.text
    assert list(registry.root.glob("index.json.damaged-*"))


def test_window_models_import_and_are_a_latency_fallback(tmp_path):
    # The default model alone ships here: which of two fast models is faster is a timing
    # (the shipped EEGNet tier against this tiny graph, measured on a busy machine, once
    # came out the other way), and what is tested is that a window model takes part.
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "emotion-default.onnx").write_bytes(default_model_path().read_bytes())
    registry = ModelRegistry(tmp_path / "registry", shipped=shipped, runs=20)
    classes = ("calm", "happy", "sad", "stressed")
    assert registry.fastest_for(classes, exclude=DEFAULT, channels=MODEL_CHANNELS) is None
    w = registry.import_file(write_window_model(tmp_path / "w.onnx"))
    assert w.input_kind == "window"
    fast = registry.fastest_for(classes, exclude=DEFAULT, channels=MODEL_CHANNELS)
    assert fast is not None and fast.label == w.label
    assert registry.fastest_for(classes, exclude=DEFAULT, channels=MODEL_CHANNELS[:4]) is None
    assert registry.fastest_for(("yes", "no")) is None


def test_latency_fallback_is_the_fastest_other_model_loaded(tmp_path):
    shipped = tmp_path / "shipped"  # the default model alone (the network tier ships too)
    shipped.mkdir()
    (shipped / "emotion-default.onnx").write_bytes(default_model_path().read_bytes())
    registry = ModelRegistry(tmp_path / "registry", shipped=shipped, runs=20)
    default = registry.active().load()
    assert registry.load_fallback_for(default) is None  # only the default predicts these
    other = registry.import_file(write_model(tmp_path / "other.onnx"))
    fallback = registry.load_fallback_for(default)
    assert fallback is not None and fallback.metadata.label == other.label
    assert registry.load_fallback_for(fallback).metadata.label == default.metadata.label


def test_brainflow_models_activate_and_need_a_stream(registry):
    entry = registry.activate("brainflow-mindfulness")
    assert registry.active() == entry and entry.source == "brainflow"
    with pytest.raises(ModelError, match="pass its StreamInfo"):
        entry.load()
    assert registry.rollback().label == DEFAULT
