"""Validate a model file before anything uses it: every check, every reason.

:func:`validate_model_file` runs all the checks of the model contract (see
``docs/models.md``) and returns a :class:`ValidationReport` listing *every* failing check, so
a user fixing an export sees all problems at once. :meth:`EmotionModel.load
<bci_desktop.core.inference.model.EmotionModel.load>` shares the same checks (without the
latency measurement) and raises on the first file it cannot use.

Checks, in order:

1. the file exists and onnxruntime can load it (never unpickled: ONNX is protobuf);
2. it embeds valid metadata under :data:`~bci_desktop.core.inference.metadata.METADATA_KEY`;
3. exactly one float input, shaped ``[batch, n_features]`` or ``[batch, channels, samples]``
   as the metadata declares; feature names equal what the feature spec computes;
4. a float output of probabilities with one column per declared class;
5. on the embedded test vector the outputs lie in [0, 1], each row sums to one, and they
   reproduce the expected probabilities within the stated tolerance;
6. on probes near the test vector (each row scaled by 0.9 to 1.1) and at the training
   features' mean, the outputs are finite probabilities too (a graph that gives NaN for any
   input but its test vector is refused);
7. p99 latency of one call, measured here, within the model's latency budget.

:func:`validate_model_bytes` runs these checks in the calling process: it is the one
validation function. :func:`validate_model_file`, the registry and
:meth:`~bci_desktop.core.inference.model.EmotionModel.load` run it in a child process with a
time and memory limit (:mod:`.sandbox`), because the checks run the untrusted graph.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from bci_desktop.core.dsp.features import FeatureExtractor
from bci_desktop.core.errors import ConfigError, ModelError
from bci_desktop.core.inference.metadata import (
    METADATA_KEY,
    ModelMetadata,
    reference_problems,
)
from bci_desktop.core.inference.probabilities import (
    probability_problem,
)
from bci_desktop.core.inference.trial_runs import (
    declared_input_shape,
    embedded_test_vector,
    measure_latency,
    output_problems,
    probability_output,
    probe_problems,
    run_test_vector,
)

logger = logging.getLogger(__name__)

#: Largest model file read (bytes).
MAX_MODEL_BYTES = 512 << 20


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of :func:`validate_model_file`.

    Attributes
    ----------
    path : Path
        The file checked.
    ok : bool
        True when every check passed.
    reasons : tuple of str
        Every failing check, in the order checked (empty when ``ok``).
    metadata : ModelMetadata or None
        The embedded metadata, when it could be read.
    sha256 : str or None
        SHA-256 of the bytes checked (hex), ``None`` when the file could not be read.
    p99_ms, p50_ms : float or None
        Latency percentiles of one model call on this machine (ms), ``None`` when not
        measured (the model could not run, or ``runs=0``).
    budget_ms : float or None
        The latency budget compared with ``p99_ms``.
    runs : int
        Calls timed.
    """

    path: Path
    ok: bool
    reasons: tuple[str, ...]
    metadata: ModelMetadata | None = None
    sha256: str | None = None
    p99_ms: float | None = None
    p50_ms: float | None = None
    budget_ms: float | None = None
    runs: int = 0

    @property
    def label(self) -> str:
        """``name@version`` when known, else the file name."""
        return self.metadata.label if self.metadata is not None else self.path.name

    def summary(self) -> str:
        """A few lines a user can read: verdict, latency, and every reason."""
        head = f"{self.label}: {'valid' if self.ok else 'REFUSED'}"
        lines = [head]
        if self.p99_ms is not None:
            lines.append(
                f"  latency p99 {self.p99_ms:.3f} ms (p50 {self.p50_ms:.3f} ms) over "
                f"{self.runs} calls, budget {self.budget_ms:g} ms"
            )
        if self.sha256:
            lines.append(f"  sha256 {self.sha256}")
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (for ``bci-desktop models validate --json``)."""
        return {
            "path": str(self.path),
            "ok": self.ok,
            "reasons": list(self.reasons),
            "model": None if self.metadata is None else self.metadata.label,
            "sha256": self.sha256,
            "p99_ms": self.p99_ms,
            "p50_ms": self.p50_ms,
            "budget_ms": self.budget_ms,
            "runs": self.runs,
        }


class ModelValidationError(ModelError):
    """A model was refused; :attr:`report` lists every reason."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


# -- the shared checks ---------------------------------------------------------------------
def read_model_bytes(path: str | Path) -> tuple[bytes, str]:
    """The file's bytes and their SHA-256; raise :class:`ModelError` if it cannot be read
    (missing, not a regular file, larger than :data:`MAX_MODEL_BYTES`)."""
    from bci_desktop.core.regular_files import read_regular

    path = Path(path)
    if not os.path.lexists(path):
        raise ModelError(f"Model file '{path}' does not exist.")
    try:
        data = read_regular(path, max_bytes=MAX_MODEL_BYTES)
    except FileNotFoundError as exc:
        raise ModelError(f"Model file '{path}' does not exist.") from exc
    except OSError as exc:
        raise ModelError(f"Model file '{path}' cannot be read: {exc.strerror or exc}.") from exc
    return data, hashlib.sha256(data).hexdigest()


def open_session(data: bytes, path: str | Path) -> ort.InferenceSession:
    """One warm, single-threaded onnxruntime session on ``data``.

    Raises
    ------
    ModelError
        If onnxruntime cannot load the bytes (not ONNX, truncated, unsupported operator).
    """
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    try:
        return ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several unrelated types
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        raise ModelError(
            f"Model file '{path}' is not a readable ONNX model ({first[:200]})."
        ) from exc


def read_metadata(session: ort.InferenceSession, path: str | Path) -> ModelMetadata:
    """Parse the embedded metadata; raise :class:`ModelError` listing every problem."""
    try:
        meta_map = session.get_modelmeta().custom_metadata_map
    except UnicodeDecodeError as exc:  # found by fuzzing: a damaged byte in the metadata
        raise ModelError(
            f"Model file '{path}' is damaged: its metadata is not valid UTF-8 ({exc.reason} "
            f"at byte {exc.start})."
        ) from exc
    if METADATA_KEY not in meta_map:
        raise ModelError(
            f"Model file '{path}' has no '{METADATA_KEY}' metadata; see docs/models.md "
            "for the metadata a BCI Desktop model must embed."
        )
    try:
        return ModelMetadata.from_json(meta_map[METADATA_KEY])
    except ModelError as exc:
        raise ModelError(f"Model file '{path}': {exc}") from exc


def io_problems(session: ort.InferenceSession, metadata: ModelMetadata) -> list[str]:
    """Problems of the model's inputs and outputs against its metadata (empty: none)."""
    return input_problems(session, metadata) + output_spec_problems(session, metadata)


def input_problems(session: ort.InferenceSession, metadata: ModelMetadata) -> list[str]:
    """Problems of the model's input against its metadata (count, shape, type, names)."""
    return _input_shape_problems(session, metadata) + _feature_name_problems(metadata)


def _input_shape_problems(session: ort.InferenceSession, metadata: ModelMetadata) -> list[str]:
    inputs = session.get_inputs()
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs)
        return [f"it has {len(inputs)} inputs ({names}); a model must have exactly one"]
    return _input_problems(inputs[0], metadata)


def output_spec_problems(session: ort.InferenceSession, metadata: ModelMetadata) -> list[str]:
    """Problems of the probability output's declared type and width."""
    problems: list[str] = []
    n_classes = len(metadata.classes)
    out_name = probability_output(session, n_classes)
    out = next(o for o in session.get_outputs() if o.name == out_name)
    if not out.type.startswith("tensor("):
        problems.append(
            f"its output '{out_name}' is a {out.type}, not a tensor of probabilities (exported "
            "with a ZipMap? with skl2onnx pass options={'zipmap': False})"
        )
    elif "float" not in out.type and "double" not in out.type:
        problems.append(f"its output '{out_name}' holds {out.type}, expected float probabilities")
    n_out = out.shape[-1] if out.shape else None
    if isinstance(n_out, int) and n_out != n_classes:
        problems.append(
            f"its output '{out_name}' has {n_out} columns but the metadata declares "
            f"{n_classes} classes ({', '.join(metadata.classes)})"
        )
    return problems


def _input_problems(inp: Any, metadata: ModelMetadata) -> list[str]:
    problems: list[str] = []
    shape = declared_input_shape(metadata)
    got = list(inp.shape[1:]) if inp.shape else []
    if len(got) != len(shape) or any(
        isinstance(g, int) and g != s for g, s in zip(got, shape, strict=False)
    ):
        what = "channels x samples" if metadata.recipe.input_kind == "window" else "feature count"
        problems.append(
            f"its input has shape {inp.shape} but the metadata declares "
            f"[batch, {', '.join(map(str, shape))}] ({what})"
        )
    if "float" not in inp.type:
        problems.append(f"its input type is {inp.type}, expected float")
    return problems


def _feature_name_problems(metadata: ModelMetadata) -> list[str]:
    recipe = metadata.recipe
    if recipe.input_kind == "features" and not metadata.feature_names:
        return ["'feature_names' is empty for a feature-vector model"]
    if not metadata.feature_names:
        if metadata.reference:
            return ["'reference' statistics are given but no 'feature_names' they describe"]
        return []
    problems = reference_problems(metadata.reference, len(metadata.feature_names))
    try:
        names = FeatureExtractor(
            recipe.features, recipe.channels, recipe.sample_rate, recipe.window_samples
        ).feature_names
    except ConfigError as exc:
        return [*problems, f"its feature spec does not fit its window: {exc}"]
    if tuple(names) == tuple(metadata.feature_names):
        return problems
    diff = next(
        (
            f"feature {i} is '{a}' in the metadata but '{b}' from the spec"
            for i, (a, b) in enumerate(zip(metadata.feature_names, names, strict=False))
            if a != b
        ),
        "",
    )
    return [
        *problems,
        f"'feature_names' lists {len(metadata.feature_names)} features, but the feature spec on "
        f"channels {', '.join(recipe.channels)} gives {len(names)}"
        + (f" ({diff})" if diff else "")
        + "; name them as the app computes them (see docs/models.md)",
    ]


# -- the public entry point ----------------------------------------------------------------
def validate_model_file(
    path: str | Path, *, latency_budget_ms: float | None = None, runs: int = 200
) -> ValidationReport:
    """Check a model file against the model contract; list every failing check.

    Parameters
    ----------
    path : str or Path
        The ONNX file.
    latency_budget_ms : float or None
        Budget for the p99 latency of one call; ``None`` takes the model's own
        ``latency_budget_ms``.
    runs : int
        Calls timed for the latency percentiles (0 skips the measurement).

    Returns
    -------
    ValidationReport
        ``ok`` is True only if every check passed. Never raises for a bad file: problems
        are reasons.

    Notes
    -----
    The checks run :func:`validate_model_bytes` in a child process with a time and memory
    limit (:func:`~bci_desktop.core.inference.sandbox.validate_isolated`).
    """
    from bci_desktop.core.inference.sandbox import validate_isolated

    path = Path(path)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 0:
        raise ConfigError(f"Invalid value for the 'runs' parameter: {runs!r}; must be >= 0.")
    try:
        data, sha = read_model_bytes(path)
    except ModelError as exc:
        return ValidationReport(path, False, (str(exc),))
    return validate_isolated(
        data, path, sha256=sha, latency_budget_ms=latency_budget_ms, runs=runs
    )


def validate_model_bytes(
    data: bytes,
    path: str | Path,
    *,
    sha256: str | None = None,
    latency_budget_ms: float | None = None,
    runs: int = 200,
) -> ValidationReport:
    """:func:`validate_model_file` on bytes already read (``path`` names them in messages),
    in this process: the one validation function. Run it on untrusted bytes through
    :func:`~bci_desktop.core.inference.sandbox.validate_isolated`."""
    path = Path(path)
    sha = sha256 or hashlib.sha256(data).hexdigest()
    try:
        session = open_session(data, path)
        metadata = read_metadata(session, path)
    except ModelError as exc:
        return ValidationReport(path, False, (str(exc),), sha256=sha)
    shape_reasons = _input_shape_problems(session, metadata)
    reasons = shape_reasons + _feature_name_problems(metadata)
    reasons += output_spec_problems(session, metadata)
    input_fits = not shape_reasons
    runnable = False
    if input_fits:
        out, runnable = run_test_vector(session, metadata)
        reasons += out
        if runnable and not reasons:  # probes only matter once everything else passed
            reasons += probe_problems(session, metadata)
    budget = float(metadata.latency_budget_ms if latency_budget_ms is None else latency_budget_ms)
    p99 = p50 = None
    if runnable and runs > 0:
        times = measure_latency(session, metadata, runs)
        p50, p99 = (float(v) for v in np.percentile(times, [50, 99]))
        runs = int(times.size)
        if p99 > budget:
            reasons.append(
                f"its p99 latency on this machine is {p99:.3f} ms, over its budget of "
                f"{budget:g} ms"
            )
    report = ValidationReport(
        path=path,
        ok=not reasons,
        reasons=tuple(reasons),
        metadata=metadata,
        sha256=sha,
        p99_ms=p99,
        p50_ms=p50,
        budget_ms=budget,
        runs=runs if p99 is not None else 0,
    )
    log = logger.info if report.ok else logger.warning
    log("Validated %s: %s", metadata.label, "ok" if report.ok else "; ".join(reasons))
    return report


__all__ = [
    "MAX_MODEL_BYTES",
    "ModelValidationError",
    "ValidationReport",
    "declared_input_shape",
    "embedded_test_vector",
    "input_problems",
    "io_problems",
    "measure_latency",
    "open_session",
    "output_problems",
    "output_spec_problems",
    "probability_output",
    "probability_problem",
    "probe_problems",
    "read_metadata",
    "read_model_bytes",
    "validate_model_bytes",
    "validate_model_file",
]
