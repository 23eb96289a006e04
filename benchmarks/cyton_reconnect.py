"""Time from plugging an (emulated) Cyton back in to its first new sample.

BrainFlow's real Cyton driver talks to the pseudo-terminal emulator of the tests through a
SupervisedSource; each cycle streams, unplugs, waits ``outage`` seconds, plugs back in and
measures (wall clock, ``time.monotonic``):

- detection: unplug -> "signal_lost" event (about ``stall_timeout_s``);
- replug -> first new sample: the chunk with ``gap_before=True`` (depends on where the
  replug falls in the backoff schedule, plus the ~1 s Cyton handshake).

Run from the repository root (POSIX only)::

    python benchmarks/cyton_reconnect.py            # default settings, 5 cycles per outage
    python benchmarks/cyton_reconnect.py --watch-port  # device_present: attempt on replug
    python benchmarks/cyton_reconnect.py --cycles 3 --backoff 0.2,0.4 --stall 0.5
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.brainflow_source import BrainFlowSource
from bci_desktop.core.sources.supervised import SourceEvent, SupervisedSource
from tests.core.sources.cyton_emulator import CytonEmulator

POLL_S = 0.004  # what StreamRunner sleeps between empty reads


def _cycle(
    source: SupervisedSource, cyton: CytonEmulator, events: list[tuple[float, SourceEvent]],
    outage_s: float, stream_s: float,
) -> tuple[float, float]:  # fmt: skip
    """One unplug/replug; returns (detection s, replug -> first new sample s)."""
    end = time.monotonic() + stream_s
    while time.monotonic() < end:
        if source.read() is None:
            time.sleep(POLL_S)
    del events[:]
    unplugged = time.monotonic()
    cyton.unplug()
    replug_at = unplugged + outage_s
    replugged = None
    while True:
        now = time.monotonic()
        if replugged is None and now >= replug_at:
            cyton.replug()
            replugged = time.monotonic()
        chunk = source.read()
        if chunk is not None and chunk.gap_before:
            first_sample = time.monotonic()
            break
        if chunk is None:
            time.sleep(POLL_S)
    lost = next(t for t, e in events if e.kind == "signal_lost")
    return lost - unplugged, first_sample - replugged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--outages", default="1,5,10", help="seconds unplugged, comma-separated")
    parser.add_argument("--stall", type=float, default=2.0, help="stall_timeout_s")
    parser.add_argument("--backoff", default="1,2,4,8,16,30", help="backoff_s, comma-separated")
    parser.add_argument(
        "--watch-port", action="store_true", help="device_present=port exists (attempt on replug)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    backoff = tuple(float(b) for b in args.backoff.split(","))
    print(
        f"stall_timeout_s={args.stall:g}, backoff_s={backoff}, watch port: {args.watch_port}, "
        f"{args.cycles} cycles per outage"
    )
    print("outage s | detection s (median) | replug -> first sample s: median  min  max")
    with tempfile.TemporaryDirectory() as tmp, CytonEmulator(Path(tmp) / "ttyCYTON") as cyton:
        params = ConnectionParams(serial_port=str(cyton.port))
        events: list[tuple[float, SourceEvent]] = []
        source = SupervisedSource(
            lambda: BrainFlowSource("cyton", params),
            stall_timeout_s=args.stall,
            backoff_s=backoff,
            on_event=lambda e: events.append((time.monotonic(), e)),
            device_present=cyton.port.exists if args.watch_port else None,
        )
        t0 = time.monotonic()
        source.start()
        connect_s = time.monotonic() - t0
        try:
            for outage in (float(o) for o in args.outages.split(",")):
                runs = [_cycle(source, cyton, events, outage, 1.0) for _ in range(args.cycles)]
                detect = statistics.median(r[0] for r in runs)
                back = [r[1] for r in runs]
                print(
                    f"{outage:8g} | {detect:20.2f} | {statistics.median(back):30.2f} "
                    f"{min(back):4.2f} {max(back):4.2f}"
                )
        finally:
            source.stop()
        print(f"first connection (handshake v, d, b): {connect_s:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
