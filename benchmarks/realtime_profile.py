"""Where the time of one prediction goes: in a hot loop and in real time, stage by stage.

``bci-desktop bench`` measures a prediction's latency in a hot loop (the engine fed as fast
as it takes chunks) and in real time (the simulated subject at 1x, the thread sleeping
between chunks). This script times each stage of a hop in both settings, in the same run:
filtering a piece, the incremental Welch segment, the checks that may withhold a
prediction (quality, NaN), the model input, the novelty check, the model, and the quality
scoring (after the prediction, outside its latency).

Usage::

    python benchmarks/realtime_profile.py [--seconds 20] [--rounds 2]

Every stage is slower in real time by a similar factor: the work is the same, done with
cold caches on cores that ran other programs during the 250 ms between two hops (the CPU
time the thread spends equals the latency: it is not waiting for the processor).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.stream import Chunk

STAGES = (
    ("filter", "_filter", "process"),
    ("welch segment", "_incremental", "push"),
    ("model input", None, "_model_input"),
    ("model", "model", "predict_proba"),
    ("withheld?", None, "_withheld_reason"),
    ("novelty", "_novelty", "check"),
    ("quality (after)", None, "_assess"),
)


def _timed(times: dict[str, list[float]], key: str, fn: Callable) -> Callable:
    def run(*args, **kwargs):
        t = time.perf_counter_ns()
        out = fn(*args, **kwargs)
        times[key].append((time.perf_counter_ns() - t) / 1e6)
        return out

    return run


def _instrument(engine: Engine) -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)
    for key, owner, name in STAGES:
        target = engine if owner is None else getattr(engine, owner)
        if target is not None:
            setattr(target, name, _timed(times, key, getattr(target, name)))
    return times


def hot(model: EmotionModel, seconds: float) -> tuple[list[float], dict[str, list[float]]]:
    sim = SimulatedSubject(speed=None, seed=3, chunk_s=seconds)
    sim.start()
    c = sim.read()
    sim.stop()
    engine = Engine(sim.info, model=model)
    times = _instrument(engine)
    latency = []
    for s in range(0, c.eeg.shape[1], 5):
        sl = slice(s, s + 5)
        update = engine.process(Chunk(c.eeg[:, sl], c.timestamps[sl], c.markers[sl], c.truth[sl]))
        latency += [p.latency_ms for p in update.predictions if p.label]
    return latency, times


def realtime(model: EmotionModel, seconds: float) -> tuple[list[float], dict[str, list[float]]]:
    sim = SimulatedSubject(speed=1.0, seed=3, chunk_s=0.02)
    engine = Engine(sim.info, model=model, config=EngineConfig())
    times = _instrument(engine)
    runner = StreamRunner(sim, engine, duration_s=seconds)
    sim.start()
    latency = []
    while not runner.done:
        update = runner.step()
        if update is None:
            time.sleep(0.004)
            continue
        latency += [p.latency_ms for p in update.predictions if p.label]
    sim.stop()
    return latency, times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="stream seconds per run")
    parser.add_argument("--rounds", type=int, default=2, help="hot / real-time pairs")
    args = parser.parse_args(argv)
    model = EmotionModel.load(default_model_path())
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"load average {' '.join(load)}; median ms per call, 16 ch at 250 Hz")
    header = f"{'run':<10}{'latency':>9}" + "".join(f"{k:>17}" for k, _, _ in STAGES)
    print(header)
    for _ in range(args.rounds):
        for name, fn in (("hot", hot), ("real time", realtime)):
            latency, times = fn(model, args.seconds)
            cells = "".join(
                f"{np.median(times[k]):17.3f}" if times.get(k) else f"{'-':>17}"
                for k, _, _ in STAGES
            )
            print(f"{name:<10}{np.median(latency):9.3f}{cells}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
