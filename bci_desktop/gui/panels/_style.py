"""What the panels share: the redraw-on-change base class, colours and number formats.

Colours are mid-tones chosen to read on both a dark and a light plot background, and never
carry meaning alone: every quality level and class also has its word on screen.
"""

from __future__ import annotations

import math
import re
from typing import Any

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PyQt6.QtWidgets import QLabel, QWidget

from bci_desktop.core.dsp.quality import QualityLevel, QualityReport
from bci_desktop.core.stream import StreamInfo
from bci_desktop.gui.freshness import Liveness
from bci_desktop.gui.live_data import LiveData

#: Fill colour of each quality level (the word is always shown with it).
LEVEL_COLOURS: dict[QualityLevel, str] = {
    QualityLevel.GOOD: "#2f9e44",
    QualityLevel.POOR: "#e8a317",
    QualityLevel.BAD: "#e03131",
}
#: Text colour on top of :data:`LEVEL_COLOURS` (contrast >= 4.5:1).
LEVEL_TEXT: dict[QualityLevel, str] = {
    QualityLevel.GOOD: "#ffffff",
    QualityLevel.POOR: "#1b1b1b",
    QualityLevel.BAD: "#ffffff",
}
#: Colour of the usual emotion classes; others take :data:`FALLBACK_COLOURS` in turn.
CLASS_COLOURS: dict[str, str] = {
    "calm": "#4dabf7",
    "relaxed": "#4dabf7",
    "happy": "#fab005",
    "sad": "#9775fa",
    "stressed": "#ff6b6b",
    "angry": "#ff6b6b",
    "neutral": "#adb5bd",
}
FALLBACK_COLOURS = ("#20c997", "#f783ac", "#74c0fc", "#ffa94d", "#a9e34b", "#e599f7")
#: Colour of withheld predictions and "no data" states.
WITHHELD_COLOUR = "#868e96"
#: Colour of the channel traces of the signal view.
TRACE_COLOUR = "#4a90d9"
#: Colour of marker lines.
MARKER_COLOUR = "#f08c00"


def class_colour(name: str, index: int) -> str:
    """Colour of the emotion class ``name``, the ``index``-th class of the model."""
    return CLASS_COLOURS.get(name.lower(), FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)])


def readable_colour(colour: str, widget: QWidget) -> str:
    """``colour``, darkened when ``widget``'s background is light (for text)."""
    background = widget.palette().color(QPalette.ColorRole.Window)
    return QColor(colour).darker(150).name() if background.lightness() > 128 else colour


def badge_style(level: QualityLevel) -> str:
    """Style sheet of a small rounded badge in the colour of ``level``."""
    return (
        f"QLabel {{ background-color: {LEVEL_COLOURS[level]}; color: {LEVEL_TEXT[level]};"
        " border-radius: 4px; padding: 1px 6px; font-weight: bold; }"
    )


def fmt_ms(value: float) -> str:
    """A latency for people: ``"0.214 ms"``, ``"3.52 ms"``, ``"142 ms"``, ``"–"`` if NaN."""
    if not math.isfinite(value):
        return "–"
    if value < 1.0:
        return f"{value:.3f} ms"
    if value < 100.0:
        return f"{value:.3g} ms"
    return f"{value:.0f} ms"


def fmt_marker(value: float) -> str:
    """A marker value as its number (``"3"``, ``"2.5"``)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def fmt_ago(seconds: float) -> str:
    """A time before now for an axis: ``"now"``, ``"-30 s"``, ``"-2 min"``."""
    seconds = abs(float(seconds))
    if seconds < 1e-9:
        return "now"
    if seconds >= 60 and seconds % 60 == 0:
        return f"-{seconds / 60:g} min"
    return f"-{seconds:g} s"


def ago_ticks(span_s: float, *, labels: int = 5) -> list[list[tuple[float, str]]]:
    """Ticks of a "seconds before now" axis from ``-span_s`` to 0, for ``AxisItem.setTicks``.

    At most ``labels`` labelled ticks (``"-2 min"`` ... ``"now"``) at a round step; the
    steps between them are minor ticks without text, so a narrow plot stays readable.
    """
    steps = (5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0)
    step = next((s for s in steps if span_s / s <= max(1, labels - 1)), steps[-1])
    major = [(-k * step, fmt_ago(k * step)) for k in range(int(span_s // step + 1e-9) + 1)]
    half = step / 2
    minor = [(-half - k * step, "") for k in range(int((span_s - half) // step + 1e-9) + 1)]
    return [major, minor]


def fit_ago_ticks(plot: Any, span_s: float) -> None:
    """Set the "-2 min … now" ticks of a pyqtgraph plot's bottom axis for its width now:
    one label per ~60 px, at most six."""
    labels = max(2, min(6, int(plot.getViewBox().width() // 60)))
    plot.getAxis("bottom").setTicks(ago_ticks(span_s, labels=labels))


def ago_range(span_s: float) -> tuple[float, float]:
    """The x range of a "seconds before now" plot, with a small margin at both ends."""
    margin = 0.03 * span_s
    return -span_s - margin, margin


def show_end_labels(plot: Any) -> None:
    """Let the labels of a pyqtgraph plot's bottom axis reach past its ends ("now" at the
    right edge), with room for them at the right. Turns the axis' grid lines off:
    pyqtgraph bounds the labels of a gridded axis by the plot."""
    axis = plot.getAxis("bottom")
    axis.setGrid(False)
    axis.setStyle(hideOverlappingLabels=False)
    left, top, _, bottom = plot.layout.getContentsMargins()
    plot.layout.setContentsMargins(left, top, 16, bottom)


def channels_in_text(text: str, names: tuple[str, ...]) -> list[str]:
    """Channel names that appear as whole words in ``text``, in the order they appear."""
    found = []
    for name in names:
        m = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
        if m:
            found.append((m.start(), name))
    return [n for _, n in sorted(found)]


def problem_channels(report: QualityReport) -> tuple[list[str], list[str]]:
    """Names of the bad and of the poor channels of a report."""
    bad = [n for n, lv in zip(report.channel_names, report.levels, strict=True) if lv >= 2]
    poor = [n for n, lv in zip(report.channel_names, report.levels, strict=True) if lv == 1]
    return bad, poor


def name_list(names: list[str], limit: int = 4) -> str:
    """``"F3, Oz"``; past ``limit`` names, ``"F3, Oz, Fz, Cz and 2 more"``."""
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"


class Panel(QWidget):
    """Base of the panels: redraws only when :attr:`LiveData.version` moved.

    Subclasses implement :meth:`_draw` (return True if they drew) and :meth:`_clear`
    (forget the old stream). A panel notices a new stream by itself as well, so a missed
    :meth:`reset` call cannot leave it showing the wrong channels.

    Parameters
    ----------
    live : LiveData
        What to show.
    parent : QWidget or None
        Qt parent.
    """

    #: Panels that present the current state set this: they also redraw when what may be
    #: presented as current changes with time alone (a prediction growing old, "signal
    #: lost 12 s ago" counting up), and read it from :attr:`liveness`.
    follows_liveness = False

    def __init__(self, live: LiveData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self._stream: StreamInfo | None = None
        self._drawn_version = -1
        self.liveness: Liveness = live.liveness()
        self._drawn_liveness: tuple[bool, str] | None = None

    def refresh(self) -> bool:
        """Redraw if the live data changed since the last draw.

        Returns
        -------
        bool
            True if the panel drew.
        """
        if self.live.info is not self._stream:
            self.reset()
        key = None
        if self.follows_liveness:
            self.liveness = self.live.liveness()
            key = (self.liveness.live, self.liveness.headline)
        if self.live.version == self._drawn_version and key == self._drawn_liveness:
            return False
        version = self.live.version
        if not self._draw():
            return False
        self._drawn_version = version
        self._drawn_liveness = key
        return True

    def reset(self) -> None:
        """Forget the old stream (a new one was configured in the live data)."""
        self._stream = self.live.info
        self._drawn_version = -1
        self._drawn_liveness = None
        self._clear()

    def invalidate(self) -> None:
        """Redraw on the next :meth:`refresh` even if no data came (a view setting changed)."""
        self._drawn_version = -1

    def _draw(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def _clear(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when it is too narrow, with the full text as its
    tooltip; :meth:`text` is always the full text. It never asks for more width than a
    few characters, so a long message cannot widen its panel."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._tip = ""
        self.setText(text)

    def set_tip(self, tip: str) -> None:
        """A tooltip shown above the full text."""
        self._tip = tip
        self.setText(self.text())

    def setText(self, text: str | None) -> None:
        """Show ``text`` (elided when needed)."""
        text = text or ""
        super().setText(text)
        self.setToolTip("\n\n".join(t for t in (self._tip, text) if t))

    def minimumSizeHint(self) -> QSize:
        """A few characters wide."""
        hint = super().minimumSizeHint()
        return QSize(
            min(hint.width(), self.fontMetrics().horizontalAdvance("M" * 6)), hint.height()
        )

    def paintEvent(self, event: QPaintEvent | None) -> None:
        """Draw the text, elided at the right if it does not fit."""
        p = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        p.setPen(self.palette().color(self.foregroundRole()))
        p.drawText(rect, int(self.alignment()), text)
        p.end()
