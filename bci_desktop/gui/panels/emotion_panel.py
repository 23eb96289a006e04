"""The classified emotional state: large label, one bar per class, and a timeline."""

from __future__ import annotations

from html import escape

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont, QFontMetrics, QResizeEvent
from PyQt6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bci_desktop.core.dsp.quality import QualityLevel
from bci_desktop.core.engine import Prediction
from bci_desktop.core.inference.novelty import UNRELIABLE
from bci_desktop.core.inference.provenance import demo_model_applies
from bci_desktop.core.prediction import truth_comparable
from bci_desktop.gui.demo_badge import DemoBadge
from bci_desktop.gui.freshness import NOT_LIVE, Liveness
from bci_desktop.gui.live_data import HISTORY_S, LiveData
from bci_desktop.gui.panels._style import (
    LEVEL_COLOURS,
    WITHHELD_COLOUR,
    Panel,
    ago_range,
    class_colour,
    fit_ago_ticks,
    readable_colour,
    show_end_labels,
)

#: Timeline lengths offered (s).
TIMELINES_S = (60.0, 120.0, 300.0)
DEFAULT_TIMELINE_S = 120.0
#: Text on a class-coloured bar (the class colours are mid-tones).
ON_CLASS_COLOUR = "#1b1b1b"
WAITING_TEXT = "Waiting for the first 4 s window…"
#: The large label of a window withheld as unreliable (its reason says why).
UNRELIABLE_TEXT = "Unreliable signal"


def reading_words(p: Prediction | None) -> str:
    """A prediction in a few words: ``"calm 87%"``, ``"withheld"`` or ``"none"``."""
    if p is None:
        return "none"
    if p.label is None or p.confidence is None:
        return "withheld"
    return f"{p.label} {p.confidence:.0%}"


class EmotionPanel(Panel):
    """The current state in large type with its confidence, a bar per class and a timeline
    of the class probabilities; a withheld prediction shows "Withheld" and its reason.

    When predictions carry the true state (the simulated subject), it is shown beside the
    prediction with the running agreement since the stream started.

    Only a live stream's recent prediction is shown as the current state
    (:mod:`bci_desktop.gui.freshness`): otherwise the large label says why nothing is live
    ("Signal lost 12 s ago", "Disconnected", "Replay ended") and the bars are empty. A window
    withheld as unreliable leads with "Unreliable signal" and the reason, never a figure.
    While a demonstration model classifies real EEG, :attr:`demo_badge` says so.

    Built to stay readable in a short, narrow dock: the bars are horizontal with the class
    names on their left (long names do not collide), the timeline's legend is a row of
    words above it, its time axis reads "-2 min … now", and long texts wrap.

    Attributes tests can read
    -------------------------
    label_text : str
        What the large label says: ``"happy  87%"``, ``"Withheld"``, ``"Unreliable signal"``,
        the waiting text, or why the stream is not live (``"Disconnected"``).
    reason_text : str
        Why the last prediction was withheld, or (not live) ``"NOT LIVE. Last reading: …"``;
        "" otherwise.
    demo_badge : DemoBadge
        Shown while a demonstration model classifies a stream that is not the simulated
        subject.
    truth_text : str
        ``"True state: sad"`` when known, else "".
    agreement_text : str
        ``"Agreement: 83% of 120 predictions"`` when the truth is known, else "".
    bars : pyqtgraph.BarGraphItem
        One horizontal bar per class, the first class on top; their lengths
        (``bars.opts["width"]``) are the last probabilities (0 when withheld).
    bar_texts : list of pyqtgraph.TextItem
        The probability written at the end of each bar (``"87%"``).
    legend_text : str
        The timeline's legend: the class names in their colours.
    timeline_curves : dict of str to pyqtgraph.PlotDataItem
        One line per class: probability against seconds before the newest prediction.
    timeline_combo : QComboBox
        How far back the timeline reaches.
    """

    follows_liveness = True

    def __init__(self, live: LiveData, parent: QWidget | None = None) -> None:
        super().__init__(live, parent)
        self._classes: tuple[str, ...] = ()
        self._last_key: tuple[float, int] | None = None
        self._shown: tuple[object, ...] | None = None
        self._last_index = -1
        self._agree = 0
        self._with_truth = 0
        self._big = False

        self.label = QLabel(WAITING_TEXT)
        self.label.setWordWrap(True)
        base = max(QFont(self.label.font()).pointSizeF(), 9.0)
        self._big_font = QFont(self.label.font())
        self._big_font.setPointSizeF(base * 2.4)
        self._big_font.setBold(True)
        self._quiet_font = QFont(self.label.font())
        self._quiet_font.setPointSizeF(base * 1.3)
        self.label.setToolTip("Most probable state of the last window and its probability")
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        self.reason.setToolTip("Why no state was given for the last window")
        self.truth = QLabel("")
        self.truth.setWordWrap(True)
        tfont = QFont(self.label.font())
        tfont.setPointSizeF(base * 1.3)
        tfont.setBold(True)
        self.truth.setFont(tfont)
        self.truth.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.truth.setToolTip("The state the simulated subject is really in")
        self.agreement = QLabel("")
        self.agreement.setWordWrap(True)
        self.agreement.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.agreement.setToolTip(
            "Share of the predictions (not withheld) that named the true state, since the "
            "stream started"
        )
        self.timeline_combo = QComboBox()
        for s in TIMELINES_S:
            self.timeline_combo.addItem(f"Last {s / 60:g} min", s)
        self.timeline_combo.setCurrentIndex(TIMELINES_S.index(DEFAULT_TIMELINE_S))
        self.timeline_combo.setToolTip("How far back the probability timeline reaches")
        self.timeline_combo.currentIndexChanged.connect(self._timeline_changed)
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setToolTip("Colour of each class in the timeline")

        head = QGridLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.setVerticalSpacing(0)
        head.addWidget(self.label, 0, 0)
        head.addWidget(self.truth, 0, 1)
        head.addWidget(self.reason, 1, 0)
        head.addWidget(self.agreement, 1, 1)
        head.setColumnStretch(0, 3)
        head.setColumnStretch(1, 2)

        self.bar_plot = pg.PlotWidget()
        bp = self.bar_plot.getPlotItem()
        _static(bp)
        bp.hideAxis("bottom")
        bp.setXRange(0, 1.02, padding=0)
        bp.getViewBox().setDefaultPadding(0)
        self.bars = pg.BarGraphItem(x0=0.0, y=np.zeros(0), width=np.zeros(0), height=0.7)
        bp.addItem(self.bars)
        self.bar_texts: list[pg.TextItem] = []
        self.bar_plot.setToolTip("Probability of each class for the last window")
        self.bar_plot.setMinimumWidth(90)

        self.timeline_plot = pg.PlotWidget()
        tp = self.timeline_plot.getPlotItem()
        _static(tp)
        tp.setYRange(-0.06, 1.06, padding=0)  # room for the "0%" and "100%" labels
        tp.setXRange(*ago_range(DEFAULT_TIMELINE_S), padding=0)
        tp.getAxis("left").setTicks([[(0.0, "0%"), (0.5, "50%"), (1.0, "100%")], []])
        fit_ago_ticks(tp, DEFAULT_TIMELINE_S)
        tp.getViewBox().sigResized.connect(lambda *_: fit_ago_ticks(tp, self.timeline_s))
        tp.showGrid(y=True, alpha=0.2)
        show_end_labels(tp)
        self.timeline_curves: dict[str, pg.PlotDataItem] = {}
        self.timeline_plot.setToolTip(
            "Probability of each class over the last minutes (now: the newest prediction);"
            " gaps: predictions withheld"
        )
        self.timeline_plot.setMinimumWidth(140)

        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend, 1)
        legend_row.addWidget(self.timeline_combo, 0, Qt.AlignmentFlag.AlignBottom)
        timeline = QVBoxLayout()
        timeline.setSpacing(2)
        timeline.addLayout(legend_row)
        timeline.addWidget(self.timeline_plot, 1)
        plots = QHBoxLayout()
        plots.addWidget(self.bar_plot, 3)
        plots.addLayout(timeline, 5)
        self.demo_badge = DemoBadge()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.demo_badge)
        layout.addLayout(head)
        layout.addLayout(plots, 1)
        self.reset()

    # -- texts -------------------------------------------------------------------------
    @property
    def label_text(self) -> str:
        """The large label."""
        return self.label.text()

    @property
    def reason_text(self) -> str:
        """The withheld reason ("" when the last prediction has a label)."""
        return self.reason.text()

    @property
    def truth_text(self) -> str:
        """``"True state: …"`` or ""."""
        return self.truth.text()

    @property
    def agreement_text(self) -> str:
        """The running agreement with the true state, or ""."""
        return self.agreement.text()

    @property
    def legend_text(self) -> str:
        """The class names of the timeline's legend, in order."""
        return " ".join(self._classes)

    @property
    def timeline_s(self) -> float:
        """Seconds the timeline reaches back."""
        return float(self.timeline_combo.currentData())

    def _timeline_changed(self) -> None:
        tp = self.timeline_plot.getPlotItem()
        tp.setXRange(*ago_range(self.timeline_s), padding=0)
        fit_ago_ticks(tp, self.timeline_s)
        self._last_key = None
        self.invalidate()
        self.refresh()

    # -- stream ------------------------------------------------------------------------
    def _clear(self) -> None:
        self._last_key = None
        self._shown = None
        self._last_index = -1
        self._agree = self._with_truth = 0
        self._set_classes(())
        self._set_label(WAITING_TEXT if self.live.info is not None else "No stream", None)
        self._set_reason("")
        self.truth.setText("")
        self.agreement.setText("")

    def _set_reason(self, text: str) -> None:
        """The line under the large label; its tooltip holds it whole (a short panel may
        cut it)."""
        self.reason.setText(text)
        self.reason.setToolTip(text or "Why no state was given for the last window")

    def _set_label(self, text: str, colour: str | None, *, big: bool = False) -> None:
        """The large label: a state in large bold type, other words smaller; large type that
        would not fit on one line in a narrow panel steps down (so the reason under it stays
        readable)."""
        self._big = big
        self.label.setText(text)
        self._fit_label()
        self.label.setStyleSheet(f"QLabel {{ color: {colour}; }}" if colour else "")

    def _fit_label(self) -> None:
        font = self._quiet_font
        if self._big:
            font = self._big_font
            room = self.label.width()
            if room > 0 and QFontMetrics(font).horizontalAdvance(self.label.text()) > room:
                font = QFont(self._big_font)
                font.setPointSizeF(self._quiet_font.pointSizeF())
        if font != self.label.font():
            self.label.setFont(font)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Large type that no longer fits (or fits again) on one line is resized."""
        super().resizeEvent(event)
        self._fit_label()

    def _set_classes(self, classes: tuple[str, ...]) -> None:
        self._classes = classes
        tp = self.timeline_plot.getPlotItem()
        for curve in self.timeline_curves.values():
            tp.removeItem(curve)
        self.timeline_curves = {}
        colours = [class_colour(c, i) for i, c in enumerate(classes)]
        for name, colour in zip(classes, colours, strict=True):
            curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=2))
            tp.addItem(curve)
            self.timeline_curves[name] = curve
        line = '<span style="color:{}; font-weight:bold;">&#9473;&#9473;</span>&nbsp;{}'
        self.legend.setText(
            "&nbsp;&nbsp; ".join(
                line.format(c, escape(name)) for name, c in zip(classes, colours, strict=True)
            )
        )
        n = len(classes)
        bp = self.bar_plot.getPlotItem()
        for t in self.bar_texts:
            bp.removeItem(t)
        self.bar_texts = []
        rows = np.arange(n)[::-1].astype(np.float64)  # the first class on top
        if n:
            self.bars.setOpts(
                x0=0.0,
                y=rows,
                width=np.zeros(n),
                brushes=[pg.mkBrush(c) for c in colours],
                pens=[pg.mkPen(c) for c in colours],
            )
        else:  # pyqtgraph 0.14 fails on empty pen lists
            self.bars.setOpts(y=np.zeros(0), width=np.zeros(0))
        for row in rows:
            t = pg.TextItem("", anchor=(0.0, 0.5), color=pg.getConfigOption("foreground"))
            t.setPos(0.0, row)
            bp.addItem(t)
            self.bar_texts.append(t)
        bp.getAxis("left").setTicks([list(zip(rows, classes, strict=True)), []])
        bp.setYRange(-0.6, max(n, 1) - 0.4, padding=0)

    def _show_bars(self, probabilities: np.ndarray | None) -> None:
        n = len(self._classes)
        values = np.zeros(n) if probabilities is None else probabilities
        self.bars.setOpts(width=values)
        colour = pg.getConfigOption("foreground")  # follows the theme
        for t, v in zip(self.bar_texts, values, strict=True):
            t.setText("" if probabilities is None else f"{v:.0%}")
            if v > 0.5:  # inside the bar, at its end, dark on the mid-tone bar colour
                t.setColor(ON_CLASS_COLOUR)
                t.setAnchor((1.0, 0.5))
                t.setPos(float(v) - 0.02, t.pos().y())
            else:
                t.setColor(colour)
                t.setAnchor((0.0, 0.5))
                t.setPos(float(v) + 0.02, t.pos().y())

    # -- drawing -----------------------------------------------------------------------
    def _draw(self) -> bool:
        live = self.live
        self.demo_badge.setVisible(demo_model_applies(live.model_trained_on_simulated, live.info))
        lv = self.liveness
        last = lv.last
        if last is not None and (last.t, last.index) != self._last_key:
            self._last_key = (last.t, last.index)
            if last.classes != self._classes:
                self._set_classes(last.classes)
            self._count_agreement(last)
            self._show_timeline(last)
        shown = (lv.live, lv.headline, self._last_key, live.info is not None)
        if shown == self._shown:
            return True
        self._shown = shown
        if not lv.live:
            self._show_not_live(lv)
        elif lv.current is not None:
            self._show_current(lv.current)
        else:
            self._set_label(WAITING_TEXT if live.info is not None else "No stream", None)
            self._set_reason("")
        return True

    def _show_not_live(self, lv: Liveness) -> None:
        """Nothing is current: say why, keep the last reading as history, empty bars."""
        if self.live.info is None:  # no stream yet: nothing shown to mistake for live
            self._set_label("No stream" if lv.words == "Not connected" else lv.words, None)
            self._set_reason("")
            return
        self._set_label(lv.words, WITHHELD_COLOUR, big=True)
        if lv.last is not None:
            self._set_reason(f"{NOT_LIVE}. Last reading: {reading_words(lv.last)}.")
        else:
            self._set_reason(f"{NOT_LIVE}: no state is being classified.")
        self._show_bars(None)
        self.truth.setText("")

    def _count_agreement(self, last: Prediction) -> None:
        if last.index < self._last_index:  # the engine started over
            self._last_index = -1
            self._agree = self._with_truth = 0
        new = []
        for p in reversed(self.live.predictions):
            if p.index <= self._last_index:
                break
            new.append(p)
        info = self.live.info
        states = info.states if info is not None else ()
        for p in new:
            if p.truth is not None and p.label is not None and truth_comparable(p.classes, states):
                self._with_truth += 1
                self._agree += p.truth == p.label
        self._last_index = last.index

    def _show_current(self, p: Prediction) -> None:
        n = len(self._classes)
        if p.label is None or p.probabilities is None or len(p.probabilities) != n:
            if (p.withheld or "").startswith(UNRELIABLE):
                amber = readable_colour(LEVEL_COLOURS[QualityLevel.POOR], self)
                self._set_label(UNRELIABLE_TEXT, amber, big=True)
            else:
                self._set_label("Withheld", WITHHELD_COLOUR, big=True)
            self._set_reason(p.withheld or "No reason given")
            self._show_bars(None)
        else:
            colour = readable_colour(class_colour(p.label, self._classes.index(p.label)), self)
            self._set_label(f"{p.label}  {p.confidence:.0%}", colour, big=True)
            self._set_reason("")
            self._show_bars(np.asarray(p.probabilities, dtype=np.float64))
        self.truth.setText(f"True state: {p.truth}" if p.truth is not None else "")
        info = self.live.info
        if self._with_truth and info is not None and truth_comparable(p.classes, info.states):
            share = self._agree / self._with_truth
            self.agreement.setText(f"Agreement: {share:.0%} of {self._with_truth} predictions")
        else:
            self.agreement.setText("")

    def _show_timeline(self, last: Prediction) -> None:
        span = min(self.timeline_s, HISTORY_S)
        preds = self.live.predictions_since(last.t - span)
        n, k = len(preds), len(self._classes)
        x = np.fromiter((p.t - last.t for p in preds), dtype=np.float64, count=n)
        probs = np.full((n, k), np.nan)
        for j, p in enumerate(preds):
            if p.probabilities is not None and len(p.probabilities) == k:
                probs[j] = p.probabilities
        for i, name in enumerate(self._classes):
            self.timeline_curves[name].setData(x, probs[:, i], connect="finite")


def _static(item: pg.PlotItem) -> None:
    """A plot that the mouse does not move."""
    item.setMenuEnabled(False)
    item.hideButtons()
    item.setMouseEnabled(x=False, y=False)
    item.disableAutoRange()
