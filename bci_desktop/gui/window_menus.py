"""The main window's actions, menus and toolbars, and its Help actions.

Feature modules extend what is built here through the window's attributes
(``file_menu``, ``stream_menu``, ``view_menu``, ``panels_menu``, ``help_menu``,
``stream_toolbar``, ``marker_toolbar`` and the ``*_action`` attributes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import Qt, QUrl
from PyQt6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PyQt6.QtWidgets import QLabel, QToolBar

from bci_desktop.core.logs import log_dir

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["build_actions", "build_menus_and_toolbars", "open_log_folder"]

THEME_NAMES = (("system", "&System"), ("dark", "&Dark"), ("light", "&Light"))


def add_action(
    window: MainWindow,
    text: str,
    slot: Callable[..., Any],
    shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None,
    tip: str = "",
) -> QAction:
    """An action of ``window`` whose shortcut works even with menus and toolbars hidden;
    its tooltip names the shortcut."""
    act = QAction(text, window)
    if shortcut is not None:
        seq = QKeySequence(shortcut)
        act.setShortcut(seq)
        label = seq.toString(QKeySequence.SequenceFormat.NativeText)
        tip = f"{tip or text} ({label})"
    if tip:
        act.setToolTip(tip)
        act.setStatusTip(tip)
    act.triggered.connect(slot)
    window.addAction(act)
    return act


def build_actions(w: MainWindow) -> None:
    """Connect, disconnect, clinician view, markers 1-9, quit, log folder, reset layout and
    the themes, as attributes of ``w`` (Help's other actions: :mod:`.help_menu`)."""
    w.connect_action = add_action(
        w, "&Connect", w.connect_stream, "Ctrl+K", "Connect to the chosen board"
    )
    w.disconnect_action = add_action(
        w, "&Disconnect", w.disconnect_stream, "Ctrl+Shift+K", "Stop streaming"
    )
    w.clinician_action = add_action(
        w,
        "&Clinician view",
        w.toggle_view_mode,
        QKeySequence(Qt.Key.Key_F11),
        "Switch between the full layout and the calm full-screen clinician view",
    )
    w.clinician_action.setCheckable(True)
    w.leave_clinician_action = add_action(
        w, "Leave clinician view", lambda: w.set_view_mode("main"), "Esc"
    )
    w.leave_clinician_action.setEnabled(False)
    w.marker_actions = []
    for n in range(1, 10):
        act = add_action(
            w,
            f"Marker {n}",
            lambda _=False, n=n: w.insert_marker(n),
            str(n),
            f"Insert marker {n} into the stream",
        )
        act.setIconText(str(n))
        w.marker_actions.append(act)
    w.quit_action = add_action(w, "&Quit", w.close, QKeySequence.StandardKey.Quit)
    w.open_logs_action = add_action(
        w, "Open &log folder", w.open_log_folder, tip="Open the folder of the log files"
    )
    w.reset_layout_action = add_action(
        w, "&Reset layout", w.reset_layout, tip="Put every panel back in its place"
    )
    w.theme_group = QActionGroup(w)
    w.theme_actions = {}
    for name, text in THEME_NAMES:
        act = QAction(text, w, checkable=True)
        act.setToolTip(f"Use the {name} colours")
        act.triggered.connect(lambda _=False, n=name: w.set_theme(n))
        w.theme_group.addAction(act)
        w.theme_actions[name] = act


def build_menus_and_toolbars(w: MainWindow) -> None:
    """File, Stream, View (with Panels and Theme), Models and Help menus; the Stream and
    Markers toolbars."""
    bar = w.menuBar()
    assert bar is not None
    w.file_menu = bar.addMenu("&File")
    w.file_menu.addAction(w.quit_action)
    w.stream_menu = bar.addMenu("&Stream")
    w.stream_menu.addAction(w.connect_action)
    w.stream_menu.addAction(w.disconnect_action)
    marker_menu = w.stream_menu.addMenu("Insert &marker")
    marker_menu.setToolTipsVisible(True)
    for act in w.marker_actions:
        marker_menu.addAction(act)
    w.view_menu = bar.addMenu("&View")
    w.view_menu.addAction(w.clinician_action)
    w.view_menu.addSeparator()
    w.panels_menu = w.view_menu.addMenu("&Panels")
    theme_menu = w.view_menu.addMenu("&Theme")
    for act in w.theme_actions.values():
        theme_menu.addAction(act)
    w.view_menu.addAction(w.reset_layout_action)
    w.models_menu = bar.addMenu("&Models")
    w.models_menu.setToolTipsVisible(True)
    w.help_menu = bar.addMenu("&Help")
    w.help_menu.addAction(w.open_logs_action)

    w.stream_toolbar = _toolbar("Stream", "stream_toolbar")
    w.stream_toolbar.addAction(w.connect_action)
    w.stream_toolbar.addAction(w.disconnect_action)
    w.stream_toolbar.addSeparator()
    w.stream_toolbar.addAction(w.clinician_action)
    w.addToolBar(w.stream_toolbar)
    w.marker_toolbar = _toolbar("Markers", "marker_toolbar")
    label = QLabel(" Markers: ")
    label.setToolTip("Insert a numbered marker into the stream (keys 1 to 9)")
    w.marker_toolbar.addWidget(label)
    for act in w.marker_actions:
        w.marker_toolbar.addAction(act)
    w.addToolBar(w.marker_toolbar)


def _toolbar(title: str, name: str) -> QToolBar:
    bar = QToolBar(title)
    bar.setObjectName(name)
    bar.setMovable(False)
    return bar


def open_log_folder(w: MainWindow) -> None:
    """Open the folder of the log files in the file manager (or say where it is)."""
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        w.statusBar().showMessage(f"Cannot create the log folder {folder}: {exc}", 10000)
        return
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        w.statusBar().showMessage(f"The log files are in {folder}", 15000)
