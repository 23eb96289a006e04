"""The window's Lab Streaming Layer: LSL streams in the board list, Stream > Publish on LSL,
Stream > Follow LSL marker streams, and markers other programs send.

- The device panel's board list shows the regularly sampled LSL streams visible on the
  network, refreshed every two seconds by a ``pylsl.ContinuousResolver`` that lives on the
  GUI thread and is only asked for its results (it never waits). Choosing one streams it
  like a board (:class:`~bci_desktop.core.session.LslSpec`, by source id).
- The two checkable actions are saved with the settings and carried to the worker's
  session (at once while streaming): the outlets and the marker inlets live on the thread
  that drives the session, never here.
- A marker that arrived after its sample had been drawn is added to the plot at its sample
  (those that arrive in time come with the samples); the status bar names it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtGui import QAction

from bci_desktop.core.errors import SourceError
from bci_desktop.core.lsl.discovery import LslDirectory
from bci_desktop.core.session import MarkerReceived

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["REFRESH_MS", "LslFeature", "install"]

logger = logging.getLogger(__name__)

#: How often the board list's LSL streams are refreshed (ms).
REFRESH_MS = 2000


class _LslSwitch(QObject):
    """Carries the choices to the worker's thread (a queued connection)."""

    changed = pyqtSignal(bool, bool)


@dataclass
class LslFeature:
    """What the LSL feature added to the window.

    Attributes
    ----------
    publish : QAction
        Stream > Publish on LSL.
    follow_markers : QAction
        Stream > Follow LSL marker streams.
    timer : QTimer
        Refreshes the LSL streams of the board list.
    directory : LslDirectory or None
        The resolver (``None`` when liblsl cannot be loaded).
    """

    publish: QAction
    follow_markers: QAction
    timer: QTimer
    directory: LslDirectory | None = None

    def refresh(self, window: MainWindow) -> None:
        """List the LSL streams visible now in the board list."""
        if self.directory is None:
            return
        streams = [s for s in self.directory.streams() if not s.published_here]
        window.device_panel.set_lsl_streams(streams)


def install(window: MainWindow) -> LslFeature:
    """Add the actions to the Stream menu, start refreshing the board list, and show the
    markers that arrive late."""
    publish = QAction("Publish on &LSL", window)
    publish.setCheckable(True)
    publish.setToolTip(
        "Publish the raw EEG, the predictions and the markers as Lab Streaming Layer streams "
        "(BCI-Desktop-EEG, BCI-Desktop-Predictions, BCI-Desktop-Markers) for LabRecorder "
        "and other programs"
    )
    follow = QAction("Follow LSL &marker streams", window)
    follow.setCheckable(True)
    follow.setToolTip(
        "Take the markers that stimulus software (PsychoPy, OpenSesame...) sends over LSL: "
        "they are recorded and drawn at their sample, with their text"
    )
    for action in (publish, follow):
        action.setStatusTip(action.toolTip())
    publish.setChecked(window.settings.lsl_outlets)
    follow.setChecked(window.settings.lsl_markers)
    switch = _LslSwitch(window)
    switch.changed.connect(window.worker.set_lsl)

    def toggled(_: bool = False) -> None:
        on, markers = publish.isChecked(), follow.isChecked()
        window.settings = replace(window.settings, lsl_outlets=on, lsl_markers=markers)
        switch.changed.emit(on, markers)

    publish.toggled.connect(toggled)
    follow.toggled.connect(toggled)
    window.stream_menu.addSeparator()
    window.stream_menu.addAction(publish)
    window.stream_menu.addAction(follow)
    toggled()  # the saved choices, before any connection

    timer = QTimer(window)
    timer.setInterval(REFRESH_MS)
    feature = LslFeature(publish, follow, timer)
    try:
        feature.directory = LslDirectory(forget_after_s=5.0)  # a busy network answers late
    except SourceError as exc:
        logger.info("LSL streams are not listed: %s", exc)
    timer.timeout.connect(lambda: feature.refresh(window))
    if feature.directory is not None:
        timer.start()
        first = QTimer(window)  # the first answers are quick; a child timer dies with the window
        first.setSingleShot(True)
        first.timeout.connect(lambda: feature.refresh(window))
        first.start(300)

    def marker(m: MarkerReceived) -> None:
        if m.late:
            window.live.add_marker(m.t, m.value, m.text)
        shown = m.text or f"{m.value:g}"
        window.statusBar().showMessage(f"Marker {shown!r} from {m.stream}", 3000)

    window.worker.marker_received.connect(marker)
    return feature
