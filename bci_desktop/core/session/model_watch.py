"""What a stream session watches beside its model: the predictions' health and shadow trials.

:class:`ModelWatch` is the session's one listener at the engine's hop hook
(:attr:`Engine.on_hop <bci_desktop.core.engine.Engine.on_hop>`), called after each
prediction exists, with the prediction and the engine's filtered signal. It

- feeds every prediction to a :class:`~bci_desktop.core.inference.prediction_monitor.
  PredictionMonitor`: alarms that turn on or off are recorded as events
  (``prediction_alarm`` / ``prediction_alarm_cleared``) and said as
  :class:`~.model_messages.PredictionAlarmChanged`; the figures go out about once a second
  (:class:`~.model_messages.PredictionHealthStatus`);
- runs a shadow trial when asked (:meth:`start_trial`): the candidate
  (:class:`~bci_desktop.core.inference.shadow.ShadowModel`) on the same window, its figures
  counted (:class:`~bci_desktop.core.inference.trial.TrialTally`) and said about once a
  second (:class:`~.model_messages.TrialStatus`); at the end (its minutes are over, it was
  stopped, the candidate failed, the model in use changed, the stream stopped) the record
  goes into the registry's trial history and the recording (``shadow_trial_start`` /
  ``shadow_trial_end`` events), and :class:`~.model_messages.TrialEnded` is said.

Nothing here can change a prediction: the hook runs after the prediction was made, reads
the signal through read-only views, and any failure in it is caught here, logged and ends
the trial (or the monitoring), never the stream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bci_desktop.core.dsp.ring_buffer import RingBuffer
from bci_desktop.core.engine import Engine
from bci_desktop.core.errors import BCIError, ConfigError, SourceError, one_line
from bci_desktop.core.inference.prediction_monitor import (
    MonitorThresholds,
    PredictionMonitor,
    training_prior,
)
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.inference.shadow import ShadowModel
from bci_desktop.core.inference.trial import (
    TrialRequest,
    TrialTally,
    decide,
)
from bci_desktop.core.inference.trial_log import TrialLog, TrialRecord
from bci_desktop.core.prediction import Classifier, Prediction
from bci_desktop.core.session.model_messages import (
    PredictionAlarmChanged,
    PredictionHealthStatus,
    TrialEnded,
    TrialStatus,
)
from bci_desktop.core.session.models import load_model
from bci_desktop.core.session.status import Notice, NoticeLevel, SessionMessage

__all__ = ["STATUS_EVERY_S", "ModelWatch"]

logger = logging.getLogger(__name__)

#: How often the monitor's figures and a running trial's figures are said (wall s).
STATUS_EVERY_S = 1.0
#: Events in the recording.
CALIBRATION_START, CALIBRATION_ENDS = (
    "calibration_start",
    ("calibration_end", "calibration_cancelled"),
)


@dataclass
class _Trial:
    request: TrialRequest
    shadow: ShadowModel
    tally: TrialTally
    end_hops: int | None
    due: float = 0.0


class ModelWatch:
    """Prediction monitoring and shadow trials of one engine.

    Parameters
    ----------
    engine : Engine
        Its hop hook is taken (:attr:`Engine.on_hop`).
    emit : callable
        The session's message callback.
    record_event : callable
        ``(kind, detail, t=stream_time)``: notes an event in the recording, if one runs.
    registry : ModelRegistry or None
        Where candidates are found and trials are kept (``None``: the user's registry).
    thresholds : MonitorThresholds or None
        Of the prediction monitor.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        emit: Callable[[SessionMessage], None],
        record_event: Callable[..., None],
        registry: ModelRegistry | None = None,
        thresholds: MonitorThresholds | None = None,
    ) -> None:
        self._engine = engine
        self._emit = emit
        self._record = record_event
        self._registry = registry
        self._thresholds = thresholds or MonitorThresholds()
        self._monitor = self._new_monitor()
        self._trial: _Trial | None = None
        self._calibration_label: str | None = None
        self._health_due = 0.0
        engine.on_hop = self._on_hop

    # -- reading ---------------------------------------------------------------------------
    @property
    def monitor(self) -> PredictionMonitor | None:
        """The prediction monitor of the model in use (``None`` without a model)."""
        return self._monitor

    @property
    def trial_running(self) -> bool:
        """True while a shadow trial runs."""
        return self._trial is not None

    def trial_status(self) -> TrialStatus | None:
        """The running trial's figures and decision now (``None`` without a trial)."""
        trial = self._trial
        if trial is None:
            return None
        figures = trial.tally.figures()
        thresholds = trial.request.thresholds
        return TrialStatus(figures, thresholds, decide(figures, thresholds), trial.request.minutes)

    # -- commands --------------------------------------------------------------------------
    def start_trial(self, request: TrialRequest, model: Classifier | None = None) -> str:
        """Run ``request``'s candidate in shadow from the next hop on; its label.

        ``model`` is the candidate already loaded (else ``request.ref`` is loaded).

        Raises
        ------
        BCIError
            If a trial already runs, no model is in use or it cannot run here, or the
            candidate cannot be loaded, is the model in use, predicts other classes, or
            cannot run on this stream.
        """
        engine = self._engine
        if self._trial is not None:
            raise ConfigError(
                f"A shadow trial of {self._trial.tally.candidate} is already running: stop "
                "it first."
            )
        active = engine.primary_model
        if active is None:
            raise ConfigError(
                "A shadow trial compares a candidate with the model in use, and no model is "
                "in use: choose a model first."
            )
        if engine.model_problem:
            raise ConfigError(
                f"The model in use cannot run on this stream ({engine.model_problem}), so "
                "there is nothing to compare with: activate the candidate directly instead."
            )
        candidate = model or load_model(request.ref, engine.info, self._registry)
        label, active_label = candidate.metadata.label, active.metadata.label
        if label == active_label:
            raise ConfigError(f"{label} is the model in use: choose another model to try.")
        if set(candidate.classes) != set(active.classes):
            raise ConfigError(
                f"{label} predicts {', '.join(candidate.classes)}, but the model in use "
                f"predicts {', '.join(active.classes)}: a shadow trial compares models of "
                "the same classes."
            )
        shadow = ShadowModel(
            candidate, engine.info, hop_samples=engine.hop_samples, config=engine.config
        )
        kept = max(engine.config.history_s * engine.sample_rate, engine.window_samples)
        if shadow.window_samples > kept:
            raise ConfigError(
                f"{label} needs {shadow.window_samples / engine.sample_rate:g} s windows, but "
                f"the stream keeps {kept / engine.sample_rate:g} s: it cannot be tried here."
            )
        hop_s = engine.hop_samples / engine.sample_rate
        minutes = request.minutes
        self._trial = _Trial(
            request,
            shadow,
            TrialTally(label, active_label, hop_s=hop_s, budget_ms=shadow.budget_ms),
            None if minutes is None else max(1, round(minutes * 60.0 / hop_s)),
        )
        length = "until stopped" if minutes is None else f"for {minutes:g} min"
        self._record("shadow_trial_start", f"{label} beside {active_label}, {length}")
        self._notice(f"Shadow trial: {label} runs beside {active_label} {length}.")
        self._say_trial(time.perf_counter())
        return label

    def stop_trial(self, why: str = "stopped by the user") -> TrialRecord:
        """End the running trial now; its record.

        Raises
        ------
        SourceError
            If no trial runs.
        """
        if self._trial is None:
            raise SourceError("No shadow trial is running.")
        return self._end_trial(why)

    def note_event(self, kind: str, detail: str) -> None:
        """An event of the recording: calibration blocks give the trial its labels."""
        if kind == CALIBRATION_START:
            model = self._engine.primary_model
            classes = model.classes if model is not None else ()
            self._calibration_label = detail if detail in classes else None
        elif kind in CALIBRATION_ENDS:
            self._calibration_label = None

    def model_changed(self) -> None:
        """The model in use changed: a trial against the previous one ends, monitoring
        starts afresh."""
        if self._trial is not None:
            model = self._engine.primary_model
            label = model.metadata.label if model is not None else "none"
            self._end_trial(f"the model in use changed to {label}")
        self.restart()

    def restart(self) -> None:
        """Start monitoring afresh (a replay seek, a new model)."""
        self._monitor = self._new_monitor()

    def close(self, why: str = "the stream stopped") -> None:
        """The stream stops: end a running trial (recorded), leave the engine's hook."""
        if self._trial is not None:
            self._end_trial(why)
        if self._engine.on_hop == self._on_hop:
            self._engine.on_hop = None

    # -- the hook --------------------------------------------------------------------------
    def _on_hop(self, prediction: Prediction, filtered: RingBuffer) -> None:
        """After the engine made ``prediction``: monitor it, run the shadow."""
        now = time.perf_counter()
        try:
            self._watch(prediction, now)
        except Exception as exc:  # a fault here must never reach the stream
            logger.exception("Prediction monitoring failed; it is off for this model")
            self._monitor = None
            self._notice(f"Prediction monitoring stopped: {one_line(exc)}", NoticeLevel.ERROR)
        trial = self._trial
        if trial is None:
            return
        try:
            self._trial_hop(trial, prediction, filtered, now)
        except Exception as exc:  # the shadow catches the candidate's; this is ours
            logger.exception("The shadow trial failed")
            self._end_trial(f"the trial failed: {one_line(exc)}")

    def _watch(self, prediction: Prediction, now: float) -> None:
        monitor = self._monitor
        if monitor is None:
            return
        changes = monitor.update(prediction)
        for change in changes:
            kind = "prediction_alarm" if change.on else "prediction_alarm_cleared"
            self._record(kind, f"{change.alarm.value}: {change.text}", t=change.t)
            self._emit(
                PredictionAlarmChanged(
                    change.alarm, change.on, change.text, change.t, monitor.model
                )
            )
        if changes or now >= self._health_due:  # at once when an alarm turns
            self._health_due = now + STATUS_EVERY_S
            self._emit(PredictionHealthStatus(monitor.health))

    def _trial_hop(
        self, trial: _Trial, prediction: Prediction, filtered: RingBuffer, now: float
    ) -> None:
        result = trial.shadow.run(prediction, filtered, self._engine.quality)
        if prediction.truth is not None:
            truth, source = prediction.truth, "simulated subject's true state"
        elif self._calibration_label is not None:
            truth, source = self._calibration_label, "calibration labels"
        else:
            truth = source = None
        trial.tally.add(prediction, result, truth, source)
        if result.stopped is not None:
            self._end_trial(f"the candidate was stopped: {result.stopped}")
        elif trial.end_hops is not None and trial.tally.hops >= trial.end_hops:
            self._end_trial(f"{trial.request.minutes:g} min of stream done")
        elif now >= trial.due:
            self._say_trial(now)

    # -- internals -------------------------------------------------------------------------
    def _say_trial(self, now: float) -> None:
        trial, status = self._trial, self.trial_status()
        if trial is None or status is None:
            return
        trial.due = now + STATUS_EVERY_S
        self._emit(status)

    def _end_trial(self, why: str) -> TrialRecord:
        trial, self._trial = self._trial, None
        assert trial is not None
        record = TrialRecord.now(
            trial.tally.figures(),
            trial.request.thresholds,
            why_ended=why,
            source=self._engine.info.source_name,
        )
        error = None
        try:
            TrialLog(self._registry_root()).append(record)
        except (OSError, BCIError) as exc:
            error = f"the trial could not be kept in the model history: {one_line(exc)}"
            logger.error("%s", error)
        self._record("shadow_trial_end", f"{record.figures.candidate}: {record.summary()}")
        level = NoticeLevel.WARNING if trial.tally.stopped else NoticeLevel.INFO
        self._notice(
            f"Shadow trial of {record.figures.candidate} ended ({why}): "
            f"{record.decision.summary()}.",
            level,
        )
        self._emit(TrialEnded(record, error))
        return record

    def _registry_root(self):
        if self._registry is None:
            self._registry = ModelRegistry()
        return self._registry.root

    def _new_monitor(self) -> PredictionMonitor | None:
        model = self._engine.primary_model
        if model is None:
            return None
        meta = model.metadata
        return PredictionMonitor(
            meta.label,
            model.classes,
            training_prior(model.classes, meta.metrics),
            hop_s=self._engine.hop_samples / self._engine.sample_rate,
            thresholds=self._thresholds,
        )

    def _notice(self, text: str, level: NoticeLevel = NoticeLevel.INFO) -> None:
        logger.log(int(level), "%s", text)
        self._emit(Notice(text, level))
