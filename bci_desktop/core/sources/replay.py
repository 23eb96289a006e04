"""Replay a recording through the same pipeline as a live stream.

:class:`ReplaySource` plays a recorded session folder, a BrainFlow CSV file or an EDF/BDF
file made by any system (see :mod:`.replay_files` for what is read from each) in real time,
N times faster, or as fast as :meth:`~ReplaySource.read` is called, with pause and seek for
the GUI.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np

from bci_desktop.core.errors import ConfigError, SourceError
from bci_desktop.core.limits import MAX_SPEED
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.replay_files import Recording, load_recording, place_markers
from bci_desktop.core.stream import Chunk, MarkerText, StreamInfo
from bci_desktop.core.validate import check_positive

logger = logging.getLogger(__name__)

__all__ = ["ReplaySource"]

#: A paced read returns at most this much stream (or 0.25 s of wall time at high speed);
#: when the reader stalls longer, the replay clock slips instead of bursting.
_MAX_READ_S = 2.0


def _check_speed(speed: float | None) -> float | None:
    if speed is None:
        return None
    return check_positive("speed", speed, maximum=MAX_SPEED)


class ReplaySource(Source):
    """A recording played back as a stream.

    Parameters
    ----------
    path : str or path-like
        A session folder (or its ``session.json``), a BrainFlow file (``.csv``, ``.txt``,
        ``.tsv``), an EDF/BDF file (``.edf``, ``.bdf``) or an XDF file (``.xdf``).
    speed : float or None
        1.0 plays in real time, N plays N times faster, ``None`` returns ``chunk_s`` seconds
        on every :meth:`read`, as fast as it is called.
    master_board : str, int or None
        BrainFlow files only: the board that recorded the file (its row layout); the
        synthetic board when ``None``.
    chunk_s : float
        Length of a chunk when ``speed`` is None (at least one sample).

    Raises
    ------
    ConfigError
        If ``speed`` or ``chunk_s`` is invalid, or the file type is unknown.
    RecordingFileError
        If the recording cannot be read (missing, not a regular file, truncated, not what
        its name says); a :class:`SourceError` and bad input (CLI exit code 2).

    Notes
    -----
    Timestamps come from the recording (sessions, BrainFlow files) or are the file's start
    plus ``i / fs`` (EDF/BDF). Markers come from the recording; a session's truth row gives
    :attr:`Chunk.truth`. :meth:`pause`, :meth:`resume` and :meth:`seek` may be called from
    another thread than the reader's. After a seek the stream jumps: the first chunk read
    after it has ``gap_before=True`` (the engine restarts its filters), and :attr:`seeks`
    counts the seeks. A seek can ask for *context*: the seconds before the new position are
    read at once (paused or not, unpaced) so that whatever processes and shows the stream
    holds the signal up to the position; pacing then goes on from the position.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        speed: float | None = 1.0,
        master_board: str | int | None = None,
        chunk_s: float = 0.02,
    ) -> None:
        speed = _check_speed(speed)
        if isinstance(chunk_s, bool) or not isinstance(chunk_s, int | float) or not chunk_s > 0:
            raise ConfigError(
                f"Invalid value for the 'chunk_s' parameter: expected seconds > 0, but got "
                f"{chunk_s!r}."
            )
        self.path = Path(path)
        self._rec: Recording = load_recording(self.path, master_board=master_board)
        self._speed = speed
        fs = self._rec.info.sample_rate
        self._fs = fs
        self._chunk_n = max(1, round(chunk_s * fs))  # a slow recording (1 Hz): one sample
        self._n = self._rec.n_samples
        self._lock = threading.Lock()
        self._pending: deque[float] = deque()
        self._started = False
        self._paused = False
        self._pos = 0
        self._anchor_pos = 0
        self._anchor_t = 0.0
        self._context_end = 0  # a seek's context is read at once up to this sample
        self._context_chunk = max(self._chunk_n, round(0.5 * fs))
        self.seeks = 0
        self._gap = False
        logger.info(
            "Replay of %s: %s, %d EEG channels, %g Hz, %.1f s",
            self.path,
            self._rec.kind,
            self._rec.info.n_channels,
            fs,
            self.duration_s,
        )

    # ------------------------------------------------------------------ description
    @property
    def info(self) -> StreamInfo:
        """Channels, rate and (for sessions and BrainFlow files) board rows and states."""
        return self._rec.info

    @property
    def kind(self) -> str:
        """What is replayed: ``"session"``, ``"brainflow"``, ``"edf"`` or ``"bdf"``."""
        return self._rec.kind

    @property
    def realtime(self) -> bool:  # type: ignore[override]
        """True unless ``speed`` is None."""
        return self._speed is not None

    @property
    def speed(self) -> float | None:
        """Times real time, ``None`` for as fast as read."""
        return self._speed

    @property
    def duration_s(self) -> float:
        """Length of the recording (s)."""
        return self._n / self._fs

    @property
    def n_samples(self) -> int:
        """Samples in the recording."""
        return self._n

    @property
    def position_s(self) -> float:
        """Where the replay is, from the recording's start (s): the stream time of the next
        sample to be read, or the position sought while its context is being read."""
        return max(self._pos, self._context_end) / self._fs

    @property
    def start_time(self) -> float:
        """Stream time of the recording's first sample (its time stamps are on this clock)."""
        rec = self._rec
        if rec.timestamp_row is not None and self._n:
            return float(rec.samples[rec.timestamp_row, 0])
        return float(rec.start)

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused

    @property
    def finished(self) -> bool:
        """True once every sample has been read."""
        return self._started and self._pos >= self._n

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start playing from the current position (0 unless :meth:`seek` moved it)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._anchor()

    def stop(self) -> None:
        """Stop; a later :meth:`start` plays again from the beginning."""
        with self._lock:
            self._started = False
            self._paused = False
            self._pos = 0
            self._context_end = 0
            self._gap = False
            self._pending.clear()

    def pause(self) -> None:
        """Hold the replay: :meth:`read` returns ``None`` until :meth:`resume`."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        """Continue after :meth:`pause` from where it stopped."""
        with self._lock:
            if self._paused:
                self._paused = False
                self._anchor()

    def set_speed(self, speed: float | None) -> None:
        """Play on ``speed`` times faster than real time (``None``: as fast as read) from
        where the replay is.

        Raises
        ------
        ConfigError
            If ``speed`` is not a positive number or None.
        """
        speed = _check_speed(speed)
        with self._lock:
            self._speed = speed
            self._anchor()

    def seek(self, seconds: float, *, context_s: float = 0.0) -> None:
        """Continue from ``seconds`` after the recording's start (clamped to the recording).

        ``context_s`` seconds before that position (fewer at the recording's start) are
        read first, at once, whether the replay is paused or not.

        Raises
        ------
        ConfigError
            If ``seconds`` is not a finite number or ``context_s`` is negative.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ConfigError(f"Invalid value for the 'seconds' parameter: got {seconds!r}.")
        if not math.isfinite(seconds):
            raise ConfigError(f"Invalid value for the 'seconds' parameter: got {seconds!r}.")
        if (
            isinstance(context_s, bool)
            or not isinstance(context_s, int | float)
            or not 0 <= context_s < math.inf
        ):
            raise ConfigError(
                f"Invalid value for the 'context_s' parameter: expected seconds >= 0, but got "
                f"{context_s!r}."
            )
        with self._lock:
            target = min(max(0, round(seconds * self._fs)), self._n)
            self._context_end = target
            self._pos = max(0, target - round(context_s * self._fs))
            self.seeks += 1
            self._gap = self._started or self._gap
            self._anchor()

    def _anchor(self) -> None:
        self._anchor_pos = self._pos
        self._anchor_t = time.monotonic()

    def _put_marker(self, value: float) -> None:
        """Put ``value`` on the next sample read."""
        with self._lock:
            self._pending.append(value)

    # ------------------------------------------------------------------ reading
    def read(self) -> Chunk | None:
        """Return the samples due since the last call, ``None`` if none are due.

        Raises
        ------
        SourceError
            If the replay was not started.
        """
        with self._lock:
            if not self._started:
                raise SourceError(
                    f"The replay of '{self.path.name}' is not started: call start()."
                )
            if self._pos < self._context_end:  # a seek's context: at once, paused or not
                n = min(self._context_end - self._pos, self._context_chunk)
            elif self._paused or self._pos >= self._n:
                return None
            else:
                n = min(self._due(), self._n - self._pos)
            if n <= 0:
                return None
            a, b = self._pos, self._pos + n
            self._pos = b
            if a < self._context_end <= b:
                self._anchor()  # paced again from the position sought
            pending = [self._pending.popleft() for _ in range(len(self._pending))]
            gap, self._gap = self._gap, False
        return self._chunk(a, b, pending, gap)

    def _due(self) -> int:
        if self._speed is None:
            return self._chunk_n
        rate = self._speed * self._fs
        elapsed = (time.monotonic() - self._anchor_t) * rate
        n = self._anchor_pos + math.floor(elapsed + 1e-6) - self._pos  # 1e-6: float noise
        cap = max(round(_MAX_READ_S * self._fs), round(0.25 * rate))
        if n > cap:  # the reader stalled: the replay clock slips, no burst
            self._anchor_pos -= n - cap
            n = cap
        return n

    def _chunk(self, a: int, b: int, pending: list[float], gap: bool) -> Chunk:
        rec = self._rec
        eeg = np.array(rec.samples[list(rec.eeg_rows), a:b], dtype=np.float64)
        if rec.timestamp_row is not None:
            timestamps = np.array(rec.samples[rec.timestamp_row, a:b], dtype=np.float64)
        else:
            timestamps = rec.start + np.arange(a, b) / self._fs
        markers = rec.markers[a:b].copy()
        if pending:
            place_markers(markers, list(range(len(pending))), pending)
        texts = tuple(MarkerText(i - a, t) for i, t in rec.marker_texts.items() if a <= i < b)
        truth = None if rec.truth is None else rec.truth[a:b].copy()
        board = np.array(rec.samples[:, a:b], dtype=np.float64) if rec.board_data else None
        if board is not None and rec.info.marker_row is not None:
            board[rec.info.marker_row] = markers
        return Chunk(
            eeg=eeg,
            timestamps=timestamps,
            markers=markers,
            truth=truth,
            board_data=board,
            gap_before=gap,
            marker_texts=texts,
        )

    def __repr__(self) -> str:
        return (
            f"<ReplaySource {self.path.name!r} {self.kind} {self.position_s:.1f}/"
            f"{self.duration_s:.1f} s speed={self._speed}>"
        )
