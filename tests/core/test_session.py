"""The stream session under both the command line and the window: one model rule, one
supervision rule, one gap counter, recording errors that never stop the stream, and the
layout board of proxy boards. Real BrainFlow boards, real files, a real full tmpfs."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bci_desktop.cli.parser import build_parser
from bci_desktop.cli.stream import session_options, source_spec
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.recording import read_session
from bci_desktop.core.session import (
    BoardSpec,
    GapCounter,
    ModelRequest,
    OpenedSource,
    RecordingStatus,
    RecordRequest,
    ReplaySpec,
    SessionOptions,
    SimulatedSpec,
    StateChanged,
    StreamSession,
    StreamState,
    StreamStatus,
    Supervision,
    open_source,
    resolve_model,
)
from bci_desktop.core.settings import AppSettings
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.sources.supervised import SourceEvent, SupervisedSource
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo

FS = 250.0


# -- the gap counter ----------------------------------------------------------------------------
def _info(package: bool = False) -> StreamInfo:
    rows = (ChannelInfo("Package", "package_num", ""), ChannelInfo("C3")) if package else ()
    return StreamInfo("t", None, FS, (ChannelInfo("C3"),), board_rows=rows)


def _chunk(t: np.ndarray, counts: np.ndarray | None = None, gap_before: bool = False) -> Chunk:
    board = None if counts is None else np.vstack([counts, np.zeros_like(t)])
    eeg = np.zeros((1, t.size))
    return Chunk(eeg, t, np.zeros(t.size), board_data=board, gap_before=gap_before)


def test_timestamp_jitter_of_brainflow_is_not_a_gap_but_a_break_is():
    gaps = GapCounter(_info())
    rng = np.random.default_rng(1)
    t = 1000.0 + np.arange(2500) / FS
    # BrainFlow stamps packets on arrival: steps up to 16 ms (4 periods) on a healthy board.
    jitter = t + rng.uniform(0, 0.012, t.size)
    jitter.sort()
    for piece in np.array_split(jitter, 500):
        assert gaps.add(_chunk(piece)) is None
    assert (gaps.gaps, gaps.dropped) == (0, 0)
    after = jitter[-1] + 0.4 + np.arange(50) / FS  # 0.4 s without samples
    gap = gaps.add(_chunk(after))
    assert gap is not None and gap.reason == "timestamps"
    assert (gaps.gaps, gaps.dropped) == (1, 99)  # a step of 100 periods: 99 samples missing
    assert gap.t == after[0] and "0.400 s without samples" in gap.describe()


def test_package_counter_counts_each_lost_sample_and_ignores_the_wrap():
    gaps = GapCounter(_info(package=True))
    counts = np.arange(2000) % 256
    t = 1000.0 + np.arange(2000) / FS
    for a in range(0, 1000, 10):
        assert gaps.add(_chunk(t[a : a + 10], counts[a : a + 10])) is None
    assert gaps.uses_package_counter and gaps.gaps == 0
    # Three samples lost in transit (12 ms: far below any timestamp tolerance).
    gap = gaps.add(_chunk(t[1003:1013], counts[1003:1013]))
    assert gap is not None and gap.reason == "package counter"
    assert (gaps.gaps, gaps.dropped) == (1, 3)
    # Losses inside a chunk, across the wrap from 255 to 0.
    i = np.r_[1013:1020, 1022:1030]
    assert 255 in counts[i] % 256 or 0 in counts[i]
    gap = gaps.add(_chunk(t[i], counts[i]))
    assert (gaps.gaps, gaps.dropped) == (2, 5)
    assert gap.t == t[1022]
    for a in range(1030, 2000, 10):
        assert gaps.add(_chunk(t[a : a + 10], counts[a : a + 10])) is None
    assert gaps.gaps == 2


def test_a_counter_that_numbers_packets_falls_back_to_timestamps():
    """Some boards number packets of several samples: the counter is learnt, not trusted."""
    gaps = GapCounter(_info(package=True))
    t = 1000.0 + np.arange(3000) / FS
    counts = (np.arange(3000) // 12) % 100  # 12 samples share a number
    for a in range(0, 3000, 12):
        assert gaps.add(_chunk(t[a : a + 12], counts[a : a + 12])) is None
    assert not gaps.uses_package_counter and gaps.gaps == 0


def test_a_reconnection_is_one_gap_and_a_seek_none():
    gaps = GapCounter(_info())
    gaps.add(_chunk(1000 + np.arange(10) / FS))
    gap = gaps.add(_chunk(1005 + np.arange(10) / FS, gap_before=True))
    assert gap is not None and gap.reason == "reconnected"
    assert (gaps.gaps, gaps.dropped) == (1, 1240)  # 4.964 s at 250 Hz, minus the next sample
    gaps.restart()  # a replay seek: the stream jumps on purpose
    assert gaps.add(_chunk(900 + np.arange(10) / FS, gap_before=True)) is None
    assert gaps.gaps == 1


# -- one rule for the model and for supervision --------------------------------------------------
def _cli(*argv: str):
    return build_parser().parse_args(["run", *argv])


def test_the_same_model_is_chosen_for_the_same_settings_by_cli_and_window(tmp_path):
    registry = ModelRegistry(tmp_path / "models")
    info = SimulatedSubject(speed=None).info
    # Nothing chosen: both take the registry's active model (the shipped one)...
    cli = session_options(_cli(), record=None).model
    window = AppSettings().model_request()
    assert cli == window == ModelRequest()
    first = resolve_model(cli, info, registry)
    assert first.label == resolve_model(window, info, registry).label
    assert first.label.startswith("emotion-default@") and not first.explicit
    # ... and after the user activates another model, both take that one.
    registry.activate("brainflow-restfulness")
    assert resolve_model(cli, info, registry).label.startswith("brainflow-restfulness@")
    assert resolve_model(window, info, registry).label.startswith("brainflow-restfulness@")
    # A model named by the user wins, the same way on both sides.
    named = session_options(_cli("--model", "brainflow-mindfulness"), record=None).model
    settings = AppSettings(model_path="brainflow-mindfulness")
    assert named == settings.model_request()
    chosen = resolve_model(named, info, registry)
    assert chosen.explicit and chosen.label.startswith("brainflow-mindfulness@")
    assert session_options(_cli("--no-model"), record=None).model == ModelRequest.none()


@pytest.mark.parametrize(
    ("spec", "supervised"),
    [
        pytest.param(BoardSpec("synthetic"), True, id="board"),
        pytest.param(
            BoardSpec("playback_file", ConnectionParams(file="x.csv", master_board="synthetic")),
            False,  # a file: nothing to unplug
            id="playback-file",
        ),
        pytest.param(SimulatedSpec(), False, id="simulated"),
    ],
)
def test_every_live_source_is_supervised_by_one_rule(spec, supervised):
    opened = open_source(spec, Supervision())
    assert (opened.supervisor is not None) is supervised
    assert opened.source is (opened.supervisor or opened.source)
    refused = open_source(spec, Supervision(reconnect=False))
    assert refused.supervisor is None


def test_cli_options_map_to_the_same_supervision_the_window_uses():
    args = _cli("--board", "synthetic", "--stall-timeout", "3")
    assert session_options(args, record=None).supervision == Supervision(3.0, True)
    args = _cli("--board", "synthetic", "--no-reconnect")
    assert session_options(args, record=None).supervision.reconnect is False
    assert isinstance(source_spec(args), BoardSpec)
    assert isinstance(source_spec(_cli("--board", "simulated")), SimulatedSpec)


# -- BrainFlow's synthetic board: no false gaps ---------------------------------------------------
def test_the_synthetic_board_streams_without_a_gap(tmp_path):
    statuses: list[StreamStatus] = []
    session = StreamSession(
        BoardSpec("synthetic"),
        SessionOptions(model=ModelRequest.none(), duration_s=15.0,
                       record=RecordRequest(folder=str(tmp_path))),
        on_message=lambda m: statuses.append(m) if isinstance(m, StreamStatus) else None,
    )  # fmt: skip
    session.start()
    session.run(lambda: False)
    session.stop()
    assert session.stats.samples == 15 * 250
    assert session.gaps.uses_package_counter, "the synthetic board numbers every sample"
    assert session.gaps.gaps == 0 and statuses[-1].gaps == 0
    (folder,) = tmp_path.iterdir()
    data = read_session(folder)
    assert [e for e in data.events if e["kind"] == "gap"] == []
    assert data.meta.layout_board_id == -1


# -- a real stop of 3 s, counted once everywhere ----------------------------------------------
class PausingSubject(Source):
    """The simulated subject in real time that stops delivering for ``pause_s`` once, after
    ``after_s`` of stream (as a board whose cable is pulled and pushed back)."""

    pauses: list[float]

    def __init__(self, pause_s: float, after_s: float, on_pause=None) -> None:
        self.inner = SimulatedSubject(speed=1.0, channels=8, seed=2)
        self.pause_s, self.after_s, self.on_pause = pause_s, after_s, on_pause
        self.paused_until: float | None = None
        self.samples = 0

    @property
    def info(self) -> StreamInfo:
        return self.inner.info

    def start(self) -> None:
        self.inner.start()

    def read(self) -> Chunk | None:
        chunk = self.inner.read()
        if chunk is not None:
            self.samples += chunk.n_samples
        now = time.monotonic()
        if self.paused_until is None and self.samples >= self.after_s * FS:
            self.paused_until = now + self.pause_s
            if self.on_pause is not None:
                self.on_pause()
        if self.paused_until is not None and now < self.paused_until:
            return None  # the samples of the pause are lost
        return chunk

    def stop(self) -> None:
        self.inner.stop()


def _run_pausing(
    pause_s: float, duration_s: float, folder: Path, on_pause=None
) -> tuple[StreamSession, list[object]]:
    """Record a supervised stream whose first connection stops for ``pause_s`` after 2 s
    (reconnections stream on), until ``duration_s`` of stream; the session and what it said.
    """
    made: list[PausingSubject] = []

    def make() -> Source:
        source = PausingSubject(pause_s, 2.0 if not made else 1e9, on_pause)
        made.append(source)
        return source

    def opener(spec, supervision):
        sup = SupervisedSource(make, stall_timeout_s=1.0, backoff_s=(0.5,))
        return OpenedSource(sup, supervisor=sup)

    messages: list[object] = []
    session = StreamSession(
        BoardSpec("pausing"),
        SessionOptions(model=ModelRequest.none(), duration_s=duration_s,
                       record=RecordRequest(folder=str(folder))),
        on_message=messages.append,
        open_source=opener,
    )  # fmt: skip
    session.start()
    session.run(lambda: False)
    session.stop()
    return session, messages


def test_a_source_that_stops_for_3_s_is_one_gap_in_status_recording_and_summary(tmp_path):
    session, messages = _run_pausing(3.0, 9.0, tmp_path)
    kinds = [m.kind for m in messages if isinstance(m, SourceEvent)]
    assert kinds.count("signal_lost") == 1 and kinds.count("reconnected") == 1
    statuses = [m for m in messages if isinstance(m, StreamStatus)]
    assert session.gaps.gaps == 1 and statuses[-1].gaps == 1
    (folder,) = tmp_path.iterdir()
    data = read_session(folder)
    gap_events = [e for e in data.events if e["kind"] == "gap"]
    assert len(gap_events) == 1 and "reconnected" in gap_events[0]["detail"]
    assert data.n_samples == session.stats.samples


# -- a recording that fails during a stall never stops the stream -----------------------------
@pytest.fixture
def tiny_disk(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> None:
    """Fill the disk that holds ``folder`` to the last byte."""
    with open(folder / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc


def test_a_full_disk_during_a_stall_stops_the_recording_not_the_stream(tiny_disk):
    sessions = tiny_disk / "sessions"
    session, messages = _run_pausing(2.5, 8.0, sessions, lambda: _fill(tiny_disk))
    assert session.stats.samples == 8 * 250, "the stream ran to its end"
    failed = [m for m in messages if isinstance(m, RecordingStatus) and m.error]
    assert len(failed) == 1 and "space" in failed[0].error.lower()
    states = [m.state for m in messages if isinstance(m, StateChanged)]
    assert states[-2:] == [StreamState.ENDED, StreamState.IDLE]
    assert StreamState.ERROR not in states
    (folder,) = sessions.iterdir()
    data = read_session(folder)  # what was written before the disk filled is readable
    assert data.n_samples >= 250


# -- proxy boards record their layout board ---------------------------------------------------
def _cyton_csv(path: Path, seconds: float = 3.0) -> Path:
    """A file in BrainFlow's format with the Cyton's 24 rows (written here, checked)."""
    n = round(seconds * 250)
    data = np.zeros((24, n))
    data[0] = np.arange(n) % 256
    data[1:9] = 10 * np.sin(2 * np.pi * 10 * np.arange(n) / 250)
    data[22] = 1.7e9 + np.arange(n) / 250
    np.savetxt(path, data.T, delimiter="\t", fmt="%.6f")
    return path


def _supervised_board(spec, supervision):
    """A board wrapped in a supervisor whatever it is (the rule leaves files alone)."""
    from bci_desktop.core.sources.factory import open_board

    def make():
        return open_board(spec.board, params=spec.params, board_config=spec.board_config)

    sup = SupervisedSource(make, stall_timeout_s=supervision.stall_timeout_s)
    return OpenedSource(sup, supervisor=sup)


@pytest.mark.parametrize("supervised", [False, True], ids=["as-opened", "supervised"])
def test_a_playback_board_records_the_master_boards_id(tmp_path, supervised):
    csv = _cyton_csv(tmp_path / "cyton.csv")
    spec = BoardSpec(
        "playback_file",
        ConnectionParams(file=str(csv), master_board="cyton"),
        board_config=("loopback_false",),
    )
    session = StreamSession(
        spec,
        SessionOptions(model=ModelRequest.none(), duration_s=1.0,
                       record=RecordRequest(folder=str(tmp_path / "rec"))),
        open_source=_supervised_board if supervised else None,
    )  # fmt: skip
    session.start()
    assert session.info.board_id == -3 and session.info.layout_board == 0
    session.run(lambda: False)
    session.stop()
    (folder,) = (tmp_path / "rec").iterdir()
    meta = read_session(folder).meta
    assert meta.board_id == -3 and meta.layout_board_id == 0


def test_a_playback_file_that_delivers_nothing_ends_the_run_with_an_error(tmp_path):
    junk = tmp_path / "junk.dat"
    junk.write_bytes(bytes(range(256)) * 80)  # not BrainFlow's format
    proc = subprocess.run(
        [sys.executable, "-m", "bci_desktop", "run", "--board", "playback_file", "--file",
         str(junk), "--master-board", "synthetic", "--duration", "10", "-q"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "delivered no samples" in proc.stderr and "Traceback" not in proc.stderr


def test_replay_spec_and_simulated_spec_stream_through_the_same_session(tmp_path):
    rec = tmp_path / "rec"
    first = StreamSession(
        SimulatedSpec(speed=None),
        SessionOptions(duration_s=6.0, record=RecordRequest(folder=str(rec))),
    )
    first.start()
    first.run(lambda: False)
    first.stop()
    (folder,) = rec.iterdir()
    again = StreamSession(ReplaySpec(folder, speed=None), SessionOptions())
    again.start()
    assert again.replay is not None
    again.run(lambda: False)
    assert again.state is StreamState.ENDED and again.replay.ended
    again.stop()
    assert again.stats.samples == first.stats.samples
    assert again.stats.predictions == first.stats.predictions


def test_commands_that_cannot_be_done_raise_in_words_and_the_stream_goes_on():
    session = StreamSession(SimulatedSpec(speed=None), SessionOptions(duration_s=20.0))
    with pytest.raises(Exception, match="Connect a source first"):
        session.insert_marker(3)
    session.start()
    session.poll()
    with pytest.raises(Exception, match="other than 0"):
        session.insert_marker(0)
    with pytest.raises(Exception, match="not lost"):
        session.reconnect_now()
    with pytest.raises(Exception, match="No model 'nope'"):
        session.set_model("nope")
    assert session.state is StreamState.STREAMING and session.poll()
    session.stop()
    assert session.state is StreamState.IDLE


def test_settings_model_request_is_explicit_only_when_a_model_is_named():
    assert AppSettings().model_request() == ModelRequest()
    assert replace(AppSettings(), model_path="x.onnx").model_request() == ModelRequest("x.onnx")
