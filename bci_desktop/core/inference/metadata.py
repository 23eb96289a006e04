"""The model contract: JSON metadata embedded in an ONNX file's ``metadata_props``.

A model file is one ONNX file. Under the key :data:`METADATA_KEY` it carries a JSON object
that says what the model needs and what it promises (see ``docs/models.md``). This module
parses and validates that object into typed dataclasses; it never runs the model.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from bci_desktop.core import jsonsafe
from bci_desktop.core.dsp.features import FeatureSpec
from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.errors import ConfigError, ModelError
from bci_desktop.core.limits import (
    MAX_CHANNELS,
    MAX_WINDOW_S,
    MAX_WINDOW_VALUES,
    sample_rate_problem,
)

METADATA_KEY = "bci_desktop"
SCHEMA = "bci-desktop-model/1"
INPUT_KINDS = ("features", "window")
#: What a model's name and version may hold: they become folder names in the registry and
#: users type them as ``name@version``.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
#: Keys of the reference statistics; ``mean`` and ``std`` are required when any is given.
REFERENCE_KEYS = ("mean", "std", "q05", "q95")
#: Largest test-vector tolerance: probabilities lie in [0, 1], so a tolerance near 1 would
#: accept any output.
MAX_ATOL = 0.1


@dataclass(frozen=True)
class ModelRecipe:
    """How the live pipeline turns a stream into one model input.

    Parameters
    ----------
    channels : tuple of str
        Channels the model needs, in the order its input expects them.
    sample_rate : float
        Sample rate the model was trained at (Hz).
    window_s, hop_s : float
        Length of the analysed window and the time between two predictions (s).
    filters : FilterSettings
        Streaming filters applied before windowing.
    features : FeatureSpec
        Feature definition (used when ``input_kind == "features"``).
    input_kind : str
        ``"features"`` (a feature vector) or ``"window"`` (the filtered window,
        channels x samples).
    """

    channels: tuple[str, ...]
    sample_rate: float
    window_s: float = 4.0
    hop_s: float = 0.25
    filters: FilterSettings = field(default_factory=FilterSettings)
    features: FeatureSpec = field(default_factory=FeatureSpec)
    input_kind: str = "features"

    @property
    def window_samples(self) -> int:
        """Window length in samples at the model's own rate."""
        return round(self.window_s * self.sample_rate)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "channels": list(self.channels),
            "sample_rate": self.sample_rate,
            "window_s": self.window_s,
            "hop_s": self.hop_s,
            "filters": self.filters.to_dict(),
            "features": self.features.to_dict(),
            "input_kind": self.input_kind,
        }


@dataclass(frozen=True)
class TestVector:
    """An input and the probabilities the model must give for it."""

    inputs: tuple[tuple[float, ...], ...]
    probabilities: tuple[tuple[float, ...], ...]
    atol: float = 1e-4


@dataclass(frozen=True)
class ModelMetadata:
    """Everything a model file says about itself."""

    name: str
    version: str
    classes: tuple[str, ...]
    recipe: ModelRecipe
    test_vector: TestVector
    description: str = ""
    task: str = "emotion"
    feature_names: tuple[str, ...] = ()
    reference: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    latency_budget_ms: float = 100.0

    @property
    def label(self) -> str:
        """``name@version``, as users refer to a model."""
        return f"{self.name}@{self.version}"

    def to_json(self) -> str:
        """Serialise to the JSON stored in the ONNX file."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, the exact layout of the contract."""
        return {
            "schema": SCHEMA,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "task": self.task,
            "classes": list(self.classes),
            **self.recipe.to_dict(),
            "feature_names": list(self.feature_names),
            "reference": self.reference,
            "provenance": self.provenance,
            "metrics": self.metrics,
            "latency_budget_ms": self.latency_budget_ms,
            "test_vector": {
                "inputs": [list(r) for r in self.test_vector.inputs],
                "probabilities": [list(r) for r in self.test_vector.probabilities],
                "atol": self.test_vector.atol,
            },
        }

    @classmethod
    def from_json(cls, text: str) -> ModelMetadata:
        """Parse and validate; raise :class:`ModelError` listing every problem found.

        The JSON is read with a bound on nesting, and ``NaN``, ``Infinity`` or a number
        beyond double range anywhere in it is refused.
        """
        try:
            raw = jsonsafe.loads(text, finite=True)
        except (jsonsafe.JSONInputError, TypeError) as exc:
            raise ModelError(f"the model's metadata is refused: {exc}") from exc
        if not isinstance(raw, dict):
            raise ModelError("the model's metadata must be a JSON object")
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ModelMetadata:
        """Validate a decoded metadata object (see :meth:`from_json`)."""
        problems: list[str] = []

        def need(key: str, kind: type | tuple[type, ...], what: str) -> Any:
            value = raw.get(key)
            if value is None:
                problems.append(f"missing '{key}' ({what})")
            elif not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                problems.append(f"'{key}' must be {what}, got {type(value).__name__}")
                return None
            return value

        schema = raw.get("schema", SCHEMA)
        if schema != SCHEMA:
            problems.append(f"unsupported schema {schema!r} (this app reads {SCHEMA!r})")
        name = need("name", str, "a string")
        version = need("version", str, "a string")
        for key, value in (("name", name), ("version", version)):
            if value is not None and not NAME_PATTERN.match(value):
                problems.append(
                    f"'{key}' must be 1-64 letters, digits, '.', '_', '+' or '-' (starting with "
                    f"a letter or digit), got {value!r}"
                )
        classes = need("classes", list, "a list of class names")
        if classes is not None and (
            len(classes) < 2 or not all(isinstance(c, str) and c for c in classes)
        ):
            problems.append("'classes' must list at least two non-empty names")
        if classes is not None and len(set(classes)) != len(classes):
            problems.append("'classes' has duplicate names")
        channels = need("channels", list, "a list of channel names")
        if channels is not None and (
            not channels or not all(isinstance(c, str) and c for c in channels)
        ):
            problems.append("'channels' must list at least one channel name")
        if channels is not None and len(channels) > MAX_CHANNELS:
            problems.append(f"'channels' lists {len(channels)}, more than {MAX_CHANNELS}")
        if classes is not None and len(classes) > MAX_CHANNELS:
            problems.append(f"'classes' lists {len(classes)}, more than {MAX_CHANNELS}")
        rate = need("sample_rate", (int, float), "a number (Hz)")
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            problems.append(f"'sample_rate' must be positive, got {rate}")
        elif rate is not None and (bad_rate := sample_rate_problem(rate)) is not None:
            problems.append(f"'sample_rate': {bad_rate}")
            rate = None
        window_s = raw.get("window_s", 4.0)
        hop_s = raw.get("hop_s", 0.25)
        timing_ok = True
        for key, value in (("window_s", window_s), ("hop_s", hop_s)):
            if (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not (math.isfinite(value) and 0 < value <= MAX_WINDOW_S)
            ):
                problems.append(
                    f"'{key}' must be a positive number of seconds up to {MAX_WINDOW_S:g}, "
                    f"got {value!r}"
                )
                timing_ok = False
        if timing_ok and rate is not None:
            problems += _timing_problems(float(rate), float(window_s), float(hop_s))
            n_ch = len(channels) if isinstance(channels, list) else 1
            values = n_ch * round(float(window_s) * float(rate))
            if values > MAX_WINDOW_VALUES:
                problems.append(
                    f"its window holds {values} values ({n_ch} channels x "
                    f"{round(float(window_s) * float(rate))} samples), more than "
                    f"{MAX_WINDOW_VALUES}"
                )
        input_kind = raw.get("input_kind", "features")
        if input_kind not in INPUT_KINDS:
            problems.append(f"'input_kind' must be one of {INPUT_KINDS}, got {input_kind!r}")
        filters = features = None
        try:
            filters = FilterSettings.from_dict(raw.get("filters") or {})
            if rate is not None:
                filters.validate(float(rate))  # the filters the engine will build for it
        except (ConfigError, TypeError, ValueError) as exc:
            problems.append(f"'filters': {exc}")
        try:
            features = FeatureSpec.from_dict(raw.get("features") or {})
        except (ConfigError, TypeError, ValueError) as exc:
            problems.append(f"'features': {exc}")
        tv = raw.get("test_vector")
        test_vector = None
        if not isinstance(tv, dict):
            problems.append("missing 'test_vector' (an input and its expected probabilities)")
        else:
            try:
                inputs = tuple(_flat_row(row) for row in tv["inputs"])
                probs = tuple(_flat_row(row) for row in tv["probabilities"])
                atol = tv.get("atol", 1e-4)
                if (
                    isinstance(atol, bool)
                    or not isinstance(atol, int | float)
                    or not 0 <= atol <= MAX_ATOL
                ):
                    raise ValueError(
                        f"'atol' must be a number from 0 to {MAX_ATOL:g}, got {atol!r}: a "
                        "larger tolerance would accept any output"
                    )
                atol = float(atol)
                if not inputs or len(inputs) != len(probs):
                    raise ValueError("inputs and probabilities must have the same, nonzero rows")
                test_vector = TestVector(inputs, probs, atol)
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"'test_vector' is malformed ({exc})")
        feature_names = raw.get("feature_names", [])
        if not isinstance(feature_names, list) or not all(
            isinstance(n, str) for n in feature_names
        ):
            problems.append("'feature_names' must be a list of strings")
            feature_names = []
        dict_fields = {}
        for key in ("reference", "provenance", "metrics"):
            value = raw.get(key, {})
            if not isinstance(value, dict):
                problems.append(f"'{key}' must be an object")
                value = {}
            dict_fields[key] = value
        problems += reference_problems(dict_fields["reference"])
        budget = raw.get("latency_budget_ms", 100.0)
        if (
            not isinstance(budget, int | float)
            or isinstance(budget, bool)
            or not (math.isfinite(budget) and budget > 0)
        ):
            problems.append(f"'latency_budget_ms' must be a positive number, got {budget!r}")
            budget = 100.0
        if problems:
            raise ModelError("invalid model metadata: " + "; ".join(problems))
        recipe = ModelRecipe(
            channels=tuple(channels),
            sample_rate=float(rate),
            window_s=float(window_s),
            hop_s=float(hop_s),
            filters=filters,
            features=features,
            input_kind=input_kind,
        )
        return cls(
            name=name,
            version=version,
            classes=tuple(classes),
            recipe=recipe,
            test_vector=test_vector,
            description=str(raw.get("description", "")),
            task=str(raw.get("task", "emotion")),
            feature_names=tuple(feature_names),
            reference=dict_fields["reference"],
            provenance=dict_fields["provenance"],
            metrics=dict_fields["metrics"],
            latency_budget_ms=float(budget),
        )


def _timing_problems(rate: float, window_s: float, hop_s: float) -> list[str]:
    """What keeps the engine from building a window and a hop at the model's rate."""
    problems = []
    if round(window_s * rate) < 1:
        problems.append(
            f"'window_s' of {window_s:g} s holds no sample at {rate:g} Hz; it must hold at "
            "least one"
        )
    if hop_s * rate < 1:
        problems.append(
            f"'hop_s' of {hop_s:g} s is shorter than one sample at {rate:g} Hz; the time "
            "between two predictions must be at least one sample"
        )
    return problems


def _flat_row(row: Any) -> tuple[float, ...]:
    """One test-vector row as flat floats; nested lists (channels x samples) are flattened
    in C order."""
    if isinstance(row, str | bytes) or not isinstance(row, list | tuple):
        raise TypeError(f"each row must be a list of numbers, got {type(row).__name__}")
    flat: list[float] = []
    stack = [iter(row)]
    while stack:
        for v in stack[-1]:
            if isinstance(v, list | tuple):
                stack.append(iter(v))
                break
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise TypeError(f"test vector values must be numbers, got {v!r}")
            if not math.isfinite(v):
                raise ValueError(f"test vector values must be finite, got {v!r}")
            flat.append(float(v))
        else:
            stack.pop()
    return tuple(flat)


def reference_problems(reference: dict[str, Any], n_features: int = 0) -> list[str]:
    """What is wrong with a model's reference statistics (empty list: fine or absent).

    ``reference`` may be empty (no drift monitoring). Otherwise ``mean`` and ``std`` are
    required, every list of :data:`REFERENCE_KEYS` present must hold finite numbers (one
    per feature when ``n_features`` is given), ``std`` must be >= 0, and ``n`` (the number
    of training windows), when present, a positive integer.
    """
    if not reference:
        return []
    problems: list[str] = []
    missing = [k for k in ("mean", "std") if k not in reference]
    if missing:
        problems.append(
            "'reference' needs " + " and ".join(f"'{k}'" for k in missing) + " (one number "
            "per feature), or must be empty"
        )
    for key in REFERENCE_KEYS:
        values = reference.get(key)
        if values is None:
            continue
        ok = isinstance(values, list) and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in values
        )
        if not ok:
            problems.append(f"'reference.{key}' must be a list of finite numbers")
        elif n_features and len(values) != n_features:
            problems.append(
                f"'reference.{key}' has {len(values)} values for {n_features} features"
            )
        elif key == "std" and any(v < 0 for v in values):
            problems.append("'reference.std' has negative values")
    n = reference.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        problems.append(f"'reference.n' must be a positive integer, got {n!r}")
    return problems


__all__ = [
    "INPUT_KINDS",
    "METADATA_KEY",
    "NAME_PATTERN",
    "REFERENCE_KEYS",
    "SCHEMA",
    "ModelMetadata",
    "ModelRecipe",
    "TestVector",
    "reference_problems",
]
