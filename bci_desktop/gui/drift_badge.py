"""The live drift score in the status bar, and a visible warning while it is high.

Every prediction carries the engine's drift score and alarm (:attr:`Prediction.drift
<bci_desktop.core.prediction.Prediction.drift>`, :attr:`~bci_desktop.core.prediction.
Prediction.drift_alarm`): how far the last 30 s of live features sit from the model's
training data, and whether that is over the threshold, with the engine's hysteresis (see
:mod:`bci_desktop.core.inference.drift`). That is the app's one drift alarm; this badge
only shows it ("Drift 0.6 · normal", "Drift 2.1 · HIGH") and puts its warning in the window's
banner. The engine logs the alarm; the badge does not log it a second time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QWidget

from bci_desktop.core.inference.drift import DEFAULT_THRESHOLD, drift_warning
from bci_desktop.core.prediction import Prediction

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["REFRESH_MS", "DriftBadge", "drift_warning", "install"]

#: How often the badge reads the live predictions (ms).
REFRESH_MS = 500
_ALARM_STYLE = (
    "QLabel { background-color: #e8a317; color: #1b1b1b; font-weight: bold;"
    " border-radius: 3px; padding: 0 6px; }"
)
_NORMAL_STYLE = "QLabel { padding: 0 6px; }"


class DriftBadge(QLabel):
    """Status-bar label with the live drift score; raises the window's banner on alarm.

    Parameters
    ----------
    window : MainWindow
        Read: ``live`` (predictions), ``stream_state``, ``banner``.
    parent : QWidget or None
        Qt parent.

    Attributes tests can read
    -------------------------
    score : float or None
        The latest score shown.
    alarm : bool
        The latest prediction's drift alarm, while streaming.
    warning_text : str
        The warning shown in the banner while the alarm is on ("" otherwise).
    """

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        self.score: float | None = None
        self.alarm = False
        self.warning_text = ""
        self.setToolTip(
            "Drift: how far the live signal's features are from the model's training data, "
            f"over the last 30 s. About 0.6 is normal; above {DEFAULT_THRESHOLD:g} the "
            "signal no longer looks like what the model was trained on (another person, other "
            "electrodes or poor contact). '–': no score yet (the first ~8 s of a stream) or "
            "the model carries no training statistics."
        )
        self.setStyleSheet(_NORMAL_STYLE)
        # Wide enough for any score, so the status bar does not jump as it changes.
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("Drift 10.0 · normal") + 16)
        self._paint()
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def refresh(self) -> None:
        """Show the newest prediction's drift score and alarm."""
        last: Prediction | None = self.window_.live.last_prediction
        live = self.window_.stream_state.live
        score = last.drift if (live and last is not None) else None
        alarm = bool(live and last is not None and last.drift_alarm)
        self.score = score
        if alarm and not self.alarm:
            self.warning_text = drift_warning(score)
            self.window_.banner.show_message("warning", self.warning_text)
        elif self.alarm and not alarm:
            banner = self.window_.banner
            if banner.isVisible() and banner.text.endswith(self.warning_text):
                banner.hide()
            self.warning_text = ""
        self.alarm = alarm
        self._paint()

    def _paint(self) -> None:
        if self.score is None:
            text = "Drift: –"
        elif self.alarm:
            text = f"Drift {self.score:.1f} · HIGH"
        else:
            text = f"Drift {self.score:.1f} · normal"
        if text != self.text():
            self.setText(text)
            self.setStyleSheet(_ALARM_STYLE if self.alarm else _NORMAL_STYLE)


def install(window: MainWindow) -> DriftBadge:
    """Add the drift badge to the window's status bar."""
    badge = DriftBadge(window)
    window.statusBar().addPermanentWidget(badge)
    return badge
