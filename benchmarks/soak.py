"""Soak: stream the simulated subject for hours of stream time with recording on.

    python benchmarks/soak.py --hours 8            # ~2-3 minutes on a 2-core machine
    python benchmarks/soak.py --hours 8 --json out.json

Reports resident memory (after the first minute, then every hour), per-hour latency
percentiles of every prediction, the agreement with the simulated truth, and the size of
the recording. Pass criteria of the reliability issue: memory growth under 10 MB after the
first minute; per-hour p99 latency within 10 % of the first hour.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bci_desktop.core.engine import Engine
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.recording import RecordingTap, SessionRecorder, model_info
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--dir", default=None, help="where to record (default: a temp dir)")
    parser.add_argument("--json", default=None, help="also write the report here")
    args = parser.parse_args(argv)
    model = EmotionModel.load(default_model_path())
    source = SimulatedSubject(speed=None, seed=11, chunk_s=0.1)
    engine = Engine(source.info, model=model)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.dir or tmp)
        recorder = SessionRecorder.create(
            folder, source.info, subject="soak", model=model_info(model),
            filters=engine.filters.to_dict(),
        )  # fmt: skip
        tap = RecordingTap(recorder)
        hour_s = 3600.0
        hops_per_hour = int(hour_s / 0.25) + 8
        n_hours = int(np.ceil(args.hours))
        # preallocated: the benchmark must not grow memory itself while measuring it
        latency = np.full((n_hours, hops_per_hour), np.nan)
        counts = np.zeros(n_hours, dtype=np.int64)
        agree = np.zeros((n_hours, 2), dtype=np.int64)
        memory = {}
        next_mark = {"t": 60.0}

        def on_update(update) -> None:
            tap.on_update(update)
            stream_s = engine.total_samples / engine.sample_rate
            hour = min(int(stream_s // hour_s), n_hours - 1)
            for p in update.predictions:
                if counts[hour] < hops_per_hour:
                    latency[hour, counts[hour]] = p.latency_ms
                    counts[hour] += 1
                if p.withheld is None and p.truth is not None:
                    agree[hour, 0] += p.label == p.truth
                    agree[hour, 1] += 1
            if stream_s >= next_mark["t"]:
                memory[round(stream_s)] = rss_mb()
                next_mark["t"] = 60.0 if not memory else next_mark["t"] + hour_s
                if len(memory) == 1:
                    next_mark["t"] = hour_s

        runner = StreamRunner(source, engine, duration_s=args.hours * hour_s, on_chunk=tap,
                              on_update=on_update)  # fmt: skip
        t0 = time.perf_counter()
        runner.run()
        wall = time.perf_counter() - t0
        memory[round(engine.total_samples / engine.sample_rate)] = rss_mb()
        recorder.stop()
        size = sum(f.stat().st_size for f in recorder.folder.iterdir())
        files = {f.name: f.stat().st_size for f in recorder.folder.iterdir()}
    hours = []
    for i in range(n_hours):
        lat = latency[i, : counts[i]]
        if lat.size < 100:
            continue
        hours.append(
            {
                "hour": i + 1,
                "predictions": int(lat.size),
                "p50_ms": float(np.percentile(lat, 50)),
                "p95_ms": float(np.percentile(lat, 95)),
                "p99_ms": float(np.percentile(lat, 99)),
                "agreement": float(agree[i, 0] / agree[i, 1]) if agree[i, 1] else None,
            }
        )
    marks = sorted(memory.items())
    report = {
        "stream_hours": args.hours,
        "wall_s": wall,
        "realtime_factor": args.hours * hour_s / wall,
        "rss_mb": {f"{t}s": round(m, 2) for t, m in marks},
        "rss_growth_after_first_minute_mb": marks[-1][1] - marks[0][1],
        "hours": hours,
        "p99_vs_first_hour": [h["p99_ms"] / hours[0]["p99_ms"] for h in hours],
        "recording_bytes": size,
        "recording_files": files,
    }
    print(
        f"{args.hours:g} h of stream in {wall:.0f} s ({report['realtime_factor']:.0f}x real time)"
    )
    print("memory (MB) at stream time: " + ", ".join(f"{t}s {m:.1f}" for t, m in marks))
    print(f"growth after the first minute: {report['rss_growth_after_first_minute_mb']:+.2f} MB")
    head = ("hour", "preds", "p50 ms", "p95 ms", "p99 ms", "p99/h1", "agree")
    widths = (4, 7, 8, 8, 8, 7, 6)
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)))
    for h, ratio in zip(hours, report["p99_vs_first_hour"], strict=True):
        acc = "-" if h["agreement"] is None else f"{100 * h['agreement']:.1f}%"
        print(f"{h['hour']:>4} {h['predictions']:>7} {h['p50_ms']:>8.3f} {h['p95_ms']:>8.3f} "
              f"{h['p99_ms']:>8.3f} {ratio:>7.2f} {acc:>6}")  # fmt: skip
    parts = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in files.items())
    print(f"recording: {size / 1e6:.1f} MB ({parts})")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
