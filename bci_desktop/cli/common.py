"""What every command shares: exit codes, one-line argparse errors, finding a session,
and text made safe for a terminal."""

from __future__ import annotations

import argparse
import unicodedata
from pathlib import Path
from typing import NoReturn

from bci_desktop.core.errors import ConfigError

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "OneLineParser",
    "session_path",
    "terminal_text",
]

#: Exit codes: success (Ctrl+C included), a failure (device, disk, internal), bad input.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def terminal_text(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``), so that a file's
    contents (a subject id, a source name) cannot move the cursor, recolour the terminal or
    forge lines."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or (ch == " "):
            out.append(ch)
        elif unicodedata.category(ch) in ("Zs",):
            out.append(" ")
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def session_path(text: str, *, must_be_session: bool = True) -> Path:
    """A session given as a path, or as a folder name under the data folder."""
    from bci_desktop.core.recording import data_dir

    path = Path(text)
    if path.exists():
        return path
    candidate = data_dir() / text
    if candidate.exists():
        return candidate
    what = "session" if must_be_session else "recording"
    raise ConfigError(
        f"No {what} '{text}': it is neither a path nor a session in {data_dir()} "
        "('bci-desktop sessions' lists them)."
    )
