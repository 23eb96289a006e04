"""Sources that crash or hang on purpose, for the acquisition-process tests.

They are reached through top-level functions (with ``functools.partial`` for their
arguments) so that the window can name them to its child process, which imports this
module and builds the source there. Each fault happens once: the first source made writes
a marker file when it faults, and the sources made after it (the restarted process) stream
on. Not a test module.
"""

from __future__ import annotations

import faulthandler
import os
import threading
import time
from pathlib import Path

from bci_desktop.core.session import OpenedSource, SimulatedSpec, Supervision
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.factory import open_simulated
from bci_desktop.core.stream import Chunk, StreamInfo

FAULTS = ("abort", "segfault", "hang", "exit")


class FaultOnce(Source):
    """The simulated subject, which faults ``after_s`` seconds into its stream unless
    ``marker`` exists (then it never faults); with no marker it faults every time."""

    def __init__(self, inner: Source, marker: Path | None, after_s: float, fault: str) -> None:
        self.inner, self.marker, self.after_s, self.fault = inner, marker, after_s, fault
        self._started = 0.0

    @property
    def info(self) -> StreamInfo:
        return self.inner.info

    def start(self) -> None:
        self.inner.start()
        self._started = time.monotonic()

    def read(self) -> Chunk | None:
        due = time.monotonic() - self._started >= self.after_s
        if due and (self.marker is None or not self.marker.exists()):
            if self.marker is not None:
                self.marker.write_text(f"{self.fault} in process {os.getpid()}\n")
            if self.fault == "abort":
                os.abort()
            elif self.fault == "segfault":
                faulthandler._sigsegv()
            elif self.fault == "hang":
                threading.Event().wait()  # a driver stuck inside a call, forever
            elif self.fault == "exit":
                os._exit(3)
        return self.inner.read()

    def stop(self) -> None:
        self.inner.stop()

    def _put_marker(self, value: float) -> None:
        self.inner.insert_marker(value)


def faulty_simulated(
    spec: SimulatedSpec, supervision: Supervision, *, marker: str, after_s: float, fault: str
) -> OpenedSource:
    """Open the simulated subject of ``spec``, faulting once after ``after_s`` seconds."""
    inner = open_simulated(speed=spec.speed, channels=8, seed=spec.seed)
    return OpenedSource(FaultOnce(inner, Path(marker), after_s, fault))


def always_faulty(spec: SimulatedSpec, supervision: Supervision, *, fault: str) -> OpenedSource:
    """A source whose every process faults about a second in (the host gives up)."""
    inner = open_simulated(speed=spec.speed, channels=8, seed=spec.seed)
    return OpenedSource(FaultOnce(inner, None, 0.8, fault))
