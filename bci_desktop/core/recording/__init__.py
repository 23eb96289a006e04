"""Session recording, readers and exporters."""

from bci_desktop.core.recording.catalog import (
    SessionSummary,
    data_dir,
    delete_session,
    list_sessions,
)
from bci_desktop.core.recording.errors import RecordingError
from bci_desktop.core.recording.layout import model_info
from bci_desktop.core.recording.recorder import SessionRecorder
from bci_desktop.core.recording.recovery import find_interrupted, recover
from bci_desktop.core.recording.session import (
    SessionData,
    SessionError,
    SessionMeta,
    read_meta,
    read_session,
)
from bci_desktop.core.recording.tap import RecordingTap

__all__ = [
    "RecordingError",
    "RecordingTap",
    "SessionData",
    "SessionError",
    "SessionMeta",
    "SessionRecorder",
    "SessionSummary",
    "data_dir",
    "delete_session",
    "find_interrupted",
    "list_sessions",
    "model_info",
    "read_meta",
    "read_session",
    "recover",
]
