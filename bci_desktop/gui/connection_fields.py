"""The device panel's connection fields: the editors BrainFlow's input parameters need.

One editor per :class:`~bci_desktop.core.sources.boards.ConnectionParams` field (serial
port with a list of the ports present, MAC and IP addresses, ports, file with a chooser,
master board, timeout...), each in a row of the panel's form. The panel shows only the
rows the chosen board uses; values typed for other boards are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtSerialPort import QSerialPortInfo
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.sources.board_names import board_label
from bci_desktop.core.sources.boards import (
    PROXY_BOARDS,
    BoardSummary,
    board_name,
    resolve_board,
)

__all__ = ["FIELDS", "ConnectionFields", "FieldSpec"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldSpec:
    """How a connection field is shown."""

    label: str
    kind: str  # "serial", "text", "port", "file", "board", "seconds", "protocol"
    tip: str


FIELDS: dict[str, FieldSpec] = {
    "serial_port": FieldSpec(
        "Serial port", "serial", "Serial port of the board or its dongle, e.g. /dev/ttyUSB0"
    ),
    "mac_address": FieldSpec(
        "MAC address", "text", "Bluetooth MAC address, e.g. 00:A0:C9:14:C8:29"
    ),
    "ip_address": FieldSpec("IP address", "text", "IP address of the board, e.g. 192.168.4.1"),
    "ip_port": FieldSpec("IP port", "port", "IP port the board sends to or listens on"),
    "ip_protocol": FieldSpec("IP protocol", "protocol", "Network protocol (BrainFlow's)"),
    "serial_number": FieldSpec("Serial number", "text", "Serial number or name of the device"),
    "file": FieldSpec("File", "file", "BrainFlow file to play back"),
    "master_board": FieldSpec(
        "Master board", "board", "The board that recorded the file or streams the data"
    ),
    "timeout": FieldSpec("Timeout (s)", "seconds", "Connection timeout, 0 for BrainFlow's"),
    "other_info": FieldSpec("Other info", "text", "Board-specific extra information"),
    "ip_address_aux": FieldSpec("Aux IP address", "text", "IP address of the auxiliary stream"),
    "ip_port_aux": FieldSpec("Aux IP port", "port", "IP port of the auxiliary stream"),
    "ip_address_anc": FieldSpec("Anc IP address", "text", "IP address of the ancillary stream"),
    "ip_port_anc": FieldSpec("Anc IP port", "port", "IP port of the ancillary stream"),
    "file_aux": FieldSpec("Aux file", "file", "File of the auxiliary preset"),
    "file_anc": FieldSpec("Anc file", "file", "File of the ancillary preset"),
}
_PROTOCOLS = (("None", 0), ("UDP", 1), ("TCP", 2))


class ConnectionFields:
    """One editor per connection field, as rows of ``form``.

    Parameters
    ----------
    form : QFormLayout
        Gets one row per field of :data:`FIELDS` (all hidden until :meth:`show_fields`).
    boards : sequence of BoardSummary
        The master boards offered.
    on_device_changed : callable
        Called when the serial number or MAC address is edited (the montage saved for a
        device depends on them).

    Attributes
    ----------
    port_combo : QComboBox
        Editable list of the serial ports present.
    refresh_ports_button : QToolButton
    editors : dict of str to QWidget
        One editor per field.
    labels : dict of str to QLabel
        The label of each field's row (``"Serial port *"`` when the board needs it).
    """

    def __init__(
        self,
        form: QFormLayout,
        boards: list[BoardSummary],
        on_device_changed: Callable[[], None],
    ) -> None:
        self._boards = boards
        self._file_edits: dict[str, QLineEdit] = {}
        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self._rows: dict[str, int] = {}
        self._form = form
        for name, spec in FIELDS.items():
            editor = self._make_editor(name, spec)
            self.editors[name] = editor
            self.labels[name] = QLabel(spec.label)
            self.labels[name].setToolTip(spec.tip)
            form.addRow(self.labels[name], editor)
            self._rows[name] = form.rowCount() - 1
        for name in ("serial_number", "mac_address"):
            edit = self.editors[name]
            if isinstance(edit, QLineEdit):
                edit.textChanged.connect(lambda _t: on_device_changed())

    def _make_editor(self, name: str, spec: FieldSpec) -> QWidget:
        if spec.kind == "serial":
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            self.port_combo = QComboBox()
            self.port_combo.setEditable(True)
            self.port_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            self.port_combo.setToolTip(spec.tip + " (pick a port present or type one)")
            self.port_combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            self.port_combo.setMinimumContentsLength(8)
            self.refresh_ports_button = QToolButton()
            self.refresh_ports_button.setText("↻")
            self.refresh_ports_button.setToolTip("Refresh the list of serial ports")
            self.refresh_ports_button.clicked.connect(self.refresh_ports)
            row.addWidget(self.port_combo, 1)
            row.addWidget(self.refresh_ports_button)
            return box
        if spec.kind in ("port", "seconds"):
            spin = QSpinBox()
            spin.setRange(0, 65535 if spec.kind == "port" else 3600)
            spin.setSpecialValueText("not set" if spec.kind == "port" else "default")
            spin.setToolTip(spec.tip)
            return spin
        if spec.kind == "protocol":
            combo = QComboBox()
            for text, value in _PROTOCOLS:
                combo.addItem(text, value)
            combo.setToolTip(spec.tip)
            return combo
        if spec.kind == "board":
            combo = QComboBox()
            combo.setToolTip(spec.tip)
            for b in self._boards:
                if b.board_id not in PROXY_BOARDS:
                    combo.addItem(board_label(b), b.name)
            return combo
        edit = QLineEdit()
        edit.setToolTip(spec.tip)
        edit.setClearButtonEnabled(True)
        if spec.kind == "file":
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            browse = QToolButton()
            browse.setText("…")
            browse.setToolTip("Choose the file")
            browse.clicked.connect(lambda: self._browse(edit))
            row.addWidget(edit, 1)
            row.addWidget(browse)
            self._file_edits[name] = edit
            return box
        return edit

    def _browse(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(
            edit, "Choose a BrainFlow file", edit.text(), "BrainFlow files (*.csv *.txt);;All (*)"
        )
        if path:
            edit.setText(path)

    def show_fields(self, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
        """Show the rows of these fields only; required ones marked with ``*``."""
        for name, row in self._rows.items():
            self._form.setRowVisible(row, name in required or name in optional)
            mark = " *" if name in required else ""
            self.labels[name].setText(FIELDS[name].label + mark)

    def set_enabled(self, enabled: bool) -> None:
        """Let the fields be edited, or not (while a stream runs)."""
        for editor in self.editors.values():
            editor.setEnabled(enabled)

    def value(self, name: str) -> Any:
        """What the field ``name`` holds now."""
        spec = FIELDS[name]
        editor = self.editors[name]
        if spec.kind == "serial":
            return self.port_combo.currentText().strip()
        if spec.kind in ("port", "seconds"):
            assert isinstance(editor, QSpinBox)
            return int(editor.value())
        if spec.kind in ("protocol", "board"):
            assert isinstance(editor, QComboBox)
            return editor.currentData()
        if spec.kind == "file":
            return self._file_edits[name].text().strip()
        assert isinstance(editor, QLineEdit)
        return editor.text().strip()

    def set_value(self, name: str, value: Any) -> None:
        """Put ``value`` into the field ``name``."""
        spec = FIELDS[name]
        editor = self.editors[name]
        if spec.kind == "serial":
            self.port_combo.setCurrentText(str(value or ""))
        elif spec.kind in ("port", "seconds"):
            assert isinstance(editor, QSpinBox)
            editor.setValue(int(value or 0))
        elif spec.kind in ("protocol", "board"):
            assert isinstance(editor, QComboBox)
            if spec.kind == "board" and value is not None:
                try:
                    value = board_name(resolve_board(value))
                except ConfigError:
                    logger.warning("Ignored the unknown master board %r", value)
            i = editor.findData(value)
            editor.setCurrentIndex(max(i, 0))
        elif spec.kind == "file":
            self._file_edits[name].setText(str(value or ""))
        else:
            assert isinstance(editor, QLineEdit)
            editor.setText(str(value or ""))

    def refresh_ports(self) -> None:
        """List the serial ports present (the typed text stays)."""
        current = self.port_combo.currentText()
        ports = QSerialPortInfo.availablePorts()
        self.port_combo.blockSignals(True)
        self.port_combo.clear()
        for p in ports:
            location = p.systemLocation()
            detail = " — ".join(x for x in (p.description(), p.manufacturer()) if x)
            self.port_combo.addItem(location, location)
            if detail:
                self.port_combo.setItemData(
                    self.port_combo.count() - 1, detail, Qt.ItemDataRole.ToolTipRole
                )
        self.port_combo.setCurrentText(current)
        self.port_combo.blockSignals(False)
        logger.debug("Serial ports: %s", [p.systemLocation() for p in ports])
