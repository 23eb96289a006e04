"""The device panel: pick a board, fill in how to reach it, connect and see the state.

Boards are listed by the names on their boxes, grouped by maker ("OpenBCI Cyton (8 ch,
250 Hz)", BrainFlow's id in the tooltip): the test signals first (BrainFlow's synthetic
board, the app's simulated subject), then every board BrainFlow knows, then the LSL streams
visible on the network (:meth:`DevicePanel.set_lsl_streams`, refreshed by
:mod:`bci_desktop.gui.lsl`). Only the connection fields the chosen board uses are shown
(required ones marked with ``*``); values typed for other boards are kept, so switching
back and forth loses nothing. While a recording is replayed the panel describes the
recording instead of a board.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont, QResizeEvent, QStandardItem, QStandardItemModel
from PyQt6.QtSerialPort import QSerialPortInfo
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.lsl.discovery import LslStreamSummary, StreamQuery, is_lsl_board
from bci_desktop.core.session import StreamState
from bci_desktop.core.sources.board_names import (
    TEST_SIGNALS,
    board_label,
    human_name,
    maker_order,
)
from bci_desktop.core.sources.boards import (
    PROXY_BOARDS,
    BoardSummary,
    ConnectionParams,
    board_name,
    list_boards,
    resolve_board,
)
from bci_desktop.core.sources.factory import SIMULATED, is_simulated
from bci_desktop.gui.wording import in_window_words

__all__ = ["STATE_STYLE", "DevicePanel", "FieldSpec"]

logger = logging.getLogger(__name__)

#: Word and colour of each state (the word always comes with the colour).
STATE_STYLE: dict[StreamState, tuple[str, str]] = {
    StreamState.IDLE: ("Disconnected", "#868e96"),
    StreamState.CONNECTING: ("Connecting…", "#e8a317"),
    StreamState.STREAMING: ("Streaming", "#2f9e44"),
    StreamState.SIGNAL_LOST: ("Signal lost", "#e03131"),
    StreamState.PAUSED: ("Paused", "#e8a317"),
    StreamState.ENDED: ("Ended", "#868e96"),
    StreamState.ERROR: ("Error", "#e03131"),
}


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


#: The group of the LSL streams in the board list.
LSL_GROUP = "LSL streams"
#: The simulated subject as the board list shows it.
SIMULATED_LABEL = "Simulated subject (16 ch, 250 Hz, known emotion)"


@dataclass(frozen=True)
class BoardItem:
    """One entry of the board list."""

    name: str  # what the settings and the command line call it ("cyton", "simulated")
    text: str  # what the list shows
    tip: str
    group: str  # the maker


def board_items() -> list[BoardItem]:
    """Every board, in the order of the list: grouped by maker (test signals first)."""
    items = [
        BoardItem(
            SIMULATED,
            SIMULATED_LABEL,
            "The app's simulated subject: EEG-like data whose emotional state follows a "
            "script, so the emotion panel can show the truth beside the prediction. "
            "(Command line: --board simulated)",
            TEST_SIGNALS,
        )
    ]
    for b in list_boards():
        maker = human_name(b.board_id, brainflow_name=b.description_name).maker
        items.append(BoardItem(b.name, board_label(b), _describe(b), maker))
    # Stable sort: within a group, BrainFlow's order (the synthetic board before the
    # simulated subject, models by id).
    items.sort(key=lambda i: (maker_order(i.group), i.name != "synthetic"))
    return items


def _describe(b: BoardSummary) -> str:
    rate = f"{b.sample_rate} Hz" if b.sample_rate else "rate of its master board"
    eeg = f"{b.n_eeg} EEG channels" if b.n_eeg else "EEG channels of its master board"
    return (
        f"BrainFlow board id {b.board_id} ({b.enum_name}; command line: --board {b.name}): "
        f"{rate}, {eeg}"
    )


def _describe_lsl(s: LslStreamSummary) -> str:
    return (
        f"LSL stream {s.name!r} ({s.type or 'no type'}) from {s.hostname}: "
        f"{s.channel_count} channels at {s.sample_rate:g} Hz"
    )


def _query_name(query: StreamQuery) -> str:
    return query.name or query.source_id or query.type or "?"


class DevicePanel(QWidget):
    """Board picker, connection fields, Connect/Disconnect and the connection state.

    Signals
    -------
    connect_requested()
        The user asked to connect (button or shortcut).
    disconnect_requested()
        The user asked to disconnect.

    Attributes
    ----------
    board_combo : QComboBox
        Every board; item data is the board name.
    port_combo : QComboBox
        Editable list of the serial ports present.
    connect_button, disconnect_button, refresh_ports_button : QPushButton / QToolButton
    state_label : QLabel
        The state word (and error message), coloured.
    """

    connect_requested = pyqtSignal()
    disconnect_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._summaries = {b.name: b for b in list_boards()}
        self._lsl: dict[str, LslStreamSummary] = {}
        self._state = StreamState.IDLE
        self._replaying = False
        self._editors: dict[str, QWidget] = {}
        self._values: dict[str, Any] = {}
        self._file_edits: dict[str, QLineEdit] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        self.board_combo = QComboBox()
        self.board_combo.setToolTip("The board to stream from (BrainFlow's boards by name)")
        self.board_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.board_combo.setMinimumContentsLength(14)
        self._fill_board_list()
        self.board_info = QLabel()
        self.board_info.setWordWrap(True)
        self.board_info.setProperty("role", "hint")

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.addRow("Board", self.board_combo)
        self._board_row = self.form.rowCount() - 1
        self.recording_label = QLabel()
        self.recording_label.setWordWrap(True)
        self.recording_label.setToolTip("The recording being replayed")
        self.form.addRow("Replaying", self.recording_label)
        self._recording_row = self.form.rowCount() - 1
        self.form.setRowVisible(self._recording_row, False)
        self.form.addRow(self.board_info)
        self._rows: dict[str, int] = {}
        self._labels: dict[str, QLabel] = {}
        for name, spec in FIELDS.items():
            editor = self._make_editor(name, spec)
            self._editors[name] = editor
            self._labels[name] = QLabel(spec.label)
            self._labels[name].setToolTip(spec.tip)
            self.form.addRow(self._labels[name], editor)
            self._rows[name] = self.form.rowCount() - 1
        self.speed_box = QDoubleSpinBox()
        self.speed_box.setRange(0.1, 100.0)
        self.speed_box.setDecimals(1)
        self.speed_box.setSingleStep(0.5)
        self.speed_box.setValue(1.0)
        self.speed_box.setSuffix(" ×")
        self.speed_box.setToolTip("Simulated subject: how many times faster than real time")
        self.form.addRow("Speed", self.speed_box)
        self._speed_row = self.form.rowCount() - 1
        self.required_note = QLabel("* required for this board")
        self.required_note.setProperty("role", "hint")
        self.form.addRow(self.required_note)
        self._note_row = self.form.rowCount() - 1
        layout.addLayout(self.form)

        buttons = QHBoxLayout()
        self.connect_button = QPushButton("Connect")
        self.connect_button.setToolTip("Connect to the chosen board and stream (Ctrl+K)")
        self.disconnect_button = QPushButton("Disconnect")
        self.disconnect_button.setToolTip("Stop streaming and release the board (Ctrl+Shift+K)")
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.disconnect_button)
        layout.addLayout(buttons)

        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.state_label.setToolTip("Connection state")
        layout.addWidget(self.state_label)
        layout.addStretch(1)

        self.connect_button.clicked.connect(self.connect_requested)
        self.disconnect_button.clicked.connect(self.disconnect_requested)
        self.board_combo.currentIndexChanged.connect(self._board_changed)
        self.refresh_ports()
        self._board_changed()
        self.set_state(StreamState.IDLE, "")

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        """Keep the height the wrapped texts need at the new width."""
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """Ask for the height the content needs at the current width: a dock area does not
        follow height-for-width, and wrapped labels would be squeezed over each other."""
        layout = self.layout()
        if layout is None or not layout.hasHeightForWidth():
            return
        need = layout.totalHeightForWidth(max(self.width(), 1))
        if need != self.minimumHeight():
            self.setMinimumHeight(need)

    def _fill_board_list(self) -> None:
        """The boards under a header per maker (headers cannot be chosen)."""
        model = QStandardItemModel(self.board_combo)
        group = None
        for item in board_items():
            if item.group != group:
                group = item.group
                header = QStandardItem(group)
                header.setFlags(Qt.ItemFlag.NoItemFlags)
                font = QFont(self.board_combo.font())
                font.setBold(True)
                header.setFont(font)
                model.appendRow(header)
            row = QStandardItem("   " + item.text)
            row.setData(item.name, Qt.ItemDataRole.UserRole)
            row.setToolTip(item.tip)
            model.appendRow(row)
        self.board_combo.setModel(model)
        self.board_combo.setCurrentIndex(self.board_combo.findData("synthetic"))

    # -- editors -------------------------------------------------------------------------
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
        if spec.kind == "port":
            spin = QSpinBox()
            spin.setRange(0, 65535)
            spin.setSpecialValueText("not set")
            spin.setToolTip(spec.tip)
            return spin
        if spec.kind == "seconds":
            spin = QSpinBox()
            spin.setRange(0, 3600)
            spin.setSpecialValueText("default")
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
            for b in self._summaries.values():
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
            self, "Choose a BrainFlow file", edit.text(), "BrainFlow files (*.csv *.txt);;All (*)"
        )
        if path:
            edit.setText(path)

    def _editor_value(self, name: str) -> Any:
        spec = FIELDS[name]
        editor = self._editors[name]
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

    def _set_editor_value(self, name: str, value: Any) -> None:
        spec = FIELDS[name]
        editor = self._editors[name]
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

    # -- board ---------------------------------------------------------------------------
    def board(self) -> str:
        """Name of the chosen board (``"simulated"`` for the simulated subject)."""
        return str(self.board_combo.currentData())

    def set_board(self, name: str) -> bool:
        """Choose a board by name; return False (and keep the current one) if unknown. An
        LSL stream not visible now is listed as such (it may start later)."""
        i = self.board_combo.findData(name)
        if i < 0 and is_lsl_board(name):
            try:
                query = StreamQuery.parse(name)
            except ConfigError:
                return False
            self._add_lsl_item(query.board, f"LSL: {_query_name(query)} (not visible now)", "")
            i = self.board_combo.findData(query.board)
        if i < 0:
            return False
        self.board_combo.setCurrentIndex(i)
        return True

    def board_text(self) -> str:
        """The chosen board as the list shows it, e.g. ``"OpenBCI Cyton (8 ch, 250 Hz)"``."""
        return self.board_combo.currentText().strip()

    def show_replay(self, description: str | None) -> None:
        """While a recording is replayed, describe it (``description``) instead of the
        board, its fields and the simulated subject's speed; ``None`` shows the board
        again."""
        replaying = description is not None
        self._replaying = replaying
        self.recording_label.setText(description or "")
        self.form.setRowVisible(self._recording_row, replaying)
        self.form.setRowVisible(self._board_row, not replaying)
        self._board_changed()

    def set_lsl_streams(self, streams: list[LslStreamSummary]) -> None:
        """List these LSL streams after the boards (the chosen one stays, marked when it is
        no longer visible)."""
        combo = self.board_combo
        current = self.board()
        wanted = {s.query.board: s for s in streams if s.is_signal}
        combo.blockSignals(True)
        for i in reversed(range(combo.count())):
            data = str(combo.itemData(i))
            if is_lsl_board(data) and data not in wanted and data != current:
                combo.removeItem(i)
        for board, s in wanted.items():
            self._add_lsl_item(board, f"LSL: {s.label}", _describe_lsl(s))
        if is_lsl_board(current) and current not in wanted:
            i = combo.findData(current)
            text = combo.itemText(i)
            if i >= 0 and not text.endswith("(not visible now)"):
                combo.setItemText(i, f"{text} (not visible now)")
        combo.setCurrentIndex(max(combo.findData(current), 0))
        combo.blockSignals(False)
        self._lsl = wanted
        if is_lsl_board(current):
            self._board_changed()

    def _add_lsl_item(self, board: str, text: str, tip: str) -> None:
        combo = self.board_combo
        i = combo.findData(board)
        if i < 0:
            if combo.findText(LSL_GROUP) < 0:  # the group's header, once
                header = QStandardItem(LSL_GROUP)
                header.setFlags(Qt.ItemFlag.NoItemFlags)
                font = QFont(combo.font())
                font.setBold(True)
                header.setFont(font)
                model = combo.model()
                if isinstance(model, QStandardItemModel):
                    model.appendRow(header)
            combo.addItem(text, board)
            i = combo.count() - 1
        combo.setItemText(i, text)
        combo.setItemData(i, tip or text, Qt.ItemDataRole.ToolTipRole)

    def fields_for(self, board: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Connection fields (required, optional) the panel shows for ``board``."""
        if is_simulated(board):
            return (), ()
        b = self._summaries.get(board)
        if b is None:
            return (), ()
        return b.connection, b.connection_optional

    def _board_changed(self) -> None:
        board = self.board()
        required, optional = self.fields_for(board)
        replaying = self._replaying
        for name, row in self._rows.items():
            shown = (name in required or name in optional) and not replaying
            self.form.setRowVisible(row, shown)
            mark = " *" if name in required else ""
            self._labels[name].setText(FIELDS[name].label + mark)
        self.form.setRowVisible(self._speed_row, is_simulated(board) and not replaying)
        self.form.setRowVisible(self._note_row, bool(required) and not replaying)
        self.form.setRowVisible(self.board_info, not replaying)
        # The whole name under the list (which may be too narrow for it), its id in the
        # tooltip.
        self.board_combo.setToolTip(
            self.board_combo.currentData(Qt.ItemDataRole.ToolTipRole) or ""
        )
        if is_simulated(board):
            self.board_info.setText(f"{SIMULATED_LABEL}: the true state is known")
        elif is_lsl_board(board):
            s = self._lsl.get(board)
            self.board_info.setText(_describe_lsl(s) if s else "Not visible on the network now")
        else:
            b = self._summaries.get(board)
            self.board_info.setText(board_label(b) if b else "")
        self._fit_height()

    # -- connection fields ----------------------------------------------------------------
    def connection_dict(self) -> dict[str, Any]:
        """Every connection field typed so far (for the settings), defaults left out."""
        defaults = ConnectionParams().to_dict()
        out: dict[str, Any] = {}
        for name in FIELDS:
            value = self._editor_value(name)
            if name == "master_board" and name not in self._shown_fields():
                value = self._values.get(name, defaults[name])
            if value != defaults[name] and value not in ("", None):
                out[name] = value
        return out

    def _shown_fields(self) -> tuple[str, ...]:
        required, optional = self.fields_for(self.board())
        return (*required, *optional)

    def set_connection(self, values: dict[str, Any]) -> None:
        """Fill the fields from a dict of :class:`ConnectionParams` fields."""
        self._values = dict(values)
        for name in FIELDS:
            if name in values:
                self._set_editor_value(name, values[name])

    def connection_params(self) -> ConnectionParams:
        """The fields the chosen board uses, as :class:`ConnectionParams`.

        Raises
        ------
        ConfigError
            If a field holds a value BrainFlow cannot take.
        """
        shown = self._shown_fields()
        given = {name: self._editor_value(name) for name in shown if name in FIELDS}
        if "master_board" in given and not given["master_board"]:
            given.pop("master_board")
        return ConnectionParams(**given)

    def speed(self) -> float:
        """Speed of the simulated subject."""
        return float(self.speed_box.value())

    def set_speed(self, value: float) -> None:
        """Set the speed of the simulated subject."""
        self.speed_box.setValue(float(value))

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

    # -- state ---------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """The state shown: disconnected, connecting, streaming or error."""
        return self._state

    def state_text(self) -> str:
        """The text of the state label."""
        return self.state_label.text()

    def set_state(self, state: StreamState, message: str) -> None:
        """Show a state (word and colour) and enable the controls that make sense in it."""
        self._state = state
        word, colour = STATE_STYLE[state]
        message = in_window_words(message)
        text = word
        if state in (StreamState.ERROR, StreamState.ENDED, StreamState.PAUSED) and message:
            text = f"{word}: {message}"
        elif state is StreamState.STREAMING and message:
            text = f"{word} — {message.removeprefix('Streaming ')}"
        self.state_label.setText(text)
        self.state_label.setStyleSheet(
            f"QLabel {{ color: {colour}; font-weight: bold; border: 2px solid {colour};"
            " border-radius: 4px; padding: 4px; }"
        )
        idle = not state.active
        self.connect_button.setEnabled(idle)
        self.disconnect_button.setEnabled(not idle)
        self.board_combo.setEnabled(idle)
        self._fit_height()
        for editor in self._editors.values():
            editor.setEnabled(idle)
        self.speed_box.setEnabled(idle)
