"""Crash-safe recording of a stream into a session folder (format: :mod:`.session`).

:class:`SessionRecorder` appends every raw sample frame to ``samples.f64`` through one
buffered handle, flushed and synced to disk every ``flush_interval_s`` of wall time, so a
process killed mid-recording loses at most about a second; :mod:`.recovery` finishes such a
folder on the next start. A write that fails (disk full, file too large, permission) stops
the recording cleanly: whole frames stay on disk, the error is logged and raised once as
:class:`RecordingError`, and later calls do nothing so that streaming goes on.
Where a recording starts (a new folder, or a session to continue) is checked in
:mod:`.start`; the open files themselves are :class:`~.session_files.SessionFiles`; the
frame layout, ``session.json`` and the lines of ``markers.csv`` are :mod:`.layout`.
:class:`RecordingTap` (:mod:`.tap`) plugs a recorder into
:class:`~bci_desktop.core.runner.StreamRunner`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.recording.errors import RecordingError, describe_os_error
from bci_desktop.core.recording.layout import (
    marker_line,
    model_info,
    now_iso,
    session_layout,
)
from bci_desktop.core.recording.session import (
    META_FILE,
    STATUS_COMPLETE,
    SessionMeta,
)
from bci_desktop.core.recording.session_files import SessionFiles
from bci_desktop.core.recording.start import new_session, remove_new_folder, session_to_continue
from bci_desktop.core.recording.tap import RecordingTap
from bci_desktop.core.stream import Chunk, StreamInfo

if TYPE_CHECKING:
    from bci_desktop.core.engine import Prediction

logger = logging.getLogger(__name__)

#: Moved to :mod:`.errors`, :mod:`.layout` and :mod:`.tap`; still importable from here.
__all__ = ["RecordingError", "RecordingTap", "SessionRecorder", "model_info", "session_layout"]


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
        self._gap_threshold = gap_threshold_s
        self._lock = threading.RLock()
        self._files = SessionFiles(folder, self._frame_bytes, flush_interval_s=flush_interval_s)
        self._n = 0
        self._buf = np.empty((0, self._n_rows), dtype="<f8")
        self._last_chunk_ts: np.ndarray = np.empty(0)
        self._last_chunk_start = 0
        self._last_t: float | None = None
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
        start = new_session(
            data_dir_or_folder,
            info,
            subject=subject,
            notes=notes,
            filters=filters,
            model=model,
            layout_board_id=layout_board_id,
            name=name,
        )
        folder, meta = start.folder, start.meta
        rec = cls(
            folder,
            meta,
            board=start.board,
            flush_interval_s=flush_interval_s,
            gap_threshold_s=gap_threshold_s,
        )
        try:
            rec._files.create(meta)
        except OSError as exc:
            rec._files.close_quietly()
            remove_new_folder(folder)
            raise RecordingError(
                f"Cannot start recording: {describe_os_error(exc)} while creating the files "
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
        start = session_to_continue(folder, info)
        folder = start.folder
        rec = cls(
            folder,
            start.meta,
            board=start.board,
            flush_interval_s=flush_interval_s,
            gap_threshold_s=gap_threshold_s,
        )
        try:
            rec._reopen()
        except OSError as exc:
            rec._files.close_quietly()
            raise RecordingError(
                f"Cannot continue recording into {folder}: {describe_os_error(exc)}."
            ) from exc
        logger.info("Continuing the recording %s at sample %d", folder, rec._n)
        return rec

    def _reopen(self) -> None:
        kept = self._files.reopen()
        self._n = kept
        row = self._meta.timestamp_row
        if kept and row is not None:
            self._last_t = float(self._files.read_frame(kept - 1)[row])

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
        return self._files.size_bytes

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
            try:
                frames = self._frames(chunk, n)
                first = self._n
                ts = chunk.timestamps
                if self._gap_threshold is not None and self._last_t is not None:
                    gap = float(ts[0]) - self._last_t - 1.0 / self._fs
                    if gap > self._gap_threshold:
                        self._event("gap", f"{gap:.3f} s without samples", float(ts[0]), first)
                self._files.write("samples", frames)
                self._n += n
                marks = np.flatnonzero(chunk.markers)
                if marks.size:
                    self._markers(chunk, marks, first)
                self._last_chunk_ts, self._last_chunk_start = ts, first
                self._last_t = float(ts[-1])
                self._files.flush_if_due()
            except OSError as exc:
                self._fail(exc, self._files.in_use)
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
        self._files.write("markers", lines.encode("utf-8"))

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
            try:
                self._files.write(
                    "markers", marker_line(float(t), sample, float(value), text).encode()
                )
                self._files.flush_if_due()
            except OSError as exc:
                self._fail(exc, self._files.in_use)
            return True

    def _event(self, kind: str, detail: str, t: float, sample: int) -> None:
        line = json.dumps({"t": t, "sample": sample, "kind": kind, "detail": detail}) + "\n"
        self._files.write("events", line.encode("ascii"))

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
            try:
                self._files.write("predictions", (json.dumps(record) + "\n").encode("ascii"))
                self._files.flush_if_due()
            except OSError as exc:
                self._fail(exc, self._files.in_use)
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
            try:
                self._event(str(kind), str(detail), float(t), self._n)
                self._files.flush_if_due()
            except OSError as exc:
                self._fail(exc, self._files.in_use)
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
                self._files.flush()
            except OSError as exc:
                self._fail(exc, self._files.in_use)

    def flush_if_due(self) -> None:
        """Flush if ``flush_interval_s`` has passed: for a caller's timer while no chunk comes."""
        if self._files.flush_due:
            self.flush()

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
                self._files.close()
            except OSError as exc:
                self._fail(exc, self._files.in_use)
            problem = self._finish(error=None)
            logger.info(
                "Recorded %d samples (%.1f s) in %s", self._n, self.elapsed_s, self._folder
            )
            if problem is not None:
                self._failed = problem
                raise RecordingError(problem)

    def _close_and_tidy(self) -> None:
        """Close after an error; keep whole frames and whole lines only."""
        self._n = self._files.tidy(self._n)

    def _fail(self, exc: OSError, path: Path) -> None:
        """Stop after a write error: keep whole frames and lines, log, raise (once)."""
        self._close_and_tidy()
        self._failed = (
            f"Recording stopped: {describe_os_error(exc)} while writing {path}. Everything "
            f"recorded up to {self.elapsed_s:.1f} s is kept."
        )
        logger.error("%s", self._failed)
        self._finish(error=self._failed)
        raise RecordingError(self._failed) from exc

    def _finish(self, error: str | None) -> str | None:
        """Close, write the final metadata, remove the lock; return a problem or None."""
        self._closed = True
        self._files.close_quietly()
        problem = None
        if error is not None:
            try:
                t = self._last_t if self._last_t is not None else time.time()
                at = max(self._n - 1, 0)  # on the last sample kept, where exports find it
                line = {"t": t, "sample": at, "kind": "recording_error", "detail": error}
                self._files.append_line("events", json.dumps(line) + "\n")
            except OSError as exc:
                logger.warning(
                    "Could not note the error in %s: %s", self._files.paths["events"], exc
                )
                self._files.tidy_line("events")
        self._meta = replace(
            self._meta, status=STATUS_COMPLETE, ended=now_iso(), n_samples=self._n
        )
        try:
            self._files.write_meta(self._meta)
        except OSError as exc:
            problem = (
                f"Recording stopped, but {self._folder / META_FILE} could not be updated: "
                f"{describe_os_error(exc)}. The {self._n} samples recorded are kept; the "
                f"session is finished by 'bci-desktop sessions --recover' once there is room."
            )
            logger.error("%s", problem)  # the atomic write removed its temporary
        self._files.unlock()
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
