"""How long the acquisition process takes to come back after it dies or hangs.

Streams the simulated subject (16 channels, 250 Hz, 1x, the default model chosen as the app
chooses it) in a real acquisition process, recording to a temporary folder, then kills the
process (SIGKILL: the same path as ``os.abort()`` or a segfault, whatever the signal) or
freezes it (SIGSTOP: a driver hanging inside ``read()``), and times, from the fault:

* **noticed**: the host reports the process lost (at once for a death; after the 5 s
  heartbeat timeout for a hang);
* **first samples**: the restarted process's first new samples reach the host;
* **first prediction**: its first labelled prediction (a whole window of new signal later).

Run::

    python benchmarks/process_restart.py            # 5 deaths and 3 hangs
    python benchmarks/process_restart.py --deaths 10 --hangs 0
    python benchmarks/process_restart.py --spawn    # baseline: a fresh interpreter per child

Prints one row per fault and the medians; the figures go to docs/reliability.md.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass

from bci_desktop.core.acquisition import ChildConfig, ProcessHost, ProcessLost
from bci_desktop.core.engine import EngineUpdate
from bci_desktop.core.session import RecordRequest, SessionOptions, SimulatedSpec


@dataclass
class Restart:
    fault: str
    noticed_s: float
    samples_s: float
    prediction_s: float


def _pump_until(host: ProcessHost, seconds: float, done) -> float | None:
    """Poll the host until ``done(item)`` holds for an item; the time it did, else None."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for item in host.poll():
            if done(item):
                return time.monotonic()
        time.sleep(0.005)
    return None


def _has_samples(item: object) -> bool:
    return isinstance(item, EngineUpdate) and item.n_samples > 0


def _has_label(item: object) -> bool:
    return isinstance(item, EngineUpdate) and any(p.label is not None for p in item.predictions)


def _one(host: ProcessHost, fault: str) -> Restart | None:
    process = host._process  # the benchmark needs the pid to fault it
    if process is None or process.pid is None:
        return None
    t0 = time.monotonic()
    os.kill(process.pid, signal.SIGKILL if fault == "death" else signal.SIGSTOP)
    noticed = _pump_until(host, 30.0, lambda i: isinstance(i, ProcessLost))  # kills a hung one
    samples = _pump_until(host, 30.0, _has_samples)
    prediction = _pump_until(host, 30.0, _has_label)
    if noticed is None or samples is None or prediction is None:
        print(f"{fault}: did not come back within 30 s", file=sys.stderr)
        return None
    return Restart(fault, noticed - t0, samples - t0, prediction - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deaths", type=int, default=5)
    parser.add_argument("--hangs", type=int, default=3)
    parser.add_argument(
        "--spawn",
        action="store_true",
        help="start each child with multiprocessing's spawn (the baseline), not the fork server",
    )
    args = parser.parse_args(argv)
    if args.spawn:
        import multiprocessing

        from bci_desktop.core.acquisition import process_host

        process_host._context = lambda: multiprocessing.get_context("spawn")
    rows: list[Restart] = []
    with tempfile.TemporaryDirectory() as folder:
        options = SessionOptions(record=RecordRequest(folder=folder))
        # crash_window_s 0: the benchmark faults it more often than the app tolerates
        host = ProcessHost(crash_window_s=0.0)
        host.start(ChildConfig(SimulatedSpec(speed=1.0), options))
        try:
            if _pump_until(host, 60.0, _has_label) is None:
                print("The stream did not start within 60 s", file=sys.stderr)
                return 1
            for fault in ["death"] * args.deaths + ["hang"] * args.hangs:
                time.sleep(2.0)
                row = _one(host, fault)
                if row is None:
                    return 1
                rows.append(row)
                print(
                    f"{row.fault:<6} noticed {row.noticed_s:6.2f} s  first samples "
                    f"{row.samples_s:6.2f} s  first prediction {row.prediction_s:6.2f} s",
                    flush=True,
                )
        finally:
            host.stop()
    load = os.getloadavg()[0]
    method = "spawn" if args.spawn else "fork server"
    print(f"\nmedians, {method} (load average {load:.1f}, {os.cpu_count()} CPUs):")
    for fault in ("death", "hang"):
        got = [r for r in rows if r.fault == fault]
        if got:
            print(
                f"{fault:<6} n={len(got)}  noticed "
                f"{statistics.median(r.noticed_s for r in got):.2f} s, first samples "
                f"{statistics.median(r.samples_s for r in got):.2f} s, first prediction "
                f"{statistics.median(r.prediction_s for r in got):.2f} s (after the fault)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
