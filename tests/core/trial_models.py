"""Models for shadow-trial and prediction-monitor tests: real ONNX files made worse on
purpose, and Python classifiers that fail the way a candidate can (raise, return garbage,
take too long, flip every hop)."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from bci_desktop.core.inference.metadata import METADATA_KEY
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path


def _rewrite(path: Path, change) -> Path:
    import onnx

    model = onnx.load(str(default_model_path()))
    for prop in model.metadata_props:
        if prop.key == METADATA_KEY:
            meta = json.loads(prop.value)
            change(meta)
            prop.value = json.dumps(meta)
    onnx.save(model, str(path))
    return path


def swapped_model(folder: Path, name: str = "emotion-swapped") -> Path:
    """The shipped default model with 'calm' and 'happy' named the other way round: a
    valid file, deliberately worse (right only on sad and stressed)."""

    def change(meta: dict) -> None:
        c = meta["classes"]
        meta["classes"] = [c[1], c[0], c[2], c[3]]
        meta["name"] = name

    return _rewrite(folder / f"{name}.onnx", change)


def renamed_default(folder: Path, name: str, **overrides) -> Path:
    """The shipped default model under another name (and other metadata values)."""

    def change(meta: dict) -> None:
        meta["name"] = name
        meta.update(overrides)

    return _rewrite(folder / f"{name}.onnx", change)


def constant_model(folder: Path, probabilities: list[float], name: str = "emotion-stuck") -> Path:
    """A real ONNX feature model that ignores its input and always gives ``probabilities``
    (softmax of a constant): a model stuck on its most probable class."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    base = EmotionModel.load(default_model_path()).metadata
    n_in, n_out = len(base.feature_names), len(base.classes)
    weights = numpy_helper.from_array(np.zeros((n_in, n_out), dtype=np.float32), "W")
    bias = numpy_helper.from_array(np.log(np.asarray(probabilities, dtype=np.float32)), "b")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["scores0"]),
            helper.make_node("Add", ["scores0", "b"], ["scores"]),
            helper.make_node("Softmax", ["scores"], ["probabilities"], axis=1),
        ],
        "constant",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, n_in])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, n_out])],
        [weights, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    meta = json.loads(base.to_json())
    meta["name"] = name
    row = list(base.test_vector.inputs[0])
    expected = np.asarray(probabilities, dtype=np.float64)
    meta["test_vector"] = {
        "inputs": [row],
        "probabilities": [(expected / expected.sum()).tolist()],
        "atol": 1e-4,
    }
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    path = folder / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


class FaultyModel:
    """The shipped default model, renamed, failing in one way once ``after`` calls passed.

    ``mode``: ``"raise"``, ``"nan"``, ``"no-softmax"`` (rows not summing to one),
    ``"slow"`` (sleeps ``sleep_s`` per call), ``"flip"`` (alternates between two classes,
    probabilities 0.9 / 0.1 / 0 / 0).
    """

    def __init__(self, mode: str, *, after: int = 0, sleep_s: float = 0.0, **meta) -> None:
        base = EmotionModel.load(default_model_path())
        self._base = base
        self.metadata = dataclasses.replace(
            base.metadata, name=meta.pop("name", f"faulty-{mode}"), **meta
        )
        self.mode = mode
        self.after = after
        self.sleep_s = sleep_s
        self.calls = 0

    @property
    def classes(self) -> tuple[str, ...]:
        return self.metadata.classes

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        p = self._base.predict_proba(x)
        if self.calls <= self.after:
            return p
        if self.mode == "raise":
            raise RuntimeError("the candidate's runtime failed")
        if self.mode == "nan":
            return np.full_like(p, np.nan)
        if self.mode == "no-softmax":
            return p * 0.5
        if self.mode == "slow":
            time.sleep(self.sleep_s)
            return p
        if self.mode == "flip":
            out = np.zeros_like(p)
            out[self.calls % 2] = 0.9
            out[2] = 0.1
            return out
        raise AssertionError(self.mode)
