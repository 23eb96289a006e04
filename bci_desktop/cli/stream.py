"""``bci-desktop run`` and ``replay``: parse, drive one stream session, print.

Everything between the arguments and the output is the
:class:`~bci_desktop.core.session.StreamSession` the window drives too; this module only
turns options into a source spec and session options, and prints what the session says:
one status line per second on stderr, one JSON object per prediction with ``--jsonl``.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import math
import signal
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from bci_desktop.cli.common import EXIT_FAILURE, EXIT_OK, session_path, terminal_text
from bci_desktop.cli.lsl import lsl_query, marker_query
from bci_desktop.core.errors import ConfigError, SourceError, interrupted_by_user
from bci_desktop.core.jsonsafe import prediction_json
from bci_desktop.core.limits import MAX_SEED
from bci_desktop.core.session import (
    KEEP,
    FilterOverrides,
    LslSpec,
    ModelRequest,
    Notice,
    NoticeLevel,
    RecordingStatus,
    RecordRequest,
    ReplaySpec,
    SessionMessage,
    SessionOptions,
    SourceSpec,
    StreamSession,
    StreamStatus,
    Supervision,
    spec_for_board,
)
from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.factory import parse_speed
from bci_desktop.core.sources.supervised import SourceEvent
from bci_desktop.core.validate import check_int, invalid

logger = logging.getLogger(__name__)

__all__ = ["cmd_replay", "cmd_run"]


# -- from options to a session ---------------------------------------------------------------
def connection_params(args: argparse.Namespace) -> ConnectionParams:
    """BrainFlow's input parameters from the ``--serial-port``... options."""
    given = {
        f.name: getattr(args, f"conn_{f.name}")
        for f in fields(ConnectionParams)
        if getattr(args, f"conn_{f.name}", None) is not None
    }
    return ConnectionParams(**given)


def source_spec(args: argparse.Namespace) -> SourceSpec:
    """The source ``run`` streams."""
    query = lsl_query(args)
    if query is not None:
        if parse_speed(args.speed) != 1.0 or args.script is not None:
            raise ConfigError(
                "The 'speed' and 'script' options apply to the simulated subject; an LSL "
                "stream streams in real time."
            )
        return LslSpec(query, wait_s=getattr(args, "lsl_wait", 5.0))
    subject_seed = args.subject_seed
    if subject_seed is not None:
        subject_seed = check_int("subject-seed", subject_seed, minimum=0, maximum=MAX_SEED)
    return spec_for_board(
        args.board,
        params=connection_params(args),
        board_config=tuple(args.board_config),
        speed=parse_speed(args.speed),
        script=args.script,
        channels=args.channels,
        seed=check_int("seed", args.seed, minimum=0, maximum=MAX_SEED),
        subject_seed=subject_seed,
        montage=args.montage,
        responsive=not getattr(args, "non_responder", False),
    )


def filter_overrides(args: argparse.Namespace) -> FilterOverrides:
    """``--notch``, ``--bandpass`` and ``--car`` as changes to the model's filters."""
    notch: Any = KEEP
    if args.notch is not None:
        text = str(args.notch).strip().lower()
        if text in ("off", "none", "0"):
            notch = None
        else:
            try:
                notch = float(text)
            except ValueError:
                raise invalid("notch", "50, 60 or off", args.notch) from None
    bandpass: Any = KEEP
    if args.bandpass is not None:
        text = args.bandpass.strip().lower()
        if text in ("off", "none"):
            bandpass = None
        else:
            try:
                lo, hi = (float(v) for v in text.split(","))
            except ValueError:
                raise invalid(
                    "bandpass", "LO,HI in Hz (e.g. 1,45) or off", args.bandpass
                ) from None
            bandpass = (lo, hi)
    return FilterOverrides(notch, bandpass, True if args.car else KEEP)


def session_options(args: argparse.Namespace, *, record: RecordRequest | None) -> SessionOptions:
    """Model, filters, supervision, duration and recording from the options."""
    if args.no_model:
        model = ModelRequest.none()
    else:
        model = ModelRequest(args.model)
    follow, markers = marker_query(args)
    return SessionOptions(
        model=model,
        filters=filter_overrides(args),
        refuse_unfit_model=True,
        latency_fallback=args.latency_fallback,
        supervision=Supervision(
            stall_timeout_s=getattr(args, "stall_timeout", 2.0),
            reconnect=not getattr(args, "no_reconnect", False),
        ),
        duration_s=args.duration,
        record=record,
        lsl_outlets=getattr(args, "lsl", False),
        lsl_markers=follow,
        lsl_marker_query=markers,
    )


# -- commands --------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace, out: IO[str]) -> int:
    """Stream a board or the simulated subject headless."""
    record = None
    if args.record is not None:
        record = RecordRequest(subject=args.subject or "", notes=args.notes or "",
                               folder=args.record or None)  # fmt: skip
    return _stream(args, source_spec(args), session_options(args, record=record), out)


def cmd_replay(args: argparse.Namespace, out: IO[str]) -> int:
    """Play a recording through the same pipeline."""
    spec = ReplaySpec(
        session_path(args.source, must_be_session=False),
        speed=parse_speed(args.speed),
        master_board=args.master_board,
    )
    return _stream(args, spec, session_options(args, record=None), out)


def _stream(
    args: argparse.Namespace, spec: SourceSpec, options: SessionOptions, out: IO[str]
) -> int:
    printer = _Printer(quiet=args.quiet)
    with _JsonLines(args.jsonl, out) as jsonl:
        session = StreamSession(spec, options, on_message=printer.on_message)
        session.start()
        previous = signal.signal(signal.SIGTERM, _terminate)  # `kill` stops like Ctrl+C
        interrupted = False
        try:
            session.run(lambda: False, jsonl.write)
        except KeyboardInterrupt:
            interrupted = True
        except ctypes.ArgumentError as exc:  # Ctrl+C inside a BrainFlow call
            if not interrupted_by_user(exc):
                raise
            interrupted = True
        finally:
            signal.signal(signal.SIGTERM, previous)
            session.stop()
    stats = session.stats
    if not args.quiet:
        gaps = session.gaps
        sys.stderr.write(_summary(stats, gaps.gaps if gaps else 0, interrupted) + "\n")
    if printer.recording_error is not None or jsonl.failed:
        return EXIT_FAILURE  # the stream ran to its end, but its recording or output did not
    if stats.samples == 0 and not interrupted:
        raise SourceError(
            f"{session.info.source_name if session.info else 'The source'} delivered no "
            "samples: check the device or file."
        )
    return EXIT_OK


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM: stop the stream the way Ctrl+C does (recording finished, summary printed)."""
    raise KeyboardInterrupt


# -- output ----------------------------------------------------------------------------------
class _Printer:
    """Prints what the session says on stderr."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.recording_error: str | None = None
        self._withheld: str | None = None

    def on_message(self, message: SessionMessage) -> None:
        match message:
            case StreamStatus():
                self._withheld_once(message)
                self._say(status_line(message))
            case SourceEvent():
                stamp = time.strftime("%H:%M:%S", time.localtime(message.wall_time))
                self._say(f"[{stamp}] {message.kind.replace('_', ' ')}: {message.detail}")
            case Notice(level=level) if level >= NoticeLevel.WARNING:
                self._say(f"bci-desktop: warning: {message.text}")
            case Notice():
                self._say(f"bci-desktop: {message.text}")
            case RecordingStatus(recording=False):
                self._recording_ended(message)

    def _withheld_once(self, status: StreamStatus) -> None:
        """Say in full why predictions are withheld, once per reason (the status line cuts
        it short)."""
        last = status.last_prediction
        reason = last.withheld if last is not None else None
        if reason is not None and reason != self._withheld:
            self._say(f"bci-desktop: predictions withheld: {reason}")
        self._withheld = reason

    def _recording_ended(self, status: RecordingStatus) -> None:
        if status.error is not None:
            self.recording_error = status.error
            return  # said as a warning notice already
        size_mb = status.size_bytes / 1e6
        self._say(f"Recorded {status.elapsed_s:.1f} s ({size_mb:.1f} MB) to {status.folder}")

    def _say(self, line: str) -> None:
        if not self.quiet:
            sys.stderr.write(terminal_text(line) + "\n")
            sys.stderr.flush()


def status_line(s: StreamStatus) -> str:
    """``[  12.0 s] 3000 samples  250.0/s | quality | prediction | latency | gaps | REC``."""
    quality = s.quality.summary() if s.quality is not None else "quality: -"
    last = s.last_prediction
    if s.lost_for_s is not None:
        pred = f"{s.source_state.upper()} {s.lost_for_s:.0f} s"
        if s.next_attempt_in_s is not None:
            pred += f", next attempt in {s.next_attempt_in_s:.0f} s"
    elif last is None:
        pred = "no prediction yet"
    elif last.withheld:
        why = last.withheld
        pred = f"withheld ({why if len(why) <= 60 else why[:57].rstrip() + '...'})"
    else:
        pred = f"{last.label} {last.confidence:.2f}"
        if last.truth is not None:
            pred += f" (truth {last.truth})"
    p50, p99 = s.latency_p50_ms, s.latency_p99_ms
    lat = "latency -" if math.isnan(p50) else f"latency p50 {p50:.2f} ms p99 {p99:.2f} ms"
    if not math.isnan(s.source_latency_p50_ms):
        lat += f" (from LSL time stamp p50 {s.source_latency_p50_ms:.1f} ms)"
    rate = 0.0 if math.isnan(s.rate) else s.rate
    rec = f" | REC {s.recording.elapsed_s:.0f} s" if s.recording is not None else ""
    return (
        f"[{s.stream_seconds:7.1f} s] {s.samples} samples {rate:8.1f}/s | {quality} | {pred} | "
        f"{lat} | {_gaps_text(s.gaps)}{rec}"
    )


def _summary(stats, gaps: int, interrupted: bool) -> str:
    wall = max(stats.wall_seconds, 1e-9)
    p50, p95, p99 = stats.latency.percentiles((50, 95, 99))
    parts = [
        f"{'Stopped' if interrupted else 'Done'}: {stats.stream_seconds:.1f} s of stream in "
        f"{wall:.1f} s ({stats.stream_seconds / wall:.1f}x real time)",
        f"{stats.predictions} predictions ({stats.withheld} withheld)",
    ]
    if stats.predictions:
        parts.append(f"latency p50 {p50:.3f} / p95 {p95:.3f} / p99 {p99:.3f} ms")
    if stats.source_latency.count:
        s50, s99 = stats.source_latency.percentiles((50, 99))
        parts.append(f"from LSL time stamp p50 {s50:.1f} / p99 {s99:.1f} ms")
    if stats.accuracy is not None:
        parts.append(f"agreement with truth {100 * stats.accuracy:.1f}%")
    parts.append(_gaps_text(gaps))
    return "; ".join(parts)


def _gaps_text(n: int) -> str:
    return "1 gap" if n == 1 else f"{n} gaps"


class _JsonLines:
    """``--jsonl FILE|-``: one strict JSON object per prediction. A failure to write (a full
    disk) stops the JSON lines with a warning, never the stream or its recording."""

    def __init__(self, target: str | None, out: IO[str]) -> None:
        self.target = target
        self._out = out
        self._file: IO[str] | None = None
        #: True once writing failed (the run then ends with exit code 1).
        self.failed = False

    def __enter__(self) -> _JsonLines:
        if self.target == "-":
            self._file = self._out
        elif self.target is not None:
            path = Path(self.target)
            try:
                self._file = open(path, "w", encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"Cannot write --jsonl file '{self.target}': {exc.strerror}."
                ) from exc
        return self

    def write(self, updates: list) -> None:
        out = self._file
        if out is None:
            return
        try:
            for update in updates:
                for p in update.predictions:
                    out.write(prediction_json(p) + "\n")
            if out is self._out:
                out.flush()
        except OSError as exc:
            self._give_up(exc)

    def _give_up(self, exc: OSError) -> None:
        logger.warning("Writing the JSON lines to %s failed: %s", self.target, exc)
        sys.stderr.write(
            terminal_text(
                f"bci-desktop: warning: cannot write --jsonl {self.target}: {exc.strerror}; "
                "predictions are no longer written there, the stream goes on."
            )
            + "\n"
        )
        self.failed = True
        file, self._file = self._file, None
        if file is not None and file is not self._out:
            self._close(file)

    def _close(self, file: IO[str]) -> None:
        try:
            file.close()
        except OSError as exc:
            logger.warning("Closing %s failed: %s", self.target, exc)
            self.failed = True

    def __exit__(self, *exc_info: object) -> None:
        file, self._file = self._file, None
        if file is not None and file is not self._out:
            self._close(file)
