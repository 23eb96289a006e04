"""The worker thread: owns the source, the engine and the streaming loop.

:class:`StreamWorker` is a ``QObject`` moved to a ``QThread`` by the main window. Its slots
are invoked through queued signals from the GUI thread, so connecting to a device (which
can block for seconds in BrainFlow's ``prepare_session``), reading, processing and
disconnecting all happen in the worker thread; the GUI thread only draws. Every exception
is caught at the boundary of a slot or of the timer tick, logged with its traceback and
reported as the state ``"error"`` with a one-line message.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PyQt6.QtCore import QCoreApplication, QObject, Qt, QTimer, pyqtSignal, pyqtSlot

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.engine import Engine, EngineConfig, EngineUpdate
from bci_desktop.core.errors import BCIError, ConfigError, ModelError
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.factory import is_simulated, open_source

__all__ = [
    "BATCH_S",
    "STATES",
    "TICK_MS",
    "ConnectRequest",
    "StreamWorker",
    "one_line",
]

logger = logging.getLogger(__name__)

#: States reported by :attr:`StreamWorker.state_changed`.
STATES: tuple[str, ...] = ("disconnected", "connecting", "streaming", "error")
#: Interval of the worker's streaming timer (ms).
TICK_MS = 5
#: Engine updates are sent to the GUI thread at most this often (s).
BATCH_S = 0.025
#: Longest time one tick keeps stepping while data keeps coming (s).
_TICK_BUDGET_S = 0.02
#: A step between two timestamps longer than this many sample periods counts as a gap.
GAP_PERIODS = 2.5


@dataclass(frozen=True)
class ConnectRequest:
    """What to stream: the board, how to reach it and how to process it.

    Parameters
    ----------
    board : str
        BrainFlow board name or id, or ``"simulated"`` for the simulated subject.
    params : ConnectionParams
        BrainFlow connection fields (ignored by the simulated subject).
    speed : float
        Simulated subject only: times real time.
    filters : FilterSettings or None
        Streaming filters; ``None`` takes the model's.
    model_path : str or None
        ONNX model file; ``None`` loads the shipped default model.
    """

    board: str = "synthetic"
    params: ConnectionParams = field(default_factory=ConnectionParams)
    speed: float = 1.0
    filters: FilterSettings | None = None
    model_path: str | None = None


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
    """Streams one source at a time in its own thread.

    Signals
    -------
    updates(list)
        Engine updates (:class:`EngineUpdate`), batched at most every ``BATCH_S``.
    state_changed(str, str)
        State (one of :data:`STATES`) and a one-line message.
    stream_info(object, str)
        The :class:`StreamInfo` of a stream that starts, and the model label (``""``
        without a model).
    status(dict)
        About once a second: ``source``, ``model``, ``sample_rate`` (nominal), ``rate``
        (measured samples/s), ``samples``, ``gaps``, ``dropped``, ``since_data_s``.
    notice(str)
        Something the user should know that does not stop the stream.
    marker_inserted(float)
        A marker was handed to the source.
    """

    updates = pyqtSignal(object)
    state_changed = pyqtSignal(str, str)
    stream_info = pyqtSignal(object, str)
    status = pyqtSignal(object)
    notice = pyqtSignal(str)
    marker_inserted = pyqtSignal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._source: Source | None = None
        self._engine: Engine | None = None
        self._runner: StreamRunner | None = None
        self._pending: list[EngineUpdate] = []
        self._last_emit = 0.0
        self._filters: FilterSettings | None = None
        self._state = "disconnected"
        self._model_label = ""
        self._source_name = ""
        self._gaps: _GapCounter | None = None
        self._status_due = 0.0
        self._status_samples = 0
        self._status_time = 0.0
        self._last_data = 0.0

    # -- state ---------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """The current state (read it from the worker thread or after the thread ended)."""
        return self._state

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
            label = "the simulated subject" if is_simulated(request.board) else request.board
            self._set_state("connecting", f"Connecting to {label}…")
            self._connect(request)
        except Exception as exc:
            logger.exception("Failed to connect to %r", request.board)
            self._fail(exc)

    def _connect(self, request: ConnectRequest) -> None:
        model = self._load_model(request.model_path)
        if is_simulated(request.board):
            source = open_source(request.board, speed=request.speed)
        else:
            source = open_source(request.board, params=request.params)
        info = source.info
        filters = request.filters or self._filters
        if filters is not None:
            try:
                filters.validate(info.sample_rate)
            except ConfigError as exc:
                self.notice.emit(f"{exc} Using the model's filters instead.")
                filters = None
        config = EngineConfig(filters=filters, strict_channels=False)
        engine = Engine(info, model=model, config=config)
        if engine.model_problem:
            self.notice.emit(f"{engine.model_problem} Predictions are withheld.")
        self._source = source  # set before start() so a failed start still releases it
        source.start()
        self._engine = engine
        self._runner = StreamRunner(source, engine)
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
        self.stream_info.emit(info, self._model_label)
        self._timer.start()
        self._set_state("streaming", f"Streaming {info.source_name}")
        logger.info(
            "Streaming %s at %g Hz with model %s",
            info.source_name,
            info.sample_rate,
            self._model_label or "none",
        )

    def _load_model(self, model_path: str | None) -> Any:
        from bci_desktop.core.inference.model import EmotionModel
        from bci_desktop.core.resources import default_model_path

        if model_path is not None:
            return EmotionModel.load(Path(model_path))
        try:
            return EmotionModel.load(default_model_path())
        except ModelError as exc:
            logger.exception("The default model cannot be loaded")
            self.notice.emit(f"{exc} Streaming without emotion predictions.")
            return None

    @pyqtSlot()
    def disconnect_source(self) -> None:
        """Stop streaming and release the source."""
        try:
            had = self._source is not None
            self._release()
            self._set_state("disconnected", "Disconnected" if had else "Not connected")
        except Exception as exc:
            logger.exception("Failed to disconnect")
            self._fail(exc)

    @pyqtSlot(float)
    def insert_marker(self, value: float) -> None:
        """Insert a marker into the stream (lands on the next sample)."""
        try:
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
            self._filters = settings
        except ConfigError as exc:
            logger.warning("Filters refused: %s", exc)
            self.notice.emit(f"Filters not changed: {exc}")
        except Exception as exc:
            logger.exception("Failed to change the filters")
            self._fail(exc)

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
            if self._pending and now - self._last_emit >= BATCH_S:
                self._flush(now)
            if now >= self._status_due:
                self._emit_status(now)
            if runner.source.finished:
                self._flush(now)
                self._release()
                self._set_state("disconnected", "The source has no more data.")
        except Exception as exc:
            logger.exception("Streaming failed")
            self._fail(exc)

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
        self._status_due = now + 1.0
        gaps = self._gaps
        self.status.emit(
            {
                "source": self._source_name,
                "model": self._model_label,
                "sample_rate": runner.engine.sample_rate,
                "rate": rate,
                "samples": samples,
                "gaps": gaps.gaps if gaps is not None else 0,
                "dropped": gaps.dropped if gaps is not None else 0,
                "since_data_s": now - self._last_data,
            }
        )

    def _release(self) -> None:
        """Stop the timer, send what is pending and stop the source (errors are logged)."""
        self._timer.stop()
        self._flush(time.perf_counter())
        source, self._source = self._source, None
        self._engine = None
        self._runner = None
        self._gaps = None
        if source is not None:
            try:
                source.stop()
            except Exception:
                logger.exception("Stopping the source failed")
