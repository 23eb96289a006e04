"""GUI benchmark: plot frame rate and how long the GUI thread is ever blocked.

Opens the real main window at the frame-rate setting asked for (``--fps``, 60 by default),
streams a source (the signal view's 10 s window) and measures

* the plot frame rate: the window's own counter (timer ticks on which a panel redrew, over
  the last second), read once per second; median and minimum over the 1 s bins;
* GUI-thread blocking: a 5 ms ``QTimer`` heartbeat on the GUI thread records the time
  between its ticks; a tick that comes late by more than 5 ms means the thread was busy.
  Reported per phase (connect, stream, disconnect) as the largest gap minus 5 ms and the
  99th percentile of the gaps minus 5 ms.

Sources (``--sources``): ``synthetic``, BrainFlow's synthetic board (16 channels at
250 Hz); ``sim64``, the simulated subject with 64 channels at 1 kHz in chunks of 20 ms (as a
large headset delivers them; generated in the same process, so its cost is in the CPU
figure).

Usage (needs a display; Xvfb works)::

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/gui_bench.py
    python benchmarks/gui_bench.py --seconds 20 --sizes 1920x1080 1280x800 --json out.json

Targets: 16 ch @ 250 Hz at the 60 fps setting >= 55 fps median; 64 ch @ 1 kHz >= 30 fps
median; the GUI thread never blocked for more than 100 ms.

Also reported: how long one ``SignalView.refresh()`` takes (median, 99th percentile,
longest), the signal view's share of a frame.

``--screenshots DIR`` instead saves the window while streaming the simulated subject (so
the emotion panel shows real predictions and the true state beside them):
``main-1280x800.png`` and ``main-1920x1080.png`` (dark theme), ``main-light-1280x800.png``
(light theme), ``clinician.png`` (1920x1080), ``shortcuts.png`` (Help > Keyboard
shortcuts) and ``replay-paused.png`` (a recording replayed, paused after a seek).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEARTBEAT_MS = 5


def _loadavg() -> str:
    """The 1, 5 and 15 min load averages (Linux), or "" elsewhere."""
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return ""


def _parse_size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def _sim64(spec, supervision):
    """The window's source opener for ``sim64``: 64 channels at 1 kHz, 20 ms chunks."""
    from bci_desktop.core.session import OpenedSource
    from bci_desktop.core.sources.simulated import SimulatedSubject

    return OpenedSource(SimulatedSubject(sample_rate=1000.0, channels=64, chunk_s=0.02))


SOURCES = {"synthetic": ("synthetic", None), "sim64": ("simulated", _sim64)}


def run(size: tuple[int, int], seconds: float, source: str, fps: int = 60) -> dict:
    """One run at one window size; returns the measured numbers."""
    from PyQt6.QtCore import QEventLoop, Qt, QTimer

    from bci_desktop.core.session import StreamState
    from bci_desktop.core.settings import AppSettings
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow

    board, opener = SOURCES[source]
    app = create_application()
    window = MainWindow(settings=AppSettings(board=board, frame_rate=fps), open_source=opener)
    window.resize(*size)
    window.show()

    refresh_ms: list[float] = []
    sv_refresh = window.signal_view.refresh

    def timed_refresh() -> bool:
        t = time.perf_counter()
        drew = sv_refresh()
        if drew and phase["name"] == "stream":
            refresh_ms.append((time.perf_counter() - t) * 1000.0)
        return drew

    window.signal_view.refresh = timed_refresh  # type: ignore[method-assign]

    phase = {"name": "open"}
    gaps: dict[str, list[float]] = {}
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.setdefault(phase["name"], []).append((now - last[0]) * 1000.0)
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)

    def wait_for(cond: Callable[[], bool], timeout_s: float) -> bool:
        end = time.perf_counter() + timeout_s
        while time.perf_counter() < end:
            if cond():
                return True
            loop = QEventLoop()
            QTimer.singleShot(10, loop.quit)
            loop.exec()
        return cond()

    def spin(duration_s: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(round(duration_s * 1000), loop.quit)
        loop.exec()

    spin(1.0)  # let the window settle
    window.signal_view.auto_scale_button.setChecked(True)
    window.signal_view.window_combo.setCurrentIndex(window.signal_view.window_combo.findData(10.0))
    last[0] = time.perf_counter()
    heartbeat.start()

    phase["name"] = "idle"
    spin(1.0)

    phase["name"] = "connect"
    t0 = time.perf_counter()
    window.connect_stream()
    if not wait_for(lambda: window.stream_state is StreamState.STREAMING, 30.0):
        raise RuntimeError(f"the board did not stream: {window.device_panel.state_text()}")
    wait_for(lambda: window.live.samples_total > 0, 10.0)
    connect_s = time.perf_counter() - t0
    spin(3.0)  # past the automatic scale and the panels' rebuild

    phase["name"] = "stream"
    fps_bins: list[float] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(round(seconds)):
        spin(1.0)
        fps_bins.append(window.fps)
    cpu_share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    n_channels = len(window.signal_view.curves)
    points = max(len(c.getData()[0]) for c in window.signal_view.curves)
    screen_size = (window.width(), window.height())

    phase["name"] = "disconnect"
    t0 = time.perf_counter()
    window.disconnect_stream()
    wait_for(lambda: window.stream_state is StreamState.IDLE, 30.0)
    disconnect_s = time.perf_counter() - t0
    spin(0.5)
    heartbeat.stop()
    window.close()
    app.processEvents()

    blocking = {}
    for name in ("idle", "connect", "stream", "disconnect"):
        g = np.asarray(gaps.get(name, [HEARTBEAT_MS]))
        blocking[name] = {
            "max_ms": float(g.max() - HEARTBEAT_MS),
            "p99_ms": float(np.percentile(g, 99) - HEARTBEAT_MS),
            "ticks": int(g.size),
        }
    return {
        "window": f"{screen_size[0]}x{screen_size[1]}",
        "source": source,
        "fps_setting": fps,
        "sample_rate": window.live.sample_rate,
        "channels": n_channels,
        "points_per_curve": points,
        "window_s": window.signal_view.window_s,
        "fps_median": statistics.median(fps_bins),
        "fps_min": min(fps_bins),
        "fps_bins": fps_bins,
        "process_cpu_share": cpu_share,
        "signal_refresh_ms": {
            "median": float(np.median(refresh_ms)),
            "p99": float(np.percentile(refresh_ms, 99)),
            "max": float(np.max(refresh_ms)),
            "n": len(refresh_ms),
        },
        "connect_s": connect_s,
        "disconnect_s": disconnect_s,
        "blocking": blocking,
    }


def _spin(seconds: float) -> None:
    from PyQt6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def screenshot(
    folder: Path, name: str, size: tuple[int, int], *, theme: str, clinician: str = ""
) -> list[Path]:
    """Stream the simulated subject in a window of ``size`` and save it (and the clinician
    view)."""
    from bci_desktop.core.settings import AppSettings
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow

    app = create_application()
    window = MainWindow(settings=AppSettings(board="simulated", speed=1.0, theme=theme))
    window.resize(*size)
    window.show()
    _spin(0.5)
    window.connect_stream()
    _spin(14.0)  # the first prediction comes after 4 s; then 4 per second
    window.insert_marker(1)
    _spin(1.5)
    window.insert_marker(2)
    _spin(1.0)
    saved = []
    path = folder / name
    window.grab().save(str(path))
    saved.append(path)
    if clinician:
        window.set_view_mode("clinician")
        _spin(1.5)
        path = folder / clinician
        window.grab().save(str(path))
        saved.append(path)
        window.set_view_mode("main")
    window.close()
    _spin(0.3)
    app.processEvents()
    return saved


def shortcuts_screenshot(folder: Path) -> list[Path]:
    """Help > Keyboard shortcuts over the window."""
    from bci_desktop.core.settings import AppSettings
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow

    app = create_application()
    window = MainWindow(settings=AppSettings(theme="dark"))
    window.resize(1280, 800)
    window.show()
    _spin(0.5)
    dialog = window.features.help.show_shortcuts()
    _spin(0.8)
    path = folder / "shortcuts.png"
    dialog.grab().save(str(path))
    dialog.close()
    window.close()
    _spin(0.3)
    app.processEvents()
    return [path]


def replay_screenshot(folder: Path) -> list[Path]:
    """Record 40 s of the simulated subject (4x real time) with markers, replay it, pause,
    seek to 27 s and save the window: the panels show the signal up to the position."""
    from bci_desktop.core.session import RecordRequest, StreamState
    from bci_desktop.core.settings import AppSettings
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow

    app = create_application()
    window = MainWindow(settings=AppSettings(board="simulated", speed=4.0, theme="dark"))
    window.resize(1280, 800)
    window.show()
    _spin(0.5)
    window.connect_stream()
    _spin(1.0)
    recording = window.features.recording
    recording.start(RecordRequest("S01", "replay screenshot", None))
    for marker, at in ((1, 2.5), (2, 4.0), (3, 6.2)):  # wall seconds (x4 stream)
        _spin(at - (0 if marker == 1 else {2: 2.5, 3: 4.0}[marker]))
        window.insert_marker(marker)
    _spin(4.0)
    recording.stop()
    _spin(1.0)
    replay = window.features.replay
    replay.open_recording(recording.folder, speed=1.0)
    _spin(2.0)
    replay.pause()
    _spin(0.5)
    replay.seek(27.0)
    _spin(3.0)
    if window.stream_state is not StreamState.PAUSED:
        print(f"warning: the replay is {window.stream_state.label}, not paused")
    path = folder / "replay-paused.png"
    window.grab().save(str(path))
    window.close()
    _spin(0.3)
    app.processEvents()
    return [path]


def _table(results: list[dict]) -> str:
    lines = [
        f"{'window':>10} {'ch':>3} {'Hz':>5} {'set':>4} {'fps med':>8} {'fps min':>8} "
        f"{'cpu':>6}  {'phase':<11}{'max block':>11}{'p99 block':>11}"
    ]
    for r in results:
        first = True
        for name, b in r["blocking"].items():
            head = (
                f"{r['window']:>10} {r['channels']:>3} {r['sample_rate']:>5.0f} "
                f"{r['fps_setting']:>4} {r['fps_median']:>8.1f} "
                f"{r['fps_min']:>8.1f} {100 * r['process_cpu_share']:>5.0f}%"
                if first
                else " " * 50
            )
            lines.append(f"{head}  {name:<11}{b['max_ms']:>8.1f} ms{b['p99_ms']:>8.1f} ms")
            first = False
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="streaming time per run")
    parser.add_argument("--sizes", nargs="+", default=["1920x1080"], help="window sizes, WxH")
    parser.add_argument(
        "--sources", nargs="+", default=["synthetic", "sim64"], choices=sorted(SOURCES),
        help="what to stream: synthetic (16 ch, 250 Hz), sim64 (64 ch, 1 kHz)",
    )  # fmt: skip
    parser.add_argument("--fps", type=int, default=60, choices=(30, 45, 60), help="setting")
    parser.add_argument("--json", default=None, help="also write the numbers here")
    parser.add_argument("--screenshots", default=None, metavar="DIR", help="save screenshots")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="bci-gui-bench-")
    os.environ.setdefault("BCI_DESKTOP_CONFIG_DIR", str(Path(tmp) / "config"))
    os.environ.setdefault("BCI_DESKTOP_LOG_DIR", str(Path(tmp) / "logs"))
    if args.screenshots:
        from bci_desktop.gui.app import create_application

        # One application for every screenshot: each function's local reference would
        # otherwise be its last, and a QApplication made again after the previous one was
        # deleted connects to the X server anew (seen: "could not connect to display" and
        # a segfault in QtCore between two screenshots, 3 runs in 11).
        app = create_application()
        folder = Path(args.screenshots)
        folder.mkdir(parents=True, exist_ok=True)
        saved = screenshot(folder, "main-1280x800.png", (1280, 800), theme="dark")
        saved += screenshot(folder, "main-light-1280x800.png", (1280, 800), theme="light")
        saved += screenshot(
            folder, "main-1920x1080.png", (1920, 1080), theme="dark", clinician="clinician.png"
        )
        saved += shortcuts_screenshot(folder)
        saved += replay_screenshot(folder)
        for path in saved:
            print(path)
        app.processEvents()
        return 0
    load_before = _loadavg()
    results = [
        run(_parse_size(size), args.seconds, source, args.fps)
        for size in args.sizes
        for source in args.sources
    ]
    print(f"load average (1, 5, 15 min) before: {load_before}, after: {_loadavg()}")
    print(_table(results))
    for r in results:
        print(
            f"{r['window']}: {r['channels']} channels x {r['points_per_curve']} points "
            f"({r['window_s']:g} s), connect {r['connect_s']:.2f} s, disconnect "
            f"{r['disconnect_s']:.2f} s, fps bins {[round(f) for f in r['fps_bins']]}"
        )
        sv = r["signal_refresh_ms"]
        print(
            f"{r['window']}: SignalView.refresh median {sv['median']:.1f} ms, p99 "
            f"{sv['p99']:.1f} ms, longest {sv['max']:.1f} ms ({sv['n']} draws)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
