"""What every command shares: exit codes, one-line argparse errors, finding a session,
and text made safe for a terminal."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, NoReturn

from bci_desktop.core.errors import ConfigError

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_USAGE",
    "OneLineParser",
    "session_path",
    "terminal_text",
    "write_lines",
]

#: Exit codes: success (Ctrl+C included), a failure (device, disk, internal), bad input.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def terminal_text(text: object, *, limit: int | None = None) -> str:
    """``text`` with control characters shown as escapes (see
    :func:`bci_desktop.core.terminal.printable`)."""
    from bci_desktop.core.terminal import printable

    return printable(text, limit=limit)


def write_lines(out: IO[str], text: str) -> None:
    """Write ``text`` line by line, each escaped (file contents never drive the terminal)."""
    for line in str(text).split("\n"):
        out.write(terminal_text(line) + "\n")


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
