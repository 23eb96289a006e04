"""The files of a session being recorded: made private, written through buffers, flushed
and synced together, closed and tidied after a failure.

:class:`SessionFiles` holds the open handles of ``samples.f64`` and the side files
(``markers.csv``, ``predictions.jsonl``, ``events.jsonl``) of one session folder, the lock
and ``session.json``, and counts the bytes written. Its methods raise :class:`OSError` as
the system does; :class:`~.recorder.SessionRecorder` decides what a failure means for the
recording, and :func:`~.errors.describe_os_error` says it in the user's words.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import IO

import numpy as np

from bci_desktop.core.atomic import PRIVATE_FILE_MODE, fsync_dir
from bci_desktop.core.recording.layout import MARKERS_HEADER
from bci_desktop.core.recording.recovery import (
    drop_partial_line,
    lock_text,
    truncate_partial_frame,
)
from bci_desktop.core.recording.session import (
    EVENTS_FILE,
    LOCK_FILE,
    MARKERS_FILE,
    META_FILE,
    PREDICTIONS_FILE,
    SAMPLES_FILE,
    SessionMeta,
    write_json_atomic,
)

logger = logging.getLogger(__name__)

__all__ = ["SessionFiles"]

_BUFFER_BYTES = 1 << 16
_SIDE_FILES = ("markers", "predictions", "events")


class SessionFiles:
    """The open files of one session folder; not thread-safe (the recorder locks).

    Parameters
    ----------
    folder : Path
        The session folder.
    frame_bytes : int
        Bytes of one sample frame in ``samples.f64``.
    flush_interval_s : float
        Wall-clock seconds between flushes to disk in :meth:`flush_if_due`.

    Attributes
    ----------
    paths : dict
        Path of each file (``samples``, ``markers``, ``predictions``, ``events``).
    in_use : Path
        The file being (or last) written, flushed or closed: where a failed call failed.
    """

    def __init__(self, folder: Path, frame_bytes: int, *, flush_interval_s: float) -> None:
        self.folder = folder
        self.frame_bytes = frame_bytes
        self._flush_interval = float(flush_interval_s)
        self.paths = {
            "samples": folder / SAMPLES_FILE,
            "markers": folder / MARKERS_FILE,
            "predictions": folder / PREDICTIONS_FILE,
            "events": folder / EVENTS_FILE,
        }
        self._files: dict[str, IO[bytes]] = {}
        self._dirty: set[str] = set()
        self._bytes = dict.fromkeys(self.paths, 0)
        self._meta_bytes = 0
        self._last_flush = time.monotonic()
        self.in_use = self.paths["samples"]

    @property
    def size_bytes(self) -> int:
        """Bytes recorded so far, all files of the session together."""
        return self._meta_bytes + sum(self._bytes.values())

    # ------------------------------------------------------------------ opening
    def create(self, meta: SessionMeta) -> None:
        """Make the files of a new session: lock first, ``session.json``, empty files."""
        folder = self.folder
        with _create_private(folder / LOCK_FILE, buffering=-1) as fh:  # first: never unlocked
            fh.write(lock_text().encode("ascii"))
            fh.flush()
            os.fsync(fh.fileno())
        self.write_meta(meta)
        for key, path in self.paths.items():
            self._files[key] = _create_private(path, buffering=_BUFFER_BYTES)
        self._files["markers"].write(MARKERS_HEADER)
        self._bytes["markers"] = len(MARKERS_HEADER)
        self._dirty.add("markers")
        self.flush()
        fsync_dir(folder)

    def reopen(self) -> int:
        """Open the files of a session whose recorder died, for appending; return the
        whole frames kept (a partial last frame and partial last lines are cut, as
        recovery would, and the lock is taken over)."""
        folder = self.folder
        kept, _ = truncate_partial_frame(self.paths["samples"], self.frame_bytes)
        for key in _SIDE_FILES:
            drop_partial_line(self.paths[key])
        with open(folder / LOCK_FILE, "w", encoding="ascii") as fh:
            fh.write(lock_text())
            fh.flush()
            os.fsync(fh.fileno())
        for key, path in self.paths.items():
            self._files[key] = open(path, "ab", buffering=_BUFFER_BYTES)  # noqa: SIM115
            self._bytes[key] = path.stat().st_size
        self._meta_bytes = (folder / META_FILE).stat().st_size
        return kept

    def read_frame(self, index: int) -> np.ndarray:
        """Frame ``index`` of ``samples.f64`` as it is on disk."""
        with open(self.paths["samples"], "rb") as fh:
            fh.seek(index * self.frame_bytes)
            return np.frombuffer(fh.read(self.frame_bytes), dtype="<f8")

    # ------------------------------------------------------------------ writing
    def write(self, key: str, data: bytes | memoryview) -> None:
        """Append ``data`` to file ``key`` (through its buffer; flushed later)."""
        self.in_use = self.paths[key]
        self._files[key].write(data)
        self._bytes[key] += len(data) if isinstance(data, bytes) else data.nbytes
        self._dirty.add(key)

    def write_meta(self, meta: SessionMeta) -> None:
        """Replace ``session.json`` atomically."""
        write_json_atomic(self.folder / META_FILE, meta.to_dict())
        self._meta_bytes = (self.folder / META_FILE).stat().st_size

    @property
    def flush_due(self) -> bool:
        """True once ``flush_interval_s`` has passed since the last flush."""
        return time.monotonic() - self._last_flush >= self._flush_interval

    def flush_if_due(self) -> None:
        """:meth:`flush` if ``flush_interval_s`` has passed since the last flush."""
        if self.flush_due:
            self.flush()

    def flush(self) -> None:
        """Flush and ``fsync`` every file written since the last flush."""
        for key in sorted(self._dirty):
            self.in_use = self.paths[key]
            fh = self._files[key]
            fh.flush()
            os.fsync(fh.fileno())
        self._dirty.clear()
        self._last_flush = time.monotonic()

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Flush, then close every file (raises on the first that fails)."""
        self.flush()
        for key in list(self._files):
            self.in_use = self.paths[key]
            self._files.pop(key).close()

    def close_quietly(self) -> None:
        """Close every file still open after a failure; errors are only logged."""
        for key in list(self._files):
            fh = self._files.pop(key)
            try:
                fh.close()
            except OSError as exc:
                logger.debug("Closing %s after a failure: %s", self.paths[key], exc)

    def tidy(self, n_samples: int) -> int:
        """Close after an error, keeping whole frames and whole lines only; return how
        many of the ``n_samples`` recorded are kept."""
        self.close_quietly()
        samples = self.paths["samples"]
        try:
            kept, dropped = truncate_partial_frame(samples, self.frame_bytes)
            if dropped:
                logger.info("Dropped a partial frame of %d bytes after the failure", dropped)
            for key in _SIDE_FILES:
                drop_partial_line(self.paths[key])
        except OSError as exc:
            logger.error("Could not tidy %s after the failure: %s", self.folder, exc)
            try:
                kept = samples.stat().st_size // self.frame_bytes
            except OSError:
                kept = 0
        n_samples = min(n_samples, kept)
        self._bytes["samples"] = n_samples * self.frame_bytes
        return n_samples

    def append_line(self, key: str, line: str) -> None:
        """Append one line to side file ``key`` once the files are closed (a last note)."""
        with open(self.paths[key], "ab") as fh:
            fh.write(line.encode("ascii"))

    def tidy_line(self, key: str) -> None:
        """Cut a partial last line of side file ``key`` (errors are logged)."""
        path = self.paths[key]
        try:
            drop_partial_line(path)
        except OSError as exc:
            logger.error("Could not tidy %s: %s", path, exc)

    def unlock(self) -> None:
        """Remove ``recording.lock`` (errors are logged)."""
        path = self.folder / LOCK_FILE
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            logger.error("Could not remove %s: %s", path, exc)


def _create_private(path: Path, *, buffering: int) -> IO[bytes]:
    """Create a new file 0600 for writing; never follows or reuses what is there."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), PRIVATE_FILE_MODE)
    try:
        return os.fdopen(fd, "wb", buffering=buffering)
    except BaseException:
        os.close(fd)
        raise
