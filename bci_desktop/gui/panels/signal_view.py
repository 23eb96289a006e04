"""Every EEG channel stacked and scrolling, with the view and filter controls above it."""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QAction, QColor, QFontMetrics
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.dsp.quality import QualityLevel, QualityReport, QualityState
from bci_desktop.core.errors import ConfigError
from bci_desktop.gui.live_data import MAX_DISPLAY_S, LiveData
from bci_desktop.gui.panels._channel_axis import ChannelAxis
from bci_desktop.gui.panels._display_clock import DisplayClock
from bci_desktop.gui.panels._filter_controls import FilterControls
from bci_desktop.gui.panels._marker_lines import MarkerLines
from bci_desktop.gui.panels._scale import fit_scale
from bci_desktop.gui.panels._style import (
    LEVEL_COLOURS,
    TRACE_COLOUR,
    Panel,
)
from bci_desktop.gui.panels._trace import Trace

logger = logging.getLogger(__name__)

#: Time windows offered (s).
WINDOWS_S = (5.0, 10.0, 20.0)
#: Range and default of the channel spacing (µV).
SCALE_RANGE_UV = (10, 1000)
DEFAULT_SCALE_UV = 100
DEFAULT_WINDOW_S = 10.0
#: Seconds of a new stream after which the automatic scale is fitted (to the newest one).
AUTO_AFTER_S = 2.0
#: Least samples per pixel column for peak downsampling (below it every sample is drawn).
PEAK_MIN = 3


class SignalView(Panel):
    """All EEG channels stacked, newest samples at the right.

    The plot scrolls at every frame, not only when a chunk of samples arrives: between
    chunks its right edge follows the wall clock (:class:`DisplayClock`), a few hundredths
    of a second ahead of the newest sample at most.

    Each channel is one :class:`pyqtgraph.PlotCurveItem` placed with ``setPos`` (its data are
    the samples in µV, centred on the window's mean); the left axis names the channels and
    turns amber or red, with the quality word, for poor or bad ones. The x axis counts
    seconds since the stream's first sample.

    The scale is the spacing between two channels' zero lines, in µV per division. With
    **Auto** on (the default) it is fitted to the signal once a new stream has shown
    :data:`AUTO_AFTER_S` seconds (to the newest second, after the filters settled), so
    neighbouring channels do not draw over each other; changing the scale
    by hand turns Auto off, and a click on Auto fits it again.

    When the window holds at least :data:`PEAK_MIN` samples per pixel of plot width, each
    curve is drawn from the minimum and the maximum of every block of samples that falls on
    one pixel column (peak downsampling, all channels at once, blocks aligned to the stream's
    sample count so the trace does not shimmer as it scrolls): it looks the same and draws
    several times fewer points.

    Attributes tests can read
    -------------------------
    curves : list of pyqtgraph.PlotCurveItem
        One per channel, in stream order (hidden channels have invisible curves); ``xData``
        and ``yData`` hold what is drawn.
    downsample : int
        Samples per min/max pair in the last draw (1: every sample drawn).
    marker_lines : list of pyqtgraph.InfiniteLine
        The marker lines shown now, oldest first (label = marker number, or the text of a
        marker another program sent).
    channel_labels : list of str
        The left-axis text of every channel, e.g. ``"Oz (bad: flat line)"``.
    t0 : float or None
        Stream time (s) that is 0 on the time axis (:attr:`LiveData.origin`).
    message : QLabel
        Inline message shown instead of applying invalid filter settings.
    window_combo, scale_spin, auto_scale_button, signal_combo, notch_combo,
    bandpass_check, low_spin, high_spin, car_check, channels_button : the controls.

    Signals
    -------
    filters_changed(FilterSettings)
        The user edited the filter controls into valid settings.
    """

    filters_changed = pyqtSignal(object)

    def __init__(self, live: LiveData, parent: QWidget | None = None) -> None:
        super().__init__(live, parent)
        self.curves: list[pg.PlotCurveItem] = []
        self.downsample = 1
        self.channel_labels: list[str] = []
        self._hidden: set[str] = set()
        self._quality_seen: QualityReport | None = None
        self._levels = np.zeros(0, dtype=np.int64)
        self._xbuf = np.empty(0)
        self._ybuf = np.empty((0, 0))
        self._xds = np.empty(0)
        self._yds = np.empty((0, 0))
        self._pens = {
            QualityLevel.GOOD: pg.mkPen(TRACE_COLOUR, width=1),
            QualityLevel.POOR: pg.mkPen(LEVEL_COLOURS[QualityLevel.POOR], width=1),
            QualityLevel.BAD: pg.mkPen(LEVEL_COLOURS[QualityLevel.BAD], width=1),
        }
        self._build_controls()
        self._build_plot()
        self.reset()

    # -- construction ------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.window_combo = QComboBox()
        for w in WINDOWS_S:
            self.window_combo.addItem(f"{w:g} s", w)
        self.window_combo.setCurrentIndex(WINDOWS_S.index(DEFAULT_WINDOW_S))
        self.window_combo.setToolTip("How many seconds of signal the plot shows")
        self.window_combo.currentIndexChanged.connect(self._view_changed)

        self.scale_spin = QSpinBox()
        self.scale_spin.setRange(*SCALE_RANGE_UV)
        self.scale_spin.setSingleStep(10)
        self.scale_spin.setValue(DEFAULT_SCALE_UV)
        self.scale_spin.setSuffix(" µV/div")
        self.scale_spin.setKeyboardTracking(False)
        self.scale_spin.setToolTip(
            "Scale in µV per division: the distance between two channels' zero lines.\n"
            "Smaller values magnify the signal. Changing it turns Auto off."
        )
        self.scale_spin.valueChanged.connect(self._scale_edited)
        self.auto_scale_button = QToolButton()
        self.auto_scale_button.setText("Auto")
        self.auto_scale_button.setCheckable(True)
        self.auto_scale_button.setChecked(True)
        self.auto_scale_button.setToolTip(
            "Fit the scale to the signal now, and to the first second of every new stream"
        )
        self.auto_scale_button.clicked.connect(self._auto_clicked)
        self._auto_pending = True

        self.channels_button = QToolButton()
        self.channels_button.setText("Channels")
        self.channels_button.setToolTip("Show or hide channels")
        self.channels_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._channels_menu = QMenu(self)
        self._channels_menu.triggered.connect(self._channel_action)
        self._show_all_action: QAction | None = None
        self.channels_button.setMenu(self._channels_menu)
        self.channel_actions: list[QAction] = []

        self.signal_combo = QComboBox()
        self.signal_combo.addItem("Filtered", True)
        self.signal_combo.addItem("Raw", False)
        self.signal_combo.setToolTip(
            "Filtered: after the notch, band-pass and reference below.\n"
            "Raw: as the device sent it (each channel centred on its mean)."
        )
        self.signal_combo.currentIndexChanged.connect(self._view_changed)

        self.filter_controls = FilterControls(lambda: self.live.sample_rate)
        self.filter_controls.changed.connect(self.filters_changed)
        fc = self.filter_controls
        self.notch_combo, self.bandpass_check, self.car_check = (
            fc.notch_combo,
            fc.bandpass_check,
            fc.car_check,
        )
        self.low_spin, self.high_spin, self.message = fc.low_spin, fc.high_spin, fc.message

        view_row = QHBoxLayout()
        view_row.addWidget(_label("Window", self.window_combo))
        view_row.addWidget(self.window_combo)
        view_row.addWidget(_label("Scale", self.scale_spin))
        view_row.addWidget(self.scale_spin)
        view_row.addWidget(self.auto_scale_button)
        view_row.addWidget(self.channels_button)
        view_row.addWidget(_label("Signal", self.signal_combo))
        view_row.addWidget(self.signal_combo)
        view_row.addStretch(1)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.setSpacing(2)
        self._layout.addLayout(view_row)
        self._layout.addWidget(fc)

    def _build_plot(self) -> None:
        self.axis = ChannelAxis("left")
        self.axis.enableAutoSIPrefix(False)  # else its label is re-laid out on every frame
        self.plot_widget = pg.PlotWidget(axisItems={"left": self.axis})
        self.plot_widget.setToolTip("")
        item = self.plot_widget.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()
        # Curves are PlotCurveItems, clipped and downsampled here: PlotDataItem's own
        # clipToView/autoDownsample redo their work on every range change, i.e. twice per
        # scrolling frame and per channel. No grid: its translucent lines over the whole
        # plot cost ~5 ms per frame.
        item.setLabel("bottom", "Time", units="s")
        item.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot_item = item
        self._markers = MarkerLines(item)
        self._clock = DisplayClock()
        self._layout.addWidget(self.plot_widget, 1)

    # -- stream ------------------------------------------------------------------------
    def _clear(self) -> None:
        for c in self.curves:
            self.plot_item.removeItem(c)
        self._markers.clear()
        names = self.live.channel_names
        self.curves = []
        for _ in names:
            c = Trace(pen=self._pens[QualityLevel.GOOD], skipFiniteCheck=True)
            self.plot_item.addItem(c)
            self.curves.append(c)
        cap = max(1, math.ceil(MAX_DISPLAY_S * max(self.live.sample_rate, 1.0)))
        self._xbuf = np.empty(cap)
        self._ybuf = np.empty((len(names), cap))
        self._xds = np.empty(cap + 2)
        self._yds = np.empty((len(names), cap + 2))
        self._levels = np.zeros(len(names), dtype=np.int64)
        self._quality_seen = None
        self.channel_labels = list(names)
        self._axis_width = 0
        self._clock.reset()
        self._jumps = self.live.jumps
        self._newest: float | None = None
        self._edge = math.nan
        self._t0 = 0.0
        self._auto_pending = self.auto_scale
        self._rebuild_channel_menu()
        self._apply_layout()
        self.plot_item.setXRange(-self.window_s, 0.0, padding=0)

    def _rebuild_channel_menu(self) -> None:
        # No connection per action: with 64 channels and the worker thread busy, each
        # connect waited for the GIL (about 0.5 ms each, 185 ms for the menu); the menu's
        # one triggered signal (connected once) says which action.
        self._channels_menu.clear()
        self.channel_actions = []
        self._show_all_action = self._channels_menu.addAction("Show all channels")
        self._channels_menu.addSeparator()
        for name in self.live.channel_names:
            act = self._channels_menu.addAction(name)
            act.setCheckable(True)
            act.setChecked(name not in self._hidden)
            act.setData(name)
            self.channel_actions.append(act)

    def _channel_action(self, action: QAction) -> None:
        if action is self._show_all_action:
            self._show_all()
        elif action in self.channel_actions:
            self.set_channel_visible(str(action.data()), action.isChecked())

    # -- view settings -----------------------------------------------------------------
    @property
    def marker_lines(self) -> list[pg.InfiniteLine]:
        """The marker lines shown now, oldest first (label = marker number)."""
        return self._markers.shown

    @property
    def t0(self) -> float | None:
        """Stream time (s) that is 0 on the time axis."""
        return self.live.origin

    @property
    def window_s(self) -> float:
        """Seconds shown."""
        return float(self.window_combo.currentData())

    @property
    def scale_uv(self) -> int:
        """Distance between two channels' zero lines (µV)."""
        return int(self.scale_spin.value())

    @property
    def auto_scale(self) -> bool:
        """True while the scale is fitted to each new stream."""
        return self.auto_scale_button.isChecked()

    def fit_scale(self, seconds: float | None = None) -> int:
        """Fit the scale to the visible channels of the last ``seconds`` (default: the
        window shown); the new scale."""
        span = self.window_s if seconds is None else seconds
        _, data = self.live.window(span, filtered=self.show_filtered)
        visible = data[self._visible] if len(self._visible) else data
        scale = fit_scale(np.asarray(visible), low=SCALE_RANGE_UV[0], high=SCALE_RANGE_UV[1])
        self._set_scale(scale)
        return scale

    def _set_scale(self, scale: int) -> None:
        self.scale_spin.blockSignals(True)
        self.scale_spin.setValue(int(scale))
        self.scale_spin.blockSignals(False)
        self._view_changed()

    def _scale_edited(self) -> None:
        self.auto_scale_button.setChecked(False)
        self._auto_pending = False
        self._view_changed()

    def _auto_clicked(self, checked: bool) -> None:
        if checked and self.live.raw.size:
            self._auto_pending = False
            self.fit_scale()
        else:
            self._auto_pending = checked

    @property
    def show_filtered(self) -> bool:
        """True when the filtered signal is shown, False for raw."""
        return bool(self.signal_combo.currentData())

    @property
    def hidden_channels(self) -> tuple[str, ...]:
        """Names of the hidden channels (kept across streams)."""
        return tuple(sorted(self._hidden))

    @property
    def filters(self) -> FilterSettings:
        """The filter settings last shown or emitted (what the engine should run)."""
        return self.filter_controls.settings

    def set_channel_visible(self, channel: str | int, visible: bool) -> None:
        """Show or hide one channel (by name or index)."""
        names = self.live.channel_names
        name = names[channel] if isinstance(channel, int) else str(channel)
        if visible:
            self._hidden.discard(name)
        else:
            self._hidden.add(name)
        if name in names:
            act = self.channel_actions[names.index(name)]
            if act.isChecked() != visible:
                act.blockSignals(True)
                act.setChecked(visible)
                act.blockSignals(False)
        self._view_changed()

    def _show_all(self) -> None:
        for name in list(self._hidden):
            self.set_channel_visible(name, True)

    def _view_changed(self) -> None:
        self._apply_layout()
        self.invalidate()
        self.refresh()

    def _apply_layout(self) -> None:
        """Positions of the visible curves, the y range and the axis ticks."""
        names = self.live.channel_names
        visible = [i for i, n in enumerate(names) if n not in self._hidden]
        scale = self.scale_uv
        k = len(visible)
        self._offsets = np.zeros(len(names))
        for c in self.curves:
            c.setVisible(False)
        for j, i in enumerate(visible):
            self._offsets[i] = (k - 1 - j) * scale
            self.curves[i].setVisible(True)
        self._visible = visible
        self.plot_item.setYRange(-0.7 * scale, (k - 0.3) * scale if k else scale, padding=0)
        self._update_ticks()

    def _update_ticks(self) -> None:
        ticks = [(float(self._offsets[i]), self.channel_labels[i]) for i in self._visible]
        self.axis.setTicks([ticks, []])
        colours = {}
        for i in self._visible:
            level = QualityLevel(int(self._levels[i]))
            if level != QualityLevel.GOOD:
                colours[self.channel_labels[i]] = QColor(LEVEL_COLOURS[level])
        self.axis.text_colours = colours
        # Room for the longest label so far (growing only, so the plot does not jitter
        # when a channel flips between good and bad).
        font = self.axis.style["tickFont"] or self.axis.font()
        metrics = QFontMetrics(font)
        width = max((metrics.horizontalAdvance(t) for _, t in ticks), default=0)
        needed = width + 12 + max(0, self.axis.style["tickLength"])
        if needed > self._axis_width:
            self._axis_width = needed
            self.axis.setWidth(needed)
        self.axis.picture = None
        self.axis.update()

    # -- filters -----------------------------------------------------------------------
    def set_filters(self, settings: FilterSettings) -> None:
        """Show ``settings`` in the filter controls without emitting :attr:`filters_changed`."""
        self.filter_controls.set_settings(settings)

    # -- persistence -------------------------------------------------------------------
    def state(self) -> dict:
        """View settings to persist (JSON-friendly).

        ``filters`` holds the settings shown; the caller hands them to the engine
        (``FilterSettings(**state["filters"])`` with ``bandpass`` as a list).
        """
        f = self.filters
        return {
            "window_s": self.window_s,
            "scale_uv": self.scale_uv,
            "auto_scale": self.auto_scale,
            "hidden": sorted(self._hidden),
            "show_filtered": self.show_filtered,
            "filters": {
                "notch_hz": f.notch_hz,
                "bandpass": None if f.bandpass is None else list(f.bandpass),
                "common_average": bool(f.common_average),
                "order": int(f.order),
            },
        }

    def restore(self, state: dict) -> None:
        """Apply saved view settings; a missing or invalid key keeps its current value."""
        if not isinstance(state, dict):
            logger.warning("Ignored signal view settings that are not a mapping: %r", state)
            return
        window = state.get("window_s")
        if isinstance(window, int | float) and float(window) in WINDOWS_S:
            self.window_combo.setCurrentIndex(WINDOWS_S.index(float(window)))
        scale = state.get("scale_uv")
        if isinstance(scale, int | float) and not isinstance(scale, bool):
            lo, hi = SCALE_RANGE_UV
            if lo <= scale <= hi:
                self.scale_spin.blockSignals(True)  # a saved value, not an edit: Auto stays
                self.scale_spin.setValue(int(scale))
                self.scale_spin.blockSignals(False)
        auto = state.get("auto_scale")
        if isinstance(auto, bool):
            self.auto_scale_button.setChecked(auto)
            self._auto_pending = auto
        hidden = state.get("hidden")
        if isinstance(hidden, list) and all(isinstance(h, str) for h in hidden):
            self._hidden = set(hidden)
            for name, act in zip(self.live.channel_names, self.channel_actions, strict=True):
                act.blockSignals(True)
                act.setChecked(name not in self._hidden)
                act.blockSignals(False)
        show = state.get("show_filtered")
        if isinstance(show, bool):
            self.signal_combo.setCurrentIndex(0 if show else 1)
        filters = state.get("filters")
        if isinstance(filters, dict):
            try:
                settings = FilterSettings(**filters)
                settings.validate(self.live.sample_rate or math.inf)
            except (ConfigError, TypeError) as exc:
                logger.warning("Ignored saved filter settings %r: %s", filters, exc)
            else:
                self.set_filters(settings)
        self._view_changed()

    # -- drawing -----------------------------------------------------------------------
    def _update_quality(self, report: QualityReport) -> None:
        self._quality_seen = report
        if report.channel_names != self.live.channel_names:
            return
        levels = np.asarray(report.levels, dtype=np.int64)
        labels = []
        for i, name in enumerate(report.channel_names):
            level = QualityLevel(int(levels[i]))
            if level == QualityLevel.GOOD:
                labels.append(name)
            else:
                state = QualityState(int(report.states[i])).label
                labels.append(f"{name} ({level.label}: {state})")
        if labels == self.channel_labels and np.array_equal(levels, self._levels):
            return
        for i in np.flatnonzero(levels != self._levels):
            self.curves[i].setPen(self._pens[QualityLevel(int(levels[i]))])
        self._levels = levels
        self.channel_labels = labels
        self._update_ticks()

    def _draw(self) -> bool:
        live = self.live
        if live.quality is not None and live.quality is not self._quality_seen:
            self._update_quality(live.quality)
        times, data = live.window(self.window_s, filtered=self.show_filtered)
        n = times.size
        if n == 0 or not self.curves:
            self._newest = None
            if live.origin is None:  # nothing yet: the empty axis shows the window chosen
                self.plot_item.setXRange(-self.window_s, 0.0, padding=0)
            return True
        if self._auto_pending and self.auto_scale and n >= AUTO_AFTER_S * live.sample_rate:
            self._auto_pending = False
            self.fit_scale(seconds=1.0)  # the newest second: the filters have settled
            return True
        if live.jumps != self._jumps:  # a replay was sought: the edge starts afresh
            self._jumps = live.jumps
            self._clock.reset()
        t0 = live.origin if live.origin is not None else float(times[0])
        x = self._xbuf[:n]
        np.subtract(times, t0, out=x)
        y = self._ybuf[:, :n]
        np.copyto(y, data)
        means = y.sum(axis=1)
        bad_rows = np.flatnonzero(~np.isfinite(means))
        for i in bad_rows:  # NaN/inf from the device: draw them as 0 (skipFiniteCheck)
            np.nan_to_num(y[i], copy=False, nan=0.0, posinf=0.0, neginf=0.0)
            means[i] = y[i].sum()
        means /= n
        self._newest = float(x[-1])
        self._t0 = t0
        # The range first: the curves do not react to it, and the width in pixels is known.
        self._scroll_to(self._clock.edge(self._newest, time.perf_counter()))
        xs, ys = self._peaks(x, y, live.samples_total - n)
        visible = self._visible
        lows, highs = ys[visible].min(axis=1), ys[visible].max(axis=1)
        for j, i in enumerate(visible):
            c = self.curves[i]
            c.setPos(0.0, self._offsets[i] - means[i])
            c.set_trace(xs, ys[i], float(lows[j]), float(highs[j]))
        return True

    def refresh(self) -> bool:
        """Redraw with new data, or scroll on between two chunks (True if it drew)."""
        if super().refresh():
            return True
        if self._newest is None or not self.isVisible():
            return False
        edge = self._clock.edge(self._newest, time.perf_counter())
        if abs(edge - self._edge) < 1e-4:
            return False  # paused, lost or ended: nothing moves, nothing is drawn
        self._scroll_to(edge)
        return True

    def _scroll_to(self, edge: float) -> None:
        self._edge = edge
        start = edge - self.window_s
        self.plot_item.setXRange(start, edge, padding=0)
        self._markers.draw(self.live.markers, self._t0, start)

    def _peaks(self, x: np.ndarray, y: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
        """``x`` and ``y`` peak-downsampled to about two points per pixel column.

        ``first`` is the stream's index of the first sample: blocks start at multiples of
        the block length, so a block keeps its min and max while the window scrolls. The
        samples before the first and after the last whole block (at least the newest) are
        kept as they are.
        """
        n = x.size
        pixels = int(self.plot_item.getViewBox().width())
        ds = n // pixels if pixels > 0 and self.isVisible() else 1
        if ds < PEAK_MIN:
            self.downsample = 1
            return x, y
        self.downsample = ds
        head = (-first) % ds
        m = (n - 1 - head) // ds  # the newest sample stays as it is: the trace ends at it
        stop = head + m * ds
        total = head + 2 * m + (n - stop)
        xo, yo = self._xds[:total], self._yds[:, :total]
        xo[:head], yo[:, :head] = x[:head], y[:, :head]
        # Min and max of each block, as ds strided passes over the rows (numpy reduces a
        # short last axis of a 3-D view several times slower).
        lo, hi = yo[:, head : head + 2 * m : 2], yo[:, head + 1 : head + 2 * m : 2]
        np.copyto(lo, y[:, head:stop:ds])
        np.copyto(hi, lo)
        for k in range(1, ds):
            part = y[:, head + k : stop : ds]
            np.minimum(lo, part, out=lo)
            np.maximum(hi, part, out=hi)
        starts = x[head:stop:ds]
        xo[head : head + 2 * m : 2] = starts
        xo[head + 1 : head + 2 * m : 2] = starts
        xo[head + 2 * m :], yo[:, head + 2 * m :] = x[stop:], y[:, stop:]
        return xo, yo


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setToolTip(buddy.toolTip())
    return label
