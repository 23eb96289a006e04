"""Run a model on known inputs: its embedded test vector, probes near it, and timed calls.

The part of the validation (:mod:`.validation`) that executes the graph; it runs in the
checking child process (:mod:`.sandbox`) for any file not yet validated.
"""

from __future__ import annotations

import math
import time

import numpy as np
import onnxruntime as ort

from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.metadata import ModelMetadata
from bci_desktop.core.inference.probabilities import (
    RANGE_TOLERANCE,
    SUM_TOLERANCE,
    probability_problem,
)

__all__ = [
    "LATENCY_SECONDS",
    "declared_input_shape",
    "embedded_test_vector",
    "measure_latency",
    "output_problems",
    "probability_output",
    "probe_problems",
    "run_test_vector",
]

#: Wall-clock seconds the latency measurement may take (fewer calls are timed past it).
LATENCY_SECONDS = 2.0
_WARMUP_RUNS = 10
_PROBE_SCALES = (0.9, 0.97, 1.03, 1.1)


def declared_input_shape(metadata: ModelMetadata) -> tuple[int, ...]:
    """Shape of one model input without the batch axis, as the metadata declares it."""
    recipe = metadata.recipe
    if recipe.input_kind == "window":
        return (len(recipe.channels), recipe.window_samples)
    return (len(metadata.feature_names),)


def probability_output(session: ort.InferenceSession, n_classes: int) -> str:
    """Name of the output holding the probabilities.

    The output named ``probabilities`` if any, else the first float output shaped
    ``[batch, n_classes]``, else the last output.
    """
    outputs = session.get_outputs()
    for out in outputs:
        if out.name == "probabilities":
            return out.name
    for out in outputs:
        shape = out.shape
        if "float" in out.type and len(shape) == 2 and shape[-1] == n_classes:
            return out.name
    return outputs[-1].name


def embedded_test_vector(metadata: ModelMetadata) -> tuple[np.ndarray, np.ndarray]:
    """The test vector's inputs ``(rows, *input_shape)`` float32 and expected output.

    Raises
    ------
    ModelError
        If the inputs do not hold one declared input per row, or hold a value that is not
        a finite float32 (the models' input type).
    """
    tv = metadata.test_vector
    shape = declared_input_shape(metadata)
    x = np.asarray(tv.inputs, dtype=np.float64)
    if x.size and not np.all(np.abs(x) <= np.finfo(np.float32).max):
        raise ModelError(
            "its test vector has inputs that are not finite float32 numbers "
            f"(largest magnitude {np.nanmax(np.abs(x)):.3g})"
        )
    x = x.astype(np.float32)
    if x.ndim != 2 or x.shape[1] != math.prod(shape):
        raise ModelError(
            f"its test vector has inputs of shape {x.shape[1:]}, but the model takes {shape}"
        )
    return x.reshape((x.shape[0], *shape)), np.asarray(tv.probabilities, dtype=np.float64)


def output_problems(session: ort.InferenceSession, metadata: ModelMetadata) -> list[str]:
    """Run the embedded test vector: probabilities in [0, 1], rows summing to one, equal to
    the expected output. Returns the problems found (empty: none)."""
    return run_test_vector(session, metadata)[0]


def run_test_vector(
    session: ort.InferenceSession, metadata: ModelMetadata
) -> tuple[list[str], bool]:
    """(problems, whether the model ran at all)."""
    try:
        x, expected = embedded_test_vector(metadata)
    except ModelError as exc:
        return [str(exc)], False
    out_name = probability_output(session, len(metadata.classes))
    try:
        got = np.asarray(
            session.run([out_name], {session.get_inputs()[0].name: x})[0], dtype=np.float64
        )
    except Exception as exc:  # noqa: BLE001 - onnxruntime's errors share no base but Exception
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return [f"the model failed on its own test vector ({first[:200]})"], False
    problems: list[str] = []
    n_classes = len(metadata.classes)
    if got.ndim != 2 or got.shape[0] != x.shape[0]:
        shape = f"({x.shape[0]}, {n_classes})"
        return [f"on its test vector it gives an output of shape {got.shape}, not {shape}"], True
    if not np.isfinite(got).all():
        return ["its output on the test vector holds NaN or infinite values"], True
    lo, hi = float(got.min()), float(got.max())
    if lo < -RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
        problems.append(
            f"its outputs on the test vector range from {lo:.4g} to {hi:.4g}: probabilities "
            "must lie within [0, 1] (end the network with a softmax)"
        )
    sums = got.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1.0)))
    if abs(sums[worst] - 1.0) > SUM_TOLERANCE:
        problems.append(
            f"its probabilities on the test vector sum to {sums[worst]:.4g} (row {worst}), "
            "not 1: the output must be a softmax over the declared classes, not independent "
            "sigmoids or raw scores"
        )
    if got.shape != expected.shape:
        problems.append(
            f"its test vector expects output shape {expected.shape}, the model gives {got.shape}"
        )
    else:
        err = float(np.max(np.abs(got - expected)))
        tol = metadata.test_vector.atol
        if err > tol:
            problems.append(
                f"the model does not reproduce its test vector (largest difference {err:.3g} > "
                f"tolerance {tol:g}); the file may be corrupt or was exported incorrectly"
            )
    return problems, True


def probe_problems(session: ort.InferenceSession, metadata: ModelMetadata) -> list[str]:
    """Run the model on inputs near its test vector (each row scaled by 0.9 to 1.1) and at
    the training features' mean: every output must be a finite probability row.

    A test vector shows the file reproduces one known answer; the probes show it gives
    probabilities for other inputs too. Returns the problems found (empty: none).
    """
    x, _ = embedded_test_vector(metadata)
    probes = [x * np.float32(k) for k in _PROBE_SCALES]
    mean = metadata.reference.get("mean") if metadata.reference else None
    if mean is not None and len(mean) == math.prod(x.shape[1:]):
        probes.append(np.asarray(mean, dtype=np.float32).reshape((1, *x.shape[1:])))
    batch = np.ascontiguousarray(np.concatenate(probes, axis=0), dtype=np.float32)
    name = probability_output(session, len(metadata.classes))
    try:
        got = np.asarray(
            session.run([name], {session.get_inputs()[0].name: batch})[0], dtype=np.float64
        )
    except Exception as exc:  # noqa: BLE001 - onnxruntime's errors share no base but Exception
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return [f"the model fails on inputs near its test vector ({first[:200]})"]
    problem = probability_problem(got, len(metadata.classes), rows=batch.shape[0])
    if problem is None:
        return []
    return [
        f"on inputs near its test vector {problem}: a model must give probabilities for "
        "every input, not only for the one it was tested with"
    ]


def measure_latency(
    session: ort.InferenceSession,
    metadata: ModelMetadata,
    runs: int,
    *,
    max_seconds: float = LATENCY_SECONDS,
) -> np.ndarray:
    """Time up to ``runs`` single-input calls as the engine makes them; return milliseconds.

    Stops after ``max_seconds`` of timed calls (at least one call is timed), so a slow
    model is measured on fewer calls rather than holding the caller up.
    """
    x, _ = embedded_test_vector(metadata)
    buf = np.ascontiguousarray(x[:1])
    feeds = {session.get_inputs()[0].name: buf}
    out = [probability_output(session, len(metadata.classes))]
    for _ in range(_WARMUP_RUNS):
        session.run(out, feeds)
    times = np.empty(runs, dtype=np.float64)
    deadline = time.perf_counter_ns() + int(max_seconds * 1e9)
    done = 0
    for i in range(runs):
        t0 = time.perf_counter_ns()
        session.run(out, feeds)
        t1 = time.perf_counter_ns()
        times[i] = (t1 - t0) / 1e6
        done = i + 1
        if t1 > deadline:
            break
    return times[:done]
