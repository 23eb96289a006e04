"""Checks of user-given values, each raising one :class:`ConfigError` in MNE's words.

Every message names the parameter as the user knows it, says what is allowed and what was
received: "Invalid value for the 'speed' parameter: expected a positive number, but got
-2 instead." Use these at the edge (options, settings, constructor arguments) instead of
writing the message by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, TypeVar

from bci_desktop.core.errors import ConfigError

__all__ = [
    "check_choice",
    "check_int",
    "check_marker",
    "check_number",
    "check_positive",
    "check_type",
    "invalid",
]

T = TypeVar("T")


def invalid(name: str, expected: str, got: object) -> ConfigError:
    """The error for ``name``: "Invalid value for the 'name' parameter: expected ..., but
    got ... instead." (returned, so the caller writes ``raise invalid(...)``)."""
    shown = repr(got)
    if len(shown) > 200:
        shown = shown[:197] + "..."
    return ConfigError(
        f"Invalid value for the {name!r} parameter: expected {expected}, but got {shown} instead."
    )


def check_type(name: str, value: Any, types: type | tuple[type, ...], expected: str) -> Any:
    """Return ``value`` if it is an instance of ``types`` (``bool`` never counts as a
    number), else raise :class:`ConfigError` saying ``expected``."""
    number_wanted = types in (int, float) or (
        isinstance(types, tuple) and (int in types or float in types) and bool not in types
    )
    if not isinstance(value, types) or (number_wanted and isinstance(value, bool)):
        raise invalid(name, expected, value)
    return value


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ConfigError`
    listing the allowed values."""
    options = tuple(allowed)
    if value not in options:
        listed = ", ".join(repr(a) for a in options)
        raise ConfigError(
            f"Invalid value for the {name!r} parameter. Allowed values are {listed}, but got "
            f"{value!r} instead."
        )
    return value


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    unit: str = "",
) -> float:
    """Return ``value`` as a finite float within the bounds, else raise :class:`ConfigError`.

    Parameters
    ----------
    name : str
        The parameter as the user knows it (``"stall-timeout"``, ``"speed"``).
    value : object
        A number (text is refused: parse it first).
    minimum, maximum : float or None
        Inclusive bounds (``minimum`` is exclusive with ``exclusive_minimum``).
    unit : str
        Named in the message, e.g. ``"seconds"``.
    """
    what = "a finite number"
    if unit:
        what += f" of {unit}"
    if minimum is not None:
        what += f" {'above' if exclusive_minimum else 'of at least'} {minimum:g}"
    if maximum is not None:
        what += f"{',' if minimum is not None else ''} at most {maximum:g}"
    if isinstance(value, bool | str | bytes):
        raise invalid(name, what, value)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise invalid(name, what, value) from None
    if not math.isfinite(number):
        raise invalid(name, what, value)
    if minimum is not None and (number <= minimum if exclusive_minimum else number < minimum):
        raise invalid(name, what, value)
    if maximum is not None and number > maximum:
        raise invalid(name, what, value)
    return number


def check_positive(
    name: str, value: Any, *, zero_ok: bool = False, unit: str = "", maximum: float | None = None
) -> float:
    """Return ``value`` as a finite float above 0 (or 0 too with ``zero_ok``)."""
    return check_number(
        name, value, minimum=0.0, exclusive_minimum=not zero_ok, maximum=maximum, unit=unit
    )


def check_int(
    name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` as an int within the inclusive bounds, else raise."""
    what = "a whole number"
    if minimum is not None and maximum is not None:
        what += f" from {minimum} to {maximum}"
    elif minimum is not None:
        what += f" of at least {minimum}"
    elif maximum is not None:
        what += f" of at most {maximum}"
    if isinstance(value, bool | str | bytes):
        raise invalid(name, what, value)
    if isinstance(value, int):
        number = value
    else:
        try:
            as_float = float(value)
        except (TypeError, ValueError, OverflowError):
            raise invalid(name, what, value) from None
        if not (math.isfinite(as_float) and as_float.is_integer()):
            raise invalid(name, what, value)
        number = int(as_float)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise invalid(name, what, value)
    return number


def check_marker(value: Any) -> float:
    """A marker value: a finite number other than 0 (0 means "no marker" in BrainFlow)."""
    expected = "a finite number other than 0 (0 means 'no marker')"
    try:
        number = check_number("marker", value)
    except ConfigError:
        raise invalid("marker", expected, value) from None
    if number == 0.0:
        raise invalid("marker", expected, value)
    return number
