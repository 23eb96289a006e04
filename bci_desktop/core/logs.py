"""One logger tree, ``bci_desktop``, configured once per process.

Everything is written with its traceback to a rotating log file under platformdirs' user
log folder; the console (or the GUI's log panel, another handler) shows short messages.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

import platformdirs

ROOT = "bci_desktop"
APP_NAME = "bci-desktop"
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_dir() -> Path:
    """Folder of the rotating log files (``BCI_DESKTOP_LOG_DIR`` overrides it)."""
    override = os.environ.get("BCI_DESKTOP_LOG_DIR")
    return Path(override) if override else platformdirs.user_log_path(APP_NAME, appauthor=False)


class ConsoleFormatter(logging.Formatter):
    """One line per record for a terminal: a traceback stays in the log file, the console
    says where it is (expected errors are refusals in the user's words and have none)."""

    def __init__(self, log_file: Path | None = None) -> None:
        super().__init__("bci-desktop: %(levelname)s: %(message)s")
        self.log_file = log_file

    def format(self, record: logging.LogRecord) -> str:
        """The record's level and message, without its traceback."""
        record.message = record.getMessage()
        text = self.formatMessage(record)
        if record.exc_info or record.stack_info:
            where = f" in {self.log_file}" if self.log_file is not None else ""
            text += f" (details{where})"
        return text


def setup_logging(console_level: int = logging.WARNING, *, console: bool = True) -> Path | None:
    """Configure the ``bci_desktop`` logger tree; return the log file path (or None).

    Safe to call more than once: earlier handlers installed by this function are replaced.
    """
    root = logging.getLogger(ROOT)
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        if getattr(handler, "_bci_desktop", False):
            root.removeHandler(handler)
            handler.close()
    root.propagate = False
    path: Path | None = log_dir() / "bci-desktop.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as exc:
        file_handler = None
        problem = f"Cannot write the log file {path} ({exc}); logging to the console only."
        path = None
    if file_handler is not None:
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        file_handler._bci_desktop = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(console_level)
        stream.setFormatter(ConsoleFormatter(path))
        stream._bci_desktop = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    if file_handler is None:
        root.warning("%s", problem)
    return path
