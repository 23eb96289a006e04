"""GUI benchmark: what recording costs in the window (plot frame rate, inference latency).

Opens the real main window at 1280x800, streams BrainFlow's synthetic board (16 channels,
the signal view's 10 s window) and alternates runs without and with recording (Record in
the window: the worker's RecordingTap writes every raw sample of the 32 board rows, every
prediction, with fsync twice a second), ``--reps`` times each, ``--seconds`` per run, on
one connection. Per run it keeps

* the plot frame rate: the window's own counter, read once per second (median of the bins);
* the per-inference latency that every prediction carries (p50, p99 of the run, and p99
  of all the predictions of a mode pooled: a run at 4 predictions/s has few for a p99);
* the process CPU share and, for recording runs, the bytes written.

and prints, per mode, the median over the runs of each number.

Usage (needs a display; Xvfb works)::

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/gui_recording_cost.py
    python benchmarks/gui_recording_cost.py --seconds 20 --reps 3 --json out.json

``--screenshots DIR`` instead saves ``recording.png`` (the window while recording, with the
REC indicator) and ``sessions.png`` (File > Sessions…). Sessions, settings and logs go to a
temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZE = (1280, 800)


def _spin(seconds: float) -> None:
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def _wait_for(cond: Callable[[], bool], timeout_s: float) -> bool:
    end = time.perf_counter() + timeout_s
    while time.perf_counter() < end:
        if cond():
            return True
        _spin(0.01)
    return cond()


def _window(board: str = "synthetic"):
    from bci_desktop.core.settings import AppSettings
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow

    app = create_application()
    window = MainWindow(settings=AppSettings(board=board, speed=1.0))
    window.resize(*SIZE)
    window.show()
    _spin(1.0)
    combo = window.signal_view.window_combo
    combo.setCurrentIndex(combo.findData(10.0))
    return app, window


def _connect(window) -> None:
    from bci_desktop.core.session import StreamState

    window.connect_stream()
    if not _wait_for(lambda: window.stream_state is StreamState.STREAMING, 30.0):
        raise RuntimeError(f"the board did not stream: {window.device_panel.state_text()}")
    _wait_for(lambda: window.live.samples_total > 0, 10.0)


def _one_run(window, seconds: float, record: bool) -> dict[str, Any]:
    from bci_desktop.core.session import RecordRequest

    rec = window.features.recording
    latencies: list[float] = []

    def collect(batch: list) -> None:
        for update in batch:
            latencies.extend(p.latency_ms for p in update.predictions)

    if record:
        rec.start(RecordRequest("bench", "gui_recording_cost", None))
        if not _wait_for(lambda: rec.recording, 10.0):
            raise RuntimeError(f"recording did not start: {rec.last_error}")
    window.worker.updates.connect(collect)
    _spin(1.0)  # let the frame counter cover a whole second of this mode
    fps_bins: list[float] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(round(seconds)):
        _spin(1.0)
        fps_bins.append(window.fps)
    cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    window.worker.updates.disconnect(collect)
    size = 0
    if record:
        rec.stop()
        _wait_for(lambda: not rec.recording, 10.0)
        size = rec.status.size_bytes
        if rec.last_error:
            raise RuntimeError(f"recording failed: {rec.last_error}")
    lat = np.asarray(latencies) if latencies else np.asarray([np.nan])
    return {
        "recording": record,
        "fps_median": statistics.median(fps_bins),
        "fps_min": min(fps_bins),
        "latency_p50_ms": float(np.percentile(lat, 50)),
        "latency_p99_ms": float(np.percentile(lat, 99)),
        "predictions": len(latencies),
        "cpu_share": cpu,
        "bytes_recorded": size,
        "latencies_ms": latencies,
    }


def run(seconds: float, reps: int) -> dict[str, Any]:
    """Alternate ``reps`` runs off and on; return every run and the medians per mode."""
    from bci_desktop.core.session import StreamState

    app, window = _window()
    _connect(window)
    _spin(3.0)  # warm up: first window of predictions, caches, plots
    runs = []
    for _ in range(reps):
        for record in (False, True):
            runs.append(_one_run(window, seconds, record))
            shown = {k: v for k, v in runs[-1].items() if k != "latencies_ms"}
            print(json.dumps(shown), file=sys.stderr)
    window.disconnect_stream()
    _wait_for(lambda: window.stream_state is StreamState.IDLE, 30.0)
    window.close()
    app.processEvents()
    summary = {}
    for mode, record in (("off", False), ("on", True)):
        mine = [r for r in runs if r["recording"] is record]
        summary[mode] = {
            key: statistics.median(r[key] for r in mine)
            for key in ("fps_median", "fps_min", "latency_p50_ms", "latency_p99_ms", "cpu_share")
        }
        pooled = np.concatenate([r["latencies_ms"] for r in mine])
        summary[mode]["pooled_p50_ms"] = float(np.percentile(pooled, 50))
        summary[mode]["pooled_p99_ms"] = float(np.percentile(pooled, 99))
        summary[mode]["predictions"] = int(pooled.size)
    return {
        "seconds_per_run": seconds,
        "reps": reps,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "runs": runs,
        "median": summary,
    }


def screenshots(folder: Path) -> list[Path]:
    """``recording.png`` (the window while recording) and ``sessions.png`` (the browser)."""
    from bci_desktop.core.session import RecordRequest, StreamState

    app, window = _window()
    window.signal_view.scale_spin.setValue(400)  # the synthetic sines reach 160 uV
    _connect(window)
    rec = window.features.recording
    for subject, notes, seconds in (("S01", "eyes open", 3.0), ("S02", "eyes closed", 5.0)):
        rec.start(RecordRequest(subject, notes, None))
        _wait_for(lambda: rec.recording, 10.0)
        _spin(seconds)
        rec.stop()
        _wait_for(lambda: not rec.recording, 10.0)
    rec.start(RecordRequest("S03", "task A", None))
    _wait_for(lambda: rec.recording, 10.0)
    _spin(6.0)
    window.insert_marker(1)
    _spin(6.5)
    saved = []
    path = folder / "recording.png"
    window.grab().save(str(path))
    saved.append(path)
    window.features.sessions.action.trigger()
    _spin(1.0)
    browser = window.features.sessions.browser
    browser.select(Path(rec.folder).name)
    _spin(0.5)
    path = folder / "sessions.png"
    browser.grab().save(str(path))
    saved.append(path)
    browser.close()
    window.disconnect_stream()
    _wait_for(lambda: window.stream_state is StreamState.IDLE, 30.0)
    window.close()
    app.processEvents()
    return saved


def _table(result: dict[str, Any]) -> str:
    off, on = result["median"]["off"], result["median"]["on"]
    lines = [f"{'':<28}{'recording off':>15}{'recording on':>15}{'change':>10}"]
    for key, label, fmt in (
        ("fps_median", "plot fps (median)", "{:.1f}"),
        ("fps_min", "plot fps (min bin)", "{:.1f}"),
        ("latency_p50_ms", "inference p50 (ms)", "{:.3f}"),
        ("latency_p99_ms", "inference p99 (ms)", "{:.3f}"),
        ("pooled_p99_ms", "inference p99, pooled (ms)", "{:.3f}"),
        ("cpu_share", "process CPU (cores)", "{:.2f}"),
    ):
        a, b = off[key], on[key]
        change = f"{100 * (b - a) / a:+.1f} %" if a else "–"
        lines.append(f"{label:<28}{fmt.format(a):>15}{fmt.format(b):>15}{change:>10}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or take the screenshots) and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="streaming time per run")
    parser.add_argument("--reps", type=int, default=3, help="runs of each mode")
    parser.add_argument("--json", default=None, help="also write the numbers here")
    parser.add_argument("--screenshots", default=None, metavar="DIR", help="save screenshots")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bci-gui-recording-"))
    os.environ["BCI_DESKTOP_CONFIG_DIR"] = str(tmp / "config")
    os.environ["BCI_DESKTOP_LOG_DIR"] = str(tmp / "logs")
    os.environ["BCI_DESKTOP_DATA_DIR"] = str(tmp / "sessions")
    try:
        return _main(args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _main(args: argparse.Namespace) -> int:
    if args.screenshots:
        folder = Path(args.screenshots)
        folder.mkdir(parents=True, exist_ok=True)
        for path in screenshots(folder):
            print(path)
        return 0
    result = run(args.seconds, args.reps)
    print(_table(result))
    print(
        f"{result['reps']} runs of {result['seconds_per_run']:g} s per mode, alternated; "
        f"{result['machine']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
