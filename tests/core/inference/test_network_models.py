"""The network tier: the shipped EEGNet-style window model, float32 and int8.

Both files pass the app's validator, run through the engine on the simulated subject as
their cards say (the int8 one within 1 point of the float32 one on the held-out session),
and when the network is over its latency budget the latency fallback hands the stream to
the logistic regression."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.inference.metadata import METADATA_KEY
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.inference.validation import validate_model_file
from bci_desktop.core.resources import shipped_dir
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.session import ModelRequest, SessionOptions, SimulatedSpec, StreamSession
from bci_desktop.core.sources.simulated import SimulatedSubject, SubjectProfile

MODELS = shipped_dir("models")
FP32, INT8 = MODELS / "emotion-eegnet.onnx", MODELS / "emotion-eegnet-int8.onnx"


@pytest.mark.parametrize("path", [FP32, INT8], ids=["fp32", "int8"])
def test_the_shipped_network_files_are_valid_window_models(path: Path):
    report = validate_model_file(path, runs=50)
    assert report.ok, report.reasons
    meta = report.metadata
    assert meta.recipe.input_kind == "window"
    assert meta.classes == ("calm", "happy", "sad", "stressed")
    assert meta.metrics["heldout"]["n_windows"] > 2000
    assert set(meta.metrics["class_prior"]) == set(meta.classes)
    assert (MODELS / f"{meta.name}.md").is_file()  # its model card


def _heldout_accuracy(path: Path) -> float:
    model = EmotionModel.load(path)
    held = model.metadata.metrics["heldout"]
    source = SimulatedSubject(speed=None, seed=held["seed"], profile=SubjectProfile())
    engine = Engine(source.info, model=model, config=EngineConfig())
    right = total = 0

    def keep(update) -> None:
        nonlocal right, total
        for p in update.predictions:
            if p.label is not None and p.truth is not None:
                total += 1
                right += p.label == p.truth

    StreamRunner(source, engine, duration_s=held["seconds"], on_update=keep).run()
    return right / total


@pytest.mark.slow
def test_int8_is_within_one_point_of_fp32_on_the_held_out_session_as_the_cards_say():
    fp32, int8 = _heldout_accuracy(FP32), _heldout_accuracy(INT8)
    for path, measured in ((FP32, fp32), (INT8, int8)):
        recorded = EmotionModel.load(path).metadata.metrics["heldout"]["accuracy"]
        assert measured == pytest.approx(recorded, abs=0.005)
    assert abs(fp32 - int8) <= 0.01
    assert fp32 > 0.9


def _slow_copy(folder: Path) -> Path:
    """The float32 network with a budget no machine meets (0.001 ms)."""
    import onnx

    model = onnx.load(str(FP32))
    for prop in model.metadata_props:
        if prop.key == METADATA_KEY:
            meta = json.loads(prop.value)
            meta["name"], meta["latency_budget_ms"] = "emotion-eegnet-slow", 0.001
            prop.value = json.dumps(meta)
    path = folder / "slow.onnx"
    onnx.save(model, str(path))
    return path


def test_the_logistic_regression_takes_over_while_the_network_is_over_budget(tmp_path):
    registry = ModelRegistry(tmp_path / "registry", include_brainflow=False, runs=50)
    network_channels = ("F7", "F3", "F4", "F8", "C3", "C4", "Pz", "Oz")
    fallback = registry.fastest_for(
        ("calm", "happy", "sad", "stressed"), exclude="emotion-eegnet@1.0.0",
        channels=network_channels,
    )  # fmt: skip
    assert fallback is not None and fallback.label == "emotion-default@1.0.0"
    options = SessionOptions(
        model=ModelRequest(str(_slow_copy(tmp_path))), latency_fallback=True, duration_s=60.0
    )
    session = StreamSession(SimulatedSpec(speed=None, seed=3), options, registry=registry)
    predictions: list = []
    session.start()
    session.run(
        lambda: False, lambda ups: predictions.extend(p for u in ups for p in u.predictions)
    )
    models = [p.model for p in predictions]
    assert models[0] == "emotion-eegnet-slow@1.0.0"
    switch = models.index("emotion-default@1.0.0")
    assert set(models[switch:]) == {"emotion-default@1.0.0"}  # retried only after 60 s
    assert all(p.label is not None for p in predictions[switch:])
    assert np.all(np.diff([p.index for p in predictions]) == 1)  # no gap at the switch
