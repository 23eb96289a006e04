"""Write a file so that it is complete or absent: the one way the app writes whole files.

:func:`atomic_write` hands out a temporary file created with :func:`tempfile.mkstemp`
(``O_CREAT | O_EXCL``, an unguessable name, mode 0600) in the destination's own folder. When
the caller's block ends, the data is flushed and synced to disk, the size on disk is checked
against the bytes written, the mode is set, and only then is the temporary renamed over the
destination. Any failure (a full disk, a quota, a library that raised) removes the temporary
and leaves the destination as it was.

Used for every file the app writes in one go: session metadata, exports (EDF+, BDF+,
BrainFlow CSV, predictions), trained models, the model registry's copies and index, the
settings. A symlink planted at a temporary's name cannot redirect the write (the name is
random and created exclusively), and a symlink at the destination is replaced, not followed.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

__all__ = ["PRIVATE_DIR_MODE", "PRIVATE_FILE_MODE", "atomic_write", "fsync_dir", "write_atomic"]

#: Mode of the app's private files (sessions, logs): read and write by the owner only.
PRIVATE_FILE_MODE = 0o600
#: Mode of the app's private folders (session folders).
PRIVATE_DIR_MODE = 0o700


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str],
    *,
    text: bool = False,
    overwrite: bool = True,
    mode: int = PRIVATE_FILE_MODE,
    encoding: str = "utf-8",
    newline: str | None = None,
) -> Iterator[IO]:
    """Write ``path`` through a temporary file in its folder; rename it only when complete.

    Parameters
    ----------
    path : path-like
        The destination. Its folder must exist.
    text : bool
        Hand out a text file (``encoding``, ``newline``) instead of a binary one (an
        ``io.BufferedWriter``, which libraries such as edfio accept).
    overwrite : bool
        Replace an existing ``path``; otherwise an existing ``path`` raises
        :class:`FileExistsError` at the rename and is left alone.
    mode : int
        Permissions of the new file (default 0600).

    Raises
    ------
    OSError
        If the temporary cannot be created or written, the bytes on disk are not the bytes
        written, or the rename fails; the temporary is removed and ``path`` is unchanged.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    raw = os.fdopen(fd, "wb")
    handle: IO = raw
    if text:
        handle = io.TextIOWrapper(raw, encoding=encoding, newline=newline)
    try:
        yield handle
        handle.flush()
        written = raw.tell()
        os.fsync(raw.fileno())
        on_disk = os.fstat(raw.fileno()).st_size
        if on_disk != written:
            raise OSError(
                errno.EIO,
                f"{on_disk} bytes reached the disk of the {written} written",
                str(target),
            )
        if hasattr(os, "fchmod"):
            os.fchmod(raw.fileno(), mode)
        handle.close()
        _rename(tmp, target, overwrite=overwrite)
    except BaseException:
        _discard(handle, tmp)
        raise
    fsync_dir(target.parent)


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes | str,
    *,
    overwrite: bool = True,
    mode: int = PRIVATE_FILE_MODE,
) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` with :func:`atomic_write`."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_write(path, overwrite=overwrite, mode=mode) as fh:
        fh.write(payload)


def _rename(tmp: Path, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails with EEXIST instead of replacing a file made meanwhile
    except FileExistsError:
        raise
    except OSError as exc:  # a file system without hard links
        logger.debug("No hard link for %s (%s): renaming", target, exc)
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "the file exists", str(target)) from exc
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def _discard(handle: IO, tmp: Path) -> None:
    try:
        handle.close()
    except OSError as exc:  # a full disk fails the last flush too: the file goes anyway
        logger.debug("Closing the temporary %s after a failure: %s", tmp, exc)
    try:
        tmp.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("Could not remove the temporary file %s: %s", tmp, exc)


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a folder's entries durable (a rename, a new file) where the platform allows it."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        logger.debug("Cannot open %s to sync it: %s", folder, exc)
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        logger.debug("Cannot sync %s: %s", folder, exc)
    finally:
        os.close(fd)
