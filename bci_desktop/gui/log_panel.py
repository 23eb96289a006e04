"""The log panel: this session's messages of the ``bci_desktop`` logger tree.

The panel is fed by a :class:`logging.Handler` (STYLE.md: "the GUI log panel is a
handler"). Records may come from any thread; they reach the panel through a Qt signal, so
the text is only ever touched on the GUI thread.
"""

from __future__ import annotations

import logging

from PyQt6 import sip
from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QPlainTextEdit, QWidget

__all__ = ["GuiLogHandler", "LogPanel"]

#: Lines kept in the panel (older ones scroll away; the log file keeps everything).
MAX_LINES = 1000
_TREE = "bci_desktop"


class _LogBridge(QObject):
    """A logging handler's way into the GUI thread (signals are thread-safe)."""

    record = pyqtSignal(str)


class GuiLogHandler(logging.Handler):
    """Sends formatted log records (INFO and up) to a :class:`LogPanel`, one line each."""

    def __init__(self, bridge: _LogBridge) -> None:
        super().__init__(logging.INFO)
        self.bridge = bridge
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Format ``record`` and pass it to the GUI thread."""
        if sip.isdeleted(self.bridge):  # the panel is gone without detaching: stop here
            tree = logging.getLogger(_TREE)
            # A new list, not removeHandler(): the logger is going through the old list for
            # this very record, and removing from it would skip the handler after this one.
            tree.handlers = [h for h in tree.handlers if h is not self]
            return
        try:
            text = self.format(record)
            if record.exc_info:  # the traceback stays in the log file; one line here
                text = text.splitlines()[0]
            self.bridge.record.emit(text)
        except RuntimeError:  # deleted between the check and the emit
            self.handleError(record)


class LogPanel(QPlainTextEdit):
    """Read-only list of this session's log messages (the last :data:`MAX_LINES`).

    Parameters
    ----------
    parent : QWidget or None
        Qt parent.

    Attributes
    ----------
    handler : GuiLogHandler
        The handler that feeds the panel once :meth:`attach` added it to the logger tree.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setToolTip("Messages of this session (the full log is in the log folder)")
        self._bridge = _LogBridge(self)
        self._bridge.record.connect(self.appendPlainText)
        self.handler = GuiLogHandler(self._bridge)

    def attach(self) -> None:
        """Start receiving the records of the ``bci_desktop`` tree (until :meth:`detach`
        or until the panel is destroyed)."""
        # No slot on our own ``destroyed`` signal: a Python lambda run while the C++ object
        # is half torn down crashed the process. The handler removes itself instead when it
        # finds its bridge deleted.
        logging.getLogger(_TREE).addHandler(self.handler)

    def detach(self) -> None:
        """Stop receiving records."""
        logging.getLogger(_TREE).removeHandler(self.handler)
