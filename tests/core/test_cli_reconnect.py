"""`bci-desktop run` on BrainFlow's real Cyton driver, over an emulated serial device that is
unplugged and plugged back mid-stream: detection, automatic reconnection, one session."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

import pytest

from bci_desktop.core.recording import read_session
from tests.core.sources.cyton_emulator import CytonEmulator
from tests.core.test_cli import as_foreground


def _lines(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


def _wait_for(lines: queue.Queue, needle: str, seen: list[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if needle in line:
            return line
    pytest.fail(f"{needle!r} not seen within {timeout} s; stderr so far:\n{''.join(seen)}")


def test_unplug_and_replug_resume_in_one_session(tmp_path):
    port = tmp_path / "ttyCYTON"
    rec = tmp_path / "rec"
    with CytonEmulator(port) as emulator:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bci_desktop", "run", "--board", "cyton", "--serial-port",
             str(port), "--no-model", "--stall-timeout", "1", "--record", str(rec)],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=as_foreground,
        )  # fmt: skip
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True)
        reader.start()
        seen: list[str] = []
        try:
            _wait_for(lines, " samples ", seen, 30)  # streaming
            _wait_for(lines, "[    2.0 s]", seen, 30)
            emulator.unplug()
            unplugged = time.monotonic()
            _wait_for(lines, "signal lost", seen, 10)
            detected = time.monotonic() - unplugged
            _wait_for(lines, "SIGNAL LOST", seen, 10)  # the status line says so too
            emulator.replug()
            replugged = time.monotonic()
            _wait_for(lines, "reconnected", seen, 20)
            resumed = time.monotonic() - replugged
            _wait_for(lines, " samples ", seen, 10)
        finally:
            proc.send_signal(2)  # Ctrl+C: a clean stop
            proc.wait(timeout=20)
            reader.join(timeout=5)
            proc.stderr.close()
        while (line := lines.get_nowait() if not lines.empty() else None) is not None:
            seen.append(line)
        assert proc.returncode == 0, "".join(seen)
    assert 0.9 <= detected <= 4.0
    # the device is watched: reconnection starts as soon as the port is back
    assert resumed <= 8.0
    (session,) = rec.iterdir()  # one session across the unplug
    data = read_session(session)
    kinds = [e["kind"] for e in data.events]
    assert "signal_lost" in kinds and "reconnected" in kinds
    assert kinds.index("signal_lost") < kinds.index("reconnected")
    lost = next(e for e in data.events if e["kind"] == "signal_lost")
    back = next(e for e in data.events if e["kind"] == "reconnected")
    assert 0 < lost["sample"] <= back["sample"] < data.n_samples
    assert data.meta.status == "complete"
    # One gap, the same in the recording, the last status line and the summary.
    assert kinds.count("gap") == 1
    gap = next(e for e in data.events if e["kind"] == "gap")
    assert gap["sample"] == back["sample"] and "from the reconnected" in gap["detail"]
    status = [ln for ln in seen if ln.startswith("[")]
    assert status[-1].rstrip().endswith("| 1 gap") or "| 1 gap |" in status[-1]
    assert seen[-1].startswith("Stopped:") and seen[-1].rstrip().endswith("; 1 gap")
