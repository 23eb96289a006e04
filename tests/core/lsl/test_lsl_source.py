"""Choosing an LSL stream: queries in the user's words, streams the app refuses (text,
irregular, oversized), channels and units from the metadata, and the command line
(``bci-desktop lsl``, ``run --board lsl``) in a subprocess against real outlets."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from bci_desktop.cli.parser import build_parser
from bci_desktop.cli.stream import session_options, source_spec
from bci_desktop.core.errors import ConfigError, SourceError
from bci_desktop.core.lsl.clock import LslClock
from bci_desktop.core.lsl.discovery import LslDirectory, StreamQuery, is_lsl_board
from bci_desktop.core.lsl.library import pylsl_module
from bci_desktop.core.session import LslSpec, spec_for_board
from bci_desktop.core.sources.lsl_source import LslSource
from tests.core.lsl.publishers import Amplifier, marker_outlet, unique


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("lsl:OpenBCI_EEG", StreamQuery(name="OpenBCI_EEG"), id="bare-name"),
        pytest.param("lsl:type=EEG", StreamQuery(type="EEG"), id="type"),
        pytest.param("lsl:source_id=x1;name=A b", StreamQuery("A b", None, "x1"), id="both"),
        pytest.param("name=a=b", StreamQuery(name="a=b"), id="equals-in-value"),
    ],
)
def test_queries_read_back(text, expected):
    assert StreamQuery.parse(text) == expected
    assert StreamQuery.parse(expected.board) == expected
    assert is_lsl_board(expected.board)


@pytest.mark.parametrize(
    "text, message",
    [
        pytest.param("lsl", "Say which LSL stream", id="none"),
        pytest.param("lsl:colour=red", "use name=", id="unknown-field"),
        pytest.param("lsl:name=", "non-empty", id="empty"),
        pytest.param("lsl:name=a\x1b[2J", "printable", id="control"),
    ],
)
def test_bad_queries_are_refused_in_words(text, message):
    with pytest.raises(ConfigError, match=message):
        spec_for_board(text)


def test_command_line_options_make_the_spec():
    parser = build_parser()
    args = parser.parse_args(["run", "--board", "lsl", "--lsl-type", "EEG", "--lsl-wait", "2",
                              "--lsl", "--lsl-markers", "name=PsychoPy"])  # fmt: skip
    spec = source_spec(args)
    assert spec == LslSpec(StreamQuery(type="EEG"), wait_s=2.0)
    options = session_options(args, record=None)
    assert options.lsl_outlets and options.lsl_markers
    assert options.lsl_marker_query == StreamQuery(name="PsychoPy")
    args = parser.parse_args(["run", "--lsl-markers"])
    assert session_options(args, record=None).lsl_marker_query is None
    with pytest.raises(ConfigError, match="add --board lsl"):
        source_spec(parser.parse_args(["run", "--lsl-stream", "X"]))


def _source(query: StreamQuery, wait_s: float = 3.0) -> LslSource:
    return LslSource(query, directory=LslDirectory(), clock=LslClock(), wait_s=wait_s)


def test_text_and_irregular_streams_are_not_signals():
    stim = marker_outlet(unique("Stim"), unique("stim"))
    with pytest.raises(SourceError, match="carries text"):
        _source(StreamQuery(name=stim.get_info().name()))
    pylsl = pylsl_module()
    info = pylsl.StreamInfo(unique("Gaze"), "Gaze", 2, 0, pylsl.cf_float32, unique("gaze"))
    gaze = pylsl.StreamOutlet(info)
    with pytest.raises(SourceError, match="irregular rate"):
        _source(StreamQuery(name=gaze.get_info().name()))


def test_a_stream_that_is_not_there_names_what_is():
    amp = Amplifier(unique("Visible"), unique("amp"))
    with pytest.raises(SourceError, match=r"not visible.*Visible-") as err:
        _source(StreamQuery(name="No such amplifier"), wait_s=1.0)
    assert "bci-desktop lsl" in str(err.value)
    del amp


def test_channels_units_and_other_channels_from_the_metadata():
    pylsl = pylsl_module()
    name = unique("Volts")
    info = pylsl.StreamInfo(name, "EEG", 3, 100, pylsl.cf_double64, unique("volts"))
    info.set_channel_labels(["C3", "", "Acc"])
    info.set_channel_types(["EEG", "eeg", "ACC"])
    info.set_channel_units(["volts", "mV", "g"])
    outlet = pylsl.StreamOutlet(info)
    source = _source(StreamQuery(name=name))
    assert [(c.name, c.kind, c.unit) for c in source.info.eeg] == [
        ("C3", "eeg", "uV"), ("Ch2", "eeg", "uV"),
    ]  # fmt: skip
    assert [r.name for r in source.info.board_rows] == ["C3", "Ch2", "Acc", "Timestamp", "Marker"]
    source.start()
    t = pylsl.local_clock()
    outlet.push_chunk([[1e-6, 2.0, 9.81]] * 10, [t + i / 100 for i in range(10)])
    deadline, chunk = time.monotonic() + 5, None
    while chunk is None and time.monotonic() < deadline:
        chunk = source.read()
        time.sleep(0.02)
    source.stop()
    assert chunk is not None
    assert np.allclose(chunk.eeg[:, 0], [1.0, 2000.0])  # microvolts
    assert chunk.board_data[2, 0] == pytest.approx(9.81)  # the accelerometer as sent
    offset = source.info.description["lsl"]["clock_offset_s"]
    assert chunk.timestamps[0] == pytest.approx(t + offset, abs=0.01)  # LSL time, mapped


def _cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bci_desktop", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw,
    )  # fmt: skip


def _serve(amp: Amplifier, proc: subprocess.Popen, timeout: float = 120) -> tuple[str, str]:
    """Publish while the command runs; its output."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        amp.push_due()
        time.sleep(0.01)
    return proc.communicate(timeout=30)


@pytest.mark.slow
def test_cli_lists_streams_and_runs_one(tmp_path):
    name, source_id = unique("CliAmp"), unique("cliamp")
    amp = Amplifier(name, source_id)
    out, err = _serve(amp, _cli("lsl", "--json", "--wait", "2"))
    listed = {s["source_id"]: s for s in json.loads(out)["streams"]}
    assert listed[source_id]["name"] == name and listed[source_id]["sample_rate"] == 250
    assert listed[source_id]["channel_count"] == 17 and not listed[source_id]["bci_desktop"]
    proc = _cli("run", "--board", "lsl", "--lsl-stream", name, "--duration", "6", "--jsonl", "-",
                "--record", str(tmp_path))  # fmt: skip
    out, err = _serve(amp, proc)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert any(p["label"] is not None for p in lines)
    assert all("source_latency_ms" in p for p in lines)
    assert "from LSL time stamp" in err  # the summary shows the latency across machines


def test_cli_says_in_one_line_when_the_stream_is_not_there():
    proc = _cli("run", "--board", "lsl", "--lsl-stream", "Nobody here", "--lsl-wait", "0.5")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "'Nobody here' is not visible on the network" in lines[0]


def test_pylsl_lib_is_honoured_and_a_bad_one_is_one_line(tmp_path):
    import os

    bogus = tmp_path / "liblsl.so"
    bogus.write_text("not a library")
    env = {**os.environ, "PYLSL_LIB": str(bogus)}
    proc = _cli("lsl", "--wait", "0.2", env=env)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Lab Streaming Layer is not available" in lines[0]
    assert str(bogus) in lines[0]
    # Everything that does not use LSL still works.
    proc = _cli("run", "--board", "synthetic", "--duration", "1", "--no-model", "-q", env=env)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
