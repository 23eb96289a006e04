"""The worker thread: a Qt adapter around one :class:`~bci_desktop.core.session.StreamSession`.

:class:`StreamWorker` is a ``QObject`` moved to a ``QThread`` by the main window. Its slots
are invoked through queued signals from the GUI thread and call the session; its timer
calls :meth:`StreamSession.poll`; its signals carry the session's typed messages. So
connecting to a device (which can block for seconds in BrainFlow's ``prepare_session``),
reading, recording, processing, switching models, steering a replay and disconnecting all
happen in this thread; the GUI thread only draws.

Error policy, the same for every slot (:func:`_guarded`): a refusal the user can act on
(:class:`~bci_desktop.core.errors.BCIError`) becomes a notice in their words and the
stream goes on; an unexpected exception is logged with its traceback and shown as a notice
too, and the stream goes on. Only a failure to connect or to keep reading tears the
stream down (state ``ERROR``).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PyQt6.QtCore import QCoreApplication, QObject, Qt, QTimer, pyqtSignal, pyqtSlot

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.engine import EngineUpdate
from bci_desktop.core.errors import BCIError, SourceError
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.session import (
    MarkerInserted,
    ModelChanged,
    ModelRequest,
    Notice,
    NoticeLevel,
    RecordingStatus,
    RecordRequest,
    ReplayJumped,
    ReplayStatus,
    SessionMessage,
    SessionOptions,
    SourceOpener,
    SourceSpec,
    StateChanged,
    StreamSession,
    StreamStarted,
    StreamState,
    StreamStatus,
    Supervision,
    one_line,
)
from bci_desktop.core.sources.supervised import SourceEvent

__all__ = [
    "BATCH_S",
    "DEFAULT_STALL_TIMEOUT_S",
    "TICK_MS",
    "ConnectRequest",
    "RecordRequest",
    "StreamWorker",
    "one_line",
]

logger = logging.getLogger(__name__)

#: Seconds without samples from a live board that count as a lost signal.
DEFAULT_STALL_TIMEOUT_S = 2.0
#: Interval of the worker's streaming timer (ms).
TICK_MS = 5
#: Engine updates are sent to the GUI thread at most this often (s).
BATCH_S = 0.025


@dataclass(frozen=True)
class ConnectRequest:
    """What to stream and how.

    Parameters
    ----------
    spec : SourceSpec
        The board, the simulated subject or a recording to replay.
    filters : FilterSettings or None
        Streaming filters; ``None`` takes the model's (as do filters that cannot run at the
        stream's sample rate, with a notice).
    model : ModelRequest or None
        The model; ``None`` uses the model last activated in this window, else the
        automatic choice.
    stall_timeout_s : float or None
        Live boards: seconds without samples that count as a lost signal; ``None`` takes
        :attr:`StreamWorker.stall_timeout_s`.
    reconnect : bool
        Live boards: watch the stream and reconnect automatically.
    """

    spec: SourceSpec
    filters: FilterSettings | None = None
    model: ModelRequest | None = None
    stall_timeout_s: float | None = None
    reconnect: bool = True


def _guarded(what: str) -> Callable:
    """The one error policy of the worker's command slots (see the module docstring).

    ``what`` begins the notice; ``{0}``... in it are the slot's arguments."""

    def wrap(method: Callable) -> Callable:
        @functools.wraps(method)
        def run(self: StreamWorker, *args: Any) -> Any:
            try:
                return method(self, *args)
            except BCIError as exc:
                what_ = what.format(*args)
                logger.warning("%s: %s", what_, exc)
                self.notice.emit(Notice(f"{what_}: {one_line(exc)}", NoticeLevel.WARNING))
            except Exception as exc:
                what_ = what.format(*args)
                logger.exception("%s failed", what_)
                self.notice.emit(Notice(f"{what_}: {one_line(exc)}", NoticeLevel.ERROR))
            return None

        return run

    return wrap


class StreamWorker(QObject):
    """Streams one session at a time in its own thread, and records it on request.

    Parameters
    ----------
    parent : QObject or None
        Qt parent.
    open_source : SourceOpener or None
        Builds a source from its spec (tests and benchmarks inject their own).
    registry : ModelRegistry or None
        Where models are found (``None``: the user's registry).

    Signals
    -------
    updates(list)
        :class:`EngineUpdate` objects with samples, batched at most every ``BATCH_S``.
    state_changed(StreamState, str)
        The session's state and a one-line message.
    stream_info(StreamInfo, str)
        A stream starts, with its model label.
    status(StreamStatus)
        About once a second (twice while the signal is lost).
    notice(Notice)
        Something the user should know that does not stop the stream.
    marker_inserted(float)
        A marker was handed to the source.
    recording_changed(RecordingStatus)
        On start and stop, about once a second while recording, and on an error.
    model_changed(str)
        The label of the model now in use, after :meth:`activate_model`.
    replay_changed(ReplayStatus)
        While replaying, about 5 times a second and after every replay command.
    replay_jumped(ReplayJumped)
        A replay was sought (the updates before it were sent first).
    source_event(SourceEvent)
        A live board lost or regained its device.

    Attributes
    ----------
    stall_timeout_s : float
        For requests that do not say (set it before connecting).
    """

    updates = pyqtSignal(object)
    state_changed = pyqtSignal(object, str)
    stream_info = pyqtSignal(object, str)
    status = pyqtSignal(object)
    notice = pyqtSignal(object)
    marker_inserted = pyqtSignal(float)
    recording_changed = pyqtSignal(object)
    model_changed = pyqtSignal(str)
    replay_changed = pyqtSignal(object)
    replay_jumped = pyqtSignal(object)
    source_event = pyqtSignal(object)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        open_source: SourceOpener | None = None,
        registry: ModelRegistry | None = None,
    ) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._open_source = open_source
        self._registry = registry
        self._session: StreamSession | None = None
        self._pending: list[EngineUpdate] = []
        self._last_emit = 0.0
        self._filters: FilterSettings | None = None
        self._model_request: ModelRequest | None = None
        self._latency_fallback = False
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
        session = self._session
        return session is not None and session.recording

    @property
    def session(self) -> StreamSession | None:
        """The stream session (owned by the worker thread)."""
        return self._session

    def _on_message(self, message: SessionMessage) -> None:
        """The session speaks: forward its message as the matching signal."""
        match message:
            case StateChanged(state=state, message=text):
                self._state = state
                if not state.live:
                    self._flush(time.perf_counter())
                self.state_changed.emit(state, text)
            case StreamStarted(info=info, model=label):
                self._flush(time.perf_counter())
                self.stream_info.emit(info, label)
            case StreamStatus():
                self.status.emit(message)
            case Notice():
                self.notice.emit(message)
            case RecordingStatus():
                self.recording_changed.emit(message)
            case ReplayStatus():
                self.replay_changed.emit(message)
            case ReplayJumped():
                self._flush(time.perf_counter())
                self.replay_jumped.emit(message)
            case ModelChanged(label=label):
                self.model_changed.emit(label)
            case MarkerInserted(value=value):
                self.marker_inserted.emit(value)
            case SourceEvent():
                self.source_event.emit(message)

    # -- connecting ----------------------------------------------------------------------
    @pyqtSlot(object)
    def connect_source(self, request: ConnectRequest) -> None:
        """Open, start and stream ``request``'s source (stops any current stream first)."""
        self._release("Disconnected")
        stall = request.stall_timeout_s
        options = SessionOptions(
            model=request.model or self._model_request or ModelRequest(),
            filters=request.filters or self._filters,
            keep_model_filters_if_invalid=True,
            latency_fallback=self._latency_fallback,
            supervision=Supervision(
                stall_timeout_s=self.stall_timeout_s if stall is None else stall,
                reconnect=request.reconnect,
            ),
        )
        session = StreamSession(
            request.spec,
            options,
            on_message=self._on_message,
            registry=self._registry,
            open_source=self._open_source,
        )
        self._session = session
        try:
            session.start()
        except Exception as exc:
            if not isinstance(exc, BCIError):
                logger.exception("Failed to connect")
            else:
                logger.warning("Connection refused: %s", exc)
            self._session = None
            self._state = StreamState.ERROR
            self.state_changed.emit(StreamState.ERROR, one_line(exc))
            return
        engine = session.engine
        self._filters = engine.filters if engine is not None else self._filters
        self._pending = []
        self._last_emit = time.perf_counter()
        self._timer.start()

    @pyqtSlot()
    def disconnect_source(self) -> None:
        """Stop streaming (and recording) and release the source."""
        had = self._session is not None
        self._release("Disconnected" if had else "Not connected")
        if not had:
            self._state = StreamState.IDLE
            self.state_changed.emit(StreamState.IDLE, "Not connected")

    def _release(self, message: str) -> None:
        self._timer.stop()
        session, self._session = self._session, None
        if session is not None:
            session.stop(message)  # never raises; reports the final recording status
        self._flush(time.perf_counter())

    @pyqtSlot()
    def shutdown(self) -> None:
        """Stop everything before the thread quits (the window is closing)."""
        self._release("Disconnected")
        self._state = StreamState.IDLE
        # Hand the worker (and its timer) back to the GUI thread, which outlives this one
        # and deletes it: no object is left behind in a finished thread.
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())

    # -- streaming -----------------------------------------------------------------------
    @pyqtSlot()
    def _tick(self) -> None:
        session = self._session
        if session is None:
            return
        try:
            self._pending.extend(session.poll())
        except Exception as exc:
            logger.exception("Streaming failed")
            self._timer.stop()
            self._session = None
            session.fail(exc)
            return
        now = time.perf_counter()
        if self._pending and now - self._last_emit >= BATCH_S:
            self._flush(now)
        if session.state is StreamState.ENDED and session.replay is None:
            self._timer.stop()
            self._session = None

    def _flush(self, now: float) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.updates.emit(batch)
        self._last_emit = now

    def _say(self, text: str, level: NoticeLevel = NoticeLevel.INFO) -> None:
        logger.log(int(level), "%s", text)
        self.notice.emit(Notice(text, level))

    def _require(self) -> StreamSession:
        if self._session is None:
            raise SourceError("connect a source first.")
        return self._session

    # -- commands ------------------------------------------------------------------------
    @pyqtSlot(float)
    @_guarded("Marker {0:g} not inserted")
    def insert_marker(self, value: float) -> None:
        """Insert a marker into the stream (lands on the next sample, and is recorded)."""
        self._require().insert_marker(value)

    @pyqtSlot(object)
    @_guarded("Filters not changed")
    def set_filters(self, settings: FilterSettings) -> None:
        """Use these filters now (when streaming) and for the next connection."""
        if self._session is not None and self._session.engine is not None:
            self._session.set_filters(settings)
        self._filters = settings

    @pyqtSlot()
    @_guarded("Reconnect now")
    def reconnect_now(self) -> None:
        """Try to reconnect a lost live board at once instead of waiting for the backoff."""
        session = self._require()
        name = session.info.source_name if session.info is not None else "the device"
        if session.reconnect_now():
            self._say(f"Reconnecting to {name} now…")
        else:
            self._say(f"{name} is already reconnecting.")

    @pyqtSlot(str)
    @_guarded("Model not changed")
    def activate_model(self, ref: str) -> None:
        """Use the model ``ref`` names (a registry ``NAME[@VERSION]`` or an ``.onnx`` file).

        While streaming the engine switches between two predictions (an unusable model
        leaves the current one in use); otherwise the next connection uses it.
        """
        session = self._session
        if session is None or session.engine is None:
            from bci_desktop.core.session import load_model

            label = load_model(ref, None, self._registry).metadata.label
            self._model_request = ModelRequest(ref)
            self._say(f"Model {label} will be used when streaming starts.")
            self.model_changed.emit(label)
            return
        session.set_model(ref)
        self._model_request = ModelRequest(ref)

    @pyqtSlot(bool)
    @_guarded("Latency fallback not changed")
    def set_latency_fallback(self, enabled: bool) -> None:
        """Fall back to the fastest other validated model for the same classes while the
        model in use is over its latency budget (at once while streaming, else at the next
        connection)."""
        self._latency_fallback = bool(enabled)
        if self._session is not None:
            self._session.set_latency_fallback(enabled)

    # -- recording -----------------------------------------------------------------------
    @pyqtSlot(object)
    def start_recording(self, request: RecordRequest) -> None:
        """Record the stream into a new session folder (refused when not streaming)."""
        try:
            if self._session is None:
                raise SourceError(
                    "Recording needs a stream: connect a board or open a recording first."
                )
            self._session.start_recording(request)
        except Exception as exc:
            if not isinstance(exc, BCIError):
                logger.exception("Failed to start recording")
            message = one_line(exc)
            self.notice.emit(Notice(message, NoticeLevel.WARNING))
            self.recording_changed.emit(RecordingStatus(error=message))

    @pyqtSlot()
    @_guarded("Recording")
    def stop_recording(self) -> None:
        """Stop the recording cleanly (the stream goes on)."""
        if self._session is not None:
            self._session.stop_recording()

    @pyqtSlot(str, str)
    @_guarded("Event not recorded")
    def add_event(self, kind: str, detail: str) -> None:
        """Note an event (e.g. ``"calibration_start"``) in the recording, if one runs."""
        if self._session is not None:
            self._session.add_event(kind, detail)

    # -- replay --------------------------------------------------------------------------
    def _replay(self):
        session = self._session
        if session is None or session.replay is None:
            raise BCIError("no recording is being replayed.")
        return session.replay

    @pyqtSlot()
    @_guarded("Replay")
    def pause_replay(self) -> None:
        """Hold the replay where it is."""
        self._replay().pause()

    @pyqtSlot()
    @_guarded("Replay")
    def resume_replay(self) -> None:
        """Play on from where the replay was held (or from the start once it ended)."""
        self._replay().resume()

    @pyqtSlot(float)
    @_guarded("Replay")
    def seek_replay(self, seconds: float) -> None:
        """Continue the replay from ``seconds`` after the recording's start."""
        self._replay().seek(seconds)

    @pyqtSlot(float)
    @_guarded("Replay")
    def set_replay_speed(self, speed: float) -> None:
        """Play the replay ``speed`` times faster than real time from where it is."""
        self._replay().set_speed(speed)
