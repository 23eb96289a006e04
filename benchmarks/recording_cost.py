"""What does recording cost? The pipeline with and without a SessionRecorder.

Runs the simulated subject at full speed (``--speed max``) through StreamRunner + Engine
with the shipped default model for ``--seconds`` of stream, alternately without and with
recording (a RecordingTap on ``on_chunk`` and ``on_update``, as ``bci-desktop run --record``
does), ``--reps`` times each. Reports, per mode, the per-inference latency each prediction
carries (p50/p99), the wall time of the whole run (recording included: creating the folder,
every append, the flushes with fsync every 0.5 s, and stop), and the time each ``on_chunk``
call took (recording's own cost per chunk).

Usage::

    python benchmarks/recording_cost.py [--seconds 600] [--reps 3] [--chunk-s 0.1]
                                        [--dir DIR] [--json FILE]

``--chunk-s`` is the chunk length the simulated subject hands out (0.1 s is what
``--speed max`` uses; live boards deliver ~0.02 s chunks). Sessions go to a temporary
folder (deleted afterwards) unless ``--dir`` is given.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bci_desktop.core.engine import Engine, EngineUpdate
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.recording import RecordingTap, SessionRecorder
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.stream import Chunk


def run_once(
    model: EmotionModel, seconds: float, chunk_s: float, seed: int, record_dir: Path | None
) -> dict[str, Any]:
    """One run; ``record_dir`` None runs without recording."""
    source = SimulatedSubject(speed=None, seed=seed, chunk_s=chunk_s)
    engine = Engine(source.info, model=model)
    n_pred_max = int(seconds / model.metadata.recipe.hop_s) + 8
    n_chunk_max = int(seconds / chunk_s) + 8
    latency = np.empty(n_pred_max)
    chunk_ms = np.empty(n_chunk_max)
    counts = {"pred": 0, "chunk": 0}
    recorder = None
    tap = None

    def on_update(update: EngineUpdate) -> None:
        for p in update.predictions:
            latency[counts["pred"]] = p.latency_ms
            counts["pred"] += 1
        if tap is not None:
            tap.on_update(update)

    def on_chunk(chunk: Chunk) -> None:
        t0 = time.perf_counter_ns()
        if tap is not None:
            tap(chunk)
        chunk_ms[counts["chunk"]] = (time.perf_counter_ns() - t0) / 1e6
        counts["chunk"] += 1

    gc.collect()
    wall0 = time.perf_counter()
    if record_dir is not None:
        recorder = SessionRecorder.create(record_dir, source.info, model={"name": "default"})
        tap = RecordingTap(recorder)
    runner = StreamRunner(
        source, engine, duration_s=seconds, on_chunk=on_chunk, on_update=on_update
    )
    stats = runner.run()
    if recorder is not None:
        recorder.stop()
    wall = time.perf_counter() - wall0
    lat = latency[: counts["pred"]]
    per_chunk = chunk_ms[: counts["chunk"]]
    out = {
        "recording": record_dir is not None,
        "samples": stats.samples,
        "predictions": int(lat.size),
        "latency_p50_ms": float(np.percentile(lat, 50)),
        "latency_p99_ms": float(np.percentile(lat, 99)),
        "wall_s": wall,
        "chunks": int(per_chunk.size),
        "on_chunk_p50_ms": float(np.percentile(per_chunk, 50)),
        "on_chunk_p99_ms": float(np.percentile(per_chunk, 99)),
        "on_chunk_total_s": float(per_chunk.sum() / 1e3),
    }
    if recorder is not None:
        out["session_bytes"] = recorder.size_bytes
        out["failed"] = recorder.failed
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print a summary (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--chunk-s", type=float, default=0.1)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    model = EmotionModel.load(default_model_path())
    base = args.dir or Path(tempfile.mkdtemp(prefix="bci-recording-cost-"))
    runs: list[dict[str, Any]] = []
    try:
        for rep in range(args.reps):
            order = (False, True) if rep % 2 == 0 else (True, False)  # alternate
            for record in order:
                r = run_once(
                    model,
                    args.seconds,
                    args.chunk_s,
                    seed=rep,
                    record_dir=base if record else None,
                )
                r["rep"] = rep
                runs.append(r)
                print(
                    f"rep {rep} recording {'on ' if record else 'off'}: "
                    f"p50 {r['latency_p50_ms']:.3f} ms  p99 {r['latency_p99_ms']:.3f} ms  "
                    f"wall {r['wall_s']:.2f} s  on_chunk p50 {r['on_chunk_p50_ms']:.4f} ms "
                    f"p99 {r['on_chunk_p99_ms']:.4f} ms  ({r['predictions']} predictions)",
                    flush=True,
                )
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)

    summary: dict[str, Any] = {}
    for record in (False, True):
        rs = [r for r in runs if r["recording"] == record]
        key = "on" if record else "off"
        summary[key] = {
            name: float(np.median([r[name] for r in rs]))
            for name in (
                "latency_p50_ms",
                "latency_p99_ms",
                "wall_s",
                "on_chunk_p50_ms",
                "on_chunk_p99_ms",
                "on_chunk_total_s",
            )
        }
        summary[key]["wall_s_all"] = [round(r["wall_s"], 3) for r in rs]
    on, off = summary["on"], summary["off"]
    print(
        f"\nmedian of {args.reps} runs, {args.seconds:g} s of stream, chunks of {args.chunk_s} s:"
        f"\n  latency p50  off {off['latency_p50_ms']:.3f} ms  on {on['latency_p50_ms']:.3f} ms"
        f"  ({on['latency_p50_ms'] / off['latency_p50_ms'] - 1:+.1%})"
        f"\n  latency p99  off {off['latency_p99_ms']:.3f} ms  on {on['latency_p99_ms']:.3f} ms"
        f"  ({on['latency_p99_ms'] / off['latency_p99_ms'] - 1:+.1%})"
        f"\n  wall time    off {off['wall_s']:.2f} s  on {on['wall_s']:.2f} s"
        f"  ({on['wall_s'] / off['wall_s'] - 1:+.1%})"
        f"\n  recording per chunk p50 {on['on_chunk_p50_ms']:.4f} ms, "
        f"p99 {on['on_chunk_p99_ms']:.4f} ms; {on['on_chunk_total_s']:.3f} s in all"
    )
    if args.json is not None:
        machine = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        }
        args.json.write_text(
            json.dumps({"machine": machine, "runs": runs, "summary": summary}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
