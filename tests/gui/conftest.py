"""GUI tests: offscreen Qt, and config and log folders in a fresh tmp dir per test.

The offscreen platform's screen is 800x800 by default, smaller than the window; a plain
``offscreen`` (unset, or exported by CI) is given a 1920x1080 screen through its JSON
configuration, so window geometry behaves as on a desktop. Without PyQt6 or pytest-qt (the
core-only CI job) the GUI tests are not collected.

Every widget given to ``qtbot.addWidget`` is kept alive until the test's teardown (see
:func:`widgets_live_until_teardown`): a shown top-level widget whose last Python reference
was a test's local variable could otherwise be garbage-collected in the middle of its own
paint event and take the process down with a segmentation fault.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import tempfile
from pathlib import Path

import pytest


def _offscreen_platform() -> str:
    screen = {
        "name": "Offscreen",
        "x": 0,
        "y": 0,
        "width": 1920,
        "height": 1080,
        "logicalDpi": 96,
        "logicalBaseDpi": 96,
        "dpr": 1,
    }
    config = {"synchronousWindowSystemEvents": False, "screens": [screen]}
    folder = Path(tempfile.gettempdir()) / "bci-desktop-tests"
    folder.mkdir(exist_ok=True)
    path = folder / "offscreen-1920x1080.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return f"offscreen:configfile={path}"


# Before any QApplication exists (pytest-qt creates it lazily in its qapp fixture).
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = _offscreen_platform()

_HAVE_QT = all(importlib.util.find_spec(m) is not None for m in ("PyQt6", "pytestqt"))
collect_ignore_glob = [] if _HAVE_QT else ["test_*.py"]


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point settings, log files and data (sessions, models) at tmp folders, never the
    real user's."""
    dirs = {"config": tmp_path / "config", "logs": tmp_path / "logs", "data": tmp_path / "data"}
    monkeypatch.setenv("BCI_DESKTOP_CONFIG_DIR", str(dirs["config"]))
    monkeypatch.setenv("BCI_DESKTOP_LOG_DIR", str(dirs["logs"]))
    if "BCI_DESKTOP_DATA_DIR" not in os.environ:
        monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(dirs["data"]))
    return dirs


@pytest.fixture
def open_window(qtbot):
    """Make windows that are shown, exposed, and closed (worker stopped) after the test.

    The fixture keeps them alive until then: pytest-qt holds only weak references.
    """
    from bci_desktop.gui.main_window import MainWindow

    made: list[MainWindow] = []

    def make() -> MainWindow:
        w = MainWindow()
        made.append(w)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        return w

    yield make
    for w in made:
        w.close()
        assert not w.worker_thread.isRunning()


@pytest.fixture
def sessions_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sessions (and models) in a tmp folder, never the user's."""
    folder = tmp_path / "sessions"
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def widgets_live_until_teardown(request: pytest.FixtureRequest):
    """Hold a strong reference to every widget a test registers with ``qtbot.addWidget``.

    pytest-qt keeps only weak references. A parentless widget that is still shown when the
    test function returns (pytest-qt closes it only at teardown, after processing events)
    is then reachable from nothing but a reference cycle; when Python's cyclic garbage
    collector runs during one of its paint events, sip deletes the C++ widget under the
    painter: "wrapped C/C++ object of type AxisItem has been deleted", then SIGSEGV. The
    held widgets are released after pytest-qt has closed them; deferred deletions and a
    collection then run at once, while nothing paints.
    """
    if "qtbot" not in request.fixturenames:
        yield
        return
    qtbot = request.getfixturevalue("qtbot")
    held: list[object] = []
    add_widget = qtbot.addWidget

    def add_and_hold(widget, *, before_close_func=None):
        held.append(widget)
        add_widget(widget, before_close_func=before_close_func)

    qtbot.addWidget = add_and_hold
    yield
    from PyQt6.QtCore import QCoreApplication, QEvent

    held.clear()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
