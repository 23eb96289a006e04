"""Hostile inputs of issue 12, built as real files: EDF headers that lie, deep JSON, models
that loop, emit NaN or declare absurd numbers, FIFOs, symlinks to devices, small full disks.

Shared by the regression tests and ``benchmarks/hostile_inputs.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

# -- EDF -----------------------------------------------------------------------------------


def _field(value: object, width: int) -> bytes:
    text = str(value).encode("ascii")[:width]
    return text.ljust(width, b" ")


def edf_bytes(
    *,
    n_signals: int = 2,
    samples_per_record: int = 250,
    duration: str = "1",
    n_records: int = 4,
    declared_records: int | None = None,
    header_bytes: int | None = None,
    labels: list[str] | None = None,
    unit: str = "uV",
    data_records_written: int | None = None,
    reserved: str = "",
) -> bytes:
    """A plain EDF file, byte by byte, whose header may lie about what follows.

    ``duration`` is the header's text ("0", "1e-9", "nan" ...); ``declared_records`` what
    the header announces (default ``n_records``); ``data_records_written`` how many records
    of data really follow (default ``n_records``); ``header_bytes`` the header's declared
    size (default the right one).
    """
    ns = n_signals
    labels = labels or [f"EEG C{i}" for i in range(ns)]
    declared = n_records if declared_records is None else declared_records
    written = n_records if data_records_written is None else data_records_written
    size = 256 * (ns + 1) if header_bytes is None else header_bytes
    head = b"".join(
        [
            _field("0", 8),
            _field("X X X X", 80),
            _field("Startdate 01-JAN-2025 X X X", 80),
            _field("01.01.25", 8),
            _field("10.00.00", 8),
            _field(size, 8),
            _field(reserved, 44),
            _field(declared, 8),
            _field(duration, 8),
            _field(ns, 4),
        ]
    )
    per_signal = [
        (labels, 16),
        (["AgAgCl"] * ns, 80),
        ([unit] * ns, 8),
        (["-3200"] * ns, 8),
        (["3200"] * ns, 8),
        (["-32768"] * ns, 8),
        (["32767"] * ns, 8),
        ([""] * ns, 80),
        ([str(samples_per_record)] * ns, 8),
        ([""] * ns, 32),
    ]
    for values, width in per_signal:
        head += b"".join(_field(v, width) for v in values)
    rng = np.random.default_rng(0)
    record = rng.integers(-1000, 1000, max(ns * samples_per_record, 0), dtype="<i2").tobytes()
    return head + record * written


def write_edf(path: Path, **kwargs: Any) -> Path:
    path.write_bytes(edf_bytes(**kwargs))
    return path


def deep_json(levels: int = 100_000) -> str:
    """``[[[...]]]``: valid JSON nested ``levels`` deep."""
    return "[" * levels + "]" * levels


# -- special files ---------------------------------------------------------------------------


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def symlink_to_zero(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


@contextlib.contextmanager
def small_tmpfs(size: str = "256k") -> Iterator[Path | None]:
    """A real small file system (``mount -t tmpfs -o size=SIZE``); ``None`` if not allowed.

    Unmounted (and its folder removed) when the block ends.
    """
    folder = Path(tempfile.mkdtemp(prefix="bci-tmpfs-"))
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        done = subprocess.CompletedProcess([], 1, "", str(exc))
    if done.returncode != 0:
        folder.rmdir()
        yield None
        return
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)
        folder.rmdir()


def remount_read_only(folder: Path) -> bool:
    """Make a tmpfs from :func:`small_tmpfs` read-only (even for root); False if refused."""
    done = subprocess.run(
        ["mount", "-o", "remount,ro", str(folder)], capture_output=True, check=False
    )
    return done.returncode == 0


def fill_disk(folder: Path, leave: int = 0) -> None:
    """Fill the file system of ``folder`` up to ``leave`` bytes of room."""
    st = os.statvfs(folder)
    room = st.f_bavail * st.f_frsize - leave
    with open(folder / "filler", "wb") as fh:
        while room > 0:
            block = min(room, 1 << 16)
            try:
                fh.write(b"\0" * block)
                fh.flush()
            except OSError:
                break
            room -= block


# -- models ---------------------------------------------------------------------------------


def _save_model(path: Path, graph: Any, meta: dict[str, Any], opset: int = 17) -> Path:
    from onnx import helper

    from bci_desktop.core.inference.metadata import METADATA_KEY

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    path.write_bytes(model.SerializeToString())
    return path


def _linear_parts(seed: int = 0):
    from tests.core.modelfiles import CLASSES, feature_names

    names = feature_names()
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.3, (len(names), len(CLASSES))).astype(np.float32)
    b = rng.normal(0, 0.1, len(CLASSES)).astype(np.float32)
    return names, w, b, CLASSES


def _meta(name: str, names, classes, x: np.ndarray, probs: np.ndarray, **extra: Any) -> dict:
    from bci_desktop.core.training import DEFAULT_RECIPE

    meta = {
        "schema": "bci-desktop-model/1",
        "name": name,
        "version": "1.0",
        "classes": list(classes),
        **DEFAULT_RECIPE.to_dict(),
        "feature_names": list(names),
        "test_vector": {"inputs": x.tolist(), "probabilities": probs.tolist(), "atol": 1e-4},
    }
    meta.update(extra)
    return meta


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def nan_model(path: Path, *, threshold: float | None = None, **extra: Any) -> Path:
    """A softmax model whose output turns NaN away from its test vector.

    Without ``threshold``: NaN for every input but the test vector itself (``0 * sqrt(-|x -
    x_test|)``). With ``threshold``: NaN only where the first feature exceeds it (passes
    any check made on small inputs, fails on a live stream).
    """
    from onnx import TensorProto, helper, numpy_helper

    names, w, b, classes = _linear_parts()
    n_f = len(names)
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (1, n_f)).astype(np.float32)
    if threshold is None:
        poison = [
            helper.make_node("Sub", ["x", "x_test"], ["d"]),
            helper.make_node("Abs", ["d"], ["ad"]),
            helper.make_node("Neg", ["ad"], ["nad"]),
            helper.make_node("Sqrt", ["nad"], ["root"]),  # NaN unless x == x_test
            helper.make_node("ReduceSum", ["root", "axis1"], ["bad"], keepdims=1),
        ]
        consts = [numpy_helper.from_array(x, "x_test")]
    else:  # log(threshold - x0): NaN where x0 > threshold
        poison = [
            helper.make_node("Gather", ["x", "zero_idx"], ["x0"], axis=1),
            helper.make_node("Sub", ["thr", "x0"], ["room"]),
            helper.make_node("Log", ["room"], ["logroom"]),
            helper.make_node("Mul", ["logroom", "zero"], ["bad"]),
        ]
        consts = [
            numpy_helper.from_array(np.array([0], dtype=np.int64), "zero_idx"),
            numpy_helper.from_array(np.array([threshold], dtype=np.float32), "thr"),
        ]
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["z0"]),
        helper.make_node("Add", ["z0", "B"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["soft"], axis=1),
        *poison,
        helper.make_node("Mul", ["bad", "zero"], ["nothing"]),
        helper.make_node("Add", ["soft", "nothing"], ["probabilities"]),
    ]
    graph = helper.make_graph(
        nodes,
        "nan-net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n_f])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(classes)])],
        initializer=[
            numpy_helper.from_array(w, "W"),
            numpy_helper.from_array(b, "B"),
            numpy_helper.from_array(np.array([0.0], dtype=np.float32), "zero"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
            *consts,
        ],
    )
    probs = _softmax(x.astype(np.float64) @ w + b)
    return _save_model(path, graph, _meta("nan-net", names, classes, x, probs, **extra))


def loop_model(path: Path, iterations: int = 10**12) -> Path:
    """A valid-looking softmax model whose graph first runs a Loop of ``iterations`` steps."""
    from onnx import TensorProto, helper, numpy_helper

    names, w, b, classes = _linear_parts()
    n_f = len(names)
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Add", ["acc_in", "one"], ["acc_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [1]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [1]),
        ],
        initializer=[numpy_helper.from_array(np.array([1.0], dtype=np.float32), "one")],
    )
    nodes = [
        helper.make_node("Loop", ["trip", "cond", "acc0"], ["acc"], body=body),
        helper.make_node("Mul", ["acc", "zero"], ["nothing"]),
        helper.make_node("MatMul", ["x", "W"], ["z0"]),
        helper.make_node("Add", ["z0", "B"], ["z1"]),
        helper.make_node("Add", ["z1", "nothing"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "loop-net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n_f])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(classes)])],
        initializer=[
            numpy_helper.from_array(w, "W"),
            numpy_helper.from_array(b, "B"),
            numpy_helper.from_array(np.array(iterations, dtype=np.int64), "trip"),
            numpy_helper.from_array(np.array(True), "cond"),
            numpy_helper.from_array(np.array([0.0], dtype=np.float32), "acc0"),
            numpy_helper.from_array(np.array([0.0], dtype=np.float32), "zero"),
        ],
    )
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (1, n_f)).astype(np.float32)
    probs = _softmax(x.astype(np.float64) @ w + b)
    return _save_model(path, graph, _meta("loop-net", names, classes, x, probs))


def model_with_metadata(path: Path, **overrides: Any) -> Path:
    """A good logistic-regression model whose metadata fields are overridden."""
    from tests.core.modelfiles import write_model

    return write_model(path, meta_overrides=overrides)


def model_with_raw_metadata(path: Path, text: str) -> Path:
    from tests.core.modelfiles import write_model

    return write_model(path, raw_metadata=text)


def memory_model(path: Path, elements: int = 10**10) -> Path:
    """A softmax model whose graph first builds a tensor of ``elements`` floats (40 GB for
    the default) with ConstantOfShape, then multiplies its sum by zero."""
    from onnx import TensorProto, helper, numpy_helper

    names, w, b, classes = _linear_parts()
    n_f = len(names)
    nodes = [
        helper.make_node(
            "ConstantOfShape",
            ["shape"],
            ["big"],
            value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0]),
        ),
        helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
        helper.make_node("Mul", ["total", "zero"], ["nothing"]),
        helper.make_node("MatMul", ["x", "W"], ["z0"]),
        helper.make_node("Add", ["z0", "B"], ["z1"]),
        helper.make_node("Add", ["z1", "nothing"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "memory-net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n_f])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(classes)])],
        initializer=[
            numpy_helper.from_array(w, "W"),
            numpy_helper.from_array(b, "B"),
            numpy_helper.from_array(np.array([elements], dtype=np.int64), "shape"),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
        ],
    )
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (1, n_f)).astype(np.float32)
    probs = _softmax(x.astype(np.float64) @ w + b)
    return _save_model(path, graph, _meta("memory-net", names, classes, x, probs))


# -- sessions ---------------------------------------------------------------------------------


def record_session(root: Path, *, seconds: float = 6.0, subject: str = "S01", **kwargs: Any):
    """Record ``seconds`` of the simulated subject (4 channels) with a real SessionRecorder;
    return its folder."""
    from bci_desktop.core.recording import SessionRecorder
    from bci_desktop.core.sources.simulated import SimulatedSubject

    sim = SimulatedSubject(speed=None, seed=3, chunk_s=0.5, channels=4)
    rec = SessionRecorder.create(root, sim.info, subject=subject, **kwargs)
    sim.start()
    for _ in range(round(seconds / 0.5)):
        rec.append(sim.read())
    sim.stop()
    rec.stop()
    return rec.folder
