"""Issue 12, items 3, 4, 5 and 9: models that emit NaN, declare absurd numbers, loop for
ever, exhaust memory or nest their metadata 100,000 deep.

One validation decides for the registry and the loader alike, in a child process with a
time and memory limit; an output that is not a probability vector at run time is withheld.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from bci_desktop.core.engine import Engine
from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.inference.registry import ModelRegistry, ModelValidationError
from bci_desktop.core.inference.sandbox import validate_isolated
from bci_desktop.core.inference.validation import open_session, read_metadata
from bci_desktop.core.inference.validation import validate_model_file as validate
from bci_desktop.core.sources.simulated import SimulatedSubject
from tests.core import hostile
from tests.core.modelfiles import fitted, metadata_dict, write_model

pytest.importorskip("onnx")
pytest.importorskip("skl2onnx")

DEFAULT = "emotion-default@1.0.0"


@pytest.fixture
def registry(tmp_path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "registry", runs=20, include_brainflow=False)


def _raw_metadata(tmp_path, name: str, edit) -> object:
    clf, X = fitted(44)
    meta = metadata_dict(clf, X, name=name)
    edit(meta)
    return write_model(tmp_path / f"{name}.onnx", raw_metadata=json.dumps(meta))


# -- item 3: NaN outputs ---------------------------------------------------------------------
def test_a_model_giving_nan_beside_its_test_vector_is_refused_by_validate_and_load(tmp_path):
    path = hostile.nan_model(tmp_path / "nan.onnx")
    report = validate(path, runs=10)
    assert not report.ok
    assert any("near its test vector" in r and "NaN" in r for r in report.reasons)
    with pytest.raises(ModelValidationError, match="near its test vector"):
        EmotionModel.load(path)


def test_nan_outputs_at_run_time_are_withheld_with_the_reason(tmp_path):
    # passes every check (its first feature stays low on the test vector and the probes),
    # gives NaN while the live feature is above 4.7 (about half the time)
    path = hostile.nan_model(tmp_path / "nan-live.onnx", threshold=4.7)
    assert validate(path, runs=0).ok
    model = EmotionModel.load(path)
    sim = SimulatedSubject(speed=None, seed=1, chunk_s=0.5)
    engine = Engine(sim.info, model=model)
    sim.start()
    predictions = []
    for _ in range(60):
        predictions += engine.process(sim.read()).predictions
    sim.stop()
    withheld = [p for p in predictions if p.withheld and "gave no probabilities" in p.withheld]
    shown = [p for p in predictions if p.label is not None]
    assert withheld and shown, "the stream should cross the threshold both ways"
    for p in withheld:
        assert p.label is None and p.probabilities is None and p.confidence is None
        assert "NaN or infinite" in p.withheld and "nan-net@1.0" in p.withheld
    for p in shown:
        assert np.isfinite(p.probabilities).all()


# -- item 4: the registry's validation is the loader's ---------------------------------------
@pytest.mark.parametrize(
    ("name", "edit", "reason"),
    [
        pytest.param(
            "notch-1e9",
            lambda m: m.update(filters={"notch_hz": 1e9, "bandpass": [1, 45], "order": 1000}),
            "'filters'",
            id="notch-1e9-order-1000",
        ),
        pytest.param(
            "hop-1e-9", lambda m: m.update(hop_s=1e-9), "shorter than one sample", id="hop-1e-9"
        ),
        pytest.param(
            "budget-nan",
            lambda m: m.update(latency_budget_ms=float("nan")),
            "NaN",
            id="latency-budget-nan",
        ),
        pytest.param(
            "atol-nan",
            lambda m: m["test_vector"].update(atol=float("nan")),
            "NaN",
            id="atol-nan",
        ),
        pytest.param(
            "atol-inf",
            lambda m: m["test_vector"].update(atol=float("inf")),
            "Infinity",
            id="atol-inf",
        ),
        pytest.param(
            "atol-1",
            lambda m: m["test_vector"].update(atol=1.0),
            "'atol'",
            id="atol-accepts-anything",
        ),
        pytest.param(
            "rate-1e308",
            lambda m: m.update(sample_rate=1e308),
            "sample rate",
            id="sample-rate-1e308",
        ),
        pytest.param(
            "window-1e12", lambda m: m.update(window_s=1e12), "'window_s'", id="window-1e12"
        ),
        pytest.param(
            "rate-text", lambda m: m.update(sample_rate="1e999"), "sample_rate", id="rate-as-text"
        ),
    ],
)
def test_metadata_the_engine_cannot_run_is_refused_on_import(
    registry, tmp_path, name, edit, reason
):
    path = _raw_metadata(tmp_path, name, edit)
    with pytest.raises(ModelValidationError, match=reason) as info:
        registry.import_file(path)
    assert "The active model is unchanged" in str(info.value)
    assert registry.active().label == DEFAULT
    assert not any(e.label.startswith(name) for e in registry.list())
    with pytest.raises(ModelError, match=reason):
        EmotionModel.load(path)


def test_huge_numbers_in_metadata_text_are_refused(tmp_path):
    clf, X = fitted(44)
    text = json.dumps(metadata_dict(clf, X)).replace(
        '"sample_rate": 250.0', '"sample_rate": 1e999'
    )
    path = write_model(tmp_path / "m.onnx", raw_metadata=text)
    with pytest.raises(ModelError, match="beyond the range of a double"):
        EmotionModel.load(path)


def test_an_active_model_that_stops_loading_names_itself_and_rollback(registry, tmp_path):
    entry = registry.import_file(write_model(tmp_path / "good.onnx"))
    registry.activate(entry.label)
    entry.path.write_bytes(entry.path.read_bytes()[:200])  # damaged on disk later
    active = registry.active()
    with pytest.raises(ModelError) as info:
        active.load()
    text = str(info.value)
    assert "test-model@0.1" in text and "roll back" in text.lower() and "rollback" in text


# -- item 5: hangs and unbounded memory ------------------------------------------------------
def test_a_model_that_loops_for_ever_is_stopped_and_refused(tmp_path):
    path = hostile.loop_model(tmp_path / "loop.onnx")
    report = validate_isolated(path.read_bytes(), path, runs=0, time_limit_s=3.0)
    assert not report.ok
    assert "took longer than 3 s" in report.reasons[0]


def test_a_model_that_asks_for_40_gb_is_refused(tmp_path):
    path = hostile.memory_model(tmp_path / "mem.onnx")
    report = validate(path, runs=0)
    assert not report.ok and report.metadata is not None
    assert "test vector" in report.reasons[0] or "memory" in report.reasons[0]


def test_registry_import_of_a_looping_model_is_refused_and_changes_nothing(registry, tmp_path):
    path = hostile.loop_model(tmp_path / "loop.onnx", iterations=10**12)
    with pytest.raises(ModelValidationError, match="took longer than"):
        registry.import_file(path)
    assert registry.active().label == DEFAULT


def test_model_files_must_be_regular_files(tmp_path):
    fifo = hostile.make_fifo(tmp_path / "model.onnx")
    with pytest.raises(ModelError, match="named pipe"):
        EmotionModel.load(fifo)
    zero = hostile.symlink_to_zero(tmp_path / "zero.onnx")
    report = validate(zero, runs=0)
    assert not report.ok and "character device" in report.reasons[0]


# -- item 9: deeply nested metadata ----------------------------------------------------------
def test_metadata_nested_100000_deep_is_refused_with_a_message(tmp_path):
    clf, X = fitted(44)
    meta = json.dumps(metadata_dict(clf, X))
    text = meta[:-1] + ', "provenance": ' + hostile.deep_json(100_000) + "}"
    path = write_model(tmp_path / "deep.onnx", raw_metadata=text)
    report = validate(path, runs=0)
    assert not report.ok and "nested deeper than" in report.reasons[0]
    with pytest.raises(ModelError, match="nested deeper than"):
        EmotionModel.load(path)
    # reading it in this process (the registry lists files this way) refuses it too
    with pytest.raises(ModelError, match="nested deeper than"):
        read_metadata(open_session(path.read_bytes(), path), path)
