"""Stream a board in the real window for a while and print what its status bar says.

Run under a display, e.g.::

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/window_status.py \
        --board synthetic --seconds 120 --screenshot /tmp/status.png

It prints the status bar's labels (board, rate, samples, gaps, model, fps) at the end, so a
person can check, for instance, that two minutes of BrainFlow's synthetic board show
"Gaps: 0" as the command line's summary does.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="synthetic")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--screenshot", default=None, help="PNG of the window at the end")
    args = parser.parse_args()

    import os

    os.environ.setdefault("BCI_DESKTOP_CONFIG_DIR", tempfile.mkdtemp(prefix="bci-cfg-"))
    from PyQt6.QtWidgets import QApplication

    from bci_desktop.core.session import StreamState
    from bci_desktop.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    window = MainWindow()
    window.resize(1920, 1080)
    window.show()
    window.device_panel.set_board(args.board)
    window.connect_stream()

    def wait(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.005)

    wait(3.0)
    if window.stream_state is not StreamState.STREAMING:
        print(f"not streaming: {window.stream_state.label}", file=sys.stderr)
        return 1
    wait(args.seconds)
    labels = {k: v.text() for k, v in window.status_labels.items()}
    for key, text in labels.items():
        print(f"{key:8} {text}")
    if args.screenshot:
        window.grab().save(args.screenshot)
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
