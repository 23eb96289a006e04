"""Samples for the display, from the acquisition process to the window, in shared memory.

One process writes (the acquisition child: raw and filtered samples, time stamps, markers,
as the engine returns them); one reads (the window). Nothing is pickled per chunk: the
writer copies each chunk into a ring in a :class:`multiprocessing.shared_memory.SharedMemory`
block and then publishes the new total; the reader copies out what arrived since it last
read. The ring is a transport, not the display's history: it holds a few seconds, and a
reader that falls further behind skips to the newest samples (for the display only: the
recording, written by the child, loses nothing).

Layout of the block (all little-endian): a header of two int64 (samples written in all, and
a layout check), then float64 arrays ``raw[n_ch, cap]``, ``filtered[n_ch, cap]``,
``times[cap]``, ``markers[cap]``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy as np

__all__ = ["RING_SECONDS", "RingSlice", "SampleRing"]

logger = logging.getLogger(__name__)

#: Seconds of samples the ring holds. The window reads it every few milliseconds, but a
#: replay seek writes the 20 s before the new position at once
#: (:data:`~bci_desktop.core.session.replay_control.SEEK_CONTEXT_S`), which must all fit.
RING_SECONDS = 24.0
_HEADER = 2  # int64 words


@dataclass(frozen=True)
class RingSlice:
    """Samples copied out of the ring: ``first`` is the stream index of the first one."""

    first: int
    raw: np.ndarray
    filtered: np.ndarray
    times: np.ndarray
    markers: np.ndarray

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.times.shape[0])


class SampleRing:
    """A shared-memory ring of display samples.

    Use :meth:`create` in the process that writes and :meth:`attach` (with the name) in
    the one that reads; :meth:`close` in both, and :meth:`unlink` once, in the creator.

    Parameters
    ----------
    block : SharedMemory
        The block.
    n_channels, capacity : int
        The ring's shape.
    owner : bool
        True in the process that created the block.
    """

    def __init__(
        self, block: shared_memory.SharedMemory, n_channels: int, capacity: int, owner: bool
    ) -> None:
        self._block = block
        self.n_channels = int(n_channels)
        self.capacity = int(capacity)
        self._owner = owner
        buf = block.buf
        self._header = np.ndarray((_HEADER,), dtype="<i8", buffer=buf)
        offset = _HEADER * 8
        shape = (self.n_channels, self.capacity)
        plane = self.n_channels * self.capacity * 8
        self._raw = np.ndarray(shape, dtype="<f8", buffer=buf, offset=offset)
        self._filtered = np.ndarray(shape, dtype="<f8", buffer=buf, offset=offset + plane)
        offset += 2 * plane
        self._times = np.ndarray((self.capacity,), dtype="<f8", buffer=buf, offset=offset)
        self._markers = np.ndarray(
            (self.capacity,), dtype="<f8", buffer=buf, offset=offset + 8 * self.capacity
        )
        self._read = 0

    @staticmethod
    def size_for(n_channels: int, capacity: int) -> int:
        """Bytes of a block for this shape."""
        return _HEADER * 8 + (2 * n_channels + 2) * capacity * 8

    @classmethod
    def create(cls, n_channels: int, sample_rate: float) -> SampleRing:
        """A new ring for ``n_channels`` at ``sample_rate`` (:data:`RING_SECONDS` long)."""
        capacity = max(64, int(np.ceil(RING_SECONDS * float(sample_rate))))
        block = shared_memory.SharedMemory(create=True, size=cls.size_for(n_channels, capacity))
        ring = cls(block, n_channels, capacity, owner=True)
        ring._header[:] = (0, n_channels * 1_000_000_007 + capacity)
        return ring

    @classmethod
    def attach(cls, name: str, n_channels: int, capacity: int) -> SampleRing:
        """The ring another process created under ``name``.

        Raises
        ------
        ValueError
            If the block is not a ring of that shape.
        """
        block = shared_memory.SharedMemory(name=name)
        if block.size < cls.size_for(n_channels, capacity):
            block.close()
            raise ValueError(f"Shared memory {name!r} is too small for the display ring.")
        ring = cls(block, n_channels, capacity, owner=False)
        if int(ring._header[1]) != n_channels * 1_000_000_007 + capacity:
            ring.close()
            raise ValueError(f"Shared memory {name!r} does not hold a ring of this shape.")
        return ring  # reads from the stream's first sample (the ring is new for each stream)

    @property
    def name(self) -> str:
        """The block's name (to attach from another process)."""
        return self._block.name

    @property
    def written(self) -> int:
        """Samples written in all."""
        return int(self._header[0])

    # -- writer ---------------------------------------------------------------------------
    def write(
        self, raw: np.ndarray, filtered: np.ndarray, times: np.ndarray, markers: np.ndarray
    ) -> int:
        """Append a chunk; return the stream index of its first sample."""
        n = int(times.shape[0])
        start = int(self._header[0])
        if n == 0:
            return start
        if n > self.capacity:  # keep the newest
            raw, filtered = raw[:, -self.capacity :], filtered[:, -self.capacity :]
            times, markers = times[-self.capacity :], markers[-self.capacity :]
            start += n - self.capacity
            n = self.capacity
        pos = start % self.capacity
        first = min(n, self.capacity - pos)
        for dst, src in ((self._raw, raw), (self._filtered, filtered)):
            dst[:, pos : pos + first] = src[:, :first]
            dst[:, : n - first] = src[:, first:]
        for dst, src in ((self._times, times), (self._markers, markers)):
            dst[pos : pos + first] = src[:first]
            dst[: n - first] = src[first:]
        self._header[0] = start + n  # published last: the reader never sees half a chunk
        return start

    # -- reader ---------------------------------------------------------------------------
    def read_new(self, upto: int | None = None) -> RingSlice | None:
        """Copy the samples written since the last call (up to stream index ``upto``);
        ``None`` if there are none. Samples the writer already overwrote are skipped."""
        end = self.written if upto is None else min(int(upto), self.written)
        start = max(self._read, end - self.capacity)
        if start > self._read:
            logger.debug("Display fell %d samples behind: skipped", start - self._read)
        if end <= start:
            return None
        n = end - start
        idx = (start + np.arange(n)) % self.capacity
        out = RingSlice(
            first=start,
            raw=self._raw[:, idx],
            filtered=self._filtered[:, idx],
            times=self._times[idx],
            markers=self._markers[idx],
        )
        if self.written - start > self.capacity:  # overwritten while copying: keep the tail
            lost = self.written - start - self.capacity
            out = RingSlice(
                first=start + lost,
                raw=out.raw[:, lost:],
                filtered=out.filtered[:, lost:],
                times=out.times[lost:],
                markers=out.markers[lost:],
            )
        self._read = end
        return out

    def skip_to_end(self) -> None:
        """Forget what is in the ring (a new stream starts)."""
        self._read = self.written

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """Let go of the block in this process."""
        for name in ("_header", "_raw", "_filtered", "_times", "_markers"):
            setattr(self, name, None)
        try:
            self._block.close()
        except BufferError as exc:  # a view is still alive somewhere: it goes with it
            logger.debug("Shared memory %s closed late: %s", self._block.name, exc)

    def unlink(self) -> None:
        """Remove the block (in the process that created it)."""
        try:
            self._block.unlink()
        except FileNotFoundError:
            logger.debug("Shared memory %s was already removed", self._block.name)
