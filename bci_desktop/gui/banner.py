"""A non-modal message strip above the panels, for errors and warnings."""

from __future__ import annotations

from typing import ClassVar

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from bci_desktop.gui.wording import in_window_words

__all__ = ["Banner"]


class Banner(QFrame):
    """A non-modal message strip above the panels (errors and warnings), with a close box.

    Attributes
    ----------
    text : str
        The message shown, with its level word (``"Error: ..."``).
    level : str
        ``"error"``, ``"warning"`` or "" before the first message.

    Signals
    -------
    show_log()
        The user asked for the log panel.
    """

    show_log = pyqtSignal()

    _STYLES: ClassVar[dict[str, tuple[str, str, str]]] = {
        "error": ("Error", "#e03131", "#ffffff"),
        "warning": ("Warning", "#e8a317", "#1b1b1b"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        log_button = QToolButton()
        log_button.setText("Show log")
        log_button.setToolTip("Show the log panel")
        log_button.clicked.connect(self.show_log)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Hide this message")
        close.clicked.connect(self.hide)
        row.addWidget(self.label, 1)
        row.addWidget(log_button)
        row.addWidget(close)
        self.level = ""
        self.hide()

    @property
    def text(self) -> str:
        """The message shown (with its level word)."""
        return self.label.text()

    def show_message(self, level: str, message: str) -> None:
        """Show ``message`` as ``level`` (``"error"`` or ``"warning"``)."""
        word, bg, fg = self._STYLES[level]
        self.level = level
        self.label.setText(f"{word}: {in_window_words(message)}")
        self.setStyleSheet(
            f"QFrame#banner {{ background-color: {bg}; border-radius: 4px; }}"
            f" QFrame#banner QLabel {{ color: {fg}; font-weight: bold; }}"
        )
        self.show()
