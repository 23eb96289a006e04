"""Keys 1-9 insert markers wherever the keyboard focus is in the window, except a text field.

The marker actions (``window.marker_actions``) carry the shortcuts ``1`` ... ``9``. A Qt
shortcut does not fire when

* a spin box has the focus: it claims every printable key (``ShortcutOverride``) for its
  text, so ``5`` would edit the scale or a filter frequency instead of marking the stream;
* the window is not the active window (after a dialog closed on a desktop without a window
  manager, keyboard focus can go nowhere while keys still reach the window).

:class:`MarkerKeys` is an application-wide event filter that catches the digit keys that
reach any widget of the window in those cases and triggers the marker action. Text fields
(line edits, text edits, editable combo boxes: the subject, notes, paths, ports) keep their
digits. Combo boxes never see them: the shortcut fires first, so a ``2`` no longer picks
"20 s" in the Window list. A held key inserts one marker, not one per auto-repeat.

While no stream is live the marker actions are disabled and digits go where they always
went (e.g. a port number typed into the device panel).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PyQt6.QtCore import QEvent, QObject, Qt
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

if TYPE_CHECKING:
    from PyQt6.QtGui import QAction

    from bci_desktop.gui.main_window import MainWindow

__all__ = ["MarkerKeys", "install", "is_text_field", "marker_number", "return_focus"]

_DIGITS = {getattr(Qt.Key, f"Key_{n}"): n for n in range(1, 10)}


def marker_number(event: QKeyEvent) -> int | None:
    """The marker a key press asks for (1-9 without Ctrl, Alt, Meta or Shift), else None."""
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    if mods != Qt.KeyboardModifier.NoModifier:
        return None
    return _DIGITS.get(Qt.Key(event.key()))


def is_text_field(widget: QWidget | None) -> bool:
    """True for widgets where a typed digit is text the user means: an editable line edit
    (not the one inside a spin box), plain or rich text edit, or editable combo box."""
    if widget is None:
        return False
    if isinstance(widget, QLineEdit):
        parent = widget.parentWidget()
        if isinstance(parent, QAbstractSpinBox):
            return False
        if isinstance(parent, QComboBox):
            return parent.isEditable()
        return not widget.isReadOnly()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return not widget.isReadOnly()
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return False


class MarkerKeys(QObject):
    """The application-wide filter that sends digit keys in ``window`` to its markers.

    Parameters
    ----------
    window : MainWindow
        Its ``marker_actions`` (nine ``QAction`` objects, marker 1 first) are triggered.

    Attributes
    ----------
    caught : int
        Key presses turned into markers by this filter (the others fired as shortcuts).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._actions: tuple[QAction, ...] = tuple(window.marker_actions)
        self.caught = 0
        for action in self._actions:
            action.setAutoRepeat(False)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        """Catch a digit key press aimed at the window that no shortcut took."""
        if event is None or event.type() != QEvent.Type.KeyPress:
            return False
        if not isinstance(watched, QWidget) or not isinstance(event, QKeyEvent):
            return False
        n = marker_number(event)
        if n is None or watched.window() is not self._window:
            return False
        if is_text_field(QApplication.focusWidget()) or is_text_field(watched):
            return False
        action = self._actions[n - 1]
        if not action.isEnabled():
            return False
        if not event.isAutoRepeat():
            self.caught += 1
            action.trigger()
        return True


def return_focus(window: QWidget, default: QWidget) -> None:
    """After a dialog of ``window`` closed: make the window active again and, if no widget
    of it has the keyboard focus, give it to ``default`` (so keys reach the window)."""
    window.activateWindow()
    focus = QApplication.focusWidget()
    if focus is None or focus.window() is not window or not focus.isEnabled():
        default.setFocus(Qt.FocusReason.OtherFocusReason)


def install(window: MainWindow) -> MarkerKeys:
    """Make keys 1-9 insert markers anywhere in ``window`` but text fields."""
    return MarkerKeys(window)
