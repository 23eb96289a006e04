"""The ``bci-desktop`` argument parser: every command and option, and where each goes."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import fields
from typing import NoReturn

from bci_desktop.cli.common import EXIT_OK, OneLineParser

__all__ = ["build_parser"]

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


class _VersionAction(argparse.Action):
    """``--version``: the app's version, then its libraries' and the active model."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> NoReturn:
        from bci_desktop.core.versions import gather_versions

        sys.stdout.write("\n".join(gather_versions().lines()) + "\n")
        parser.exit(EXIT_OK)


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
        help="board name or BrainFlow id ('bci-desktop boards' lists them), 'simulated' "
        "for the simulated subject, or 'lsl' for a Lab Streaming Layer stream "
        "(with --lsl-stream, --lsl-type or --lsl-source-id) (default: synthetic)",
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
    src.add_argument(
        "--montage",
        default=None,
        metavar="NAME|Fp1,Fp2,...",
        help="names of the EEG channels: a preset (cyton, cyton_daisy, ganglion, muse, unicorn, "
        "crown, notion_1, notion_2, brainbit, enophone, galea, explore_8, freeeeg32, synthetic) "
        "or 10-05 electrode names in the order of the board's inputs (default: BrainFlow's "
        "names, or the board's default placement); with --board simulated, any montage",
    )
    src.add_argument("--channels", type=int, default=None, help="simulated subject: channels")
    src.add_argument("--seed", type=int, default=0, help="simulated subject: session seed")
    src.add_argument(
        "--subject-seed", type=int, default=None, help="simulated subject: which person"
    )
    src.add_argument(
        "--non-responder",
        action="store_true",
        help="simulated subject: a person whose EEG carries no trace of their emotional state",
    )
    src.add_argument(
        "--lsl-stream",
        default=None,
        metavar="NAME",
        help="--board lsl: the LSL stream's name ('bci-desktop lsl' lists them)",
    )
    src.add_argument("--lsl-type", default=None, help="--board lsl: the LSL stream's type")
    src.add_argument(
        "--lsl-source-id", default=None, metavar="ID", help="--board lsl: its source id"
    )
    src.add_argument(
        "--lsl-wait",
        type=float,
        default=5.0,
        metavar="S",
        help="--board lsl: seconds to wait for the stream to appear (default 5)",
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
        "--lsl",
        action="store_true",
        help="publish the raw EEG, the predictions and the markers as LSL streams "
        "(BCI-Desktop-EEG, -Predictions, -Markers)",
    )
    g.add_argument(
        "--latency-fallback",
        action="store_true",
        help="when the model's p99 latency exceeds its budget, switch to the fastest "
        "validated model for the same classes until it recovers (it always warns)",
    )


def _add_trial_parser(msub: argparse._SubParsersAction) -> None:
    m = msub.add_parser(
        "trial",
        help="run a candidate model in shadow beside the active one, then promote or discard",
        description="Run a candidate model in shadow on a live stream (the source options of "
        "'run'), beside the model in use, for --minutes of stream. The candidate never touches "
        "the predictions in use. One status line per second on stderr; at the end the "
        "comparison (agreement, accuracy against the simulated subject's truth or calibration "
        "labels, latency, confidence, withheld windows, drift) and the decision. A candidate "
        "that passes every check is activated (unless --no-promote); every trial is kept in "
        "the model history ('models list').",
    )
    m.add_argument("ref", metavar="NAME[@VERSION]", help="the candidate (or an ONNX file)")
    m.add_argument(
        "--minutes", type=float, default=10.0, help="minutes of stream the trial lasts (10)"
    )
    _add_source_args(m)
    _add_pipeline_args(m)
    t = m.add_argument_group("decision thresholds (percent points)")
    t.add_argument(
        "--min-compared", type=int, default=None, metavar="N",
        help="hops where both models gave a label needed to judge (240: 1 min at 4 Hz)",
    )  # fmt: skip
    t.add_argument(
        "--max-accuracy-loss", type=float, default=None, metavar="PTS",
        help="with a truth: accuracy at most this far below the active model's (1)",
    )  # fmt: skip
    t.add_argument(
        "--min-agreement", type=float, default=None, metavar="PCT",
        help="without a truth: agreement with the active model needed (80)",
    )  # fmt: skip
    t.add_argument(
        "--max-withheld-increase", type=float, default=None, metavar="PTS",
        help="withheld share at most this far above the active model's (5)",
    )  # fmt: skip
    t.add_argument(
        "--max-drift-alarm", type=float, default=None, metavar="PCT",
        help="share of predictions with the candidate's drift alarm on allowed (25)",
    )  # fmt: skip
    m.add_argument("--no-promote", action="store_true", help="report only, change nothing")
    m.add_argument("--json", action="store_true", help="print the trial record as JSON")
    m.add_argument("-q", "--quiet", action="store_true", help="no status lines")
    m.set_defaults(duration=None, stall_timeout=2.0, no_reconnect=False)


def build_parser() -> argparse.ArgumentParser:
    """The ``bci-desktop`` argument parser."""
    parser = OneLineParser(
        prog="bci-desktop",
        description="Real-time EEG: stream a headset or the synthetic board, filter, score "
        "signal quality, classify emotional state. Without a command, opens the window.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the versions and exit")
    parser.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"],
        help="console log level (the log file always gets everything)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", parser_class=OneLineParser, metavar="COMMAND")

    p = sub.add_parser("gui", help="open the window (the default)")
    p.set_defaults(func="gui")

    p = sub.add_parser("boards", help="list the boards you can stream from")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func="boards")

    p = sub.add_parser(
        "lsl",
        help="list the Lab Streaming Layer streams visible on the network",
        description="List the LSL streams visible on the network: name, type, channels, rate, "
        "format, source id and host. Stream one with 'run --board lsl --lsl-stream NAME'; "
        "follow marker streams with 'run --lsl-markers'.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--wait", type=float, default=1.0, metavar="S", help="seconds to listen (default 1)"
    )
    p.set_defaults(func="lsl")

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
    p.add_argument(
        "--lsl-markers",
        nargs="?",
        const="",
        default=None,
        metavar="STREAM",
        help="follow LSL marker streams (e.g. from PsychoPy): every one visible, or the one "
        "given as NAME or name=...;type=...;source_id=...; markers are recorded at their "
        "samples, with their text",
    )
    p.add_argument("--subject", default=None, help="subject id stored with the recording")
    p.add_argument("--notes", default=None, help="session notes stored with the recording")
    p.set_defaults(func="run")

    p = sub.add_parser(
        "replay",
        help="play a session, BrainFlow CSV, EDF/BDF or XDF file through the pipeline",
        description="Play a recorded session folder, a BrainFlow CSV file, an EDF/BDF file or "
        "an XDF file (LabRecorder's: its EEG stream, with its marker streams as markers) "
        "through the same pipeline as a live stream, in real time or faster.",
    )
    p.add_argument("source", help="session folder or name, .csv, .edf, .bdf or .xdf file")
    p.add_argument("--speed", default="1", help="times real time, or 'max' (default 1)")
    p.add_argument(
        "--master-board", default=None, help="board layout of a BrainFlow CSV (default synthetic)"
    )
    _add_pipeline_args(p)
    p.add_argument("--duration", type=_duration, default=None, help="seconds of recording to play")
    p.add_argument("--jsonl", default=None, metavar="FILE|-", help="write predictions here")
    p.add_argument("-q", "--quiet", action="store_true", help="no status lines")
    p.set_defaults(func="replay")

    p = sub.add_parser("sessions", help="list recorded sessions (and recover interrupted ones)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--recover", action="store_true", help="finish interrupted sessions first")
    p.add_argument("--dir", default=None, help="sessions folder (default: the app's data folder)")
    p.set_defaults(func="sessions")

    p = sub.add_parser("models", help="list, import, activate, roll back or validate models")
    msub = p.add_subparsers(dest="action", parser_class=OneLineParser, metavar="ACTION")
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
    _add_trial_parser(msub)
    p.set_defaults(func="models", action="list", json=False)

    p = sub.add_parser(
        "train",
        help="train a personal model on calibration sessions",
        description="Train a personal model on recorded calibration sessions (labelled blocks "
        "from the GUI's calibration flow, or the simulated subject's true state), with the "
        "live pipeline's features, block-wise cross-validation, and ONNX export.",
    )
    p.add_argument("sessions", nargs="+", metavar="SESSION", help="session folders or names")
    p.add_argument("-o", "--output", required=True, metavar="MODEL.onnx")
    p.add_argument("--name", default=None, help="model name (default personal-SUBJECT)")
    p.add_argument("--version", default=None, help="model version (default: date and time)")
    p.add_argument("--classes", default=None, help="comma-separated states (default: all)")
    p.add_argument(
        "--labels",
        choices=["protocol", "ratings"],
        default="protocol",
        help="label each block with its protocol state, or with the state its self-report "
        "says (valence/arousal quadrant)",
    )
    p.add_argument(
        "--leave-out",
        action="append",
        default=[],
        metavar="SESSION#N",
        help="leave block N (from 1) of a session out (repeatable), e.g. 20261208-101500#3",
    )
    p.add_argument(
        "--leave-out-contradicting",
        action="store_true",
        help="leave out every block whose self-report contradicts its state",
    )
    p.add_argument("--subject", default=None, help="subject id for the model's card")
    p.add_argument(
        "--permutations",
        type=int,
        default=100,
        help="label permutations of the test against chance (at least 100)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace MODEL.onnx if it exists")
    p.add_argument("--activate", action="store_true", help="import and activate the model")
    p.add_argument(
        "--force-activate",
        action="store_true",
        help="with --activate: activate even a model no better than chance",
    )
    p.set_defaults(func="train")

    p = sub.add_parser(
        "export", help="export a session (or an XDF file) to EDF+, BDF+ or BrainFlow CSV"
    )
    p.add_argument("session", help="session folder, its name in the data folder, or an .xdf file")
    p.add_argument(
        "--format", required=True, choices=["edf", "bdf", "csv", "predictions"],
        help="edf/bdf: EDF+/BDF+ with annotations; csv: BrainFlow's file format; "
        "predictions: one CSV line per prediction",
    )  # fmt: skip
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    p.add_argument("--anonymize", action="store_true", help="replace the subject id with X")
    p.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    p.add_argument("--all-rows", action="store_true", help="also export accel, gyro, ... rows")
    p.add_argument(
        "--annotations", default="markers,events", metavar="KINDS",
        help="edf/bdf: what to write as annotations, comma-separated from markers, events, "
        "predictions, or none (default: markers,events)",
    )  # fmt: skip
    p.set_defaults(func="export")

    p = sub.add_parser(
        "bench", help="measure per-inference latency, throughput and memory of the pipeline"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--quick", action="store_true", help="fewer windows (a smoke test)")
    p.add_argument("--repeats", type=int, default=None, help="windows timed per configuration")
    p.set_defaults(func="bench")
    return parser
