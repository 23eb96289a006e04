"""What crosses between the window and its acquisition process: small typed messages.

Window -> child: one :data:`Command` at a time (a marker, a filter change, a recording...),
each a frozen dataclass the child turns into a call on its
:class:`~bci_desktop.core.session.StreamSession`.

Child -> window: the session's own messages (:data:`~bci_desktop.core.session.SessionMessage`)
as they are, plus :class:`RingReady` (where the display samples are), :class:`DisplayBatch`
(which samples of the ring belong together, with the quality and predictions they brought),
:class:`Heartbeat` (the child's loop is alive) and :class:`ChildExit`.

Samples never travel in these messages; they go through the shared-memory
:class:`~bci_desktop.core.acquisition.ring.SampleRing`.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.dsp.quality import QualityReport
from bci_desktop.core.inference.trial import TrialRequest
from bci_desktop.core.prediction import Prediction
from bci_desktop.core.session.options import SessionOptions
from bci_desktop.core.session.recording import RecordRequest
from bci_desktop.core.session.spec import SourceOpener, SourceSpec
from bci_desktop.core.sources.participant import Cue

__all__ = [
    "AddEvent",
    "Channel",
    "ChildConfig",
    "ChildExit",
    "Command",
    "DisplayBatch",
    "Heartbeat",
    "InsertMarker",
    "PresentCue",
    "ReconnectNow",
    "ReplayPause",
    "ReplayResume",
    "ReplaySeek",
    "ReplaySpeed",
    "ResumeRecording",
    "RingReady",
    "SetFilters",
    "SetLatencyFallback",
    "SetLsl",
    "SetModel",
    "StartRecording",
    "StartTrial",
    "Stop",
    "StopRecording",
    "StopTrial",
]


# -- window -> child -------------------------------------------------------------------------
@dataclass(frozen=True)
class InsertMarker:
    """Put a marker on the next sample."""

    value: float


@dataclass(frozen=True)
class SetFilters:
    """Use these filters from now on."""

    settings: FilterSettings


@dataclass(frozen=True)
class SetModel:
    """Switch to the model ``ref`` names."""

    ref: str


@dataclass(frozen=True)
class SetLatencyFallback:
    """Turn the latency fallback on or off."""

    enabled: bool


@dataclass(frozen=True)
class SetLsl:
    """Publish the stream on LSL (``outlets``) and follow LSL marker streams (``markers``)."""

    outlets: bool
    markers: bool


@dataclass(frozen=True)
class StartRecording:
    """Record into a new session folder."""

    request: RecordRequest


@dataclass(frozen=True)
class StopRecording:
    """Stop the recording (the stream goes on)."""


@dataclass(frozen=True)
class AddEvent:
    """Note an event in the recording."""

    kind: str
    detail: str = ""


@dataclass(frozen=True)
class StartTrial:
    """Run a candidate model in shadow beside the model in use."""

    request: TrialRequest


@dataclass(frozen=True)
class StopTrial:
    """End the running shadow trial now (its figures are kept)."""


@dataclass(frozen=True)
class PresentCue:
    """What the person is shown changed (a calibration's block, rating, rest)."""

    cue: Cue


@dataclass(frozen=True)
class ReconnectNow:
    """Try to reconnect a lost device at once."""


@dataclass(frozen=True)
class ReplayPause:
    """Hold the replay."""


@dataclass(frozen=True)
class ReplayResume:
    """Play the replay on."""


@dataclass(frozen=True)
class ReplaySeek:
    """Continue the replay from ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class ReplaySpeed:
    """Play the replay ``speed`` times real time."""

    speed: float


@dataclass(frozen=True)
class Stop:
    """Finish the recording, release the source and exit."""


Command = (
    InsertMarker
    | SetFilters
    | SetModel
    | SetLatencyFallback
    | SetLsl
    | StartRecording
    | StopRecording
    | AddEvent
    | StartTrial
    | StopTrial
    | PresentCue
    | ReconnectNow
    | ReplayPause
    | ReplayResume
    | ReplaySeek
    | ReplaySpeed
    | Stop
)


# -- how the child starts --------------------------------------------------------------------
@dataclass(frozen=True)
class ResumeRecording:
    """After a crash: continue the recording in ``folder`` (with a gap), and the counts
    the window showed, so that they go on from where they were.

    Attributes
    ----------
    folder : Path
        The session folder the dead child was recording into.
    gaps, dropped : int
        The stream's gap count before the crash.
    replay_position_s : float or None
        Where a replay was (it continues from there).
    """

    folder: Path | None
    gaps: int = 0
    dropped: int = 0
    replay_position_s: float | None = None


@dataclass(frozen=True)
class ChildConfig:
    """Everything the acquisition process needs to start (picklable).

    Attributes
    ----------
    spec : SourceSpec
        What to stream.
    options : SessionOptions
        How to process it.
    open_source : SourceOpener or None
        A top-level function (tests inject sources by name across the process boundary).
    registry_root : Path or None
        The user's model folder (``None``: the default).
    resume : ResumeRecording or None
        Set when the window restarts a child that died.
    log_level : int
        Lowest level of the log records sent to the window.
    crash_log : Path or None
        Where the child's native traceback goes if it crashes (faulthandler).
    hang_exit_s : float
        A child whose loop is stuck this long in one call exits by itself (faulthandler's
        watchdog), so a hung driver never outlives the window.
    """

    spec: SourceSpec
    options: SessionOptions
    open_source: SourceOpener | None = None
    registry_root: Path | None = None
    resume: ResumeRecording | None = None
    log_level: int = 20
    crash_log: Path | None = None
    hang_exit_s: float = 30.0


# -- child -> window -------------------------------------------------------------------------
@dataclass(frozen=True)
class RingReady:
    """The display samples of this stream are in the shared-memory ring ``name``."""

    name: str
    n_channels: int
    capacity: int


@dataclass(frozen=True)
class DisplayBatch:
    """Ring samples ``[first, first + n)`` and what they brought.

    Attributes
    ----------
    first, n : int
        Stream indexes of the samples in the ring.
    quality : QualityReport or None
        The newest quality report among them.
    predictions : tuple of Prediction
        The predictions made on them, in order.
    """

    first: int
    n: int
    quality: QualityReport | None
    predictions: tuple[Prediction, ...] = ()


@dataclass(frozen=True)
class Heartbeat:
    """The child's loop is alive (sent every half second)."""

    t: float


@dataclass(frozen=True)
class ChildExit:
    """The child is about to exit on its own (stopped, or it could not start)."""

    error: str | None = None


class Channel:
    """One end of the pipe between the window and its acquisition process.

    Objects are pickled and written by the thread that sends them (no feeder thread, so
    nothing competes with the child's engine for the interpreter between two hops), under a
    lock, so that several threads may send (the child's log records come from any thread).

    Parameters
    ----------
    connection : multiprocessing.connection.Connection
        This end of a duplex ``Pipe``.
    """

    def __init__(self, connection: Any) -> None:
        self._conn = connection
        self._lock = threading.Lock()

    def put(self, item: Any) -> None:
        """Send ``item`` (blocks only while the pipe is full)."""
        with self._lock:
            self._conn.send(item)

    put_nowait = put  # what logging.handlers.QueueHandler calls

    def get_nowait(self) -> Any:
        """The next item received.

        Raises
        ------
        queue.Empty
            If none is waiting.
        EOFError, OSError
            If the other end is gone.
        """
        if not self._conn.poll(0):
            raise queue.Empty
        return self._conn.recv()

    def close(self) -> None:
        """Close this end."""
        self._conn.close()
