"""One logger tree, ``bci_desktop``, configured once per process.

Everything is written with its traceback to a rotating log file under platformdirs' user
log folder; the console (or the GUI's log panel, another handler) shows short messages, one
line each and never a traceback. The log folder is made 0700 and the log files 0600 (they
name session folders and files). Python warnings (numpy, edfio ...) go to the log file
through the same handlers instead of straight to stderr.
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
_WARNINGS = "py.warnings"
#: ``extra=`` for a record meant for the log file only (the traceback behind an error the
#: console already showed in one line).
FILE_ONLY = {"file_only": True}


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created 0600 (the default is 0666 minus the umask),
    and made 0600 when an older version left them readable by others."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)
            return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise


class OneLineFormatter(logging.Formatter):
    """The message on one line: no traceback or stack (the log file has them), and line
    breaks shown as ``\\n`` so that a message cannot forge lines of its own."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        text = self.formatMessage(record)
        return text.replace("\r", "\\r").replace("\n", "\\n")


def _console_worthy(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


def log_dir() -> Path:
    """Folder of the rotating log files (``BCI_DESKTOP_LOG_DIR`` overrides it)."""
    override = os.environ.get("BCI_DESKTOP_LOG_DIR")
    return Path(override) if override else platformdirs.user_log_path(APP_NAME, appauthor=False)


def setup_logging(console_level: int = logging.WARNING, *, console: bool = True) -> Path | None:
    """Configure the ``bci_desktop`` logger tree; return the log file path (or None).

    Safe to call more than once: earlier handlers installed by this function are replaced.
    Python warnings are captured (:func:`logging.captureWarnings`) and logged through the
    same handlers.
    """
    root = logging.getLogger(ROOT)
    warned = logging.getLogger(_WARNINGS)
    root.setLevel(logging.DEBUG)
    warned.setLevel(logging.DEBUG)
    for logger in (root, warned):
        for handler in list(logger.handlers):
            if getattr(handler, "_bci_desktop", False):
                logger.removeHandler(handler)
                if logger is root:
                    handler.close()
        logger.propagate = False
    path: Path | None = log_dir() / "bci-desktop.log"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        file_handler = PrivateRotatingFileHandler(
            path, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as exc:
        file_handler = None
        problem = f"Cannot write the log file {path} ({exc}); logging to the console only."
        path = None
    handlers: list[logging.Handler] = []
    if file_handler is not None:
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        handlers.append(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(console_level)
        stream.setFormatter(OneLineFormatter("bci-desktop: %(levelname)s: %(message)s"))
        stream.addFilter(_console_worthy)
        handlers.append(stream)
    for handler in handlers:
        handler._bci_desktop = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # Warnings go to the file only (the console stays clean); without a file, nowhere
    # rather than to logging's last-resort handler on stderr.
    sink: logging.Handler = file_handler if file_handler is not None else logging.NullHandler()
    sink._bci_desktop = True  # type: ignore[attr-defined]
    warned.addHandler(sink)
    logging.captureWarnings(True)
    if file_handler is None:
        root.warning("%s", problem)
    return path
