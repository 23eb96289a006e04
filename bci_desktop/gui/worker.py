"""The worker thread: owns the source, the engine, the recorder and the streaming loop.

:class:`StreamWorker` is a ``QObject`` moved to a ``QThread`` by the main window. Its slots
are invoked through queued signals from the GUI thread, so connecting to a device (which
can block for seconds in BrainFlow's ``prepare_session``), reading, recording, processing,
switching models, steering a replay and disconnecting all happen in the worker thread; the
GUI thread only draws. Every exception is caught at the boundary of a slot or of the timer
tick, logged with its traceback and reported as the state ``"error"`` with a one-line
message; a recording error stops the recording only (streaming goes on).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PyQt6.QtCore import QCoreApplication, QObject, Qt, QTimer, pyqtSignal, pyqtSlot

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.engine import Engine, EngineConfig, EngineUpdate
from bci_desktop.core.errors import BCIError, ConfigError, ModelError
from bci_desktop.core.recording import RecordingError
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.brainflow_source import BrainFlowSource
from bci_desktop.core.sources.factory import is_simulated, open_source
from bci_desktop.core.sources.replay import ReplaySource
from bci_desktop.core.sources.supervised import SourceEvent, SourceState, SupervisedSource
from bci_desktop.core.stream import StreamInfo
from bci_desktop.gui.worker_recording import RecordingLink, RecordRequest

__all__ = [
    "BATCH_S",
    "DEFAULT_STALL_TIMEOUT_S",
    "REPLAY_PREFIX",
    "STATES",
    "TICK_MS",
    "ConnectRequest",
    "RecordRequest",
    "StreamWorker",
    "one_line",
    "replay_target",
]

logger = logging.getLogger(__name__)

#: States reported by :attr:`StreamWorker.state_changed`.
STATES: tuple[str, ...] = ("disconnected", "connecting", "streaming", "signal_lost", "error")
#: Seconds without samples from a live board that count as a lost signal.
DEFAULT_STALL_TIMEOUT_S = 2.0
#: Interval of the worker's streaming timer (ms).
TICK_MS = 5
#: Engine updates are sent to the GUI thread at most this often (s).
BATCH_S = 0.025
#: Longest time one tick keeps stepping while data keeps coming (s).
_TICK_BUDGET_S = 0.02
#: A step between two timestamps longer than this many sample periods counts as a gap.
GAP_PERIODS = 2.5
#: A board named ``"replay:<path>"`` replays that recording.
REPLAY_PREFIX = "replay:"
#: How often a replay reports its position (s).
_REPLAY_EVERY_S = 0.2


@dataclass(frozen=True)
class ConnectRequest:
    """What to stream: the board, how to reach it and how to process it.

    Parameters
    ----------
    board : str
        BrainFlow board name or id, ``"simulated"`` for the simulated subject, or
        ``"replay:<path>"`` for a recording (see ``replay_path``).
    params : ConnectionParams
        BrainFlow connection fields (ignored by the simulated subject and replay).
    speed : float
        Simulated subject and replay only: times real time.
    filters : FilterSettings or None
        Streaming filters; ``None`` takes the model's.
    model_path : str or None
        ONNX model file; ``None`` loads the shipped default model (or the model given to
        :meth:`StreamWorker.activate_model` while disconnected).
    replay_path : str or None
        A session folder, BrainFlow CSV or EDF/BDF file to replay (wins over ``board``).
    stall_timeout_s : float or None
        Live BrainFlow boards: seconds without samples that count as a lost signal;
        ``None`` takes :attr:`StreamWorker.stall_timeout_s`.
    reconnect : bool
        Live BrainFlow boards: watch the stream and reconnect automatically
        (:class:`~bci_desktop.core.sources.supervised.SupervisedSource`).
    """

    board: str = "synthetic"
    params: ConnectionParams = field(default_factory=ConnectionParams)
    speed: float = 1.0
    filters: FilterSettings | None = None
    model_path: str | None = None
    replay_path: str | None = None
    stall_timeout_s: float | None = None
    reconnect: bool = True


def replay_target(request: ConnectRequest) -> str | None:
    """The recording ``request`` replays, or ``None`` for a live source."""
    if request.replay_path:
        return request.replay_path
    board = request.board
    if isinstance(board, str) and board.startswith(REPLAY_PREFIX):
        return board[len(REPLAY_PREFIX) :].strip() or None
    return None


def one_line(exc: BaseException) -> str:
    """A short message for the window: the app's own errors as they are, others typed."""
    text = " ".join(str(exc).split())
    if isinstance(exc, BCIError) and text:
        return text
    return f"Unexpected {type(exc).__name__}: {text or 'no details'} (details in the log)."


class _GapCounter:
    """Count gaps in the timestamps (steps longer than ``GAP_PERIODS`` sample periods)."""

    def __init__(self, sample_rate: float) -> None:
        self.period = 1.0 / sample_rate
        self.limit = GAP_PERIODS * self.period
        self.last: float | None = None
        self.gaps = 0
        self.dropped = 0

    def add(self, timestamps: np.ndarray) -> None:
        if timestamps.size == 0:
            return
        if self.last is not None:
            first = float(timestamps[0]) - self.last
            self._count(np.asarray([first]))
        if timestamps.size > 1:
            self._count(np.diff(timestamps))
        self.last = float(timestamps[-1])

    def _count(self, steps: np.ndarray) -> None:
        big = steps[steps > self.limit]
        if big.size:
            self.gaps += int(big.size)
            self.dropped += int(np.sum(np.round(big / self.period) - 1))


class StreamWorker(QObject):
    """Streams one source at a time in its own thread, and records it on request.

    Signals
    -------
    updates(list)
        Engine updates (:class:`EngineUpdate`), batched at most every ``BATCH_S``.
    state_changed(str, str)
        State (one of :data:`STATES`) and a one-line message.
    stream_info(object, str)
        The :class:`StreamInfo` of a stream that starts (or restarts after a replay seek:
        the display starts afresh), and the model label (``""`` without a model).
    status(dict)
        About once a second: ``source``, ``model``, ``sample_rate`` (nominal), ``rate``
        (measured samples/s), ``samples``, ``gaps``, ``dropped``, ``since_data_s``,
        ``resets`` (times the engine restarted after a gap), ``source_state`` (a word:
        "Streaming", "Signal lost", "Reconnecting"...), ``lost_for_s`` and
        ``next_attempt_in_s`` (``None`` unless the signal is lost) and, while replaying,
        ``replay`` (the dict of ``replay_changed``). Twice a second while the signal is
        lost.
    notice(str)
        Something the user should know that does not stop the stream.
    marker_inserted(float)
        A marker was handed to the source.
    recording_changed(dict)
        ``recording`` (bool), ``folder`` (str or None), ``elapsed_s`` (stream seconds
        recorded), ``size_bytes`` and ``error`` (str or None): on start and stop, about
        once a second while recording, and when an error (disk full ...) stops the
        recording, in which case streaming goes on.
    model_changed(str)
        The label (``name@version``) of the model now in use, after :meth:`activate_model`.
    replay_changed(dict)
        While replaying, about 5 times a second and after every replay command:
        ``active`` (False once the replay is released), ``path``, ``kind``,
        ``position_s``, ``duration_s``, ``paused``, ``ended``, ``speed``.
    source_event(object)
        A :class:`~bci_desktop.core.sources.supervised.SourceEvent` of a live board:
        ``signal_lost``, ``reconnect_attempt``, ``reconnected``, ``reconnect_failed``,
        ``device_mismatch``. With ``signal_lost`` the state becomes ``"signal_lost"`` (the
        worker reconnects on its own, and a recording goes on in the same session with a
        gap event); with ``reconnected`` it is ``"streaming"`` again.

    Attributes
    ----------
    stall_timeout_s : float
        Seconds without samples from a live board that count as a lost signal, for
        requests that do not say (set it before connecting).
    """

    updates = pyqtSignal(object)
    state_changed = pyqtSignal(str, str)
    stream_info = pyqtSignal(object, str)
    status = pyqtSignal(object)
    notice = pyqtSignal(str)
    marker_inserted = pyqtSignal(float)
    recording_changed = pyqtSignal(object)
    model_changed = pyqtSignal(str)
    replay_changed = pyqtSignal(object)
    source_event = pyqtSignal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._source: Source | None = None
        self._engine: Engine | None = None
        self._runner: StreamRunner | None = None
        self._info: StreamInfo | None = None
        self._pending: list[EngineUpdate] = []
        self._last_emit = 0.0
        self._filters: FilterSettings | None = None
        self._state = "disconnected"
        self._model_label = ""
        self._model_override: Any = None
        self._latency_fallback = False
        self._source_name = ""
        self._gaps: _GapCounter | None = None
        self._status_due = 0.0
        self._status_samples = 0
        self._status_time = 0.0
        self._last_data = 0.0
        self._link = RecordingLink()
        self._replay_due = 0.0
        self._replay_ended = False
        self.stall_timeout_s = DEFAULT_STALL_TIMEOUT_S

    # -- state ---------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """The current state (read it from the worker thread or after the thread ended)."""
        return self._state

    @property
    def recording(self) -> bool:
        """True while a recording runs (a plain flag: any thread may read it)."""
        return self._link.recording

    def _set_state(self, state: str, message: str) -> None:
        self._state = state
        self.state_changed.emit(state, message)

    def _fail(self, exc: BaseException) -> None:
        """Release everything and report the error state (the caller logged the traceback)."""
        self._release()
        self._set_state("error", one_line(exc))

    # -- slots (called in the worker thread through queued signals) -----------------------
    @pyqtSlot(object)
    def connect_source(self, request: ConnectRequest) -> None:
        """Open, start and stream ``request``'s source (stops any current stream first)."""
        try:
            self._release()
            target = replay_target(request)
            if target is not None:
                label = f"the recording {Path(target).name}"
            elif is_simulated(request.board):
                label = "the simulated subject"
            else:
                label = request.board
            self._set_state("connecting", f"Connecting to {label}…")
            self._connect(request, target)
        except Exception as exc:
            logger.exception("Failed to connect to %r", request.replay_path or request.board)
            self._fail(exc)

    def _connect(self, request: ConnectRequest, target: str | None) -> None:
        model = self._load_model(request.model_path)
        if target is not None:
            source: Source = ReplaySource(target, speed=request.speed)
        elif is_simulated(request.board):
            source = open_source(request.board, speed=request.speed)
        else:
            source = self._live_source(request)
        info = source.info
        filters = request.filters or self._filters
        if filters is not None:
            try:
                filters.validate(info.sample_rate)
            except ConfigError as exc:
                self.notice.emit(f"{exc} Using the model's filters instead.")
                filters = None
        # The fallback is armed by set_fallback_model (see set_latency_fallback).
        config = EngineConfig(filters=filters, strict_channels=False, latency_fallback=True)
        engine = Engine(info, model=model, config=config)
        if engine.model_problem:
            self.notice.emit(f"{engine.model_problem} Predictions are withheld.")
        self._source = source  # set before start() so a failed start still releases it
        source.start()
        self._engine = engine
        if self._latency_fallback:
            self._arm_fallback(announce=False)
        tap = self._link.tap
        self._runner = StreamRunner(source, engine, on_chunk=tap, on_update=tap.on_update)
        self._info = info
        self._filters = engine.filters
        self._model_label = model.metadata.label if model is not None else ""
        self._source_name = info.source_name
        self._gaps = _GapCounter(float(info.sample_rate))
        now = time.perf_counter()
        self._pending = []
        self._last_emit = now
        self._status_due = now + 1.0
        self._status_samples = 0
        self._status_time = now
        self._last_data = now
        self._replay_ended = False
        self.stream_info.emit(info, self._model_label)
        self._timer.start()
        self._set_state("streaming", f"Streaming {info.source_name}")
        self._emit_replay(now)
        logger.info(
            "Streaming %s at %g Hz with model %s",
            info.source_name,
            info.sample_rate,
            self._model_label or "none",
        )

    def _live_source(self, request: ConnectRequest) -> Source:
        """A BrainFlow board, supervised (stall detection, reconnection) unless refused."""
        first = open_source(request.board, params=request.params)
        if not (request.reconnect and isinstance(first, BrainFlowSource)):
            return first
        spare = [first]

        def make() -> Source:
            return spare.pop() if spare else open_source(request.board, params=request.params)

        port = request.params.serial_port
        stall = request.stall_timeout_s
        return SupervisedSource(
            make,
            stall_timeout_s=self.stall_timeout_s if stall is None else stall,
            on_event=self._on_source_event,
            device_present=(lambda: os.path.exists(port)) if port else None,
        )

    def _on_source_event(self, event: SourceEvent) -> None:
        """A supervised board lost or regained its device (called from ``read()``, here)."""
        clock = time.strftime("%H:%M:%S", time.localtime(event.wall_time))
        kind = event.kind
        if kind in ("reconnect_attempt", "reconnected"):
            logger.info("[%s] %s: %s", clock, kind.replace("_", " "), event.detail)
        else:
            logger.warning("[%s] %s: %s", clock, kind.replace("_", " "), event.detail)
        if kind in ("signal_lost", "reconnected"):
            self._record_source_event(event)
        self.source_event.emit(event)
        if kind == "signal_lost":
            self._flush(time.perf_counter())
            self._set_state("signal_lost", event.detail)
            self._status_due = 0.0  # tell the window at once
        elif kind == "reconnected":
            self._set_state("streaming", "Reconnected")
            self.notice.emit(event.detail)
        elif kind in ("reconnect_failed", "device_mismatch"):
            self.notice.emit(event.detail)

    def _record_source_event(self, event: SourceEvent) -> None:
        """Note a gap in the recording at the stream time it happened (same session)."""
        recorder = self._link.recorder
        if recorder is None:
            return
        try:
            recorder.add_event(event.kind, event.detail, t=event.stream_time)
        except RecordingError as exc:
            logger.warning("Event %s not recorded: %s", event.kind, exc)
            self.notice.emit(f"Event {event.kind} not recorded: {exc}")

    @pyqtSlot()
    def reconnect_now(self) -> None:
        """Try to reconnect a lost live board at once instead of waiting for the backoff."""
        try:
            source = self._source
            if not isinstance(source, SupervisedSource) or self._state != "signal_lost":
                self.notice.emit("Nothing to reconnect: the signal is not lost.")
                return
            if source.reconnect_now():
                logger.info("Reconnect now requested for %s", self._source_name)
                self.notice.emit(f"Reconnecting to {self._source_name} now…")
            else:
                self.notice.emit(f"{self._source_name} is already reconnecting.")
        except Exception as exc:
            logger.exception("Reconnect now failed")
            self.notice.emit(f"Reconnect now failed: {one_line(exc)}")

    def _load_model(self, model_path: str | None) -> Any:
        from bci_desktop.core.inference.model import EmotionModel
        from bci_desktop.core.resources import default_model_path

        if model_path is not None:
            return EmotionModel.load(Path(model_path))
        if self._model_override is not None:
            return self._model_override
        try:
            return EmotionModel.load(default_model_path())
        except ModelError as exc:
            logger.exception("The default model cannot be loaded")
            self.notice.emit(f"{exc} Streaming without emotion predictions.")
            return None

    @pyqtSlot()
    def disconnect_source(self) -> None:
        """Stop streaming (and recording) and release the source."""
        try:
            had = self._source is not None
            self._release()
            self._set_state("disconnected", "Disconnected" if had else "Not connected")
        except Exception as exc:
            logger.exception("Failed to disconnect")
            self._fail(exc)

    @pyqtSlot(float)
    def insert_marker(self, value: float) -> None:
        """Insert a marker into the stream (lands on the next sample, and is recorded)."""
        try:
            if self._state == "signal_lost":
                self.notice.emit(
                    f"Marker {value:g} not inserted: the signal is lost (reconnecting). "
                    "Try again once it is back."
                )
                return
            if self._source is None or self._state != "streaming":
                self.notice.emit(f"Marker {value:g} not inserted: connect a source first.")
                return
            self._source.insert_marker(value)
            self.marker_inserted.emit(float(value))
        except (BCIError, NotImplementedError) as exc:
            logger.warning("Marker %g not inserted: %s", value, exc)
            self.notice.emit(f"Marker {value:g} not inserted: {one_line(exc)}")
        except Exception as exc:
            logger.exception("Failed to insert marker %g", value)
            self._fail(exc)

    @pyqtSlot(object)
    def set_filters(self, settings: FilterSettings) -> None:
        """Use these filters now (when streaming) and for the next connection."""
        try:
            if self._engine is not None:
                self._engine.set_filters(settings)
                self._record_event("filters_changed", json.dumps(settings.to_dict()))
            self._filters = settings
        except ConfigError as exc:
            logger.warning("Filters refused: %s", exc)
            self.notice.emit(f"Filters not changed: {exc}")
        except Exception as exc:
            logger.exception("Failed to change the filters")
            self._fail(exc)

    # -- recording -----------------------------------------------------------------------
    @pyqtSlot(object)
    def start_recording(self, request: RecordRequest) -> None:
        """Record the stream into a new session folder (refused when not streaming).

        A failure is reported as a notice and a ``recording_changed`` with ``error``; the
        stream goes on either way.
        """
        try:
            source, engine = self._source, self._engine
            if source is None or engine is None or self._state != "streaming":
                self._recording_refused(
                    "Recording needs a stream: connect a board or open a recording first."
                )
                return
            if self._link.recording:
                status = self._link.status()
                self.notice.emit(f"Already recording into {status['folder']}.")
                self.recording_changed.emit(status)
                return
            status = self._link.start(request, source, engine)
            logger.info("Recording into %s", status["folder"])
            self.recording_changed.emit(status)
        except BCIError as exc:
            logger.warning("Recording not started: %s", exc)
            self._recording_refused(one_line(exc))
        except Exception as exc:
            logger.exception("Failed to start recording")
            self._recording_refused(f"Recording not started: {one_line(exc)}")

    def _recording_refused(self, message: str) -> None:
        self.notice.emit(message)
        self.recording_changed.emit(self._link.status(error=message))

    @pyqtSlot()
    def stop_recording(self) -> None:
        """Stop the recording cleanly (the stream goes on)."""
        try:
            final = self._link.stop()
            self._report_recording(final if final is not None else self._link.status())
        except Exception as exc:
            logger.exception("Failed to stop recording")
            self._report_recording(self._link.status(error=f"Recording: {one_line(exc)}"))

    @pyqtSlot(str, str)
    def add_event(self, kind: str, detail: str) -> None:
        """Note an event (e.g. ``"calibration_start"``) in the recording, if one runs."""
        try:
            self._record_event(kind, detail)
        except Exception as exc:
            logger.exception("Failed to record the event %s", kind)
            self.notice.emit(f"Event {kind} not recorded: {one_line(exc)}")

    def _record_event(self, kind: str, detail: str) -> None:
        status = self._link.add_event(kind, detail)
        if status is not None:
            self._report_recording(status)

    def _report_recording(self, status: dict[str, Any]) -> None:
        error = status.get("error")
        if error:
            self.notice.emit(f"{error} Streaming goes on.")
        self.recording_changed.emit(status)

    # -- models --------------------------------------------------------------------------
    @pyqtSlot(str)
    def activate_model(self, ref: str) -> None:
        """Load ``ref`` (a registry ``NAME[@VERSION]`` or an ``.onnx`` file) and use it.

        While streaming, the engine switches between two predictions; an unusable model is
        reported as a notice and the current model stays in use. While disconnected, the
        model is used by the next connection that names no model file.
        """
        try:
            model = self._resolve_model(ref)
            label = model.metadata.label
            engine = self._engine
            if engine is None:
                self._model_override = model
                self.notice.emit(f"Model {label} will be used when streaming starts.")
                self.model_changed.emit(label)
                return
            previous = engine.primary_model
            engine.set_model(model)  # this thread owns the engine: between two predictions
            problem = engine.model_problem
            if problem and previous is not None:
                engine.set_model(previous)
                self.notice.emit(
                    f"Model {label} not used: {problem} The model {self._model_label} stays "
                    "in use."
                )
                return
            self._model_override = model
            self._model_label = label
            self._record_event("model_changed", label)
            if self._latency_fallback:
                self._arm_fallback(announce=False)
            if problem:
                self.notice.emit(
                    f"Model switched to {label}, but {problem} Predictions are withheld."
                )
            else:
                self.notice.emit(f"Model switched to {label}.")
            self.model_changed.emit(label)
        except BCIError as exc:
            logger.warning("Model %r not activated: %s", ref, exc)
            self.notice.emit(f"Model not changed: {one_line(exc)}")
        except Exception as exc:
            logger.exception("Failed to activate the model %r", ref)
            self.notice.emit(f"Model not changed: {one_line(exc)}")

    @pyqtSlot(bool)
    def set_latency_fallback(self, enabled: bool) -> None:
        """Fall back to the fastest other validated model for the same classes while the
        model in use is over its latency budget (``bci-desktop run --latency-fallback``).

        Takes effect at once while streaming, else from the next connection. Turning it
        off while the fallback runs goes back to the chosen model at once.
        """
        self._latency_fallback = bool(enabled)
        if self._engine is None:
            return
        try:
            if enabled:
                self._arm_fallback(announce=True)
            else:
                self._engine.set_fallback_model(None)
                self.notice.emit("Latency fallback off: over-budget models only warn.")
        except Exception as exc:
            logger.exception("Changing the latency fallback failed")
            self.notice.emit(f"Latency fallback not changed: {one_line(exc)}")

    def _arm_fallback(self, *, announce: bool) -> None:
        """Give the engine the fastest other validated model for its model's classes."""
        from bci_desktop.core.inference.registry import ModelRegistry

        engine = self._engine
        engine.set_fallback_model(None)
        model = engine.primary_model
        if model is None:
            return
        try:
            fallback = ModelRegistry().load_fallback_for(model, engine.info)
        except BCIError as exc:
            logger.warning("No latency fallback: %s", exc)
            self.notice.emit(f"Latency fallback unavailable: {one_line(exc)}")
            return
        except Exception as exc:  # a registry or model fault must not stop the stream
            logger.exception("Loading the latency fallback model failed")
            self.notice.emit(f"Latency fallback unavailable: {one_line(exc)}")
            return
        if fallback is None:
            self.notice.emit(
                f"Latency fallback: no other validated model predicts "
                f"{', '.join(model.classes)}; an over-budget model only warns."
            )
            return
        engine.set_fallback_model(fallback)
        logger.info("Latency fallback for %s: %s", model.metadata.label, fallback.metadata.label)
        if announce:
            self.notice.emit(
                f"Latency fallback on: {fallback.metadata.label} takes over while "
                f"{model.metadata.label} is over its budget."
            )

    def _resolve_model(self, ref: str) -> Any:
        from bci_desktop.core.inference.model import EmotionModel
        from bci_desktop.core.inference.registry import ModelRegistry

        text = ref.strip()
        if not text:
            raise ConfigError(
                "Invalid value for the 'ref' parameter: expected a model NAME[@VERSION] or an "
                ".onnx file, but got an empty string."
            )
        path = Path(text).expanduser()
        if text.lower().endswith(".onnx") or path.is_file():
            return EmotionModel.load(path)
        return ModelRegistry().get(text).load(self._info)

    # -- replay --------------------------------------------------------------------------
    @pyqtSlot()
    def pause_replay(self) -> None:
        """Hold the replay where it is."""
        self._replay_command("pause", lambda r: r.pause())

    @pyqtSlot()
    def resume_replay(self) -> None:
        """Play on from where the replay was held (or from the start once it ended)."""

        def resume(replay: ReplaySource) -> None:
            if replay.finished:
                self._seek(replay, 0.0)
            replay.resume()

        self._replay_command("resume", resume)

    @pyqtSlot(float)
    def seek_replay(self, seconds: float) -> None:
        """Continue the replay from ``seconds`` after the recording's start."""
        self._replay_command("seek", lambda r: self._seek(r, seconds))

    @pyqtSlot(float)
    def set_replay_speed(self, speed: float) -> None:
        """Play the replay ``speed`` times faster than real time from where it is."""
        self._replay_command("change the speed of", lambda r: self._respeed(r, speed))

    def _replay_command(self, what: str, action: Any) -> None:
        try:
            replay = self._source
            if not isinstance(replay, ReplaySource) or self._state != "streaming":
                self.notice.emit(f"Nothing to {what}: no recording is being replayed.")
                return
            action(replay)
            self._emit_replay(time.perf_counter(), force=True)
        except BCIError as exc:
            logger.warning("Replay: cannot %s: %s", what, exc)
            self.notice.emit(f"Replay: cannot {what}: {one_line(exc)}")
        except Exception as exc:
            logger.exception("Replay: %s failed", what)
            self._fail(exc)

    def _seek(self, replay: ReplaySource, seconds: float) -> None:
        replay.seek(float(seconds))
        self._record_event("replay_seek", f"{replay.position_s:.3f}")
        # The stream jumps: what is shown starts afresh (and so do the engine's filters).
        self._flush(time.perf_counter())
        if self._gaps is not None:
            self._gaps.last = None
        self._replay_ended = False
        if self._info is not None:
            self.stream_info.emit(self._info, self._model_label)

    def _respeed(self, replay: ReplaySource, speed: float) -> None:
        runner = self._runner
        if runner is None:
            return
        fresh = ReplaySource(replay.path, speed=speed)  # validates speed before any change
        fresh.seek(replay.position_s)
        if replay.paused:
            fresh.pause()
        fresh.start()
        runner.source = fresh
        self._source = fresh
        try:
            replay.stop()
        except Exception:
            logger.exception("Stopping the previous replay failed")
        logger.info("Replay speed %gx from %.1f s", speed, fresh.position_s)

    def _replay_status(self) -> dict[str, Any] | None:
        replay = self._source
        if not isinstance(replay, ReplaySource):
            return None
        return {
            "active": True,
            "path": str(replay.path),
            "kind": replay.kind,
            "position_s": replay.position_s,
            "duration_s": replay.duration_s,
            "paused": replay.paused,
            "ended": replay.finished,
            "speed": replay.speed,
        }

    def _emit_replay(self, now: float, *, force: bool = False) -> None:
        if not force and now < self._replay_due:
            return
        status = self._replay_status()
        if status is not None:
            self._replay_due = now + _REPLAY_EVERY_S
            self.replay_changed.emit(status)

    @pyqtSlot()
    def shutdown(self) -> None:
        """Stop everything before the thread quits (the window is closing)."""
        try:
            self._release()
        except Exception:
            logger.exception("Failed to release the source while closing")
        self._state = "disconnected"
        # Hand the worker (and its timer) back to the GUI thread, which outlives this one
        # and deletes it: no object is left behind in a finished thread.
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())

    # -- streaming -----------------------------------------------------------------------
    @pyqtSlot()
    def _tick(self) -> None:
        runner = self._runner
        if runner is None:
            return
        try:
            start = time.perf_counter()
            while True:
                update = runner.step()
                if update is None:
                    break
                if update.n_samples:
                    self._pending.append(update)
                    self._last_data = time.perf_counter()
                    if self._gaps is not None:
                        self._gaps.add(np.asarray(update.timestamps))
                if time.perf_counter() - start > _TICK_BUDGET_S:
                    break
            now = time.perf_counter()
            recording = self._link.poll(now)
            if recording is not None:
                self._report_recording(recording)
            if self._pending and now - self._last_emit >= BATCH_S:
                self._flush(now)
            if now >= self._status_due:
                self._emit_status(now)
            source = runner.source
            if isinstance(source, ReplaySource):
                self._replay_tick(source, now)
            elif source.finished:
                self._flush(now)
                self._release()
                self._set_state("disconnected", "The source has no more data.")
        except Exception as exc:
            logger.exception("Streaming failed")
            self._fail(exc)

    def _replay_tick(self, replay: ReplaySource, now: float) -> None:
        """A replay that reaches its end stays open (paused there) so it can be sought."""
        ended = replay.finished
        if ended and not self._replay_ended:
            self._replay_ended = True
            self._flush(now)
            self.notice.emit(
                f"The replay of {replay.path.name} reached its end: seek or play it again, "
                "or disconnect."
            )
            self._emit_replay(now, force=True)
            return
        self._emit_replay(now)

    def _flush(self, now: float) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.updates.emit(batch)
        self._last_emit = now

    def _emit_status(self, now: float) -> None:
        runner = self._runner
        if runner is None:
            return
        samples = runner.stats.samples
        dt = now - self._status_time
        rate = (samples - self._status_samples) / dt if dt > 0 else math.nan
        self._status_samples, self._status_time = samples, now
        lost = self._state == "signal_lost"
        self._status_due = now + (0.5 if lost else 1.0)
        gaps = self._gaps
        since = now - self._last_data
        source = runner.source
        status: dict[str, Any] = {
            "source": self._source_name,
            "model": self._model_label,
            "sample_rate": runner.engine.sample_rate,
            "rate": rate,
            "samples": samples,
            "gaps": gaps.gaps if gaps is not None else 0,
            "dropped": gaps.dropped if gaps is not None else 0,
            "since_data_s": since,
            "resets": runner.engine.gaps,
            "source_state": SourceState.STREAMING.label,
            "lost_for_s": None,
            "next_attempt_in_s": None,
        }
        if isinstance(source, SupervisedSource):
            status["source_state"] = source.state.label
            status["lost_for_s"] = source.lost_for_s
            status["next_attempt_in_s"] = source.next_attempt_in_s
        replay = self._replay_status()
        if replay is not None:
            status["replay"] = replay
            if replay["paused"] or replay["ended"]:
                status["since_data_s"] = 0.0  # held on purpose: not a stalled device
                self._last_data = now
        self.status.emit(status)

    def _release(self) -> None:
        """Stop the recording and the timer, send what is pending, stop the source.

        Errors are logged (and a recording error is reported); nothing here raises.
        """
        self._timer.stop()
        try:
            final = self._link.stop()
        except Exception:
            logger.exception("Stopping the recording failed")
            final = None
        if final is not None:
            self._report_recording(final)
        self._flush(time.perf_counter())
        source, self._source = self._source, None
        self._engine = None
        self._runner = None
        self._info = None
        self._gaps = None
        if isinstance(source, ReplaySource):
            self.replay_changed.emit({"active": False, "path": str(source.path)})
        if source is not None:
            try:
                source.stop()
            except Exception:
                logger.exception("Stopping the source failed")
