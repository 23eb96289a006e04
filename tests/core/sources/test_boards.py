"""Board names, the board list and connection parameters, against the real BrainFlow."""

from __future__ import annotations

import json

import pytest
from brainflow.board_shim import BoardIds, BrainFlowInputParams

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.sources.boards import (
    BoardSummary,
    ConnectionParams,
    board_name,
    connection_hint,
    list_boards,
    option_flag,
    resolve_board,
)


def _by_name() -> dict[str, BoardSummary]:
    return {b.name: b for b in list_boards()}


def test_list_boards_starts_with_synthetic_and_covers_brainflow() -> None:
    boards = list_boards()
    assert boards[0].name == "synthetic"
    assert boards[0].board_id == BoardIds.SYNTHETIC_BOARD.value
    names = [b.name for b in boards]
    assert len(names) == len(set(names))
    assert {"cyton", "cyton_daisy", "muse_2", "playback_file", "streaming"} <= set(names)
    assert "no" not in names and BoardIds.NO_BOARD.value not in {b.board_id for b in boards}
    assert len(boards) == len(BoardIds) - 1


def test_list_boards_fields_come_from_brainflow_descriptions() -> None:
    boards = _by_name()
    synth = boards["synthetic"]
    assert synth.enum_name == "SYNTHETIC_BOARD"
    assert synth.sample_rate == 250
    assert synth.n_eeg == 16
    assert synth.eeg_names[:3] == ("Fz", "C3", "Cz") and synth.eeg_names[-1] == "F8"
    assert synth.connection == ()
    cyton = boards["cyton"]
    assert (cyton.board_id, cyton.sample_rate, cyton.n_eeg) == (0, 250, 8)
    assert cyton.connection == ("serial_port",)
    muse = boards["muse_2"]
    assert (muse.sample_rate, muse.eeg_names) == (256, ("TP9", "AF7", "AF8", "TP10"))
    assert "mac_address" in muse.connection_optional and muse.connection == ()
    assert boards["ganglion"].eeg_names == () and boards["ganglion"].n_eeg == 4
    assert boards["cyton_wifi"].connection == ("ip_port",)
    # Proxy boards have no layout of their own: still listed, with empty fields.
    playback = boards["playback_file"]
    assert (playback.sample_rate, playback.eeg_names, playback.n_eeg) == (None, (), 0)
    assert playback.connection == ("file", "master_board")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("synthetic", -1, id="user-name"),
        pytest.param("Synthetic_Board", -1, id="enum-name-mixed-case"),
        pytest.param("SYNTHETIC", -1, id="upper"),
        pytest.param("cyton", 0, id="cyton"),
        pytest.param("cyton_daisy", 2, id="cyton-daisy"),
        pytest.param("Cyton-Daisy", 2, id="hyphen"),
        pytest.param("muse_2", 38, id="muse-2"),
        pytest.param("playback_file", -3, id="playback"),
        pytest.param("-1", -1, id="id-text"),
        pytest.param(" 0 ", 0, id="id-text-spaces"),
        pytest.param(-1, -1, id="id-int"),
        pytest.param(38, 38, id="id-int-muse"),
        pytest.param(BoardIds.CYTON_DAISY_BOARD, 2, id="enum-member"),
        pytest.param("neuropawn_knight_imu", 66, id="board-infix"),
    ],
)
def test_resolve_board_accepts_names_and_ids(text: str | int, expected: int) -> None:
    assert resolve_board(text) == expected


def test_resolve_board_suggests_the_closest_name() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_board("cyten")
    assert str(info.value) == (
        "Unknown board 'cyten'. Did you mean 'cyton'? Run 'bci-desktop boards' to list them."
    )
    with pytest.raises(ConfigError, match=r"Did you mean 'muse_2'\?"):
        resolve_board("muse2")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("qwertyuiop", id="nonsense"),
        pytest.param(999, id="unknown-id"),
        pytest.param("999", id="unknown-id-text"),
        pytest.param(-100, id="no-board-id"),
        pytest.param("no_board", id="no-board-name"),
        pytest.param("", id="empty"),
    ],
)
def test_resolve_board_rejects_unknown_boards(bad: str | int) -> None:
    with pytest.raises(ConfigError, match="Run 'bci-desktop boards' to list them"):
        resolve_board(bad)


@pytest.mark.parametrize("bad", [True, 1.5, None, ["cyton"]])
def test_resolve_board_rejects_other_types(bad: object) -> None:
    with pytest.raises(ConfigError, match="'board'"):
        resolve_board(bad)  # type: ignore[arg-type]


def test_board_name_is_the_inverse_of_resolve_board() -> None:
    assert board_name(-1) == "synthetic"
    assert board_name(2) == "cyton_daisy"
    assert board_name(38) == "muse_2"
    assert board_name(-3) == "playback_file"
    for summary in list_boards():
        assert resolve_board(board_name(summary.board_id)) == summary.board_id
    with pytest.raises(ConfigError):
        board_name(999)


def test_connection_hint_and_flags() -> None:
    assert connection_hint("cyton") == (("serial_port",), ())
    assert connection_hint("synthetic") == ((), ())
    required, optional = connection_hint("ganglion")
    assert required == ("serial_port",) and "mac_address" in optional
    assert option_flag("serial_port") == "--serial-port"
    assert option_flag("master_board") == "--master-board"


def test_connection_params_mirror_brainflow_input_params() -> None:
    ours = ConnectionParams().to_dict()
    theirs = vars(BrainFlowInputParams())
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        if key == "master_board":
            assert ours[key] is None and value == BoardIds.NO_BOARD.value
        else:
            assert ours[key] == value, key


def test_to_brainflow_sets_every_field() -> None:
    params = ConnectionParams(
        serial_port="/dev/ttyUSB0",
        mac_address="00:11:22:33:44:55",
        ip_address="192.168.4.1",
        ip_address_aux="10.0.0.2",
        ip_address_anc="10.0.0.3",
        ip_port=6789,
        ip_port_aux=6790,
        ip_port_anc=6791,
        ip_protocol=2,
        other_info="extra",
        timeout=12,
        serial_number="SN-1",
        file="rec.csv",
        file_aux="aux.csv",
        file_anc="anc.csv",
        master_board="cyton_daisy",
    )
    bf = params.to_brainflow()
    assert isinstance(bf, BrainFlowInputParams)
    expected = params.to_dict() | {"master_board": 2}
    assert vars(bf) == expected
    assert ConnectionParams().to_brainflow().master_board == BoardIds.NO_BOARD.value
    assert ConnectionParams(master_board=-1).master_board_id == -1
    assert ConnectionParams(master_board=" Synthetic ").to_brainflow().master_board == -1


def test_to_dict_from_dict_round_trip_through_json() -> None:
    params = ConnectionParams(serial_port="COM3", ip_port=80, timeout=5, master_board="cyton")
    text = json.dumps(params.to_dict())
    back = ConnectionParams.from_dict(json.loads(text))
    assert back == params
    assert ConnectionParams.from_dict({}) == ConnectionParams()
    assert ConnectionParams.from_dict({"master_board": 0}).master_board_id == 0


@pytest.mark.parametrize(
    ("data", "match"),
    [
        pytest.param({"serial": "COM3"}, r"Unknown connection field\(s\) 'serial'", id="key"),
        pytest.param({"ip_port": "80"}, "'ip_port': expected an integer", id="port-text"),
        pytest.param({"ip_port": True}, "'ip_port': expected an integer", id="port-bool"),
        pytest.param({"ip_port": 70000}, "between 0 and 65535", id="port-range"),
        pytest.param({"serial_port": 3}, "'serial_port': expected text", id="port-int"),
        pytest.param({"ip_protocol": 7}, "'ip_protocol'. Allowed values are 0", id="proto"),
        pytest.param({"timeout": -1}, "'timeout'", id="timeout"),
        pytest.param({"master_board": "cyten"}, "Did you mean 'cyton'", id="master-typo"),
        pytest.param({"master_board": "playback_file"}, "master_board", id="master-proxy"),
        pytest.param({"master_board": 2.0}, "master_board", id="master-float"),
    ],
)
def test_from_dict_rejects_bad_settings(data: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ConnectionParams.from_dict(data)


def test_from_dict_needs_a_mapping() -> None:
    with pytest.raises(ConfigError, match="mapping"):
        ConnectionParams.from_dict(["serial_port"])  # type: ignore[arg-type]
