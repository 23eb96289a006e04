"""At 1280x800 the signal-quality panel shows every row and column without scroll bars,
also when a banner takes room above the panels."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPoint

from bci_desktop.core.dsp.quality import QualityLevel, QualityReport, QualityState
from bci_desktop.core.session import StreamState

T = 15000
LONG = (
    "Recording stopped: cannot write to /media/usb-stick/sessions/20261206-153012_S01: "
    "no space left on the device. Streaming goes on; free some space or choose another "
    "folder, then record again (Ctrl+R). Everything recorded until now is kept."
)


def _in_view(panel, widget) -> bool:
    viewport = panel.scroll_area.viewport()
    top_left = widget.mapTo(viewport, QPoint(0, 0))
    bottom_right = widget.mapTo(viewport, QPoint(widget.width(), widget.height()))
    return viewport.rect().contains(top_left) and viewport.rect().contains(
        bottom_right - QPoint(1, 1)
    )


def _troubled(report: QualityReport) -> QualityReport:
    """The report of a headset in trouble: a summary over lines, long problem words and
    numbers (the widest the table gets)."""
    n = len(report.channel_names)
    states = np.zeros(n, dtype=np.int64)
    levels = np.zeros(n, dtype=np.int64)
    bad = {1: QualityState.RAILED, 3: QualityState.HIGH_AMPLITUDE, 6: QualityState.FLAT,
           10: QualityState.NOT_FINITE, 15: QualityState.HIGH_AMPLITUDE}  # fmt: skip
    for i, state in bad.items():
        states[i], levels[i] = state, QualityLevel.BAD
    for i in (4, 5, 8, 12):
        states[i], levels[i] = QualityState.LINE_NOISE, QualityLevel.POOR
    return QualityReport(
        channel_names=report.channel_names,
        states=states,
        levels=levels,
        amplitude_uv=np.full(n, 187654.3),
        line_noise_ratio=np.full(n, 1234.56),
        railed_fraction=np.full(n, 1.0),
        nonfinite_fraction=np.zeros(n),
    )


def test_quality_panel_fits_at_1280x800_with_a_banner(qtbot, open_window) -> None:
    w = open_window()
    w.resize(1280, 800)
    qtbot.waitUntil(lambda: w.width() == 1280 and w.height() == 800, timeout=T)
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    panel = w.quality_panel
    qtbot.waitUntil(lambda: not w.redraw.pending, timeout=T)  # panels rebuilt
    qtbot.waitUntil(lambda: panel.summary_text.startswith("Signal:"), timeout=T)
    w.disconnect_stream()  # the panels keep the last report; show a troubled one
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)
    report = _troubled(w.live.quality)
    w.live.quality = report
    w.live.version += 1
    qtbot.waitUntil(lambda: panel.summary_text == "Signal: " + report.summary(), timeout=T)
    w.banner.show_message("error", LONG)
    qtbot.waitUntil(lambda: w.banner.isVisible() and w.banner.height() > 30, timeout=T)
    qtbot.waitUntil(panel.fits, timeout=T)
    bar_v = panel.scroll_area.verticalScrollBar()
    bar_h = panel.scroll_area.horizontalScrollBar()
    assert not bar_v.isVisible() and not bar_h.isVisible()
    last = panel._rows[-1]  # F8, the row the issue lost
    assert last.name.text() == "F8"
    for widget in (last.name, last.railed, panel._rows[0].railed):
        assert _in_view(panel, widget), widget.text()
    # The banner gone, the type grows back.
    small = panel.point_size
    w.banner.hide()
    qtbot.waitUntil(lambda: panel.point_size >= small, timeout=T)
    assert panel.fits()
