"""The window's status bar: messages that end in "…" before the permanent fields.

``QStatusBar.showMessage`` draws its text up to the first permanent field and cuts it there
without a mark, so a long message ("Recording into ~/.local/share/…") ran straight into
"Board: Synthetic". :class:`WindowStatusBar` shows messages in an
:class:`~bci_desktop.gui.panels._style.ElidedLabel` instead: one line that ends in "…" when
it does not fit, the whole text in its tooltip. Every ``showMessage`` of the window's code
lands there; status tips (hovering a menu item or toolbar button) are shown in the same
label while they last, and the message comes back after them.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, QObject, QTimer
from PyQt6.QtGui import QStatusTipEvent
from PyQt6.QtWidgets import QStatusBar, QWidget

from bci_desktop.gui.panels._style import ElidedLabel
from bci_desktop.gui.wording import in_window_words

__all__ = ["WindowStatusBar"]


class WindowStatusBar(QStatusBar):
    """A status bar whose messages are elided, with the full text as tooltip.

    Attributes
    ----------
    message_label : ElidedLabel
        Where messages show (left, taking the room the permanent fields leave).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_label = ElidedLabel()
        self.message_label.setObjectName("status_message")
        self.addWidget(self.message_label, 1)
        self._message = ""
        self._tip = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    def insertPermanentWidget(self, index: int, widget: QWidget | None, stretch: int = 0) -> int:
        """Insert ``widget`` at ``index`` among the permanent fields (0: the leftmost)."""
        return super().insertPermanentWidget(index + 1, widget, stretch)

    def watch_status_tips(self, window: QWidget) -> None:
        """Show the status tips of ``window``'s actions and widgets here."""
        window.installEventFilter(self)

    def showMessage(self, text: str | None, msecs: int = 0) -> None:
        """Show ``text`` (in the window's words) for ``msecs`` ms (0: until replaced)."""
        self._message = in_window_words(text or "")
        if msecs > 0:
            self._timer.start(msecs)
        else:
            self._timer.stop()
        self._show()

    def clearMessage(self) -> None:
        """Remove the message."""
        self._timer.stop()
        self._message = ""
        self._show()

    def currentMessage(self) -> str:
        """The message shown (its whole text)."""
        return self._message

    def _show(self) -> None:
        text = self._tip or self._message
        if text != self.message_label.text():
            self.message_label.setText(text)
            self.messageChanged.emit(text)

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        """Status tips of the watched window go into the message label."""
        if isinstance(event, QStatusTipEvent):
            self._tip = event.tip()
            self._show()
            return True
        return super().eventFilter(watched, event)
