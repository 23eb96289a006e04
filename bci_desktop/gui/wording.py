"""Messages in the window's words: the core names settings as the command line's options.

The core's errors are written for whoever reads them first, most often a terminal: "Board
'cyton' needs a serial port: pass --serial-port." In the window there is no option to
pass, there is a field. :func:`in_window_words` is the one place that rewrites those
phrases, applied where the window shows a message (status bar, banner, device panel,
dialogs); the command line keeps its option names. Connection options become the device
panel's field labels (:data:`~bci_desktop.gui.connection_fields.FIELDS`); the few other options
a message can name become what the window offers instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["in_window_words"]

#: Options that are not connection fields: what the window says instead.
_OTHER_OPTIONS: dict[str, str] = {
    "--overwrite": "replace the existing file",
    "--force": "replace the existing file",
    "--replace": "replace it",
    "--classes": "the states to calibrate",
    "--recover": "File > Sessions… (Recover)",
    "--speed": "the speed",
    "--model": "Models > Manage models…",
    "--no-model": "no model",
    "--montage": "Device panel > Edit channel names…",
}

_OPTION = r"--[a-z][a-z0-9-]*"


def _field_label(option: str) -> str | None:
    """The device panel's label of a connection option (``--serial-port``), if it has one."""
    from bci_desktop.gui.connection_fields import FIELDS

    spec = FIELDS.get(option.removeprefix("--").replace("-", "_"))
    return None if spec is None else spec.label


def _name(option: str) -> str:
    label = _field_label(option)
    if label is not None:
        return f"the {label} field"
    return _OTHER_OPTIONS.get(option, option.removeprefix("--").replace("-", " "))


def _pass_example(m: re.Match[str]) -> str:
    return f"choose {_name(m.group(1))} in the Device panel (e.g. {m.group(2)})"


def _pass(m: re.Match[str]) -> str:
    option = m.group(1)
    if _field_label(option) is not None:
        return f"fill in {_name(option)} in the Device panel"
    return f"choose {_name(option)}"


def _check(m: re.Match[str]) -> str:
    options = re.findall(_OPTION, m.group(1))
    labels = [_field_label(o) or _name(o) for o in options]
    if len(labels) == 1:
        return f"check the {labels[0]} field in the Device panel"
    return f"check the fields {', '.join(labels)} in the Device panel"


def _aside(m: re.Match[str]) -> str:
    return ""


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(rf"pass ({_OPTION}) \(e\.g\. \1 ([^)]+)\)"), _pass_example),
    (re.compile(rf"pass ({_OPTION})"), _pass),
    (re.compile(rf"check ({_OPTION}(?:, {_OPTION})*)"), _check),
    (re.compile(r"'bci-desktop sessions --recover'"), lambda m: "File > Sessions… (Recover)"),
    (re.compile(rf" \((?:or |[a-z_]+=True, )?{_OPTION}\)"), _aside),
    (re.compile(rf"a longer ({_OPTION})"), lambda m: f"a longer value in {_name(m.group(1))}"),
    (re.compile(_OPTION), lambda m: _name(m.group(0))),
)


def in_window_words(text: str) -> str:
    """``text`` with the command line's option names replaced by the window's words.

    Examples
    --------
    >>> in_window_words("Board 'cyton' needs a serial port: pass --serial-port.")
    "Board 'cyton' needs a serial port: fill in the Serial port field in the Device panel."
    """
    if "--" not in text:
        return text
    for pattern, replace in _RULES:
        text = pattern.sub(replace, text)
    return text
