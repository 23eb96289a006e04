"""The stream's numbers in the status bar: board, rate, samples, gaps, model, frame rate."""

from __future__ import annotations

import math

from PyQt6.QtWidgets import QLabel, QStatusBar

from bci_desktop.core.session import StreamStatus
from bci_desktop.core.stream import StreamInfo

__all__ = ["STALL_S", "StatusLine"]

#: Seconds without samples after which the gaps label warns.
STALL_S = 3.0

_TIPS = {
    "board": "The source streaming now",
    "rate": "Samples per second measured over the last second (nominal rate)",
    "samples": "Samples received since connecting",
    "gaps": "Breaks in the stream (a skipped package counter, a reconnection, or no "
    "samples for longer than 0.25 s), and the samples they are missing; the recording "
    "holds one 'gap' event for each",
    "model": "The emotion model in use (name@version)",
    "fps": "Plot frame rate: redraws per second over the last second",
}


class StatusLine:
    """Permanent labels at the right of a status bar (messages keep the left part).

    Parameters
    ----------
    bar : QStatusBar
        Where the labels go.

    Attributes
    ----------
    labels : dict of str to QLabel
        ``board``, ``rate``, ``samples``, ``gaps``, ``model``, ``fps``.
    """

    def __init__(self, bar: QStatusBar) -> None:
        self.labels: dict[str, QLabel] = {}
        for key, tip in _TIPS.items():
            label = QLabel()
            label.setToolTip(tip)
            bar.addPermanentWidget(label)
            self.labels[key] = label

    def paint(
        self,
        *,
        info: StreamInfo | None,
        status: StreamStatus | None,
        samples: int,
        model: str,
        fps: float,
    ) -> None:
        """Write the numbers; ``info`` is None when nothing streams.

        ``status`` is the session's last status (``None`` before the first one).
        """
        labels = self.labels
        labels["board"].setText(f"Board: {info.source_name}" if info else "Board: –")
        if info is not None:
            rate = status.rate if status is not None else math.nan
            measured = f"{rate:.1f}" if math.isfinite(rate) else "–"
            labels["rate"].setText(f"Rate: {measured}/s ({info.sample_rate:g} Hz)")
            labels["samples"].setText(f"Samples: {samples:,}")
            gaps = status.gaps if status is not None else 0
            dropped = status.dropped if status is not None else 0
            since = status.since_data_s if status is not None else 0.0
            text = f"Gaps: {gaps} ({dropped} dropped)"
            if since >= STALL_S:
                text += f" · NO DATA for {since:.0f} s"
            labels["gaps"].setText(text)
            labels["model"].setText(f"Model: {model or 'none'}")
        else:
            labels["rate"].setText("Rate: –")
            labels["samples"].setText("Samples: –")
            labels["gaps"].setText("Gaps: –")
            labels["model"].setText(f"Model: {model or '–'}")
        labels["fps"].setText(f"Plot: {fps:.0f} fps")
