"""JSON in and out with bounds: no unbounded nesting in, strict JSON out.

Reading (:func:`loads`): every JSON document the app reads from a file (session metadata,
predictions and events, model metadata, settings, the model registry's index) is parsed
here. Nesting deeper than ``max_depth`` is refused with a message instead of a
``RecursionError`` (100,000 nested ``[`` fit in a few hundred kilobytes), and where the
document must hold only real numbers (model metadata) ``NaN``, ``Infinity`` and numbers
beyond double range (``1e999``) are refused too.

Writing (:func:`dumps_strict`, :func:`prediction_json`): strict JSON that any parser accepts
(JavaScript's ``JSON.parse`` rejects Python's bare ``NaN``): non-finite numbers become
``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "MAX_DEPTH",
    "JSONInputError",
    "depth",
    "dumps_strict",
    "finite_copy",
    "loads",
    "prediction_json",
]

#: Deepest nesting accepted in a file the app reads (ours never go past 5).
MAX_DEPTH = 64


class JSONInputError(ValueError):
    """A JSON document that is not valid JSON, too deeply nested, or holds a non-finite
    number where real numbers are required; the message says which."""


def _refuse_constant(name: str) -> Any:
    raise JSONInputError(f"it holds {name}, which is not a real number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONInputError(f"it holds the number {text[:24]}, beyond the range of a double")
    return value


def depth(value: Any, *, limit: int | None = None) -> int:
    """Nesting depth of decoded JSON (a scalar is 0, ``[]`` is 1); iterative.

    With ``limit``, stops as soon as the depth exceeds it and returns ``limit + 1``.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if limit is not None and deepest > limit:
            return limit + 1
        stack.extend((child, level) for child in children)
    return deepest


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, finite: bool = False) -> Any:
    """Parse JSON text with a bound on nesting (and, with ``finite``, real numbers only).

    Parameters
    ----------
    text : str or bytes
        The document (bytes are decoded as UTF-8).
    max_depth : int
        Deepest nesting allowed.
    finite : bool
        Refuse ``NaN``, ``Infinity``, ``-Infinity`` and numbers that overflow a double.

    Raises
    ------
    JSONInputError
        If the text is not JSON, is nested deeper than ``max_depth``, or (``finite``) holds
        a non-finite number. The message is a phrase such as "it is nested deeper than 64
        levels", to follow the file's name.
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONInputError(f"it is not UTF-8 text (byte {exc.start})") from exc
    hooks: dict[str, Any] = {}
    if finite:
        hooks = {"parse_constant": _refuse_constant, "parse_float": _finite_float}
    try:
        value = json.loads(text, **hooks)
    except RecursionError:
        raise JSONInputError(f"it is nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise JSONInputError(
            f"it is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except ValueError as exc:  # JSONInputError from a hook, or an integer too long to read
        if isinstance(exc, JSONInputError):
            raise
        raise JSONInputError(f"it is not valid JSON ({str(exc)[:120]})") from exc
    if depth(value, limit=max_depth) > max_depth:
        raise JSONInputError(f"it is nested deeper than {max_depth} levels")
    return value


def finite_copy(value: Any) -> Any:
    """``value`` with every non-finite float (and numpy scalar or array) as plain JSON types,
    ``NaN`` and infinities as ``None``. Containers are copied; nesting is bounded by
    :data:`MAX_DEPTH` (deeper raises :class:`JSONInputError`)."""
    return _finite(value, 0)


def _finite(value: Any, level: int) -> Any:
    if level > MAX_DEPTH:
        raise JSONInputError(f"it is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, np.ndarray):
        return _finite(value.tolist(), level)
    if isinstance(value, Mapping):
        return {str(k): _finite(v, level + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v, level + 1) for v in value]
    return str(value)


def dumps_strict(value: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``value``: non-finite numbers as ``null``, numpy types as plain
    numbers (keyword arguments go to :func:`json.dumps`)."""
    return json.dumps(finite_copy(value), allow_nan=False, **kwargs)


def prediction_json(prediction: Any) -> str:
    """One ``--jsonl`` line (without its newline) for a prediction or its ``to_dict()``:
    strict JSON, with ``null`` for a NaN stream time or probability."""
    record = prediction if isinstance(prediction, Mapping) else prediction.to_dict()
    return dumps_strict(record)
