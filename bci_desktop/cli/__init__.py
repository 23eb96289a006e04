"""Command line of BCI Desktop: the GUI by default, headless sub-commands.

Exit codes: 0 success (Ctrl+C included), 2 bad input (bad option, unknown board, invalid
model), 1 a source that fails (missing or busy port, lost device) or any other failure.
Errors are one line on stderr, never a traceback; tracebacks go to the log file.

``parser`` defines the options; ``stream`` runs ``run`` and ``replay`` through the
:class:`~bci_desktop.core.session.StreamSession` the window uses too; ``manage`` has the
other commands. Command modules are imported only when their command runs, so that
``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bci_desktop.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, terminal_text
from bci_desktop.cli.parser import build_parser
from bci_desktop.core.errors import (
    BCIError,
    ConfigError,
    InputFileError,
    ModelError,
    interrupted_by_user,
)

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "build_parser", "gui_main", "main"]

logger = logging.getLogger("bci_desktop.cli")

# The function behind each command, as "module:function" under bci_desktop.cli.
_COMMANDS = {
    "gui": "manage:cmd_gui",
    "boards": "manage:cmd_boards",
    "lsl": "lsl:cmd_lsl",
    "run": "stream:cmd_run",
    "replay": "stream:cmd_replay",
    "sessions": "manage:cmd_sessions",
    "models": "manage:cmd_models",
    "train": "manage:cmd_train",
    "export": "manage:cmd_export",
    "bench": "manage:cmd_bench",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``bci-desktop``: the one error boundary of the command line.

    Whatever a command raises ends here as one line on stderr (escaped: no terminal
    control characters) and an exit code: 2 for bad input (:class:`ConfigError`,
    :class:`ModelError`, :class:`InputFileError`), 1 for a failure (a device, a disk, an
    internal error). The traceback goes to the log file only.
    """
    from bci_desktop.core.inference.sandbox import CHILD_ARG, child_main
    from bci_desktop.core.logs import FILE_ONLY, setup_logging

    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == [CHILD_ARG]:  # a stand-alone app checking a model in a child process
        return child_main(given[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = setup_logging(getattr(logging, args.log_level.upper()))
    module_name, _, func_name = _COMMANDS[getattr(args, "func", "gui")].partition(":")
    try:
        module = importlib.import_module(f"bci_desktop.cli.{module_name}")
        return getattr(module, func_name)(args, sys.stdout)
    except BCIError as exc:
        logger.debug("Refused: %s", exc, exc_info=True)
        _error_line(str(exc))
        bad_input = isinstance(exc, ConfigError | ModelError | InputFileError)
        return EXIT_USAGE if bad_input else EXIT_FAILURE
    except (KeyboardInterrupt, BrokenPipeError):
        return EXIT_OK
    except MemoryError:
        logger.error("Out of memory", exc_info=True, extra=FILE_ONLY)
        _error_line(f"out of memory{_details(log_file)}")
        return EXIT_FAILURE
    except Exception as exc:  # the boundary: anything else is an internal error
        if interrupted_by_user(exc):  # Ctrl+C inside a call into BrainFlow
            return EXIT_OK
        logger.error("Unexpected error", exc_info=True, extra=FILE_ONLY)
        text = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
        _error_line(f"unexpected {what}{_details(log_file)}")
        return EXIT_FAILURE


def _details(log_file: Path | None) -> str:
    return f"; details in {log_file}" if log_file else ""


def _error_line(message: str) -> None:
    """Print ``bci-desktop: error: MESSAGE`` as one escaped line (a closed stderr is ignored)."""
    try:
        sys.stderr.write(f"bci-desktop: error: {terminal_text(message, limit=2000)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        logger.debug("stderr is closed; the error was: %s", message)


def gui_main() -> int:
    """Entry point of the windowed launcher."""
    from bci_desktop.core.inference.sandbox import CHILD_ARG

    if sys.argv[1:2] == [CHILD_ARG]:  # the stand-alone app as a model-checking child
        return main(sys.argv[1:])
    return main(["gui"])
