"""One signal-quality indicator per channel, with the numbers behind it."""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt
from PyQt6.QtGui import QFont, QResizeEvent
from PyQt6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from bci_desktop.core.dsp.quality import QualityLevel, QualityReport, QualityState
from bci_desktop.gui.live_data import LiveData
from bci_desktop.gui.panels._style import Panel, badge_style

_HEADERS = (
    ("Channel", "EEG channel name"),
    ("Quality", "good: usable; poor: usable with care; bad: not used for predictions"),
    ("Problem", "What makes the channel poor or bad (flat line, railed, line noise ...)"),
    ("Amplitude", "Standard deviation of the filtered signal over the last second (µV)"),
    (
        "Line noise",
        "Power within ±2 Hz of the mains frequency over the power in 1-45 Hz (raw signal);\n"
        "1 or more is poor, 100 or more is bad",
    ),
    ("Railed", "Share of samples at the amplifier's limit over the last second"),
)
_WAITING = "Waiting for the first second of signal…"
#: Smallest type the table shrinks to so that every row and column fits (points).
MIN_POINT_SIZE = 6.5


class _Row:
    """The labels of one channel's row."""

    def __init__(self, name: str) -> None:
        self.name = QLabel(name)
        bold = QFont(self.name.font())
        bold.setBold(True)
        self.name.setFont(bold)
        self.badge = QLabel("–")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setMinimumWidth(48)
        self.state = QLabel("")
        self.amplitude = QLabel("")
        self.line = QLabel("")
        self.railed = QLabel("")
        for w in (self.amplitude, self.line, self.railed):
            w.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.level: QualityLevel | None = None
        self.text = f"{name}: no data yet"

    def widgets(self) -> tuple[QLabel, ...]:
        return (self.name, self.badge, self.state, self.amplitude, self.line, self.railed)


class QualityPanel(Panel):
    """Signal quality of every channel: a coloured badge with its word, what is wrong, and
    the amplitude (µV), line-noise ratio and railed share behind it, under a summary line.

    Updated whenever :attr:`LiveData.quality` changes (the engine scores every hop).

    Every row and column stays in view: when the room left (a banner above the panels, a
    summary that wraps, a long problem word) is too small, the table's type shrinks a
    little, down to :data:`MIN_POINT_SIZE` (a scroll bar appears only below it).

    Attributes tests can read
    -------------------------
    summary_text : str
        The summary line, e.g. ``"Signal: 15 good, 1 bad (F3: flat line)"``.
    indicator_text(i) : str
        Everything channel ``i``'s row says, as one line.
    """

    def __init__(self, live: LiveData, parent: QWidget | None = None) -> None:
        super().__init__(live, parent)
        self._rows: list[_Row] = []
        self._seen: QualityReport | None = None
        self.summary = QLabel(_WAITING)
        self.summary.setWordWrap(True)
        font = QFont(self.summary.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.summary.setFont(font)
        self.summary.setToolTip("Number of channels at each quality level, naming the others")
        self._grid_host = QWidget()
        # The rows sit at the top: the space left goes to a stretch under the grid, not to
        # a row of it (a row stretch would stay on that row when the next stream has more).
        column = QVBoxLayout(self._grid_host)
        column.setContentsMargins(2, 2, 2, 2)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(14)
        self._grid.setVerticalSpacing(3)
        self._grid.setColumnStretch(len(_HEADERS), 1)
        column.addLayout(self._grid)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._grid_host)
        self.scroll_area = scroll
        self._point_size = self._base_point_size = self.font().pointSizeF()
        self._fitted = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        self.reset()

    @property
    def point_size(self) -> float:
        """Size of the table's type now (points)."""
        return self._point_size

    def fits(self) -> bool:
        """True when every row and column is in view without scrolling."""
        room = self.scroll_area.size()
        need = self._grid_host.sizeHint()
        return need.width() <= room.width() and need.height() <= room.height()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        """Fit the table to the new size."""
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The largest type (up to the window's) at which the table fits."""
        if not self._rows or self.scroll_area.size() == QSize(0, 0):
            return
        if not self._rows[-1].name.isVisible():
            self._fitted = False  # new rows are shown on the next turn: fit at the draw
            return
        self._fitted = True
        layout = self.layout()
        if layout is not None:
            layout.activate()
        base = self._base_point_size
        self._set_point_size(base)
        if self.fits():
            return
        # Type scales about linearly: one guess, then half-point steps down (at most a few,
        # each re-lays out every label). When even the smallest type cannot hold every row
        # (64 channels), keep the window's type and let the table scroll.
        room, need = self.scroll_area.size(), self._grid_host.sizeHint()
        ratio = min(room.width() / max(need.width(), 1), room.height() / max(need.height(), 1))
        size = max(MIN_POINT_SIZE, int(base * ratio * 2) / 2)
        if base * ratio < MIN_POINT_SIZE - 1.0:
            return
        self._set_point_size(size)
        steps = 0
        while not self.fits() and size - 0.5 >= MIN_POINT_SIZE and steps < 3:
            size -= 0.5
            steps += 1
            self._set_point_size(size)

    def _set_point_size(self, size: float) -> None:
        if size == self._point_size:
            return
        self._point_size = size
        for i in range(self._grid.count()):
            item = self._grid.itemAt(i)
            widget = item.widget() if item is not None else None
            if widget is not None:
                font = QFont(widget.font())
                font.setPointSizeF(size)
                widget.setFont(font)
        self._grid_host.adjustSize()
        host_layout = self._grid_host.layout()
        if host_layout is not None:
            host_layout.activate()

    @property
    def summary_text(self) -> str:
        """The summary line shown above the channels."""
        return self.summary.text()

    def indicator_text(self, i: int) -> str:
        """What the indicator of channel ``i`` says, e.g.
        ``"F3: bad (flat line), 0.0 µV, line noise 0.00, railed 0%"``."""
        return self._rows[i].text

    def _clear(self) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)
                widget.deleteLater()
        for col, (text, tip) in enumerate(_HEADERS):
            head = QLabel(f"<b>{text}</b>")
            head.setToolTip(tip)
            align = Qt.AlignmentFlag.AlignRight if col >= 3 else Qt.AlignmentFlag.AlignLeft
            self._grid.addWidget(head, 0, col, align)
        self._rows = []
        for r, name in enumerate(self.live.channel_names, start=1):
            row = _Row(name)
            for col, w in enumerate(row.widgets()):
                w.setToolTip(_HEADERS[col][1])
                self._grid.addWidget(w, r, col)
            self._rows.append(row)
        self._seen = None
        self.summary.setText(_WAITING if self.live.info is not None else "No stream")
        self._point_size = self._base_point_size
        self._fitted = False
        self._fit()

    def _draw(self) -> bool:
        report = self.live.quality
        if report is None or report is self._seen:
            return True
        self._seen = report
        if len(report.channel_names) != len(self._rows):
            return True
        before = (self.summary.text(), tuple(row.state.text() for row in self._rows))
        self.summary.setText("Signal: " + report.summary())
        for i, row in enumerate(self._rows):
            level = QualityLevel(int(report.levels[i]))
            state = QualityState(int(report.states[i]))
            if level != row.level:
                row.badge.setText(level.label)
                row.badge.setStyleSheet(badge_style(level))
                row.level = level
            problem = "" if state == QualityState.GOOD else state.label
            row.state.setText(problem)
            amp = f"{report.amplitude_uv[i]:.1f} µV"
            line = f"{report.line_noise_ratio[i]:.2f}"
            railed = f"{report.railed_fraction[i]:.0%}"
            row.amplitude.setText(amp)
            row.line.setText(line)
            row.railed.setText(railed)
            detail = f" ({problem})" if problem else ""
            row.text = (
                f"{report.channel_names[i]}: {level.label}{detail}, {amp}, "
                f"line noise {line}, railed {railed}"
            )
            row.badge.setToolTip(report.describe(i))
        after = (self.summary.text(), tuple(row.state.text() for row in self._rows))
        if after != before or not self._fitted:
            self._fit()  # a longer summary or problem word may need smaller type
        return True
