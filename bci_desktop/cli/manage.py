"""Commands that manage things rather than stream: boards, sessions, models, train, export,
bench, and the window."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import IO

from bci_desktop.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    session_path,
    terminal_text,
    write_lines,
)
from bci_desktop.core.errors import BCIError, ConfigError

logger = logging.getLogger(__name__)

__all__ = [
    "cmd_bench",
    "cmd_boards",
    "cmd_export",
    "cmd_gui",
    "cmd_models",
    "cmd_sessions",
    "cmd_train",
]


# -- commands ----------------------------------------------------------------------------
def cmd_boards(args: argparse.Namespace, out: IO[str]) -> int:
    """List the boards BrainFlow knows (and the simulated subject): maker and product, their
    channels and the model each would get."""
    from bci_desktop.core.montage.resolve import Montage, MontageOrigin, board_montage
    from bci_desktop.core.sources.board_names import human_name
    from bci_desktop.core.sources.boards import list_boards
    from bci_desktop.core.sources.simulated import SYNTHETIC_MONTAGE

    boards = list_boards()
    entries, problem = _registry_entries()
    simulated = Montage(SYNTHETIC_MONTAGE, MontageOrigin.PRESET, "synthetic")
    montages = [simulated] + [
        board_montage(b.name, b.n_eeg, brainflow_names=b.eeg_names, title=b.name) for b in boards
    ]
    ids = [None, *(b.board_id for b in boards)]
    choices = [_model_for(m, i, entries, problem) for m, i in zip(montages, ids, strict=True)]
    names = {b.name: human_name(b.board_id, brainflow_name=b.description_name) for b in boards}
    if args.json:
        rows = [
            {
                "name": "simulated",
                "board_id": None,
                "maker": "BCI Desktop",
                "product": "Simulated subject",
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
                "maker": names[b.name].maker,
                "product": names[b.name].model,
                "sample_rate": b.sample_rate,
                "n_eeg": b.n_eeg,
                "eeg_names": list(b.eeg_names),
                "connection": list(b.connection),
            }
            for b in boards
        ]
        for row, montage, (label, reason) in zip(rows, montages, choices, strict=True):
            row["channels"] = list(montage.channels)
            row["montage"] = {"name": montage.name, "origin": montage.origin.value}
            row["model"] = label
            row["model_reason"] = reason
        json.dump(rows, out, indent=2)
        out.write("\n")
        return EXIT_OK
    out.write(
        f"{'NAME':<26}{'ID':>5}{'RATE':>7}{'EEG':>5}  {'BOARD':<40}{'MODEL':<26}CONNECTION\n"
    )
    model = choices[0][0] or "-"
    sim = "(none: the app's simulated subject)"
    board = "Simulated subject (the app's own)"
    out.write(f"{'simulated':<26}{'-':>5}{250:>7}{16:>5}  {board:<40}{model:<26}{sim}\n")
    for b, (label, _) in zip(boards, choices[1:], strict=True):
        rate = "-" if b.sample_rate is None else str(b.sample_rate)
        conn = ", ".join("--" + c.replace("_", "-") for c in b.connection) or "-"
        full, model = names[b.name].full, label or "-"
        out.write(
            f"{b.name:<26}{b.board_id:>5}{rate:>7}{b.n_eeg:>5}  {full:<40}{model:<26}{conn}\n"
        )
    out.write(
        "MODEL: the model each board's channels get ('bci-desktop boards --json' says why); "
        "name the channels with --montage.\n"
    )
    return EXIT_OK


def _registry_entries() -> tuple[list, str | None]:
    """The registry's models, or none and why (``boards`` still lists the boards)."""
    from bci_desktop.core.inference.registry import ModelRegistry

    try:
        return ModelRegistry().list(), None
    except (BCIError, OSError) as exc:
        logger.warning("Cannot read the model registry: %s", exc)
        return [], f"The model registry cannot be read: {exc}"


def _model_for(
    montage, board_id: int | None, entries: list, problem: str | None
) -> tuple[str | None, str]:
    from bci_desktop.core.inference.model_choice import choose_model
    from bci_desktop.core.sources.boards import PROXY_BOARDS

    if problem is not None:
        return None, problem
    if board_id in PROXY_BOARDS:
        return None, "Carries the data of its master board (--master-board): see that board."
    if not montage.channels:
        return None, "This board streams no EEG channels."
    choice = choose_model(montage.channels, entries)
    if board_id == -1 and choice.entry is not None:
        return choice.label, (
            f"{choice.reason} BrainFlow's synthetic board sends sine waves, not EEG: its "
            "predictions are withheld as unreliable (the simulated subject streams EEG-like "
            "data)."
        )
    return choice.label, choice.reason


def cmd_sessions(args: argparse.Namespace, out: IO[str]) -> int:
    """List recorded sessions; with --recover finish interrupted ones first."""
    from bci_desktop.core.recording import data_dir, find_interrupted, list_sessions, recover

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
                sys.stderr.write(f"bci-desktop: error: {terminal_text(exc)}\n")
                continue
            recovered.append(path)
    sessions = list_sessions(folder)
    if args.json:
        json.dump([s.to_dict() for s in sessions], out, indent=2, default=str)
        out.write("\n")
    else:
        for path in recovered:
            sys.stderr.write(f"Recovered interrupted session {terminal_text(path)}\n")
        if not sessions:
            out.write(f"No sessions in {terminal_text(folder)}\n")
        else:
            out.write(
                f"{'SESSION':<28}{'STARTED':<21}{'SUBJECT':<12}{'DURATION':>9}"
                f"{'SIZE':>9}  {'STATE':<12}SOURCE\n"
            )
        for s in sessions:
            started = _local_time(s.started)
            size = f"{s.size_bytes / 1e6:.1f}MB"
            state = s.state if s.error is None else f"broken: {s.error}"
            row = (
                f"{s.name:<28}{started:<21}{(s.subject or '-'):<12}{s.duration_s:>8.1f}s"
                f"{size:>9}  {state:<12}{s.source_name}"
            )
            out.write(terminal_text(row) + "\n")
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
    """Manage models: list, import, activate, roll back, validate, trial."""
    from bci_desktop.core.inference.registry import ModelRegistry
    from bci_desktop.core.inference.trial_log import TrialLog

    action = args.action
    if action == "trial":
        from bci_desktop.cli.trial import cmd_trial

        return cmd_trial(args, out)
    registry = ModelRegistry()
    if action == "validate":
        report = registry.validate(args.file)
        if args.json:
            json.dump(report.to_dict(), out, indent=2)
            out.write("\n")
        else:
            write_lines(out, report.summary())
        return EXIT_OK if report.ok else EXIT_USAGE
    if action == "import":
        entry = registry.import_file(args.file, replace=args.replace)
        write_lines(
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
    trials = TrialLog(registry.root).latest_by_model()
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
                "last_trial": trials[e.label].to_dict() if e.label in trials else None,
                "card": e.card,
            }
            for e in entries
        ]
        json.dump(rows, out, indent=2, default=str)
        out.write("\n")
        return EXIT_OK
    out.write(f"  {'MODEL':<34}{'SOURCE':<10}{'CLASSES':<34}ACCURACY\n")
    for e in entries:
        mark = "*" if e.active else " "
        row = f"{mark} {e.label:<34}{e.source:<10}{', '.join(e.classes)[:32]:<34}"
        out.write(terminal_text(row + _accuracy_text(e.metrics)) + "\n")
        for line in _card_lines(e.card, e.metrics):
            out.write(terminal_text(f"      {line}") + "\n")
        if e.label in trials:
            out.write(
                terminal_text(f"      last shadow trial: {trials[e.label].summary()}") + "\n"
            )
    others = sorted(set(trials) - {e.label for e in entries})
    for label in others:  # files tried without importing them
        out.write(
            terminal_text(f"  {label} (a file): last shadow trial: {trials[label].summary()}")
        )
        out.write("\n")
    out.write("* active\n")
    return EXIT_OK


def _accuracy_text(metrics: dict) -> str:
    heldout = metrics.get("heldout") if isinstance(metrics, dict) else None
    acc = heldout.get("accuracy") if isinstance(heldout, dict) else None
    if isinstance(acc, int | float):
        return f"{100 * acc:.1f}% (held out)"
    bal = metrics.get("cv_balanced_accuracy") if isinstance(metrics, dict) else None
    if isinstance(bal, int | float):
        return f"{100 * bal:.1f}% (balanced, cross-validated)"
    return "-"


def _card_lines(card: dict, metrics: dict) -> list[str]:
    """A personal model's card in two lines (nothing for other models)."""
    if not card:
        return []
    from bci_desktop.core.calibration.verdict import p_text

    states = ", ".join(str(s) for s in card.get("protocol_states", []))
    date = str(card.get("date", ""))[:16].replace("T", " ")
    lines = [
        f"subject {card.get('subject') or '-'} | {date}"
        f" | protocol '{card.get('protocol_name', '')}'{f' ({states})' if states else ''} | "
        f"labels from the {card.get('label_source', '?')} | "
        f"{metrics.get('n_blocks', '?')} blocks, {len(card.get('sessions', []))} session(s)"
    ]
    bal, chance, p = (metrics.get(k) for k in ("cv_balanced_accuracy", "chance_level", "p_value"))
    if all(isinstance(v, int | float) for v in (bal, chance, p)):
        sd = metrics.get("cv_balanced_accuracy_sd")
        spread = f" (sd {100 * sd:.1f} over folds)" if isinstance(sd, int | float) else ""
        lines.append(
            f"balanced accuracy {100 * bal:.1f}%{spread} | chance {100 * chance:.1f}% | "
            f"{p_text(p)} ({metrics.get('permutations', '?')} permutations) | "
            + (
                "better than chance"
                if metrics.get("better_than_chance")
                else "NOT better than chance"
            )
        )
    return lines


def cmd_train(args: argparse.Namespace, out: IO[str]) -> int:
    """Train a personal model on calibration sessions; report the verdict's figures."""
    from bci_desktop.core.calibration import LabelSource, train_personal_model
    from bci_desktop.core.calibration.verdict import MIN_PERMUTATIONS
    from bci_desktop.core.validate import check_int

    classes = None
    if args.classes:
        classes = tuple(c.strip() for c in args.classes.split(",") if c.strip())
    permutations = check_int(
        "permutations", args.permutations, minimum=MIN_PERMUTATIONS, maximum=100_000
    )
    report = train_personal_model(
        [session_path(s) for s in args.sessions],
        args.output,
        name=args.name,
        version=args.version,
        classes=classes,
        label_source=LabelSource(args.labels),
        leave_out=tuple(args.leave_out),
        leave_out_contradicting=args.leave_out_contradicting,
        subject=args.subject,
        permutations=permutations,
        overwrite=args.overwrite,
    )
    write_lines(out, report.summary())
    if args.activate and not report.verdict.better_than_chance and not args.force_activate:
        raise ConfigError(
            f"Not activated: {report.verdict.sentence()} To use it anyway (its predictions "
            "would be no better than guessing), add --force-activate."
        )
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
        session_path(args.session),
        args.output,
        format=args.format,
        anonymize=args.anonymize,
        overwrite=args.overwrite,
        all_rows=args.all_rows,
        annotations=args.annotations,
    )
    write_lines(out, str(path))
    return EXIT_OK


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
