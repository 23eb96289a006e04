"""The health of the model's predictions in the status bar, and a warning while it is poor.

The stream session's prediction monitor (:mod:`bci_desktop.core.inference.prediction_monitor`)
watches the model's output: its class distribution against the training prior, how often
its label flips, its confidence. Its alarms (with hysteresis) are the app's; they are
recorded as events in the recording and logged by the session. This badge only shows them,
as the drift badge shows the drift alarm: "Predictions: ok", "Predictions: STUCK" (amber),
and the alarm's message in the window's banner, which the clinician view shows too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtWidgets import QLabel, QWidget

from bci_desktop.core.inference.prediction_monitor import PredictionAlarm, PredictionHealth
from bci_desktop.core.session import PredictionAlarmChanged, PredictionHealthStatus, StreamState

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["PredictionBadge", "install"]

_ALARM_STYLE = (
    "QLabel { background-color: #e8a317; color: #1b1b1b; font-weight: bold;"
    " border-radius: 3px; padding: 0 6px; }"
)
_NORMAL_STYLE = "QLabel { padding: 0 6px; }"


class PredictionBadge(QLabel):
    """Status-bar label with the prediction monitor's verdict; raises the banner on alarm.

    Parameters
    ----------
    window : MainWindow
        Read: ``banner``; its worker's ``prediction_health`` and ``state_changed`` signals
        are connected by :func:`install`.
    parent : QWidget or None
        Qt parent.

    Attributes tests can read
    -------------------------
    health : PredictionHealth or None
        The latest figures, while streaming.
    alarms : frozenset of PredictionAlarm
        The alarms on now.
    warning_text : str
        The newest alarm's message while it is on ("" otherwise).
    """

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        self.health: PredictionHealth | None = None
        self.alarms: frozenset[PredictionAlarm] = frozenset()
        self.warning_text = ""
        self.setStyleSheet(_NORMAL_STYLE)
        self.setMinimumWidth(
            self.fontMetrics().horizontalAdvance("Predictions: LOW CONF., STUCK") + 16
        )
        self._paint()

    def on_health(self, message: object) -> None:
        """A :class:`PredictionHealthStatus` or :class:`PredictionAlarmChanged` arrived."""
        if isinstance(message, PredictionHealthStatus):
            self.health = message.health
            self.alarms = message.health.alarms
        elif isinstance(message, PredictionAlarmChanged):
            banner = self.window_.banner
            if message.on:
                self.alarms = self.alarms | {message.alarm}
                self.warning_text = message.text
                banner.show_message("warning", message.text)
            else:
                self.alarms = self.alarms - {message.alarm}
                if banner.isVisible() and banner.text.endswith(self.warning_text):
                    banner.hide()
                self.warning_text = ""
        self._paint()

    def on_state(self, state: StreamState, _message: str = "") -> None:
        """The stream's state: nothing is judged while it is not live."""
        if state.live:
            return
        if self.warning_text:
            banner = self.window_.banner
            if banner.isVisible() and banner.text.endswith(self.warning_text):
                banner.hide()
        self.health, self.alarms, self.warning_text = None, frozenset(), ""
        self._paint()

    def _paint(self) -> None:
        order = [a for a in PredictionAlarm if a in self.alarms]
        if self.health is None and not order:
            text = "Predictions: –"
        elif order:
            text = "Predictions: " + ", ".join(a.label for a in order)
        else:
            text = "Predictions: ok"
        tip = (
            "How the model's output looks over the last minutes: its classes against those it "
            "was trained on (PSI, 5 min), how often its label flips (30 s), its mean "
            "confidence (60 s) and how far it fell since the model's first minutes. "
            "'–': not judged yet (the first minutes of a model)."
        )
        if self.health is not None:
            tip += f"\nNow: {self.health.summary()}."
        if self.warning_text:
            tip += f"\n{self.warning_text}"
        self.setToolTip(tip)
        if text != self.text():
            self.setText(text)
            self.setStyleSheet(_ALARM_STYLE if order else _NORMAL_STYLE)


def install(window: MainWindow) -> PredictionBadge:
    """Add the badge to the window's status bar, fed by the worker's signals."""
    badge = PredictionBadge(window)
    window.statusBar().addPermanentWidget(badge)
    window.worker.prediction_health.connect(badge.on_health)
    window.worker.state_changed.connect(badge.on_state)
    return badge
