"""The Help menu: keyboard shortcuts, the documentation, the log folder, About.

* **Keyboard shortcuts** lists the window's actions that have a shortcut, read from the
  actions themselves when the dialog opens (a shortcut added or changed anywhere shows up
  here without editing a list), plus the rule for the marker keys.
* **Documentation** renders the Markdown pages of ``docs/`` (shipped with the app) in a
  browser pane, images and links between pages included; nothing is fetched from the
  network.
* **About** names the versions of the app, BrainFlow, Qt, onnxruntime and the model in
  use (:func:`~bci_desktop.core.versions.gather_versions`, the same as
  ``bci-desktop --version``).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import PYQT_VERSION_STR, Qt, QUrl, qVersion
from PyQt6.QtGui import QAction, QColor, QImage, QKeySequence, QPainter, QTextDocument
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.logs import log_dir
from bci_desktop.core.resources import shipped_dir
from bci_desktop.core.versions import gather_versions

if TYPE_CHECKING:
    from bci_desktop.gui.main_window import MainWindow
    from bci_desktop.gui.model_manager import ModelManager

__all__ = [
    "DocsDialog",
    "HelpMenu",
    "Shortcut",
    "ShortcutsDialog",
    "about_text",
    "docs_folder",
    "install",
    "shortcuts",
]

logger = logging.getLogger(__name__)

#: Pages of the documentation, in the order the dialog lists them (others follow A-Z).
DOC_ORDER = ("gui.md", "recording.md", "export.md", "models.md", "reliability.md")


@dataclass(frozen=True)
class Shortcut:
    """One row of the shortcuts dialog."""

    keys: str
    action: str
    tip: str


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").strip()


def shortcuts(window: MainWindow) -> list[Shortcut]:
    """The window's actions with a shortcut, in the order they were added; the nine
    marker actions as one row."""
    markers = set(window.marker_actions)
    rows: list[Shortcut] = []
    marker_row_done = False
    for action in window.actions():
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys:
            continue
        if action in markers:
            if not marker_row_done:
                marker_row_done = True
                first, last = window.marker_actions[0], window.marker_actions[-1]
                rows.append(
                    Shortcut(
                        f"{_native(first)} … {_native(last)}",
                        "Insert marker 1 … 9",
                        "Anywhere in the window while streaming, except in a text field "
                        "(spin boxes and lists do not take the digits)",
                    )
                )
            continue
        text = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        name = _plain(action.text())
        tip = _plain(action.toolTip()).removesuffix(f"({text})").strip()
        rows.append(Shortcut(text, name, "" if tip in (name, name.rstrip("…")) else tip))
    return rows


def _native(action: QAction) -> str:
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: a table made from the window's actions.

    Attributes
    ----------
    table : QTableWidget
        Keys, action, what it does.
    rows : list of Shortcut
        What the table shows.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcuts_dialog")
        self.rows = shortcuts(window)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setHorizontalHeaderLabels(["Keys", "Action", "What it does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for r, row in enumerate(self.rows):
            for c, text in enumerate((row.keys, row.action, row.tip)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        note = QLabel(
            "Digits typed into a text field (subject, notes, a path) stay text. Change number "
            "fields with the arrow keys or the mouse wheel while streaming."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(820, min(600, 150 + 28 * len(self.rows)))


def docs_folder() -> Path:
    """The folder of the Markdown documentation shipped with the app."""
    return shipped_dir("docs")


class DocsBrowser(QTextBrowser):
    """A page of the documentation; a screenshot the app does not ship (the bundle leaves
    ``docs/screenshots`` out for its size budget) is a line saying so, not a broken icon."""

    def loadResource(self, kind: int, name: QUrl):
        """Qt asks for an image or a linked page; a missing local image gets a note."""
        if kind == QTextDocument.ResourceType.ImageResource.value and name.isLocalFile():
            path = Path(name.toLocalFile())
            if not path.is_file():
                return missing_image_note(f"{path.parent.name}/{path.name}")
        return super().loadResource(kind, name)


def missing_image_note(name: str) -> QImage:
    """A small image saying that the screenshot ``name`` is not shipped with the app."""
    text = f"(Screenshot not shipped with the app: docs/{name} in the source code)"
    image = QImage(8 * len(text), 28, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.setPen(QColor("#666666"))
    painter.drawText(image.rect(), int(Qt.AlignmentFlag.AlignVCenter), text)
    painter.end()
    return image


class DocsDialog(QDialog):
    """Help > Documentation: the pages of ``docs/`` rendered, with a list to pick one.

    Attributes
    ----------
    pages : QListWidget
        One item per page (its title), the file name as item data.
    browser : QTextBrowser
        The page shown (links to other pages and images work).
    """

    def __init__(self, parent: QWidget | None, folder: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("BCI Desktop documentation")
        self.setObjectName("docs_dialog")
        self.folder = folder
        self.pages = QListWidget()
        self.pages.setMaximumWidth(220)
        self.browser = DocsBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(folder)])
        files = sorted(
            folder.glob("*.md"),
            key=lambda p: (DOC_ORDER.index(p.name) if p.name in DOC_ORDER else 99, p.name),
        )
        for path in files:
            self.pages.addItem(_title(path))
            self.pages.item(self.pages.count() - 1).setData(Qt.ItemDataRole.UserRole, path.name)
        self.pages.currentRowChanged.connect(self._show)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.pages)
        row.addWidget(self.browser, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        self.resize(1100, 760)
        if files:
            self.pages.setCurrentRow(0)

    def _show(self, row: int) -> None:
        item = self.pages.item(row)
        if item is not None:
            name = item.data(Qt.ItemDataRole.UserRole)
            self.browser.setSource(QUrl.fromLocalFile(str(self.folder / name)))

    @property
    def page_title(self) -> str:
        """The title of the page shown."""
        item = self.pages.currentItem()
        return item.text() if item is not None else ""


def _title(path: Path) -> str:
    """The page's first heading, else its file name."""
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("# "):
                    return line[2:].strip()
    except OSError as exc:
        logger.debug("Cannot read the title of %s: %s", path, exc)
    return path.stem


def about_text(model: str) -> str:
    """The About box's text (HTML): what the app does, the versions ``bci-desktop
    --version`` prints, and the model in use."""
    v = gather_versions(qt=qVersion(), pyqt=PYQT_VERSION_STR)
    lines = [*v.lines()[1:], f"Model in use: {model or v.active_model}"]
    return (
        f"<b>BCI Desktop</b> {html.escape(v.app)}<br>Real-time EEG: stream a headset or the "
        "synthetic board, filter, score signal quality and classify emotional state."
        "<br><br>The shipped emotion model is a demonstration trained on simulated data; "
        "it is not validated on human EEG.<br><br>"
        + "<br>".join(html.escape(line) for line in lines)
        + f"<br>Log files: {html.escape(str(log_dir()))}"
    )


class HelpMenu:
    """The Help menu's actions.

    Parameters
    ----------
    window : MainWindow
    models : ModelManager
        Names the model in use (About).

    Attributes
    ----------
    shortcuts_action, docs_action, about_action : QAction
    shortcuts_dialog, docs_dialog : the dialogs once opened (non-modal, kept)
    """

    def __init__(self, window: MainWindow, models: ModelManager) -> None:
        self.window = window
        self.models = models
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self.docs_dialog: DocsDialog | None = None
        menu = window.help_menu
        first = menu.actions()[0] if menu.actions() else None
        self.shortcuts_action = QAction("&Keyboard shortcuts", window)
        self.shortcuts_action.setShortcut(QKeySequence("F1"))
        self.shortcuts_action.setToolTip("Every keyboard shortcut of the window (F1)")
        self.shortcuts_action.triggered.connect(lambda _=False: self.show_shortcuts())
        self.docs_action = QAction("&Documentation", window)
        self.docs_action.setToolTip("Read the user documentation (shipped with the app)")
        self.docs_action.triggered.connect(lambda _=False: self.show_docs())
        for action in (self.shortcuts_action, self.docs_action):
            action.setStatusTip(action.toolTip())
            window.addAction(action)
            menu.insertAction(first, action)
        if first is not None:
            menu.insertSeparator(first)
        self.about_action = QAction("&About BCI Desktop", window)
        self.about_action.setToolTip("What this is, and the versions of its parts")
        self.about_action.triggered.connect(lambda _=False: self.show_about())
        menu.addSeparator()
        menu.addAction(self.about_action)

    def show_shortcuts(self) -> ShortcutsDialog:
        """Open the shortcuts dialog (made afresh from the actions)."""
        if self.shortcuts_dialog is not None:
            self.shortcuts_dialog.close()
        self.shortcuts_dialog = ShortcutsDialog(self.window)
        self.shortcuts_dialog.show()
        return self.shortcuts_dialog

    def show_docs(self) -> DocsDialog | None:
        """Open the documentation (or say where it should be)."""
        folder = docs_folder()
        if not any(folder.glob("*.md")):
            self.window.statusBar().showMessage(
                f"The documentation is not installed here (looked in {folder}).", 10000
            )
            return None
        if self.docs_dialog is None:
            self.docs_dialog = DocsDialog(self.window, folder)
        self.docs_dialog.show()
        self.docs_dialog.raise_()
        return self.docs_dialog

    def show_about(self) -> None:
        """The About box, with the versions in use."""
        model = self.models.stream_model or self.models.known_active_label
        QMessageBox.about(self.window, "About BCI Desktop", about_text(model))


def install(window: MainWindow, models: ModelManager) -> HelpMenu:
    """Keyboard shortcuts, Documentation and About (with the versions) in the Help menu."""
    return HelpMenu(window, models)
