"""The self-report page: valence and arousal on 1-9 scales, in the style of the
Self-Assessment Manikin (Bradley & Lang 1994), operable with the keyboard alone.

Keys: a digit 1-9 rates the scale that is highlighted and moves on to the next; the arrow
keys move a rating by one; Tab or the up/down arrows switch scales; Enter confirms once
both are rated; Backspace goes back to valence. While this page has the focus, digits
and Enter belong to it: it accepts Qt's ``ShortcutOverride`` for them, so the window's
marker shortcuts (keys 1-9), whatever their context, do not fire.
"""

from __future__ import annotations

import math

from PyQt6.QtCore import QEvent, QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from bci_desktop.core.sources.participant import RATING_MAX, RATING_MIN, SelfReport

__all__ = ["RatingScale", "RatingView"]

_DIGITS = {getattr(Qt.Key, f"Key_{d}"): d for d in range(1, 10)}
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_OWN_KEYS = set(_DIGITS) | {
    *_ENTER,
    Qt.Key.Key_Backspace,
    Qt.Key.Key_Left,
    Qt.Key.Key_Right,
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_Tab,
    Qt.Key.Key_Backtab,
}


def _manikin(p: QPainter, box: QRectF, kind: str, level: int, ink: QColor) -> None:
    """A SAM-like figure for ``level`` (1-9): valence bends the mouth from frown to smile;
    arousal opens the eyes and grows a burst on the chest."""
    w, h = box.width(), box.height()
    cx = box.center().x()
    head_r = min(w, h) * 0.2
    head = QPointF(cx, box.top() + head_r + h * 0.04)
    t = (level - 1) / 8.0  # 0 .. 1
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(ink, max(1.5, h / 60))
    p.setPen(pen)
    body = QPainterPath()
    top = head.y() + head_r * 0.9
    body.moveTo(cx - w * 0.16, top)
    body.lineTo(cx + w * 0.16, top)
    body.lineTo(cx + w * 0.3, box.bottom() - h * 0.04)
    body.lineTo(cx - w * 0.3, box.bottom() - h * 0.04)
    body.closeSubpath()
    p.setBrush(QColor(ink.red(), ink.green(), ink.blue(), 30))
    p.drawPath(body)
    p.drawEllipse(head, head_r, head_r)
    eye_y = head.y() - head_r * 0.25
    for side in (-1, 1):
        ex = cx + side * head_r * 0.38
        if kind == "arousal":
            open_h = head_r * (0.04 + 0.22 * t)
            p.drawEllipse(QPointF(ex, eye_y), head_r * 0.13, open_h)
        else:
            p.drawEllipse(QPointF(ex, eye_y), head_r * 0.09, head_r * 0.09)
    mouth = QPainterPath()
    my = head.y() + head_r * 0.42
    curve = (t - 0.5) * head_r * 0.7 if kind == "valence" else 0.0
    mouth.moveTo(cx - head_r * 0.45, my)
    mouth.quadTo(QPointF(cx, my + curve), QPointF(cx + head_r * 0.45, my))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(mouth)
    if kind == "arousal":
        burst = QPainterPath()
        centre = QPointF(cx, top + (box.bottom() - top) * 0.45)
        outer = (0.06 + 0.2 * t) * w
        spikes = 10
        for i in range(2 * spikes + 1):
            r = outer if i % 2 == 0 else outer * 0.45
            a = math.pi * i / spikes
            pt = QPointF(centre.x() + r * math.cos(a), centre.y() + r * math.sin(a))
            burst.moveTo(pt) if i == 0 else burst.lineTo(pt)
        p.setBrush(QColor(ink.red(), ink.green(), ink.blue(), 90))
        p.drawPath(burst)
    p.restore()


class RatingScale(QWidget):
    """One 1-9 scale with manikins at 1, 3, 5, 7 and 9 and a mark at the rating.

    Signals
    -------
    picked(int)
        A value was clicked.
    """

    picked = pyqtSignal(int)

    def __init__(self, kind: str, low: str, high: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.low, self.high = low, high
        self.value: int | None = None
        self.active = False
        self.setMinimumHeight(150)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def _slot(self, value: int) -> QRectF:
        w = self.width() / 9.0
        return QRectF((value - 1) * w, 0, w, self.height())

    def set_value(self, value: int | None) -> None:
        """Mark ``value`` (``None``: not rated)."""
        self.value = value
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click picks the value under the pointer."""
        value = int(event.position().x() // (self.width() / 9.0)) + 1
        self.picked.emit(min(max(value, RATING_MIN), RATING_MAX))

    def paintEvent(self, event: QPaintEvent) -> None:
        """Manikins, the nine positions with their digits, the rating."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = self.palette().windowText().color()
        accent = QColor("#1971c2")
        if self.active:
            p.fillRect(self.rect(), QColor(accent.red(), accent.green(), accent.blue(), 28))
        figure_h = self.height() * 0.62
        for v in range(RATING_MIN, RATING_MAX + 1):
            slot = self._slot(v)
            if v % 2 == 1:
                box = QRectF(slot.x() + slot.width() * 0.1, 4, slot.width() * 0.8, figure_h)
                _manikin(p, box, self.kind, v, ink)
            y = figure_h + (self.height() - figure_h) * 0.45
            r = min(slot.width(), self.height() - figure_h) * 0.28
            chosen = v == self.value
            p.setPen(QPen(accent if chosen else ink, 2))
            p.setBrush(accent if chosen else Qt.BrushStyle.NoBrush)
            p.drawEllipse(QPointF(slot.center().x(), y), r, r)
            f = QFont(self.font())
            f.setPixelSize(max(11, int(r * 1.1)))
            f.setBold(chosen)
            p.setFont(f)
            p.setPen(QColor("white") if chosen else ink)
            p.drawText(QRectF(slot.center().x() - r, y - r, 2 * r, 2 * r),
                       Qt.AlignmentFlag.AlignCenter, str(v))  # fmt: skip
        p.end()


class RatingView(QWidget):
    """Both scales and the keys to rate them (see the module docstring).

    Signals
    -------
    submitted(SelfReport)
        Enter pressed (or Confirm clicked) with both scales rated.

    Attributes
    ----------
    valence, arousal : RatingScale
    active : str
        ``"valence"`` or ``"arousal"``: the scale a digit rates.
    """

    submitted = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calibration_rating")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.title = QLabel("How did you feel during this block?")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        f = self.title.font()
        f.setPointSize(22)
        f.setBold(True)
        self.title.setFont(f)
        self.valence_label = QLabel()
        self.arousal_label = QLabel()
        self.valence = RatingScale("valence", "unpleasant, unhappy", "pleasant, happy")
        self.arousal = RatingScale("arousal", "calm, relaxed, sleepy", "excited, alert, tense")
        self.help_label = QLabel(
            "Type a digit from 1 to 9 for each scale (it moves on by itself), then press "
            "Enter. Arrow keys adjust; Backspace goes back."
        )
        self.help_label.setWordWrap(True)
        self.help_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label = QLabel()  # e.g. what the simulated subject answers
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 24, 40, 24)
        layout.addWidget(self.title)
        layout.addSpacing(12)
        for label, scale in (
            (self.valence_label, self.valence),
            (self.arousal_label, self.arousal),
        ):
            f = label.font()
            f.setPointSize(15)
            label.setFont(f)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label)
            layout.addWidget(scale, 1)
        layout.addWidget(self.help_label)
        layout.addWidget(self.hint_label)
        self.valence.picked.connect(lambda v: self._set("valence", v))
        self.arousal.picked.connect(lambda v: self._set("arousal", v))
        self.active = "valence"
        self.reset()

    @property
    def report(self) -> SelfReport | None:
        """The ratings, when both are given."""
        v, a = self.valence.value, self.arousal.value
        return None if v is None or a is None else SelfReport(v, a)

    def reset(self, hint: str = "") -> None:
        """Both scales unrated, valence first."""
        self.valence.set_value(None)
        self.arousal.set_value(None)
        self.hint_label.setText(hint)
        self._activate("valence")

    def set_hint(self, text: str) -> None:
        """A line under the scales (the simulated subject's answer)."""
        self.hint_label.setText(text)

    def _activate(self, which: str) -> None:
        self.active = which
        self.valence.active = which == "valence"
        self.arousal.active = which == "arousal"
        self._labels()

    def _labels(self) -> None:
        for label, scale, question in (
            (self.valence_label, self.valence, "Pleasant or unpleasant?"),
            (self.arousal_label, self.arousal, "Calm or excited?"),
        ):
            shown = "–" if scale.value is None else str(scale.value)
            marker = "▶ " if scale.active else ""
            label.setText(f"{marker}{question}   1 = {scale.low} … 9 = {scale.high}   [{shown}]")
            scale.update()

    def _set(self, which: str, value: int) -> None:
        (self.valence if which == "valence" else self.arousal).set_value(value)
        self._activate("arousal")  # after valence, arousal; after arousal, Enter
        self._labels()

    def confirm(self) -> bool:
        """Submit the ratings if both are given."""
        report = self.report
        if report is None:
            self._activate("valence" if self.valence.value is None else "arousal")
            return False
        self.submitted.emit(report)
        return True

    # -- keys --------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        """Take the rating keys before any shortcut does."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in _OWN_KEYS
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Digits rate, arrows adjust or switch, Enter confirms, Backspace goes back."""
        key = event.key()
        scale = self.valence if self.active == "valence" else self.arousal
        if key in _DIGITS:
            self._set(self.active, _DIGITS[key])
        elif key in _ENTER:
            self.confirm()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = -1 if key == Qt.Key.Key_Left else 1
            start = scale.value if scale.value is not None else 5 - step
            scale.set_value(min(max(start + step, RATING_MIN), RATING_MAX))
            self._labels()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            self._activate("arousal" if self.active == "valence" else "valence")
        elif key == Qt.Key.Key_Backspace:
            self._activate("valence")
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab switches scales instead of leaving the page."""
        return False
