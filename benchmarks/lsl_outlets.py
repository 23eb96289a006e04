"""What do the LSL outlets cost? The stream session with and without ``--lsl``.

Runs the simulated subject as fast as it goes, in live-sized chunks (``--chunk-s``, 0.02 s
like a board), through a :class:`~bci_desktop.core.session.StreamSession` with the shipped
default model for ``--seconds`` of stream, alternately without and with the LSL outlets
(``SessionOptions.lsl_outlets``: the raw EEG, the predictions and the markers), ``--reps``
times each. A consumer in a child process (as LabRecorder would be) subscribes to every
outlet, so liblsl really sends. Reports per mode the per-inference latency each prediction
carries (p50/p99), the wall time, and the time the outlets took per chunk (EEG push) and
per prediction (predictions push).

Usage::

    python benchmarks/lsl_outlets.py [--seconds 300] [--reps 3] [--chunk-s 0.02]
                                     [--no-consumer] [--json FILE]
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


def run_once(seconds: float, chunk_s: float, seed: int, outlets: bool) -> dict[str, Any]:
    """One run of ``seconds`` of stream, with or without the outlets."""

    def opener(spec, supervision) -> OpenedSource:
        return OpenedSource(SimulatedSubject(speed=None, seed=seed, chunk_s=chunk_s))

    options = SessionOptions(model=ModelRequest(), lsl_outlets=outlets, duration_s=seconds)
    session = StreamSession(SimulatedSpec(speed=None), options, open_source=opener)
    gc.collect()
    wall0 = time.perf_counter()
    session.start()
    push_chunk: list[float] = []
    push_update: list[float] = []
    lsl = session.lsl.outlets
    if lsl is not None:  # time the outlets' own work, chunk by chunk
        chunk_fn, update_fn = lsl.push_chunk, lsl.push_update

        def timed_chunk(chunk):
            t0 = time.perf_counter_ns()
            chunk_fn(chunk)
            push_chunk.append((time.perf_counter_ns() - t0) / 1e6)

        def timed_update(update):
            t0 = time.perf_counter_ns()
            update_fn(update)
            push_update.append((time.perf_counter_ns() - t0) / 1e6)

        lsl.push_chunk, lsl.push_update = timed_chunk, timed_update
    latency: list[float] = []
    while not session.finished:
        for update in session.poll():
            latency.extend(p.latency_ms for p in update.predictions if p.label is not None)
    wall = time.perf_counter() - wall0
    stats = session.stats
    session.stop()
    lat = np.asarray(latency)
    out: dict[str, Any] = {
        "outlets": outlets,
        "samples": stats.samples,
        "predictions": int(lat.size),
        "latency_p50_ms": float(np.percentile(lat, 50)),
        "latency_p99_ms": float(np.percentile(lat, 99)),
        "wall_s": wall,
    }
    if outlets:
        pc, pu = np.asarray(push_chunk), np.asarray(push_update)
        out |= {
            "chunks": int(pc.size),
            "push_chunk_p50_ms": float(np.percentile(pc, 50)),
            "push_chunk_p99_ms": float(np.percentile(pc, 99)),
            "push_update_p50_ms": float(np.percentile(pu, 50)) if pu.size else float("nan"),
            "push_update_p99_ms": float(np.percentile(pu, 99)) if pu.size else float("nan"),
            "outlets_total_s": float((pc.sum() + pu.sum()) / 1e3),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print a summary (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--reps", type=int, default=3)
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
            for outlets in (False, True) if rep % 2 == 0 else (True, False):  # alternate
                r = run_once(args.seconds, args.chunk_s, seed=rep, outlets=outlets)
                r["rep"] = rep
                runs.append(r)
                extra = ""
                if outlets:
                    extra = (
                        f"  push per chunk p50 {r['push_chunk_p50_ms'] * 1e3:.1f} us p99 "
                        f"{r['push_chunk_p99_ms'] * 1e3:.1f} us, per prediction p50 "
                        f"{r['push_update_p50_ms'] * 1e3:.1f} us"
                    )
                print(
                    f"rep {rep} outlets {'on ' if outlets else 'off'}: "
                    f"p50 {r['latency_p50_ms']:.3f} ms  p99 {r['latency_p99_ms']:.3f} ms  "
                    f"wall {r['wall_s']:.2f} s ({r['predictions']} predictions){extra}",
                    flush=True,
                )
    finally:
        received = ""
        if consumer is not None:
            received, _ = consumer.communicate("stop\n", timeout=30)
    summary: dict[str, Any] = {}
    for outlets in (False, True):
        rs = [r for r in runs if r["outlets"] == outlets]
        names = [k for k in rs[0] if k.endswith(("_ms", "_s")) and isinstance(rs[0][k], float)]
        summary["on" if outlets else "off"] = {
            k: float(np.median([r[k] for r in rs])) for k in names
        }
    on, off = summary["on"], summary["off"]
    print(
        f"\nmedian of {args.reps} runs, {args.seconds:g} s of stream, chunks of {args.chunk_s} s:"
        f"\n  latency p50  off {off['latency_p50_ms']:.3f} ms  on {on['latency_p50_ms']:.3f} ms"
        f"  ({on['latency_p50_ms'] - off['latency_p50_ms']:+.3f} ms)"
        f"\n  latency p99  off {off['latency_p99_ms']:.3f} ms  on {on['latency_p99_ms']:.3f} ms"
        f"  ({on['latency_p99_ms'] - off['latency_p99_ms']:+.3f} ms)"
        f"\n  wall time    off {off['wall_s']:.2f} s  on {on['wall_s']:.2f} s"
        f"\n  outlets per chunk p50 {on['push_chunk_p50_ms'] * 1e3:.1f} us, p99 "
        f"{on['push_chunk_p99_ms'] * 1e3:.1f} us; per prediction p50 "
        f"{on['push_update_p50_ms'] * 1e3:.1f} us; {on['outlets_total_s']:.3f} s in all"
        f"\n  consumer received: {received.strip() or '-'}"
    )
    if args.json is not None:
        machine = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "lsl": describe_library().text,
        }
        args.json.write_text(
            json.dumps({"machine": machine, "runs": runs, "summary": summary}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
