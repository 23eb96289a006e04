"""Where the panels go: docks around the signal view, and the switch to the clinician view.

:class:`DockLayout` puts the panels in docks of an inner main window (the *workspace*),
arranges them and shares the window between them by its size. :class:`ViewModes` swaps
the whole workspace for the full-screen clinician view and back, restoring the window as
it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from PyQt6.QtCore import QByteArray, QEvent, QObject, Qt
from PyQt6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QToolButton,
    QWidget,
)

from bci_desktop.core.errors import ConfigError

__all__ = ["DOCKS", "VIEW_MODES", "DockLayout", "ViewModes"]

#: Dock key, title and object name (the name keys the saved layout), in menu order.
DOCKS: tuple[tuple[str, str, str], ...] = (
    ("device", "Device", "device_dock"),
    ("emotion", "Emotion", "emotion_dock"),
    ("quality", "Signal quality", "quality_dock"),
    ("spectrum", "Spectrum", "spectrum_dock"),
    ("latency", "Latency", "latency_dock"),
    ("log", "Log", "log_dock"),
)
VIEW_MODES = ("main", "clinician")
#: Share of the width under the signal view that goes to the emotion dock (the rest: spectrum).
EMOTION_SHARE = 0.45


class DockLayout:
    """The workspace: the signal view in the centre, the other panels in docks.

    Default arrangement: device over latency on the left, signal quality on the right, and
    emotion beside spectrum under the signal view and the quality panel.

    Parameters
    ----------
    central : QWidget
        The signal view.
    panels : mapping of str to QWidget
        One widget per key of :data:`DOCKS`.
    menu : QMenu
        Gets one show/hide action per dock.

    Attributes
    ----------
    workspace : QMainWindow
        An inner main window (a plain widget) that holds the docks.
    docks : dict of str to QDockWidget
        By key of :data:`DOCKS`.
    """

    def __init__(self, central: QWidget, panels: Mapping[str, QWidget], menu: QMenu) -> None:
        self.workspace = QMainWindow()
        self.workspace.setWindowFlags(Qt.WindowType.Widget)
        self.workspace.setObjectName("workspace")
        self.workspace.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
        self.workspace.setCentralWidget(central)
        self.docks: dict[str, QDockWidget] = {}
        for key, title, name in DOCKS:
            dock = QDockWidget(title, self.workspace)
            dock.setObjectName(name)
            dock.setWidget(panels[key])
            dock.setFeatures(
                QDockWidget.DockWidgetFeature.DockWidgetMovable
                | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                | QDockWidget.DockWidgetFeature.DockWidgetClosable
            )
            menu.addAction(dock.toggleViewAction())
            self.docks[key] = dock
        self.arrange()
        self._default_state = self.workspace.saveState()

    def arrange(self) -> None:
        """Put every dock in its default place (sizes: :meth:`fit`)."""
        ws, d = self.workspace, self.docks
        area = Qt.DockWidgetArea
        ws.setCorner(Qt.Corner.BottomLeftCorner, area.LeftDockWidgetArea)
        ws.setCorner(Qt.Corner.BottomRightCorner, area.BottomDockWidgetArea)
        for dock in d.values():
            dock.setFloating(False)
            dock.show()
        ws.addDockWidget(area.LeftDockWidgetArea, d["device"])
        ws.splitDockWidget(d["device"], d["latency"], Qt.Orientation.Vertical)
        ws.addDockWidget(area.RightDockWidgetArea, d["quality"])
        ws.addDockWidget(area.BottomDockWidgetArea, d["emotion"])
        ws.splitDockWidget(d["emotion"], d["spectrum"], Qt.Orientation.Horizontal)
        ws.tabifyDockWidget(d["latency"], d["log"])
        d["latency"].raise_()
        d["log"].hide()

    def fit(self) -> None:
        """Share the workspace between the docks by its size (call once it is shown).

        The side columns get what their content needs and no more than a fair share; the
        row under the signal view gets about 40 % of the height (at least 290 px), enough
        for the emotion and spectrum plots with their labels at 1280x800.
        """
        ws, d = self.workspace, self.docks
        w, h = max(ws.width(), 800), max(ws.height(), 500)
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        left = max(270, round(0.15 * w))
        right = max(440, round(0.26 * w))
        ws.resizeDocks([d["device"], d["quality"]], [left, right], horizontal)
        device = d["device"].widget()
        device_h = min(max(device.sizeHint().height() + 40, 190), h // 2)
        ws.resizeDocks([d["device"], d["latency"]], [device_h, h - device_h], vertical)
        ws.resizeDocks([d["emotion"]], [max(290, round(0.4 * h))], vertical)
        below = w - left
        emotion = round(EMOTION_SHARE * below)
        ws.resizeDocks([d["emotion"], d["spectrum"]], [emotion, below - emotion], horizontal)

    def reset(self) -> None:
        """Every dock back in its default place and size."""
        self.workspace.restoreState(self._default_state)
        self.docks["log"].hide()
        self.fit()

    def save_state(self) -> QByteArray:
        """The dock arrangement, to restore with :meth:`restore_state`."""
        return self.workspace.saveState()

    def restore_state(self, state: QByteArray) -> bool:
        """Apply a saved arrangement; False if Qt could not read it."""
        return bool(self.workspace.restoreState(state))


class ViewModes(QObject):
    """The main layout or the calm full-screen clinician view in one window.

    Parameters
    ----------
    window : QMainWindow
        The window that goes full screen and back.
    workspace, clinician_view : QWidget
        What each mode shows.
    chrome : callable returning widgets
        What the clinician view hides (menus, toolbars, status bar), asked at each switch.
    on_change : callable taking the mode
        Called after every switch (e.g. to update actions).

    Attributes
    ----------
    stack : QStackedWidget
        Shows the workspace or the clinician view.
    leave_button : QToolButton
        A discreet way out, in the clinician view's top-right corner.
    """

    def __init__(
        self,
        window: QMainWindow,
        workspace: QWidget,
        clinician_view: QWidget,
        chrome: Callable[[], Iterable[QWidget]],
        on_change: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._workspace = workspace
        self._clinician = clinician_view
        self._chrome = chrome
        self._on_change = on_change
        self.mode = "main"
        self.normal_geometry: QByteArray | None = None
        self._was_maximized = False
        self.stack = QStackedWidget()
        self.stack.addWidget(workspace)
        self.stack.addWidget(clinician_view)
        self.leave_button = QToolButton(clinician_view)
        self.leave_button.setText("Leave clinician view (F11)")
        self.leave_button.setToolTip("Back to the full layout (F11 or Esc)")
        self.leave_button.setAutoRaise(True)
        self.leave_button.setStyleSheet(
            "QToolButton { color: #8b9099; background: transparent; border: none; padding: 8px;"
            " font-size: 11pt; }"
            " QToolButton:hover { color: #e6e8eb; }"
        )
        self.leave_button.clicked.connect(lambda: self.set_mode("main"))
        clinician_view.installEventFilter(self)

    def set_mode(self, mode: str) -> None:
        """Show the full layout (``"main"``) or the clinician view (``"clinician"``)."""
        if mode not in VIEW_MODES:
            raise ConfigError(
                f"Invalid value for the 'mode' parameter. Allowed values are 'main' and "
                f"'clinician', but got {mode!r} instead."
            )
        if mode == self.mode:
            self._on_change(mode)
            return
        self.mode = mode
        clinician = mode == "clinician"
        window = self._window
        if clinician:
            self.normal_geometry = window.saveGeometry()
            self._was_maximized = window.isMaximized()
        self.stack.setCurrentWidget(self._clinician if clinician else self._workspace)
        for w in self._chrome():
            w.setVisible(not clinician)
        invalidate = getattr(self._clinician, "invalidate", None)
        if invalidate is not None:
            invalidate()
        if clinician:
            window.showFullScreen()
        elif self._was_maximized:
            window.showMaximized()
        else:
            window.showNormal()
            if self.normal_geometry is not None:
                window.restoreGeometry(self.normal_geometry)
        self._on_change(mode)

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        """Keep the leave button in the clinician view's top-right corner."""
        resized = event is not None and event.type() == QEvent.Type.Resize
        if watched is self._clinician and resized:
            hint = self.leave_button.sizeHint()
            self.leave_button.setGeometry(
                self._clinician.width() - hint.width() - 8, 8, hint.width(), hint.height()
            )
            self.leave_button.raise_()
        return super().eventFilter(watched, event)
