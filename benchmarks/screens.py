"""What the screenshot scripts share: folders of their own, the application, waiting.

Each script (``*_screenshots.py``) runs the real window under a real X server and saves PNG
files; settings, logs and data go to a temporary folder so that the user's are never
touched. Import this module only from those scripts (it puts the clone on ``sys.path``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def output_folder(description: str) -> Path:
    """Parse the one argument every screenshot script takes: the folder for its PNG files."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    return out


def private_folders(prefix: str = "bci-shots-") -> Path:
    """Point the app's data, config and log folders into a new temporary folder; return it."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    for var, sub in (
        ("BCI_DESKTOP_DATA_DIR", "data"),
        ("BCI_DESKTOP_CONFIG_DIR", "config"),
        ("BCI_DESKTOP_LOG_DIR", "logs"),
    ):
        os.environ[var] = str(tmp / sub)
    return tmp


def waiter(app, default_timeout_s: float = 60.0) -> Callable[..., None]:
    """``wait(cond, timeout_s)``: process the app's events until ``cond()`` holds."""
    from PyQt6.QtCore import QEventLoop

    def wait(cond: Callable[[], bool], timeout_s: float = default_timeout_s) -> None:
        end = time.monotonic() + timeout_s
        while not cond():
            if time.monotonic() > end:
                raise TimeoutError("the screenshot script timed out")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    return wait
