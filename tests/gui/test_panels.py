"""The live panels, fed by the real engine on the simulated subject (offscreen Qt)."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pytestqt")

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.engine import Engine, EngineUpdate
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.session import StreamState
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.stream import Chunk, StreamInfo
from bci_desktop.gui.live_data import LiveData
from bci_desktop.gui.panels import (
    ClinicianView,
    EmotionPanel,
    LatencyPanel,
    QualityPanel,
    SignalView,
    SpectrumPanel,
)
from bci_desktop.gui.panels._marker_lines import marker_text
from bci_desktop.gui.panels._scale import NICE_SCALES_UV
from bci_desktop.gui.panels._style import ElidedLabel, ago_ticks
from bci_desktop.gui.panels.emotion_panel import WAITING_TEXT

FS = 250.0
#: (stream seconds, marker value) inserted into the normal run.
MARKERS = ((0.5, 1.0), (5.0, 2.0))


def _run(seconds: float, *, flat: str | None = None, seed: int = 3, channels=None):
    """Engine updates of ``seconds`` of the simulated subject (0.1 s chunks)."""
    kwargs = {} if channels is None else {"channels": channels}
    sim = SimulatedSubject(speed=None, seed=seed, chunk_s=0.1, **kwargs)
    engine = Engine(sim.info, model=EmotionModel.load(default_model_path()))
    sim.start()
    updates = []
    for k in range(round(seconds * 10)):
        c = sim.read()
        eeg, markers = c.eeg.copy(), c.markers.copy()
        if flat is not None:
            eeg[sim.info.channel_names.index(flat)] = 0.0  # electrode off: flat line
        for t, value in MARKERS:
            if k * 0.1 <= t < (k + 1) * 0.1:
                markers[round((t - k * 0.1) * FS)] = value
        updates.append(engine.process(Chunk(eeg, c.timestamps, markers, c.truth)))
    sim.stop()
    return sim.info, updates


@pytest.fixture(scope="module")
def normal() -> tuple[StreamInfo, list[EngineUpdate]]:
    return _run(6.0)


@pytest.fixture(scope="module")
def flat_f3() -> tuple[StreamInfo, list[EngineUpdate]]:
    return _run(6.0, flat="F3", seed=4)


#: The wall clock of the panels' live data: frozen, so a slow test machine cannot age the
#: predictions (their age is tested in test_freshness.py).
WALL_NOW = 1000.0


def _live(run, upto: int | None = None) -> LiveData:
    """The live data of a stream that is streaming now."""
    info, updates = run
    live = LiveData(wall_clock=lambda: WALL_NOW)
    live.set_state(StreamState.STREAMING, "Streaming")
    live.configure(info)
    for u in updates[:upto]:
        live.ingest(u)
    return live


def _panel(qtbot, cls, live):
    w = cls(live)
    qtbot.addWidget(w)
    w.resize(900, 500)
    return w


# -- signal view -----------------------------------------------------------------------
def test_signal_view_stacks_every_channel_newest_at_right(qtbot, normal):
    live = _live(normal)
    sv = _panel(qtbot, SignalView, live)
    assert sv.refresh() is True
    assert sv.refresh() is False  # nothing new
    assert len(sv.curves) == 16
    newest = float(live.times.latest(1)[0, 0])
    oldest = float(live.times.latest(live.times.size)[0, 0])
    assert sv.t0 == pytest.approx(oldest)
    offsets = []
    for c in sv.curves:
        assert c.isVisible()
        assert c.xData.size == 6 * 250
        assert c.xData[-1] == pytest.approx(newest - sv.t0)
        assert np.ptp(c.yData) > 1.0  # real signal, not a flat placeholder
        offsets.append(c.pos().y() + c.yData.mean())
    # stacked top to bottom in stream order, one scale step apart
    np.testing.assert_allclose(np.diff(offsets), -sv.scale_uv, atol=1e-6)
    lo, hi = sv.plot_item.getViewBox().viewRange()[0]
    assert hi == pytest.approx(newest - sv.t0) and hi - lo == pytest.approx(10.0)
    live.ingest(normal[1][-1])
    assert sv.refresh() is True


def test_signal_view_draws_peaks_when_samples_outnumber_pixels(qtbot, normal):
    live = _live(normal)
    sv = _panel(qtbot, SignalView, live)
    sv.resize(420, 500)  # ~360 px of plot for 1500 samples
    sv.show()
    qtbot.waitExposed(sv)
    sv.invalidate()
    assert sv.refresh()
    ds = sv.downsample
    assert ds >= 3
    n = live.raw.size  # 6 s < the 10 s window: every sample is in view
    data = live.filtered.latest(n)
    newest = float(live.times.latest(1)[0, 0])
    for i, c in enumerate(sv.curves):
        x, y = c.xData, c.yData
        assert x.size <= 2 * n / ds + 2 * ds < n  # a min/max pair per block of ds samples
        assert np.all(np.diff(x) >= 0) and x[-1] == pytest.approx(newest - sv.t0)
        # Nothing is lost to the eye: the extremes of the window are drawn.
        assert y.max() == data[i].max() and y.min() == data[i].min()
    # A min/max pair shares one x; pairs start at stream sample indices that are
    # multiples of the block length, so the envelope does not shimmer while scrolling.
    x = sv.curves[0].xData
    starts = x[:-1][x[:-1] == x[1:]]
    assert starts.size > 10
    np.testing.assert_array_equal(np.round(starts * FS).astype(int) % ds, 0)


def test_hiding_a_channel_hides_its_curve(qtbot, normal):
    live = _live(normal)
    sv = _panel(qtbot, SignalView, live)
    sv.refresh()
    oz = live.channel_names.index("Oz")
    sv.set_channel_visible("Oz", False)
    assert not sv.curves[oz].isVisible()
    sv.channel_actions[0].trigger()  # a click in the Channels menu
    assert not sv.curves[0].isVisible()
    assert sum(c.isVisible() for c in sv.curves) == 14
    assert sv.state()["hidden"] == ["Fz", "Oz"]
    sv.set_channel_visible(oz, True)
    assert sv.curves[oz].isVisible()


def test_raw_filtered_toggle_changes_the_data(qtbot, normal):
    live = _live(normal)
    sv = _panel(qtbot, SignalView, live)
    sv.refresh()
    filtered = sv.curves[2].yData.copy()
    np.testing.assert_allclose(filtered, live.filtered.latest(filtered.size)[2])
    sv.signal_combo.setCurrentIndex(sv.signal_combo.findData(False))
    raw = sv.curves[2].yData
    assert not sv.show_filtered
    np.testing.assert_allclose(raw, live.raw.latest(raw.size)[2])
    assert not np.allclose(raw, filtered)


def test_markers_in_the_window_get_numbered_lines(qtbot, normal):
    live = _live(normal)
    sv = _panel(qtbot, SignalView, live)
    sv.refresh()
    assert [line.label.format for line in sv.marker_lines] == ["1", "2"]
    for line, (t, _) in zip(sv.marker_lines, MARKERS, strict=True):
        assert line.value() == pytest.approx(t, abs=1 / FS)
        assert line.isVisible()
    sv.window_combo.setCurrentIndex(sv.window_combo.findData(5.0))  # 1-6 s: only marker 2
    assert [line.label.format for line in sv.marker_lines] == ["2"]


def _drawn(sv: SignalView) -> list[str]:
    return [marker_text(line) for line in sv.marker_lines]


def test_marker_lines_show_their_own_number_when_lines_are_reused(qtbot, normal):
    """Lines are pooled: a line hidden when its marker left the window and shown again for
    a new marker must show the new marker's number (it kept the old one)."""
    live = _live(normal)
    sv = _panel(qtbot, SignalView, live)
    sv.refresh()
    assert _drawn(sv) == ["1", "2"]
    sv.window_combo.setCurrentIndex(sv.window_combo.findData(5.0))  # marker 1 leaves
    assert _drawn(sv) == ["2"]
    last = normal[1][-1]
    n = 25
    ts = last.timestamps[-1] + np.arange(1, n + 1) / FS
    markers = np.zeros(n)
    markers[3] = 7.0
    raw = np.zeros((last.raw.shape[0], n))
    live.ingest(EngineUpdate(raw, raw.copy(), ts, markers, None))
    sv.refresh()
    assert _drawn(sv) == ["2", "7"]
    assert [line.label.format for line in sv.marker_lines] == ["2", "7"]


def test_flat_channel_is_marked_bad(qtbot, flat_f3):
    live = _live(flat_f3)
    sv = _panel(qtbot, SignalView, live)
    sv.refresh()
    f3 = live.channel_names.index("F3")
    assert sv.channel_labels[f3] == "F3 (bad: flat line)"
    assert set(sv.axis.text_colours) == {"F3 (bad: flat line)"}
    assert sv.curves[f3].opts["pen"].color().name() != sv.curves[0].opts["pen"].color().name()
    assert all(
        lab == n for lab, n in zip(sv.channel_labels, live.channel_names, strict=True) if n != "F3"
    )


def test_filter_edits_emit_valid_settings_only(qtbot, normal):
    live = _live(normal)
    sv = _panel(qtbot, SignalView, live)
    assert sv.filters == FilterSettings()
    with qtbot.waitSignal(sv.filters_changed, timeout=1000) as sig:
        sv.notch_combo.setCurrentIndex(sv.notch_combo.findData(60.0))
    assert sig.args == [FilterSettings(notch_hz=60.0, bandpass=(1.0, 45.0))]
    with qtbot.waitSignal(sv.filters_changed, timeout=1000) as sig:
        sv.car_check.setChecked(True)
    assert sig.args[0].common_average is True
    with qtbot.assertNotEmitted(sv.filters_changed):
        sv.high_spin.setValue(200.0)  # above 125 Hz, half the sample rate
    assert not sv.message.isHidden()
    assert "bandpass" in sv.message.text() and "125" in sv.message.text()
    with qtbot.waitSignal(sv.filters_changed, timeout=1000) as sig:
        sv.high_spin.setValue(40.0)
    assert sig.args[0] == FilterSettings(notch_hz=60.0, bandpass=(1.0, 40.0), common_average=True)
    assert sv.message.isHidden()
    with qtbot.waitSignal(sv.filters_changed, timeout=1000) as sig:
        sv.bandpass_check.setChecked(False)
    assert sig.args[0].bandpass is None
    with qtbot.assertNotEmitted(sv.filters_changed):
        sv.set_filters(FilterSettings(notch_hz=None, bandpass=(0.5, 30.0)))
    assert sv.notch_combo.currentData() is None and sv.low_spin.value() == 0.5


def test_signal_view_state_round_trip_tolerates_bad_keys(qtbot, normal):
    live = _live(normal)
    sv = _panel(qtbot, SignalView, live)
    sv.window_combo.setCurrentIndex(sv.window_combo.findData(20.0))
    sv.scale_spin.setValue(250)
    sv.set_channel_visible("Cz", False)
    sv.signal_combo.setCurrentIndex(1)
    sv.set_filters(FilterSettings(notch_hz=60.0, bandpass=(2.0, 30.0), common_average=True))
    state = sv.state()
    other = _panel(qtbot, SignalView, live)
    with qtbot.assertNotEmitted(other.filters_changed):
        other.restore(state)
    assert other.state() == state
    assert not other.curves[live.channel_names.index("Cz")].isVisible()
    third = _panel(qtbot, SignalView, live)
    third.restore({"window_s": 7, "scale_uv": "big", "hidden": 3, "filters": {"notch_hz": 55}})
    assert third.window_s == 10.0 and third.hidden_channels == ()
    assert third.auto_scale and third.scale_uv in NICE_SCALES_UV  # fitted to the data
    assert third.filters == FilterSettings()


def test_automatic_scale_fits_the_first_second_and_yields_to_the_user(qtbot, normal):
    """The default scale drew 16 channels as one block; Auto (on by default) fits the
    spacing to the signal at a new stream's first second, in µV per division."""
    live = _live(normal)
    sv = _panel(qtbot, SignalView, live)
    assert sv.auto_scale and sv.scale_spin.suffix() == " µV/div"
    sv.refresh()
    _, data = live.window(1.0)
    extents = np.percentile(data, 99, axis=1) - np.percentile(data, 1, axis=1)
    assert sv.scale_uv in NICE_SCALES_UV
    assert np.mean(extents <= sv.scale_uv) >= 0.8, "most channels stay in their division"
    assert sv.scale_uv < 2 * np.percentile(extents, 80) + 10, "and are not squeezed flat"
    fitted = sv.scale_uv
    sv.scale_spin.setValue(fitted * 2)  # by hand: Auto goes off and stays off
    assert not sv.auto_scale and sv.scale_uv == fitted * 2
    sv.reset()  # a new stream
    sv.refresh()
    assert sv.scale_uv == fitted * 2
    sv.auto_scale_button.click()  # Auto again: fitted now
    assert sv.auto_scale and sv.scale_uv == fitted
    assert sv.state()["auto_scale"] is True


def test_panels_follow_a_new_stream(qtbot, normal):
    live = LiveData()  # no stream yet: settings restored at start-up wait for one
    panels = [_panel(qtbot, cls, live) for cls in (SignalView, QualityPanel, SpectrumPanel)]
    panels[0].restore({"hidden": ["C3"]})
    panels[2].restore({"channel": "Oz"})
    for p in panels:
        p.refresh()
    for u in normal[1]:
        live.ingest(u)  # ignored: not configured
    live.configure(normal[0])
    for u in normal[1]:
        live.ingest(u)
    for p in panels:
        p.refresh()
    assert not panels[0].curves[1].isVisible() and panels[0].curves[0].isVisible()
    assert panels[2].channel == "Oz"
    info8, updates8 = _run(2.0, channels=8)
    live.configure(info8)
    for u in updates8:
        live.ingest(u)
    for p in panels:
        p.refresh()
    sv, qp, sp = panels
    assert len(sv.curves) == 8 and len(sv.plot_item.listDataItems()) == 8
    assert sv.curves[0].xData[-1] == pytest.approx(2.0 - 1 / FS)
    assert "8 good" in qp.summary_text
    assert sp.channel_combo.count() == 9  # the average, then 8 channels
    assert sp.state()["channel"] == "Oz"  # not in this montage, kept for the next stream


# -- quality ---------------------------------------------------------------------------
def test_quality_panel_words_and_numbers(qtbot, normal, flat_f3):
    qp = _panel(qtbot, QualityPanel, _live(normal, upto=0))
    qp.refresh()
    assert "Waiting" in qp.summary_text
    for u in normal[1][:3]:  # the first hop (0.25 s) brings the first report
        qp.live.ingest(u)
    assert qp.live.quality is not None
    qp.refresh()
    assert qp.summary_text == "Signal: 16 good"
    assert re.fullmatch(
        r"Fz: good, \d+\.\d µV, line noise \d\.\d\d, railed 0%", qp.indicator_text(0)
    )

    bad = _panel(qtbot, QualityPanel, _live(flat_f3))
    bad.refresh()
    f3 = flat_f3[0].channel_names.index("F3")
    assert bad.indicator_text(f3).startswith("F3: bad (flat line), 0.0 µV")
    assert "1 bad (F3: flat line)" in bad.summary_text
    assert bad.indicator_text(0).startswith("Fz: good")


def test_quality_rows_keep_their_height_after_a_new_stream(qtbot, normal):
    live = LiveData()  # built before any stream: no rows yet
    qp = _panel(qtbot, QualityPanel, live)
    qp.resize(520, 900)  # taller than 16 rows need
    qp.show()
    qtbot.waitExposed(qp)
    live.configure(normal[0])
    for u in normal[1]:
        live.ingest(u)
    qp.refresh()
    rows = qp._rows
    qtbot.waitUntil(lambda: rows[-1].badge.y() > rows[0].badge.y() > 0, timeout=2000)
    heights = {row.badge.height() for row in qp._rows}
    assert len(heights) == 1, f"rows of different heights: {heights}"
    assert qp._rows[0].badge.height() < 40


# -- spectrum --------------------------------------------------------------------------
def test_spectrum_has_band_bars_and_a_spectrum(qtbot, normal):
    sp = _panel(qtbot, SpectrumPanel, _live(normal))
    sp.min_interval_s = 0.0
    assert sp.refresh() is True
    assert sp.band_names == ("delta", "theta", "alpha", "beta", "gamma")
    heights = sp.band_bars.opts["height"]
    assert len(heights) == 5 and sum(heights) == pytest.approx(100.0)
    assert np.all(sp.absolute_power > 0)
    freqs, db = sp.spectrum_curve.xData, sp.spectrum_curve.yData
    assert freqs[0] == 0.0 and 59.0 <= freqs[-1] <= 60.0 and np.isfinite(db).all()
    average = sp.absolute_power.copy()
    sp.set_channel("Oz")
    assert sp.channel == "Oz"
    assert not np.allclose(sp.absolute_power, average)
    assert sp.state() == {"channel": "Oz", "show_filtered": True}
    other = _panel(qtbot, SpectrumPanel, sp.live)
    other.restore({"channel": "Oz", "show_filtered": False})
    assert other.channel == "Oz" and other.state()["show_filtered"] is False
    other.restore({"channel": 5})
    assert other.channel == "Oz"


def test_spectrum_labels_follow_the_width(qtbot, normal):
    sp = _panel(qtbot, SpectrumPanel, _live(normal))
    sp.min_interval_s = 0.0
    sp.resize(1400, 400)
    sp.show()
    qtbot.waitExposed(sp)
    qtbot.waitUntil(lambda: sp.band_labels[:1] == ("delta\n1–4 Hz",), timeout=2000)
    sp.invalidate()
    assert sp.refresh()
    share = f"{sp.relative_power[0]:.0f}%"
    assert sp.bar_texts[0].toPlainText().startswith(share + "\n")  # share and µV² when wide
    assert "µV²" in sp.bar_texts[0].toPlainText()
    assert f"delta 1–4 Hz: {share}" in sp.bar_plot.toolTip()
    sp.resize(330, 400)
    qtbot.waitUntil(lambda: "\n" not in sp.band_labels[0], timeout=2000)
    assert sp.band_labels[0] in ("delta", "δ")
    assert sp.bar_texts[0].toPlainText() == share  # the share alone, µV² in the tooltip
    assert sp.status.toolTip().endswith(sp.status.text())  # elided on screen, whole here


def test_spectrum_average_leaves_bad_channels_out(qtbot, flat_f3):
    sp = _panel(qtbot, SpectrumPanel, _live(flat_f3))
    sp.refresh()
    assert "average of 15 channels (F3 left out: bad)" in sp.status.text()


# -- emotion ---------------------------------------------------------------------------
def test_emotion_panel_shows_label_truth_and_agreement(qtbot, normal):
    live = _live(normal, upto=30)  # 3 s: no window yet
    ep = _panel(qtbot, EmotionPanel, live)
    ep.refresh()
    assert ep.label_text == WAITING_TEXT
    assert ep.label.wordWrap(), "the waiting text wraps in a narrow dock"
    assert ep.minimumSizeHint().width() < 300
    for u in normal[1][30:]:
        live.ingest(u)
    ep.refresh()
    last = live.last_prediction
    assert last is not None and last.label is not None
    assert ep.label_text == f"{last.label}  {last.confidence:.0%}"
    assert ep.truth_text == f"True state: {last.truth}"
    preds = list(live.predictions)
    agree = sum(p.label == p.truth for p in preds)
    assert ep.agreement_text == f"Agreement: {agree / len(preds):.0%} of {len(preds)} predictions"
    np.testing.assert_allclose(ep.bars.opts["width"], last.probabilities)
    assert [t.toPlainText() for t in ep.bar_texts] == [f"{v:.0%}" for v in last.probabilities]
    assert ep.legend_text == " ".join(last.classes)
    curve = ep.timeline_curves[last.classes[0]]
    assert curve.xData.size == len(preds) and curve.xData[-1] == 0.0
    assert ep.reason_text == ""


def test_no_agreement_for_a_model_of_other_classes(qtbot, normal):
    """The simulated subject's truth is shown, but a model predicting other classes is not
    scored against it (it said "Agreement: 0 %")."""
    import dataclasses

    info, updates = normal
    other = []
    for u in updates:
        preds = tuple(
            dataclasses.replace(
                p,
                classes=("focused", "relaxed"),
                label=None if p.label is None else "focused",
                confidence=None if p.label is None else 0.7,
                probabilities=None if p.probabilities is None else (0.7, 0.3),
            )
            for p in u.predictions
        )
        other.append(dataclasses.replace(u, predictions=preds))
    live = _live((info, other))
    ep = _panel(qtbot, EmotionPanel, live)
    ep.refresh()
    assert ep.label_text == "focused  70%"
    assert ep.truth_text.startswith("True state: ")
    assert ep.agreement_text == ""


def test_emotion_panel_shows_withheld_reason(qtbot, flat_f3):
    ep = _panel(qtbot, EmotionPanel, _live(flat_f3))
    ep.refresh()
    assert ep.label_text == "Withheld"
    assert "F3" in ep.reason_text and "flat line" in ep.reason_text
    assert ep.reason.wordWrap()
    assert not np.any(ep.bars.opts["width"])
    assert all(t.toPlainText() == "" for t in ep.bar_texts)
    assert ep.agreement_text == ""  # nothing classified, nothing to compare


# -- latency ---------------------------------------------------------------------------
def test_latency_panel_plots_every_prediction(qtbot, normal):
    live = _live(normal)
    lp = _panel(qtbot, LatencyPanel, live)
    lp.refresh()
    n = len(live.predictions)
    assert n == 9  # 4.0 s to 6.0 s, every 0.25 s
    assert lp.curve.xData.size == n
    np.testing.assert_allclose(lp.curve.yData, [p.latency_ms for p in live.predictions])
    text = lp.stats_text
    for word in ("p50", "p95", "p99", "max", "budget 100 ms: all within"):
        assert word in text
    # Two lines; on screen a line may break between items, never inside one.
    assert text.count("\n") == 1 and text.split("\n")[0].endswith(" ms")
    assert "p50\u00a0" in lp.stats.text()
    assert lp.budget_line.value() == pytest.approx(2.0)  # log10(100 ms)
    assert lp.plot.getPlotItem().ctrl.logYCheck.isChecked()


# -- clinician view --------------------------------------------------------------------
def test_clinician_view_states_and_signal_words(qtbot, normal, flat_f3):
    live = _live(normal)
    cv = _panel(qtbot, ClinicianView, live)
    cv.refresh()
    last = live.last_prediction
    assert cv.state_text == last.label
    assert cv.detail_text == f"{last.confidence:.0%} confident"
    assert cv.quality_text == "Signal: good"
    assert cv.trend_text.startswith("Last 2 min: mostly ")
    assert cv.trend.segments and cv.trend.segments[-1][1] == 0.0

    bad = _panel(qtbot, ClinicianView, _live(flat_f3))
    bad.refresh()
    assert bad.state_text == "No reading"
    assert bad.detail_text == "Check electrode F3"
    assert bad.quality_text == "Signal: check F3"
    assert bad.trend_text == "Last 2 min: no readings"


# -- shared helpers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("span", "labels", "expected"),
    [
        pytest.param(120.0, 5, ["-2 min", "-90 s", "-1 min", "-30 s", "now"], id="2min-5"),
        pytest.param(120.0, 3, ["-2 min", "-1 min", "now"], id="2min-3"),
        pytest.param(120.0, 2, ["-2 min", "now"], id="2min-2"),
        pytest.param(
            300.0, 6, ["-5 min", "-4 min", "-3 min", "-2 min", "-1 min", "now"], id="5min-6"
        ),
        pytest.param(300.0, 5, ["-4 min", "-2 min", "now"], id="5min-5"),
        pytest.param(60.0, 5, ["-1 min", "-45 s", "-30 s", "-15 s", "now"], id="1min"),
    ],
)
def test_ago_ticks(span, labels, expected):
    major, minor = ago_ticks(span, labels=labels)
    assert [text for _, text in sorted(major)] == expected
    assert all(text == "" for _, text in minor)
    assert all(-span <= v <= 0 for v, _ in major + minor)


def test_elided_label_keeps_the_whole_text(qtbot):
    label = ElidedLabel("")
    qtbot.addWidget(label)
    label.set_tip("What was analysed")
    text = "Last 4.0 s, average of 15 channels (F3, Oz, Fz, Cz and 2 more left out: bad)"
    label.setText(text)
    assert label.text() == text
    assert label.toolTip() == "What was analysed\n\n" + text
    assert label.minimumSizeHint().width() < label.fontMetrics().horizontalAdvance(text) / 4


def test_empty_signal_axis_spans_the_window_chosen(qtbot):
    """With no stream the time axis showed -10 ... 0 s (ticks -9 ... -1) for a 5 s window."""
    sv = _panel(qtbot, SignalView, LiveData())
    sv.window_combo.setCurrentIndex(sv.window_combo.findData(5.0))
    lo, hi = sv.plot_item.getViewBox().viewRange()[0]
    assert (lo, hi) == (pytest.approx(-5.0), pytest.approx(0.0))
