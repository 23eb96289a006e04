"""One stream from start to end: the object the command line and the window both drive.

:class:`StreamSession` owns the source (supervised by one rule), the model (chosen by one
function), the engine and its runner, the latency fallback, the model watch (prediction
monitoring, shadow trials), the recording and the one gap counter. It has no thread of its
own: the driver calls :meth:`~StreamSession.start`, :meth:`~StreamSession.poll` in a loop,
then :meth:`~StreamSession.stop`, from one thread. It reports through one callback taking
typed messages (:mod:`bci_desktop.core.session.status`); :meth:`poll` returns the engine
updates. Commands raise :class:`~bci_desktop.core.errors.BCIError` with a message for the
user when they cannot be done; the stream goes on. A recording error never stops it.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path

from bci_desktop.core.engine import Engine, EngineUpdate
from bci_desktop.core.errors import SourceError, one_line
from bci_desktop.core.inference.provenance import trained_on_simulated
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.runner import RunStats, StreamRunner
from bci_desktop.core.session.gaps import GapCounter
from bci_desktop.core.session.lsl_link import LslLink
from bci_desktop.core.session.model_watch import ModelWatch
from bci_desktop.core.session.models import (
    ResolvedModel,
    arm_fallback,
    build_engine,
    resolve_model,
    switch_model,
)  # fmt: skip
from bci_desktop.core.session.options import SessionOptions
from bci_desktop.core.session.recording import RecordingLink, RecordRequest, check_record_folder
from bci_desktop.core.session.replay_control import ReplayControl
from bci_desktop.core.session.reporting import build_status
from bci_desktop.core.session.spec import OpenedSource, SourceOpener, SourceSpec
from bci_desktop.core.session.spec import open_source as _default_opener
from bci_desktop.core.session.status import (
    MarkerInserted,
    ModelChanged,
    Notice,
    NoticeLevel,
    RecordingStatus,
    ReplayJumped,
    SessionMessage,
    StateChanged,
    StreamStarted,
    StreamState,
    StreamStatus,
    SubjectAnswered,
)
from bci_desktop.core.sources.participant import Cue, Participant
from bci_desktop.core.sources.supervised import SourceEvent
from bci_desktop.core.stream import Chunk, StreamInfo

__all__ = ["POLL_BUDGET_S", "SourceOpener", "StreamSession", "check_record_folder", "one_line"]

logger = logging.getLogger(__name__)

#: Longest time one :meth:`StreamSession.poll` keeps reading while data keeps coming (s).
POLL_BUDGET_S = 0.02
#: How often the numbers are reported, and while the signal is lost (s).
_STATUS_EVERY_S, _LOST_STATUS_EVERY_S = 1.0, 0.5


class StreamSession:
    """One stream: source, model, engine, recording, gaps, status.

    Parameters
    ----------
    spec : SourceSpec
        What to stream.
    options : SessionOptions or None
        How to process it.
    on_message : callable or None
        Called with every :data:`~bci_desktop.core.session.status.SessionMessage`, on the
        thread that drives the session.
    on_updates : callable or None
        Called by :meth:`poll` with the updates it made, before the messages that follow
        them (a stream that ends, a status), so that a listener sees both in order.
    registry : ModelRegistry or None
        Where models are found (``None``: the user's registry).
    open_source : callable or None
        Builds the source from the spec (default: :func:`~bci_desktop.core.session.spec.
        open_source`).
    """

    def __init__(
        self,
        spec: SourceSpec,
        options: SessionOptions | None = None,
        *,
        on_message: Callable[[SessionMessage], None] | None = None,
        on_updates: Callable[[list[EngineUpdate]], None] | None = None,
        registry: ModelRegistry | None = None,
        open_source: SourceOpener | None = None,
    ) -> None:
        self.spec = spec
        self.options = options or SessionOptions()
        self._on_message = on_message
        self._on_updates = on_updates
        self._registry = registry
        self._open = open_source or _default_opener
        self._state = StreamState.IDLE
        self._opened: OpenedSource | None = None
        self._engine: Engine | None = None
        self._runner: StreamRunner | None = None
        self._stats = RunStats()
        self._gaps: GapCounter | None = None
        self._replay: ReplayControl | None = None
        self._link = RecordingLink(emit=self._emit, notice=self._notice)
        self._lsl = LslLink(self._emit, self._link.add_marker)
        self._watch: ModelWatch | None = None
        self._model = ResolvedModel(None, False, "")
        self._latency_fallback = self.options.latency_fallback
        self._status_due = 0.0
        self._status_samples = 0
        self._status_time = 0.0
        self._last_data = 0.0

    # -- reading ----------------------------------------------------------------------------
    @property
    def state(self) -> StreamState:
        """Where the session is."""
        return self._state

    @property
    def info(self) -> StreamInfo | None:
        """The stream, once started."""
        return self._engine.info if self._engine is not None else None

    @property
    def engine(self) -> Engine | None:
        """The engine, once started (owned by the driving thread)."""
        return self._engine

    @property
    def stats(self) -> RunStats:
        """Samples, predictions and latency of this stream so far."""
        return self._runner.stats if self._runner is not None else self._stats

    @property
    def gaps(self) -> GapCounter | None:
        """The stream's gap counter (its numbers are the ones reported everywhere)."""
        return self._gaps

    @property
    def model_label(self) -> str:
        """``name@version`` of the chosen model, ``""`` without one."""
        engine = self._engine
        model = engine.primary_model if engine is not None else self._model.model
        return "" if model is None else model.metadata.label

    @property
    def model_trained_on_simulated(self) -> bool:
        """True when the chosen model is a demonstration trained on the simulated subject."""
        engine = self._engine
        model = engine.primary_model if engine is not None else self._model.model
        return model is not None and trained_on_simulated(model.metadata)

    @property
    def recording(self) -> bool:
        """True while recording (a plain flag: any thread may read it)."""
        return self._link.recording

    @property
    def lsl(self) -> LslLink:
        """Outlets and followed marker streams (``configure`` them while streaming)."""
        return self._lsl

    @property
    def watch(self) -> ModelWatch | None:
        """Prediction monitoring and shadow trials, while streaming."""
        return self._watch

    @property
    def replay(self) -> ReplayControl | None:
        """Transport of a replayed recording (``None`` for live sources)."""
        return self._replay

    @property
    def finished(self) -> bool:
        """Nothing more will come: not started, stopped, failed, duration reached, a finite
        source ended (an ended replay stays open for seeking)."""
        return self._state in (StreamState.IDLE, StreamState.ERROR, StreamState.ENDED)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Open the source, choose the model, build the engine, start streaming.

        Raises
        ------
        BCIError
            If the source cannot be opened, the model cannot be loaded or does not fit
            (when refused), the filters are invalid, or the recording asked for in
            ``options.record`` cannot start. Nothing stays open.
        """
        if self._state.active:
            return
        from bci_desktop.core.session.spec import describe_spec

        self._set_state(StreamState.CONNECTING, f"Connecting to {describe_spec(self.spec)}…")
        try:
            self._start()
        except BaseException:
            self._release()
            self._state = StreamState.IDLE
            raise

    def _start(self) -> None:
        options = self.options
        if options.record is not None:
            check_record_folder(options.record.folder)
        opened = self._open(self.spec, options.supervision)
        self._opened = opened  # set first, so a failure below still releases it
        info = opened.source.info
        self._model = resolve_model(options.model, info, self._registry)
        engine = self._build_engine(info)
        if opened.supervisor is not None:
            opened.supervisor.on_event = self._on_source_event
        opened.source.start()  # connect: a board that cannot connect is the error to report
        self._lsl.start(info, options, clock=opened.clock, live=opened.replay is None)
        self._engine = engine
        self._watch = ModelWatch(engine, emit=self._emit, record_event=self._link.add_event,
                                 registry=self._registry)  # fmt: skip
        self._gaps = GapCounter(info)
        self._runner = StreamRunner(
            opened.source,
            engine,
            duration_s=options.duration_s,
            on_chunk=self._on_chunk,
            on_update=self._on_update,
        )
        if opened.replay is not None:
            self._replay = ReplayControl(
                opened.replay, emit=self._emit, set_state=self._set_state, jumped=self._jumped
            )
        if self._latency_fallback:
            self._arm_fallback(announce=False)
        now = time.perf_counter()
        self._status_due = now + _STATUS_EVERY_S
        self._status_samples, self._status_time, self._last_data = 0, now, now
        if engine.model_problem:
            self._notice(f"{engine.model_problem} Predictions are withheld.", NoticeLevel.WARNING)
        elif self._model.model is not None and not self._model.explicit:
            self._notice(f"Model {self._model.reason}")
        self._emit(StreamStarted(info, self.model_label, self.model_trained_on_simulated))
        self._set_state(StreamState.STREAMING, f"Streaming {info.source_name}")
        logger.info(
            "Streaming %s at %g Hz with model %s (%s)",
            info.source_name,
            info.sample_rate,
            self.model_label or "none",
            self._model.reason,
        )
        if options.record is not None:
            self.start_recording(options.record)
        if self._replay is not None:
            self._replay.report(force=True)

    def _build_engine(self, info: StreamInfo) -> Engine:
        clock = self._opened.clock if self._opened is not None else None  # an LSL stream's
        return build_engine(
            info, self._model, self.options, source_clock=clock and clock.now, notice=self._notice
        )

    def stop(self, message: str = "Disconnected") -> RecordingStatus | None:
        """Stop recording and streaming, release the source; the final recording status
        (``None`` if nothing was recorded). Safe to call twice; never raises."""
        final = self._release()
        if self._state not in (StreamState.ERROR, StreamState.IDLE):
            self._set_state(StreamState.IDLE, message)
        return final

    def fail(self, exc: BaseException) -> None:
        """Tear the stream down after an unexpected error (the caller logged it)."""
        self._release()
        self._set_state(StreamState.ERROR, one_line(exc))

    def _release(self) -> RecordingStatus | None:
        final, watch, self._watch = None, self._watch, None
        if watch is not None:
            watch.close()  # a running trial ends, in the recording too
        try:
            final = self._link.stop()
        except Exception:
            logger.exception("Stopping the recording failed")
        if final is not None:
            self._emit(final)
        opened, self._opened = self._opened, None
        replay, self._replay = self._replay, None
        self._lsl.close()
        if self._runner is not None:
            self._stats = self._runner.stats
        self._engine = None
        self._runner = None
        if replay is not None:
            replay.closed()
        if opened is not None:
            try:
                opened.source.stop()
            except Exception:
                logger.exception("Stopping the source failed")
        return final

    # -- streaming --------------------------------------------------------------------------
    def poll(self, budget_s: float = POLL_BUDGET_S) -> list[EngineUpdate]:
        """Read what arrived and process it (for at most about ``budget_s``); report the
        status, recording and replay when due. Returns the updates with samples."""
        runner = self._runner
        if runner is None:
            return []
        updates: list[EngineUpdate] = []
        start = time.perf_counter()
        while not runner.done:
            update = runner.step()
            if update is None:
                break
            if update.n_samples:
                updates.append(update)
            if time.perf_counter() - start > budget_s:
                break
        now = time.perf_counter()
        if updates:
            self._last_data = now
            if self._on_updates is not None:
                self._on_updates(updates)
        self._link.poll_reported(now)
        if now >= self._status_due:
            self._emit(self.status(now))
        # The end is told on a poll that read nothing: whoever drives the session has the
        # last samples before it hears that the stream ended.
        quiet = not updates
        if runner.done and quiet:
            self._end("The duration was reached.")
        elif self._replay is not None:
            self._replay.tick(now, quiet=quiet)
        elif runner.source.finished and quiet:
            self._end("The source has no more data.")
        return updates

    def run(self, should_stop: Callable[[], bool],
            on_updates: Callable[[list[EngineUpdate]], None] | None = None, *,
            idle_sleep_s: float = 0.004) -> None:  # fmt: skip
        """Poll until ``should_stop()``, the duration, or the end of a finite source (the
        command line's loop; the window polls from its worker's timer instead)."""
        while not should_stop() and not self.finished:
            updates = self.poll()
            if updates and on_updates is not None:
                on_updates(updates)
            elif not updates:
                time.sleep(idle_sleep_s)

    def _end(self, message: str) -> None:
        """A finite source or the duration ended the stream: finish it, say so."""
        self._release()
        self._set_state(StreamState.ENDED, message)

    def _on_chunk(self, chunk: Chunk) -> Chunk:
        gaps = self._gaps
        if gaps is not None:
            gap = gaps.add(chunk)
            if gap is not None:
                logger.info("Gap in the stream: %s", gap.describe())
                self._link.add_event("gap", gap.describe(), t=gap.t)
        if self._lsl.active:
            chunk = self._lsl.chunk(chunk)  # published as it came; other programs' markers
        self._link.append(chunk)
        return chunk

    def _on_update(self, update: EngineUpdate) -> None:
        self._link.add_predictions(update)
        self._lsl.update(update)

    # -- reporting --------------------------------------------------------------------------
    def status(self, now: float | None = None) -> StreamStatus:
        """The numbers now (also reported by :meth:`poll` about once a second)."""
        now = time.perf_counter() if now is None else now
        runner, engine = self._runner, self._engine
        lost = self._state is StreamState.SIGNAL_LOST
        self._status_due = now + (_LOST_STATUS_EVERY_S if lost else _STATUS_EVERY_S)
        if runner is None or engine is None:
            return StreamStatus(self._state, "", self.model_label, math.nan, math.nan, 0, 0.0,
                                0, 0, 0.0)  # fmt: skip
        samples = runner.stats.samples
        dt = now - self._status_time
        rate = (samples - self._status_samples) / dt if dt > 0 else math.nan
        self._status_samples, self._status_time = samples, now
        replay = self._replay.status() if self._replay is not None else None
        if replay is not None and (replay.paused or replay.ended):
            self._last_data = now  # held on purpose: not a stalled device
        return build_status(
            self._state,
            engine,
            runner.stats,
            model=self.model_label,
            rate=rate,
            since_data_s=now - self._last_data,
            gaps=self._gaps,
            supervisor=self._opened.supervisor if self._opened is not None else None,
            replay=replay,
            recording=self._link.status() if self._link.recording else None,
        )

    def _emit(self, message: SessionMessage) -> None:
        if self._on_message is not None:
            self._on_message(message)

    def _set_state(self, state: StreamState, message: str = "") -> None:
        self._state = state
        self._emit(StateChanged(state, message))

    def _notice(self, text: str, level: NoticeLevel = NoticeLevel.INFO) -> None:
        logger.log(int(level), "%s", text)
        self._emit(Notice(text, level))

    # -- device events -----------------------------------------------------------------------
    def _on_source_event(self, event: SourceEvent) -> None:
        """A supervised source lost or regained its device (called inside ``read()``)."""
        if event.kind in ("signal_lost", "reconnected"):
            self._link.add_event(event.kind, event.detail, t=event.stream_time)
        self._emit(event)
        if event.kind == "signal_lost":
            self._set_state(StreamState.SIGNAL_LOST, event.detail)
            self._status_due = 0.0  # tell at once
        elif event.kind == "reconnected":
            self._set_state(StreamState.STREAMING, "Reconnected")
            self._notice(event.detail)
        elif event.kind in ("reconnect_failed", "device_mismatch"):
            self._notice(event.detail, NoticeLevel.WARNING)

    def reconnect_now(self) -> bool:
        """Try to reconnect a lost device at once; False when there is nothing to do.

        Raises
        ------
        SourceError
            If the signal is not lost.
        """
        supervisor = self._opened.supervisor if self._opened is not None else None
        if supervisor is None or self._state is not StreamState.SIGNAL_LOST:
            raise SourceError("Nothing to reconnect: the signal is not lost.")
        return supervisor.reconnect_now()

    # -- commands ----------------------------------------------------------------------------
    def insert_marker(self, value: float) -> None:
        """Put a marker on the next sample (and so into the recording).

        Raises
        ------
        BCIError
            If the value is invalid or no sample can carry it now (signal lost, not
            streaming).
        """
        if self._state is StreamState.SIGNAL_LOST:
            raise SourceError(
                "The signal is lost (reconnecting): no sample would carry the marker. Try "
                "again once it is back."
            )
        if self._opened is None or not self._state.active:
            raise SourceError("Connect a source first.")
        self._opened.source.insert_marker(value)
        self._emit(MarkerInserted(float(value)))

    def set_filters(self, settings) -> None:
        """Use these filters from now on (predictions wait for a cleanly filtered window).

        Raises
        ------
        ConfigError
            If they cannot run at this stream's sample rate.
        """
        engine = self._require_engine("change the filters")
        engine.set_filters(settings)
        self._link.add_event("filters_changed", json.dumps(settings.to_dict()))

    def set_model(self, ref: str) -> str:
        """Switch to the model ``ref`` names, between two predictions; its label.

        A model that cannot run on this stream leaves the current one in use.

        Raises
        ------
        BCIError
            If it cannot be loaded or cannot run here (the message says why).
        """
        engine = self._require_engine("switch the model")
        model, problem = switch_model(engine, ref, self._registry)
        label = model.metadata.label
        self._model = ResolvedModel(model, True, "chosen while streaming")
        self._link.add_event("model_changed", label)
        if self._watch is not None:
            self._watch.model_changed()
        if self._latency_fallback:
            self._arm_fallback(announce=False)
        if problem:
            self._notice(f"Model switched to {label}, but {problem} Predictions are withheld.",
                         NoticeLevel.WARNING)  # fmt: skip
        else:
            self._notice(f"Model switched to {label}.")
        self._emit(ModelChanged(label, trained_on_simulated(model.metadata)))
        return label

    def set_latency_fallback(self, enabled: bool) -> None:
        """Turn the latency fallback on or off (at once while streaming, else at start)."""
        self._latency_fallback = bool(enabled)
        engine = self._engine
        if engine is None:
            return
        if enabled:
            self._arm_fallback(announce=True)
        else:
            engine.set_fallback_model(None)
            self._notice("Latency fallback off: over-budget models only warn.")

    def _arm_fallback(self, *, announce: bool) -> None:
        armed, why_not = arm_fallback(self._engine, self._registry)
        if why_not:
            self._notice(why_not, NoticeLevel.WARNING)
        elif announce and armed:
            self._notice(armed)

    def start_recording(self, request: RecordRequest) -> RecordingStatus:
        """Record the stream into a new session folder (the stream goes on either way).

        Raises
        ------
        BCIError
            If nothing streams, a recording already runs, or the session cannot be created.
        """
        engine = self._engine
        if engine is None or not self._state.active:
            raise SourceError(
                "Recording needs a stream: connect a board or open a recording first."
            )
        return self._link.start_reported(request, engine)

    def continue_recording(self, folder: Path, gaps: int, dropped: int) -> RecordingStatus:
        """Continue the recording in ``folder`` and the gap count of an acquisition process
        that died (the break is one gap).

        Raises
        ------
        BCIError
            If nothing streams or the folder cannot be continued.
        """
        engine = self._require_engine("continue the recording")
        status = self._link.resume_reported(folder, engine.info)
        if self._gaps is not None:
            self._gaps.continue_from(gaps, dropped, "acquisition process restarted")
        return status

    def stop_recording(self) -> RecordingStatus:
        """Stop the recording cleanly (the stream goes on); the final status."""
        return self._link.stop_reported()

    def cue(self, cue: Cue) -> None:
        """What the person is shown changed: its marker and event go on the next sample, a
        source that is the person (simulated subject) follows it. BCIError if none streams."""
        opened = self._opened
        if opened is None or not self._state.active:
            raise SourceError("Connect a source first.")
        if cue.marker is not None:
            self.insert_marker(cue.marker)
        self.add_event(cue.event, cue.detail)
        if isinstance(opened.source, Participant):
            report = opened.source.follow(cue)
            if report is not None:
                self._emit(SubjectAnswered(report, cue.detail))

    def add_event(self, kind: str, detail: str = "") -> None:
        """Note an event (e.g. ``"calibration_start"``) in the recording, if one runs."""
        self._link.add_event_reported(kind, detail)
        if self._watch is not None:
            self._watch.note_event(kind, detail)

    def _jumped(self, position_s: float) -> None:
        """A replay seek: noted in the recording; the gap counter starts afresh and
        whatever shows the stream is told (:class:`ReplayJumped`)."""
        self._link.add_event("replay_seek", f"{position_s:.3f}")
        self._lsl.restart()
        if self._gaps is not None:
            self._gaps.restart()
        if self._watch is not None:
            self._watch.restart()
        replay = self._replay
        if replay is not None:
            self._emit(ReplayJumped(position_s, replay.source.start_time))

    def _require_engine(self, what: str) -> Engine:
        engine = self._engine
        if engine is None:
            raise SourceError(f"Cannot {what}: nothing is streaming.")
        return engine
