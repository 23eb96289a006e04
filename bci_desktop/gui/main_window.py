"""The main window: device panel, live panels in docks, clinician view, status bar.

The window owns the :class:`~bci_desktop.gui.worker.StreamWorker` and its ``QThread``.
It talks to the worker only through queued signals, passes every engine update to
:class:`~bci_desktop.gui.live_data.LiveData`, and a timer at the frame rate of the settings
(30, 45 or 60 per second) asks the visible panels to redraw (they redraw only when what
they show changed). The frame rate shown in the status bar counts the timer ticks on which
at least one panel drew, over the last second.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from PyQt6 import sip
from PyQt6.QtCore import QMetaObject, Qt, QThread, QTimer, pyqtSignal
from PyQt6.QtGui import QCloseEvent, QShowEvent
from PyQt6.QtWidgets import QApplication, QMainWindow, QVBoxLayout, QWidget

from bci_desktop.core.acquisition import ProcessLost
from bci_desktop.core.acquisition.connect import ConnectRequest
from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.session import (
    Notice,
    SourceOpener,
    SourceSpec,
    StreamState,
    StreamStatus,
    describe_spec,
    spec_for_board,
)
from bci_desktop.core.settings import THEMES, AppSettings, load_settings
from bci_desktop.core.sources.factory import is_simulated
from bci_desktop.core.stream import StreamInfo
from bci_desktop.gui.banner import Banner
from bci_desktop.gui.device_panel import DevicePanel
from bci_desktop.gui.features import install_features
from bci_desktop.gui.layout import DockLayout, ViewModes
from bci_desktop.gui.live_data import LiveData
from bci_desktop.gui.log_panel import LogPanel
from bci_desktop.gui.not_live import NotLiveFrame
from bci_desktop.gui.painting import paint_once_per_frame
from bci_desktop.gui.panels import (
    ClinicianView,
    EmotionPanel,
    LatencyPanel,
    QualityPanel,
    SignalView,
    SpectrumPanel,
)
from bci_desktop.gui.redraw import RedrawScheduler
from bci_desktop.gui.status_bar import WindowStatusBar
from bci_desktop.gui.status_line import StatusLine
from bci_desktop.gui.theme import apply_theme
from bci_desktop.gui.window_menus import build_actions, build_menus_and_toolbars, open_log_folder
from bci_desktop.gui.window_settings import (
    SettingsSaver,
    apply_settings,
    collect_settings,
    save_montage,
)
from bci_desktop.gui.worker import StreamWorker

__all__ = ["Banner", "MainWindow", "frame_interval_ms", "paint_once_per_frame", "stop_worker"]

logger = logging.getLogger(__name__)


def frame_interval_ms(fps: int) -> int:
    """Interval of the redraw timer for ``fps`` frames per second (16 ms for 60: a tick
    that comes late still leaves 60 frames in most seconds)."""
    return max(1, int(1000 / fps))


#: How often the status bar labels are rewritten (s).
_STATUS_EVERY_S = 0.25


class MainWindow(QMainWindow):
    """The BCI Desktop window.

    Parameters
    ----------
    settings : AppSettings or None
        Settings to start from; ``None`` loads them from disk (warnings are shown in the
        status bar).
    parent : QWidget or None
        Qt parent.
    open_source : SourceOpener or None
        How the worker builds a source from its spec (tests and benchmarks stream their
        own); ``None`` for the real boards, simulated subject and recordings.
    registry : ModelRegistry or None
        Where the worker finds models (``None``: the user's registry).
    isolate : bool
        Run the stream in a child process (the default), so that a crashing or hanging
        driver cannot take the window down; False runs it in the worker's thread.

    Attributes tests can read
    -------------------------
    live : LiveData
    device_panel : DevicePanel
    signal_view, quality_panel, spectrum_panel, emotion_panel, latency_panel,
    clinician_view : the panels
    worker : StreamWorker
    stream_state : StreamState
        The worker's last state.
    fps : float
        Plot frame rate over the last second.
    settings_warnings : list of str
        Problems met loading the settings.
    banner : Banner
        Non-modal error/warning strip.
    status_labels : dict of str to QLabel
        ``board``, ``rate``, ``samples``, ``gaps``, ``model``, ``fps``.
    log_view : LogPanel
        This session's log messages (in the Log dock).
    workspace : QMainWindow
        The docks around the signal view (:class:`~bci_desktop.gui.layout.DockLayout`).
    stack, leave_button : the main/clinician switch
        (:class:`~bci_desktop.gui.layout.ViewModes`).

    features : WindowFeatures
        What the feature modules added (recording, replay, models...).

    Menus, toolbars and actions that feature modules extend: ``file_menu``,
    ``stream_menu``, ``view_menu``, ``panels_menu``, ``models_menu``, ``help_menu``,
    ``stream_toolbar``, ``marker_toolbar``, ``connect_action``, ``disconnect_action``,
    ``clinician_action``, ``marker_actions``, ``quit_action``.
    """

    _request_connect = pyqtSignal(object)
    _request_disconnect = pyqtSignal()
    _request_marker = pyqtSignal(float)
    _request_filters = pyqtSignal(object)

    def __init__(
        self,
        settings: AppSettings | None = None,
        parent: QWidget | None = None,
        *,
        open_source: SourceOpener | None = None,
        registry: ModelRegistry | None = None,
        isolate: bool = True,
    ) -> None:
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
        self.stream_state = StreamState.IDLE
        self.fps = 0.0
        self._closed = False
        self._last_status_paint = 0.0
        self._status: StreamStatus | None = None
        self._info: StreamInfo | None = None
        self._saver = SettingsSaver(self)
        self._saver.failed.connect(self._on_save_failed)
        self._model_label = ""
        self._first_show = True
        self._restart_note = ""

        app = QApplication.instance()
        if isinstance(app, QApplication):  # plots take their colours when they are created
            apply_theme(app, settings.theme if settings.theme in THEMES else "system")
        self._build_panels()
        build_actions(self)
        build_menus_and_toolbars(self)
        self._build_status_bar()
        self._build_central()
        paint_once_per_frame(self)
        self._start_worker(open_source, registry, isolate)
        self.log_view.attach()

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._refresh_timer.setInterval(frame_interval_ms(settings.frame_rate))
        self._refresh_timer.timeout.connect(self._refresh)
        self._refresh_timer.start()

        self._layout_restored = apply_settings(self, settings)
        self._initial_view_mode = settings.view_mode
        self.features = install_features(self)
        self._on_state(StreamState.IDLE, "")
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
        self.log_view = LogPanel()
        # Each live panel under a strip saying when what it shows is not live.
        framed = (self.signal_view, self.quality_panel, self.spectrum_panel, self.emotion_panel)
        self.frames = {p: NotLiveFrame(p) for p in (*framed, self.latency_panel)}
        self.panels: tuple[Any, ...] = (
            self.signal_view,
            self.quality_panel,
            self.spectrum_panel,
            self.emotion_panel,
            self.latency_panel,
            self.clinician_view,
        )
        # The clinician view sizes its type to the screen; its size hint must not keep the
        # window full-screen wide once it is hidden again.
        self.clinician_view.setMinimumSize(320, 240)
        self.redraw = RedrawScheduler(self.panels, (self.signal_view, self.clinician_view))
        self.device_panel.connect_requested.connect(self.connect_stream)
        self.device_panel.disconnect_requested.connect(self.disconnect_stream)
        self.device_panel.montage_saved.connect(lambda change: save_montage(self, change))
        self.signal_view.filters_changed.connect(self._filters_changed)

    def _build_status_bar(self) -> None:
        bar = WindowStatusBar()
        self.setStatusBar(bar)
        bar.watch_status_tips(self)
        self.status_line = StatusLine(bar)
        self.status_labels = self.status_line.labels

    def _build_central(self) -> None:
        # The panels live in an inner main window, so the clinician view can replace the
        # whole layout (docks included) in a stacked widget and give it back unchanged.
        frames = self.frames
        panels = {
            "device": self.device_panel,
            "emotion": frames[self.emotion_panel],
            "quality": frames[self.quality_panel],
            "spectrum": frames[self.spectrum_panel],
            "latency": frames[self.latency_panel],
            "log": self.log_view,
        }
        self.layout_manager = DockLayout(frames[self.signal_view], panels, self.panels_menu)
        self.workspace = self.layout_manager.workspace
        docks = self.layout_manager.docks
        self.device_dock, self.emotion_dock = docks["device"], docks["emotion"]
        self.quality_dock, self.spectrum_dock = docks["quality"], docks["spectrum"]
        self.latency_dock, self.log_dock = docks["latency"], docks["log"]
        self.view_modes = ViewModes(
            self, self.workspace, self.clinician_view, self._chrome, self._view_mode_changed
        )
        self.stack, self.leave_button = self.view_modes.stack, self.view_modes.leave_button
        self.banner = Banner()
        self.banner.show_log.connect(self._show_log)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    def _start_worker(
        self, open_source: SourceOpener | None, registry: ModelRegistry | None, isolate: bool
    ) -> None:
        # No Qt parent: the thread must outlive the window until it has stopped (a running
        # QThread that is destroyed aborts the process). If the window is ever destroyed
        # without closing, its destroyed signal still stops the stream and the thread.
        self.worker_thread = QThread()
        self.worker_thread.setObjectName("bci-stream-worker")
        self.worker = StreamWorker(open_source=open_source, registry=registry, isolate=isolate)
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
        self.worker.model_changed.connect(self.set_model_label)
        self.worker.model_is_demo.connect(self._on_model_is_demo)
        self.worker.status.connect(self._on_status)
        self.worker.notice.connect(self._on_notice)
        self.worker.marker_inserted.connect(self._on_marker_inserted)
        self.worker.process_lost.connect(self._on_process_lost)
        self.worker_thread.start()

    # -- settings --------------------------------------------------------------------------
    def current_settings(self) -> AppSettings:
        """The settings the window would save now."""
        return collect_settings(self)

    def save(self) -> bool:
        """Save the settings now (blocking); a failure is shown in the status bar."""
        self.settings = self.current_settings()
        return self._saver.save(self.settings)  # after any background save

    def save_in_background(self) -> None:
        """Save the settings without blocking the GUI thread (disk I/O can stall for
        seconds on a busy machine); a failure is shown in the status bar."""
        self.settings = self.current_settings()
        self._saver.save_in_background(self.settings)

    def _on_save_failed(self, message: str) -> None:
        logger.warning("%s", message)
        self.statusBar().showMessage(message, 15000)

    # -- stream control ----------------------------------------------------------------------
    def connect_stream(self) -> None:
        """Connect to the board chosen in the device panel (in the worker thread)."""
        if self.stream_state.active:
            return
        panel = self.device_panel
        board = panel.board()
        speed = panel.speed() if is_simulated(board) else 1.0  # the simulated subject only
        try:
            params = panel.connection_params()
            montage = panel.montage()  # the channel names saved for this board or device
            spec = spec_for_board(board, params=params, speed=speed, montage=montage)
        except ConfigError as exc:
            self._on_state(StreamState.ERROR, str(exc))
            return
        self.connect_spec(spec)

    def connect_spec(self, spec: SourceSpec) -> None:
        """Stream ``spec`` (a board, the simulated subject, a recording to replay)."""
        model = self.settings.model_request()  # a model named in the settings wins
        request = ConnectRequest(
            spec=spec, filters=self.signal_view.filters, model=model if model.explicit else None
        )
        self.save_in_background()
        self.banner.hide()
        self._on_state(StreamState.CONNECTING, f"Connecting to {describe_spec(spec)}…")
        self._request_connect.emit(request)

    def disconnect_stream(self) -> None:
        """Stop streaming (in the worker thread)."""
        self._request_disconnect.emit()

    def insert_marker(self, value: int | float) -> None:
        """Insert a numbered marker into the stream."""
        if not self.stream_state.live:
            self.statusBar().showMessage("Connect a source before inserting markers.", 4000)
            return
        self._request_marker.emit(float(value))

    def _filters_changed(self, settings: FilterSettings) -> None:
        self._request_filters.emit(settings)

    # -- worker signals ----------------------------------------------------------------------
    def _on_updates(self, batch: list) -> None:
        for update in batch:
            self.live.ingest(update)

    def set_model_label(self, label: str) -> None:
        """Show ``label`` (``name@version``) as the active model in the status bar."""
        self._model_label = label
        self._paint_status()

    def _on_stream_info(self, info: StreamInfo, model_label: str) -> None:
        self._info = info
        self._model_label = model_label
        self.live.configure(info)
        self.redraw.new_stream()  # one panel per tick keeps the GUI thread responsive
        self._status = None
        self._paint_status()

    def _on_model_is_demo(self, demo: bool) -> None:
        self.live.model_trained_on_simulated = bool(demo)
        self.live.version += 1

    def _on_state(self, state: StreamState, message: str) -> None:
        self.stream_state = state
        self.live.set_state(state, message)
        self._show_liveness()  # at once: never a moment of a stale state shown as current
        self.device_panel.set_state(state, message)
        self.connect_action.setEnabled(not state.active)
        self.disconnect_action.setEnabled(state.active)
        for act in self.marker_actions:
            act.setEnabled(state.live)
        if state is StreamState.ERROR:
            self.banner.show_message("error", message)
            self.statusBar().showMessage(f"Error: {message}", 30000)
        elif state is StreamState.STREAMING:
            if self._restart_note:  # say what happened, now that it streams again
                self.banner.show_message("warning", self._restart_note)
                self._restart_note = ""
            else:
                self.banner.hide()
            self.statusBar().showMessage(message, 5000)
            focus = QApplication.focusWidget()
            if focus is None or not focus.isEnabled() or focus.window() is not self:
                self.signal_view.plot_widget.setFocus()
        elif message:
            if state is StreamState.IDLE:
                self._status = None
            self.statusBar().showMessage(message, 5000)
        self._paint_status()

    def _on_status(self, status: StreamStatus) -> None:
        self._status = status
        self._paint_status()

    def _on_notice(self, notice: Notice) -> None:
        # The session logged it already; the status bar shows it.
        self.statusBar().showMessage(notice.text, 15000)

    def _on_process_lost(self, lost: ProcessLost) -> None:
        level = "warning" if lost.restarting else "error"
        self.banner.show_message(level, f"The acquisition process {lost.reason}. {lost.advice}")
        if lost.restarting:
            clock = time.strftime("%H:%M:%S")
            self._restart_note = (
                f"The acquisition process {lost.reason} at {clock} and was restarted; a "
                "recording in progress goes on in the same session, with a gap."
            )

    def _on_marker_inserted(self, value: float) -> None:
        self.statusBar().showMessage(f"Marker {value:g} inserted", 3000)

    def _append_log(self, text: str) -> None:
        self.log_view.appendPlainText(text)

    def _show_log(self) -> None:
        self.log_dock.show()
        self.log_dock.raise_()

    # -- drawing -----------------------------------------------------------------------------
    def _show_liveness(self, *, state_changed: bool = True) -> None:
        """Tell every panel whether what it shows is live (cheap when nothing changed); on
        a change of state the two panels that show the current state redraw at once."""
        liveness = self.live.liveness()
        for frame in self.frames.values():
            frame.show_liveness(liveness)
        if state_changed and not self.redraw.pending:  # (pending: a new stream's rebuild)
            self.emotion_panel.refresh()
            self.clinician_view.refresh()

    def _refresh(self) -> None:
        now = time.perf_counter()
        self._show_liveness(state_changed=False)
        self.redraw.tick(now)
        self.fps = self.redraw.fps
        if now - self._last_status_paint >= _STATUS_EVERY_S:
            self._paint_status()

    def _paint_status(self) -> None:
        self._last_status_paint = time.perf_counter()
        self.status_line.paint(
            info=self._info if self.stream_state.active else None,
            status=self._status,
            samples=self.live.samples_total,
            model=self._model_label,
            fps=self.fps,
        )

    # -- view --------------------------------------------------------------------------------
    @property
    def view_mode(self) -> str:
        """``"main"`` or ``"clinician"``."""
        return self.view_modes.mode

    def toggle_view_mode(self) -> None:
        """Switch between the main layout and the clinician view."""
        self.set_view_mode("main" if self.view_mode == "clinician" else "clinician")

    def set_view_mode(self, mode: str) -> None:
        """Show the full layout (``"main"``) or the calm full-screen clinician view."""
        self.view_modes.set_mode(mode)

    def _chrome(self) -> list[QWidget]:
        return [self.menuBar(), self.stream_toolbar, self.marker_toolbar, self.statusBar()]

    def _view_mode_changed(self, mode: str) -> None:
        self.clinician_action.setChecked(mode == "clinician")
        self.leave_clinician_action.setEnabled(mode == "clinician")

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

    @property
    def frame_rate(self) -> int:
        """Plot frames per second asked for (View > Frame rate)."""
        return self.settings.frame_rate

    def set_frame_rate(self, fps: int) -> None:
        """Redraw the plots ``fps`` times a second (one of 30, 45, 60)."""
        self.settings = replace(self.settings, frame_rate=int(fps))
        self._refresh_timer.setInterval(frame_interval_ms(int(fps)))

    def reset_layout(self) -> None:
        """Put every panel back where it starts."""
        self.layout_manager.reset()

    def open_log_folder(self) -> None:
        """Open the folder of the log files in the file manager."""
        open_log_folder(self)

    # -- Qt events ---------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        """On the first show, enter the saved view mode."""
        super().showEvent(event)
        if self._first_show:
            self._first_show = False
            if not self._layout_restored:
                QTimer.singleShot(0, self.layout_manager.fit)
            if self._initial_view_mode == "clinician":
                QTimer.singleShot(0, lambda: self.set_view_mode("clinician"))

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the settings, stop the stream, end the worker thread."""
        if not self._closed:
            self._closed = True
            self.save()
            self._saver.shutdown()
            self._refresh_timer.stop()
            self.shutdown_worker()
            self.log_view.detach()
        super().closeEvent(event)

    def shutdown_worker(self) -> None:
        """Stop the stream in the worker thread, then quit and wait for the thread."""
        stop_worker(self.worker_thread, self.worker)
        self.stream_state = StreamState.IDLE


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
