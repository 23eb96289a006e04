"""Help > About shows the versions in use, the same lines as ``bci-desktop --version``."""

from __future__ import annotations

import numpy
import onnxruntime
from brainflow.board_shim import BoardShim
from PyQt6.QtCore import PYQT_VERSION_STR, QTimer, qVersion
from PyQt6.QtWidgets import QApplication, QMessageBox

from bci_desktop import __version__


def test_about_box_lists_the_versions(qtbot, open_window) -> None:
    w = open_window()
    shown: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, read_and_close)
            return
        shown.append(box.text())
        box.accept()

    QTimer.singleShot(0, read_and_close)
    w.features.help.about_action.trigger()  # modal: returns once read_and_close closed it
    assert len(shown) == 1
    text = shown[0]
    assert f"<b>BCI Desktop</b> {__version__}" in text
    assert f"BrainFlow: {BoardShim.get_version()}" in text
    assert f"Qt: {qVersion()} (PyQt6 {PYQT_VERSION_STR})" in text
    assert f"onnxruntime: {onnxruntime.__version__}" in text
    assert f"numpy: {numpy.__version__}" in text
    assert "Active model: emotion-default@" in text
    assert "Installed as: Python package" in text
