"""The window, run by a user who may not open the dongle's port, says what to do.

As in ``tests/core/sources/test_serial_access.py``: a Cyton emulator's pty owned like a USB
dongle (``nobody:dialout``, ``0660``), and a whole window in a child process that the kernel
really refuses the port to (root without ``CAP_DAC_OVERRIDE``/``CAP_DAC_READ_SEARCH``, not in
the group). The child picks the Cyton and the port in the device panel, presses Connect and
reports what the window shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bci_desktop.core.sources.serial_access import UDEV_RULE
from tests.core.sources.cyton_emulator import CytonEmulator
from tests.core.sources.test_serial_access import GROUP, NOBODY, _denied
from tests.core.sources.test_serial_access import pytestmark as _needs_root

pytestmark = _needs_root

WINDOW = """
import json, sys
from PyQt6.QtCore import QTimer
from bci_desktop.gui.app import create_application
from bci_desktop.gui.main_window import MainWindow

app = create_application()
w = MainWindow()
w.show()
assert w.device_panel.set_board("cyton")
w.device_panel.port_combo.setCurrentText(sys.argv[1])
QTimer.singleShot(0, w.device_panel.connect_button.click)
result = {}

def check():
    if w.stream_state.value == "error":
        result.update(
            panel=w.device_panel.state_text(),
            banner=w.banner.text if w.banner.isVisible() else None,
            status=w.statusBar().currentMessage(),
        )
        w.close()
        app.quit()

timer = QTimer()
timer.timeout.connect(check)
timer.start(50)
QTimer.singleShot(60_000, app.quit)  # a hung connection fails the test, never the run
app.exec()
print(json.dumps(result))
"""


def test_window_shows_how_to_get_access_to_the_port(tmp_path: Path) -> None:
    assert GROUP is not None
    with CytonEmulator(tmp_path / "ttyCYTON") as cyton:
        device = os.path.realpath(cyton.port)
        os.chown(device, NOBODY, GROUP.gr_gid)
        os.chmod(device, 0o660)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        proc = subprocess.run(
            [*_denied(), sys.executable, "-c", WINDOW, device],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout.strip().splitlines()[-1])
    assert shown, "the window never reached the error state"
    for where in ("panel", "banner", "status"):
        text = shown[where]
        assert text is not None, f"nothing in the {where}"
        assert device in text and "permission denied" in text, (where, text)
        assert f"group '{GROUP.gr_name}'" in text and "log out and back in" in text
        assert UDEV_RULE in text
        assert "--" not in text
