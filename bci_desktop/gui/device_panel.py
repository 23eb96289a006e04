"""The device panel: pick a board, fill in how to reach it, connect and see the state.

Boards are listed by the names on their boxes, grouped by maker ("OpenBCI Cyton (8 ch,
250 Hz)", BrainFlow's id in the tooltip): the test signals first (BrainFlow's synthetic
board, the app's simulated subject), then every board BrainFlow knows, then the LSL streams
visible on the network (:meth:`DevicePanel.set_lsl_streams`, refreshed by
:mod:`bci_desktop.gui.lsl`). Only the connection fields the chosen board uses are shown
(required ones marked with ``*``); values typed for other boards are kept, so switching
back and forth loses nothing. Under them, the names of the board's EEG channels and their
editor (:mod:`bci_desktop.gui.channel_editor`); Connect streams with the names saved for
the board or device (:meth:`DevicePanel.montage`). While a recording is replayed the panel
describes the recording instead of a board.

The board list is :mod:`bci_desktop.gui.board_list`, the connection fields
:mod:`bci_desktop.gui.connection_fields`.
"""

from __future__ import annotations

import logging
from typing import Any

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QResizeEvent
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.lsl.discovery import LslStreamSummary, StreamQuery, is_lsl_board
from bci_desktop.core.montage import Montage
from bci_desktop.core.session import StreamState
from bci_desktop.core.sources.board_names import board_label
from bci_desktop.core.sources.boards import ConnectionParams, list_boards
from bci_desktop.core.sources.factory import is_simulated
from bci_desktop.gui.board_list import (
    SIMULATED_LABEL,
    add_lsl_item,
    describe_lsl,
    fill_board_combo,
    query_name,
)
from bci_desktop.gui.channel_editor import ChannelEditor
from bci_desktop.gui.connection_fields import FIELDS, ConnectionFields, FieldSpec
from bci_desktop.gui.wording import in_window_words

__all__ = ["FIELDS", "STATE_STYLE", "DevicePanel", "FieldSpec"]

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


class DevicePanel(QWidget):
    """Board picker, connection fields, Connect/Disconnect and the connection state.

    Signals
    -------
    connect_requested()
        The user asked to connect (button or shortcut).
    disconnect_requested()
        The user asked to disconnect.
    montage_saved(MontageChange)
        The user saved channel names (:attr:`channel_editor`).

    Attributes
    ----------
    board_combo : QComboBox
        Every board; item data is the board name.
    port_combo : QComboBox
        Editable list of the serial ports present.
    connect_button, disconnect_button, refresh_ports_button : QPushButton / QToolButton
    state_label : QLabel
        The state word (and error message), coloured.
    channel_editor : ChannelEditor
        The names of the chosen board's EEG channels.
    """

    connect_requested = pyqtSignal()
    disconnect_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._summaries = {b.name: b for b in list_boards()}
        self._lsl: dict[str, LslStreamSummary] = {}
        self._state = StreamState.IDLE
        self._replaying = False
        self._values: dict[str, Any] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        self.board_combo = QComboBox()
        self.board_combo.setToolTip("The board to stream from (BrainFlow's boards by name)")
        self.board_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.board_combo.setMinimumContentsLength(14)
        fill_board_combo(self.board_combo)
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
        self.fields = ConnectionFields(
            self.form, list(self._summaries.values()), self._device_changed
        )
        self.port_combo = self.fields.port_combo
        self.refresh_ports_button = self.fields.refresh_ports_button
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
        self.channel_editor = ChannelEditor()
        self.montage_saved = self.channel_editor.montage_saved
        self.channel_editor.resized.connect(lambda: QTimer.singleShot(0, self._fit_height))
        layout.addWidget(self.channel_editor)

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
            text = f"LSL: {query_name(query)} (not visible now)"
            add_lsl_item(self.board_combo, query.board, text, "")
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
            add_lsl_item(combo, board, f"LSL: {s.label}", describe_lsl(s))
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
        self.fields.show_fields(() if replaying else required, () if replaying else optional)
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
            self.board_info.setText(describe_lsl(s) if s else "Not visible on the network now")
        else:
            b = self._summaries.get(board)
            self.board_info.setText(board_label(b) if b else "")
        self.channel_editor.set_board(
            board, self._summaries.get(board), simulated=is_simulated(board)
        )
        if replaying:
            self.channel_editor.hide()
        self._device_changed()

    # -- connection fields ----------------------------------------------------------------
    def connection_dict(self) -> dict[str, Any]:
        """Every connection field typed so far (for the settings), defaults left out."""
        defaults = ConnectionParams().to_dict()
        out: dict[str, Any] = {}
        for name in FIELDS:
            value = self.fields.value(name)
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
                self.fields.set_value(name, values[name])

    def connection_params(self) -> ConnectionParams:
        """The fields the chosen board uses, as :class:`ConnectionParams`.

        Raises
        ------
        ConfigError
            If a field holds a value BrainFlow cannot take.
        """
        shown = self._shown_fields()
        given = {name: self.fields.value(name) for name in shown if name in FIELDS}
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
        self.fields.refresh_ports()

    # -- channel names --------------------------------------------------------------------
    def _device_changed(self) -> None:
        """The serial number or MAC address typed for the chosen board changed."""
        shown = self._shown_fields()
        serial = self.fields.value("serial_number") if "serial_number" in shown else ""
        mac = self.fields.value("mac_address") if "mac_address" in shown else ""
        self.channel_editor.set_device(serial, mac)
        self._fit_height()

    def set_saved_montages(self, montages: dict[str, list[str]]) -> None:
        """The channel names saved in the settings, per board and per device."""
        self.channel_editor.set_saved(montages)
        self._fit_height()

    def montage(self) -> Montage | None:
        """The channel names saved for the chosen board or device (``None``: its own)."""
        return self.channel_editor.montage()

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
        self.fields.set_enabled(idle)
        self.channel_editor.setEnabled(idle)
        self.speed_box.setEnabled(idle)
