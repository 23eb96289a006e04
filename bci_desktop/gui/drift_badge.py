"""The live drift score in the status bar, and a visible warning when it stays high.

Every prediction carries the engine's drift score (:attr:`Prediction.drift
<bci_desktop.core.engine.Prediction.drift>`): how far the last 30 s of live features sit
from the model's training data (about 0.6 for the person a model was trained on, see
:mod:`bci_desktop.core.inference.drift`). :class:`DriftBadge` shows it ("Drift 0.6 ·
normal") and, when it stays above the threshold for a few predictions, turns amber, says
"HIGH", logs a warning and shows it in the window's banner in words. It turns back only
once the score stays below ``clear_ratio`` x threshold (hysteresis), so a score hovering at
the threshold does not make it flicker.

:class:`DriftWatch` is that decision, in plain Python.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QLabel, QWidget

from bci_desktop.core.engine import Prediction
from bci_desktop.core.inference.drift import DEFAULT_THRESHOLD

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["REFRESH_MS", "DriftBadge", "DriftWatch", "install"]

logger = logging.getLogger(__name__)

#: How often the badge reads the live predictions (ms).
REFRESH_MS = 500
_ALARM_STYLE = (
    "QLabel { background-color: #e8a317; color: #1b1b1b; font-weight: bold;"
    " border-radius: 3px; padding: 0 6px; }"
)
_NORMAL_STYLE = "QLabel { padding: 0 6px; }"


@dataclass
class DriftWatch:
    """Turn a stream of drift scores into an alarm with persistence and hysteresis.

    Parameters
    ----------
    threshold : float
        The alarm turns on when ``sustain`` scores in a row exceed it.
    clear_ratio : float
        It turns off when ``sustain`` scores in a row are below ``clear_ratio * threshold``.
    sustain : int
        Consecutive scores needed to switch (predictions come every hop, ~0.25 s).

    Attributes
    ----------
    score : float or None
        The latest score (``None`` before any, or while the model gives none).
    alarm : bool
        True while the live signal differs from the model's training data.
    """

    threshold: float = DEFAULT_THRESHOLD
    clear_ratio: float = 0.8
    sustain: int = 4
    score: float | None = None
    alarm: bool = False
    _above: int = field(default=0, repr=False)
    _below: int = field(default=0, repr=False)

    def reset(self) -> None:
        """Forget everything (a new stream or model)."""
        self.score = None
        self.alarm = False
        self._above = self._below = 0

    def update(self, scores: Iterable[float | None]) -> bool:
        """Feed scores in order; return True if :attr:`alarm` changed."""
        before = self.alarm
        for s in scores:
            if s is None or not math.isfinite(s):
                self.score = None
                self._above = self._below = 0
                continue
            self.score = float(s)
            self._above = self._above + 1 if s > self.threshold else 0
            self._below = self._below + 1 if s < self.clear_ratio * self.threshold else 0
            if not self.alarm and self._above >= self.sustain:
                self.alarm = True
            elif self.alarm and self._below >= self.sustain:
                self.alarm = False
        return self.alarm != before

    def message(self) -> str:
        """The warning in words (for the banner and the log)."""
        score = "?" if self.score is None else f"{self.score:.1f}"
        return (
            f"Signal differs from the model's training data (drift {score} > "
            f"{self.threshold:g}): predictions may be unreliable. Check the electrodes, or "
            "calibrate a personal model (Models menu)."
        )


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
    watch : DriftWatch
        Score and alarm state.
    warning_text : str
        The warning shown in the banner while the alarm is on ("" otherwise).
    """

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_ = window
        self.watch = DriftWatch()
        self.warning_text = ""
        self._last: Prediction | None = None
        self._info: Any = None
        self._model: str | None = None
        self.setToolTip(
            "Drift: how far the live signal's features are from the model's training data, "
            f"over the last 30 s. About 0.6 is normal; above {self.watch.threshold:g} the "
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
        """Read the predictions that arrived since the last call and update the badge."""
        live = self.window_.live
        if live.info is not self._info:  # a new stream: start afresh
            self._info = live.info
            self._last = None
            self._set_alarm_off()
            self.watch.reset()
        fresh: list[Prediction] = []
        for p in reversed(live.predictions):
            if p is self._last:
                break
            fresh.append(p)
        if fresh:
            self._last = fresh[0]
            before = self.watch.alarm
            for p in reversed(fresh):
                if p.model != self._model:  # another model: another training reference
                    self._model = p.model
                    self.watch.reset()
                self.watch.update((p.drift,))
            if self.watch.alarm and not before:
                self._set_alarm_on()
            elif before and not self.watch.alarm:
                self._set_alarm_off()
        if self.window_.stream_state != "streaming" and self.watch.alarm:
            self.watch.reset()
            self._set_alarm_off()
        self._paint()

    def _set_alarm_on(self) -> None:
        self.warning_text = self.watch.message()
        logger.warning("%s", self.warning_text)
        self.window_.banner.show_message("warning", self.warning_text)

    def _set_alarm_off(self) -> None:
        if not self.warning_text:
            return
        banner = self.window_.banner
        if banner.isVisible() and banner.text.endswith(self.warning_text):
            banner.hide()
        logger.info("The live signal looks like the model's training data again.")
        self.warning_text = ""

    def _paint(self) -> None:
        w = self.watch
        streaming = self.window_.stream_state == "streaming"
        if not streaming or w.score is None:
            text = "Drift: –"
        elif w.alarm:
            text = f"Drift {w.score:.1f} · HIGH"
        else:
            text = f"Drift {w.score:.1f} · normal"
        if text != self.text():
            self.setText(text)
            self.setStyleSheet(_ALARM_STYLE if w.alarm else _NORMAL_STYLE)


def install(window: MainWindow) -> DriftBadge:
    """Add the drift badge to the window's status bar (``window.drift_badge``)."""
    badge = DriftBadge(window)
    window.statusBar().addPermanentWidget(badge)
    window.drift_badge = badge  # type: ignore[attr-defined]
    return badge
