"""Signal lost and reconnection, shown in the window: an indicator and "Reconnect now".

A live board is watched by the worker (a
:class:`~bci_desktop.core.sources.supervised.SupervisedSource`): when no samples arrive for
the stall timeout, or the device is unplugged, the worker reports the state
``"signal_lost"`` and reconnects on its own with backoff. This feature makes that visible:

- a red status-bar indicator with words, e.g. ``SIGNAL LOST 12 s — next attempt in 4 s ·
  Check the cable/dongle and the headset's power``, updated twice a second;
- a warning banner naming the time the signal was lost (hidden once streaming resumes);
- Stream > Reconnect now (Ctrl+Shift+R, also on the Stream toolbar), enabled only while the
  signal is lost, which skips the backoff wait;
- the device panel's state word "Signal lost".
"""

from __future__ import annotations

import logging
import math
import re
import time
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QLabel

from bci_desktop.core.session import StreamState, StreamStatus
from bci_desktop.core.sources.supervised import SourceEvent
from bci_desktop.gui.window_menus import add_action

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["CHECK_HINT", "LOST_STYLE", "ReliabilityController", "install", "lost_text"]

logger = logging.getLogger(__name__)

#: What the user should check while the signal is lost.
CHECK_HINT = "Check the cable/dongle and the headset's power"
#: Style of the indicator (red, bold; the words say the state too).
LOST_STYLE = (
    "QLabel { color: #ffffff; background-color: #e03131; font-weight: bold; "
    "border-radius: 4px; padding: 2px 6px; }"
)
#: How often the indicator is redrawn while the signal is lost (ms).
INDICATOR_MS = 500
_STALE_COUNTDOWN = re.compile(r"\s*\(next attempt in [^)]*\)")


def lost_text(lost_for_s: float | None, next_attempt_in_s: float | None) -> str:
    """The indicator's words, e.g. ``"SIGNAL LOST 12 s — next attempt in 4 s"``."""
    text = "SIGNAL LOST"
    if lost_for_s is not None and math.isfinite(lost_for_s):
        text += f" {max(0.0, lost_for_s):.0f} s"
    if next_attempt_in_s is None or not math.isfinite(next_attempt_in_s):
        text += " — reconnecting…"
    else:
        text += f" — next attempt in {math.ceil(max(0.0, next_attempt_in_s))} s"
    return text


class ReliabilityController(QObject):
    """The signal-lost indicator and the "Reconnect now" action of one window.

    Parameters
    ----------
    window : MainWindow
        Uses its public ``worker``, ``stream_menu``, ``stream_toolbar``, ``statusBar()``,
        ``banner`` and ``stream_state``.

    Attributes
    ----------
    action : QAction
        Stream > Reconnect now (Ctrl+Shift+R).
    indicator : QLabel
        The status-bar indicator (hidden unless the signal is lost).
    events : list of SourceEvent
        The worker's source events seen so far (newest last).

    Signals
    -------
    reconnect_requested()
        Queued to the worker's ``reconnect_now`` slot.
    """

    reconnect_requested = pyqtSignal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.events: list[SourceEvent] = []
        self._lost = False
        self._status: StreamStatus | None = None
        self._status_at = 0.0

        worker = window.worker
        self.reconnect_requested.connect(worker.reconnect_now)
        worker.state_changed.connect(self._on_state)
        worker.status.connect(self._on_status)
        worker.source_event.connect(self._on_event)

        self.action = add_action(
            window,
            "Reconnect &now",
            self.reconnect_now,
            "Ctrl+Shift+R",
            "The signal is lost: try to reconnect to the device now instead of waiting",
        )
        self.action.setEnabled(False)
        window.stream_menu.addAction(self.action)
        window.stream_toolbar.addAction(self.action)

        self.indicator = QLabel()
        self.indicator.setObjectName("signal_lost_indicator")
        self.indicator.setStyleSheet(LOST_STYLE)
        self.indicator.setToolTip(
            f"No samples arrive from the device. The app reconnects on its own; {CHECK_HINT}."
        )
        window.statusBar().insertPermanentWidget(0, self.indicator)
        self.indicator.hide()
        self._timer = QTimer(self)
        self._timer.setInterval(INDICATOR_MS)
        self._timer.timeout.connect(self._paint)
        self._on_state(window.stream_state, "")

    # -- what tests and users see ---------------------------------------------------------
    @property
    def lost(self) -> bool:
        """True while the worker reports the signal lost."""
        return self._lost

    @property
    def indicator_text(self) -> str:
        """The indicator's text ("" when hidden)."""
        return self.indicator.text() if self._lost else ""

    def reconnect_now(self) -> None:
        """Ask the worker to reconnect at once (only while the signal is lost)."""
        if not self._lost:
            self.window.statusBar().showMessage("Nothing to reconnect: the signal is not lost.")
            return
        logger.info("Reconnect now requested by the user")
        self.reconnect_requested.emit()

    # -- worker signals -------------------------------------------------------------------
    def _on_state(self, state: StreamState, message: str) -> None:
        lost = state is StreamState.SIGNAL_LOST
        was, self._lost = self._lost, lost
        self.action.setEnabled(lost)
        if lost:
            if not was:
                self._status = None
                self._status_at = time.monotonic()
            # The countdown lives in the indicator; the banner keeps the time of the loss.
            detail = _STALE_COUNTDOWN.sub("", message) or "No samples from the device."
            self.window.banner.show_message("warning", f"{detail} {CHECK_HINT}.")
            self.indicator.show()
            self._paint()
            self._timer.start()
        else:
            self._timer.stop()
            self.indicator.hide()
            if was and self.window.banner.level == "warning":
                self.window.banner.hide()

    def _on_status(self, status: StreamStatus) -> None:
        self._status = status
        self._status_at = time.monotonic()
        if self._lost:
            self._paint()

    def _on_event(self, event: SourceEvent) -> None:
        self.events.append(event)
        del self.events[:-200]
        if event.kind in ("reconnect_failed", "device_mismatch"):
            self.window.banner.show_message("error", f"{event.detail} {CHECK_HINT}.")

    def _paint(self) -> None:
        """Extrapolate the last status to now (the worker reports twice a second)."""
        age = time.monotonic() - self._status_at
        status = self._status
        lost_for = status.lost_for_s if status is not None else None
        next_in = status.next_attempt_in_s if status is not None else None
        lost_for = age if lost_for is None else float(lost_for) + age
        if next_in is not None:
            next_in = float(next_in) - age
        self.indicator.setText(f"{lost_text(lost_for, next_in)} · {CHECK_HINT}")


def install(window: MainWindow) -> ReliabilityController:
    """Add the signal-lost indicator and Reconnect now to ``window``."""
    return ReliabilityController(window)
