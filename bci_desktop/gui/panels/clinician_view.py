"""A calm full-screen view: the current state, its confidence and trend, and the signal.

Only a live stream's recent prediction is the current state (:mod:`bci_desktop.gui.freshness`):
otherwise the view says "NOT LIVE" in the state's place and why in words ("Signal lost 12 s
ago", "Disconnected", "Replay ended"), and greys the trend and the quality out. A window the
model cannot judge (:data:`~bci_desktop.core.inference.novelty.UNRELIABLE`) is shown as
"Unreliable" with the reason, never with a confidence figure. While a demonstration model
classifies real EEG, the demo-model badge stays at the top.
"""

from __future__ import annotations

from collections import Counter

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QResizeEvent
from PyQt6.QtWidgets import QGraphicsOpacityEffect, QLabel, QSizePolicy, QVBoxLayout, QWidget

from bci_desktop.core.dsp.quality import QualityLevel
from bci_desktop.core.engine import Prediction
from bci_desktop.core.inference.novelty import UNRELIABLE
from bci_desktop.core.inference.provenance import demo_model_applies
from bci_desktop.gui.demo_badge import DemoBadge
from bci_desktop.gui.freshness import NOT_LIVE, Liveness
from bci_desktop.gui.live_data import LiveData
from bci_desktop.gui.not_live import DIMMED_OPACITY
from bci_desktop.gui.panels._style import (
    WITHHELD_COLOUR,
    Panel,
    channels_in_text,
    class_colour,
    name_list,
    problem_channels,
)

#: Seconds of history in the trend strip.
TREND_S = 120.0
BACKGROUND = "#11161d"
TEXT = "#f1f3f5"
MUTED = "#adb5bd"
#: The state word while nothing is live, and the unreliable state's colour (amber).
NOT_LIVE_COLOUR = "#ced4da"
UNRELIABLE_COLOUR = "#ffd43b"
#: The state word of a window withheld as unreliable.
UNRELIABLE_STATE = "Unreliable"
#: Quality colours lightened for the dark background (contrast >= 4.5:1).
LEVEL_ON_DARK = {
    QualityLevel.GOOD: TEXT,
    QualityLevel.POOR: "#ffd43b",
    QualityLevel.BAD: "#ff8787",
}


class TrendStrip(QWidget):
    """A horizontal band: one coloured stretch per run of the same state over the last
    minutes (grey where withheld), named inside when it is wide enough, with "2 min ago"
    on the left and "now" on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segments: list[tuple[float, float, str, str]] = []
        self.span_s = TREND_S
        self.end_label = "now"
        self.setMinimumHeight(36)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_segments(self, segments: list[tuple[float, float, str, str]]) -> None:
        """Stretches ``(start_s, end_s, colour, name)``, times in seconds before now (<= 0)."""
        self.segments = segments
        self.update()

    def paintEvent(self, event: QPaintEvent | None) -> None:
        """Draw the band and its two end labels."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        w, h = self.width(), self.height()
        fm = p.fontMetrics()
        text_h = fm.height()
        band = QRectF(0, 0, w, max(8, h - text_h - 4))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#232a33"))
        p.drawRoundedRect(band, 6, 6)
        for start, end, colour, name in self.segments:
            x0 = w * (1 + max(start, -self.span_s) / self.span_s)
            x1 = w * (1 + min(end, 0.0) / self.span_s)
            if x1 <= x0:
                continue
            rect = QRectF(x0, band.top(), x1 - x0 + 0.5, band.height())
            p.fillRect(rect, QColor(colour))
            if fm.horizontalAdvance(name) + 12 < rect.width() and fm.height() < rect.height():
                p.setPen(QColor("#11161d"))
                p.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), name)
                p.setPen(Qt.PenStyle.NoPen)
        p.setPen(QColor(MUTED))
        y = int(band.bottom()) + 2
        p.drawText(
            0, y, w, text_h, int(Qt.AlignmentFlag.AlignLeft), f"{self.span_s / 60:g} min ago"
        )
        p.drawText(0, y, w, text_h, int(Qt.AlignmentFlag.AlignRight), self.end_label)
        p.end()


class ClinicianView(Panel):
    """Only what matters from across a room: the state in very large type, how confident the
    model is, the trend of the last minutes and the signal quality in words. High contrast,
    dark background, fonts scale with the window.

    Attributes tests can read
    -------------------------
    state_text : str
        ``"calm"``, ``"No reading"``, ``"Unreliable"``, ``"Waiting…"`` or ``"NOT LIVE"``.
    detail_text : str
        ``"87% confident"``, what to do when there is no reading (``"Check electrode
        F3"``), why a window is unreliable, or why nothing is live (``"Disconnected"``).
    trend_text : str
        ``"Last 2 min: mostly calm (70%)"``.
    quality_text : str
        ``"Signal: good"``, ``"Signal: fair, check C4"`` or ``"Signal: check F3, Oz"``.
    trend : TrendStrip
    demo_badge : DemoBadge
        Shown while a demonstration model classifies a stream that is not the simulated
        subject.
    """

    follows_liveness = True

    def __init__(self, live: LiveData, parent: QWidget | None = None) -> None:
        super().__init__(live, parent)
        self._last_key: tuple[float, int] | None = None
        self._quality_seen: object = None
        self._shown: tuple[object, ...] | None = None
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, QColor(BACKGROUND))
        pal.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
        self.setPalette(pal)
        self.setAutoFillBackground(True)

        self.caption = _label("Current state", MUTED)
        self.state = _label("", TEXT)
        self.detail = _label("", TEXT)
        self.detail.setWordWrap(True)
        self.trend = TrendStrip()
        self.trend.setToolTip("The state over the last two minutes; grey: no reading")
        self.trend_label = _label("", MUTED)
        self.quality = _label("", TEXT)
        self.quality.setToolTip("Worst signal quality over the channels")
        for w in (self.caption, self.state, self.detail, self.trend_label, self.quality):
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._trend_dim = QGraphicsOpacityEffect(self.trend)
        self._trend_dim.setOpacity(DIMMED_OPACITY)
        self._trend_dim.setEnabled(False)
        self.trend.setGraphicsEffect(self._trend_dim)
        self.demo_badge = DemoBadge()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(self.demo_badge)
        layout.addStretch(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.state)
        layout.addWidget(self.detail)
        layout.addStretch(2)
        layout.addWidget(self.trend_label)
        layout.addWidget(self.trend)
        layout.addStretch(1)
        layout.addWidget(self.quality)
        layout.addStretch(1)
        self._scale_fonts()
        self.reset()

    # -- texts -------------------------------------------------------------------------
    @property
    def state_text(self) -> str:
        """The state in very large type."""
        return self.state.text()

    @property
    def detail_text(self) -> str:
        """Confidence, or what to check when there is no reading."""
        return self.detail.text()

    @property
    def trend_text(self) -> str:
        """The trend in words."""
        return self.trend_label.text()

    @property
    def quality_text(self) -> str:
        """The signal quality in words."""
        return self.quality.text()

    # -- layout ------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent | None) -> None:
        """Scale the fonts with the window so the state reads from across a room."""
        super().resizeEvent(event)
        self._scale_fonts()

    def _scale_fonts(self) -> None:
        h = max(self.height(), 300)
        w = max(self.width(), 300)
        unit = min(h / 10.0, w / 14.0)
        self._unit = unit
        _font(self.caption, unit * 0.32)
        _font(self.state, unit * 1.9, bold=True)
        _font(self.detail, unit * (0.6 if len(self.detail.text()) <= 40 else 0.4))
        _font(self.trend_label, unit * 0.34)
        _font(self.quality, unit * 0.55, bold=True)
        strip_font = QFont(self.trend.font())
        strip_font.setPixelSize(max(10, int(unit * 0.26)))
        self.demo_badge.set_pixel_size(int(unit * 0.3))
        self.trend.setFont(strip_font)
        self.trend.setFixedHeight(int(unit * 0.6 + self.trend.fontMetrics().height() + 4))

    # -- stream ------------------------------------------------------------------------
    def _clear(self) -> None:
        self._last_key = None
        self._quality_seen = None
        self._shown = None
        waiting = self.live.info is not None
        self.state.setText("Waiting…" if waiting else "Not connected")
        _colour(self.state, MUTED)
        self._set_detail("The first reading comes 4 s after the signal starts" if waiting else "")
        self.trend_label.setText("")
        self.trend.set_segments([])
        self.quality.setText("Signal: waiting" if waiting else "")
        _colour(self.quality, MUTED)

    def _draw(self) -> bool:
        live, lv = self.live, self.liveness
        self.demo_badge.setVisible(demo_model_applies(live.model_trained_on_simulated, live.info))
        self._trend_dim.setEnabled(not lv.live)
        report = live.quality
        if lv.live and report is not None and report is not self._quality_seen:
            self._quality_seen = report
            bad, poor = problem_channels(report)
            if bad:
                text, level = f"Signal: check {name_list(bad)}", QualityLevel.BAD
            elif poor:
                text, level = f"Signal: fair, check {name_list(poor)}", QualityLevel.POOR
            else:
                text, level = "Signal: good", QualityLevel.GOOD
            self.quality.setText(text)
            _colour(self.quality, LEVEL_ON_DARK[level])
        last = lv.last
        if last is not None and (last.t, last.index) != self._last_key:
            self._last_key = (last.t, last.index)
            self._show_trend(last)
        shown = (lv.live, lv.headline, self._last_key)
        if shown == self._shown:
            return True
        self._shown = shown
        if not lv.live:
            self._show_not_live(lv)
        elif lv.current is not None:
            self.trend.end_label = "now"
            self.trend.update()
            self._show_current(lv.current)
        return True

    def _set_detail(self, text: str) -> None:
        """The line under the state; a long explanation in smaller type."""
        self.detail.setText(text)
        _font(self.detail, self._unit * (0.6 if len(text) <= 40 else 0.4))

    def _show_not_live(self, lv: Liveness) -> None:
        """Nothing is current: "NOT LIVE" and why, in the state's place; quality greyed."""
        if self.live.info is None:  # no stream yet: nothing to grey, only what happens
            self.state.setText(lv.words)
            _colour(self.state, MUTED)
            self._set_detail("")
            return
        self.state.setText(NOT_LIVE)
        _colour(self.state, NOT_LIVE_COLOUR)
        self._set_detail(lv.words)
        self.trend.end_label = "last reading"
        self.trend.update()
        self._quality_seen = None
        if self.live.info is not None:
            self.quality.setText("Signal: not live")
            _colour(self.quality, MUTED)

    def _show_current(self, p: Prediction) -> None:
        if p.label is None:
            reason = p.withheld or ""
            if reason.startswith(UNRELIABLE):
                self.state.setText(UNRELIABLE_STATE)
                _colour(self.state, UNRELIABLE_COLOUR)
                self._set_detail(unreliable_words(reason))
                return
            self.state.setText("No reading")
            _colour(self.state, "#dee2e6")
            names = channels_in_text(reason, self.live.channel_names)
            if names:
                word = "electrode" if len(names) == 1 else "electrodes"
                self._set_detail(f"Check {word} {name_list(names)}")
            elif reason.startswith("Filters changed"):
                self._set_detail("Filters changed: settling")
            else:
                self._set_detail(reason.split(":")[0] if reason else "")
        else:
            self.state.setText(p.label)
            _colour(self.state, class_colour(p.label, p.classes.index(p.label)))
            self._set_detail(f"{p.confidence:.0%} confident")

    def _show_trend(self, last: Prediction) -> None:
        preds = self.live.predictions_since(last.t - TREND_S)
        segments: list[tuple[float, float, str, str]] = []
        for a, b in zip(preds, [*preds[1:], None], strict=True):
            end = 0.0 if b is None else b.t - last.t
            colour = (
                WITHHELD_COLOUR
                if a.label is None
                else class_colour(a.label, a.classes.index(a.label))
            )
            name = a.label or "no reading"
            if segments and segments[-1][3] == name:  # one stretch per run of a state
                segments[-1] = (segments[-1][0], end, colour, name)
            else:
                segments.append((a.t - last.t, end, colour, name))
        self.trend.set_segments(segments)
        labels = Counter(p.label for p in preds if p.label is not None)
        span = f"Last {TREND_S / 60:g} min"
        if not labels:
            self.trend_label.setText(f"{span}: no readings")
            return
        top, count = labels.most_common(1)[0]
        share = count / sum(labels.values())
        self.trend_label.setText(f"{span}: mostly {top} ({share:.0%})")


def unreliable_words(reason: str) -> str:
    """The detail under "Unreliable": ``"The signal does not look like the model's training
    data. BrainFlow's synthetic board sends sine waves, not EEG: …"`` (no scores)."""
    head = UNRELIABLE.split(": ", 1)[1]
    hint = reason.split("): ", 1)[1] if "): " in reason else ""
    text = head[0].upper() + head[1:] + "."
    return f"{text} {hint[0].upper()}{hint[1:]}." if hint else text


def _label(text: str, colour: str) -> QLabel:
    label = QLabel(text)
    _colour(label, colour)
    return label


def _colour(label: QLabel, colour: str) -> None:
    label.setStyleSheet(f"QLabel {{ color: {colour}; background: transparent; }}")


def _font(label: QLabel, pixels: float, *, bold: bool = False) -> None:
    font = QFont(label.font())
    font.setPixelSize(max(10, int(pixels)))
    font.setBold(bold)
    label.setFont(font)
