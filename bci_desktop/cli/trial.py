"""``bci-desktop models trial``: run a candidate model in shadow on a live stream, decide.

The stream is the one ``bci-desktop run`` would open with the same source options (the same
:class:`~bci_desktop.core.session.StreamSession`); the candidate runs beside the model in use
(:class:`~bci_desktop.core.session.model_watch.ModelWatch`) for ``--minutes`` of stream, one
status line per second on stderr. At the end the comparison and the decision are printed
(``--json``: the record as kept in the registry's history), and a candidate that passes
every check is activated, unless ``--no-promote``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import signal
import sys
from typing import IO

from bci_desktop.cli.common import EXIT_OK, terminal_text
from bci_desktop.cli.stream import session_options, source_spec
from bci_desktop.core.errors import ModelError, interrupted_by_user
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.inference.trial import TrialFigures, TrialRequest, TrialThresholds, Verdict
from bci_desktop.core.inference.trial_log import TrialRecord
from bci_desktop.core.session import (
    Notice,
    NoticeLevel,
    SessionMessage,
    StreamSession,
    TrialEnded,
    TrialStatus,
)
from bci_desktop.core.session.spec import describe_spec

__all__ = ["cmd_trial", "thresholds_from", "trial_report"]


def thresholds_from(args: argparse.Namespace) -> TrialThresholds:
    """The decision's thresholds from the options (percent points as the user types them)."""
    base = TrialThresholds()
    return TrialThresholds(
        min_compared=base.min_compared if args.min_compared is None else args.min_compared,
        max_accuracy_loss=_points(args.max_accuracy_loss, base.max_accuracy_loss),
        min_agreement=_points(args.min_agreement, base.min_agreement),
        max_withheld_increase=_points(args.max_withheld_increase, base.max_withheld_increase),
        max_drift_alarm_share=_points(args.max_drift_alarm, base.max_drift_alarm_share),
    )


def _points(value: float | None, default: float) -> float:
    return default if value is None else value / 100.0


def cmd_trial(args: argparse.Namespace, out: IO[str]) -> int:
    """Run the trial; print the comparison and the decision; promote when it says so."""
    request = TrialRequest(args.ref, args.minutes, thresholds_from(args))
    registry = ModelRegistry()
    printer = _Printer(quiet=args.quiet)
    spec = source_spec(args)
    options = session_options(args, record=None)
    session = StreamSession(spec, options, on_message=printer.on_message, registry=registry)
    session.start()
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        watch = session.watch
        assert watch is not None
        watch.start_trial(request)
        try:
            session.run(lambda: printer.ended is not None)
        except (KeyboardInterrupt, ctypes.ArgumentError) as exc:
            if not interrupted_by_user(exc):
                raise
            if watch.trial_running:
                watch.stop_trial("stopped by the user (Ctrl+C)")
        if watch.trial_running:
            watch.stop_trial("the stream ended")
    finally:
        signal.signal(signal.SIGTERM, previous)
        session.stop()
    ended = printer.ended
    if ended is None:  # never started: the refusal was raised above
        return EXIT_OK
    record = ended.record
    if args.json:
        json.dump(record.to_dict(), out, indent=2)
        out.write("\n")
    else:
        out.write(trial_report(record, describe_spec(spec)) + "\n")
    if ended.saved_error:
        sys.stderr.write(terminal_text(f"bci-desktop: warning: {ended.saved_error}") + "\n")
    if record.verdict is Verdict.PROMOTE and not args.no_promote:
        label = _promote(registry, args.ref, record.figures)
        text = (
            f"Promoted: {label} is the active model now ('bci-desktop models rollback' undoes it)."
        )
        (sys.stderr if args.json else out).write(text + "\n")
    return EXIT_OK


def _promote(registry: ModelRegistry, ref: str, figures: TrialFigures) -> str:
    """Activate the candidate (importing it first when it was given as a file)."""
    from pathlib import Path

    path = Path(ref).expanduser()
    if path.suffix.lower() == ".onnx" or path.is_file():
        entry = registry.import_file(path)
        if entry.label != figures.candidate:
            raise ModelError(f"The file {path} no longer holds {figures.candidate}.")
    return registry.activate(figures.candidate).label


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def trial_report(record: TrialRecord, source: str) -> str:
    """The comparison and the decision, as printed at the end of a trial."""
    f = record.figures
    rows = [
        f"Shadow trial of {f.candidate} beside {f.active} on {source}: "
        f"{f.stream_s / 60:.1f} min ({record.why_ended})",
        f"  {'':<22}{'candidate':>12}{'active':>12}",
        f"  {'withheld':<22}{_pct(f.candidate_withheld):>12}{_pct(f.active_withheld):>12}",
        f"  {'mean confidence':<22}{_num(f.candidate_confidence):>12}"
        f"{_num(f.active_confidence):>12}",
        f"  {'latency p50 (ms)':<22}{_num(f.candidate_p50_ms, 3):>12}"
        f"{_num(f.active_p50_ms, 3):>12}",
        f"  {'latency p99 (ms)':<22}{_num(f.candidate_p99_ms, 3):>12}"
        f"{_num(f.active_p99_ms, 3):>12}",
    ]
    if f.labelled:
        rows.append(
            f"  {'accuracy':<22}{_pct(f.candidate_accuracy):>12}{_pct(f.active_accuracy):>12}"
            f"   (against the {f.truth_source}, {f.labelled} hops)"
        )
    rows.append(f"  agreement with the active model {_pct(f.agreement)} over {f.compared} hops")
    rows.append(
        "  confidence histogram (0-1 in tenths): candidate "
        f"{' '.join(str(v) for v in f.candidate_histogram)}; active "
        f"{' '.join(str(v) for v in f.active_histogram)}"
    )
    if f.candidate_drift is not None:
        rows.append(
            f"  candidate drift {f.candidate_drift:.2f} on average, alarm on for "
            f"{_pct(f.candidate_drift_alarm_share)} of its predictions"
        )
    if f.stopped:
        rows.append(f"  the candidate was stopped: {f.stopped}")
    rows.append(f"Decision: {record.verdict.value.upper()}")
    rows += [f"  [{'ok' if ok else 'NO'}] {text}" for text, ok in record.decision.checks]
    return "\n".join(terminal_text(row) for row in rows)


def status_line(status: TrialStatus) -> str:
    """One status line of a running trial."""
    f = status.figures
    if f.labelled:
        figure = f"accuracy {_pct(f.candidate_accuracy)} vs {_pct(f.active_accuracy)}"
    else:
        figure = f"agreement {_pct(f.agreement)}"
    left = "" if status.minutes is None else f" of {status.minutes:g}"
    return (
        f"[{f.stream_s / 60:5.1f}{left} min] trial {f.candidate}: {figure}, withheld "
        f"{_pct(f.candidate_withheld)}, p99 {_num(f.candidate_p99_ms, 2)} ms -> "
        f"{status.decision.verdict.value} so far"
    )


class _Printer:
    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.ended: TrialEnded | None = None

    def on_message(self, message: SessionMessage) -> None:
        match message:
            case TrialStatus():
                self._say(status_line(message))
            case TrialEnded():
                self.ended = message
            case Notice(level=level) if level >= NoticeLevel.WARNING:
                self._say(f"bci-desktop: warning: {message.text}")

    def _say(self, line: str) -> None:
        if not self.quiet:
            sys.stderr.write(terminal_text(line) + "\n")
            sys.stderr.flush()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
