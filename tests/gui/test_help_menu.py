"""Help: keyboard shortcuts made from the window's actions, the documentation rendered,
About with the versions in use."""

from __future__ import annotations

import onnxruntime
from brainflow.board_shim import BoardShim
from PyQt6.QtCore import QTimer, qVersion
from PyQt6.QtGui import QImage, QKeySequence
from PyQt6.QtWidgets import QApplication, QMessageBox

from bci_desktop import __version__

T = 15000


def test_shortcuts_dialog_lists_every_action_with_a_shortcut(qtbot, open_window) -> None:
    w = open_window()
    help_ = w.features.help
    assert [a.text() for a in w.help_menu.actions() if not a.isSeparator()][:2] == [
        "&Keyboard shortcuts",
        "&Documentation",
    ]
    dialog = help_.show_shortcuts()
    qtbot.waitExposed(dialog)
    table = {dialog.table.item(r, 1).text(): dialog.table.item(r, 0).text()
             for r in range(dialog.table.rowCount())}  # fmt: skip
    native = QKeySequence.SequenceFormat.NativeText
    for action in (w.connect_action, w.disconnect_action, w.clinician_action,
                   w.features.recording.action, w.features.replay.open_action,
                   help_.shortcuts_action):  # fmt: skip
        name = action.text().replace("&", "")
        assert table[name] == action.shortcut().toString(native), name
    assert table["Insert marker 1 … 9"] == "1 … 9"
    # Made from the actions: a shortcut changed anywhere shows up at the next opening.
    w.connect_action.setShortcut(QKeySequence("Ctrl+Alt+C"))
    dialog = help_.show_shortcuts()
    keys = {row.action: row.keys for row in dialog.rows}
    assert keys["Connect"] == QKeySequence("Ctrl+Alt+C").toString(native)


def test_documentation_is_rendered_from_docs(qtbot, open_window) -> None:
    w = open_window()
    dialog = w.features.help.show_docs()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.page_title == "The desktop window"  # docs/gui.md first
    text = dialog.browser.toPlainText()
    assert "Keyboard" in text and "#" not in text.splitlines()[0], "Markdown, rendered"
    titles = [dialog.pages.item(i).text() for i in range(dialog.pages.count())]
    assert len(titles) >= 5


def test_a_screenshot_the_bundle_leaves_out_is_a_note_not_a_broken_image(qtbot, tmp_path) -> None:
    from PyQt6.QtCore import QUrl
    from PyQt6.QtGui import QTextDocument

    from bci_desktop.gui.help_menu import DocsDialog

    (tmp_path / "screenshots").mkdir()
    shipped = tmp_path / "screenshots" / "here.png"
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(0x00FF00)
    assert image.save(str(shipped))
    (tmp_path / "gui.md").write_text(
        "# The desktop window\n\n![here](screenshots/here.png)\n\n"
        "![gone](screenshots/gone.png)\n\nText after the images.\n"
    )
    dialog = DocsDialog(None, tmp_path)
    qtbot.addWidget(dialog)
    kind = QTextDocument.ResourceType.ImageResource.value
    base = QUrl.fromLocalFile(str(tmp_path) + "/")
    present = dialog.browser.loadResource(kind, base.resolved(QUrl("screenshots/here.png")))
    assert QImage.fromData(present).width() == 40  # a shipped screenshot: its own bytes
    note = dialog.browser.loadResource(kind, base.resolved(QUrl("screenshots/gone.png")))
    assert isinstance(note, QImage) and not note.isNull() and note.width() > 200
    assert "Text after the images." in dialog.browser.toPlainText()


def test_about_names_the_versions_in_use(qtbot, open_window) -> None:
    w = open_window()
    seen: list[str] = []

    def read_box() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, read_box)
            return
        seen.append(box.text())
        box.accept()

    QTimer.singleShot(0, read_box)
    w.features.help.about_action.trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=T)
    text = seen[0]
    for part in (__version__, str(BoardShim.get_version()), qVersion(),
                 onnxruntime.__version__, w.features.models.known_active_label):  # fmt: skip
        assert part in text, part
