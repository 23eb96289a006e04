"""The window's stream session in a process of its own (see docs/architecture.md).

:class:`ProcessHost` runs a :class:`~bci_desktop.core.session.StreamSession` in a child
process (display samples through shared memory, small typed messages through a queue) and
restarts it when a driver crashes or hangs; :class:`ThreadHost` runs it in the caller's
thread. The command line needs neither: it drives the session itself.
"""

from bci_desktop.core.acquisition.connect import ConnectRequest
from bci_desktop.core.acquisition.host import HostItem, ProcessLost, SessionHost, ThreadHost
from bci_desktop.core.acquisition.process_host import ProcessHost
from bci_desktop.core.acquisition.protocol import (
    AddEvent,
    ChildConfig,
    Command,
    InsertMarker,
    PresentCue,
    ReconnectNow,
    ReplayPause,
    ReplayResume,
    ReplaySeek,
    ReplaySpeed,
    ResumeRecording,
    SetFilters,
    SetLatencyFallback,
    SetLsl,
    SetModel,
    StartRecording,
    StartTrial,
    StopRecording,
    StopTrial,
)

__all__ = [
    "AddEvent",
    "ChildConfig",
    "Command",
    "ConnectRequest",
    "HostItem",
    "InsertMarker",
    "PresentCue",
    "ProcessHost",
    "ProcessLost",
    "ReconnectNow",
    "ReplayPause",
    "ReplayResume",
    "ReplaySeek",
    "ReplaySpeed",
    "ResumeRecording",
    "SessionHost",
    "SetFilters",
    "SetLatencyFallback",
    "SetLsl",
    "SetModel",
    "StartRecording",
    "StartTrial",
    "StopRecording",
    "StopTrial",
    "ThreadHost",
]
