"""Putting markers that carry their own time on the right sample of the stream.

Markers from other programs (:class:`~bci_desktop.core.lsl.markers.ExternalMarker`) say
when they were sent, on the stream's clock; they may arrive before their sample (stimulus
software is usually quicker than an amplifier) or after it (a busy network). A
:class:`MarkerPlacer` keeps the time stamps of the last minute of samples and puts each
marker on the sample whose time stamp is nearest:

- a marker whose sample is in the chunk at hand goes into the chunk (its marker channel
  and its texts), so the recording, the plots and the outlets get it with the samples;
- a marker whose sample went by already is *late*: the session records it on that sample
  (``markers.csv``) and tells the window;
- a marker for a time not reached yet waits for its sample.

A marker more than :data:`TOLERANCE_S` away from the stream (a sender that stamps with
another clock, e.g. ``time.time()`` instead of ``pylsl.local_clock()``) is placed on the
newest sample when it arrives, with a warning naming the stream, once per stream.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass

import numpy as np

from bci_desktop.core.dsp.ring_buffer import RingBuffer
from bci_desktop.core.lsl.markers import ExternalMarker
from bci_desktop.core.stream import Chunk, MarkerText, StreamInfo

__all__ = ["TOLERANCE_S", "MarkerPlacer", "PlacedMarker"]

logger = logging.getLogger(__name__)

#: Farthest a marker's time may be from the stream's newest sample to be placed by time (s).
TOLERANCE_S = 10.0
#: Seconds of time stamps kept to place late markers.
HISTORY_S = 60.0


@dataclass(frozen=True)
class PlacedMarker:
    """Where a marker went.

    Attributes
    ----------
    marker : ExternalMarker
    sample : int
        Index of its sample since the stream started.
    t : float
        That sample's time stamp.
    late : bool
        True when the sample had gone by (the marker is recorded on it afterwards).
    by_arrival : bool
        True when its time was too far from the stream's and it was placed on arrival.
    """

    marker: ExternalMarker
    sample: int
    t: float
    late: bool
    by_arrival: bool = False


class MarkerPlacer:
    """Place timed markers on the samples of one stream (see the module docstring)."""

    def __init__(self, info: StreamInfo) -> None:
        self._fs = float(info.sample_rate)
        self._half = 0.5 / self._fs
        self._times = RingBuffer(1, max(16, math.ceil(HISTORY_S * self._fs)))
        self._marker_row = info.marker_row
        self.total = 0
        self._pending: list[ExternalMarker] = []
        self._warned: set[str] = set()

    @property
    def pending(self) -> int:
        """Markers waiting for their sample."""
        return len(self._pending)

    def add(self, markers: list[ExternalMarker]) -> None:
        """Markers to place (on this or a later chunk)."""
        self._pending.extend(markers)

    def restart(self) -> None:
        """The stream jumped (a replay seek): earlier time stamps no longer apply."""
        self._times.clear()

    def place(self, chunk: Chunk) -> tuple[Chunk, list[PlacedMarker]]:
        """Note the chunk's time stamps; return it with the markers that fall in it, and
        every marker placed (in the chunk or late)."""
        n = chunk.n_samples
        if n == 0:
            return chunk, []
        self._times.extend(np.asarray(chunk.timestamps, dtype=np.float64)[None, :])
        self.total += n
        if not self._pending:
            return chunk, []
        times = self._times.latest(self._times.size)[0]
        base = self.total - times.size
        newest = float(times[-1])
        waiting: list[ExternalMarker] = []
        placed: list[PlacedMarker] = []
        for m in self._pending:
            if not math.isfinite(m.t) or abs(m.t - newest) > TOLERANCE_S:
                self._warn(m, newest)
                placed.append(PlacedMarker(m, self.total - 1, newest, False, True))
            elif m.t > newest + self._half:
                waiting.append(m)
            else:
                j = int(np.searchsorted(times, m.t))
                if j == times.size or (j > 0 and m.t - times[j - 1] <= times[j] - m.t):
                    j -= 1
                sample = base + j
                placed.append(PlacedMarker(m, sample, float(times[j]), sample < self.total - n))
        self._pending = waiting
        if not any(not p.late for p in placed):
            return chunk, placed
        return self._into(chunk, placed)

    def _into(self, chunk: Chunk, placed: list[PlacedMarker]) -> tuple[Chunk, list[PlacedMarker]]:
        n = chunk.n_samples
        first = self.total - n
        markers = np.array(chunk.markers, dtype=np.float64)
        texts = list(chunk.marker_texts)
        out = []
        for p in placed:
            i = p.sample - first
            if p.late:
                out.append(p)
                continue
            while markers[i] != 0 and i + 1 < n:  # two markers on one sample: the next one
                i += 1
            if markers[i] != 0:  # every later sample of the chunk has one: record it late
                out.append(dataclasses.replace(p, late=True))
                continue
            out.append(p)
            markers[i] = p.marker.value
            if p.marker.text:
                texts.append(MarkerText(i, p.marker.text))
        board = chunk.board_data
        if board is not None and self._marker_row is not None:
            board = board.copy()
            board[self._marker_row] = markers
        chunk = dataclasses.replace(
            chunk, markers=markers, marker_texts=tuple(texts), board_data=board
        )
        return chunk, out

    def _warn(self, m: ExternalMarker, newest: float) -> None:
        if m.stream in self._warned:
            return
        self._warned.add(m.stream)
        logger.warning(
            "Markers of the LSL stream %r carry time stamps %.0f s away from the EEG: they "
            "are placed when they arrive instead. The sender should stamp them with "
            "pylsl.local_clock() (or send them without a time stamp).",
            m.stream,
            m.t - newest,
        )
