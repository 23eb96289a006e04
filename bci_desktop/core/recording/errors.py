"""Why a recording stopped, in the user's words: :class:`RecordingError`, and
:func:`describe_os_error` for a file that could not be written."""

from __future__ import annotations

import errno

from bci_desktop.core.errors import BCIError

__all__ = ["RecordingError", "describe_os_error"]

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file has reached the largest size allowed",
    errno.EACCES: "permission was denied",
    errno.EPERM: "the operation was not permitted",
    errno.EROFS: "the disk is read-only",
    errno.EIO: "the disk reported an input/output error",
    errno.ENOENT: "the session folder disappeared",
    errno.ENOTDIR: "a part of the path is not a folder",
}


class RecordingError(BCIError):
    """Recording stopped (or could not start); the message says why and what is kept."""


def describe_os_error(exc: OSError) -> str:
    """What went wrong with a file, in the user's words, then the system's."""
    reason = _REASONS.get(exc.errno or 0, "a write failed")
    detail = exc.strerror or str(exc) or type(exc).__name__
    return f"{reason} ({detail})"
