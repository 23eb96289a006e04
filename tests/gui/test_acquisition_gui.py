"""The window survives a crashing or hanging driver: the stream runs in a child process.

The source is the simulated subject wrapped so that it aborts (SIGABRT), segfaults or hangs
inside ``read()`` two seconds in, once (tests/faulty_sources.py); the window names it to its
child process. A last test kills the window itself and checks that no child is left.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bci_desktop.core.acquisition import ProcessLost
from bci_desktop.core.recording import read_session
from bci_desktop.core.session import RecordRequest, StreamState
from bci_desktop.gui.main_window import MainWindow
from tests.faulty_sources import faulty_simulated

T = 60000  # ms: the first child waits for the fork server's imports; more on a busy machine


@pytest.mark.parametrize("fault", ["abort", "hang"])
def test_the_window_stays_up_and_the_stream_resumes_in_the_same_session(
    qtbot, tmp_path: Path, sessions_dir: Path, fault: str
) -> None:
    marker = tmp_path / "faulted"
    opener = functools.partial(faulty_simulated, marker=str(marker), after_s=3.0, fault=fault)
    w = MainWindow(open_source=opener)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    lost: list[ProcessLost] = []
    w.worker.process_lost.connect(lost.append)
    w.device_panel.set_board("simulated")
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    rec = w.features.recording
    rec.start(RecordRequest("S9", "", None))
    qtbot.waitUntil(lambda: rec.recording, timeout=T)

    qtbot.waitUntil(lambda: bool(lost), timeout=T)  # the fault
    noticed = time.monotonic()
    assert lost[0].restarting and marker.exists()
    assert w.isVisible(), "the window is up"
    assert "The acquisition process" in w.banner.text and lost[0].reason in w.banner.text
    before = w.live.samples_total
    qtbot.waitUntil(
        lambda: w.stream_state is StreamState.STREAMING and w.live.samples_total > 25,
        timeout=T,
    )
    resumed = time.monotonic() - noticed
    assert "was restarted" in w.banner.text
    assert rec.recording, "the recording goes on"
    qtbot.waitUntil(lambda: rec.status.elapsed_s >= 4.0, timeout=T)
    rec.stop()
    qtbot.waitUntil(lambda: not rec.recording, timeout=T)
    w.close()
    assert not w.worker_thread.isRunning()

    (folder,) = [p for p in sessions_dir.iterdir() if (p / "session.json").is_file()]
    data = read_session(folder)
    assert data.meta.status == "complete" and data.meta.subject == "S9"
    kinds = [e["kind"] for e in data.events]
    assert kinds.count("gap") == 1 and kinds.count("acquisition_restarted") == 1
    gap = next(e for e in data.events if e["kind"] == "gap")
    assert 0 < gap["sample"] < data.n_samples, "samples before and after the restart"
    assert before > 0
    # Written for the note: how long the window waited for the new process.
    print(f"{fault}: resumed {resumed:.1f} s after the window noticed")


_KILLED_WINDOW = textwrap.dedent(
    """
    import sys, time
    from PyQt6.QtWidgets import QApplication
    from bci_desktop.core.session import StreamState
    from bci_desktop.gui.main_window import MainWindow

    if __name__ == "__main__":
        app = QApplication([])
        w = MainWindow()
        w.show()
        w.device_panel.set_board("simulated")
        w.connect_stream()
        end = time.monotonic() + 60
        while time.monotonic() < end:
            app.processEvents()
            pid = w.worker.host.pid
            if w.stream_state is StreamState.STREAMING and pid:
                print(pid, flush=True)
                break
            time.sleep(0.01)
        while True:
            app.processEvents()
            time.sleep(0.01)
    """
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_window_leaves_no_child_process(tmp_path: Path) -> None:
    script = tmp_path / "window.py"
    script.write_text(_KILLED_WINDOW)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": os.getcwd()}
    window = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        line = window.stdout.readline().strip()
        assert line.isdigit(), "the window streamed and named its acquisition process"
        child = int(line)
        assert _alive(child)
        # the process that forked it: the fork server (or the window itself, with spawn)
        server = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
        window.send_signal(signal.SIGKILL)
        window.wait(10)
        deadline = time.monotonic() + 5.0
        while (_alive(child) or _alive(server)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the child noticed its window was gone and exited"
        assert not _alive(server), "no fork server is left behind either"
    finally:
        if window.poll() is None:
            window.kill()
        window.stdout.close()
