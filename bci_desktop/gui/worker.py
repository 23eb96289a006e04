"""The window's worker: a Qt adapter around the host of one stream session.

:class:`StreamWorker` is a ``QObject`` moved to a ``QThread`` by the main window. Its slots
are invoked through queued signals from the GUI thread; each hands a command to the
session's host (:mod:`bci_desktop.core.acquisition`); its timer polls the host and turns
what comes back into signals carrying typed dataclasses. By default the host is a child
process (:class:`~bci_desktop.core.acquisition.ProcessHost`): a driver that crashes or
hangs takes down only that process, which the host restarts; the window stays up.

Slots acting on a running stream are in :mod:`~bci_desktop.gui.stream_commands`.
Error policy, the same for every command: a refusal becomes a notice in the user's words
(:func:`~bci_desktop.core.acquisition.commands.run_command`) and the stream goes on. Only a
failure to connect or to keep streaming ends the stream (state ``ERROR``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PyQt6.QtCore import QCoreApplication, QObject, Qt, QTimer, pyqtSignal, pyqtSlot

from bci_desktop.core import acquisition as acq
from bci_desktop.core.acquisition.commands import refusal
from bci_desktop.core.acquisition.connect import ConnectRequest
from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.engine import EngineUpdate
from bci_desktop.core.errors import BCIError
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.logs import log_dir
from bci_desktop.core.session import (
    MarkerInserted,
    MarkerReceived,
    ModelChanged,
    ModelRequest,
    Notice,
    NoticeLevel,
    PredictionAlarmChanged,
    PredictionHealthStatus,
    RecordingStatus,
    ReplayJumped,
    ReplayStatus,
    SourceOpener,
    StateChanged,
    StreamStarted,
    StreamState,
    StreamStatus,
    SubjectAnswered,
    TrialEnded,
    TrialStatus,
    load_model,
    one_line,
)
from bci_desktop.core.sources.supervised import SourceEvent
from bci_desktop.gui.stream_commands import StreamCommands

__all__ = ["BATCH_S", "DEFAULT_STALL_TIMEOUT_S", "TICK_MS", "StreamWorker"]

logger = logging.getLogger(__name__)

#: Seconds without samples from a live board that count as a lost signal.
DEFAULT_STALL_TIMEOUT_S = 2.0
#: Interval of the worker's polling timer (ms).
TICK_MS = 5
#: Engine updates are sent to the GUI thread at most this often (s).
BATCH_S = 0.025
#: Where a crashing acquisition process writes its last words (in the log folder).
CRASH_LOG = "acquisition-crash.log"


class StreamWorker(StreamCommands, QObject):
    """Streams one session at a time through its host, and records it on request.

    Parameters
    ----------
    parent : QObject or None
        Qt parent.
    open_source : SourceOpener or None
        Builds a source from its spec (tests and benchmarks inject their own; with the
        child process it must be a top-level function, so it can be named across).
    registry : ModelRegistry or None
        Where models are found (``None``: the user's registry).
    isolate : bool
        Run the session in a child process (:class:`ProcessHost`, the default) or in this
        worker's thread (:class:`ThreadHost`).

    Signals carry the session's typed messages (see each declaration below).

    Attributes
    ----------
    stall_timeout_s : float
        For requests that do not say (set it before connecting).
    """

    #: list of EngineUpdate with samples, batched at most every BATCH_S
    updates = pyqtSignal(object)
    #: StreamState and a one-line message
    state_changed = pyqtSignal(object, str)
    #: StreamInfo and model label: a stream starts (or afresh: replay seek, restart)
    stream_info = pyqtSignal(object, str)
    #: StreamStatus, about once a second (twice while the signal is lost)
    status = pyqtSignal(object)
    #: Notice: something the user should know that does not stop the stream
    notice = pyqtSignal(object)
    #: a marker value handed to the source
    marker_inserted = pyqtSignal(float)
    #: RecordingStatus: start, stop, error, and about once a second while recording
    recording_changed = pyqtSignal(object)
    #: the label of the model now in use
    model_changed = pyqtSignal(str)
    #: True for a demonstration model (trained on simulated EEG); before ``stream_info``
    model_is_demo = pyqtSignal(bool)
    #: ReplayStatus, about 5 times a second while replaying and after every command
    replay_changed = pyqtSignal(object)
    #: ReplayJumped: a replay was sought (the updates before it were sent first)
    replay_jumped = pyqtSignal(object)
    #: SourceEvent: a live board lost or regained its device
    source_event = pyqtSignal(object)
    #: acq.ProcessLost: the acquisition process died or hung (restarting or not)
    process_lost = pyqtSignal(object)
    #: MarkerReceived: a marker another program sent over LSL, on its sample
    marker_received = pyqtSignal(object)
    #: PredictionHealthStatus (about once a second) or PredictionAlarmChanged
    prediction_health = pyqtSignal(object)
    #: TrialStatus (a shadow trial runs) or TrialEnded
    trial_changed = pyqtSignal(object)
    #: SubjectAnswered: the simulated subject answered a calibration's self-report
    subject_answered = pyqtSignal(object)

    def __init__(
        self, parent: QObject | None = None, *, open_source: SourceOpener | None = None,
        registry: ModelRegistry | None = None, isolate: bool = True,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._open_source = open_source
        self._registry = registry
        self._host: acq.SessionHost = acq.ProcessHost() if isolate else acq.ThreadHost()
        self._active = False
        self._replaying = False
        self._pending: list[EngineUpdate] = []
        self._last_emit = 0.0
        self._filters: FilterSettings | None = None
        self._model_request: ModelRequest | None = None
        self._latency_fallback = False
        self._lsl_outlets = self._lsl_markers = False
        self._state = StreamState.IDLE
        self.stall_timeout_s = DEFAULT_STALL_TIMEOUT_S

    # -- state ---------------------------------------------------------------------------
    @property
    def state(self) -> StreamState:
        """The current state (read it from the worker thread or after the thread ended)."""
        return self._state

    @property
    def recording(self) -> bool:
        """True while a recording runs (a plain flag: any thread may read it)."""
        return self._host.recording

    @property
    def host(self) -> acq.SessionHost:
        """Where the session runs."""
        return self._host

    def _forward(self, item: object) -> None:
        """Turn one thing the host said into the matching signal."""
        match item:
            case EngineUpdate():
                if item.n_samples or item.predictions or item.quality is not None:
                    self._pending.append(item)
                return
            case StateChanged(state=state):
                self._state = state
                ended = state is StreamState.ENDED and not self._replaying
                if state in (StreamState.IDLE, StreamState.ERROR) or ended:
                    self._active = False
                if not state.live:
                    self._flush(time.perf_counter())
                self.state_changed.emit(state, item.message)
            case StreamStarted():
                self._flush(time.perf_counter())
                self.model_is_demo.emit(item.model_trained_on_simulated)
                self.stream_info.emit(item.info, item.model)
            case ReplayStatus():
                self._replaying = item.active
                self.replay_changed.emit(item)
            case ReplayJumped():
                self._flush(time.perf_counter())
                self.replay_jumped.emit(item)
            case ModelChanged():
                self.model_is_demo.emit(item.trained_on_simulated)
                self.model_changed.emit(item.label)
            case MarkerInserted():
                self.marker_inserted.emit(item.value)
            case acq.ProcessLost():
                level = NoticeLevel.WARNING if item.restarting else NoticeLevel.ERROR
                self.notice.emit(
                    Notice(f"The acquisition process {item.reason}. {item.advice}", level)
                )
                self.process_lost.emit(item)
            case _:
                signal = {
                    StreamStatus: self.status,
                    Notice: self.notice,
                    RecordingStatus: self.recording_changed,
                    SourceEvent: self.source_event,
                    MarkerReceived: self.marker_received,
                    PredictionHealthStatus: self.prediction_health,
                    PredictionAlarmChanged: self.prediction_health,
                    TrialStatus: self.trial_changed,
                    TrialEnded: self.trial_changed,
                    SubjectAnswered: self.subject_answered,
                }.get(type(item))
                if signal is not None:
                    signal.emit(item)

    # -- connecting ----------------------------------------------------------------------
    @pyqtSlot(object)
    def connect_source(self, request: ConnectRequest) -> None:
        """Stream ``request``'s source (stops any current stream first)."""
        self._timer.stop()
        self._host.stop()
        self._drain()
        if request.filters is not None:
            self._filters = request.filters
        config = request.config(
            model=self._model_request,
            filters=self._filters,
            latency_fallback=self._latency_fallback,
            stall_timeout_s=self.stall_timeout_s,
            lsl_outlets=self._lsl_outlets,
            lsl_markers=self._lsl_markers,
            open_source=self._open_source,
            registry_root=Path(self._registry.root) if self._registry is not None else None,
            log_level=logging.getLogger("bci_desktop").getEffectiveLevel(),
            crash_log=log_dir() / CRASH_LOG,
        )
        self._pending = []
        self._replaying = False
        self._last_emit = time.perf_counter()
        self._host.start(config)
        self._active = True
        self._timer.start()

    @pyqtSlot()
    def disconnect_source(self) -> None:
        """Stop streaming (and recording) and release the source."""
        self._timer.stop()
        had = self._active
        self._host.stop()
        self._active = False
        self._drain()
        if not had or self._state is not StreamState.IDLE:
            self._state = StreamState.IDLE
            self.state_changed.emit(StreamState.IDLE, "Disconnected" if had else "Not connected")

    def _drain(self) -> None:
        for item in self._host.poll():
            self._forward(item)
        self._flush(time.perf_counter())

    @pyqtSlot()
    def shutdown(self) -> None:
        """Stop everything before the thread quits (the window is closing)."""
        self._timer.stop()
        self._host.stop()
        self._active = False
        self._state = StreamState.IDLE
        # Hand the worker (and its timer) back to the GUI thread, which outlives this one
        # and deletes it: no object is left behind in a finished thread.
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())

    # -- streaming -----------------------------------------------------------------------
    @pyqtSlot()
    def _tick(self) -> None:
        for item in self._host.poll():
            self._forward(item)
        now = time.perf_counter()
        if self._pending and now - self._last_emit >= BATCH_S:
            self._flush(now)

    def _flush(self, now: float) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.updates.emit(batch)
        self._last_emit = now

    def _send(self, command: acq.Command) -> None:
        if not self._active:
            self._say(f"{refusal(command)}: connect a source first.", NoticeLevel.WARNING)
            return
        self._host.send(command)

    def _say(self, text: str, level: NoticeLevel = NoticeLevel.INFO) -> None:
        logger.log(int(level), "%s", text)
        self.notice.emit(Notice(text, level))

    # -- settings kept for the next connection ---------------------------------------------
    @pyqtSlot(object)
    def set_filters(self, settings: FilterSettings) -> None:
        """Use these filters now (when streaming) and for the next connection."""
        if self._active:
            self._host.send(acq.SetFilters(settings))
        self._filters = settings

    @pyqtSlot(str)
    def activate_model(self, ref: str) -> None:
        """Use the model ``ref`` names (a registry ``NAME[@VERSION]`` or an ``.onnx`` file):
        at once while streaming, else from the next connection."""
        if self._active:
            self._host.send(acq.SetModel(ref))
            self._model_request = ModelRequest(ref)
            return
        try:
            label = load_model(ref, None, self._registry).metadata.label
        except BCIError as exc:
            self._say(f"Model not changed: {one_line(exc)}", NoticeLevel.WARNING)
            return
        self._model_request = ModelRequest(ref)
        self._say(f"Model {label} will be used when streaming starts.")
        self.model_changed.emit(label)

    @pyqtSlot(bool)
    def set_latency_fallback(self, enabled: bool) -> None:
        """Fall back to the fastest other validated model for the same classes while the
        model in use is over its latency budget (at once while streaming, else at the next
        connection)."""
        self._latency_fallback = bool(enabled)
        if self._active:
            self._host.send(acq.SetLatencyFallback(bool(enabled)))

    @pyqtSlot(bool, bool)
    def set_lsl(self, outlets: bool, markers: bool) -> None:
        """Publish the stream on LSL, and follow LSL marker streams, or not (at once while
        streaming, else from the next connection)."""
        self._lsl_outlets, self._lsl_markers = bool(outlets), bool(markers)
        if self._active:
            self._host.send(acq.SetLsl(self._lsl_outlets, self._lsl_markers))
