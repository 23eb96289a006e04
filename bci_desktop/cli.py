"""Command line of BCI Desktop: the GUI by default, headless sub-commands.

Exit codes: 0 success (Ctrl+C included), 2 bad input (bad option, unknown board, invalid
model), 1 a source that fails (missing or busy port, lost device) or any other failure.
Errors are one line on stderr, never a traceback; tracebacks go to the log file.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import fields
from pathlib import Path
from typing import IO, NoReturn

from bci_desktop import __version__
from bci_desktop.core.errors import (
    BCIError,
    ChannelMismatchError,
    ConfigError,
    InputFileError,
    ModelError,
)

logger = logging.getLogger("bci_desktop.cli")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# -- argument groups ---------------------------------------------------------------------
_CONNECTION_HELP = {
    "serial_port": "serial port of the board, e.g. /dev/ttyUSB0 or COM3",
    "mac_address": "Bluetooth MAC address",
    "ip_address": "IP address of the board",
    "ip_port": "IP port",
    "ip_protocol": "IP protocol (BrainFlow IpProtocolTypes: 0 none, 1 UDP, 2 TCP)",
    "serial_number": "serial number of the device",
    "file": "file to read (playback-file board)",
    "other_info": "board-specific extra information",
    "timeout": "connection timeout in seconds",
    "master_board": "board whose data a playback/streaming board carries (name or id)",
}


def _add_source_args(p: argparse.ArgumentParser) -> None:
    from bci_desktop.core.sources.boards import ConnectionParams

    src = p.add_argument_group("source")
    src.add_argument(
        "--board",
        default="synthetic",
        help="board name or BrainFlow id ('bci-desktop boards' lists them), or 'simulated' "
        "for the simulated subject (default: synthetic)",
    )
    src.add_argument(
        "--speed",
        default=None,
        help="simulated subject: times real time, or 'max' for as fast as possible",
    )
    src.add_argument(
        "--script",
        default=None,
        help="simulated subject: states and durations, e.g. 'calm:60,happy:60'",
    )
    src.add_argument("--channels", type=int, default=None, help="simulated subject: channels")
    src.add_argument("--seed", type=int, default=0, help="simulated subject: session seed")
    src.add_argument(
        "--subject-seed", type=int, default=None, help="simulated subject: which person"
    )
    src.add_argument(
        "--board-config",
        action="append",
        default=[],
        metavar="TEXT",
        help="string sent to the board after connecting (repeatable), e.g. loopback_false",
    )
    con = p.add_argument_group("connection (BrainFlow input parameters)")
    for f in fields(ConnectionParams):
        flag = "--" + f.name.replace("_", "-")
        kind = int if f.type in ("int", int) else str
        con.add_argument(
            flag, dest=f"conn_{f.name}", type=kind, default=None,
            help=_CONNECTION_HELP.get(f.name, argparse.SUPPRESS),
        )  # fmt: skip


def _connection_params(args: argparse.Namespace) -> object:
    from bci_desktop.core.sources.boards import ConnectionParams

    given = {
        f.name: getattr(args, f"conn_{f.name}")
        for f in fields(ConnectionParams)
        if getattr(args, f"conn_{f.name}", None) is not None
    }
    return ConnectionParams(**given)


def _add_pipeline_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("pipeline")
    g.add_argument(
        "--model",
        default=None,
        help="ONNX model file, or NAME[@VERSION] from 'bci-desktop models list' "
        "(default: the active model)",
    )
    g.add_argument("--no-model", action="store_true", help="filter and score quality only")
    g.add_argument("--notch", default=None, help="line-noise notch: 50, 60 or off")
    g.add_argument(
        "--bandpass",
        default=None,
        metavar="LO,HI",
        help="band-pass edges in Hz, e.g. 1,45, or 'off'",
    )
    g.add_argument("--car", action="store_true", help="common average reference")
    g.add_argument(
        "--latency-fallback",
        action="store_true",
        help="when the model's p99 latency exceeds its budget, switch to the fastest "
        "validated model for the same classes until it recovers (it always warns)",
    )


def _open_source(args: argparse.Namespace):
    """The source asked for; live boards are supervised (stall detection, reconnection)."""
    from bci_desktop.core.sources.factory import is_simulated, open_source, parse_speed

    params = _connection_params(args)
    speed = parse_speed(args.speed)

    def make():
        return open_source(
            args.board,
            params=params,
            board_config=args.board_config,
            speed=speed,
            script=args.script,
            channels=args.channels,
            seed=args.seed,
            subject_seed=args.subject_seed,
        )

    if is_simulated(args.board) or args.no_reconnect:
        return make()
    if not (math.isfinite(args.stall_timeout) and args.stall_timeout > 0):
        raise ConfigError(
            "Invalid value for the 'stall-timeout' parameter: expected a positive number of "
            f"seconds, but got {args.stall_timeout}."
        )
    from bci_desktop.core.sources.supervised import SupervisedSource

    port = params.serial_port
    return SupervisedSource(
        make,
        stall_timeout_s=args.stall_timeout,
        device_present=(lambda: os.path.exists(port)) if port else None,
    )


def _filters(args: argparse.Namespace, base):
    from dataclasses import replace

    from bci_desktop.core.dsp.filters import FilterSettings

    settings = base or FilterSettings()
    if args.notch is not None:
        text = str(args.notch).strip().lower()
        if text in ("off", "none", "0"):
            settings = replace(settings, notch_hz=None)
        else:
            try:
                settings = replace(settings, notch_hz=float(text))
            except ValueError:
                raise ConfigError(
                    "Invalid value for the 'notch' parameter. Allowed values are 50, 60 and "
                    f"off, but got {args.notch!r} instead."
                ) from None
    if args.bandpass is not None:
        text = args.bandpass.strip().lower()
        if text in ("off", "none"):
            settings = replace(settings, bandpass=None)
        else:
            try:
                lo, hi = (float(v) for v in text.split(","))
            except ValueError:
                raise ConfigError(
                    "Invalid value for the 'bandpass' parameter: expected LO,HI in Hz "
                    f"(e.g. 1,45) or off, but got {args.bandpass!r}."
                ) from None
            settings = replace(settings, bandpass=(lo, hi))
    if args.car:
        settings = replace(settings, common_average=True)
    return settings


def _load_model(args: argparse.Namespace, info=None):
    """The model to run: --model PATH or NAME[@VERSION], else the registry's active one.

    Returns the model (or None) and whether the user chose it explicitly.
    """
    from bci_desktop.core.inference.model import EmotionModel
    from bci_desktop.core.inference.registry import ModelRegistry

    if args.no_model:
        return None, False
    if args.model is not None:
        path = Path(args.model)
        if path.suffix.lower() == ".onnx" or path.exists():
            return EmotionModel.load(path), True
        return ModelRegistry().get(args.model).load(info), True
    return ModelRegistry().active().load(info), False


# -- commands ----------------------------------------------------------------------------
def cmd_boards(args: argparse.Namespace, out: IO[str]) -> int:
    """List the boards BrainFlow knows (and the simulated subject)."""
    from bci_desktop.core.sources.boards import list_boards

    boards = list_boards()
    if args.json:
        rows = [
            {
                "name": "simulated",
                "board_id": None,
                "sample_rate": 250,
                "n_eeg": 16,
                "eeg_names": [],
                "connection": [],
            }
        ]
        rows += [
            {
                "name": b.name,
                "board_id": b.board_id,
                "enum_name": b.enum_name,
                "sample_rate": b.sample_rate,
                "n_eeg": b.n_eeg,
                "eeg_names": list(b.eeg_names),
                "connection": list(b.connection),
            }
            for b in boards
        ]
        json.dump(rows, out, indent=2)
        out.write("\n")
        return EXIT_OK
    out.write(f"{'NAME':<26}{'ID':>5}{'RATE':>7}{'EEG':>5}  CONNECTION\n")
    out.write(f"{'simulated':<26}{'-':>5}{250:>7}{16:>5}  (none: the app's simulated subject)\n")
    for b in boards:
        rate = "-" if b.sample_rate is None else str(b.sample_rate)
        conn = ", ".join("--" + c.replace("_", "-") for c in b.connection) or "-"
        out.write(f"{b.name:<26}{b.board_id:>5}{rate:>7}{b.n_eeg:>5}  {conn}\n")
    return EXIT_OK


def cmd_run(args: argparse.Namespace, out: IO[str]) -> int:
    """Stream a board or the simulated subject headless."""
    return _stream(args, _open_source(args), out)


def cmd_replay(args: argparse.Namespace, out: IO[str]) -> int:
    """Play a recording through the same pipeline."""
    from bci_desktop.core.sources.factory import parse_speed
    from bci_desktop.core.sources.replay import ReplaySource

    source = ReplaySource(
        _session_path(args.source, must_be_session=False),
        speed=parse_speed(args.speed),
        master_board=args.master_board,
    )
    return _stream(args, source, out)


def _stream(args: argparse.Namespace, source, out: IO[str]) -> int:
    """Run a source through the engine: status lines, JSON lines, optional recording."""
    from bci_desktop.core.engine import Engine, EngineConfig
    from bci_desktop.core.runner import RunStats, StreamRunner

    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise ConfigError(
            f"Invalid value for the 'duration' parameter: expected a positive number of "
            f"seconds, but got {args.duration}."
        )
    model, explicit = _load_model(args, source.info)
    base = model.metadata.recipe.filters if model is not None else None
    config = EngineConfig(
        filters=_filters(args, base),
        strict_channels=explicit,
        latency_fallback=args.latency_fallback,
        fallback_model=_fallback_model(model, source.info) if args.latency_fallback else None,
    )
    try:
        engine = Engine(source.info, model=model, config=config)
    except ChannelMismatchError as exc:
        raise ConfigError(f"{exc} Choose a model made for this montage.") from exc
    record_dir = getattr(args, "record", None)
    if record_dir is not None:
        _check_record_dir(record_dir)

    with ExitStack() as stack:
        jsonl: IO[str] | None = None
        if args.jsonl == "-":
            jsonl = out
        elif args.jsonl is not None:
            try:
                jsonl = stack.enter_context(open(args.jsonl, "w", encoding="utf-8"))
            except OSError as exc:
                raise ConfigError(
                    f"Cannot write --jsonl file '{args.jsonl}': {exc.strerror}."
                ) from exc

        def on_update(update) -> None:
            tap.on_update(update)
            if jsonl is None:
                return
            for p in update.predictions:
                jsonl.write(json.dumps(p.to_dict()) + "\n")
            if update.predictions and jsonl is out:
                jsonl.flush()

        def on_status(stats: RunStats) -> None:
            if not args.quiet:
                sys.stderr.write(_status_line(stats, engine, tap, source) + "\n")
                sys.stderr.flush()

        tap = _recording_tap()
        runner = StreamRunner(
            source,
            engine,
            duration_s=args.duration,
            on_chunk=tap,
            on_update=on_update,
            on_status=on_status,
        )
        source.start()  # connect first: a board that cannot connect is the error to report
        stack.callback(source.stop)
        if hasattr(source, "on_event"):
            source.on_event = lambda event: _on_source_event(event, tap, args.quiet)
        if engine.model_problem and not args.quiet:
            sys.stderr.write(
                f"bci-desktop: warning: {engine.model_problem} Predictions are withheld.\n"
            )
        if record_dir is not None:
            tap.recorder = _start_recording(args, source, engine, model, record_dir)
            stack.callback(_finish_recording, tap, args.quiet)
        stop = threading.Event()
        interrupted = False
        previous = signal.signal(signal.SIGTERM, _terminate)  # `kill` stops as cleanly as Ctrl+C
        try:
            stats = runner.run(stop, started=True)
        except KeyboardInterrupt:
            interrupted = True
            stats = runner.stats
        finally:
            signal.signal(signal.SIGTERM, previous)
        if not args.quiet:
            sys.stderr.write(_summary_line(stats, interrupted) + "\n")
    return EXIT_OK


def _on_source_event(event, tap, quiet: bool) -> None:
    """A supervised source lost or regained the device: say it, and record it."""
    text = f"{event.kind.replace('_', ' ')}: {event.detail}" if event.detail else event.kind
    if not quiet:
        stamp = time.strftime("%H:%M:%S", time.localtime(event.wall_time))
        sys.stderr.write(f"[{stamp}] {text}\n")
        sys.stderr.flush()
    recorder = tap.recorder
    if recorder is not None and event.kind in ("signal_lost", "reconnected"):
        t = event.stream_time if event.stream_time is not None else None
        recorder.add_event(event.kind, event.detail, t=t)


def _fallback_model(model, info):
    """The fastest other validated model for the same classes (``--latency-fallback``)."""
    from bci_desktop.core.inference.registry import ModelRegistry

    if model is None:
        return None
    fallback = ModelRegistry().load_fallback_for(model, info)
    if fallback is None:
        sys.stderr.write(
            "bci-desktop: warning: --latency-fallback: no other validated model predicts "
            f"{', '.join(model.classes)}; the app will only warn when over budget.\n"
        )
    return fallback


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM: stop the stream the way Ctrl+C does (recording finished, summary printed)."""
    raise KeyboardInterrupt


def _recording_tap():
    from bci_desktop.core.recording import RecordingTap

    def on_error(exc: Exception) -> None:
        sys.stderr.write(f"bci-desktop: warning: {exc} Streaming goes on.\n")

    return RecordingTap(None, on_error=on_error)


def _check_record_dir(record_dir: str) -> None:
    path = Path(record_dir) if record_dir else None
    if path is not None and path.exists() and not path.is_dir():
        raise ConfigError(f"--record needs a folder, but '{path}' is a file.")


def _start_recording(args, source, engine, model, record_dir):
    from bci_desktop.core.recording import SessionRecorder, model_info

    folder = Path(record_dir) if record_dir else None
    try:
        return SessionRecorder.create(
            folder,
            source.info,
            subject=args.subject or "",
            notes=args.notes or "",
            filters=engine.filters.to_dict(),
            model=model_info(model),
            layout_board_id=getattr(source, "layout_board_id", source.info.board_id),
        )
    except OSError as exc:
        raise ConfigError(
            f"Cannot record into '{record_dir or 'the data folder'}': {exc}"
        ) from exc


def _finish_recording(tap, quiet: bool) -> None:
    recorder = tap.recorder
    if recorder is None:
        return
    recorder.stop()
    if not quiet:
        size_mb = recorder.size_bytes / 1e6
        sys.stderr.write(
            f"Recorded {recorder.elapsed_s:.1f} s ({size_mb:.1f} MB) to {recorder.folder}\n"
        )


def _session_path(text: str, *, must_be_session: bool = True) -> Path:
    """A session given as a path, or as a folder name under the data folder."""
    from bci_desktop.core.recording import data_dir

    path = Path(text)
    if path.exists():
        return path
    candidate = data_dir() / text
    if candidate.exists():
        return candidate
    what = "session" if must_be_session else "recording"
    raise ConfigError(
        f"No {what} '{text}': it is neither a path nor a session in {data_dir()} "
        "('bci-desktop sessions' lists them)."
    )


def cmd_sessions(args: argparse.Namespace, out: IO[str]) -> int:
    """List recorded sessions; with --recover finish interrupted ones first.

    Every field is printed escaped (:func:`~bci_desktop.core.terminal.printable`): a subject
    or source name holding escape sequences or line breaks cannot forge rows.
    """
    from bci_desktop.core.recording import data_dir, find_interrupted, list_sessions, recover
    from bci_desktop.core.terminal import printable as p

    folder = Path(args.dir) if args.dir else data_dir()
    if args.dir and not folder.is_dir():
        raise ConfigError(f"No sessions folder '{folder}': it does not exist or is not a folder.")
    recovered, failed = [], 0
    if args.recover:
        for path in find_interrupted(folder):
            try:
                recover(path)
            except BCIError as exc:
                failed += 1
                sys.stderr.write(f"bci-desktop: error: {p(exc)}\n")
                continue
            recovered.append(path)
    sessions = list_sessions(folder)
    if args.json:
        json.dump([s.to_dict() for s in sessions], out, indent=2, default=str)
        out.write("\n")
    else:
        for path in recovered:
            sys.stderr.write(f"Recovered interrupted session {p(path)}\n")
        if not sessions:
            out.write(f"No sessions in {p(folder)}\n")
        else:
            out.write(
                f"{'SESSION':<28}{'STARTED':<21}{'SUBJECT':<12}{'DURATION':>9}"
                f"{'SIZE':>9}  {'STATE':<12}SOURCE\n"
            )
        for s in sessions:
            started = _local_time(s.started)
            size = f"{s.size_bytes / 1e6:.1f}MB"
            state = s.state if s.error is None else f"broken: {s.error}"
            out.write(
                f"{p(s.name):<28}{p(started):<21}{p(s.subject or '-'):<12}"
                f"{s.duration_s:>8.1f}s{size:>9}  {p(state):<12}{p(s.source_name)}\n"
            )
        interrupted = [s for s in sessions if s.state == "interrupted"]
        if interrupted and not args.recover:
            sys.stderr.write(
                f"{len(interrupted)} interrupted session(s): run 'bci-desktop sessions "
                "--recover' to finish them.\n"
            )
    return EXIT_FAILURE if failed else EXIT_OK


def _local_time(iso: str | None) -> str:
    """An ISO 8601 time as 'YYYY-MM-DD HH:MM:SS' in the local time zone."""
    import datetime as dt

    if not iso:
        return "-"
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso[:19]


def cmd_models(args: argparse.Namespace, out: IO[str]) -> int:
    """Manage models: list, import, activate, roll back, validate."""
    from bci_desktop.core.inference.registry import ModelRegistry

    registry = ModelRegistry()
    action = args.action
    if action == "validate":
        report = registry.validate(args.file)
        if args.json:
            json.dump(report.to_dict(), out, indent=2)
            out.write("\n")
        else:
            _write_lines(out, report.summary())
        return EXIT_OK if report.ok else EXIT_USAGE
    if action == "import":
        entry = registry.import_file(args.file, replace=args.replace)
        _write_lines(
            out, f"Imported {entry.label} (sha256 {entry.sha256[:12]}...) into {entry.path}"
        )
        if args.activate:
            registry.activate(entry.label)
            out.write(f"Active model: {entry.label}\n")
        return EXIT_OK
    if action == "activate":
        entry = registry.activate(args.ref)
        out.write(f"Active model: {entry.label}\n")
        return EXIT_OK
    if action == "rollback":
        entry = registry.rollback()
        out.write(f"Rolled back; active model: {entry.label}\n")
        return EXIT_OK
    entries = registry.list()
    if args.json:
        rows = [
            {
                "name": e.name,
                "version": e.version,
                "label": e.label,
                "active": e.active,
                "source": e.source,
                "classes": list(e.classes),
                "sha256": e.sha256,
                "path": None if e.path is None else str(e.path),
                "p99_ms": e.p99_ms,
                "latency_budget_ms": e.latency_budget_ms,
                "metrics": e.metrics,
            }
            for e in entries
        ]
        json.dump(rows, out, indent=2, default=str)
        out.write("\n")
        return EXIT_OK
    out.write(f"  {'MODEL':<34}{'SOURCE':<10}{'CLASSES':<34}ACCURACY\n")
    for e in entries:
        acc = e.metrics.get("heldout", {}).get("accuracy") if e.metrics else None
        acc_txt = "-" if acc is None else f"{100 * acc:.1f}% (held out)"
        mark = "*" if e.active else " "
        classes = _printable(", ".join(e.classes), limit=32)
        out.write(f"{mark} {_printable(e.label):<34}{e.source:<10}{classes:<34}{acc_txt}\n")
    out.write("* active\n")
    return EXIT_OK


def cmd_train(args: argparse.Namespace, out: IO[str]) -> int:
    """Train a personal model on calibration sessions."""
    from bci_desktop.core.calibration import train_personal_model

    classes = None
    if args.classes:
        classes = tuple(c.strip() for c in args.classes.split(",") if c.strip())
    report = train_personal_model(
        [_session_path(s) for s in args.sessions],
        args.output,
        name=args.name,
        version=args.version,
        classes=classes,
        overwrite=args.overwrite,
    )
    _write_lines(out, report.summary())
    if args.activate:
        from bci_desktop.core.inference.registry import ModelRegistry

        registry = ModelRegistry()
        entry = registry.import_file(report.path, replace=args.overwrite)
        registry.activate(entry.label)
        out.write(f"Imported and activated {entry.label}\n")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, out: IO[str]) -> int:
    """Export a session to EDF+, BDF+, BrainFlow CSV or a predictions CSV."""
    from bci_desktop.core.recording.export import export_session

    path = export_session(
        _session_path(args.session),
        args.output,
        format=args.format,
        anonymize=args.anonymize,
        overwrite=args.overwrite,
        all_rows=args.all_rows,
    )
    _write_lines(out, str(path))
    return EXIT_OK


def _status_line(stats, engine, tap=None, source=None) -> str:
    p50, p99 = stats.latency.percentiles((50, 99))
    rate = stats.samples / stats.wall_seconds if stats.wall_seconds > 0 else 0.0
    quality = engine.quality.summary() if engine.quality is not None else "quality: -"
    last = stats.last_prediction
    if last is None:
        pred = "no prediction yet"
    elif last.withheld:
        pred = f"withheld ({last.withheld[:60]})"
    else:
        pred = f"{last.label} {last.confidence:.2f}"
        if last.truth is not None:
            pred += f" (truth {last.truth})"
    lat = "latency -" if math.isnan(p50) else f"latency p50 {p50:.2f} ms p99 {p99:.2f} ms"
    lost = _lost_text(source)
    if lost:
        pred = lost
    rec = ""
    if tap is not None and tap.recorder is not None:
        rec = (
            " | REC stopped" if tap.error is not None else f" | REC {tap.recorder.elapsed_s:.0f} s"
        )
    return (
        f"[{stats.stream_seconds:7.1f} s] {stats.samples} samples {rate:8.1f}/s | {quality} | "
        f"{pred} | {lat}{rec}"
    )


def _lost_text(source) -> str:
    """'SIGNAL LOST 12 s, next attempt in 4 s' while a supervised source is down, else ''."""
    state = getattr(source, "state", None)
    if state is None or getattr(state, "value", "streaming") in ("streaming", "stopped"):
        return ""
    text = state.label.upper()
    lost_for = source.lost_for_s
    if lost_for is not None:
        text += f" {lost_for:.0f} s"
    wait = source.next_attempt_in_s
    if wait is not None:
        text += f", next attempt in {wait:.0f} s"
    return text


def _summary_line(stats, interrupted: bool) -> str:
    wall = max(stats.wall_seconds, 1e-9)
    p50, p95, p99 = stats.latency.percentiles((50, 95, 99))
    parts = [
        f"{'Stopped' if interrupted else 'Done'}: {stats.stream_seconds:.1f} s of stream in "
        f"{wall:.1f} s ({stats.stream_seconds / wall:.1f}x real time)",
        f"{stats.predictions} predictions ({stats.withheld} withheld)",
    ]
    if stats.predictions:
        parts.append(f"latency p50 {p50:.3f} / p95 {p95:.3f} / p99 {p99:.3f} ms")
    if stats.accuracy is not None:
        parts.append(f"agreement with truth {100 * stats.accuracy:.1f}%")
    return "; ".join(parts)


def cmd_bench(args: argparse.Namespace, out: IO[str]) -> int:
    """Benchmark the pipeline (see bci_desktop.core.bench)."""
    from bci_desktop.core.bench import format_report, run_benchmarks

    report = run_benchmarks(quick=args.quick, repeats=args.repeats)
    if args.json:
        json.dump(report, out, indent=2)
        out.write("\n")
    else:
        out.write(format_report(report))
    return EXIT_OK


def cmd_gui(args: argparse.Namespace, out: IO[str]) -> int:
    """Open the window."""
    try:
        from bci_desktop.gui.app import run_gui
    except ImportError as exc:
        raise BCIError(
            f"The desktop window cannot start: {exc}. Headless commands still work "
            "('bci-desktop run --help')."
        ) from exc
    return run_gui(args)


#: Longest --duration (s): about 31 years; more overflows the sample count.
_MAX_DURATION_S = 1e9


def _duration(text: str) -> float:
    """``--duration``: a positive, finite number of seconds up to :data:`_MAX_DURATION_S`."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= _MAX_DURATION_S):
        raise argparse.ArgumentTypeError(
            f"invalid value for the 'duration' parameter: expected a positive number of "
            f"seconds up to {_MAX_DURATION_S:g}, but got {text!r}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``bci-desktop`` argument parser."""
    parser = _Parser(
        prog="bci-desktop",
        description="Real-time EEG: stream a headset or the synthetic board, filter, score "
        "signal quality, classify emotional state. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"bci-desktop {__version__}")
    parser.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"],
        help="console log level (the log file always gets everything)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("gui", help="open the window (the default)")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("boards", help="list the boards you can stream from")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_boards)

    p = sub.add_parser(
        "run",
        help="stream headless: status each second on stderr, predictions as JSON lines",
        description="Stream headless. One status line per second on stderr; with --jsonl, one "
        "JSON object per prediction (keys t, label, probabilities, confidence, latency_ms, "
        "withheld, truth). Ctrl+C stops cleanly.",
    )
    _add_source_args(p)
    _add_pipeline_args(p)
    p.add_argument(
        "--duration",
        type=_duration,
        default=None,
        help="seconds of stream time (default: forever)",
    )
    p.add_argument("--jsonl", default=None, metavar="FILE|-", help="write predictions here")
    p.add_argument("-q", "--quiet", action="store_true", help="no status lines")
    p.add_argument(
        "--record",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="record the session (into DIR, default: the app's data folder)",
    )
    p.add_argument(
        "--stall-timeout",
        type=float,
        default=2.0,
        metavar="S",
        help="live boards: seconds without samples before the signal counts as lost "
        "(default 2); reconnection is automatic, with backoff 1, 2, 4 ... 30 s",
    )
    p.add_argument(
        "--no-reconnect", action="store_true", help="live boards: do not supervise or reconnect"
    )
    p.add_argument("--subject", default=None, help="subject id stored with the recording")
    p.add_argument("--notes", default=None, help="session notes stored with the recording")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "replay",
        help="play a session, BrainFlow CSV or EDF/BDF file through the pipeline",
        description="Play a recorded session folder, a BrainFlow CSV file or an EDF/BDF file "
        "through the same pipeline as a live stream, in real time or faster.",
    )
    p.add_argument("source", help="session folder or name, .csv, .edf or .bdf file")
    p.add_argument("--speed", default="1", help="times real time, or 'max' (default 1)")
    p.add_argument(
        "--master-board", default=None, help="board layout of a BrainFlow CSV (default synthetic)"
    )
    _add_pipeline_args(p)
    p.add_argument("--duration", type=_duration, default=None, help="seconds of recording to play")
    p.add_argument("--jsonl", default=None, metavar="FILE|-", help="write predictions here")
    p.add_argument("-q", "--quiet", action="store_true", help="no status lines")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("sessions", help="list recorded sessions (and recover interrupted ones)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--recover", action="store_true", help="finish interrupted sessions first")
    p.add_argument("--dir", default=None, help="sessions folder (default: the app's data folder)")
    p.set_defaults(func=cmd_sessions)

    p = sub.add_parser("models", help="list, import, activate, roll back or validate models")
    msub = p.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION")
    m = msub.add_parser("list", help="models in the registry (the active one starred)")
    m.add_argument("--json", action="store_true", help="machine-readable output")
    m = msub.add_parser("import", help="validate a model file and copy it into the registry")
    m.add_argument("file", help="ONNX model file with BCI Desktop metadata (docs/models.md)")
    m.add_argument(
        "--replace", action="store_true", help="replace a different file of the same name@version"
    )
    m.add_argument("--activate", action="store_true", help="make it the active model")
    m = msub.add_parser("activate", help="make a model the active one")
    m.add_argument("ref", metavar="NAME[@VERSION]")
    msub.add_parser("rollback", help="go back to the previously active model")
    m = msub.add_parser("validate", help="check a model file without importing it")
    m.add_argument("file")
    m.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_models, action="list", json=False)

    p = sub.add_parser(
        "train",
        help="train a personal model on calibration sessions",
        description="Train a personal model on recorded calibration sessions (labelled blocks "
        "from the GUI's calibration flow, or the simulated subject's true state), with the "
        "live pipeline's features, block-wise cross-validation, and ONNX export.",
    )
    p.add_argument("sessions", nargs="+", metavar="SESSION", help="session folders or names")
    p.add_argument("-o", "--output", required=True, metavar="MODEL.onnx")
    p.add_argument("--name", default="personal", help="model name (default personal)")
    p.add_argument("--version", default="1", help="model version (default 1)")
    p.add_argument("--classes", default=None, help="comma-separated states (default: all)")
    p.add_argument("--overwrite", action="store_true", help="replace MODEL.onnx if it exists")
    p.add_argument("--activate", action="store_true", help="import and activate the model")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="export a session to EDF+, BDF+ or BrainFlow CSV")
    p.add_argument("session", help="session folder, or its name in the data folder")
    p.add_argument(
        "--format", required=True, choices=["edf", "bdf", "csv", "predictions"],
        help="edf/bdf: EDF+/BDF+ with annotations; csv: BrainFlow's file format; "
        "predictions: one CSV line per prediction",
    )  # fmt: skip
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    p.add_argument("--anonymize", action="store_true", help="replace the subject id with X")
    p.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    p.add_argument("--all-rows", action="store_true", help="also export accel, gyro, ... rows")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "bench", help="measure per-inference latency, throughput and memory of the pipeline"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quick", action="store_true", help="fewer windows (a smoke test)")
    p.add_argument("--repeats", type=int, default=None, help="windows timed per configuration")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``bci-desktop``: the one error boundary of the command line.

    Whatever a command raises ends here as one line on stderr (escaped: no terminal
    control characters) and an exit code: 2 for bad input (:class:`ConfigError`,
    :class:`ModelError`, :class:`InputFileError`), 1 for a failure (a device, a disk, an
    internal error). The traceback goes to the log file only.
    """
    from bci_desktop.core.inference.sandbox import CHILD_ARG, child_main
    from bci_desktop.core.logs import FILE_ONLY, setup_logging

    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == [CHILD_ARG]:  # a stand-alone app checking a model in a child process
        return child_main(given[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = setup_logging(getattr(logging, args.log_level.upper()))
    func = getattr(args, "func", cmd_gui)
    try:
        return func(args, sys.stdout)
    except BCIError as exc:
        logger.debug("Refused: %s", exc, exc_info=True)
        _error_line(str(exc))
        bad_input = isinstance(exc, ConfigError | ModelError | InputFileError)
        return EXIT_USAGE if bad_input else EXIT_FAILURE
    except (KeyboardInterrupt, BrokenPipeError):
        return EXIT_OK
    except MemoryError:
        logger.error("Out of memory", exc_info=True, extra=FILE_ONLY)
        _error_line(f"out of memory{_details(log_file)}")
        return EXIT_FAILURE
    except Exception as exc:  # the boundary: anything else is an internal error
        logger.error("Unexpected error", exc_info=True, extra=FILE_ONLY)
        text = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
        _error_line(f"unexpected {what}{_details(log_file)}")
        return EXIT_FAILURE


def _printable(value: object, *, limit: int | None = None) -> str:
    from bci_desktop.core.terminal import printable

    return printable(value, limit=limit)


def _write_lines(out: IO[str], text: str) -> None:
    """Write ``text`` line by line, each escaped (file contents never drive the terminal)."""
    for line in text.split("\n"):
        out.write(_printable(line) + "\n")


def _details(log_file: Path | None) -> str:
    return f"; details in {log_file}" if log_file else ""


def _error_line(message: str) -> None:
    """Print ``bci-desktop: error: MESSAGE`` as one escaped line (a closed stderr is ignored)."""
    from bci_desktop.core.terminal import printable

    try:
        sys.stderr.write(f"bci-desktop: error: {printable(message, limit=2000)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        logger.debug("stderr is closed; the error was: %s", message)


def gui_main() -> int:
    """Entry point of the windowed launcher."""
    from bci_desktop.core.inference.sandbox import CHILD_ARG

    if sys.argv[1:2] == [CHILD_ARG]:  # the stand-alone app as a model-checking child
        return main(sys.argv[1:])
    return main(["gui"])


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
