"""The contract every source of samples follows."""

from __future__ import annotations

import abc
from types import TracebackType

from bci_desktop.core.errors import SourceError
from bci_desktop.core.stream import Chunk, StreamInfo
from bci_desktop.core.validate import check_marker


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
        """Put a marker into the stream at the next sample.

        Raises
        ------
        ConfigError
            If ``value`` is 0 (which means "no marker") or not a finite number.
        SourceError
            If the source cannot take a marker now (not streaming, or no marker support).
        """
        self._put_marker(check_marker(value))

    def _put_marker(self, value: float) -> None:
        """Put a checked marker value on the next sample (sources that take markers)."""
        raise SourceError(f"{self.info.source_name} does not accept markers.")

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
