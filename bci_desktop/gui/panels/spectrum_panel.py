"""Band powers (delta to gamma) and the log-power spectrum of the last seconds."""

from __future__ import annotations

import logging
import time

import numpy as np
import pyqtgraph as pg
from PyQt6.QtGui import QFontMetrics
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bci_desktop.core.dsp.features import DEFAULT_BANDS, EPS, welch_spectrum
from bci_desktop.core.dsp.quality import QualityLevel
from bci_desktop.gui.background import BackgroundRunner
from bci_desktop.gui.live_data import LiveData
from bci_desktop.gui.panels._style import TRACE_COLOUR, ElidedLabel, Panel, name_list

logger = logging.getLogger(__name__)

#: Seconds of signal analysed.
ANALYSIS_S = 4.0
#: Least signal needed for a spectrum (one Welch segment).
MIN_S = 1.0
#: Highest frequency plotted (Hz).
MAX_HZ = 60.0
#: Above this many samples (channels x samples) the spectrum is computed in a background
#: thread (64 channels at 1 kHz took 40-170 ms of the GUI thread; 16 at 250 Hz take ~2 ms).
BACKGROUND_SAMPLES = 100_000
#: Average over channels (the first entry of the channel list).
AVERAGE = "average"
BAND_COLOURS = ("#845ef7", "#339af0", "#20c997", "#fab005", "#ff6b6b")
#: Short names of the bands, for a narrow plot.
BAND_SYMBOLS = {"delta": "δ", "theta": "θ", "alpha": "α", "beta": "β", "gamma": "γ"}
_BAR_TIP = (
    "Share of each band in the summed 1-45 Hz band power (the number above a bar; its "
    "absolute power in µV² too when there is room)"
)


class SpectrumPanel(Panel):
    """Relative band powers as bars and the Welch spectrum in dB, for one channel or the
    average of the channels (bad channels left out of the average).

    Computed on the last :data:`ANALYSIS_S` seconds at most every :attr:`min_interval_s`
    seconds (it runs on the GUI thread).

    The bar labels follow the plot's width: band name and range on two lines when there is
    room, the name alone, or its Greek letter; the share above each bar, with the absolute
    power below it when it fits (always in the plot's tooltip).

    Attributes tests can read
    -------------------------
    band_names : tuple of str
    band_bars : pyqtgraph.BarGraphItem
        One bar per band; heights are :attr:`relative_power` in percent.
    relative_power : ndarray, shape (n_bands,)
        Share of each band in the summed band power (%).
    absolute_power : ndarray, shape (n_bands,)
        Band power (µV²).
    spectrum_curve : pyqtgraph.PlotDataItem
        Power spectral density (dB re 1 µV²/Hz) against frequency (Hz), 0 to 60 Hz.
    band_labels : tuple of str
        The band labels under the bars now (they depend on the width).
    bar_texts : list of pyqtgraph.TextItem
        The numbers written on the bars.
    status : QLabel
        What was analysed, e.g. ``"Last 4.0 s, average of 16 channels"`` (elided when
        narrow; the full text is its tooltip).
    channel_combo, signal_combo : the controls.
    min_interval_s : float
        Least time between two computations.
    """

    def __init__(self, live: LiveData, parent: QWidget | None = None) -> None:
        super().__init__(live, parent)
        self.min_interval_s = 0.5
        self._computing = False
        self._background = BackgroundRunner("bci-spectrum", self)
        self._last_compute = -np.inf
        self.band_names = tuple(b[0] for b in DEFAULT_BANDS)
        n_bands = len(DEFAULT_BANDS)
        self.relative_power = np.zeros(n_bands)
        self.absolute_power = np.zeros(n_bands)

        self.channel_combo = QComboBox()
        self.channel_combo.setToolTip(
            "Channel to analyse, or the average over the channels (bad ones left out)"
        )
        self.channel_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.channel_combo.setMinimumContentsLength(7)
        self.channel_combo.currentIndexChanged.connect(self._channel_chosen)
        self.signal_combo = QComboBox()
        self.signal_combo.addItem("Filtered", True)
        self.signal_combo.addItem("Raw", False)
        self.signal_combo.setToolTip("Analyse the filtered or the raw signal")
        self.signal_combo.currentIndexChanged.connect(self._view_changed)
        self.status = ElidedLabel("")
        self.status.set_tip("What the band powers and the spectrum were computed on")
        controls = QHBoxLayout()
        controls.setSpacing(4)
        controls.addWidget(QLabel("Channel"))
        controls.addWidget(self.channel_combo)
        controls.addWidget(QLabel("Signal"))
        controls.addWidget(self.signal_combo)
        controls.addWidget(self.status, 1)

        self.bar_plot = pg.PlotWidget()
        bp = self.bar_plot.getPlotItem()
        bp.setMenuEnabled(False)
        bp.hideButtons()
        bp.setMouseEnabled(x=False, y=False)
        bp.disableAutoRange()
        # Ticks that carry their unit rather than an axis title: more room for the bars.
        bp.getAxis("left").setTicks([[(v, f"{v}%") for v in range(0, 101, 20)], []])
        bp.setXRange(-0.6, n_bands - 0.4, padding=0)
        bp.setYRange(0, 100, padding=0)
        bp.showGrid(y=True, alpha=0.2)
        self.band_labels: tuple[str, ...] = ()
        self.band_bars = pg.BarGraphItem(
            x=np.arange(n_bands),
            height=np.zeros(n_bands),
            width=0.7,
            brushes=[pg.mkBrush(c) for c in BAND_COLOURS],
            pens=[pg.mkPen(c) for c in BAND_COLOURS],
        )
        bp.addItem(self.band_bars)
        self.bar_texts: list[pg.TextItem] = []
        for i in range(n_bands):
            t = pg.TextItem("", anchor=(0.5, 1.0))
            t.setPos(i, 0)
            bp.addItem(t)
            self.bar_texts.append(t)
        self._two_line_values = False
        self.bar_plot.setToolTip(_BAR_TIP)
        bp.getViewBox().sigResized.connect(self._fit_bar_labels)
        self._fit_bar_labels()

        self.spectrum_plot = pg.PlotWidget()
        sp = self.spectrum_plot.getPlotItem()
        sp.setMenuEnabled(False)
        sp.hideButtons()
        sp.setMouseEnabled(x=False, y=False)
        sp.setLabel("bottom", "Frequency", units="Hz")
        sp.setLabel("left", "Power", units="dB µV²/Hz")
        sp.getAxis("bottom").enableAutoSIPrefix(False)
        sp.getAxis("left").enableAutoSIPrefix(False)
        sp.showGrid(x=True, y=True, alpha=0.2)
        sp.setXRange(0, MAX_HZ, padding=0)
        sp.disableAutoRange(axis="x")
        sp.enableAutoRange(axis="y")
        for (_, lo, hi), colour in zip(DEFAULT_BANDS, BAND_COLOURS, strict=True):
            region = pg.LinearRegionItem(
                (lo, hi), movable=False, brush=pg.mkBrush(pg.mkColor(colour).darker(100))
            )
            c = pg.mkColor(colour)
            c.setAlpha(28)
            region.setBrush(pg.mkBrush(c))
            for line in region.lines:
                line.setPen(pg.mkPen(None))
            region.setZValue(-10)
            sp.addItem(region, ignoreBounds=True)
        self.spectrum_curve = pg.PlotDataItem(pen=pg.mkPen(TRACE_COLOUR, width=2))
        sp.addItem(self.spectrum_curve)
        self.spectrum_plot.setToolTip(
            "Welch power spectral density of the last 4 s; shaded: delta to gamma bands"
        )

        plots = QHBoxLayout()
        plots.addWidget(self.bar_plot, 5)
        plots.addWidget(self.spectrum_plot, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addLayout(plots, 1)
        self._wanted_channel = AVERAGE
        self.reset()

    # -- settings ----------------------------------------------------------------------
    @property
    def channel(self) -> str:
        """The channel analysed, or :data:`AVERAGE`."""
        data = self.channel_combo.currentData()
        return AVERAGE if data is None else str(data)

    def set_channel(self, channel: str) -> None:
        """Analyse ``channel`` (a name, or :data:`AVERAGE`); a channel the stream lacks is
        remembered for the next stream and the average is shown meanwhile."""
        self._wanted_channel = channel
        idx = self.channel_combo.findData(channel)
        self.channel_combo.blockSignals(True)
        self.channel_combo.setCurrentIndex(max(idx, 0))
        self.channel_combo.blockSignals(False)
        self._view_changed()

    def state(self) -> dict:
        """View settings to persist (JSON-friendly)."""
        return {"channel": self._wanted_channel, "show_filtered": self._show_filtered}

    def restore(self, state: dict) -> None:
        """Apply saved view settings; a missing or invalid key keeps its current value."""
        if not isinstance(state, dict):
            logger.warning("Ignored spectrum settings that are not a mapping: %r", state)
            return
        show = state.get("show_filtered")
        if isinstance(show, bool):
            self.signal_combo.setCurrentIndex(0 if show else 1)
        channel = state.get("channel")
        if isinstance(channel, str):
            self.set_channel(channel)

    @property
    def _show_filtered(self) -> bool:
        return bool(self.signal_combo.currentData())

    def _channel_chosen(self) -> None:
        self._wanted_channel = self.channel
        self._view_changed()

    def _view_changed(self) -> None:
        self._last_compute = -np.inf
        self.invalidate()
        self.refresh()

    # -- stream ------------------------------------------------------------------------
    def _clear(self) -> None:
        wanted = self._wanted_channel
        self.channel_combo.blockSignals(True)
        self.channel_combo.clear()
        self.channel_combo.addItem("Average", AVERAGE)
        for name in self.live.channel_names:
            self.channel_combo.addItem(name, name)
        idx = self.channel_combo.findData(wanted)
        self.channel_combo.setCurrentIndex(max(idx, 0))
        self.channel_combo.blockSignals(False)
        self._last_compute = -np.inf
        self.relative_power[:] = 0.0
        self.absolute_power[:] = 0.0
        self.band_bars.setOpts(height=self.relative_power.copy())
        for t in self.bar_texts:
            t.setText("")
        self.bar_plot.setToolTip(_BAR_TIP)
        self.spectrum_curve.setData([], [])
        self.status.setText("Waiting for signal…" if self.live.info is not None else "")

    def _draw(self) -> bool:
        now = time.monotonic()
        if now - self._last_compute < self.min_interval_s or self._computing:
            return False
        fs = self.live.sample_rate
        times, data = self.live.window(ANALYSIS_S, filtered=self._show_filtered)
        if fs <= 0 or times.size < MIN_S * fs:
            return True
        self._last_compute = now
        rows, note = self._rows()
        x = np.nan_to_num(data[rows], nan=0.0, posinf=0.0, neginf=0.0)  # a copy
        seconds, stream = times.size / fs, self.live.info
        if x.size <= BACKGROUND_SAMPLES:
            self._show(welch_spectrum(x, fs), seconds, note)
            return True
        # Large streams: the FFTs run in a thread (numpy lets go of the GIL), the plots are
        # updated when they are done, if the stream is still the same.
        self._computing = True

        def done(result, error) -> None:
            self._computing = False
            if error is None and stream is self.live.info:
                self._show(result, seconds, note)

        self._background.submit(lambda: welch_spectrum(x, fs), done)
        return False

    def _show(self, spectrum: tuple[np.ndarray, ...], seconds: float, note: str) -> None:
        freqs, psd, powers = spectrum  # one pass of FFTs for both plots
        bands = powers.mean(axis=0)
        psd_db = 10.0 * np.log10(psd.mean(axis=0) + EPS)
        keep = freqs <= MAX_HZ
        self.spectrum_curve.setData(freqs[keep], psd_db[keep])
        total = float(bands.sum())
        self.absolute_power = bands
        self.relative_power = 100.0 * bands / total if total > 0 else np.zeros_like(bands)
        self.band_bars.setOpts(height=self.relative_power.copy())
        self._write_values()
        self.status.setText(f"Last {seconds:.1f} s{note}")

    def _write_values(self) -> None:
        """The numbers on the bars (and all of them in the tooltip)."""
        if not np.any(self.absolute_power):
            return  # nothing computed yet
        text_colour = pg.getConfigOption("foreground")  # follows the theme
        lines = []
        for i, t in enumerate(self.bar_texts):
            rel, power = float(self.relative_power[i]), _fmt_power(self.absolute_power[i])
            name, lo, hi = DEFAULT_BANDS[i]
            lines.append(f"{name} {lo:g}–{hi:g} Hz: {rel:.0f}% ({power})")
            t.setColor(text_colour)
            t.setText(f"{rel:.0f}%\n{power}" if self._two_line_values else f"{rel:.0f}%")
            inside = rel > (72.0 if self._two_line_values else 85.0)
            t.setAnchor((0.5, 0.0) if inside else (0.5, 1.0))  # inside a tall bar: below its top
            t.setPos(i, rel)
        if lines:
            self.bar_plot.setToolTip(_BAR_TIP + "\n\n" + "\n".join(lines))

    def _fit_bar_labels(self) -> None:
        """Band names and numbers that fit the width one bar has on screen."""
        bp = self.bar_plot.getPlotItem()
        axis = bp.getAxis("bottom")
        metrics = QFontMetrics(axis.style["tickFont"] or axis.font())
        per_band = bp.getViewBox().width() / len(DEFAULT_BANDS)
        ranges = [f"{lo:g}–{hi:g} Hz" for _, lo, hi in DEFAULT_BANDS]
        names = [name for name, _, _ in DEFAULT_BANDS]

        def fits(texts: list[str]) -> bool:
            return max(metrics.horizontalAdvance(t) for t in texts) + 3 <= per_band

        if fits(ranges + names):
            labels = tuple(f"{n}\n{r}" for n, r in zip(names, ranges, strict=True))
        elif fits(names):
            labels = tuple(names)
        else:
            labels = tuple(BAND_SYMBOLS.get(n, n[:1]) for n in names)
        two_lines = fits(["100%", _fmt_power(8888.0)])
        if labels != self.band_labels:
            self.band_labels = labels
            axis.setTicks([list(enumerate(labels)), []])
            rows = max(label.count("\n") + 1 for label in labels)
            axis.setHeight(rows * metrics.height() + 14)
        if two_lines != self._two_line_values:
            self._two_line_values = two_lines
            self._write_values()

    def _rows(self) -> tuple[np.ndarray, str]:
        """Rows to analyse and a note on what the average leaves out."""
        names = self.live.channel_names
        channel = self.channel
        if channel != AVERAGE and channel in names:
            return np.array([names.index(channel)]), f", channel {channel}"
        rows = np.arange(len(names))
        report = self.live.quality
        if report is not None and report.channel_names == names:
            good = np.flatnonzero(np.asarray(report.levels) < QualityLevel.BAD)
            if 0 < good.size < len(names):
                left_out = [names[i] for i in rows if i not in set(good.tolist())]
                return good, (
                    f", average of {good.size} channels ({name_list(left_out)} left out: bad)"
                )
        return rows, f", average of {len(names)} channels"


def _fmt_power(value: float) -> str:
    if value >= 100:
        return f"{value:.0f} µV²"
    if value >= 1:
        return f"{value:.1f} µV²"
    return f"{value:.2g} µV²"
