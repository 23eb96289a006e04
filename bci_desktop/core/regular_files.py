"""Open files for reading only when they are regular files, and never read without a bound.

Every reader of a user file (recordings, sessions, settings, models, the registry index)
opens it through :func:`open_regular`: a FIFO, a socket or a device (``/dev/zero`` behind a
symlink named ``rec.csv``) is refused at once instead of blocking start-up or growing memory
without end. The check is made on the opened descriptor (``fstat``), so a file swapped
between a check and the open cannot slip through. :func:`read_regular` also refuses a file
larger than the caller's bound before reading it.

Both raise :class:`OSError` (with ``strerror`` in the user's words), which the readers
already turn into their own error types.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "NotRegularFileError",
    "describe_mode",
    "file_size",
    "is_regular",
    "open_regular",
    "read_regular",
    "regular_path",
]


class NotRegularFileError(OSError):
    """The path names a FIFO, a socket, a device or a folder, not a regular file."""


def describe_mode(mode: int) -> str:
    """What a file of ``st_mode`` is, in words (``"a named pipe (FIFO)"``)."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file (symlinks followed).

    The file is opened non-blocking, so opening a FIFO with no writer returns at once, and
    its type is checked on the descriptor before anything is read.

    Raises
    ------
    FileNotFoundError
        If it does not exist.
    NotRegularFileError
        If it is a FIFO, socket, device or folder.
    OSError
        If it cannot be opened.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(
                errno.EINVAL, f"it is {describe_mode(mode)}, not a regular file", str(path)
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], *, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` bytes.

    Raises
    ------
    NotRegularFileError
        If ``path`` is not a regular file.
    OSError
        If it cannot be read, or (``errno.EFBIG``) it is larger than ``max_bytes``.
    """
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise OSError(errno.EFBIG, _too_large(size, max_bytes), str(path))
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew while being read
        raise OSError(errno.EFBIG, _too_large(len(data), max_bytes), str(path))
    return data


def _too_large(size: int, limit: int) -> str:
    return f"it is larger than {_size_text(limit)} ({_size_text(size)} or more)"


def _size_text(n: int) -> str:
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} bytes"


def file_size(fh: BinaryIO) -> int:
    """Size of an open file in bytes."""
    return os.fstat(fh.fileno()).st_size


def is_regular(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is a regular file (symlinks followed); never blocks or raises."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def regular_path(path: str | os.PathLike[str]) -> Path:
    """``Path(path)`` after checking it is a regular file (see :func:`open_regular`)."""
    with open_regular(path):
        pass
    return Path(path)
