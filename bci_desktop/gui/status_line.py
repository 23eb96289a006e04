"""The stream's numbers in the status bar: board, rate, samples, gaps, model, frame rate."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from PyQt6.QtWidgets import QLabel, QStatusBar

from bci_desktop.core.stream import StreamInfo

__all__ = ["STALL_S", "StatusLine"]

#: Seconds without samples after which the gaps label warns.
STALL_S = 3.0

_TIPS = {
    "board": "The source streaming now",
    "rate": "Samples per second measured over the last second (nominal rate)",
    "samples": "Samples received since connecting",
    "gaps": "Breaks in the timestamps longer than 2.5 sample periods, and the samples "
    "they are missing",
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
        status: Mapping[str, Any],
        samples: int,
        model: str,
        fps: float,
    ) -> None:
        """Write the numbers; ``info`` is None when nothing streams.

        ``status`` is the worker's last status (``rate``, ``gaps``, ``dropped``,
        ``since_data_s``); missing keys show as "–" or 0.
        """
        labels = self.labels
        labels["board"].setText(f"Board: {info.source_name}" if info else "Board: –")
        if info is not None:
            rate = status.get("rate", math.nan)
            measured = f"{rate:.1f}" if isinstance(rate, float) and math.isfinite(rate) else "–"
            labels["rate"].setText(f"Rate: {measured}/s ({info.sample_rate:g} Hz)")
            labels["samples"].setText(f"Samples: {samples:,}")
            gaps, dropped = status.get("gaps", 0), status.get("dropped", 0)
            since = float(status.get("since_data_s", 0.0))
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
