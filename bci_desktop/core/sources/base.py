"""The contract every source of samples follows."""

from __future__ import annotations

import abc
from types import TracebackType

from bci_desktop.core.stream import Chunk, StreamInfo


class Source(abc.ABC):
    """Where samples come from.

    Lifecycle: ``start()`` opens the device and starts streaming, ``read()`` returns what
    has arrived since the last call (``None`` when nothing has), ``stop()`` stops and
    releases everything. A source is also a context manager. Errors are raised as
    :class:`bci_desktop.core.errors.SourceError` with a message a user can act on.
    """

    #: True when the source paces itself to wall-clock time (live boards, real-time replay).
    realtime: bool = True

    @property
    @abc.abstractmethod
    def info(self) -> StreamInfo:
        """Channels, sample rate and board of the stream (known before ``start()``)."""

    @abc.abstractmethod
    def start(self) -> None:
        """Open the device (or file) and start streaming."""

    @abc.abstractmethod
    def read(self) -> Chunk | None:
        """Return the samples that arrived since the last call, or ``None`` if none did."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop streaming and release the device. Safe to call twice."""

    @property
    def finished(self) -> bool:
        """True when a finite source (a file, a scripted simulation) has nothing more."""
        return False

    def insert_marker(self, value: float) -> None:
        """Put a marker into the stream at the next sample (``value`` must not be 0)."""
        raise NotImplementedError(f"{type(self).__name__} does not accept markers")

    def __enter__(self) -> Source:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
