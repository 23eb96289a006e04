"""Supervision whose connection attempts run on the thread that reads.

:class:`~bci_desktop.core.sources.supervised.SupervisedSource` connects on its own
reconnection thread, because a BrainFlow connect can block for seconds. Some libraries
want their objects made, used and released on one thread: pylsl's notes report crashes
when it is called from other threads on Linux. :class:`ReaderSupervisedSource` keeps the
same rule (stall detection, backoff 1, 2, 4 ... 30 s, ``reconnect_now``, the same events)
but hands each attempt to the reading thread: the reconnection thread only waits out the
backoff; the next :meth:`read` builds and starts the new source, and releases the old one.
An attempt therefore holds up that one read (an LSL attempt: a few milliseconds when the
stream is not there, about 0.7 s when it is, while liblsl measures the clock offset).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.supervised import SupervisedSource
from bci_desktop.core.stream import Chunk

__all__ = ["ReaderSupervisedSource"]

#: How often the waiting reconnection thread checks whether the source is being stopped.
_POLL_S = 0.05


@dataclass
class _Attempt:
    """One connection attempt, asked for by the reconnection thread."""

    number: int
    done: threading.Event = field(default_factory=threading.Event)
    result: Source | None = None


class ReaderSupervisedSource(SupervisedSource):
    """A :class:`SupervisedSource` that makes, starts and releases sources only on the
    thread that calls :meth:`start`, :meth:`read` and :meth:`stop` (same parameters)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._asked: _Attempt | None = None
        self._to_release: list[Source] = []
        self._reader: int | None = None
        self._handoff = threading.Lock()

    def start(self) -> None:
        """Connect on this thread; it becomes the reading thread."""
        self._reader = threading.get_ident()
        super().start()

    def read(self) -> Chunk | None:
        """Run an attempt the reconnection thread asked for, release old sources, read."""
        with self._handoff:
            asked, self._asked = self._asked, None
            old, self._to_release = self._to_release, []
        for src in old:
            super()._dispose(src)
        if asked is not None:
            asked.result = super()._attempt(asked.number)
            asked.done.set()
        return super().read()

    def stop(self) -> None:
        """Stop as :meth:`SupervisedSource.stop`, then release what was left to release."""
        super().stop()
        with self._handoff:
            old, self._to_release = self._to_release, []
            asked, self._asked = self._asked, None
        if asked is not None:
            asked.done.set()
        for src in old:
            super()._dispose(src)

    # -- the hooks the reconnection thread calls -------------------------------------------
    def _attempt(self, attempt: int) -> Source | None:
        """Ask the reading thread to connect; wait for its answer (or for :meth:`stop`)."""
        if threading.get_ident() == self._reader:
            return super()._attempt(attempt)
        asked = _Attempt(attempt)
        with self._handoff:
            self._asked = asked
        while not asked.done.wait(_POLL_S):
            if self._halt.is_set():
                return None
        return asked.result

    def _dispose(self, src: Source) -> None:
        """Release ``src`` now on the reading thread, else on its next read."""
        if threading.get_ident() == self._reader:
            super()._dispose(src)
            return
        with self._handoff:
            self._to_release.append(src)
