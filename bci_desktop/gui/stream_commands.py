"""The commands the window sends to a running stream, as slots of the worker.

:class:`StreamCommands` is mixed into :class:`~bci_desktop.gui.worker.StreamWorker`: each
slot hands one typed command (:mod:`bci_desktop.core.acquisition.protocol`) to the session's
host. Without a stream, the worker says why in a notice and nothing else happens; settings
that also apply to the next connection (filters, model, LSL) stay in the worker itself.
"""

from __future__ import annotations

from PyQt6.QtCore import pyqtSlot

from bci_desktop.core import acquisition as acq
from bci_desktop.core.inference.trial import TrialRequest
from bci_desktop.core.session import NoticeLevel, RecordingStatus, RecordRequest
from bci_desktop.core.sources.participant import Cue

__all__ = ["StreamCommands"]


class StreamCommands:
    """Slots that act on the stream now (markers, reconnection, recording, replay, trials).

    Needs, from the class it is mixed into: ``_active`` (a stream runs), ``_host``,
    ``_send(command)`` (refuses with a notice when nothing streams), ``_say(text, level)``
    and the ``recording_changed`` signal.
    """

    @pyqtSlot(float)
    def insert_marker(self, value: float) -> None:
        """Insert a marker into the stream (lands on the next sample, and is recorded)."""
        self._send(acq.InsertMarker(float(value)))

    @pyqtSlot()
    def reconnect_now(self) -> None:
        """Try to reconnect a lost live board at once instead of waiting for the backoff."""
        self._send(acq.ReconnectNow())

    @pyqtSlot(object)
    def start_trial(self, request: TrialRequest) -> None:
        """Run ``request``'s candidate in shadow beside the model in use (streaming only)."""
        self._send(acq.StartTrial(request))

    @pyqtSlot()
    def stop_trial(self) -> None:
        """End the running shadow trial now (its figures are kept)."""
        self._send(acq.StopTrial())

    @pyqtSlot(object)
    def start_recording(self, request: RecordRequest) -> None:
        """Record the stream into a new session folder (refused when not streaming)."""
        if not self._active:
            message = "Recording needs a stream: connect a board or open a recording first."
            self._say(message, NoticeLevel.WARNING)
            self.recording_changed.emit(RecordingStatus(error=message))
            return
        self._host.send(acq.StartRecording(request))

    @pyqtSlot()
    def stop_recording(self) -> None:
        """Stop the recording cleanly (the stream goes on)."""
        self._send(acq.StopRecording())

    @pyqtSlot(object)
    def present_cue(self, cue: Cue) -> None:
        """A calibration step: its marker and event, followed by a simulated subject."""
        self._send(acq.PresentCue(cue))

    @pyqtSlot(str, str)
    def add_event(self, kind: str, detail: str) -> None:
        """Note an event (e.g. ``"calibration_start"``) in the recording, if one runs."""
        if self._active:
            self._host.send(acq.AddEvent(kind, detail))

    @pyqtSlot()
    def pause_replay(self) -> None:
        """Hold the replay where it is."""
        self._send(acq.ReplayPause())

    @pyqtSlot()
    def resume_replay(self) -> None:
        """Play on from where the replay was held (or from the start once it ended)."""
        self._send(acq.ReplayResume())

    @pyqtSlot(float)
    def seek_replay(self, seconds: float) -> None:
        """Continue the replay from ``seconds`` after the recording's start."""
        self._send(acq.ReplaySeek(float(seconds)))

    @pyqtSlot(float)
    def set_replay_speed(self, speed: float) -> None:
        """Play the replay ``speed`` times faster than real time from where it is."""
        self._send(acq.ReplaySpeed(float(speed)))
