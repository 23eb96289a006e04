"""Samples from any board BrainFlow supports, the synthetic board being the default.

:class:`BrainFlowSource` wraps BrainFlow's ``BoardShim`` lifecycle (prepare, start, read,
stop, release) behind the :class:`~bci_desktop.core.sources.base.Source` contract, and turns
every ``BrainFlowError`` into a :class:`~bci_desktop.core.errors.SourceError` whose one-line
message names the board, the setting to check and BrainFlow's error code.

BrainFlow's own board logger is off (it would print to stderr); switch it on for debugging
with :func:`enable_brainflow_log`.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from brainflow.board_shim import BoardIds, BoardShim, BrainFlowPresets
from brainflow.exit_codes import BrainFlowError, BrainFlowExitCodes

from bci_desktop.core.errors import ConfigError, SourceError
from bci_desktop.core.montage.resolve import Montage, MontageOrigin, board_montage
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.boards import (
    PROXY_BOARDS,
    ConnectionParams,
    board_description,
    board_name,
    connection_hint,
    option_flag,
    resolve_board,
)
from bci_desktop.core.sources.serial_access import serial_access_problem
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo
from bci_desktop.core.validate import check_choice, check_type, invalid

logger = logging.getLogger(__name__)

BoardShim.disable_board_logger()

__all__ = ["BrainFlowSource", "disable_brainflow_log", "enable_brainflow_log"]

#: Seconds of samples BrainFlow's ring buffer holds, and its minimum size in samples.
BUFFER_SECONDS = 60.0
MIN_BUFFER_SAMPLES = 45_000
#: Seconds a playback file may take to deliver its first sample before it counts as ended.
FIRST_SAMPLE_TIMEOUT = 5.0

_PLAYBACK = BoardIds.PLAYBACK_FILE_BOARD.value

# Row kinds, in the order that decides a row listed under several keys (EEG rows are often
# also listed as EMG/ECG/EOG): (description key, kind, unit, name stem, xyz axes?).
_ROW_KINDS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("package_num_channel", "package_num", "", "Package", False),
    ("eeg_channels", "eeg", "uV", "EEG", False),
    ("emg_channels", "emg", "uV", "EMG", False),
    ("ecg_channels", "ecg", "uV", "ECG", False),
    ("eog_channels", "eog", "uV", "EOG", False),
    ("accel_channels", "accel", "g", "Accel", True),
    ("gyro_channels", "gyro", "deg/s", "Gyro", True),
    ("magnetometer_channels", "magnetometer", "", "Mag", True),
    ("rotation_channels", "rotation", "", "Rotation", False),
    ("eda_channels", "eda", "", "EDA", False),
    ("ppg_channels", "ppg", "", "PPG", False),
    ("temperature_channels", "temperature", "", "Temperature", False),
    ("resistance_channels", "resistance", "", "Resistance", False),
    ("battery_channel", "battery", "", "Battery", False),
    ("timestamp_channel", "timestamp", "s", "Timestamp", False),
    ("marker_channel", "marker", "", "Marker", False),
    ("analog_channels", "analog", "", "Analog", False),
    ("other_channels", "other", "", "Other", False),
)

# What a missing required connection field is called in messages.
_FIELD_LABELS = {
    "serial_port": "a serial port",
    "mac_address": "a MAC address",
    "ip_address": "an IP address",
    "ip_port": "an IP port",
    "file": "a file to play back",
    "master_board": "a master board",
    "serial_number": "a serial number",
}


def enable_brainflow_log(path: str | os.PathLike[str]) -> None:
    """Send BrainFlow's detailed board log to a file, for debugging a connection.

    Parameters
    ----------
    path : str | os.PathLike
        File BrainFlow appends its log to.
    """
    BoardShim.set_log_file(os.fspath(path))
    BoardShim.enable_dev_board_logger()


def disable_brainflow_log() -> None:
    """Switch BrainFlow's board log off again (the default)."""
    BoardShim.disable_board_logger()


def _board_presets(board_id: int) -> tuple[int, ...] | None:
    """Presets BrainFlow knows for a board, ``None`` if it cannot say."""
    try:
        return tuple(int(p) for p in BoardShim.get_board_presets(board_id))
    except BrainFlowError as err:
        logger.debug("No BrainFlow presets for board %s: %s", board_id, err)
        return None


def _code_name(err: BrainFlowError) -> str:
    try:
        return BrainFlowExitCodes(err.exit_code).name
    except ValueError:
        return f"error {err.exit_code}"


def _rows(descr: dict[str, Any], key: str) -> list[int]:
    value = descr.get(key)
    if value is None:
        return []
    return [int(value)] if isinstance(value, int) else [int(v) for v in value]


def _brainflow_names(descr: dict[str, Any], n_eeg: int) -> tuple[str, ...]:
    """BrainFlow's electrode names for the board, or ``()`` when it has none usable."""
    names_txt = descr.get("eeg_names")
    if isinstance(names_txt, str):
        names = tuple(n.strip() for n in names_txt.split(","))
        if len(names) == n_eeg and all(names) and len(set(names)) == n_eeg:
            return names
    return ()


def _board_rows(descr: dict[str, Any], eeg_names: tuple[str, ...]) -> tuple[ChannelInfo, ...]:
    """One ChannelInfo per row 0..num_rows-1, kind and unit from BrainFlow's description."""
    described = [r for key, *_ in _ROW_KINDS for r in _rows(descr, key)]
    num_rows = int(descr.get("num_rows", max(described, default=-1) + 1))
    rows: list[ChannelInfo | None] = [None] * num_rows
    for key, kind, unit, stem, xyz in _ROW_KINDS:
        members = _rows(descr, key)
        for i, r in enumerate(members):
            if not 0 <= r < num_rows or rows[r] is not None:
                continue
            if kind == "eeg":
                name = eeg_names[i]
            elif xyz and len(members) == 3:
                name = f"{stem} {'XYZ'[i]}"
            elif len(members) == 1 and kind not in ("emg", "ecg", "eog"):
                name = stem
            else:
                name = f"{stem} {i + 1}"
            rows[r] = ChannelInfo(name, kind, unit)
    out: list[ChannelInfo] = []
    seen: set[str] = set()
    for r, info in enumerate(rows):
        info = info or ChannelInfo(f"Row {r}", "other", "")
        if info.name in seen:  # keep names unique (EDF labels must be)
            info = ChannelInfo(f"{info.name} (row {r})", info.kind, info.unit)
        seen.add(info.name)
        out.append(info)
    return tuple(out)


class BrainFlowSource(Source):
    """A BrainFlow board as a source of samples.

    Parameters
    ----------
    board : str | int
        Board name or id (see :func:`~bci_desktop.core.sources.boards.resolve_board`).
    params : ConnectionParams
        How to reach the board. The playback-file and streaming boards need
        ``master_board``: the board whose data layout they carry.
    preset : int
        BrainFlow preset (``BrainFlowPresets``) to read, the default preset by default.
    config : tuple of str
        Commands sent with ``config_board`` after the session is prepared and before the
        stream starts, e.g. ``("loopback_false",)`` for the playback-file board.
    stall_seconds : float
        For the playback-file board without loopback: how long without new samples (after
        the first) counts as the end of the file, see :attr:`finished`.
    montage : Montage, str, sequence of str or None
        Names of the EEG channels: a preset name, a list of 10-05 names, or ``None`` for
        BrainFlow's names (or the board's default placement when BrainFlow has none), see
        :func:`~bci_desktop.core.montage.resolve.board_montage`.

    Raises
    ------
    ConfigError
        If the board, preset, master board or montage is invalid. Nothing is opened here:
        the device is opened by :meth:`start`.

    Notes
    -----
    One thread should own a source. BrainFlow serialises calls into its core with a global
    lock, so reading from several sources in several threads is safe but not parallel.
    """

    realtime = True

    def __init__(
        self,
        board: str | int = "synthetic",
        params: ConnectionParams | None = None,
        *,
        preset: int = BrainFlowPresets.DEFAULT_PRESET.value,
        config: tuple[str, ...] = (),
        stall_seconds: float = 1.0,
        montage: Montage | str | Sequence[str] | None = None,
    ) -> None:
        self.board_id: int = resolve_board(board)
        self.params: ConnectionParams = params if params is not None else ConnectionParams()
        check_type("params", self.params, ConnectionParams, "ConnectionParams")
        if isinstance(preset, bool):
            raise invalid("preset", "a BrainFlow preset number", preset)
        self.preset = check_choice("preset", preset, tuple(int(p.value) for p in BrainFlowPresets))
        if isinstance(config, str):
            config = (config,)
        self.config: tuple[str, ...] = tuple(str(c) for c in config)
        self.stall_seconds = float(stall_seconds)
        self.name = board_name(self.board_id)

        #: Board whose data layout and description apply (the master board for proxies).
        self.layout_board_id: int = self.board_id
        if self.board_id in PROXY_BOARDS:
            master = self.params.master_board_id
            if master is None:
                raise ConfigError(
                    f"Board {self.name!r} needs a master board, the board that recorded or "
                    f"streams the data: pass --master-board (e.g. --master-board synthetic)."
                )
            self.layout_board_id = master
        self._montage_arg = montage
        #: Names of the EEG channels and where they come from (set by the description).
        self.montage: Montage = Montage((), MontageOrigin.UNNAMED)
        self._info = self._describe()

        self._board: BoardShim | None = None
        self._streaming = False
        loops = [
            c.strip().lower() for c in self.config if c.strip().lower().startswith("loopback_")
        ]
        self._loopback = (
            self.board_id == _PLAYBACK and bool(loops) and loops[-1] == "loopback_true"
        )
        self._got_samples = False
        self._last_sample_at = 0.0

    # ------------------------------------------------------------------ description
    def _describe(self) -> StreamInfo:
        # Asking BrainFlow for a preset the board lacks adds an empty preset to its board
        # table for the rest of the process, and every later start_stream of that board then
        # fails with GENERAL_ERROR ("Field num_rows is not found"): check the preset first.
        known = _board_presets(self.layout_board_id)
        has_preset = known is None or self.preset in known
        descr = board_description(self.layout_board_id, self.preset) if has_preset else None
        layout_name = board_name(self.layout_board_id)
        if descr is None:
            raise ConfigError(
                f"Board {layout_name!r} has no preset {self.preset} "
                f"({BrainFlowPresets(self.preset).name}): choose preset 0 (DEFAULT_PRESET)."
            )
        rate = descr.get("sampling_rate")
        if rate is None:
            raise ConfigError(f"BrainFlow gives no sampling rate for board {layout_name!r}.")
        eeg_rows = tuple(_rows(descr, "eeg_channels"))
        label = str(descr.get("name") or layout_name)
        self.montage = board_montage(
            layout_name,
            len(eeg_rows),
            brainflow_names=_brainflow_names(descr, len(eeg_rows)),
            given=self._montage_arg,
            title=f"{label} board",
        )
        eeg_names = self.montage.channels
        ts = _rows(descr, "timestamp_channel")
        mk = _rows(descr, "marker_channel")
        if self.board_id == _PLAYBACK:
            label = f"Playback file ({label})"
        elif self.board_id in PROXY_BOARDS:
            label = f"Streaming ({label})"
        return StreamInfo(
            source_name=label,
            board_id=self.board_id,
            sample_rate=float(rate),
            eeg=tuple(ChannelInfo(n, "eeg", "uV") for n in eeg_names),
            board_rows=_board_rows(descr, eeg_names),
            eeg_rows=eeg_rows,
            timestamp_row=ts[0] if ts else None,
            marker_row=mk[0] if mk else None,
            layout_board_id=self.layout_board_id,
            description={**descr, "montage": self.montage.to_dict()},
        )

    @property
    def info(self) -> StreamInfo:
        """Channels, rate and board, from BrainFlow's description (known before start)."""
        return self._info

    @property
    def streaming(self) -> bool:
        """True between a successful :meth:`start` and :meth:`stop`."""
        return self._streaming

    # ------------------------------------------------------------------ errors
    def _error(self, err: BrainFlowError, action: str) -> SourceError:
        """Turn a BrainFlowError into a SourceError a user can act on."""
        tag = f"(BrainFlow {_code_name(err)})"
        board, p = self.name, self.params
        code = err.exit_code
        c = BrainFlowExitCodes
        denied = self._serial_access_problem() if action == "open" else None
        if denied:
            msg = f"Cannot open serial port {p.serial_port!r} for board {board!r}: {denied} {tag}."
        elif code == c.UNABLE_TO_OPEN_PORT_ERROR and p.serial_port:
            msg = (
                f"Cannot open serial port {p.serial_port!r} for board {board!r}: the port does "
                f"not exist or is busy {tag}. Check the cable and choose the right port."
            )
        elif code == c.UNABLE_TO_OPEN_PORT_ERROR:
            msg = (
                f"Cannot open the connection to board {board!r} {tag}. Check that it is "
                f"switched on and in range and that this computer's Bluetooth or network "
                f"adapter works."
            )
        elif code == c.PORT_ALREADY_OPEN_ERROR:
            msg = (
                f"The port of board {board!r} ({p.serial_port or 'its connection'}) is already "
                f"open {tag}. Close the other program or session that uses it."
            )
        elif code == c.SER_PORT_ERROR:
            msg = (
                f"Cannot set up serial port {p.serial_port!r} for board {board!r} {tag}. Check "
                f"that the port is the board's dongle and that you may use it."
            )
        elif code == c.BOARD_WRITE_ERROR:
            msg = (
                f"Cannot send commands to board {board!r} {tag}. Check that it is switched on "
                f"and connected."
            )
        elif code in (c.INCOMMING_MSG_ERROR, c.INITIAL_MSG_ERROR):
            msg = (
                f"Board {board!r} did not answer as expected {tag}. Check that it is switched "
                f"on, that the port or address is this board's and that no other program uses "
                f"it."
            )
        elif code in (c.BOARD_NOT_READY_ERROR, c.SYNC_TIMEOUT_ERROR):
            msg = (
                f"Board {board!r} did not respond in time {tag}. Check that it is switched on, "
                f"charged and in range; a longer --timeout may help."
            )
        elif code == c.ANOTHER_BOARD_IS_CREATED_ERROR:
            msg = (
                f"Board {board!r} is already open in this program with the same settings "
                f"{tag}. Stop the other session first."
            )
        elif code == c.UNSUPPORTED_BOARD_ERROR:
            msg = f"Board {board!r} is not supported by this BrainFlow build here {tag}."
        elif code == c.INVALID_ARGUMENTS_ERROR and self.board_id == _PLAYBACK:
            msg = (
                f"Cannot play back file {p.file!r} {tag}. Check that it is a BrainFlow file "
                f"recorded with master board {board_name(self.layout_board_id)!r}."
            )
        elif code == c.INVALID_ARGUMENTS_ERROR and action == "configure":
            msg = f"Board {board!r} rejected a configuration command {tag}: {err}."
        elif code == c.INVALID_ARGUMENTS_ERROR:
            required, optional = connection_hint(self.board_id)
            flags = ", ".join(option_flag(f) for f in (*required, *optional))
            where = f"check {flags}" if flags else "check its connection settings"
            msg = f"Board {board!r} rejected its connection settings {tag}: {where}."
        else:
            msg = f"Board {board!r} failed to {action} {tag}: {err}."
        return SourceError(msg)

    def _serial_access_problem(self) -> str | None:
        """Steps to get access to this board's serial port, if the user may not open it."""
        required, optional = connection_hint(self.board_id)
        port = self.params.serial_port
        if not port or "serial_port" not in (*required, *optional):
            return None
        return serial_access_problem(port)

    def _check_required(self) -> None:
        """Refuse early, with the flag to pass, when a needed connection field is empty."""
        required, _ = connection_hint(self.board_id)
        for field_name in required:
            if not getattr(self.params, field_name):
                label = _FIELD_LABELS.get(field_name, f"the {field_name!r} setting")
                raise SourceError(
                    f"Board {self.name!r} needs {label}: pass {option_flag(field_name)}."
                )
        if self.board_id == _PLAYBACK and not os.path.isfile(self.params.file):
            raise SourceError(
                f"Playback file {self.params.file!r} does not exist: pass --file with the path "
                f"of a file recorded by BrainFlow."
            )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Open the board and start streaming.

        Raises
        ------
        SourceError
            If the board cannot be opened, configured or started; nothing stays open.
        """
        if self._streaming:
            logger.debug("Board %r is already streaming", self.name)
            return
        self._check_required()
        try:
            board = BoardShim(self.board_id, self.params.to_brainflow())
            board.prepare_session()
        except BrainFlowError as err:
            raise self._error(err, "open") from err
        action = "configure"
        try:
            for command in self.config:
                reply = board.config_board(command)
                logger.debug("Board %r config %r -> %r", self.name, command, reply)
            action = "start streaming"
            rate = self._info.sample_rate
            board.start_stream(max(MIN_BUFFER_SAMPLES, math.ceil(BUFFER_SECONDS * rate)))
        except BrainFlowError as err:
            self._release(board)
            raise self._error(err, action) from err
        self._board = board
        self._streaming = True
        self._got_samples = False
        self._last_sample_at = time.monotonic()
        logger.info("Board %r streaming at %g Hz", self.name, self._info.sample_rate)

    def _release(self, board: BoardShim) -> None:
        try:
            board.release_session()
        except BrainFlowError as err:
            logger.warning("Board %r: release failed (%s): %s", self.name, _code_name(err), err)

    def read(self) -> Chunk | None:
        """Return every sample that arrived since the last call, ``None`` if none did.

        Raises
        ------
        SourceError
            If the source is not streaming or BrainFlow fails to hand over the data.
        """
        board = self._board
        if board is None or not self._streaming:
            raise SourceError(f"Board {self.name!r} is not streaming: start it first.")
        try:
            data = board.get_board_data(preset=self.preset)
        except BrainFlowError as err:
            raise self._error(err, "read data") from err
        n = data.shape[1]
        if n == 0:
            return None
        self._got_samples = True
        self._last_sample_at = time.monotonic()
        info = self._info
        data = np.asarray(data, dtype=np.float64)
        eeg = data[list(info.eeg_rows)] if info.eeg_rows else np.empty((0, n))
        if info.timestamp_row is not None:
            timestamps = data[info.timestamp_row].copy()
        else:  # no board known to BrainFlow lacks one; estimate from the wall clock
            timestamps = time.time() - (n - 1 - np.arange(n)) / info.sample_rate
        if info.marker_row is not None:
            markers = data[info.marker_row].copy()
        else:
            markers = np.zeros(n)
        return Chunk(eeg=eeg, timestamps=timestamps, markers=markers, truth=None, board_data=data)

    def stop(self) -> None:
        """Stop streaming and release the board; safe to call twice or before start.

        BrainFlow errors here (e.g. ``BOARD_WRITE_ERROR`` after the device was unplugged)
        are logged as warnings, not raised: the session is released either way.
        """
        board, self._board = self._board, None
        was_streaming, self._streaming = self._streaming, False
        if board is None:
            return
        if was_streaming:
            try:
                board.stop_stream()
            except BrainFlowError as err:
                logger.warning(
                    "Board %r: stop_stream failed (%s): %s", self.name, _code_name(err), err
                )
        self._release(board)
        logger.info("Board %r stopped", self.name)

    def _put_marker(self, value: float) -> None:
        board = self._board
        if board is None or not self._streaming:
            raise SourceError(f"Cannot insert a marker: board {self.name!r} is not streaming.")
        try:
            board.insert_marker(value, self.preset)
        except BrainFlowError as err:
            raise self._error(err, "insert a marker") from err

    @property
    def finished(self) -> bool:
        """True once a playback file without loopback has been played to its end.

        Best effort: BrainFlow does not signal the end of a file, so the end is taken as
        ``stall_seconds`` without new samples after at least one arrived, or
        ``FIRST_SAMPLE_TIMEOUT`` seconds without any (a file BrainFlow cannot parse), with
        nothing left in BrainFlow's buffer. Always False for other boards.
        """
        if self.board_id != _PLAYBACK or self._loopback:
            return False
        board = self._board
        if board is None:
            return False
        quiet = time.monotonic() - self._last_sample_at
        if quiet < (self.stall_seconds if self._got_samples else FIRST_SAMPLE_TIMEOUT):
            return False
        try:
            return board.get_board_data_count(self.preset) == 0
        except BrainFlowError as err:
            raise self._error(err, "read data") from err

    def __repr__(self) -> str:
        state = "streaming" if self._streaming else "stopped"
        return f"<BrainFlowSource board={self.name!r} id={self.board_id} {state}>"
