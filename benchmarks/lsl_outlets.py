"""What do the LSL outlets cost? The stream session with and without ``--lsl``.

Runs the simulated subject as fast as it goes, in live-sized chunks (``--chunk-s``, 0.02 s
like a board), through a :class:`~bci_desktop.core.session.StreamSession` with the shipped
default model and the LSL outlets (``SessionOptions.lsl_outlets``: the raw EEG, the
predictions and the markers) for ``--seconds`` of stream, ``--reps`` times. A consumer in a
child process (as LabRecorder would be) subscribes to every outlet, so liblsl really sends.

The comparison is interleaved in each run, so that both modes share the machine's load
(a shared 2-core machine makes separate runs differ by more than what is measured): the
session publishes during one block of ``--block-s`` seconds of stream and not during the
next (the outlets stay open, unfed), and so on. Reports per mode the per-inference latency
each prediction carries (p50/p99, pooled over the runs and per run), and the time the
outlets took per chunk (EEG push) and per prediction (predictions push).

Usage::

    python benchmarks/lsl_outlets.py [--seconds 600] [--reps 3] [--block-s 10]
                                     [--chunk-s 0.02] [--no-consumer] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bci_desktop.core.lsl.library import describe_library
from bci_desktop.core.session import (
    ModelRequest,
    OpenedSource,
    SessionOptions,
    SimulatedSpec,
    StreamSession,
)
from bci_desktop.core.sources.simulated import SimulatedSubject

CONSUMER = r"""
import select, sys, time
import pylsl
pylsl.util.set_config_content("[log]\nlevel = -3\n")
resolver = pylsl.ContinuousResolver(forget_after=1.0)
inlets, counts, next_scan = {}, {}, 0.0
while not select.select([sys.stdin], [], [], 0.005)[0]:
    if time.monotonic() > next_scan:
        next_scan = time.monotonic() + 0.25
        for info in resolver.results():
            if info.source_id().startswith("bci-desktop@") and info.uid() not in inlets:
                inlets[info.uid()] = (info.name(), pylsl.StreamInlet(info, recover=False))
    for uid, (name, inlet) in list(inlets.items()):
        try:
            _, stamps = inlet.pull_chunk(0.0, 4096)
        except pylsl.util.LostError:
            del inlets[uid]
            continue
        counts[name] = counts.get(name, 0) + len(stamps)
print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())), flush=True)
"""


def run_once(seconds: float, block_s: float, chunk_s: float, seed: int) -> dict[str, Any]:
    """One run of ``seconds`` of stream, publishing in every other block of ``block_s``."""

    def opener(spec, supervision) -> OpenedSource:
        return OpenedSource(SimulatedSubject(speed=None, seed=seed, chunk_s=chunk_s))

    options = SessionOptions(model=ModelRequest(), lsl_outlets=True, duration_s=seconds)
    session = StreamSession(SimulatedSpec(speed=None), options, open_source=opener)
    gc.collect()
    session.start()
    outlets = session.lsl.outlets
    push_chunk: list[float] = []
    push_update: list[float] = []
    chunk_fn, update_fn = outlets.push_chunk, outlets.push_update

    def timed_chunk(chunk):  # the outlets' own work, chunk by chunk
        t0 = time.perf_counter_ns()
        chunk_fn(chunk)
        push_chunk.append((time.perf_counter_ns() - t0) / 1e6)

    def timed_update(update):
        t0 = time.perf_counter_ns()
        update_fn(update)
        push_update.append((time.perf_counter_ns() - t0) / 1e6)

    outlets.push_chunk, outlets.push_update = timed_chunk, timed_update
    latency: dict[bool, list[float]] = {False: [], True: []}
    publishing, block = True, 0
    while not session.finished:
        for update in session.poll():
            latency[publishing].extend(
                p.latency_ms for p in update.predictions if p.label is not None
            )
        if session.stats.stream_seconds >= (block + 1) * block_s:
            block += 1
            publishing = block % 2 == 0  # the outlets stay open; only the feeding stops
            session.lsl.outlets = outlets if publishing else None
    session.lsl.outlets = outlets
    session.stop()
    out: dict[str, Any] = {"samples": session.stats.samples}
    for mode, key in ((False, "off"), (True, "on")):
        lat = np.asarray(latency[mode])
        out[key] = {
            "predictions": int(lat.size),
            "latency_p50_ms": float(np.percentile(lat, 50)),
            "latency_p99_ms": float(np.percentile(lat, 99)),
            "latency_ms": lat.tolist(),
        }
    pc, pu = np.asarray(push_chunk), np.asarray(push_update)
    out["outlets"] = {
        "chunks": int(pc.size),
        "push_chunk_p50_ms": float(np.percentile(pc, 50)),
        "push_chunk_p99_ms": float(np.percentile(pc, 99)),
        "push_update_p50_ms": float(np.percentile(pu, 50)),
        "push_update_p99_ms": float(np.percentile(pu, 99)),
        "total_s": float((pc.sum() + pu.sum()) / 1e3),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print a summary (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--block-s", type=float, default=10.0)
    parser.add_argument("--chunk-s", type=float, default=0.02)
    parser.add_argument("--no-consumer", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    print(describe_library().text, flush=True)
    consumer = None
    if not args.no_consumer:
        consumer = subprocess.Popen(
            [sys.executable, "-c", CONSUMER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        time.sleep(1.0)
    runs: list[dict[str, Any]] = []
    try:
        for rep in range(args.reps):
            r = run_once(args.seconds, args.block_s, args.chunk_s, seed=rep)
            runs.append(r)
            off, on, o = r["off"], r["on"], r["outlets"]
            print(
                f"run {rep}: off p50 {off['latency_p50_ms']:.3f} p99 {off['latency_p99_ms']:.3f}"
                f" ms | on p50 {on['latency_p50_ms']:.3f} p99 {on['latency_p99_ms']:.3f} ms "
                f"({off['predictions']}+{on['predictions']} predictions) | push per chunk p50 "
                f"{o['push_chunk_p50_ms'] * 1e3:.1f} us p99 {o['push_chunk_p99_ms'] * 1e3:.1f} "
                f"us, per prediction p50 {o['push_update_p50_ms'] * 1e3:.1f} us",
                flush=True,
            )
    finally:
        received = ""
        if consumer is not None:
            received, _ = consumer.communicate("stop\n", timeout=30)
    pooled = {
        key: np.concatenate([np.asarray(r[key]["latency_ms"]) for r in runs])
        for key in ("off", "on")
    }
    summary: dict[str, Any] = {}
    for key, lat in pooled.items():
        summary[key] = {
            "predictions": int(lat.size),
            "latency_p50_ms": float(np.percentile(lat, 50)),
            "latency_p99_ms": float(np.percentile(lat, 99)),
            "latency_p99_ms_per_run": [round(r[key]["latency_p99_ms"], 3) for r in runs],
        }
    summary["outlets"] = {
        k: float(np.median([r["outlets"][k] for r in runs]))
        for k in ("push_chunk_p50_ms", "push_chunk_p99_ms", "push_update_p50_ms",
                  "push_update_p99_ms", "total_s")
    }  # fmt: skip
    summary["consumer"] = received.strip()
    on, off, o = summary["on"], summary["off"], summary["outlets"]
    print(
        f"\n{args.reps} runs of {args.seconds:g} s of stream, chunks of {args.chunk_s} s, "
        f"publishing in every other {args.block_s:g} s block; pooled:"
        f"\n  latency p50  off {off['latency_p50_ms']:.3f} ms  on {on['latency_p50_ms']:.3f} ms"
        f"  ({on['latency_p50_ms'] - off['latency_p50_ms']:+.3f} ms)"
        f"\n  latency p99  off {off['latency_p99_ms']:.3f} ms  on {on['latency_p99_ms']:.3f} ms"
        f"  ({on['latency_p99_ms'] - off['latency_p99_ms']:+.3f} ms); per run off "
        f"{off['latency_p99_ms_per_run']} on {on['latency_p99_ms_per_run']}"
        f"\n  outlets per chunk p50 {o['push_chunk_p50_ms'] * 1e3:.1f} us, p99 "
        f"{o['push_chunk_p99_ms'] * 1e3:.1f} us; per prediction p50 "
        f"{o['push_update_p50_ms'] * 1e3:.1f} us, p99 {o['push_update_p99_ms'] * 1e3:.1f} us"
        f"\n  consumer received: {summary['consumer'] or '-'}"
    )
    if args.json is not None:
        machine = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "lsl": describe_library().text,
        }
        for r in runs:
            for key in ("off", "on"):
                r[key].pop("latency_ms")
        args.json.write_text(
            json.dumps({"machine": machine, "runs": runs, "summary": summary}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
