"""Agreement with the truth on every preset montage, through the real command line.

For each preset, the model :func:`choose_model` picks from the registry for the preset's
channels is passed to::

    bci-desktop run --board simulated --montage NAME --speed max --duration 600 \\
        --model MODEL --jsonl FILE

and the JSON lines are scored like ``benchmarks/confusion.py`` does (agreement among labelled
predictions; withheld share of all). Prints a Markdown table (docs/models.md holds one).

    python benchmarks/montage_agreement.py [--duration 600] [--only cyton,muse] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bci_desktop.core.inference.model_choice import choose_model
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.montage.presets import PRESETS
from bci_desktop.core.montage.tenfive import homologous_pairs, is_frontal


def score(path: Path) -> tuple[int, float, float]:
    """(predictions, agreement among labelled ones, withheld share)."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    labelled = [r for r in records if r["withheld"] is None and r["truth"] is not None]
    agree = sum(r["label"] == r["truth"] for r in labelled) / max(len(labelled), 1)
    withheld = sum(r["withheld"] is not None for r in records) / max(len(records), 1)
    return len(records), agree, withheld


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="600", help="seconds of stream per montage")
    parser.add_argument("--only", default=None, help="comma-separated preset names")
    parser.add_argument("--keep", default=None, help="folder to keep the JSON-lines files in")
    args = parser.parse_args(argv)
    only = None if args.only is None else set(args.only.split(","))
    folder = Path(args.keep or tempfile.mkdtemp(prefix="montage-agreement-"))
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as empty:  # only the shipped models compete
        entries = ModelRegistry(Path(empty) / "models").list()
    print(
        "| montage | channels | frontal pair | model | predictions | agreement | withheld | "
        "target |\n|---|---|---|---|---|---|---|---|"
    )
    failures = 0
    for preset in PRESETS:
        if only is not None and preset.name not in only:
            continue
        choice = choose_model(preset.channels, entries)
        if choice.entry is None:
            print(f"| {preset.name} | - | - | none: {choice.reason} | | | | |")
            failures += 1
            continue
        out = folder / f"{preset.name}.jsonl"
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "bci_desktop", "run", "--board", "simulated", "--montage",
             preset.name, "--speed", "max", "--duration", args.duration, "--model",
             str(choice.entry.path), "--jsonl", str(out), "-q"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            print(f"| {preset.name} | run failed: {proc.stderr.strip()} |")
            failures += 1
            continue
        n, agree, withheld = score(out)
        frontal = any(is_frontal(left) for left, _ in homologous_pairs(preset.channels))
        target = 0.8 if frontal else 0.6
        ok = agree >= target and withheld < 0.05
        failures += not ok
        print(
            f"| {preset.name} | {len(preset.channels)} | {'yes' if frontal else 'no'} | "
            f"{choice.entry.label} | {n} | **{100 * agree:.1f}%** | {100 * withheld:.1f}% | "
            f">= {100 * target:.0f}%{'' if ok else ' MISSED'} |",
            flush=True,
        )
        print(f"  ({preset.name}: {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    print(f"\nJSON lines in {folder}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
