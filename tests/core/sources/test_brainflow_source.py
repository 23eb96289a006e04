"""BrainFlowSource on the real BrainFlow: synthetic board, playback-file board, errors."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from brainflow.data_filter import DataFilter

from bci_desktop.core.errors import ConfigError, SourceError
from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.brainflow_source import (
    BrainFlowSource,
    disable_brainflow_log,
    enable_brainflow_log,
)
from bci_desktop.core.stream import Chunk

SYNTH_NAMES = (
    "Fz", "C3", "Cz", "C4", "Pz", "PO7", "Oz", "PO8",
    "F5", "F7", "F3", "F1", "F2", "F4", "F6", "F8",
)  # fmt: skip
DEADLINE_S = 20.0  # generous: only a hung board would reach it
MARKER = 7.5


def _read_until(source: BrainFlowSource, n_samples: int) -> list[Chunk]:
    """Read chunks until ``n_samples`` arrived (or the source finished, or the deadline)."""
    chunks: list[Chunk] = []
    total = 0
    deadline = time.monotonic() + DEADLINE_S
    while total < n_samples and time.monotonic() < deadline and not source.finished:
        chunk = source.read()
        if chunk is None:
            time.sleep(0.01)
            continue
        chunks.append(chunk)
        total += chunk.n_samples
    return chunks


@dataclass(frozen=True)
class Recording:
    chunks: list[Chunk]
    board_data: np.ndarray
    streaming_while_open: bool


@pytest.fixture(scope="module")
def recording() -> Recording:
    """~1.5 s from the synthetic board, with one marker inserted after the first chunk."""
    source = BrainFlowSource()
    source.start()
    try:
        chunks = _read_until(source, 1)
        source.insert_marker(MARKER)
        chunks += _read_until(source, 375)
        streaming = source.streaming
    finally:
        source.stop()
    data = np.concatenate([c.board_data for c in chunks], axis=1)
    return Recording(chunks, data, streaming)


def test_info_before_start_describes_the_synthetic_board() -> None:
    info = BrainFlowSource().info
    assert info.source_name == "Synthetic"
    assert info.board_id == -1
    assert info.sample_rate == 250.0
    assert info.channel_names == SYNTH_NAMES
    assert all(c.kind == "eeg" and c.unit == "uV" for c in info.eeg)
    assert info.eeg_rows == tuple(range(1, 17))
    assert (info.timestamp_row, info.marker_row) == (30, 31)
    assert len(info.board_rows) == 32 == info.description["num_rows"]
    rows = info.board_rows
    assert rows[0].kind == "package_num"
    assert [r.name for r in rows[1:17]] == list(SYNTH_NAMES)
    assert (rows[17].name, rows[17].kind, rows[17].unit) == ("Accel X", "accel", "g")
    assert (rows[20].kind, rows[20].unit) == ("gyro", "deg/s")
    assert (rows[23].kind, rows[24].kind, rows[26].kind) == ("eda", "ppg", "temperature")
    assert (rows[27].kind, rows[29].kind) == ("resistance", "battery")
    assert (rows[30].kind, rows[30].unit) == ("timestamp", "s")
    assert (rows[31].kind, rows[31].unit) == ("marker", "")
    assert len({r.name for r in rows}) == 32


def test_info_of_other_boards_needs_no_hardware() -> None:
    cyton = BrainFlowSource("cyton").info
    assert cyton.source_name == "Cyton" and cyton.board_id == 0
    assert cyton.channel_names == ("Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2")
    ganglion = BrainFlowSource("ganglion").info  # BrainFlow has no names: default placement
    assert ganglion.channel_names == ("F3", "F4", "O1", "O2")
    assert ganglion.description["montage"]["origin"] == "default placement"
    assert ganglion.sample_rate == 200.0
    knight = BrainFlowSource("neuropawn_knight").info  # no names, no preset
    assert knight.channel_names == tuple(f"EEG {i}" for i in range(1, 9))
    assert knight.description["montage"]["origin"] == "unnamed"


def test_synthetic_chunks_are_shaped_and_ordered(recording: Recording) -> None:
    assert recording.streaming_while_open
    total = sum(c.n_samples for c in recording.chunks)
    assert total >= 375
    for chunk in recording.chunks:
        n = chunk.n_samples
        assert n > 0
        assert chunk.eeg.shape == (16, n) and chunk.eeg.dtype == np.float64
        assert chunk.timestamps.shape == (n,) and chunk.markers.shape == (n,)
        assert chunk.truth is None
        assert chunk.board_data.shape == (32, n)
        np.testing.assert_array_equal(chunk.eeg, chunk.board_data[1:17])
        np.testing.assert_array_equal(chunk.timestamps, chunk.board_data[30])
        assert not np.shares_memory(chunk.eeg, chunk.board_data)
    stamps = np.concatenate([c.timestamps for c in recording.chunks])
    assert np.all(np.diff(stamps) > 0)
    assert stamps[0] > 1.6e9  # UNIX seconds


def test_synthetic_signal_is_the_documented_sine(recording: Recording) -> None:
    # Channel i carries a 5(i+1) Hz sine (rows in the right order): its strongest frequency.
    # (Not the offsets: over 1.5 s, noise moves the upper channels' means by 10-30 uV,
    # which once put two of them out of order on CI.)
    eeg = recording.board_data[1:17]
    n = eeg.shape[1]
    spectrum = np.abs(np.fft.rfft(eeg - eeg.mean(axis=1, keepdims=True), axis=1))
    strongest = np.fft.rfftfreq(n, 1 / 250.0)[spectrum.argmax(axis=1)]
    expected = 5.0 * np.arange(1, 17)
    assert np.all(np.abs(strongest - expected) <= 250.0 / n + 0.5), strongest


def test_inserted_marker_lands_once_with_its_value(recording: Recording) -> None:
    markers = np.concatenate([c.markers for c in recording.chunks])
    nonzero = markers[markers != 0]
    assert nonzero.tolist() == [MARKER]
    first_chunk = recording.chunks[0].n_samples
    assert int(np.flatnonzero(markers)[0]) >= first_chunk


def test_stop_is_idempotent_and_reading_after_stop_fails() -> None:
    source = BrainFlowSource("synthetic")
    source.stop()  # before start: fine
    source.start()
    source.start()  # already streaming: no-op
    assert source.streaming
    source.stop()
    source.stop()
    assert not source.streaming
    with pytest.raises(SourceError, match="not streaming"):
        source.read()
    with pytest.raises(SourceError, match="not streaming"):
        source.insert_marker(1.0)
    assert source.finished is False
    # The session was released: the same board opens again.
    source.start()
    source.stop()


def test_marker_zero_is_refused() -> None:
    with BrainFlowSource() as source:
        with pytest.raises(ConfigError, match="other than 0"):
            source.insert_marker(0)
        with pytest.raises(ConfigError, match="finite"):
            source.insert_marker(float("nan"))


def test_context_manager_stops_even_on_error() -> None:
    source = BrainFlowSource()
    with pytest.raises(RuntimeError), source as entered:
        assert entered is source and source.streaming
        raise RuntimeError("boom")
    assert not source.streaming
    with BrainFlowSource() as again:  # released, so it opens again
        assert again.streaming


def test_stop_logs_brainflow_errors_instead_of_raising(caplog: pytest.LogCaptureFixture) -> None:
    source = BrainFlowSource()
    source.start()
    # Release behind the source's back, as after an unplug: stop() must still succeed.
    source._board.release_session()  # type: ignore[union-attr]
    with caplog.at_level(logging.WARNING, logger="bci_desktop"):
        source.stop()
    assert not source.streaming
    assert "BOARD_NOT_CREATED_ERROR" in caplog.text


def test_playback_replays_the_recorded_samples(recording: Recording, tmp_path: Path) -> None:
    path = tmp_path / "synthetic.csv"
    DataFilter.write_file(recording.board_data, str(path), "w")
    params = ConnectionParams(file=str(path), master_board="synthetic")
    source = BrainFlowSource("playback_file", params, config=("loopback_false",))
    assert source.info.channel_names == SYNTH_NAMES
    assert source.info.board_id == -3 and source.layout_board_id == -1
    assert source.info.source_name == "Playback file (Synthetic)"
    n_recorded = recording.board_data.shape[1]
    with source:
        chunks = _read_until(source, n_recorded)
        deadline = time.monotonic() + DEADLINE_S
        while not source.finished and time.monotonic() < deadline:
            extra = source.read()
            assert extra is None, "the file was played further than its length"
            time.sleep(0.05)
        assert source.finished
    played = np.concatenate([c.eeg for c in chunks], axis=1)
    assert played.shape == (16, n_recorded)
    # BrainFlow writes six decimals.
    np.testing.assert_allclose(played, recording.board_data[1:17], rtol=0, atol=1e-5)


def test_cyton_without_serial_port_names_the_flag() -> None:
    source = BrainFlowSource("cyton")
    with pytest.raises(SourceError) as info:
        source.start()
    assert str(info.value) == "Board 'cyton' needs a serial port: pass --serial-port."
    assert not source.streaming


def test_cyton_on_a_missing_port_says_so() -> None:
    source = BrainFlowSource("cyton", ConnectionParams(serial_port="/dev/ttyNOPE"))
    with pytest.raises(SourceError) as info:
        source.start()
    message = str(info.value)
    assert "'/dev/ttyNOPE'" in message and "'cyton'" in message
    assert "does not exist or is busy" in message
    assert "UNABLE_TO_OPEN_PORT_ERROR" in message
    assert "\n" not in message
    assert isinstance(info.value.__cause__, Exception)
    source.stop()  # nothing open: fine


def test_playback_without_master_board_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--master-board"):
        BrainFlowSource("playback_file", ConnectionParams(file="x.csv"))
    with pytest.raises(ConfigError, match="--master-board"):
        BrainFlowSource("streaming", ConnectionParams(ip_address="225.1.1.1", ip_port=6677))


def test_playback_of_a_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    source = BrainFlowSource(
        "playback_file", ConnectionParams(file=str(missing), master_board="synthetic")
    )
    with pytest.raises(SourceError, match=r"nope\.csv") as info:
        source.start()
    assert "does not exist" in str(info.value)
    no_file = BrainFlowSource("playback_file", ConnectionParams(master_board=-1))
    with pytest.raises(SourceError, match="--file"):
        no_file.start()


def test_playback_of_an_empty_file_translates_brainflow_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    source = BrainFlowSource(
        "playback_file", ConnectionParams(file=str(empty), master_board="synthetic")
    )
    with pytest.raises(SourceError, match=r"empty\.csv.*BrainFlow INVALID_ARGUMENTS_ERROR"):
        source.start()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"board": "cyten"}, "Did you mean 'cyton'", id="board"),
        pytest.param({"preset": 5}, "'preset' parameter. Allowed values are 0", id="preset"),
        pytest.param({"preset": "aux"}, "'preset' parameter", id="preset-text"),
        pytest.param({"board": "cyton", "preset": 1}, "has no preset 1", id="no-aux"),
        pytest.param({"params": {"serial_port": "x"}}, "ConnectionParams", id="params"),
    ],
)
def test_bad_arguments_are_config_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        BrainFlowSource(**kwargs)


def test_auxiliary_preset_describes_its_own_rows() -> None:
    info = BrainFlowSource("synthetic", preset=1).info
    assert info.description["name"] == "SyntheticAux"
    assert info.eeg == () and info.eeg_rows == ()
    assert info.timestamp_row == 18 and len(info.board_rows) == 20


def test_brainflow_log_goes_to_a_file_when_enabled(tmp_path: Path) -> None:
    log = tmp_path / "brainflow.log"
    enable_brainflow_log(log)
    try:
        with BrainFlowSource():
            pass
    finally:
        disable_brainflow_log()
    assert log.exists() and log.stat().st_size > 0
