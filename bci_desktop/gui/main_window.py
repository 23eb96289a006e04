"""The main window: device panel, live panels in docks, clinician view, status bar.

The window owns the :class:`~bci_desktop.gui.worker.StreamWorker` and its ``QThread``.
It talks to the worker only through queued signals, passes every engine update to
:class:`~bci_desktop.gui.live_data.LiveData`, and a 25 ms timer asks the visible panels to
redraw (they redraw only when the data changed). The frame rate shown in the status bar
counts the timer ticks on which at least one panel drew, over the last second.
"""

from __future__ import annotations

import base64
import logging
import math
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, ClassVar

import pyqtgraph as pg
from PyQt6 import sip
from PyQt6.QtCore import (
    QByteArray,
    QEvent,
    QMetaObject,
    QObject,
    Qt,
    QThread,
    QTimer,
    QUrl,
    pyqtSignal,
)
from PyQt6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QKeySequence,
    QShowEvent,
)
from PyQt6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bci_desktop import __version__
from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.logs import log_dir
from bci_desktop.core.settings import THEMES, AppSettings, load_settings, save_settings
from bci_desktop.core.stream import StreamInfo
from bci_desktop.gui.device_panel import DevicePanel
from bci_desktop.gui.features import install_features
from bci_desktop.gui.live_data import LiveData
from bci_desktop.gui.panels import (
    ClinicianView,
    EmotionPanel,
    LatencyPanel,
    QualityPanel,
    SignalView,
    SpectrumPanel,
)
from bci_desktop.gui.theme import apply_theme
from bci_desktop.gui.worker import ConnectRequest, StreamWorker, one_line

__all__ = ["REFRESH_MS", "Banner", "MainWindow", "paint_once_per_frame", "stop_worker"]

logger = logging.getLogger(__name__)

#: Interval of the redraw timer (ms): 40 Hz, so that jitter still leaves >= 30 frames/s.
REFRESH_MS = 25
#: How often the status bar labels are rewritten (s).
_STATUS_EVERY_S = 0.25
#: Seconds without samples after which the status bar warns.
_STALL_S = 3.0
_DEFAULT_SIZE = (1280, 800)
_PANEL_MIN_WIDTH = 240


class _LogBridge(QObject):
    """A logging handler's way into the GUI thread (signals are thread-safe)."""

    record = pyqtSignal(str)


class _GuiLogHandler(logging.Handler):
    """Sends formatted log records of the ``bci_desktop`` tree to the log panel."""

    def __init__(self, bridge: _LogBridge) -> None:
        super().__init__(logging.INFO)
        self.bridge = bridge
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            if record.exc_info:  # the traceback stays in the log file; one line here
                text = text.splitlines()[0]
            self.bridge.record.emit(text)
        except RuntimeError:  # the window (and its bridge) is gone
            self.handleError(record)


class Banner(QFrame):
    """A non-modal message strip above the panels (errors and warnings), with a close box."""

    show_log = pyqtSignal()

    _STYLES: ClassVar[dict[str, tuple[str, str, str]]] = {
        "error": ("Error", "#e03131", "#ffffff"),
        "warning": ("Warning", "#e8a317", "#1b1b1b"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        log_button = QToolButton()
        log_button.setText("Show log")
        log_button.setToolTip("Show the log panel")
        log_button.clicked.connect(self.show_log)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        row.addWidget(self.label, 1)
        row.addWidget(log_button)
        row.addWidget(close)
        self.level = ""
        self.hide()

    @property
    def text(self) -> str:
        """The message shown (with its level word)."""
        return self.label.text()

    def show_message(self, level: str, message: str) -> None:
        """Show ``message`` as ``level`` (``"error"`` or ``"warning"``)."""
        word, bg, fg = self._STYLES[level]
        self.level = level
        self.label.setText(f"{word}: {message}")
        self.setStyleSheet(
            f"QFrame#banner {{ background-color: {bg}; border-radius: 4px; }}"
            f" QFrame#banner QLabel {{ color: {fg}; font-weight: bold; }}"
        )
        self.show()


class MainWindow(QMainWindow):
    """The BCI Desktop window.

    Parameters
    ----------
    settings : AppSettings or None
        Settings to start from; ``None`` loads them from disk (warnings are shown in the
        status bar).
    parent : QWidget or None
        Qt parent.

    Attributes tests can read
    -------------------------
    live : LiveData
    device_panel : DevicePanel
    signal_view, quality_panel, spectrum_panel, emotion_panel, latency_panel,
    clinician_view : the panels
    worker : StreamWorker
    stream_state : str
        The worker's last state (disconnected, connecting, streaming, error).
    fps : float
        Plot frame rate over the last second.
    settings_warnings : list of str
        Problems met loading the settings.
    banner : Banner
        Non-modal error/warning strip.
    status_labels : dict of str to QLabel
        ``board``, ``rate``, ``samples``, ``gaps``, ``model``, ``fps``.
    """

    _request_connect = pyqtSignal(object)
    _request_disconnect = pyqtSignal()
    _request_marker = pyqtSignal(float)
    _request_filters = pyqtSignal(object)
    _save_failed = pyqtSignal(str)

    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("BCI Desktop")
        self.setObjectName("MainWindow")
        if settings is None:
            settings, warnings = load_settings()
        else:
            warnings = []
        self.settings = settings
        self.settings_warnings = list(warnings)
        self.live = LiveData()
        self.stream_state = "disconnected"
        self.fps = 0.0
        self._closed = False
        self._draws: deque[float] = deque()
        self._last_status_paint = 0.0
        self._status: dict[str, Any] = {}
        self._info: StreamInfo | None = None
        self._pending_resets: list[Any] = []
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bci-settings")
        self._save_failed.connect(self._on_save_failed)
        self._model_label = ""
        self._view_mode = "main"
        self._normal_geometry: QByteArray | None = None
        self._was_maximized = False
        self._first_show = True

        app = QApplication.instance()
        if isinstance(app, QApplication):  # plots take their colours when they are created
            apply_theme(app, settings.theme if settings.theme in THEMES else "system")
        self._build_panels()
        self._build_actions()
        self._build_menus_and_toolbars()
        self._build_status_bar()
        self._build_central()
        paint_once_per_frame(self)
        self._start_worker()
        self._install_log_handler()

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self._refresh)
        self._refresh_timer.start()

        self._restore(settings)
        install_features(self)
        self._on_state("disconnected", "")
        for w in self.settings_warnings:
            self._append_log(f"WARNING settings: {w}")
        if self.settings_warnings:
            self.statusBar().showMessage(
                "Settings: " + " ".join(self.settings_warnings[:2]), 20000
            )

    # -- construction ----------------------------------------------------------------------
    def _build_panels(self) -> None:
        live = self.live
        self.device_panel = DevicePanel()
        self.signal_view = SignalView(live)
        self.quality_panel = QualityPanel(live)
        self.spectrum_panel = SpectrumPanel(live)
        self.emotion_panel = EmotionPanel(live)
        self.latency_panel = LatencyPanel(live)
        self.clinician_view = ClinicianView(live)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(1000)
        self.log_view.setToolTip("Messages of this session (the full log is in the log folder)")
        self.panels: tuple[Any, ...] = (
            self.signal_view,
            self.quality_panel,
            self.spectrum_panel,
            self.emotion_panel,
            self.latency_panel,
            self.clinician_view,
        )
        for panel in (self.quality_panel, self.spectrum_panel, self.emotion_panel):
            # An explicit minimum: one long label must not force the whole window wider.
            panel.setMinimumWidth(_PANEL_MIN_WIDTH)
        # The clinician view sizes its type to the screen; its size hint must not keep the
        # window full-screen wide once it is hidden again.
        self.clinician_view.setMinimumSize(320, 240)
        self._every_tick = (self.signal_view, self.clinician_view)
        self._slow_turn = 0
        self.device_panel.connect_requested.connect(self.connect_stream)
        self.device_panel.disconnect_requested.connect(self.disconnect_stream)
        self.signal_view.filters_changed.connect(self._filters_changed)

    def _action(
        self, text: str, slot: Any, shortcut: str | QKeySequence | None = None, tip: str = ""
    ) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            seq = QKeySequence(shortcut)
            act.setShortcut(seq)
            label = seq.toString(QKeySequence.SequenceFormat.NativeText)
            tip = f"{tip or text} ({label})"
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        act.triggered.connect(slot)
        self.addAction(act)  # shortcuts work even when menus and toolbars are hidden
        return act

    def _build_actions(self) -> None:
        self.connect_action = self._action(
            "&Connect", self.connect_stream, "Ctrl+K", "Connect to the chosen board"
        )
        self.disconnect_action = self._action(
            "&Disconnect", self.disconnect_stream, "Ctrl+Shift+K", "Stop streaming"
        )
        self.clinician_action = self._action(
            "&Clinician view",
            self.toggle_view_mode,
            QKeySequence(Qt.Key.Key_F11),
            "Switch between the full layout and the calm full-screen clinician view",
        )
        self.clinician_action.setCheckable(True)
        self.leave_clinician_action = self._action(
            "Leave clinician view", lambda: self.set_view_mode("main"), "Esc"
        )
        self.leave_clinician_action.setEnabled(False)
        self.marker_actions: list[QAction] = []
        for n in range(1, 10):
            act = self._action(
                f"Marker {n}",
                lambda _=False, n=n: self.insert_marker(n),
                str(n),
                f"Insert marker {n} into the stream",
            )
            act.setIconText(str(n))
            self.marker_actions.append(act)
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.open_logs_action = self._action(
            "Open &log folder", self.open_log_folder, tip="Open the folder of the log files"
        )
        self.about_action = self._action("&About BCI Desktop", self.show_about)
        self.reset_layout_action = self._action(
            "&Reset layout", self.reset_layout, tip="Put every panel back in its place"
        )
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name, text in (("system", "&System"), ("dark", "&Dark"), ("light", "&Light")):
            act = QAction(text, self, checkable=True)
            act.setToolTip(f"Use the {name} colours")
            act.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            self.theme_group.addAction(act)
            self.theme_actions[name] = act

    def _build_menus_and_toolbars(self) -> None:
        bar = self.menuBar()
        self.file_menu = file_menu = bar.addMenu("&File")
        file_menu.addAction(self.quit_action)
        self.stream_menu = stream_menu = bar.addMenu("&Stream")
        stream_menu.addAction(self.connect_action)
        stream_menu.addAction(self.disconnect_action)
        marker_menu = stream_menu.addMenu("Insert &marker")
        marker_menu.setToolTipsVisible(True)
        for act in self.marker_actions:
            marker_menu.addAction(act)
        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.clinician_action)
        self.view_menu.addSeparator()
        self.panels_menu = self.view_menu.addMenu("&Panels")
        theme_menu = self.view_menu.addMenu("&Theme")
        for act in self.theme_actions.values():
            theme_menu.addAction(act)
        self.view_menu.addAction(self.reset_layout_action)
        self.help_menu = help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.open_logs_action)
        help_menu.addAction(self.about_action)

        self.stream_toolbar = QToolBar("Stream")
        self.stream_toolbar.setObjectName("stream_toolbar")
        self.stream_toolbar.setMovable(False)
        self.stream_toolbar.addAction(self.connect_action)
        self.stream_toolbar.addAction(self.disconnect_action)
        self.stream_toolbar.addSeparator()
        self.stream_toolbar.addAction(self.clinician_action)
        self.addToolBar(self.stream_toolbar)
        self.marker_toolbar = QToolBar("Markers")
        self.marker_toolbar.setObjectName("marker_toolbar")
        self.marker_toolbar.setMovable(False)
        label = QLabel(" Markers: ")
        label.setToolTip("Insert a numbered marker into the stream (keys 1 to 9)")
        self.marker_toolbar.addWidget(label)
        for act in self.marker_actions:
            self.marker_toolbar.addAction(act)
        self.addToolBar(self.marker_toolbar)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        tips = {
            "board": "The source streaming now",
            "rate": "Samples per second measured over the last second (nominal rate)",
            "samples": "Samples received since connecting",
            "gaps": "Breaks in the timestamps longer than 2.5 sample periods, and the samples "
            "they are missing",
            "model": "The emotion model in use (name@version)",
            "fps": "Plot frame rate: redraws per second over the last second",
        }
        self.status_labels: dict[str, QLabel] = {}
        for key, tip in tips.items():
            label = QLabel()
            label.setToolTip(tip)
            bar.addPermanentWidget(label)
            self.status_labels[key] = label

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self.workspace)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.panels_menu.addAction(dock.toggleViewAction())
        return dock

    def _build_central(self) -> None:
        # The panels live in an inner main window, so the clinician view can replace the
        # whole layout (docks included) in a stacked widget and give it back unchanged.
        self.workspace = QMainWindow()
        self.workspace.setWindowFlags(Qt.WindowType.Widget)
        self.workspace.setObjectName("workspace")
        self.workspace.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
        self.workspace.setCentralWidget(self.signal_view)
        self.device_dock = self._dock("Device", "device_dock", self.device_panel)
        self.emotion_dock = self._dock("Emotion", "emotion_dock", self.emotion_panel)
        self.quality_dock = self._dock("Signal quality", "quality_dock", self.quality_panel)
        self.spectrum_dock = self._dock("Spectrum", "spectrum_dock", self.spectrum_panel)
        self.latency_dock = self._dock("Latency", "latency_dock", self.latency_panel)
        self.log_dock = self._dock("Log", "log_dock", self.log_view)
        self._default_layout()
        self._default_state = self.workspace.saveState()

        self.stack = QStackedWidget()
        self.stack.addWidget(self.workspace)
        self.stack.addWidget(self.clinician_view)
        # A discreet way out of the full-screen view, in its top-right corner.
        self.leave_button = QToolButton(self.clinician_view)
        self.leave_button.setText("Leave clinician view (F11)")
        self.leave_button.setToolTip("Back to the full layout (F11 or Esc)")
        self.leave_button.setAutoRaise(True)
        self.leave_button.setStyleSheet(
            "QToolButton { color: #8b9099; background: transparent; border: none; padding: 8px;"
            " font-size: 11pt; }"
            " QToolButton:hover { color: #e6e8eb; }"
        )
        self.leave_button.clicked.connect(lambda: self.set_view_mode("main"))
        self.clinician_view.installEventFilter(self)
        self.banner = Banner()
        self.banner.show_log.connect(self._show_log)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    def _default_layout(self) -> None:
        """Left: device over latency; centre: signal; right: quality; under the signal and
        the quality panel: emotion beside spectrum."""
        ws = self.workspace
        area = Qt.DockWidgetArea
        ws.setCorner(Qt.Corner.BottomLeftCorner, area.LeftDockWidgetArea)
        ws.setCorner(Qt.Corner.BottomRightCorner, area.BottomDockWidgetArea)
        for dock in self._docks():
            dock.setFloating(False)
            dock.show()
        ws.addDockWidget(area.LeftDockWidgetArea, self.device_dock)
        ws.splitDockWidget(self.device_dock, self.latency_dock, Qt.Orientation.Vertical)
        ws.addDockWidget(area.RightDockWidgetArea, self.quality_dock)
        ws.addDockWidget(area.BottomDockWidgetArea, self.emotion_dock)
        ws.splitDockWidget(self.emotion_dock, self.spectrum_dock, Qt.Orientation.Horizontal)
        ws.tabifyDockWidget(self.latency_dock, self.log_dock)
        self.latency_dock.raise_()
        self.log_dock.hide()

    def _docks(self) -> tuple[QDockWidget, ...]:
        return (
            self.device_dock,
            self.latency_dock,
            self.emotion_dock,
            self.quality_dock,
            self.spectrum_dock,
            self.log_dock,
        )

    def _default_sizes(self) -> None:
        """Share the window between the docks (needs the window's real size: after show)."""
        ws = self.workspace
        w, h = max(ws.width(), 800), max(ws.height(), 500)
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        left = max(270, round(0.15 * w))
        right = max(440, round(0.26 * w))
        ws.resizeDocks([self.device_dock, self.quality_dock], [left, right], horizontal)
        device_h = min(max(self.device_panel.sizeHint().height() + 40, 190), h // 2)
        ws.resizeDocks([self.device_dock, self.latency_dock], [device_h, h - device_h], vertical)
        ws.resizeDocks([self.emotion_dock], [max(280, round(0.35 * h))], vertical)
        half = (w - left) // 2
        ws.resizeDocks([self.emotion_dock, self.spectrum_dock], [half, half], horizontal)

    def _start_worker(self) -> None:
        # No Qt parent: the thread must outlive the window until it has stopped (a running
        # QThread that is destroyed aborts the process). If the window is ever destroyed
        # without closing, its destroyed signal still stops the stream and the thread.
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("bci-stream-worker")
        self.worker = StreamWorker()
        self.worker.moveToThread(self.worker_thread)
        thread, worker = self.worker_thread, self.worker
        self.destroyed.connect(lambda _=None: stop_worker(thread, worker))
        self._request_connect.connect(self.worker.connect_source)
        self._request_disconnect.connect(self.worker.disconnect_source)
        self._request_marker.connect(self.worker.insert_marker)
        self._request_filters.connect(self.worker.set_filters)
        self.worker.updates.connect(self._on_updates)
        self.worker.state_changed.connect(self._on_state)
        self.worker.stream_info.connect(self._on_stream_info)
        self.worker.status.connect(self._on_status)
        self.worker.notice.connect(self._on_notice)
        self.worker.marker_inserted.connect(self._on_marker_inserted)
        self.worker_thread.start()

    def _install_log_handler(self) -> None:
        self._log_bridge = _LogBridge(self)
        self._log_bridge.record.connect(self._append_log)
        self._log_handler = _GuiLogHandler(self._log_bridge)
        logging.getLogger("bci_desktop").addHandler(self._log_handler)
        handler = self._log_handler
        self.destroyed.connect(lambda: logging.getLogger("bci_desktop").removeHandler(handler))

    # -- settings --------------------------------------------------------------------------
    def _restore(self, s: AppSettings) -> None:
        if not self.device_panel.set_board(s.board):
            self.device_panel.set_board("synthetic")
        self.device_panel.set_connection(s.connection)
        self.device_panel.set_speed(s.speed)
        self.signal_view.restore(s.signal_view)
        try:
            self.signal_view.set_filters(s.filter_settings())
        except ConfigError as exc:
            self.settings_warnings.append(f"Filters reset to the defaults: {exc}")
        self.spectrum_panel.restore(s.spectrum)
        geometry = _b64_to_bytes(s.geometry)
        if geometry is None or not self.restoreGeometry(geometry):
            self._default_geometry()
        state = _b64_to_bytes(s.window_state)
        self._layout_restored = state is not None and self.workspace.restoreState(state)
        if state is not None and not self._layout_restored:
            self.settings_warnings.append("The saved panel layout could not be restored.")
        self.set_theme(s.theme, save=False)
        self._initial_view_mode = s.view_mode

    def _default_geometry(self) -> None:
        screen = self.screen()
        w, h = _DEFAULT_SIZE
        if screen is not None:
            avail = screen.availableGeometry()
            w, h = min(w, avail.width()), min(h, avail.height())
        self.resize(w, h)

    def current_settings(self) -> AppSettings:
        """The settings the window would save now."""
        normal = self._normal_geometry if self._view_mode == "clinician" else None
        geometry = normal if normal is not None else self.saveGeometry()
        return replace(
            self.settings,
            board=self.device_panel.board(),
            connection=self.device_panel.connection_dict(),
            speed=self.device_panel.speed(),
            filters=self.signal_view.filters.to_dict(),
            signal_view=self.signal_view.state(),
            spectrum=self.spectrum_panel.state(),
            geometry=_bytes_to_b64(geometry),
            window_state=_bytes_to_b64(self.workspace.saveState()),
            view_mode=self._view_mode,
            theme=self.settings.theme,
        )

    def save(self) -> bool:
        """Save the settings now (blocking); a failure is shown in the status bar."""
        self._saver.shutdown(wait=True)  # let a background save finish first
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bci-settings")
        try:
            self.settings = self.current_settings()
            save_settings(self.settings)
        except ConfigError as exc:
            self._save_failed.emit(str(exc))
            return False
        return True

    def save_in_background(self) -> None:
        """Save the settings without blocking the GUI thread (disk I/O can stall for
        seconds on a busy machine); a failure is shown in the status bar."""
        self.settings = self.current_settings()
        future = self._saver.submit(save_settings, self.settings)
        future.add_done_callback(self._saved)

    def _saved(self, future: Future) -> None:
        exc = future.exception()
        if isinstance(exc, ConfigError):
            self._save_failed.emit(str(exc))
        elif exc is not None:
            logger.error("Saving the settings failed", exc_info=exc)
            self._save_failed.emit(f"Saving the settings failed: {one_line(exc)}")

    def _on_save_failed(self, message: str) -> None:
        logger.warning("%s", message)
        self.statusBar().showMessage(message, 15000)

    # -- stream control ----------------------------------------------------------------------
    def connect_stream(self) -> None:
        """Connect to the board chosen in the device panel (in the worker thread)."""
        if self.stream_state in ("connecting", "streaming"):
            return
        panel = self.device_panel
        try:
            params = panel.connection_params()
        except ConfigError as exc:
            self._on_state("error", str(exc))
            return
        request = ConnectRequest(
            board=panel.board(),
            params=params,
            speed=panel.speed(),
            filters=self.signal_view.filters,
            model_path=self.settings.model_path,
        )
        self.save_in_background()
        self.banner.hide()
        self._on_state("connecting", f"Connecting to {request.board}…")
        self._request_connect.emit(request)

    def disconnect_stream(self) -> None:
        """Stop streaming (in the worker thread)."""
        self._request_disconnect.emit()

    def insert_marker(self, value: int | float) -> None:
        """Insert a numbered marker into the stream."""
        if self.stream_state != "streaming":
            self.statusBar().showMessage("Connect a source before inserting markers.", 4000)
            return
        self._request_marker.emit(float(value))

    def _filters_changed(self, settings: FilterSettings) -> None:
        self._request_filters.emit(settings)

    # -- worker signals ----------------------------------------------------------------------
    def _on_updates(self, batch: list) -> None:
        for update in batch:
            self.live.ingest(update)

    def _on_stream_info(self, info: StreamInfo, model_label: str) -> None:
        self._info = info
        self._model_label = model_label
        self.live.configure(info)
        # Rebuilding a panel for a new stream (widgets, layout, style polish) costs tens of
        # milliseconds; one panel per timer tick keeps the GUI thread responsive.
        self._pending_resets = list(self.panels)
        self._status = {}
        self._paint_status()

    def _on_state(self, state: str, message: str) -> None:
        self.stream_state = state
        self.device_panel.set_state(state, message)
        idle = state in ("disconnected", "error")
        self.connect_action.setEnabled(idle)
        self.disconnect_action.setEnabled(not idle)
        for act in self.marker_actions:
            act.setEnabled(state == "streaming")
        if state == "error":
            self.banner.show_message("error", message)
            self.statusBar().showMessage(f"Error: {message}", 30000)
            logger.warning("Stream error: %s", message)
        elif state == "streaming":
            self.banner.hide()
            self.statusBar().showMessage(message, 5000)
            focus = QApplication.focusWidget()
            if focus is None or not focus.isEnabled() or focus.window() is not self:
                self.signal_view.plot_widget.setFocus()
        elif state == "disconnected":
            self._status = {}
            if message:
                self.statusBar().showMessage(message, 5000)
        self._paint_status()

    def _on_status(self, status: dict) -> None:
        self._status = dict(status)
        self._paint_status()

    def _on_notice(self, message: str) -> None:
        logger.warning("%s", message)
        self.statusBar().showMessage(message, 15000)

    def _on_marker_inserted(self, value: float) -> None:
        self.statusBar().showMessage(f"Marker {value:g} inserted", 3000)

    def _append_log(self, text: str) -> None:
        self.log_view.appendPlainText(text)

    def _show_log(self) -> None:
        self.log_dock.show()
        self.log_dock.raise_()

    # -- drawing -----------------------------------------------------------------------------
    def _refresh(self) -> None:
        now = time.perf_counter()
        drew = False
        if self._pending_resets:
            self._pending_resets.pop(0).reset()
        ready = [p for p in self.panels if p.isVisible() and p not in self._pending_resets]
        # The scrolling views draw on every tick. The others change only when the engine
        # scores a hop (a few times a second), and all at once: one of them per tick keeps
        # that burst from landing in a single frame (each still redraws at 10 Hz).
        slow = [p for p in ready if p not in self._every_tick]
        if slow:
            self._slow_turn = (self._slow_turn + 1) % len(slow)
            ready = [p for p in ready if p in self._every_tick] + [slow[self._slow_turn]]
        for panel in ready:
            drew = panel.refresh() or drew
        draws = self._draws
        if drew:
            draws.append(now)
        while draws and draws[0] < now - 1.0:
            draws.popleft()
        self.fps = float(len(draws))
        if now - self._last_status_paint >= _STATUS_EVERY_S:
            self._paint_status()

    def _paint_status(self) -> None:
        self._last_status_paint = time.perf_counter()
        labels = self.status_labels
        s = self._status
        info = self._info if self.stream_state == "streaming" else None
        labels["board"].setText(f"Board: {info.source_name}" if info else "Board: –")
        if info is not None:
            rate = s.get("rate", math.nan)
            measured = f"{rate:.1f}" if isinstance(rate, float) and math.isfinite(rate) else "–"
            labels["rate"].setText(f"Rate: {measured}/s ({info.sample_rate:g} Hz)")
            labels["samples"].setText(f"Samples: {self.live.samples_total:,}")
            gaps, dropped = s.get("gaps", 0), s.get("dropped", 0)
            since = float(s.get("since_data_s", 0.0))
            text = f"Gaps: {gaps} ({dropped} dropped)"
            if since >= _STALL_S:
                text += f" · NO DATA for {since:.0f} s"
            labels["gaps"].setText(text)
            labels["model"].setText(f"Model: {self._model_label or 'none'}")
        else:
            labels["rate"].setText("Rate: –")
            labels["samples"].setText("Samples: –")
            labels["gaps"].setText("Gaps: –")
            labels["model"].setText(f"Model: {self._model_label or '–'}")
        labels["fps"].setText(f"Plot: {self.fps:.0f} fps")

    # -- view --------------------------------------------------------------------------------
    @property
    def view_mode(self) -> str:
        """``"main"`` or ``"clinician"``."""
        return self._view_mode

    def toggle_view_mode(self) -> None:
        """Switch between the main layout and the clinician view."""
        self.set_view_mode("main" if self._view_mode == "clinician" else "clinician")

    def set_view_mode(self, mode: str) -> None:
        """Show the full layout (``"main"``) or the calm full-screen clinician view."""
        if mode not in ("main", "clinician"):
            raise ConfigError(
                f"Invalid value for the 'mode' parameter. Allowed values are 'main' and "
                f"'clinician', but got {mode!r} instead."
            )
        self.clinician_action.setChecked(mode == "clinician")
        if mode == self._view_mode:
            return
        self._view_mode = mode
        clinician = mode == "clinician"
        self.leave_clinician_action.setEnabled(clinician)
        if clinician:
            self._normal_geometry = self.saveGeometry()
            self._was_maximized = self.isMaximized()
            self.stack.setCurrentWidget(self.clinician_view)
        else:
            self.stack.setCurrentWidget(self.workspace)
        for w in (self.menuBar(), self.stream_toolbar, self.marker_toolbar, self.statusBar()):
            w.setVisible(not clinician)
        if hasattr(self.clinician_view, "invalidate"):
            self.clinician_view.invalidate()
        if clinician:
            self.showFullScreen()
        elif self._was_maximized:
            self.showMaximized()
        else:
            self.showNormal()
            if self._normal_geometry is not None:
                self.restoreGeometry(self._normal_geometry)

    def set_theme(self, name: str, *, save: bool = True) -> None:
        """Use the ``"system"``, ``"dark"`` or ``"light"`` theme."""
        app = QApplication.instance()
        if name not in self.theme_actions:
            name = "system"
        if isinstance(app, QApplication):
            apply_theme(app, name, self)
        self.theme_actions[name].setChecked(True)
        self.settings = replace(self.settings, theme=name)
        for panel in self.panels:
            if hasattr(panel, "invalidate"):
                panel.invalidate()
        if save:
            self.save_in_background()

    def reset_layout(self) -> None:
        """Put every panel back where it starts."""
        self.workspace.restoreState(self._default_state)
        self.log_dock.hide()
        self._default_sizes()

    def open_log_folder(self) -> None:
        """Open the folder of the log files in the file manager."""
        folder = log_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.statusBar().showMessage(f"Cannot create the log folder {folder}: {exc}", 10000)
            return
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.statusBar().showMessage(f"The log files are in {folder}", 15000)

    def show_about(self) -> None:
        """The About box."""
        QMessageBox.about(
            self,
            "About BCI Desktop",
            f"<b>BCI Desktop</b> {__version__}<br>Real-time EEG: stream a headset or the "
            "synthetic board, filter, score signal quality and classify emotional state."
            "<br><br>The shipped emotion model is a demonstration trained on simulated data; "
            "it is not validated on human EEG.<br><br>"
            f"Log files: {log_dir()}",
        )

    # -- Qt events ---------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keep the clinician view's leave button in its top-right corner."""
        if watched is self.clinician_view and event.type() == QEvent.Type.Resize:
            hint = self.leave_button.sizeHint()
            self.leave_button.setGeometry(
                self.clinician_view.width() - hint.width() - 8, 8, hint.width(), hint.height()
            )
            self.leave_button.raise_()
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:
        """On the first show, enter the saved view mode."""
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            if not self._layout_restored:
                QTimer.singleShot(0, self._default_sizes)
            if self._initial_view_mode == "clinician":
                QTimer.singleShot(0, lambda: self.set_view_mode("clinician"))

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the settings, stop the stream, end the worker thread."""
        if not self._closed:
            self._closed = True
            self.save()
            self._saver.shutdown(wait=True)
            self._refresh_timer.stop()
            self.shutdown_worker()
            logging.getLogger("bci_desktop").removeHandler(self._log_handler)
        super().closeEvent(event)

    def shutdown_worker(self) -> None:
        """Stop the stream in the worker thread, then quit and wait for the thread."""
        stop_worker(self.worker_thread, self.worker)
        self.stream_state = "disconnected"


def stop_worker(thread: QThread, worker: StreamWorker) -> None:
    """Stop the worker's stream in its thread (blocking), then quit and wait for the thread.

    Safe to call twice, and from a ``destroyed`` handler (it needs no window).
    """
    if sip.isdeleted(thread) or sip.isdeleted(worker) or not thread.isRunning():
        return  # already stopped, or torn down at interpreter exit
    # Blocking: returns once the source is stopped and the worker is back in this thread.
    QMetaObject.invokeMethod(worker, "shutdown", Qt.ConnectionType.BlockingQueuedConnection)
    thread.quit()
    if not thread.wait(10000):
        logger.error("The worker thread did not stop within 10 s")


def paint_once_per_frame(root: QWidget) -> int:
    """Make every pyqtgraph plot under ``root`` repaint once, not twice, per range change.

    pyqtgraph applies a new view range to the plot's transform only when the view is about
    to paint, which schedules a second paint; a scrolling plot that moves its x range on
    every frame is then painted twice per frame. Applying the transform as soon as the
    range changes halves the paints (measured: GUI-thread CPU 0.84 -> 0.70 of a core with
    16 channels at 1280x800). Returns the number of views hooked.
    """
    hooked = 0
    for view in root.findChildren(pg.GraphicsView):
        scene = view.scene()
        if scene is None:
            continue
        for item in scene.items():
            if isinstance(item, pg.ViewBox):
                item.sigRangeChanged.connect(lambda *_, vb=item: vb.updateMatrix())
                hooked += 1
    return hooked


def _b64_to_bytes(text: str) -> QByteArray | None:
    if not text:
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except ValueError:
        logger.warning("Ignored a window layout that is not base64")
        return None


def _bytes_to_b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")
