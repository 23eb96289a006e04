"""The device panel's channel names: which electrode each EEG input of the board carries.

A model reads named electrodes, so a stream whose channels have no names (a Ganglion, an
Explore) or the wrong ones (electrodes placed elsewhere than BrainFlow says) gets no
prediction. The editor shows the names the chosen board's channels will carry and where
they come from (saved for this device, saved for the board, BrainFlow, the board's default
placement, none); **Edit channel names…** opens a table with one row per input of the
board, in the order of its inputs, a preset list (the montages of the boards people own
with as many channels), and **Save** for every board of this kind or only this device
(its serial number or MAC address, when typed in the panel).

Names are checked as the command line's ``--montage`` checks them
(:mod:`bci_desktop.core.montage`), with the same messages in the window's words: 10-05
positions in any case, the old T3-T6 equal to T7, T8, P7, P8, non-scalp labels such as X1.
The saved montages live in the settings (:attr:`AppSettings.montages
<bci_desktop.core.settings.AppSettings>`); the window streams with
:meth:`ChannelEditor.montage`, so model choice and the simulated subject use it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.montage import PRESETS, Montage, MontageOrigin, board_montage
from bci_desktop.core.montage.resolve import MAX_CHANNELS, parse_montage
from bci_desktop.core.montage.saved import device_key, saved_montage
from bci_desktop.core.sources.boards import BoardSummary
from bci_desktop.core.sources.montage import SYNTHETIC_MONTAGE
from bci_desktop.gui.wording import in_window_words

__all__ = ["ChannelEditor", "MontageChange"]

logger = logging.getLogger(__name__)

#: Rows of the table shown before it scrolls.
_VISIBLE_ROWS = 8
_BAD_CELL = QColor("#e03131")
_OK_COLOUR, _ERROR_COLOUR = "#2f9e44", "#e03131"
_CHANNEL_NUMBERS = re.compile(r"channels? (\d+)(?: and (\d+))?")
#: The preset list's first entry: the names the board has without a saved montage.
_BOARD_OWN = "__board__"
_CUSTOM = "__custom__"


@dataclass(frozen=True)
class MontageChange:
    """The user saved channel names (``channels``) or forgot them (``None``), for every
    board called ``board`` or, with a serial number or MAC address, for that device only."""

    board: str
    channels: tuple[str, ...] | None
    serial_number: str = ""
    mac_address: str = ""


@dataclass(frozen=True)
class _Board:
    name: str
    title: str
    n_channels: int | None  # None: any number (the simulated subject)
    brainflow_names: tuple[str, ...] = ()


class ChannelEditor(QWidget):
    """The names of the chosen board's EEG channels: shown, edited, checked and saved.

    Signals
    -------
    montage_saved(MontageChange)
        Save or "Use the board's names" was pressed with valid names.
    resized()
        The editor needs another height (its panel refits).

    Attributes tests can read
    -------------------------
    summary : QLabel
        ``"Fp1, Fp2, … O2 · names from BrainFlow"``.
    edit_button : QToolButton
        Shows and hides the table.
    table : QTableWidget
        One row per EEG input (row 1 is input 1).
    preset_combo, scope_combo : QComboBox
        Presets of this many channels; every board or only this device.
    save_button, forget_button : QPushButton
    message : QLabel
        Why the names cannot be saved, or what was saved.
    """

    montage_saved = pyqtSignal(object)
    #: the editor's height changed (the table shown or hidden, rows added)
    resized = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._board: _Board | None = None
        self._saved: dict[str, list[str]] = {}
        self._serial = self._mac = ""
        self._filling = False

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "hint")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.edit_button = QToolButton()
        self.edit_button.setText("Edit channel names…")
        self.edit_button.setCheckable(True)
        self.edit_button.setToolTip(
            "Name the electrode on each EEG input of the board (10-05 names such as Fp1, "
            "C3, O2): models need named channels"
        )
        self.edit_button.toggled.connect(self._toggle)

        self.preset_combo = QComboBox()
        self.preset_combo.setToolTip("Fill the table with a known montage of this many channels")
        self.preset_combo.activated.connect(self._preset_chosen)
        self.table = QTableWidget(0, 1)
        self.table.setHorizontalHeaderLabels(["Electrode"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setToolTip("The board's EEG input")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setToolTip(
            "One electrode name per EEG input, input 1 first: 10-05 names in any case "
            "(old T3-T6 are fine), or X1, EXG1, AUX1, EMG1, ECG1, EOG1 for a channel that is "
            "not on the scalp"
        )
        self.table.itemChanged.connect(self._edited)
        self.add_button = QToolButton()
        self.add_button.setText("+")
        self.add_button.setToolTip("Add a channel (the simulated subject takes any number)")
        self.add_button.clicked.connect(lambda: self._resize_rows(self.table.rowCount() + 1))
        self.remove_button = QToolButton()
        self.remove_button.setText("−")
        self.remove_button.setToolTip("Remove the last channel")
        self.remove_button.clicked.connect(lambda: self._resize_rows(self.table.rowCount() - 1))
        self.scope_combo = QComboBox()
        self.scope_combo.setToolTip(
            "Save the names for every board of this kind, or only for the device whose "
            "serial number or MAC address is typed above"
        )
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip("Check the names and use them from the next connection on")
        self.save_button.clicked.connect(self._save)
        self.forget_button = QPushButton("Use the board's names")
        self.forget_button.setToolTip("Forget the names saved here (for the scope chosen)")
        self.forget_button.clicked.connect(self._forget)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.edit_button)
        head.addStretch(1)
        rows = QHBoxLayout()
        rows.setContentsMargins(0, 0, 0, 0)
        rows.addWidget(self.preset_combo, 1)
        rows.addWidget(self.add_button)
        rows.addWidget(self.remove_button)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.forget_button)
        self.area = QWidget()
        area = QVBoxLayout(self.area)
        area.setContentsMargins(0, 0, 0, 0)
        area.setSpacing(4)
        area.addLayout(rows)
        area.addWidget(self.table)
        area.addWidget(self.scope_combo)
        area.addLayout(buttons)
        area.addWidget(self.message)
        self.area.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addLayout(head)
        layout.addWidget(self.area)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    # -- what the panel tells it ----------------------------------------------------------
    def set_board(self, name: str, summary: BoardSummary | None, *, simulated: bool) -> None:
        """The board chosen (``summary``: BrainFlow's; ``None`` for the simulated subject).

        The editor hides itself for sources whose names it cannot set (LSL streams, the
        playback and streaming boards, boards without EEG).
        """
        if simulated:
            board = _Board(name, "simulated subject", None)
        elif summary is not None and summary.n_eeg > 0 and summary.sample_rate:
            title = summary.description_name or name
            board = _Board(name, f"{title} board", summary.n_eeg, tuple(summary.eeg_names))
        else:
            board = None
        self._board = board
        self.setVisible(board is not None)
        if board is not None:
            self._fill()

    def set_device(self, serial_number: str, mac_address: str) -> None:
        """The serial number and MAC address typed for the board (``""``: none)."""
        serial, mac = serial_number.strip(), mac_address.strip()
        if (serial, mac) != (self._serial, self._mac):
            self._serial, self._mac = serial, mac
            if self._board is not None:
                self._fill()

    def set_saved(self, montages: Mapping[str, Sequence[str]]) -> None:
        """The montages saved in the settings (key: board or device, value: names)."""
        self._saved = {str(k): list(v) for k, v in montages.items()}
        if self._board is not None:
            self._fill(keep_message=True)

    # -- what the window reads ------------------------------------------------------------
    def montage(self) -> Montage | None:
        """The saved montage the next connection uses (``None``: the board's own names)."""
        if self._board is None:
            return None
        return saved_montage(
            self._saved, self._board.name, serial_number=self._serial, mac_address=self._mac
        )

    def names(self) -> list[str]:
        """The names in the table, input 1 first."""
        out = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            out.append(item.text().strip() if item is not None else "")
        return out

    def set_names(self, names: Sequence[str]) -> None:
        """Put ``names`` into the table (the simulated subject takes their number)."""
        board = self._board
        if board is not None and board.n_channels is None:
            self._resize_rows(len(names))
        self._filling = True
        for row in range(self.table.rowCount()):
            text = names[row] if row < len(names) else ""
            self.table.setItem(row, 0, QTableWidgetItem(text))
        self._filling = False
        self._check()

    # -- filling ------------------------------------------------------------------------------
    def _default(self) -> Montage:
        board = self._board
        assert board is not None
        if board.n_channels is None:
            return Montage(SYNTHETIC_MONTAGE, MontageOrigin.BRAINFLOW, "synthetic")
        return board_montage(board.name, board.n_channels, brainflow_names=board.brainflow_names)

    def _fill(self, *, keep_message: bool = False) -> None:
        """Show what the next connection will use, and put it into the table."""
        board = self._board
        assert board is not None
        message = self.message.text(), self.message.styleSheet()
        own = self._default()
        device_saved = self._device_has_own()
        montage, where = own, _origin_words(own, board)
        saved = self.montage()
        if saved is not None:
            montage = saved
            where = "saved for this device" if device_saved else f"saved for every {board.title}"
        try:
            if board.n_channels is not None and saved is not None:
                board_montage(board.name, board.n_channels, given=saved, title=board.title)
            self.summary.setStyleSheet("")
            self.summary.setText(f"Channels: {_short(montage.channels)} · {where}")
        except ConfigError as exc:
            self.summary.setStyleSheet(f"QLabel {{ color: {_ERROR_COLOUR}; }}")
            self.summary.setText(f"Channels: {in_window_words(str(exc))}")
        self.summary.setToolTip(", ".join(montage.channels))
        self._fill_presets(own)
        self._fill_scope()
        fixed = board.n_channels is not None
        self.add_button.setVisible(not fixed)
        self.remove_button.setVisible(not fixed)
        if fixed:
            self._resize_rows(board.n_channels or 0)
        self.set_names(montage.channels)
        if keep_message:
            self.message.setText(message[0])
            self.message.setStyleSheet(message[1])
        else:
            self._say("")

    def _device_has_own(self) -> bool:
        """Names are saved for this very device (its serial number or MAC address)."""
        board = self._board
        assert board is not None
        if not (self._serial or self._mac):
            return False
        key = device_key(board.name, serial_number=self._serial, mac_address=self._mac)
        return key in self._saved

    def _fill_presets(self, own: Montage) -> None:
        board = self._board
        assert board is not None
        combo = self.preset_combo
        combo.clear()
        own_text = (
            "Simulated subject's 16 channels"
            if board.n_channels is None
            else (_origin_words(own, board).capitalize())
        )
        combo.addItem(own_text, _BOARD_OWN)
        for preset in PRESETS:
            if board.n_channels is None or len(preset.channels) == board.n_channels:
                combo.addItem(f"{preset.title} ({preset.name})", preset.name)
        combo.addItem("Your own names", _CUSTOM)
        combo.setCurrentIndex(combo.count() - 1)

    def _fill_scope(self) -> None:
        """Every board of this kind, or (the default once it is known) only this device."""
        board = self._board
        assert board is not None
        combo = self.scope_combo
        combo.clear()
        combo.addItem(f"For every {board.title}", "board")
        device = f"MAC {self._mac}" if self._mac else f"serial number {self._serial}"
        if self._serial or self._mac:
            combo.addItem(f"Only for this device ({device})", "device")
            combo.setCurrentIndex(1)
        combo.setVisible(combo.count() > 1)

    def _resize_rows(self, n: int) -> None:
        n = max(1, min(MAX_CHANNELS, n))
        old = self.table.rowCount()
        self.table.setRowCount(n)
        self._filling = True
        for row in range(old, n):
            self.table.setItem(row, 0, QTableWidgetItem(""))
        self._filling = False
        height = self.table.horizontalHeader().sizeHint().height() + 2 * self.table.frameWidth()
        rows = min(n, _VISIBLE_ROWS)
        self.table.setFixedHeight(height + rows * self.table.verticalHeader().defaultSectionSize())
        if rows != min(old, _VISIBLE_ROWS):
            self.resized.emit()
        if old:
            self._check()

    # -- editing ------------------------------------------------------------------------------
    def _toggle(self, shown: bool) -> None:
        self.area.setVisible(shown)
        self.edit_button.setText("Hide channel names" if shown else "Edit channel names…")
        self.resized.emit()

    def _preset_chosen(self, index: int) -> None:
        key = self.preset_combo.itemData(index)
        if key == _BOARD_OWN:
            self.set_names(self._default().channels)
        elif key != _CUSTOM:
            preset = next(p for p in PRESETS if p.name == key)
            self.set_names(preset.channels)

    def _edited(self, _item: QTableWidgetItem) -> None:
        if not self._filling:
            self.preset_combo.setCurrentIndex(self.preset_combo.count() - 1)
            self._check()

    def _validate(self) -> tuple[str, ...]:
        """The names in usual spelling, or ConfigError in the command line's words."""
        board = self._board
        assert board is not None
        names = self.names()
        if board.n_channels is None:
            return parse_montage(names).channels
        montage = board_montage(board.name, board.n_channels, given=names, title=board.title)
        return montage.channels

    def _check(self) -> bool:
        """Check the table; mark the channels a problem names; say what is wrong."""
        self._filling = True  # colouring a cell is an item change too
        try:
            return self._check_names()
        finally:
            self._filling = False

    def _check_names(self) -> bool:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None:
                item.setData(Qt.ItemDataRole.BackgroundRole, None)
        try:
            self._validate()
        except ConfigError as exc:
            text = in_window_words(str(exc))
            self._say(text, error=True)
            for m in _CHANNEL_NUMBERS.finditer(text):
                for number in filter(None, m.groups()):
                    item = self.table.item(int(number) - 1, 0)
                    if item is not None:
                        item.setBackground(_BAD_CELL)
            self.save_button.setEnabled(False)
            return False
        self._say("")
        self.save_button.setEnabled(True)
        return True

    def _say(self, text: str, *, error: bool = False) -> None:
        colour = _ERROR_COLOUR if error else _OK_COLOUR
        self.message.setStyleSheet(f"QLabel {{ color: {colour}; }}" if text else "")
        self.message.setText(text)

    def _change(self, channels: tuple[str, ...] | None) -> MontageChange:
        board = self._board
        assert board is not None
        device = self.scope_combo.currentData() == "device"
        return MontageChange(
            board.name,
            channels,
            serial_number=self._serial if device else "",
            mac_address=self._mac if device else "",
        )

    def _save(self) -> None:
        try:
            channels = self._validate()
        except ConfigError as exc:
            self._say(in_window_words(str(exc)), error=True)
            return
        change = self._change(channels)
        where = self._scope_words(change)
        logger.info("Channel names saved for %s: %s", where, ", ".join(channels))
        self._say(f"Saved for {where}: used from the next connection on.")
        self.montage_saved.emit(change)  # (a refusal replaces the message)

    def _forget(self) -> None:
        change = self._change(None)
        self._say(f"The names saved for {self._scope_words(change)} are forgotten.")
        self.montage_saved.emit(change)

    def _scope_words(self, change: MontageChange) -> str:
        title = self._board.title if self._board is not None else change.board
        if change.mac_address:
            return f"the {title} with MAC address {change.mac_address}"
        if change.serial_number:
            return f"the {title} with serial number {change.serial_number}"
        return f"every {title}"

    def show_error(self, text: str) -> None:
        """Say why the window could not save the names."""
        self._say(in_window_words(text), error=True)


def _origin_words(montage: Montage, board: _Board) -> str:
    if board.n_channels is None:
        return "the simulated subject's 16 channels"
    if montage.origin is MontageOrigin.BRAINFLOW:
        return "names from BrainFlow"
    if montage.origin is MontageOrigin.DEFAULT_PLACEMENT:
        return "default placement: check that it matches your electrodes"
    return "no electrode names: name them to get predictions"


def _short(names: Sequence[str], limit: int = 8) -> str:
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} … ({len(names)} channels)"
