"""A panel that says so when what it shows is not live, and greys out meanwhile.

:class:`NotLiveFrame` puts a strip above a panel ("NOT LIVE: signal lost 12 s ago",
"NOT LIVE: disconnected", "NOT LIVE: replay ended") and lays a translucent veil in the
window's colour over the panel while what it shows is not live
(:mod:`bci_desktop.gui.freshness`). The panel itself is not disabled: the veil lets the
mouse through, so its controls (time window, filters, channel picks) keep working, and what
it last showed can still be read. Before any stream, the panels are empty and say so
themselves: no strip, no veil. The main window hands every frame the same
:class:`~bci_desktop.gui.freshness.Liveness` on each tick of its redraw timer.

(A veil, not a ``QGraphicsOpacityEffect``: Qt renders a widget with an effect into an
off-screen pixmap, and pyqtgraph's plots, which are graphics views, leave garbage there.)
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PyQt6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from bci_desktop.gui.freshness import Liveness

__all__ = ["DIMMED_OPACITY", "NOT_LIVE_STYLE", "NotLiveFrame", "Veil"]

#: How much of a panel shows through while what it shows is not live.
DIMMED_OPACITY = 0.45
#: The strip: white on a dark grey, bold (legible on the dark and the light theme).
NOT_LIVE_STYLE = (
    "QLabel { color: #ffffff; background-color: #495057; font-weight: bold; padding: 3px 8px; }"
)


class Veil(QWidget):
    """A translucent layer in the window's colour over a widget; the mouse goes through."""

    def __init__(self, over: QWidget) -> None:
        super().__init__(over)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        over.installEventFilter(self)
        self.setGeometry(over.rect())
        self.hide()

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        """Follow the size of the widget veiled."""
        if event is not None and event.type() == QEvent.Type.Resize:
            parent = self.parentWidget()
            if parent is not None:
                self.setGeometry(parent.rect())
        return False

    def paintEvent(self, event: QPaintEvent | None) -> None:
        """Wash the widget out towards the window's colour."""
        colour = QColor(self.palette().color(QPalette.ColorRole.Window))
        colour.setAlphaF(1.0 - DIMMED_OPACITY)
        p = QPainter(self)
        p.fillRect(self.rect(), colour)
        p.end()


class NotLiveFrame(QWidget):
    """``panel`` under a strip that names why it is not live, greyed out meanwhile.

    Parameters
    ----------
    panel : QWidget
        The panel shown.
    parent : QWidget or None
        Qt parent.

    Attributes tests can read
    -------------------------
    panel : QWidget
    strip : QLabel
        Hidden while live.
    dimmed : bool
        True while the panel is greyed out.
    """

    def __init__(self, panel: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.setObjectName(f"{panel.objectName() or type(panel).__name__}_frame")
        self.strip = QLabel()
        self.strip.setObjectName("not_live_strip")
        self.strip.setStyleSheet(NOT_LIVE_STYLE)
        self.strip.setWordWrap(True)
        self.strip.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.strip.setToolTip(
            "What this panel shows is not happening now: it is the last thing the stream "
            "showed. Connect (or play the recording) to see the live signal."
        )
        self.strip.hide()
        self.veil = Veil(panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.strip)
        layout.addWidget(panel, 1)
        self._shown: tuple[bool, str] | None = None

    @property
    def dimmed(self) -> bool:
        """True while the panel is greyed out."""
        return self.veil.isVisibleTo(self.panel)

    @property
    def text(self) -> str:
        """The strip's text (``""`` while live)."""
        return self.strip.text() if self.strip.isVisibleTo(self) else ""

    def show_liveness(self, liveness: Liveness) -> None:
        """Show ``liveness`` (cheap when nothing changed: call it on every frame)."""
        key = (liveness.live, liveness.headline)
        if key == self._shown:
            return
        self._shown = key
        stale = not liveness.live and bool(liveness.headline)
        self.strip.setText(liveness.headline)
        self.strip.setVisible(stale)
        self.veil.setVisible(stale)
        if stale:
            self.veil.raise_()
