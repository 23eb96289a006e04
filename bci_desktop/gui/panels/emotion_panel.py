"""The classified emotional state: large label, one bar per class, and a timeline."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bci_desktop.core.engine import Prediction
from bci_desktop.gui.live_data import HISTORY_S, LiveData
from bci_desktop.gui.panels._style import WITHHELD_COLOUR, Panel, class_colour, readable_colour

#: Timeline lengths offered (s).
TIMELINES_S = (60.0, 120.0, 300.0)
DEFAULT_TIMELINE_S = 120.0
WAITING_TEXT = "Waiting for the first 4 s window…"


class EmotionPanel(Panel):
    """The current state in large type with its confidence, a bar per class and a timeline
    of the class probabilities; a withheld prediction shows "Withheld" and its reason.

    When predictions carry the true state (the simulated subject), it is shown beside the
    prediction with the running agreement since the stream started.

    Attributes tests can read
    -------------------------
    label_text : str
        What the large label says: ``"happy  87%"``, ``"Withheld"`` or the waiting text.
    reason_text : str
        Why the last prediction was withheld ("" otherwise).
    truth_text : str
        ``"True state: sad"`` when known, else "".
    agreement_text : str
        ``"Agreement: 83% of 120 predictions"`` when the truth is known, else "".
    bars : pyqtgraph.BarGraphItem
        One bar per class; heights are the last probabilities (0 when withheld).
    timeline_curves : dict of str to pyqtgraph.PlotDataItem
        One line per class: probability against seconds before the newest prediction.
    timeline_combo : QComboBox
        How far back the timeline reaches.
    """

    def __init__(self, live: LiveData, parent: QWidget | None = None) -> None:
        super().__init__(live, parent)
        self._classes: tuple[str, ...] = ()
        self._last_key: tuple[float, int] | None = None
        self._last_index = -1
        self._agree = 0
        self._with_truth = 0

        self.label = QLabel(WAITING_TEXT)
        font = QFont(self.label.font())
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 2.6)
        font.setBold(True)
        self.label.setFont(font)
        self.label.setToolTip("Most probable state of the last window and its probability")
        self.reason = QLabel("")
        self.reason.setWordWrap(True)
        self.reason.setToolTip("Why no state was given for the last window")
        self.truth = QLabel("")
        tfont = QFont(self.label.font())
        tfont.setPointSizeF(font.pointSizeF() * 0.5)
        self.truth.setFont(tfont)
        self.truth.setToolTip("The state the simulated subject is really in")
        self.agreement = QLabel("")
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

        head = QGridLayout()
        head.addWidget(self.label, 0, 0)
        head.addWidget(self.truth, 0, 1, Qt.AlignmentFlag.AlignRight)
        head.addWidget(self.reason, 1, 0)
        head.addWidget(self.agreement, 1, 1, Qt.AlignmentFlag.AlignRight)
        head.setColumnStretch(0, 1)

        self.bar_plot = pg.PlotWidget()
        bp = self.bar_plot.getPlotItem()
        _static(bp)
        bp.setTitle("Class probabilities")
        bp.setYRange(0, 1, padding=0)
        bp.showGrid(y=True, alpha=0.2)
        self.bars = pg.BarGraphItem(x=np.zeros(0), height=np.zeros(0), width=0.7)
        bp.addItem(self.bars)
        self.bar_plot.setToolTip("Probability of each class for the last window")

        self.timeline_plot = pg.PlotWidget()
        tp = self.timeline_plot.getPlotItem()
        _static(tp)
        tp.setTitle("Probability over time")
        tp.setLabel("bottom", "Seconds before the last prediction")
        tp.getAxis("bottom").enableAutoSIPrefix(False)
        tp.setYRange(0, 1, padding=0.02)
        tp.setXRange(-DEFAULT_TIMELINE_S, 0, padding=0)
        tp.showGrid(x=True, y=True, alpha=0.2)
        legend_bg = pg.mkColor(pg.getConfigOption("background"))
        legend_bg.setAlpha(190)
        self._legend = tp.addLegend(offset=(8, 8), labelTextSize="9pt", brush=legend_bg)
        self.timeline_curves: dict[str, pg.PlotDataItem] = {}
        self.timeline_plot.setToolTip("Probability of each class; gaps: predictions withheld")

        plots = QHBoxLayout()
        plots.addWidget(self.bar_plot, 2)
        plots.addWidget(self.timeline_plot, 5)
        under = QHBoxLayout()
        under.addStretch(1)
        under.addWidget(self.timeline_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(head)
        layout.addLayout(plots, 1)
        layout.addLayout(under)
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
    def timeline_s(self) -> float:
        """Seconds the timeline reaches back."""
        return float(self.timeline_combo.currentData())

    def _timeline_changed(self) -> None:
        self.timeline_plot.getPlotItem().setXRange(-self.timeline_s, 0, padding=0)
        self._last_key = None
        self.invalidate()
        self.refresh()

    # -- stream ------------------------------------------------------------------------
    def _clear(self) -> None:
        self._last_key = None
        self._last_index = -1
        self._agree = self._with_truth = 0
        self._set_classes(())
        self.label.setText(WAITING_TEXT if self.live.info is not None else "No stream")
        self.label.setStyleSheet("")
        self.reason.setText("")
        self.truth.setText("")
        self.agreement.setText("")

    def _set_classes(self, classes: tuple[str, ...]) -> None:
        self._classes = classes
        tp = self.timeline_plot.getPlotItem()
        for curve in self.timeline_curves.values():
            tp.removeItem(curve)
        self._legend.clear()
        self.timeline_curves = {}
        for i, name in enumerate(classes):
            curve = pg.PlotDataItem(name=name, pen=pg.mkPen(class_colour(name, i), width=2))
            tp.addItem(curve)
            self.timeline_curves[name] = curve
        n = len(classes)
        colours = [class_colour(c, i) for i, c in enumerate(classes)]
        if n:
            self.bars.setOpts(
                x=np.arange(n),
                height=np.zeros(n),
                brushes=[pg.mkBrush(c) for c in colours],
                pens=[pg.mkPen(c) for c in colours],
            )
        else:  # pyqtgraph 0.14 fails on empty pen lists
            self.bars.setOpts(x=np.zeros(0), height=np.zeros(0))
        bp = self.bar_plot.getPlotItem()
        bp.getAxis("bottom").setTicks([list(enumerate(classes)), []])
        bp.setXRange(-0.6, max(n, 1) - 0.4, padding=0)

    # -- drawing -----------------------------------------------------------------------
    def _draw(self) -> bool:
        last = self.live.last_prediction
        if last is None:
            return True
        key = (last.t, last.index)
        if key == self._last_key:
            return True
        self._last_key = key
        if last.classes != self._classes:
            self._set_classes(last.classes)
        self._count_agreement(last)
        self._show_current(last)
        self._show_timeline(last)
        return True

    def _count_agreement(self, last: Prediction) -> None:
        if last.index < self._last_index:  # the engine started over
            self._last_index = -1
            self._agree = self._with_truth = 0
        new = []
        for p in reversed(self.live.predictions):
            if p.index <= self._last_index:
                break
            new.append(p)
        for p in new:
            if p.truth is not None and p.label is not None:
                self._with_truth += 1
                self._agree += p.truth == p.label
        self._last_index = last.index

    def _show_current(self, p: Prediction) -> None:
        n = len(self._classes)
        if p.label is None or p.probabilities is None:
            self.label.setText("Withheld")
            self.label.setStyleSheet(f"QLabel {{ color: {WITHHELD_COLOUR}; }}")
            self.reason.setText(p.withheld or "No reason given")
            self.bars.setOpts(height=np.zeros(n))
        else:
            colour = readable_colour(class_colour(p.label, self._classes.index(p.label)), self)
            self.label.setText(f"{p.label}  {p.confidence:.0%}")
            self.label.setStyleSheet(f"QLabel {{ color: {colour}; }}")
            self.reason.setText("")
            self.bars.setOpts(height=np.asarray(p.probabilities, dtype=np.float64))
        self.truth.setText(f"True state: {p.truth}" if p.truth is not None else "")
        if self._with_truth:
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
