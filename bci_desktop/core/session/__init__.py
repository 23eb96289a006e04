"""One stream from start to end, for the command line and the window alike.

See :class:`~bci_desktop.core.session.stream_session.StreamSession` and docs/architecture.md.
"""

from bci_desktop.core.session.gaps import Gap, GapCounter
from bci_desktop.core.session.models import (
    ModelRequest,
    ResolvedModel,
    load_fallback,
    load_model,
    resolve_model,
)
from bci_desktop.core.session.options import KEEP, FilterOverrides, SessionOptions
from bci_desktop.core.session.recording import RecordingLink, RecordRequest
from bci_desktop.core.session.replay_control import ReplayControl
from bci_desktop.core.session.spec import (
    BoardSpec,
    LslSpec,
    OpenedSource,
    ReplaySpec,
    SimulatedSpec,
    SourceSpec,
    Supervision,
    describe_spec,
    open_source,
    spec_for_board,
)
from bci_desktop.core.session.status import (
    MarkerInserted,
    MarkerReceived,
    ModelChanged,
    Notice,
    NoticeLevel,
    PredictionAlarmChanged,
    PredictionHealthStatus,
    RecordingStatus,
    ReplayJumped,
    ReplayStatus,
    SessionMessage,
    StateChanged,
    StreamStarted,
    StreamState,
    StreamStatus,
    SubjectAnswered,
    TrialEnded,
    TrialStatus,
)
from bci_desktop.core.session.stream_session import (
    POLL_BUDGET_S,
    SourceOpener,
    StreamSession,
    check_record_folder,
    one_line,
)

__all__ = [
    "KEEP",
    "POLL_BUDGET_S",
    "BoardSpec",
    "FilterOverrides",
    "Gap",
    "GapCounter",
    "LslSpec",
    "MarkerInserted",
    "MarkerReceived",
    "ModelChanged",
    "ModelRequest",
    "Notice",
    "NoticeLevel",
    "OpenedSource",
    "PredictionAlarmChanged",
    "PredictionHealthStatus",
    "RecordRequest",
    "RecordingLink",
    "RecordingStatus",
    "ReplayControl",
    "ReplayJumped",
    "ReplaySpec",
    "ReplayStatus",
    "ResolvedModel",
    "SessionMessage",
    "SessionOptions",
    "SimulatedSpec",
    "SourceOpener",
    "SourceSpec",
    "StateChanged",
    "StreamSession",
    "StreamStarted",
    "StreamState",
    "StreamStatus",
    "SubjectAnswered",
    "Supervision",
    "TrialEnded",
    "TrialStatus",
    "check_record_folder",
    "describe_spec",
    "load_fallback",
    "load_model",
    "one_line",
    "open_source",
    "resolve_model",
    "spec_for_board",
]
