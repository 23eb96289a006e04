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

from bci_desktop.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, terminal_text
from bci_desktop.cli.parser import build_parser
from bci_desktop.core.errors import BCIError, ConfigError, ModelError

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
    """Entry point of ``bci-desktop``."""
    from bci_desktop.core.logs import setup_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = setup_logging(getattr(logging, args.log_level.upper()))
    module_name, _, func_name = _COMMANDS[getattr(args, "func", "gui")].partition(":")
    try:
        module = importlib.import_module(f"bci_desktop.cli.{module_name}")
        return getattr(module, func_name)(args, sys.stdout)
    except BCIError as exc:
        logger.debug("Refused: %s", exc, exc_info=True)
        sys.stderr.write(terminal_text(f"bci-desktop: error: {exc}") + "\n")
        return EXIT_USAGE if isinstance(exc, ConfigError | ModelError) else EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        logger.exception("Unexpected error")
        where = f"; details in {log_file}" if log_file else ""
        text = f"bci-desktop: error: unexpected {type(exc).__name__}: {exc}{where}"
        sys.stderr.write(terminal_text(text) + "\n")
        return EXIT_FAILURE


def gui_main() -> int:
    """Entry point of the windowed launcher."""
    return main(["gui"])
