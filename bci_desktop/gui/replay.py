"""Replay in the window: File > Open recording… and the replay bar.

Opening a recording (a session folder or its ``session.json``, a BrainFlow CSV file, an
EDF/BDF file) connects the worker to a :class:`~bci_desktop.core.sources.replay.ReplaySource`
through the same pipeline as a live board. While a replay streams, a bar at the bottom of
the window plays and pauses it, seeks with a slider (position / duration) and sets the
speed (1x, 2x, 5x, 10x). ``install(window)`` is called by :mod:`bci_desktop.gui.features`.

A click on the slider's groove seeks to the click. A seek keeps the panels: the stream
session replays the seconds before the new position at once (paused or not), so the signal
up to the position, its quality, spectrum and prediction are shown; the time axis keeps
counting from the recording's start, like the transport.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence, QMouseEvent
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolBar,
    QToolButton,
    QWidget,
)

from bci_desktop.core.recording import data_dir
from bci_desktop.core.recording.session import META_FILE
from bci_desktop.core.session import ReplayJumped, ReplaySpec, ReplayStatus, StreamState
from bci_desktop.gui.recording import format_elapsed

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = [
    "FILE_FILTER",
    "SPEEDS",
    "ReplayBar",
    "ReplayController",
    "SeekSlider",
    "ask_recording_path",
    "insert_in_file_menu",
    "install",
]

logger = logging.getLogger(__name__)

#: Speeds offered by the replay bar (times real time).
SPEEDS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0)
#: What File > Open recording… shows.
FILE_FILTER = (
    "Recordings (session.json *.csv *.txt *.tsv *.edf *.bdf *.EDF *.BDF);;"
    "Sessions (session.json);;BrainFlow files (*.csv *.txt *.tsv);;"
    "EDF/BDF files (*.edf *.bdf *.EDF *.BDF);;All files (*)"
)
#: Slider steps per second of recording.
_STEPS_PER_S = 10


def _recording_path(path: str | Path) -> Path:
    """A session's ``session.json`` stands for its folder; anything else is itself."""
    p = Path(path).expanduser()
    return p.parent if p.name == META_FILE else p


class SeekSlider(QSlider):
    """A horizontal slider that jumps to where its groove is clicked (Qt's sliders move
    one page towards the click); the handle drags as usual."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)

    def value_at(self, x: float) -> int:
        """The value under the horizontal position ``x`` (widget pixels)."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        style = self.style()
        cc, sc = QStyle.ComplexControl.CC_Slider, QStyle.SubControl
        groove = style.subControlRect(cc, opt, sc.SC_SliderGroove, self)
        handle = style.subControlRect(cc, opt, sc.SC_SliderHandle, self)
        span = max(1, groove.width() - handle.width())
        pos = round(x - groove.x() - handle.width() / 2)
        return QStyle.sliderValueFromPosition(
            self.minimum(), self.maximum(), min(max(pos, 0), span), span, opt.upsideDown
        )

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        """A left click beside the handle sets the value there (one seek)."""
        if event is not None and event.button() == Qt.MouseButton.LeftButton:
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            handle = self.style().subControlRect(
                QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self
            )
            point = event.position().toPoint()
            if not handle.contains(point):
                self.setValue(self.value_at(event.position().x()))
                event.accept()
                return
        super().mousePressEvent(event)


class ReplayBar(QToolBar):
    """Play/pause, position slider and speed of the replay that streams.

    Attributes tests can read: ``play_button``, ``slider``, ``position_label`` (text
    ``"00:12 / 01:00"``), ``speed_combo``, ``name_label``, ``status`` (the last dict of
    ``StreamWorker.replay_changed``).
    """

    play_requested = pyqtSignal()
    pause_requested = pyqtSignal()
    seek_requested = pyqtSignal(float)
    speed_requested = pyqtSignal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Replay", parent)
        self.setObjectName("replay_toolbar")
        self.setMovable(False)
        self.status: ReplayStatus | None = None
        self._updating = False
        self.name_label = QLabel(" Replay ")
        self.name_label.setToolTip("The recording being replayed")
        self.play_button = QToolButton()
        self.play_button.setText("Pause")
        self.play_button.setToolTip("Pause or play the replay")
        self.play_button.clicked.connect(self._play_clicked)
        self.slider = SeekSlider()
        self.slider.setToolTip("Position in the recording: drag or click to jump")
        self.slider.setMinimumWidth(240)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.setPageStep(10 * _STEPS_PER_S)
        self.slider.setSingleStep(_STEPS_PER_S)
        self.slider.sliderMoved.connect(self._show_position)
        self.slider.sliderReleased.connect(self._released)
        self.slider.valueChanged.connect(self._value_changed)
        self.position_label = QLabel("00:00 / 00:00")
        self.position_label.setToolTip("Position / length of the recording")
        self.speed_combo = QComboBox()
        for speed in SPEEDS:
            self.speed_combo.addItem(f"{speed:g}×", speed)
        self.speed_combo.setToolTip("Replay speed, times real time")
        self.speed_combo.currentIndexChanged.connect(self._speed_changed)
        self.addWidget(self.name_label)
        self.addWidget(self.play_button)
        self.addWidget(self.slider)
        self.addWidget(self.position_label)
        speed_label = QLabel(" Speed: ")
        speed_label.setToolTip("Replay speed, times real time")
        self.addWidget(speed_label)
        self.addWidget(self.speed_combo)

    @property
    def speed(self) -> float:
        """The speed chosen."""
        return float(self.speed_combo.currentData())

    def set_speed(self, speed: float) -> None:
        """Show ``speed`` (no signal)."""
        i = self.speed_combo.findData(float(speed))
        if i >= 0:
            self._updating = True
            try:
                self.speed_combo.setCurrentIndex(i)
            finally:
                self._updating = False

    def show_status(self, status: ReplayStatus) -> None:
        """Show what the worker reported (``replay_changed``)."""
        self.status = status
        duration, position, path = status.duration_s, status.position_s, status.path
        self.name_label.setText(f" {path.name} ")
        self.name_label.setToolTip(f"Replaying {path} ({status.kind})")
        if status.ended:
            self.play_button.setText("Play again")
            self.play_button.setToolTip("Play the recording again from its start")
        elif status.paused:
            self.play_button.setText("Play")
            self.play_button.setToolTip("Play on from here")
        else:
            self.play_button.setText("Pause")
            self.play_button.setToolTip("Hold the replay here")
        if status.speed is not None:
            self.set_speed(status.speed)
        if not self.slider.isSliderDown():
            self._updating = True
            try:
                self.slider.setRange(0, max(1, round(duration * _STEPS_PER_S)))
                self.slider.setValue(round(position * _STEPS_PER_S))
            finally:
                self._updating = False
            self._label(position, duration)

    def _label(self, position: float, duration: float) -> None:
        self.position_label.setText(f"{format_elapsed(position)} / {format_elapsed(duration)}")

    def _show_position(self, value: int) -> None:
        duration = self.status.duration_s if self.status is not None else 0.0
        self._label(value / _STEPS_PER_S, duration)

    def _play_clicked(self) -> None:
        status = self.status
        if status is not None and (status.paused or status.ended):
            self.play_requested.emit()
        else:
            self.pause_requested.emit()

    def _released(self) -> None:
        self.seek_requested.emit(self.slider.value() / _STEPS_PER_S)

    def _value_changed(self, value: int) -> None:
        # Clicks on the groove and keys move the value without a drag: seek at once.
        if not self._updating and not self.slider.isSliderDown():
            self.seek_requested.emit(value / _STEPS_PER_S)

    def _speed_changed(self, _index: int) -> None:
        if not self._updating:
            self.speed_requested.emit(self.speed)


class ReplayController(QObject):
    """File > Open recording… and the replay bar of a window.

    Attributes tests can read: ``open_action``, ``bar`` (:class:`ReplayBar`), ``replaying``
    (a replay streams), ``path`` (the recording opened last).
    """

    pause_requested = pyqtSignal()
    resume_requested = pyqtSignal()
    seek_requested = pyqtSignal(float)
    speed_requested = pyqtSignal(float)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.replaying = False
        self.path: Path | None = None
        worker = window.worker
        self.pause_requested.connect(worker.pause_replay)
        self.resume_requested.connect(worker.resume_replay)
        self.seek_requested.connect(worker.seek_replay)
        self.speed_requested.connect(worker.set_replay_speed)
        worker.replay_changed.connect(self._on_replay_changed)
        worker.replay_jumped.connect(self._on_jumped)
        worker.state_changed.connect(self._on_state)

        self.open_action = QAction("&Open recording…", window)
        self.open_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Open))
        tip = (
            "Replay a recording through the pipeline: a session (its session.json), a "
            "BrainFlow CSV file, or an EDF/BDF file (Ctrl+O)"
        )
        self.open_action.setToolTip(tip)
        self.open_action.setStatusTip(tip)
        self.open_action.triggered.connect(self.ask_and_open)
        window.addAction(self.open_action)
        insert_in_file_menu(window, self.open_action)

        self.bar = ReplayBar(window)
        self.bar.play_requested.connect(self.resume_requested)
        self.bar.pause_requested.connect(self.pause_requested)
        self.bar.seek_requested.connect(self.seek_requested)
        self.bar.speed_requested.connect(self.speed_requested)
        window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.bar)
        self.bar.hide()
        window.clinician_action.toggled.connect(self._clinician_toggled)

    def ask_and_open(self) -> Path | None:
        """Ask for a recording and replay it."""
        path = ask_recording_path(self.window, str(self.path.parent if self.path else data_dir()))
        if path is None:
            return None
        self.open_recording(path)
        return path

    def open_recording(self, path: str | Path, *, speed: float | None = None) -> None:
        """Replay ``path`` (stops what streams now, and its recording)."""
        target = _recording_path(path)
        if not target.exists():
            self.window.banner.show_message("error", f"The recording '{target}' does not exist.")
            return
        self.path = target
        if speed is not None:
            self.bar.set_speed(speed)
        self.window.statusBar().showMessage(f"Opening {target.name}…", 5000)
        logger.info("Replaying %s at %gx", target, self.bar.speed)
        self.window.connect_spec(ReplaySpec(target, speed=self.bar.speed))

    def pause(self) -> None:
        """Hold the replay."""
        self.pause_requested.emit()

    def resume(self) -> None:
        """Play on."""
        self.resume_requested.emit()

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` from the recording's start."""
        self.seek_requested.emit(float(seconds))

    def set_speed(self, speed: float) -> None:
        """Play ``speed`` times faster than real time."""
        self.bar.set_speed(speed)
        self.speed_requested.emit(float(speed))

    def _on_replay_changed(self, status: ReplayStatus) -> None:
        self.replaying = status.active
        if self.replaying:
            self.bar.show_status(status)
            self.window.device_panel.show_replay(self.describe(status))
        else:
            self.window.device_panel.show_replay(None)
        self._show_bar()

    def describe(self, status: ReplayStatus) -> str:
        """The recording in a few words, for the device panel."""
        kinds = {"session": "session", "brainflow": "BrainFlow file", "csv": "BrainFlow file"}
        kind = kinds.get(status.kind, f"{status.kind.upper()} file")
        info = self.window.live.info
        what = f"{kind}, {format_elapsed(status.duration_s)}"
        if info is not None:
            what += f", {info.n_channels} EEG channels at {info.sample_rate:g} Hz"
        return f"{status.path.name}\n{what}"

    def _on_jumped(self, jump: ReplayJumped) -> None:
        # The panels keep the stream and the recording's time axis; the seconds before
        # the position follow at once.
        self.window.live.jump(jump.origin)

    def _on_state(self, state: StreamState, _message: str) -> None:
        if not state.active:
            self.replaying = False
            self.window.device_panel.show_replay(None)
            self._show_bar()

    def _clinician_toggled(self, clinician: bool) -> None:
        # The calm clinician view has no bars (its mode changes after this signal).
        self._show_bar(clinician=clinician)

    def _show_bar(self, *, clinician: bool | None = None) -> None:
        if clinician is None:
            clinician = self.window.view_mode == "clinician"
        self.bar.setVisible(self.replaying and not clinician)


def ask_recording_path(parent: QWidget, start: str) -> Path | None:
    """The file dialog of File > Open recording… (``None`` when cancelled)."""
    path, _ = QFileDialog.getOpenFileName(parent, "Open recording", start, FILE_FILTER)
    return Path(path) if path else None


def insert_in_file_menu(window: MainWindow, action: QAction) -> None:
    """Put ``action`` in the File menu, in a group above Quit (at the end without Quit)."""
    menu = window.file_menu
    quit_action = window.quit_action
    actions = menu.actions()
    if quit_action not in actions:
        menu.addAction(action)
        return
    i = actions.index(quit_action)
    if i > 0 and actions[i - 1].isSeparator():
        anchor = actions[i - 1]
    else:
        anchor = menu.insertSeparator(quit_action)
    menu.insertAction(anchor, action)


def install(window: MainWindow) -> ReplayController:
    """Add File > Open recording… and the replay bar to ``window``."""
    return ReplayController(window)
