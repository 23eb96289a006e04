"""What a stream session tells whoever drives it: typed messages, no dicts.

A :class:`~bci_desktop.core.session.StreamSession` reports through one callback that takes
a :data:`SessionMessage`: the state changed, the stream started, the numbers of the last
second, the recording, the replay, a notice, the model, a marker, a device event, the
health of the model's predictions and a shadow trial (:mod:`.model_messages`). They are
small frozen dataclasses (picklable: they can cross a process boundary as they are). The
samples and predictions themselves are the :class:`~bci_desktop.core.engine.EngineUpdate`
objects that :meth:`StreamSession.poll` returns.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from pathlib import Path

from bci_desktop.core.dsp.quality import QualityReport
from bci_desktop.core.prediction import Prediction
from bci_desktop.core.session.model_messages import (
    PredictionAlarmChanged,
    PredictionHealthStatus,
    TrialEnded,
    TrialStatus,
)
from bci_desktop.core.sources.participant import SelfReport
from bci_desktop.core.sources.supervised import SourceEvent
from bci_desktop.core.stream import StreamInfo

__all__ = [
    "MarkerInserted",
    "MarkerReceived",
    "ModelChanged",
    "Notice",
    "NoticeLevel",
    "PredictionAlarmChanged",
    "PredictionHealthStatus",
    "RecordingStatus",
    "ReplayJumped",
    "ReplayStatus",
    "SessionMessage",
    "StateChanged",
    "StreamStarted",
    "StreamState",
    "StreamStatus",
    "SubjectAnswered",
    "TrialEnded",
    "TrialStatus",
]


class StreamState(enum.Enum):
    """Where a stream session is. ``live`` says whether what it shows is happening now."""

    IDLE = "disconnected"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    SIGNAL_LOST = "signal_lost"
    PAUSED = "paused"
    ENDED = "ended"
    ERROR = "error"

    @property
    def label(self) -> str:
        """A word for a status bar, e.g. ``"Signal lost"``."""
        return _LABELS[self]

    @property
    def live(self) -> bool:
        """True only while samples flow from the source now."""
        return self is StreamState.STREAMING

    @property
    def active(self) -> bool:
        """True while a source is open (connecting, streaming, lost, paused or ended)."""
        return self not in (StreamState.IDLE, StreamState.ERROR)


_LABELS = {
    StreamState.IDLE: "Disconnected",
    StreamState.CONNECTING: "Connecting",
    StreamState.STREAMING: "Streaming",
    StreamState.SIGNAL_LOST: "Signal lost",
    StreamState.PAUSED: "Paused",
    StreamState.ENDED: "Ended",
    StreamState.ERROR: "Error",
}


@dataclass(frozen=True)
class StateChanged:
    """The session entered ``state``; ``message`` is one line for the user."""

    state: StreamState
    message: str = ""


@dataclass(frozen=True)
class StreamStarted:
    """A stream starts (displays start over).

    Attributes
    ----------
    info : StreamInfo
        Channels, rate and board of the stream.
    model : str
        ``name@version`` of the model in use, ``""`` without one.
    model_trained_on_simulated : bool
        The model is a demonstration trained on the simulated subject
        (:func:`~bci_desktop.core.inference.provenance.trained_on_simulated`).
    """

    info: StreamInfo
    model: str = ""
    model_trained_on_simulated: bool = False


@dataclass(frozen=True)
class RecordingStatus:
    """The recording, when it starts, stops or fails and about once a second meanwhile.

    Attributes
    ----------
    recording : bool
        True while samples are being recorded.
    folder : Path or None
        The session folder (of the last recording after it stopped).
    elapsed_s : float
        Stream seconds recorded.
    size_bytes : int
        Bytes on disk.
    error : str or None
        Why the recording stopped or did not start (streaming goes on either way).
    """

    recording: bool = False
    folder: Path | None = None
    elapsed_s: float = 0.0
    size_bytes: int = 0
    error: str | None = None


@dataclass(frozen=True)
class ReplayStatus:
    """Where a replay is: about 5 times a second and after every replay command.

    Attributes
    ----------
    active : bool
        False once the replay is closed.
    path : Path
        The recording replayed.
    kind : str
        ``"session"``, ``"csv"``, ``"edf"`` or ``"bdf"``.
    position_s, duration_s : float
        Seconds from the recording's start.
    paused, ended : bool
        Held by the user; played to its end.
    speed : float or None
        Times real time, ``None`` for as fast as possible.
    """

    active: bool
    path: Path
    kind: str = ""
    position_s: float = 0.0
    duration_s: float = 0.0
    paused: bool = False
    ended: bool = False
    speed: float | None = 1.0


@dataclass(frozen=True)
class ReplayJumped:
    """A replay was sought: the stream goes on from another place of the recording.

    Whatever shows the stream drops what it holds (samples, markers, predictions) but keeps
    its time axis; the seconds before the new position follow at once, paused or not, so
    the position can be looked at (see :class:`~bci_desktop.core.session.ReplayControl`).

    Attributes
    ----------
    position_s : float
        The new position, from the recording's start.
    origin : float
        Stream time of the recording's first sample: a time axis showing ``t - origin``
        reads the recording's time, as the replay's transport does.
    """

    position_s: float
    origin: float


@dataclass(frozen=True)
class StreamStatus:
    """The numbers of a stream, about once a second (twice while the signal is lost).

    Attributes
    ----------
    state : StreamState
        As last reported.
    source_name : str
        The source, e.g. ``"Synthetic"``.
    model : str
        ``name@version`` in use, ``""`` without a model.
    sample_rate : float
        Nominal samples per second.
    rate : float
        Samples per second measured since the last status (NaN before any).
    samples : int
        Samples received since the stream started.
    stream_seconds : float
        ``samples / sample_rate``.
    gaps, dropped : int
        Breaks in the stream and the samples they are missing
        (:class:`~bci_desktop.core.session.gaps.GapCounter`); the same numbers go into the
        recording as ``gap`` events and into the command line's summary.
    since_data_s : float
        Seconds since samples last arrived (0 while a replay is held on purpose).
    source_state : str
        The link to the device in a word ("Streaming", "Signal lost", "Reconnecting").
    lost_for_s, next_attempt_in_s : float or None
        While the signal is lost: for how long, and when the next attempt is.
    predictions, withheld : int
        Predictions made, and how many of them were withheld.
    latency_p50_ms, latency_p99_ms : float
        Per-inference latency over the recent predictions (NaN before any).
    source_latency_p50_ms, source_latency_p99_ms : float
        Latency from the window's last sample's time stamp at its source (an LSL stream's
        sender, on this machine or another) to the prediction, over the recent predictions
        (NaN for sources without such a clock).
    last_prediction : Prediction or None
        The newest prediction.
    quality : QualityReport or None
        The latest signal quality.
    replay : ReplayStatus or None
        While replaying.
    recording : RecordingStatus or None
        While recording.
    """

    state: StreamState
    source_name: str
    model: str
    sample_rate: float
    rate: float
    samples: int
    stream_seconds: float
    gaps: int
    dropped: int
    since_data_s: float
    source_state: str = "Streaming"
    lost_for_s: float | None = None
    next_attempt_in_s: float | None = None
    predictions: int = 0
    withheld: int = 0
    latency_p50_ms: float = float("nan")
    latency_p99_ms: float = float("nan")
    source_latency_p50_ms: float = float("nan")
    source_latency_p99_ms: float = float("nan")
    last_prediction: Prediction | None = None
    quality: QualityReport | None = None
    replay: ReplayStatus | None = None
    recording: RecordingStatus | None = None


class NoticeLevel(enum.IntEnum):
    """How much a notice matters (also the level it is logged at)."""

    INFO = logging.INFO
    WARNING = logging.WARNING
    ERROR = logging.ERROR


@dataclass(frozen=True)
class Notice:
    """Something the user should know that does not stop the stream."""

    text: str
    level: NoticeLevel = NoticeLevel.INFO


@dataclass(frozen=True)
class ModelChanged:
    """The model in use is now ``label`` (``name@version``); ``trained_on_simulated``: it
    is a demonstration trained on the simulated subject."""

    label: str
    trained_on_simulated: bool = False


@dataclass(frozen=True)
class MarkerInserted:
    """A marker was handed to the source (it lands on the next sample)."""

    value: float


@dataclass(frozen=True)
class MarkerReceived:
    """A marker another program sent (over LSL) was put on its sample.

    Attributes
    ----------
    t : float
        Time stamp of the sample it is on (stream time, s).
    value : float
        Its number (a text marker's is negative: -1 for the first text of the session...).
    text : str
        Its text, ``""`` for a number.
    stream : str
        The LSL stream it came from.
    late : bool
        True when it arrived after its sample had been processed: it is in the recording,
        but not in the engine updates, so a display adds it itself.
    """

    t: float
    value: float
    text: str
    stream: str
    late: bool


@dataclass(frozen=True)
class SubjectAnswered:
    """The simulated person answered a self-report (a cue asked them to).

    Attributes
    ----------
    report : SelfReport
        Their valence and arousal ratings.
    detail : str
        The detail of the cue that asked (which block).
    """

    report: SelfReport
    detail: str


SessionMessage = (
    StateChanged
    | StreamStarted
    | StreamStatus
    | RecordingStatus
    | ReplayStatus
    | ReplayJumped
    | Notice
    | ModelChanged
    | MarkerInserted
    | MarkerReceived
    | SourceEvent
    | PredictionHealthStatus
    | PredictionAlarmChanged
    | TrialStatus
    | TrialEnded
    | SubjectAnswered
)
