"""Per-inference latency of every prediction, its percentiles and the 100 ms budget."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from bci_desktop.core.dsp.quality import QualityLevel
from bci_desktop.gui.live_data import LiveData
from bci_desktop.gui.panels._style import (
    LEVEL_COLOURS,
    TRACE_COLOUR,
    Panel,
    ago_range,
    fit_ago_ticks,
    fmt_ms,
    show_end_labels,
)

#: The latency budget of one classification (ms).
BUDGET_MS = 100.0
#: Seconds of predictions plotted.
PLOT_S = 120.0
#: Smallest latency drawn (log axis; a 0 would have no place on it).
FLOOR_MS = 1e-3
#: Default y range (ms), widened if a point falls outside.
Y_RANGE_MS = (0.01, 1000.0)
_NBSP = "\u00a0"


class LatencyPanel(Panel):
    """Latency of every prediction (withheld ones too) over the last two minutes on a log
    axis, the dashed 100 ms budget, and p50/p95/p99/max over the sliding window that
    :attr:`LiveData.latency` keeps.

    Attributes tests can read
    -------------------------
    curve : pyqtgraph.PlotDataItem
        x: seconds before the newest prediction; y: latency (ms; log axis).
    budget_line : pyqtgraph.InfiniteLine
    stats_text : str
        E.g. ``"p50 0.214 · p95 0.300 · p99 0.512 ms\nmax 1.20 ms (last 1200) · budget
        100 ms: all within"``, and for an LSL stream a third line, ``"from the LSL time
        stamp: p50 12.3 · p99 20.1 ms"`` (the sample's time stamp at its sender to the
        prediction). On screen a line breaks only between two items.
    """

    def __init__(self, live: LiveData, parent: QWidget | None = None) -> None:
        super().__init__(live, parent)
        self._last_key: tuple[float, int] | None = None
        self.stats = QLabel("")
        self.stats.setWordWrap(True)
        self.stats.setToolTip(
            "Percentiles of the per-inference latency over the recent predictions: time "
            "from the window's last sample reaching the engine to the prediction"
        )
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()
        item.setLogMode(x=False, y=True)
        item.setLabel("left", "Latency (ms)")
        fit_ago_ticks(item, PLOT_S)
        item.getViewBox().sigResized.connect(lambda *_: fit_ago_ticks(item, PLOT_S))
        item.showGrid(y=True, alpha=0.2)
        show_end_labels(item)
        item.setXRange(*ago_range(PLOT_S), padding=0)
        self._y_range = Y_RANGE_MS
        item.setYRange(math.log10(Y_RANGE_MS[0]), math.log10(Y_RANGE_MS[1]), padding=0)
        # Plain numbers rather than pyqtgraph's powers of ten (positions are log10).
        decades = [(float(e), f"{10.0**e:g}") for e in range(-4, 6)]
        item.getAxis("left").setTicks([decades, []])
        bad = LEVEL_COLOURS[QualityLevel.BAD]
        # Items other than data curves live in the log10 coordinates of the view.
        self.budget_line = pg.InfiniteLine(
            pos=math.log10(BUDGET_MS),
            angle=0,
            movable=False,
            pen=pg.mkPen(bad, width=2, style=Qt.PenStyle.DashLine),
            label=f"budget {BUDGET_MS:g} ms",
            labelOpts={"position": 0.08, "color": bad, "anchors": [(0, 1), (0, 1)]},
        )
        item.addItem(self.budget_line, ignoreBounds=True)
        self.curve = pg.PlotDataItem(
            pen=pg.mkPen(TRACE_COLOUR, width=1),
            symbol="o",
            symbolSize=4,
            symbolPen=None,
            symbolBrush=pg.mkBrush(TRACE_COLOUR),
        )
        item.addItem(self.curve)
        self.plot.setToolTip(
            "Per-inference latency of each prediction over the last two minutes (log scale;"
            " now: the newest prediction); dashed: the 100 ms budget"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.stats)
        layout.addWidget(self.plot, 1)
        self.reset()

    @property
    def stats_text(self) -> str:
        """The percentiles, the worst and the budget verdict."""
        return self.stats.text().replace(_NBSP, " ")

    def _clear(self) -> None:
        self._last_key = None
        self.curve.setData([], [])
        self.stats.setText(
            f"No predictions yet · budget {BUDGET_MS:g} ms" if self.live.info is not None else ""
        )

    def _draw(self) -> bool:
        last = self.live.last_prediction
        if last is None:
            return True
        key = (last.t, last.index)
        if key == self._last_key:
            return True
        self._last_key = key
        preds = self.live.predictions_since(last.t - PLOT_S)
        n = len(preds)
        x = np.fromiter((p.t - last.t for p in preds), dtype=np.float64, count=n)
        y = np.fromiter((p.latency_ms for p in preds), dtype=np.float64, count=n)
        np.maximum(y, FLOOR_MS, out=y)
        self.curve.setData(x, y)
        self._fit_y(float(y.min()), float(y.max()))
        self._show_stats()
        return True

    def _fit_y(self, lo: float, hi: float) -> None:
        """Widen the default range to show every point (never narrower than the default)."""
        want = (min(Y_RANGE_MS[0], lo / 2), max(Y_RANGE_MS[1], hi * 2))
        if want != self._y_range:
            self._y_range = want
            self.plot.getPlotItem().setYRange(math.log10(want[0]), math.log10(want[1]), padding=0)

    def _source_items(self) -> tuple[str, ...]:
        """The latency from the samples' LSL time stamps (an LSL stream, maybe from another
        machine: transport and buffering included), when the stream has it."""
        source = self.live.source_latency
        if source.count == 0:
            return ()
        s50, s99 = (fmt_ms(v).removesuffix(" ms") for v in source.percentiles((50.0, 99.0)))
        return (f"p50 {s50}", f"p99 {s99} ms")

    def _show_stats(self) -> None:
        lat = self.live.latency
        values = lat.values()
        if values.size == 0:
            return
        p50, p95, p99 = lat.percentiles((50.0, 95.0, 99.0))
        worst = float(values.max())
        over = int(np.count_nonzero(values > BUDGET_MS))
        verdict = "all within" if over == 0 else f"{over} over"
        p50_, p95_, p99_ = (fmt_ms(v).removesuffix(" ms") for v in (p50, p95, p99))
        items = (
            f"p50 {p50_}",
            f"p95 {p95_}",
            f"p99 {p99_} ms\n",
            f"max {fmt_ms(worst)} (last {values.size})",
            f"budget {BUDGET_MS:g} ms: {verdict}",
        )
        text = " · ".join(i.replace(" ", _NBSP) for i in items).replace("\n · ", "\n")
        source = self._source_items()
        if source:
            text += "\nfrom the LSL time stamp: " + " · ".join(
                i.replace(" ", _NBSP) for i in source
            )
        self.stats.setText(text)
