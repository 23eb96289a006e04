"""The one exception tree of BCI Desktop.

Every error raised on purpose by the core is a :class:`BCIError` whose message a user can
act on (it names the problem and, where it can, what to do). The CLI prints the message on
one line and exits non-zero; the GUI shows it in the window.
"""

from __future__ import annotations

import ctypes


class BCIError(Exception):
    """Base class of every error BCI Desktop raises on purpose."""


class ConfigError(BCIError, ValueError):
    """A setting or option has a value the app cannot use."""


class SourceError(BCIError):
    """A source of samples (board, file, simulator) failed or cannot be opened."""


class InputFileError(BCIError, ValueError):
    """A file the user gave is not what it should be: missing, not a regular file (a FIFO,
    a device), truncated, corrupt, too deeply nested or declaring more than it holds.

    Bad input, like :class:`ConfigError`: the CLI exits with code 2.
    """


class ModelError(BCIError):
    """A model file is unreadable, invalid, or does not fit the stream."""


class ChannelMismatchError(ModelError):
    """The stream lacks channels that the model needs."""

    def __init__(self, message: str, missing: tuple[str, ...]) -> None:
        super().__init__(message)
        self.missing = missing


def interrupted_by_user(exc: BaseException) -> bool:
    """Ctrl+C (or SIGTERM turned into it), also when it struck inside a call into a C library
    such as BrainFlow: ctypes then raises ``ArgumentError("argument 3: KeyboardInterrupt: ")``
    in its place."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    return isinstance(exc, ctypes.ArgumentError) and "KeyboardInterrupt" in str(exc)


def one_line(exc: BaseException) -> str:
    """A short message for the user: the app's own errors as they are, others typed."""
    text = " ".join(str(exc).split())
    if isinstance(exc, BCIError) and text:
        return text
    return f"Unexpected {type(exc).__name__}: {text or 'no details'} (details in the log)."
