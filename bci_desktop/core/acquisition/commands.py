"""What a command from the window does to a stream session, wherever the session runs."""

from __future__ import annotations

import logging

from bci_desktop.core.acquisition.protocol import (
    AddEvent,
    Command,
    InsertMarker,
    PresentCue,
    ReconnectNow,
    ReplayPause,
    ReplayResume,
    ReplaySeek,
    ReplaySpeed,
    SetFilters,
    SetLatencyFallback,
    SetLsl,
    SetModel,
    StartRecording,
    StartTrial,
    StopRecording,
    StopTrial,
)
from bci_desktop.core.errors import BCIError, SourceError
from bci_desktop.core.session import Notice, NoticeLevel, StreamSession, one_line

__all__ = ["apply_command", "refusal", "run_command"]

logger = logging.getLogger(__name__)

#: How each command is named in a refusal ("Marker 3 not inserted: ...").
_WHAT = {
    InsertMarker: "Marker {value:g} not inserted",
    SetFilters: "Filters not changed",
    SetModel: "Model not changed",
    SetLatencyFallback: "Latency fallback not changed",
    SetLsl: "Lab Streaming Layer",
    StartRecording: "Recording not started",
    StopRecording: "Recording",
    AddEvent: "Event not recorded",
    StartTrial: "Shadow trial not started",
    StopTrial: "Shadow trial not stopped",
    PresentCue: "Calibration step not recorded",
    ReconnectNow: "Reconnect now",
    ReplayPause: "Replay",
    ReplayResume: "Replay",
    ReplaySeek: "Replay",
    ReplaySpeed: "Replay",
}


def apply_command(session: StreamSession, command: Command) -> None:
    """Do ``command`` on ``session``.

    Raises
    ------
    BCIError
        If it cannot be done now (the message says why).
    """
    match command:
        case InsertMarker(value=value):
            session.insert_marker(value)
        case SetFilters(settings=settings):
            session.set_filters(settings)
        case SetModel(ref=ref):
            session.set_model(ref)
        case SetLatencyFallback(enabled=enabled):
            session.set_latency_fallback(enabled)
        case SetLsl(outlets=outlets, markers=markers):
            session.lsl.configure(outlets=outlets, markers=markers)
        case StartRecording(request=request):
            session.start_recording(request)
        case StopRecording():
            session.stop_recording()
        case AddEvent(kind=kind, detail=detail):
            session.add_event(kind, detail)
        case StartTrial(request=request):
            _watch(session).start_trial(request)
        case StopTrial():
            _watch(session).stop_trial()
        case PresentCue(cue=cue):
            session.cue(cue)
        case ReconnectNow():
            session.reconnect_now()
        case ReplayPause() | ReplayResume() | ReplaySeek() | ReplaySpeed():
            control = session.replay
            if control is None:
                raise SourceError("no recording is being replayed.")
            match command:
                case ReplayPause():
                    control.pause()
                case ReplayResume():
                    control.resume()
                case ReplaySeek(seconds=seconds):
                    control.seek(seconds)
                case ReplaySpeed(speed=speed):
                    control.set_speed(speed)


def _watch(session: StreamSession):
    watch = session.watch
    if watch is None:
        raise SourceError("nothing is streaming.")
    return watch


def refusal(command: Command) -> str:
    """How a refusal of ``command`` begins, e.g. "Marker 3 not inserted"."""
    return _WHAT.get(type(command), type(command).__name__).format(**vars(command))


def run_command(session: StreamSession | None, command: Command) -> Notice | None:
    """Do ``command``; the notice to show if it could not be done (the one error policy
    of every command: a refusal in the user's words, an unexpected failure logged with its
    traceback; the stream goes on either way)."""
    what = refusal(command)
    try:
        if session is None:
            raise SourceError("connect a source first.")
        apply_command(session, command)
    except BCIError as exc:
        logger.warning("%s: %s", what, exc)
        return Notice(f"{what}: {one_line(exc)}", NoticeLevel.WARNING)
    except Exception as exc:
        logger.exception("%s failed", what)
        return Notice(f"{what}: {one_line(exc)}", NoticeLevel.ERROR)
    return None
