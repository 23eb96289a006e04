"""Crash-safe recording of a stream into a session folder (format: :mod:`.session`).

:class:`SessionRecorder` appends every raw sample frame to ``samples.f64`` through one
buffered handle, flushed and synced to disk every ``flush_interval_s`` of wall time, so a
process killed mid-recording loses at most about a second; :mod:`.recovery` finishes such a
folder on the next start. A write that fails (disk full, file too large, permission) stops
the recording cleanly: whole frames stay on disk, the error is logged and raised once as
:class:`RecordingError`, and later calls do nothing so that streaming goes on.
:class:`RecordingTap` plugs a recorder into :class:`~bci_desktop.core.runner.StreamRunner`.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from bci_desktop import __version__
from bci_desktop.core.atomic import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, fsync_dir
from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.recording.recovery import (
    drop_partial_line,
    lock_owner,
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
    STATUS_COMPLETE,
    STATUS_RECORDING,
    SessionError,
    SessionMeta,
    read_meta,
    write_json_atomic,
)
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo

if TYPE_CHECKING:
    from bci_desktop.core.engine import EngineUpdate, Prediction

logger = logging.getLogger(__name__)

__all__ = ["RecordingError", "RecordingTap", "SessionRecorder", "model_info", "session_layout"]

MARKERS_HEADER = b"t,sample,value,text\n"
_BUFFER_BYTES = 1 << 16
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


def marker_line(t: float, sample: int, value: float, text: str = "") -> str:
    """One line of ``markers.csv``: ``t,sample,value,text``; the text is quoted as CSV
    quotes it when it holds a comma or a quote, and kept on one line."""
    text = " ".join(text.split())
    if any(c in text for c in ',"'):
        text = '"' + text.replace('"', '""') + '"'
    return f"{t!r},{sample},{value!r},{text}\n"


def now_iso() -> str:
    """The local time now, ISO 8601 with its time zone offset."""
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (numpy scalars and arrays, tuples, paths ...)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        return str(obj)

    return json.loads(json.dumps(value, default=default))


def session_layout(info: StreamInfo) -> dict[str, Any]:
    """The stored rows of a stream: the ``SessionMeta`` fields that describe a frame.

    The returned dict has ``rows``, ``eeg_rows``, ``timestamp_row``, ``marker_row``,
    ``truth_row`` and ``board`` (True when frames are BrainFlow's ``board_data``).

    BrainFlow streams (``info.board_rows`` with timestamp and marker rows) store every
    board row as BrainFlow delivers it; other sources store their EEG channels, then
    ``Timestamp``, ``Marker`` and, when the source knows true states, ``Truth``.
    """
    if info.board_rows and info.timestamp_row is not None and info.marker_row is not None:
        return {
            "rows": tuple(info.board_rows),
            "eeg_rows": tuple(info.eeg_rows),
            "timestamp_row": int(info.timestamp_row),
            "marker_row": int(info.marker_row),
            "truth_row": None,
            "board": True,
        }
    n = info.n_channels
    rows = [*info.eeg, ChannelInfo("Timestamp", "timestamp", "s")]
    rows.append(ChannelInfo("Marker", "marker", ""))
    if info.states:
        rows.append(ChannelInfo("Truth", "truth", ""))
    return {
        "rows": tuple(rows),
        "eeg_rows": tuple(range(n)),
        "timestamp_row": n,
        "marker_row": n + 1,
        "truth_row": n + 2 if info.states else None,
        "board": False,
    }


def model_info(model: Any) -> dict[str, Any] | None:
    """The ``model`` entry of ``session.json`` for any classifier the engine runs: name,
    version, and the file's sha256 and path (empty for BrainFlow's built-in models)."""
    if model is None:
        return None
    path = getattr(model, "path", None)
    return {
        "name": model.metadata.name,
        "version": model.metadata.version,
        "sha256": getattr(model, "sha256", ""),
        "path": "" if path is None else str(path),
    }


def _describe_os_error(exc: OSError) -> str:
    reason = _REASONS.get(exc.errno or 0, "a write failed")
    detail = exc.strerror or str(exc) or type(exc).__name__
    return f"{reason} ({detail})"


class SessionRecorder:
    """Record one stream into a new session folder; create it with :meth:`create`.

    Thread-safe: the streaming thread may call :meth:`append` while another thread adds an
    event or stops the recording.
    """

    def __init__(
        self,
        folder: Path,
        meta: SessionMeta,
        *,
        board: bool,
        flush_interval_s: float,
        gap_threshold_s: float | None,
    ) -> None:
        self._folder = folder
        self._meta = meta
        self._fs = float(meta.sample_rate)
        self._n_rows = len(meta.rows)
        self._frame_bytes = 8 * self._n_rows
        self._board = board
        self._flush_interval = float(flush_interval_s)
        self._gap_threshold = gap_threshold_s
        self._lock = threading.RLock()
        self._paths = {
            "samples": folder / SAMPLES_FILE,
            "markers": folder / MARKERS_FILE,
            "predictions": folder / PREDICTIONS_FILE,
            "events": folder / EVENTS_FILE,
        }
        self._files: dict[str, IO[bytes]] = {}
        self._dirty: set[str] = set()
        self._bytes = dict.fromkeys(self._paths, 0)
        self._meta_bytes = 0
        self._n = 0
        self._buf = np.empty((0, self._n_rows), dtype="<f8")
        self._last_chunk_ts: np.ndarray = np.empty(0)
        self._last_chunk_start = 0
        self._last_t: float | None = None
        self._last_flush = time.monotonic()
        self._flushing = self._paths["samples"]
        self._closed = False
        self._failed: str | None = None

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(
        cls,
        data_dir_or_folder: str | os.PathLike[str] | None,
        info: StreamInfo,
        *,
        subject: str = "",
        notes: str = "",
        filters: dict[str, Any] | None = None,
        model: dict[str, Any] | None = None,
        layout_board_id: int | None = None,
        flush_interval_s: float = 0.5,
        gap_threshold_s: float | None = 0.5,
        name: str | None = None,
    ) -> SessionRecorder:
        """Start recording ``info``'s stream into a new session folder.

        Parameters
        ----------
        data_dir_or_folder : path or None
            The sessions directory (created if missing) in which a new folder
            ``YYYYmmdd-HHMMSS`` is made, mode 0700 with files 0600 (``-2``, ``-3`` ... is
            appended when two start in the same second; the subject id is stored in
            ``session.json`` only, never in the folder's name); ``None`` uses
            :func:`~bci_desktop.core.recording.catalog.data_dir`. An existing session folder
            is refused.
        info : StreamInfo
            The stream to record (its rows decide the frame layout, see
            :func:`session_layout`).
        subject, notes : str
            Subject id and free notes, stored in ``session.json``.
        filters, model : dict or None
            Filter settings and the model (``name``, ``version``, ``sha256``, ``path``) in use.
        layout_board_id : int or None
            BrainFlow board whose row layout the rows follow (the master board of a
            playback or streaming board); defaults to ``info.layout_board`` for BrainFlow
            streams.
        flush_interval_s : float
            Wall-clock seconds between flushes to disk (``fsync``); 0 flushes every call.
        gap_threshold_s : float or None
            A jump of the timestamps larger than this between two chunks is recorded as a
            ``gap`` event; ``None`` switches the check off.
        name : str or None
            Exact name of the new folder instead of the time-based one (must not exist).

        Raises
        ------
        ConfigError
            If ``flush_interval_s`` or ``gap_threshold_s`` is invalid.
        SessionError
            If ``data_dir_or_folder`` is already a session folder.
        RecordingError
            If the folder or its files cannot be created (the message says why).
        """
        if not (isinstance(flush_interval_s, int | float) and 0 <= flush_interval_s < math.inf):
            raise ConfigError(
                f"Invalid value for the 'flush_interval_s' parameter: expected a finite number "
                f"of seconds >= 0, but got {flush_interval_s!r} instead."
            )
        if gap_threshold_s is not None and not 0 < gap_threshold_s < math.inf:
            raise ConfigError(
                f"Invalid value for the 'gap_threshold_s' parameter: expected seconds > 0 or "
                f"None, but got {gap_threshold_s!r} instead."
            )
        if data_dir_or_folder is None:
            from bci_desktop.core.recording.catalog import data_dir

            sessions_dir = data_dir()
        else:
            sessions_dir = Path(data_dir_or_folder)
        if (sessions_dir / META_FILE).exists():
            raise SessionError(
                f"'{sessions_dir}' is already a session folder: give the folder that holds "
                f"sessions (a new session folder is made inside it)."
            )
        started_at = datetime.now().astimezone()
        layout = session_layout(info)
        board_layout = bool(layout.pop("board"))
        if layout_board_id is None and board_layout:
            layout_board_id = info.layout_board
        try:
            sessions_dir.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
            folder = _make_unique_folder(sessions_dir, started_at, name)
        except OSError as exc:
            raise RecordingError(
                f"Cannot start recording: {_describe_os_error(exc)} while creating a session "
                f"folder in {sessions_dir}. Choose a writable folder with free space."
            ) from exc
        meta = SessionMeta(
            source_name=info.source_name,
            sample_rate=float(info.sample_rate),
            rows=layout["rows"],
            eeg_rows=layout["eeg_rows"],
            timestamp_row=layout["timestamp_row"],
            marker_row=layout["marker_row"],
            started=started_at.isoformat(timespec="milliseconds"),
            app_version=__version__,
            subject=subject,
            notes=notes,
            board_id=info.board_id,
            layout_board_id=layout_board_id if board_layout else None,
            description=_jsonable(dict(info.description)),
            truth_row=layout["truth_row"],
            states=tuple(info.states) if layout["truth_row"] is not None else (),
            filters=_jsonable(dict(filters or {})),
            model=None if model is None else _jsonable(dict(model)),
            pid=os.getpid(),
        )
        rec = cls(
            folder,
            meta,
            board=board_layout,
            flush_interval_s=flush_interval_s,
            gap_threshold_s=gap_threshold_s,
        )
        try:
            rec._open()
        except OSError as exc:
            rec._close_files()
            _remove_new_folder(folder)
            raise RecordingError(
                f"Cannot start recording: {_describe_os_error(exc)} while creating the files "
                f"of {folder}. Choose a writable folder with free space."
            ) from exc
        logger.info(
            "Recording %s (%d rows at %g Hz) into %s",
            info.source_name,
            len(meta.rows),
            meta.sample_rate,
            folder,
        )
        return rec

    @classmethod
    def resume(
        cls,
        folder: str | os.PathLike[str],
        info: StreamInfo,
        *,
        flush_interval_s: float = 0.5,
        gap_threshold_s: float | None = 0.5,
    ) -> SessionRecorder:
        """Go on recording ``info``'s stream into a session whose recorder died.

        The window's acquisition process can crash mid-recording (a driver that aborts);
        the one that replaces it continues the same session: partial last frames and lines
        are cut as recovery would, the files are opened for appending and the lock is
        taken over. The caller notes the gap.

        Raises
        ------
        SessionError
            If the folder is not a session being recorded, another live process records
            it, or its rows or rate differ from ``info``'s.
        RecordingError
            If its files cannot be opened.
        """
        folder = Path(folder)
        meta = read_meta(folder)
        if meta.status != STATUS_RECORDING:
            raise SessionError(f"Cannot continue '{folder}': its recording was finished.")
        owner = lock_owner(folder)
        if owner is not None and owner != os.getpid():
            raise SessionError(f"Cannot continue '{folder}': process {owner} records it.")
        layout = session_layout(info)
        board = bool(layout.pop("board"))
        if tuple(layout["rows"]) != tuple(meta.rows) or meta.sample_rate != info.sample_rate:
            raise SessionError(
                f"Cannot continue '{folder}': the stream now has other channels or another "
                "rate than the recording."
            )
        rec = cls(
            folder,
            meta,
            board=board,
            flush_interval_s=flush_interval_s,
            gap_threshold_s=gap_threshold_s,
        )
        try:
            rec._reopen()
        except OSError as exc:
            rec._close_files()
            raise RecordingError(
                f"Cannot continue recording into {folder}: {_describe_os_error(exc)}."
            ) from exc
        logger.info("Continuing the recording %s at sample %d", folder, rec._n)
        return rec

    def _reopen(self) -> None:
        folder = self._folder
        kept, _ = truncate_partial_frame(self._paths["samples"], self._frame_bytes)
        for key in ("markers", "predictions", "events"):
            drop_partial_line(self._paths[key])
        with open(folder / LOCK_FILE, "w", encoding="ascii") as fh:
            fh.write(lock_text())
            fh.flush()
            os.fsync(fh.fileno())
        for key, path in self._paths.items():
            self._files[key] = open(path, "ab", buffering=_BUFFER_BYTES)  # noqa: SIM115
            self._bytes[key] = path.stat().st_size
        self._meta_bytes = (folder / META_FILE).stat().st_size
        self._n = kept
        row = self._meta.timestamp_row
        if kept and row is not None:
            with open(self._paths["samples"], "rb") as fh:
                fh.seek((kept - 1) * self._frame_bytes)
                last = np.frombuffer(fh.read(self._frame_bytes), dtype="<f8")
            self._last_t = float(last[row])

    def _open(self) -> None:
        folder = self._folder
        with _create_private(folder / LOCK_FILE, buffering=-1) as fh:  # first: never unlocked
            fh.write(lock_text().encode("ascii"))
            fh.flush()
            os.fsync(fh.fileno())
        write_json_atomic(folder / META_FILE, self._meta.to_dict())
        self._meta_bytes = (folder / META_FILE).stat().st_size
        for key, path in self._paths.items():
            self._files[key] = _create_private(path, buffering=_BUFFER_BYTES)
        self._files["markers"].write(MARKERS_HEADER)
        self._bytes["markers"] = len(MARKERS_HEADER)
        self._dirty.add("markers")
        self._flush()
        fsync_dir(folder)

    # ------------------------------------------------------------------ properties
    @property
    def folder(self) -> Path:
        """The session folder."""
        return self._folder

    @property
    def meta(self) -> SessionMeta:
        """The metadata as written to ``session.json``."""
        return self._meta

    @property
    def n_samples(self) -> int:
        """Samples recorded (after a failure: the whole frames kept on disk)."""
        return self._n

    @property
    def elapsed_s(self) -> float:
        """Stream seconds recorded."""
        return self._n / self._fs

    @property
    def size_bytes(self) -> int:
        """Bytes recorded so far, all files of the session together."""
        return self._meta_bytes + sum(self._bytes.values())

    @property
    def failed(self) -> str | None:
        """Why the recording stopped on an error, or ``None``."""
        return self._failed

    @property
    def recording(self) -> bool:
        """True until :meth:`stop` or a failure."""
        return not self._closed

    # ------------------------------------------------------------------ writing
    def append(self, chunk: Chunk) -> bool:
        """Record a chunk; False when the recording is stopped (nothing is written).

        Raises
        ------
        RecordingError
            Once, when writing fails; the recording is then stopped with every whole frame
            written so far kept, and later calls return False.
        """
        with self._lock:
            if self._closed:
                return False
            n = chunk.n_samples
            if n == 0:
                return True
            where: Path | None = self._paths["samples"]
            try:
                frames = self._frames(chunk, n)
                first = self._n
                ts = chunk.timestamps
                if self._gap_threshold is not None and self._last_t is not None:
                    gap = float(ts[0]) - self._last_t - 1.0 / self._fs
                    if gap > self._gap_threshold:
                        where = self._paths["events"]
                        self._event("gap", f"{gap:.3f} s without samples", float(ts[0]), first)
                where = self._paths["samples"]
                self._write("samples", frames)
                self._n += n
                marks = np.flatnonzero(chunk.markers)
                if marks.size:
                    where = self._paths["markers"]
                    self._markers(chunk, marks, first)
                self._last_chunk_ts, self._last_chunk_start = ts, first
                self._last_t = float(ts[-1])
                where = None  # from here on: the file being flushed
                self._flush_if_due()
            except OSError as exc:
                self._fail(exc, where or self._flushing)
            return True

    def _frames(self, chunk: Chunk, n: int) -> memoryview:
        """The chunk as sample-major little-endian float64 frames (a reused buffer)."""
        if self._buf.shape[0] < n:
            self._buf = np.empty((max(n, 2 * self._buf.shape[0]), self._n_rows), dtype="<f8")
        buf = self._buf[:n]
        meta = self._meta
        if self._board:
            data = chunk.board_data
            if data is None or data.shape != (self._n_rows, n):
                shape = None if data is None else data.shape
                self._fail_layout(f"a chunk carries board data of shape {shape}, but the "
                                  f"session records {self._n_rows} rows")  # fmt: skip
            buf[...] = data.T
        else:
            n_eeg = len(meta.eeg_rows)
            if chunk.eeg.shape != (n_eeg, n):
                self._fail_layout(f"a chunk has EEG of shape {chunk.eeg.shape}, but the session "
                                  f"records {n_eeg} EEG channels")  # fmt: skip
            buf[:, :n_eeg] = chunk.eeg.T
            buf[:, meta.timestamp_row] = chunk.timestamps
            buf[:, meta.marker_row] = chunk.markers
            if meta.truth_row is not None:
                buf[:, meta.truth_row] = -1 if chunk.truth is None else chunk.truth
        return memoryview(buf).cast("B")

    def _fail_layout(self, problem: str) -> None:
        self._close_and_tidy()
        self._failed = (
            f"Recording stopped: {problem}. Everything recorded up to {self.elapsed_s:.1f} s "
            f"is kept."
        )
        logger.error("%s (%s)", self._failed, self._folder)
        self._finish(error=self._failed)
        raise RecordingError(self._failed)

    def _markers(self, chunk: Chunk, marks: np.ndarray, first: int) -> None:
        ts, values = chunk.timestamps, chunk.markers
        texts = {m.index: m.text for m in chunk.marker_texts}
        lines = "".join(
            marker_line(float(ts[i]), first + int(i), float(values[i]), texts.get(int(i), ""))
            for i in marks
        )
        self._write("markers", lines.encode("utf-8"))

    def add_marker(self, t: float, sample: int, value: float, text: str = "") -> bool:
        """Record a marker on a sample already recorded (a marker that arrived after its
        sample, from another program); False when stopped. Only ``markers.csv`` gets it.

        Raises
        ------
        RecordingError
            Once, when writing fails (see :meth:`append`).
        """
        with self._lock:
            if self._closed:
                return False
            sample = min(max(int(sample), 0), max(self._n - 1, 0))
            where: Path | None = self._paths["markers"]
            try:
                self._write("markers", marker_line(float(t), sample, float(value), text).encode())
                where = None
                self._flush_if_due()
            except OSError as exc:
                self._fail(exc, where or self._flushing)
            return True

    def _event(self, kind: str, detail: str, t: float, sample: int) -> None:
        line = json.dumps({"t": t, "sample": sample, "kind": kind, "detail": detail}) + "\n"
        self._write("events", line.encode("ascii"))

    def _write(self, key: str, data: bytes | memoryview) -> None:
        self._files[key].write(data)
        self._bytes[key] += len(data) if isinstance(data, bytes) else data.nbytes
        self._dirty.add(key)

    def _sample_at(self, t: float) -> int | None:
        """Index of the recorded sample whose timestamp is ``t`` (estimated if not recent)."""
        if self._n == 0:
            return None
        hits = np.flatnonzero(self._last_chunk_ts == t)
        if hits.size:
            return self._last_chunk_start + int(hits[-1])
        if self._last_t is None or not math.isfinite(t):
            return self._n - 1
        back = round((self._last_t - t) * self._fs)
        return int(min(max(self._n - 1 - back, 0), self._n - 1))

    def add_prediction(self, prediction: Prediction, *, sample: int | None = None) -> bool:
        """Record a prediction (``Prediction.to_dict()`` plus ``"sample"``).

        ``sample`` is the index of the window's last sample; by default it is found from
        ``prediction.t`` among the samples just recorded. Returns False when stopped.

        Raises
        ------
        RecordingError
            Once, when writing fails (see :meth:`append`).
        """
        with self._lock:
            if self._closed:
                return False
            record = prediction.to_dict()
            record["sample"] = self._sample_at(prediction.t) if sample is None else int(sample)
            where: Path | None = self._paths["predictions"]
            try:
                self._write("predictions", (json.dumps(record) + "\n").encode("ascii"))
                where = None
                self._flush_if_due()
            except OSError as exc:
                self._fail(exc, where or self._flushing)
            return True

    def add_event(self, kind: str, detail: str = "", t: float | None = None) -> bool:
        """Record an event (e.g. ``"gap"``) at the current sample; False when stopped.

        ``t`` defaults to the timestamp of the last recorded sample (the wall clock before
        the first sample).

        Raises
        ------
        RecordingError
            Once, when writing fails (see :meth:`append`).
        """
        with self._lock:
            if self._closed:
                return False
            if t is None:
                t = self._last_t if self._last_t is not None else time.time()
            where: Path | None = self._paths["events"]
            try:
                self._event(str(kind), str(detail), float(t), self._n)
                where = None
                self._flush_if_due()
            except OSError as exc:
                self._fail(exc, where or self._flushing)
            return True

    def flush(self) -> None:
        """Flush and ``fsync`` now (:meth:`append` does it every ``flush_interval_s``).

        Raises
        ------
        RecordingError
            Once, when writing fails (see :meth:`append`).
        """
        with self._lock:
            if self._closed:
                return
            try:
                self._flush()
            except OSError as exc:
                self._fail(exc, self._flushing)

    def flush_if_due(self) -> None:
        """Flush if ``flush_interval_s`` has passed: for a caller's timer while no chunk comes."""
        if time.monotonic() - self._last_flush >= self._flush_interval:
            self.flush()

    def _flush_if_due(self) -> None:
        if time.monotonic() - self._last_flush >= self._flush_interval:
            self._flush()

    def _flush(self) -> None:
        for key in sorted(self._dirty):
            self._flushing = self._paths[key]
            fh = self._files[key]
            fh.flush()
            os.fsync(fh.fileno())
        self._dirty.clear()
        self._last_flush = time.monotonic()

    # ------------------------------------------------------------------ stopping
    def stop(self) -> None:
        """Flush, close, mark the session complete and remove the lock. Safe to call twice.

        Raises
        ------
        RecordingError
            If the last flush or the metadata update fails (and no error was raised before).
        """
        with self._lock:
            if self._closed:
                return
            try:
                self._flush()
                for key in list(self._files):
                    self._flushing = self._paths[key]
                    self._files.pop(key).close()
            except OSError as exc:
                self._fail(exc, self._flushing)
            problem = self._finish(error=None)
            logger.info(
                "Recorded %d samples (%.1f s) in %s", self._n, self.elapsed_s, self._folder
            )
            if problem is not None:
                self._failed = problem
                raise RecordingError(problem)

    def _close_files(self) -> None:
        for key in list(self._files):
            fh = self._files.pop(key)
            try:
                fh.close()
            except OSError as exc:
                logger.debug("Closing %s after a failure: %s", self._paths[key], exc)

    def _close_and_tidy(self) -> None:
        """Close after an error; keep whole frames and whole lines only."""
        self._close_files()
        samples = self._paths["samples"]
        try:
            kept, dropped = truncate_partial_frame(samples, self._frame_bytes)
            if dropped:
                logger.info("Dropped a partial frame of %d bytes after the failure", dropped)
            for key in ("markers", "predictions", "events"):
                drop_partial_line(self._paths[key])
        except OSError as exc:
            logger.error("Could not tidy %s after the failure: %s", self._folder, exc)
            try:
                kept = samples.stat().st_size // self._frame_bytes
            except OSError:
                kept = 0
        self._n = min(self._n, kept)
        self._bytes["samples"] = self._n * self._frame_bytes

    def _fail(self, exc: OSError, path: Path) -> None:
        """Stop after a write error: keep whole frames and lines, log, raise (once)."""
        self._close_and_tidy()
        self._failed = (
            f"Recording stopped: {_describe_os_error(exc)} while writing {path}. Everything "
            f"recorded up to {self.elapsed_s:.1f} s is kept."
        )
        logger.error("%s", self._failed)
        self._finish(error=self._failed)
        raise RecordingError(self._failed) from exc

    def _finish(self, error: str | None) -> str | None:
        """Close, write the final metadata, remove the lock; return a problem or None."""
        self._closed = True
        self._close_files()
        problem = None
        if error is not None:
            try:
                t = self._last_t if self._last_t is not None else time.time()
                at = max(self._n - 1, 0)  # on the last sample kept, where exports find it
                line = {"t": t, "sample": at, "kind": "recording_error", "detail": error}
                with open(self._paths["events"], "ab") as fh:
                    fh.write((json.dumps(line) + "\n").encode("ascii"))
            except OSError as exc:
                logger.warning("Could not note the error in %s: %s", self._paths["events"], exc)
                _tidy_line(self._paths["events"])
        self._meta = replace(
            self._meta, status=STATUS_COMPLETE, ended=now_iso(), n_samples=self._n
        )
        try:
            write_json_atomic(self._folder / META_FILE, self._meta.to_dict())
            self._meta_bytes = (self._folder / META_FILE).stat().st_size
        except OSError as exc:
            problem = (
                f"Recording stopped, but {self._folder / META_FILE} could not be updated: "
                f"{_describe_os_error(exc)}. The {self._n} samples recorded are kept; the "
                f"session is finished by 'bci-desktop sessions --recover' once there is room."
            )
            logger.error("%s", problem)  # the atomic write removed its temporary
        _unlink(self._folder / LOCK_FILE)
        return problem

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> SessionRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "failed" if self._failed else "stopped" if self._closed else "recording"
        return f"<SessionRecorder {str(self._folder)!r} {self._n} samples {state}>"


def _tidy_line(path: Path) -> None:
    try:
        drop_partial_line(path)
    except OSError as exc:
        logger.error("Could not tidy %s: %s", path, exc)


def _unlink(path: Path) -> None:
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


def _make_unique_folder(sessions_dir: Path, started_at: datetime, name: str | None) -> Path:
    """A new session folder, 0700, named after its start time only: the subject id stays
    in ``session.json`` (folder names show in file browsers, backups and the log)."""
    if name is not None:
        folder = sessions_dir / name
        folder.mkdir(mode=PRIVATE_DIR_MODE)
        return folder
    base = started_at.strftime("%Y%m%d-%H%M%S")
    for i in range(1, 10_000):
        folder = sessions_dir / (base if i == 1 else f"{base}-{i}")
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(errno.EEXIST, "too many sessions with the same name", str(base))


def _remove_new_folder(folder: Path) -> None:
    """Remove a session folder that failed to start (it holds only this recorder's files)."""
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        logger.error("Could not remove the unfinished session folder %s: %s", folder, exc)


class RecordingTap:
    """Feed a :class:`StreamRunner` into a recorder, reporting failures without stopping it.

    Use ``StreamRunner(on_chunk=tap, on_update=tap.on_update)``. ``recorder`` may be
    swapped or set to ``None`` at any time (start and stop recording while streaming).

    Parameters
    ----------
    recorder : SessionRecorder or None
        Where chunks and predictions go.
    on_error : callable or None
        Called once with the :class:`RecordingError` when recording stops on an error.
    """

    def __init__(
        self,
        recorder: SessionRecorder | None = None,
        *,
        on_error: Callable[[RecordingError], None] | None = None,
    ) -> None:
        self.recorder = recorder
        self.on_error = on_error
        self.error: RecordingError | None = None

    def __call__(self, chunk: Chunk) -> None:
        """Record a raw chunk (the ``on_chunk`` callback)."""
        recorder = self.recorder
        if recorder is None:
            return
        try:
            recorder.append(chunk)
        except RecordingError as exc:
            self._report(exc)

    def on_update(self, update: EngineUpdate) -> None:
        """Record the predictions of an engine update (the ``on_update`` callback)."""
        recorder = self.recorder
        if recorder is None:
            return
        for p in update.predictions:
            try:
                if not recorder.add_prediction(p):
                    return
            except RecordingError as exc:
                self._report(exc)
                return

    def _report(self, exc: RecordingError) -> None:
        self.error = exc
        logger.warning("Streaming goes on without recording: %s", exc)
        if self.on_error is not None:
            self.on_error(exc)
