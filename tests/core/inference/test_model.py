"""Loading and validating model files: the model contract."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bci_desktop.core.errors import ChannelMismatchError, ModelError
from bci_desktop.core.inference.channels import map_channels, normalize_channel_name
from bci_desktop.core.inference.metadata import METADATA_KEY, ModelMetadata
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path
from tests.core.modelfiles import CLASSES, feature_names, write_model

pytest.importorskip("skl2onnx")


def test_good_model_loads_and_predicts(tmp_path):
    path = write_model(tmp_path / "good.onnx")
    model = EmotionModel.load(path)
    assert model.classes == CLASSES
    assert model.metadata.label == "test-model@0.1"
    assert model.input_shape == (len(feature_names()),)
    assert len(model.sha256) == 64
    p = model.predict_proba(np.zeros(model.input_shape, dtype=np.float32))
    assert p.shape == (4,)
    assert p.sum() == pytest.approx(1.0, abs=1e-5)


def test_shipped_default_model_is_valid():
    model = EmotionModel.load(default_model_path())
    assert model.metadata.name == "emotion-default"
    assert set(model.classes) == {"calm", "happy", "sad", "stressed"}
    assert model.metadata.provenance["validated_on_humans"] is False
    assert model.metadata.metrics["heldout"]["accuracy"] >= 0.8
    assert len(model.metadata.reference["mean"]) == len(model.metadata.feature_names)


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        pytest.param("missing", "does not exist", id="missing-file"),
        pytest.param("text", "not a readable ONNX model", id="not-onnx"),
        pytest.param("truncated", "not a readable ONNX model", id="truncated"),
        pytest.param("no-metadata", "has no 'bci_desktop' metadata", id="no-metadata"),
        pytest.param("bad-json", "not valid JSON", id="bad-json"),
    ],
)
def test_unreadable_files_are_refused_with_reason(tmp_path, kind, match):
    path = tmp_path / "model.onnx"
    if kind == "text":
        path.write_text("this is not a model\n")
    elif kind == "truncated":
        good = write_model(tmp_path / "good.onnx").read_bytes()
        path.write_bytes(good[: len(good) // 2])
    elif kind == "no-metadata":
        write_model(path, n_features=len(feature_names()))
    elif kind == "bad-json":
        write_model(path, raw_metadata="{not json")
    with pytest.raises(ModelError, match=match):
        EmotionModel.load(path)


def test_wrong_input_shape_is_refused(tmp_path):
    path = write_model(tmp_path / "m.onnx", n_features=7, meta_overrides={})
    with pytest.raises(ModelError, match=r"input has shape .* declares \[batch, \d+\]"):
        EmotionModel.load(path)


def test_outputs_not_matching_classes_are_refused(tmp_path):
    path = write_model(tmp_path / "m.onnx", n_classes=3)
    # metadata says 4 classes (its test vector has 3 columns too, but the I/O check comes first)
    with pytest.raises(ModelError, match="3 columns but the metadata declares 4 classes"):
        EmotionModel.load(path)


def test_failing_test_vector_is_refused(tmp_path):
    from tests.core.modelfiles import fitted, metadata_dict

    clf, X = fitted(len(feature_names()))
    meta = metadata_dict(clf, X)
    meta["test_vector"]["probabilities"] = [[0.25, 0.25, 0.25, 0.25]] * 2
    path = write_model(tmp_path / "m.onnx", raw_metadata=json.dumps(meta))
    with pytest.raises(ModelError, match="does not reproduce its test vector"):
        EmotionModel.load(path)


def test_metadata_lists_every_problem():
    with pytest.raises(ModelError) as info:
        ModelMetadata.from_dict({"name": "x", "classes": ["a"], "sample_rate": -1})
    text = str(info.value)
    for piece in ("missing 'version'", "at least two", "missing 'channels'", "'sample_rate'",
                  "test_vector"):  # fmt: skip
        assert piece in text


def test_metadata_round_trips_through_json(tmp_path):
    path = write_model(tmp_path / "good.onnx")
    model = EmotionModel.load(path)
    again = ModelMetadata.from_json(model.metadata.to_json())
    assert again == model.metadata
    assert METADATA_KEY == "bci_desktop"


def test_model_never_unpickles(tmp_path):
    import pickle

    path = tmp_path / "evil.onnx"
    path.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ModelError, match="not a readable ONNX model"):
        EmotionModel.load(path)


# -- channel mapping ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "key"),
    [("EEG Fp1-REF", "fp1"), (" FP1 ", "fp1"), ("T3", "t7"), ("eeg:T6", "p8"), ("Cz", "cz")],
)
def test_channel_names_normalise(label, key):
    assert normalize_channel_name(label) == key


def test_map_channels_finds_indices_case_insensitively():
    assert map_channels(["FZ", "eeg f3", "F4-REF", "Oz"], ["F4", "F3"]) == (2, 1)


def test_map_channels_names_what_is_missing():
    expected = r"needs channels F7, F8, which this stream lacks \(it has TP9, AF7"
    with pytest.raises(ChannelMismatchError, match=expected) as info:
        map_channels(["TP9", "AF7", "AF8", "TP10"], ["F7", "F8"], what="The model")
    assert info.value.missing == ("F7", "F8")


def test_engine_maps_the_models_channels_or_names_the_missing_ones():
    from bci_desktop.core.engine import Engine
    from bci_desktop.core.sources.montage import SYNTHETIC_MONTAGE
    from bci_desktop.core.stream import ChannelInfo, StreamInfo

    def stream(names):
        return StreamInfo("test", None, 250.0, tuple(ChannelInfo(n) for n in names))

    model = EmotionModel.load(default_model_path())
    with pytest.raises(ChannelMismatchError, match=r"Model 'emotion-default@1\.0\.0' needs"):
        Engine(stream(["TP9", "AF7", "AF8", "TP10"]), model=model)
    engine = Engine(stream(SYNTHETIC_MONTAGE), model=model)
    assert model.metadata.recipe.channels == ("F7", "F3", "F4", "F8", "C3", "C4", "Pz", "Oz")
    assert tuple(engine.model_channel_index) == (9, 10, 13, 15, 1, 3, 4, 6)
