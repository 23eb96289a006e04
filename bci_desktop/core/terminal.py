"""Text that is safe to print on a terminal.

A session's subject, notes or source name, a file name, a board's reply, an exception's
message: anything that came from outside can hold ANSI escape sequences (which move the
cursor, clear the screen or retitle the window), carriage returns and line breaks (which
forge rows of a listing), or Unicode direction overrides (which reorder what is shown).
:func:`printable` shows each such character as a visible escape (``\\x1b``, ``\\n``,
``\\u202e``) and leaves everything else, accents included, as it is.
"""

from __future__ import annotations

import unicodedata

__all__ = ["printable"]

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
#: Unicode categories shown escaped: controls, format characters (bidi overrides, zero
#: width joiners ...), line and paragraph separators, unassigned and private-use code points.
_UNSAFE = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))


def _escape(ch: str) -> str:
    short = _SHORT.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(value: object, *, limit: int | None = None) -> str:
    """``str(value)`` with every control or invisible-format character escaped.

    Parameters
    ----------
    value : object
        What to show (``None`` becomes ``""``).
    limit : int or None
        Cut the result to at most this many characters (an ellipsis marks the cut).

    Returns
    -------
    str
        One line of text that prints as it reads. Backslashes are doubled only when the
        text needed escaping, so ordinary Windows paths are shown unchanged.
    """
    text = "" if value is None else str(value)
    if any(unicodedata.category(ch) in _UNSAFE for ch in text):
        text = "".join(
            _escape(ch) if ch == "\\" or unicodedata.category(ch) in _UNSAFE else ch for ch in text
        )
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text
