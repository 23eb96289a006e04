"""The device panel's board list: every board by the name on its box, grouped by maker.

Test signals first (BrainFlow's synthetic board, the app's simulated subject), then every
board BrainFlow knows under its maker ("OpenBCI Cyton (8 ch, 250 Hz)", BrainFlow's id in
the tooltip), then the LSL streams visible on the network. Group headers cannot be chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QFont, QStandardItem, QStandardItemModel
from PyQt6.QtWidgets import QComboBox

from bci_desktop.core.lsl.discovery import LslStreamSummary, StreamQuery
from bci_desktop.core.sources.board_names import (
    TEST_SIGNALS,
    board_label,
    human_name,
    maker_order,
)
from bci_desktop.core.sources.boards import BoardSummary, list_boards
from bci_desktop.core.sources.factory import SIMULATED

__all__ = [
    "LSL_GROUP",
    "SIMULATED_LABEL",
    "BoardItem",
    "add_lsl_item",
    "board_items",
    "describe_lsl",
    "fill_board_combo",
    "query_name",
]

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


def describe_lsl(s: LslStreamSummary) -> str:
    """An LSL stream in one line, for the list's tooltip and the panel."""
    return (
        f"LSL stream {s.name!r} ({s.type or 'no type'}) from {s.hostname}: "
        f"{s.channel_count} channels at {s.sample_rate:g} Hz"
    )


def query_name(query: StreamQuery) -> str:
    """What an LSL query is called in the list."""
    return query.name or query.source_id or query.type or "?"


def _header(text: str, combo: QComboBox) -> QStandardItem:
    header = QStandardItem(text)
    header.setFlags(Qt.ItemFlag.NoItemFlags)
    font = QFont(combo.font())
    font.setBold(True)
    header.setFont(font)
    return header


def fill_board_combo(combo: QComboBox) -> None:
    """The boards under a header per maker; the synthetic board chosen."""
    model = QStandardItemModel(combo)
    group = None
    for item in board_items():
        if item.group != group:
            group = item.group
            model.appendRow(_header(group, combo))
        row = QStandardItem("   " + item.text)
        row.setData(item.name, Qt.ItemDataRole.UserRole)
        row.setToolTip(item.tip)
        model.appendRow(row)
    combo.setModel(model)
    combo.setCurrentIndex(combo.findData("synthetic"))


def add_lsl_item(combo: QComboBox, board: str, text: str, tip: str) -> None:
    """List (or rename) an LSL stream at the end, under the LSL group's header."""
    i = combo.findData(board)
    if i < 0:
        if combo.findText(LSL_GROUP) < 0:  # the group's header, once
            model = combo.model()
            if isinstance(model, QStandardItemModel):
                model.appendRow(_header(LSL_GROUP, combo))
        combo.addItem(text, board)
        i = combo.count() - 1
    combo.setItemText(i, text)
    combo.setItemData(i, tip or text, Qt.ItemDataRole.ToolTipRole)
