"""Build small ONNX models by hand (``onnx.helper``), as a PyTorch export would look.

Used to test what scikit-learn cannot produce: window-input models and models whose
outputs are not probabilities.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from bci_desktop.core.inference.metadata import METADATA_KEY
from bci_desktop.core.training import DEFAULT_CHANNELS, DEFAULT_RECIPE
from tests.core.modelfiles import CLASSES, feature_names

EPS = 1e-3


def _save(path: Path, graph: Any, meta: dict[str, Any]) -> Path:
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    path.write_bytes(model.SerializeToString())
    return path


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def window_model_weights(n_ch: int, n_classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(0, 0.5, (n_ch, n_classes)).astype(np.float32),
        rng.normal(0, 0.1, n_classes).astype(np.float32),
    )


def window_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """What the window graph computes: softmax(log(mean(x**2, time) + eps) @ w + b)."""
    power = np.log((x.astype(np.float64) ** 2).mean(axis=2) + EPS)
    return _softmax(power @ w + b)


def write_window_model(
    path: Path,
    *,
    channels: tuple[str, ...] = DEFAULT_CHANNELS,
    sample_rate: float = 250.0,
    window_s: float = 2.0,
    classes: tuple[str, ...] = CLASSES,
    name: str = "window-net",
    version: str = "1.0",
    seed: int = 0,
    **overrides: Any,
) -> Path:
    """A window-input model: ``[N, C, T]`` -> log mean power per channel -> linear -> softmax.

    The test vector is one seeded random window written as nested lists (channels x
    samples).
    """
    from onnx import TensorProto, helper, numpy_helper

    n_ch, n_t, n_cls = len(channels), round(window_s * sample_rate), len(classes)
    w, b = window_model_weights(n_ch, n_cls, seed)
    nodes = [
        helper.make_node("Mul", ["x", "x"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["power"], axes=[2], keepdims=0),
        helper.make_node("Add", ["power", "eps"], ["power_eps"]),
        helper.make_node("Log", ["power_eps"], ["log_power"]),
        helper.make_node("MatMul", ["log_power", "W"], ["z0"]),
        helper.make_node("Add", ["z0", "B"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n_ch, n_t])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", n_cls])],
        initializer=[
            numpy_helper.from_array(w, "W"),
            numpy_helper.from_array(b, "B"),
            numpy_helper.from_array(np.array([EPS], dtype=np.float32), "eps"),
        ],
    )
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(0, 10, (1, n_ch, n_t)).astype(np.float32)
    meta: dict[str, Any] = {
        "schema": "bci-desktop-model/1",
        "name": name,
        "version": version,
        "classes": list(classes),
        **DEFAULT_RECIPE.to_dict(),
        "channels": list(channels),
        "sample_rate": sample_rate,
        "window_s": window_s,
        "input_kind": "window",
        "feature_names": [],
        "test_vector": {
            "inputs": x.tolist(),  # nested: one row of channels x samples
            "probabilities": window_forward(x, w, b).tolist(),
            "atol": 1e-4,
        },
    }
    meta.update(overrides)
    return _save(path, graph, meta)


def write_linear_model(
    path: Path,
    *,
    activation: str = "Softmax",
    n_classes: int = len(CLASSES),
    name: str = "linear-net",
    seed: int = 0,
    **overrides: Any,
) -> Path:
    """A feature-vector model ``activation(x @ W + b)`` (up to 4 classes).

    ``"Sigmoid"`` gives outputs in [0, 1] that do not sum to one (a classic export mistake),
    ``"Identity"`` raw scores. Its test vector is what the graph really computes.
    """
    from onnx import TensorProto, helper, numpy_helper

    names = feature_names()
    n_f = len(names)
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.3, (n_f, n_classes)).astype(np.float32)
    b = rng.normal(0, 0.1, n_classes).astype(np.float32)
    act = helper.make_node(activation, ["logits"], ["probabilities"])
    if activation == "Softmax":
        act = helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["z0"]),
            helper.make_node("Add", ["z0", "B"], ["logits"]),
            act,
        ],
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n_f])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", n_classes])],
        initializer=[numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
    )
    x = rng.normal(0, 1, (2, n_f)).astype(np.float32)
    z = x.astype(np.float64) @ w + b
    out = {"Softmax": _softmax(z), "Sigmoid": 1 / (1 + np.exp(-z)), "Identity": z}[activation]
    meta: dict[str, Any] = {
        "schema": "bci-desktop-model/1",
        "name": name,
        "version": "1.0",
        "classes": list(CLASSES[:n_classes]),
        **DEFAULT_RECIPE.to_dict(),
        "feature_names": list(names),
        "test_vector": {"inputs": x.tolist(), "probabilities": out.tolist(), "atol": 1e-4},
    }
    meta.update(overrides)
    return _save(path, graph, meta)
