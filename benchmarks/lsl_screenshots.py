"""Screenshots of the window streaming an LSL stream with markers from another program.

Run under a real X server::

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/lsl_screenshots.py docs/screenshots

A pylsl outlet in this process publishes the simulated subject as an LSL amplifier
("LabAmp", 16 EEG channels and a counter), another publishes PsychoPy-style text markers.
The window lists the amplifier in its board list, streams it with Stream > Follow LSL
marker streams and Publish on LSL on, and is saved at 1280x800 and 1920x1080
(``lsl-1280x800.png``, ``lsl-1920x1080.png``), plus the device panel
(``lsl-device-panel.png``). Settings, logs and data go to a temporary folder.
"""

from __future__ import annotations

import time

from screens import output_folder, private_folders, waiter


def main() -> int:
    out = output_folder(__doc__.splitlines()[0])
    private_folders("bci-lsl-shots-")

    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from bci_desktop.core.session import StreamState
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow
    from tests.core.lsl.publishers import Amplifier, marker_outlet

    app = create_application()
    assert isinstance(app, QApplication)
    amp = Amplifier("LabAmp", "labamp-serial-0042")
    stim = marker_outlet("PsychoPy", "psychopy-lab1")
    pusher = QTimer()
    pusher.timeout.connect(amp.push_due)
    pusher.start(10)

    wait = waiter(app, 60.0)

    def pause(seconds: float) -> None:
        end = time.monotonic() + seconds
        wait(lambda: time.monotonic() > end, seconds + 5)

    w = MainWindow()
    w.resize(1280, 800)
    w.show()
    board = "lsl:source_id=labamp-serial-0042"
    wait(lambda: w.device_panel.board_combo.findData(board) >= 0)
    w.device_panel.set_board(board)
    w.features.lsl.follow_markers.setChecked(True)
    w.features.lsl.publish.setChecked(True)
    w.connect_stream()
    wait(lambda: w.stream_state is StreamState.STREAMING)
    pause(3.0)
    for text in ("fixation", "face", "house", "response"):
        stim.push_sample([text], amp.time_of(amp.k - 5))
        pause(1.6)
    wait(lambda: "from the LSL time stamp" in w.latency_panel.stats_text)
    pause(2.0)
    w.grab().save(str(out / "lsl-1280x800.png"))
    w.device_panel.grab().save(str(out / "lsl-device-panel.png"))
    w.resize(1920, 1080)
    pause(2.0)
    w.grab().save(str(out / "lsl-1920x1080.png"))
    print(w.latency_panel.stats_text)
    print(w.device_panel.board_combo.currentText())
    w.close()
    pusher.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
