"""The BrainFlow boards a user can pick, by name, and the settings used to connect to them.

A board has a *user name*: BrainFlow's enum name in lower case without ``_BOARD``
(``SYNTHETIC_BOARD`` -> ``"synthetic"``, ``CYTON_DAISY_BOARD`` -> ``"cyton_daisy"``,
``MUSE_2_BOARD`` -> ``"muse_2"``, ``PLAYBACK_FILE_BOARD`` -> ``"playback_file"``).
:func:`resolve_board` turns a name, an enum name or an id into BrainFlow's board id;
:func:`list_boards` describes every board BrainFlow knows; :class:`ConnectionParams` is
BrainFlow's ``BrainFlowInputParams`` as a typed, frozen, serialisable value.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import logging
import re
from dataclasses import dataclass
from typing import Any, ClassVar

from brainflow.board_shim import (
    BoardIds,
    BoardShim,
    BrainFlowInputParams,
    IpProtocolTypes,
)
from brainflow.exit_codes import BrainFlowError

from bci_desktop.core.errors import ConfigError

logger = logging.getLogger(__name__)

# BrainFlow's board logger writes to stderr by default; we stay quiet unless asked
# (see bci_desktop.core.sources.brainflow_source.enable_brainflow_log).
BoardShim.disable_board_logger()

__all__ = [
    "BoardSummary",
    "ConnectionParams",
    "board_name",
    "connection_hint",
    "list_boards",
    "option_flag",
    "resolve_board",
]

_LIST_HINT = "Run 'bci-desktop boards' to list them."
_INT_RE = re.compile(r"[+-]?\d+")

#: Boards whose data layout (and description) is that of ``params.master_board``.
PROXY_BOARDS: frozenset[int] = frozenset(
    {BoardIds.PLAYBACK_FILE_BOARD.value, BoardIds.STREAMING_BOARD.value}
)


def _user_name(member: BoardIds) -> str:
    """``CYTON_DAISY_BOARD`` -> ``cyton_daisy``; ``NEUROPAWN_KNIGHT_BOARD_IMU`` -> ``..._imu``."""
    return member.name.replace("_BOARD", "").lower()


def _members() -> tuple[BoardIds, ...]:
    """Every selectable board (all but ``NO_BOARD``), synthetic first, then by id."""
    members = [m for m in BoardIds if m is not BoardIds.NO_BOARD]
    members.sort(key=lambda m: (m is not BoardIds.SYNTHETIC_BOARD, m.value))
    return tuple(members)


# ---------------------------------------------------------------------------------------------
# Connection hints: which BrainFlowInputParams fields a board needs (required, optional).
# Best effort, from BrainFlow's "Supported Boards" page; BrainFlow itself is the authority.
# ---------------------------------------------------------------------------------------------
_SERIAL = (("serial_port",), ())
_NATIVE_BLE = ((), ("mac_address", "serial_number"))
_WIFI_SHIELD = (("ip_port",), ("ip_address", "timeout"))
_BLED_MUSE = (("serial_port",), ("serial_number",))
_BT_CLASSIC = ((), ("mac_address",))

_CONNECTION_HINTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "PLAYBACK_FILE_BOARD": (("file", "master_board"), ("file_aux", "file_anc")),
    "STREAMING_BOARD": (
        ("ip_address", "ip_port", "master_board"),
        ("ip_address_aux", "ip_port_aux", "ip_address_anc", "ip_port_anc"),
    ),
    "SYNTHETIC_BOARD": ((), ()),
    "CYTON_BOARD": _SERIAL,
    "CYTON_DAISY_BOARD": _SERIAL,
    "GANGLION_BOARD": (("serial_port",), ("mac_address", "timeout")),
    "GANGLION_NATIVE_BOARD": _NATIVE_BLE,
    "GANGLION_WIFI_BOARD": _WIFI_SHIELD,
    "CYTON_WIFI_BOARD": _WIFI_SHIELD,
    "CYTON_DAISY_WIFI_BOARD": _WIFI_SHIELD,
    "GALEA_BOARD": ((), ("ip_address", "timeout")),
    "BRAINBIT_BOARD": ((), ("serial_number", "timeout")),
    "BRAINBIT_BLED_BOARD": (("serial_port",), ("mac_address",)),
    "CALLIBRI_EEG_BOARD": ((), ("other_info", "timeout")),
    "CALLIBRI_EMG_BOARD": ((), ("other_info", "timeout")),
    "CALLIBRI_ECG_BOARD": ((), ("other_info", "timeout")),
    "UNICORN_BOARD": ((), ("serial_number",)),
    "NOTION_1_BOARD": ((), ("serial_number",)),
    "NOTION_2_BOARD": ((), ("serial_number",)),
    "CROWN_BOARD": ((), ("serial_number",)),
    "FREEEEG32_BOARD": _SERIAL,
    "FREEEEG128_BOARD": _SERIAL,
    "MUSE_S_BLED_BOARD": _BLED_MUSE,
    "MUSE_2_BLED_BOARD": _BLED_MUSE,
    "MUSE_2016_BLED_BOARD": _BLED_MUSE,
    "MUSE_S_BOARD": _NATIVE_BLE,
    "MUSE_2_BOARD": _NATIVE_BLE,
    "MUSE_2016_BOARD": _NATIVE_BLE,
    "MUSE_S_ATHENA_BOARD": _NATIVE_BLE,
    "BRAINALIVE_BOARD": _NATIVE_BLE,
    "ENOPHONE_BOARD": _BT_CLASSIC,
    "EXPLORE_4_CHAN_BOARD": _BT_CLASSIC,
    "EXPLORE_8_CHAN_BOARD": _BT_CLASSIC,
    "EXPLORE_PLUS_8_CHAN_BOARD": _BT_CLASSIC,
    "EXPLORE_PLUS_32_CHAN_BOARD": _BT_CLASSIC,
    "EMOTIBIT_BOARD": ((), ("ip_address", "serial_number")),
    "PIEEG_BOARD": ((), ("serial_port",)),
    "NEUROPAWN_KNIGHT_BOARD": _SERIAL,
    "NEUROPAWN_KNIGHT_BOARD_IMU": _SERIAL,
    "BIOLISTENER_BOARD": ((), ("ip_address", "ip_port", "timeout")),
    "SHIMMER3_BOARD": ((), ("serial_port",)),
}


def connection_hint(board: str | int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the connection fields a board needs, as ``(required, optional)``.

    This is a hint from a small table transcribed from BrainFlow's documentation, not a
    guarantee: boards missing from the table give ``((), ())``.

    Parameters
    ----------
    board : str | int
        Anything :func:`resolve_board` accepts.

    Returns
    -------
    required, optional : tuple of str
        :class:`ConnectionParams` field names.
    """
    member = BoardIds(resolve_board(board))
    return _CONNECTION_HINTS.get(member.name, ((), ()))


def option_flag(field_name: str) -> str:
    """Command-line flag of a connection field: ``serial_port`` -> ``--serial-port``."""
    return "--" + field_name.replace("_", "-")


# ---------------------------------------------------------------------------------------------
# Board names
# ---------------------------------------------------------------------------------------------
def _lookup() -> dict[str, int]:
    """Accepted spellings (normalised) -> board id."""
    table: dict[str, int] = {}
    for member in _members():
        table[_user_name(member)] = member.value
        table[member.name.lower()] = member.value
    return table


def _normalise(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _check_id(board_id: int, shown: object) -> int:
    valid = {m.value for m in _members()}
    if board_id not in valid:
        raise ConfigError(
            f"Unknown board {shown!r} (no BrainFlow board has id {board_id}). {_LIST_HINT}"
        )
    return board_id


def resolve_board(board: str | int) -> int:
    """Return the BrainFlow board id for a board name, enum name or id.

    Parameters
    ----------
    board : str | int
        A user name (``"synthetic"``, ``"cyton_daisy"``, ``"muse_2"``), BrainFlow's enum name
        in any case (``"Synthetic_Board"``), a :class:`brainflow.board_shim.BoardIds` member,
        or an id as an int or a string (``-1``, ``" 0 "``). Hyphens and spaces count as
        underscores.

    Returns
    -------
    int
        The board id.

    Raises
    ------
    ConfigError
        If no board matches; the message suggests the closest name.
    """
    if isinstance(board, bool):
        raise ConfigError(f"Invalid value for the 'board' parameter: got {board!r}. {_LIST_HINT}")
    if isinstance(board, enum.Enum):
        board = int(board.value)
    if isinstance(board, int):
        return _check_id(board, board)
    if not isinstance(board, str):
        raise ConfigError(
            f"Invalid value for the 'board' parameter: expected a board name or id, got "
            f"{board!r} ({type(board).__name__}). {_LIST_HINT}"
        )
    text = board.strip()
    if _INT_RE.fullmatch(text):
        return _check_id(int(text), board)
    key = _normalise(text)
    table = _lookup()
    if key in table:
        return table[key]
    names = [_user_name(m) for m in _members()]
    close = difflib.get_close_matches(key, names, n=1)
    suggestion = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"Unknown board {board!r}.{suggestion} {_LIST_HINT}")


def board_name(board_id: int) -> str:
    """Return the user name of a board id (``-1`` -> ``"synthetic"``).

    Raises
    ------
    ConfigError
        If ``board_id`` is not a selectable BrainFlow board.
    """
    return _user_name(BoardIds(resolve_board(board_id)))


# ---------------------------------------------------------------------------------------------
# Board list
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardSummary:
    """What a user needs to know to pick a board.

    Parameters
    ----------
    board_id : int
        BrainFlow board id.
    name : str
        User name, e.g. ``"cyton_daisy"``.
    enum_name : str
        BrainFlow's enum name, e.g. ``"CYTON_DAISY_BOARD"``.
    sample_rate : int | None
        Sampling rate of the default preset, ``None`` when BrainFlow gives none (playback
        and streaming boards take the master board's).
    eeg_names : tuple of str
        Electrode names from BrainFlow's description (empty when it has none).
    n_eeg : int
        Number of EEG rows.
    connection : tuple of str
        :class:`ConnectionParams` fields this board needs. A hint from a small table, not a
        guarantee (see :func:`connection_hint`).
    connection_optional : tuple of str
        Fields the board can use but does not need (also a hint).
    description_name : str | None
        BrainFlow's own name of the board (``"CytonDaisy"``), ``None`` if unavailable.
    """

    board_id: int
    name: str
    enum_name: str
    sample_rate: int | None
    eeg_names: tuple[str, ...]
    n_eeg: int
    connection: tuple[str, ...]
    connection_optional: tuple[str, ...] = ()
    description_name: str | None = None


def board_description(board_id: int, preset: int = 0) -> dict[str, Any] | None:
    """Return BrainFlow's description of a board, or ``None`` when BrainFlow has none."""
    try:
        return dict(BoardShim.get_board_descr(board_id, preset))
    except BrainFlowError as err:
        logger.debug("No BrainFlow description for board %s preset %s: %s", board_id, preset, err)
        return None


def _summary(member: BoardIds) -> BoardSummary:
    descr = board_description(member.value) or {}
    rate = descr.get("sampling_rate")
    eeg_rows = descr.get("eeg_channels") or []
    names_txt = descr.get("eeg_names")
    eeg_names = (
        tuple(n.strip() for n in names_txt.split(",")) if isinstance(names_txt, str) else ()
    )
    required, optional = _CONNECTION_HINTS.get(member.name, ((), ()))
    return BoardSummary(
        board_id=member.value,
        name=_user_name(member),
        enum_name=member.name,
        sample_rate=int(rate) if rate is not None else None,
        eeg_names=eeg_names,
        n_eeg=len(eeg_rows),
        connection=required,
        connection_optional=optional,
        description_name=descr.get("name"),
    )


def list_boards() -> tuple[BoardSummary, ...]:
    """Describe every board BrainFlow supports (all but ``NO_BOARD``), synthetic first.

    A board whose description BrainFlow cannot give is still listed, with ``None``/empty
    fields.
    """
    return tuple(_summary(m) for m in _members())


# ---------------------------------------------------------------------------------------------
# Connection parameters
# ---------------------------------------------------------------------------------------------
_PROTOCOLS = tuple(int(p.value) for p in IpProtocolTypes)


@dataclass(frozen=True)
class ConnectionParams:
    """How to reach a board: BrainFlow's ``BrainFlowInputParams`` as a frozen value.

    Every field has BrainFlow's name and default; see BrainFlow's "Supported Boards" page
    for which board uses which. ``master_board`` (for the playback-file and streaming
    boards) takes a board name or id and is resolved with :func:`resolve_board`.

    Raises
    ------
    ConfigError
        On construction, if a field has the wrong type or an impossible value.
    """

    serial_port: str = ""
    mac_address: str = ""
    ip_address: str = ""
    ip_address_aux: str = ""
    ip_address_anc: str = ""
    ip_port: int = 0
    ip_port_aux: int = 0
    ip_port_anc: int = 0
    ip_protocol: int = 0
    other_info: str = ""
    timeout: int = 0
    serial_number: str = ""
    file: str = ""
    file_aux: str = ""
    file_anc: str = ""
    master_board: int | str | None = None

    _STR_FIELDS: ClassVar[tuple[str, ...]] = (
        "serial_port", "mac_address", "ip_address", "ip_address_aux", "ip_address_anc",
        "other_info", "serial_number", "file", "file_aux", "file_anc",
    )  # fmt: skip
    _PORT_FIELDS: ClassVar[tuple[str, ...]] = ("ip_port", "ip_port_aux", "ip_port_anc")

    def __post_init__(self) -> None:
        for name in self._STR_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str):
                raise ConfigError(
                    f"Invalid value for the connection field {name!r}: expected text, got "
                    f"{value!r} ({type(value).__name__})."
                )
        for name in (*self._PORT_FIELDS, "ip_protocol", "timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(
                    f"Invalid value for the connection field {name!r}: expected an integer, "
                    f"got {value!r} ({type(value).__name__})."
                )
        for name in self._PORT_FIELDS:
            value = getattr(self, name)
            if not 0 <= value <= 65535:
                raise ConfigError(
                    f"Invalid value for the connection field {name!r}: a port is between 0 "
                    f"and 65535, but got {value} instead."
                )
        if self.ip_protocol not in _PROTOCOLS:
            allowed = ", ".join(f"{int(p.value)} ({p.name})" for p in IpProtocolTypes)
            raise ConfigError(
                f"Invalid value for the connection field 'ip_protocol'. Allowed values are "
                f"{allowed}, but got {self.ip_protocol!r} instead."
            )
        if self.timeout < 0:
            raise ConfigError(
                f"Invalid value for the connection field 'timeout': it must be 0 (BrainFlow's "
                f"default) or a positive number of seconds, but got {self.timeout} instead."
            )
        if self.master_board is not None:
            if isinstance(self.master_board, bool) or not isinstance(self.master_board, int | str):
                raise ConfigError(
                    f"Invalid value for the connection field 'master_board': expected a board "
                    f"name or id, got {self.master_board!r}."
                )
            master = resolve_board(self.master_board)
            if master in PROXY_BOARDS:
                raise ConfigError(
                    f"Invalid value for the connection field 'master_board': it names the "
                    f"board that recorded or streams the data, so it cannot be "
                    f"{board_name(master)!r}."
                )

    @property
    def master_board_id(self) -> int | None:
        """``master_board`` resolved to a board id, ``None`` when unset."""
        return None if self.master_board is None else resolve_board(self.master_board)

    def to_brainflow(self) -> BrainFlowInputParams:
        """Return an equivalent, new ``BrainFlowInputParams``."""
        params = BrainFlowInputParams()
        for f in dataclasses.fields(self):
            if f.name != "master_board":
                setattr(params, f.name, getattr(self, f.name))
        master = self.master_board_id
        params.master_board = BoardIds.NO_BOARD.value if master is None else master
        return params

    def to_dict(self) -> dict[str, Any]:
        """Return every field as a plain, JSON-friendly dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ConnectionParams:
        """Build from a dict such as :meth:`to_dict` gives; missing keys take defaults.

        Raises
        ------
        ConfigError
            If ``d`` has a key that is not a field, or a value of the wrong type.
        """
        if not isinstance(d, dict):
            raise ConfigError(
                f"Invalid connection settings: expected a mapping of field names to values, "
                f"got {type(d).__name__}."
            )
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(str(k) for k in d if k not in names)
        if unknown:
            raise ConfigError(
                f"Unknown connection field(s) {', '.join(repr(k) for k in unknown)}. Allowed "
                f"fields are {', '.join(names)}."
            )
        return cls(**d)
