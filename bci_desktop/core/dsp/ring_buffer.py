"""A preallocated multichannel ring buffer holding the last N samples of a stream."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["RingBuffer"]


class RingBuffer:
    """The most recent ``capacity`` samples of ``n_channels`` channels.

    Memory is allocated once, at construction, and never grows. Every sample is written
    twice, at slot ``i`` and ``i + capacity`` of a ``(n_channels, 2 * capacity)`` array, so
    that any run of the latest samples is one contiguous slice: :meth:`latest` returns a
    zero-copy, read-only view whose rows are contiguous in memory.

    Parameters
    ----------
    n_channels : int
        Number of channels (rows).
    capacity : int
        Number of samples kept per channel.
    dtype : data-type, optional
        Element type of the buffer, ``float64`` by default.

    Notes
    -----
    Not thread-safe: one thread writes and reads it (the engine's worker thread).
    """

    def __init__(self, n_channels: int, capacity: int, dtype: DTypeLike = np.float64) -> None:
        if int(n_channels) < 1:
            raise ValueError(f"n_channels must be at least 1, but got {n_channels!r}.")
        if int(capacity) < 1:
            raise ValueError(f"capacity must be at least 1, but got {capacity!r}.")
        self.n_channels: int = int(n_channels)
        self.capacity: int = int(capacity)
        self.total_written: int = 0
        self._buf = np.zeros((self.n_channels, 2 * self.capacity), dtype=dtype)
        self._head = 0  # slot (in [0, capacity)) that the next sample goes to

    @property
    def dtype(self) -> np.dtype:
        """Element type of the stored samples."""
        return self._buf.dtype

    @property
    def size(self) -> int:
        """Number of samples currently held: ``min(total_written, capacity)``."""
        return min(self.total_written, self.capacity)

    def __len__(self) -> int:
        return self.size

    def extend(self, block: np.ndarray) -> None:
        """Append a block of samples.

        Parameters
        ----------
        block : ndarray, shape (n_channels, n)
            New samples, oldest first. ``n`` may be 0 or exceed ``capacity`` (then only the
            last ``capacity`` samples are kept).

        Raises
        ------
        ValueError
            If ``block`` is not 2-D with ``n_channels`` rows.
        """
        block = np.asarray(block)
        if block.ndim != 2 or block.shape[0] != self.n_channels:
            raise ValueError(
                f"RingBuffer.extend expects a block of shape ({self.n_channels}, n), "
                f"but got shape {block.shape}."
            )
        n = block.shape[1]
        if n == 0:
            return
        cap = self.capacity
        self.total_written += n
        if n >= cap:
            block = block[:, n - cap :]
            n = cap
        start = self._head
        buf = self._buf
        # One slice covers the first copy and (where it runs past `cap`) part of the mirror.
        buf[:, start : start + n] = block
        first = min(n, cap - start)  # samples that landed in [start, cap)
        buf[:, start + cap : start + cap + first] = block[:, :first]
        if first < n:  # the rest landed in [cap, start + n): mirror them at the front
            buf[:, : n - first] = block[:, first:]
        self._head = (start + n) % cap

    def latest(self, n: int) -> np.ndarray:
        """Return the last ``n`` samples, oldest to newest, without copying.

        Parameters
        ----------
        n : int
            Number of samples, ``0 <= n <= size``.

        Returns
        -------
        ndarray, shape (n_channels, n)
            A read-only view into the buffer; each row is contiguous. Later calls to
            :meth:`extend` overwrite what it shows: copy it to keep it.

        Raises
        ------
        ValueError
            If ``n`` is negative or larger than :attr:`size`.
        """
        n = int(n)
        if not 0 <= n <= self.size:
            raise ValueError(
                f"RingBuffer.latest: n must be between 0 and the {self.size} samples held, "
                f"but got {n}."
            )
        end = self._head + self.capacity
        view = self._buf[:, end - n : end]
        view.flags.writeable = False
        return view

    def clear(self) -> None:
        """Forget every sample (the memory is kept)."""
        self.total_written = 0
        self._head = 0

    def __repr__(self) -> str:
        return (
            f"RingBuffer(n_channels={self.n_channels}, capacity={self.capacity}, "
            f"size={self.size}, dtype={self.dtype})"
        )
