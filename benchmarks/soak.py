"""Soak: stream the simulated subject for hours of stream time with recording on.

    python benchmarks/soak.py --hours 8            # ~3-4 minutes on a 2-core machine
    python benchmarks/soak.py --hours 8 --json out.json

Reports resident memory (after the first minute, then every hour), per-hour latency
percentiles of every prediction, the agreement with the simulated truth, and the size of
the recording. Pass criteria of the reliability issue: memory growth under 10 MB after the
first minute; per-hour p99 latency within 10 % of the first hour.

**A first hour measured beside every hour.** At ~300x real time one stream hour lasts
~10 s of wall time, and on a shared machine the speed of the CPU itself changes from one
10 s stretch to the next (the same code's p50 moves by 30 % or more between stretches;
the thread's CPU time moves with it, so it is not time spent waiting for a core). An
hour-8 p99 compared with an hour-1 p99 measured a minute earlier therefore mostly compares
two moments of the machine. So every chunk is also fed to a *control* engine that is
created afresh at the start of each hour (the same model, filters and data, in the same
thread, the two engines taking turns going first): in hour k the control is exactly as
old as the session's engine was in its first hour, measured at the same moments. The
session engine's p99 over the control's p99 in the same hour is the "hour k vs first
hour" ratio with the machine's drift cancelled; the raw ratio to hour 1 is printed too.
``--no-control`` runs the session engine alone.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.recording import RecordingTap, SessionRecorder, model_info
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.sources.simulated import SimulatedSubject

HOUR_S = 3600.0


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class HourlyLatency:
    """Per-hour wall-clock and CPU latency of predictions, in preallocated arrays (the
    benchmark must not grow memory itself while measuring it)."""

    def __init__(self, n_hours: int, hop_s: float = 0.25) -> None:
        per_hour = int(HOUR_S / hop_s) + 8
        self.wall = np.full((n_hours, per_hour), np.nan)
        self.cpu = np.full((n_hours, per_hour), np.nan)
        self.counts = np.zeros(n_hours, dtype=np.int64)
        self.agree = np.zeros((n_hours, 2), dtype=np.int64)

    def add(self, hour: int, predictions) -> None:
        for p in predictions:
            n = self.counts[hour]
            if n < self.wall.shape[1]:
                self.wall[hour, n], self.cpu[hour, n] = p.latency_ms, p.cpu_ms
                self.counts[hour] += 1
            if p.withheld is None and p.truth is not None:
                self.agree[hour] += (p.label == p.truth, 1)

    def hour(self, i: int) -> dict | None:
        wall, cpu = self.wall[i, : self.counts[i]], self.cpu[i, : self.counts[i]]
        if wall.size < 100:
            return None
        ok, n = self.agree[i]
        return {
            "predictions": int(wall.size),
            "p50_ms": float(np.percentile(wall, 50)),
            "p95_ms": float(np.percentile(wall, 95)),
            "p99_ms": float(np.percentile(wall, 99)),
            "cpu_p99_ms": float(np.percentile(cpu, 99)),
            "agreement": float(ok / n) if n else None,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--dir", default=None, help="where to record (default: a temp dir)")
    parser.add_argument("--json", default=None, help="also write the report here")
    parser.add_argument("--no-control", action="store_true", help="no first-hour control")
    args = parser.parse_args(argv)
    model = EmotionModel.load(default_model_path())
    source = SimulatedSubject(speed=None, seed=11, chunk_s=0.1)
    config = EngineConfig(measure_cpu=True)
    engine = Engine(source.info, model=model, config=config)
    n_hours = int(np.ceil(args.hours))
    session, control = HourlyLatency(n_hours), HourlyLatency(n_hours)
    control_engine: Engine | None = None
    control_hour = -1
    memory: dict[int, float] = {}
    total = round(args.hours * HOUR_S * source.info.sample_rate)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.dir or tmp)
        recorder = SessionRecorder.create(
            folder, source.info, subject="soak", model=model_info(model),
            filters=engine.filters.to_dict(),
        )  # fmt: skip
        tap = RecordingTap(recorder)
        source.start()
        t0 = time.perf_counter()
        k = 0
        while engine.total_samples < total:
            chunk = source.read()
            if chunk is None:
                continue
            stream_s = engine.total_samples / engine.sample_rate
            hour = min(int(stream_s // HOUR_S), n_hours - 1)
            if not args.no_control and hour != control_hour:
                control_engine = None
                gc.collect()  # free the last control before making the next one
                control_engine = Engine(source.info, model=model, config=config)
                control_hour = hour
            tap(chunk)  # recording sits before processing, as in the app
            turns = [(engine, session), (control_engine, control)]
            updates = {}
            for eng, log in turns if k % 2 == 0 else turns[::-1]:
                if eng is not None:
                    updates[log] = eng.process(chunk)
                    log.add(hour, updates[log].predictions)
            tap.on_update(updates[session])  # after both: neither engine pays for it
            k += 1
            if (not memory and stream_s >= 60.0) or (memory and stream_s >= max(memory) + HOUR_S):
                memory[round(stream_s)] = rss_mb()
        wall = time.perf_counter() - t0
        source.stop()
        memory[round(engine.total_samples / engine.sample_rate)] = rss_mb()
        recorder.stop()
        files = {f.name: f.stat().st_size for f in recorder.folder.iterdir()}
    report = _report(args, wall, memory, files, session, None if args.no_control else control)
    _print(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def _report(args, wall, memory, files, session, control) -> dict:
    hours = []
    for i in range(session.counts.size):
        row = session.hour(i)
        if row is None:
            continue
        row["hour"] = i + 1
        ref = control.hour(i) if control is not None else None
        if ref is not None:
            row["control_p50_ms"], row["control_p99_ms"] = ref["p50_ms"], ref["p99_ms"]
            row["p99_vs_control"] = row["p99_ms"] / ref["p99_ms"]
        hours.append(row)
    marks = sorted(memory.items())
    return {
        "stream_hours": args.hours,
        "wall_s": wall,
        "realtime_factor": args.hours * HOUR_S / wall,
        "rss_mb": {f"{t}s": round(m, 2) for t, m in marks},
        "rss_growth_after_first_minute_mb": marks[-1][1] - marks[0][1],
        "hours": hours,
        "p99_vs_first_hour": [h["p99_ms"] / hours[0]["p99_ms"] for h in hours],
        "p99_vs_control": [h.get("p99_vs_control") for h in hours],
        "recording_bytes": sum(files.values()),
        "recording_files": files,
    }


def _print(report: dict) -> None:
    hours, marks = report["hours"], report["rss_mb"]
    print(f"{report['stream_hours']:g} h of stream in {report['wall_s']:.0f} s "
          f"({report['realtime_factor']:.0f}x real time)")  # fmt: skip
    print("memory (MB) at stream time: " + ", ".join(f"{t} {m:.1f}" for t, m in marks.items()))
    print(f"growth after the first minute: {report['rss_growth_after_first_minute_mb']:+.2f} MB")
    controlled = any(h.get("p99_vs_control") for h in hours)
    print(
        "latency (ms): the session's engine"
        + ("; ctl = a fresh first-hour engine on the same chunks" if controlled else "")
    )
    head = ("hour", "preds", "p50", "p95", "p99", "cpu p99", "p99/h1", "ctl p50", "ctl p99",
            "p99/ctl", "agree")  # fmt: skip
    widths = (4, 6, 6, 6, 6, 7, 6, 7, 7, 7, 6)
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True)))
    for h, raw in zip(hours, report["p99_vs_first_hour"], strict=True):
        acc = "-" if h["agreement"] is None else f"{100 * h['agreement']:.1f}%"
        ctl = ("-", "-", "-")
        if "p99_vs_control" in h:
            ctl = (f"{h['control_p50_ms']:.3f}", f"{h['control_p99_ms']:.3f}",
                   f"{h['p99_vs_control']:.2f}")  # fmt: skip
        print(f"{h['hour']:>4} {h['predictions']:>6} {h['p50_ms']:>6.3f} {h['p95_ms']:>6.3f} "
              f"{h['p99_ms']:>6.3f} {h['cpu_p99_ms']:>7.3f} {raw:>6.2f} {ctl[0]:>7} "
              f"{ctl[1]:>7} {ctl[2]:>7} {acc:>6}")  # fmt: skip
    files = report["recording_files"]
    parts = ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in files.items())
    print(f"recording: {report['recording_bytes'] / 1e6:.1f} MB ({parts})")


if __name__ == "__main__":
    sys.exit(main())
