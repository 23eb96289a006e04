"""Stimulus files checked before Start, what a self-report says, and the run's steps."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from bci_desktop.core.affect import STATES, Sign
from bci_desktop.core.calibration.protocol import StateInduction, default_protocol
from bci_desktop.core.calibration.ratings import Agreement, agreement, rated_state, side
from bci_desktop.core.calibration.run import END_MARKER, START_MARKER, CalibrationRun, Step
from bci_desktop.core.calibration.stimuli import (
    Stimulus,
    StimulusError,
    StimulusKind,
    find_stimuli,
)
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.sources.participant import SelfReport

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
WAV = b"RIFF\x24\0\0\0WAVEfmt " + b"\0" * 64


def _protocol(tmp_path: Path, stimuli: dict[str, tuple[str, ...]], **kw):
    states = tuple(StateInduction.of(s, stimuli=stimuli.get(s, ())) for s in ("calm", "happy"))
    return replace(default_protocol(), states=states, base_dir=tmp_path, **kw)


# -- stimuli ---------------------------------------------------------------------------------
def test_folders_and_files_are_found_typed_and_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "stimuli" / "calm"
    folder.mkdir(parents=True)
    (folder / "b.jpg").write_bytes(JPEG)
    (folder / "a.png").write_bytes(PNG)
    (folder / "notes.txt").write_text("not a stimulus")
    (folder / ".hidden.png").write_bytes(b"junk")
    (tmp_path / "sea.wav").write_bytes(WAV)
    found = find_stimuli(_protocol(tmp_path, {"calm": ("stimuli/calm",), "happy": ("sea.wav",)}))
    assert [(s.name, s.kind) for s in found["calm"]] == [
        ("stimuli/calm/a.png", StimulusKind.IMAGE),
        ("stimuli/calm/b.jpg", StimulusKind.IMAGE),
    ]
    assert found["happy"] == (Stimulus(tmp_path / "sea.wav", StimulusKind.AUDIO, "sea.wav"),)


def test_every_file_that_cannot_be_shown_is_named_before_start(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("I am not a picture, I only pretend to be one.")
    (tmp_path / "clip.xyz").write_bytes(b"x")
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "nothing").mkdir()
    big = tmp_path / "huge.png"
    with big.open("wb") as fh:
        fh.write(PNG)
        fh.truncate(65 << 20)  # sparse
    p = _protocol(
        tmp_path,
        {
            "calm": ("missing.jpg", "empty.png", "text.png", "huge.png"),
            "happy": ("clip.xyz", "pipe.png", "nothing"),
        },
    )
    with pytest.raises(StimulusError) as info:
        find_stimuli(p)
    problems = info.value.problems
    text = " ".join(problems)
    assert "'missing.jpg' does not exist" in text
    assert "'empty.png' is empty" in text
    assert "'text.png' is not a PNG file" in text
    assert "'huge.png' is larger than 64 MB" in text
    assert "'clip.xyz' (happy) is not an image, audio or video file" in text
    assert "'pipe.png' cannot be read" in text and "not a regular file" in text
    assert "'nothing' (happy) holds no image, audio or video file" in text
    assert len(problems) == 7


# -- ratings ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("valence", "arousal", "state", "expected", "rated"),
    [
        (8, 2, "calm", Agreement.AGREES, "calm"),
        (8, 8, "calm", Agreement.CONTRADICTS, "happy"),
        (2, 2, "happy", Agreement.CONTRADICTS, "sad"),
        (5, 2, "calm", Agreement.UNCLEAR, None),
        (3, 7, "stressed", Agreement.AGREES, "stressed"),
        (5, 5, "sad", Agreement.UNCLEAR, None),
    ],
)
def test_a_rating_agrees_contradicts_or_is_unclear(valence, arousal, state, expected, rated):
    states = default_protocol().states
    report = SelfReport(valence, arousal)
    assert agreement(report, default_protocol().state(state)) is expected
    assert rated_state(report, states) == rated


def test_custom_expectations_and_unrated_blocks() -> None:
    focused = StateInduction.of("focused", instructions="Count.", arousal=Sign.HIGH)
    rest = StateInduction.of("resting", instructions="Rest.", arousal=Sign.LOW)
    assert agreement(SelfReport(1, 9), focused) is Agreement.AGREES  # valence: either side
    assert agreement(SelfReport(9, 1), focused) is Agreement.CONTRADICTS
    assert rated_state(SelfReport(2, 8), (focused, rest)) == "focused"
    assert agreement(None, focused) is Agreement.UNRATED
    assert [side(v) for v in (1, 5, 9)] == [Sign.LOW, Sign.NEUTRAL, Sign.HIGH]
    with pytest.raises(ConfigError, match="runs from 1 to 9"):
        SelfReport(0, 5)


# -- the run ---------------------------------------------------------------------------------
def _events(cues):
    return [(c.event, c.detail) for c in cues]


def test_the_steps_follow_the_stream_clock_and_wait_for_the_rating(tmp_path: Path) -> None:
    p = replace(_protocol(tmp_path, {}), blocks_per_state=2, block_s=10.0, rest_s=2.0,
                prepare_s=3.0, seed=0)  # fmt: skip
    order = p.block_order()
    run = CalibrationRun(p, order, {}, start_s=100.0)
    begin = run.begin()
    assert begin[0].event == "calibration_begin" and begin[0].induce is None
    assert run.tick(102.9) == [] and run.view(102.9).step is Step.PREPARE
    cues = run.tick(103.0)
    (start,) = cues
    n = p.state_names.index(order[0]) + 1
    assert (start.event, start.detail, start.marker) == (
        "calibration_start",
        order[0],
        START_MARKER + n,
    )
    assert start.induce == order[0] and start.changes_state
    assert run.view(105).remaining_s == pytest.approx(8.0)
    (end,) = run.tick(200.0)  # a late tick: the block ended, the rating waits
    assert (end.event, end.marker, end.asks_report) == ("calibration_end", END_MARKER + n, True)
    assert run.step is Step.RATING and run.tick(300.0) == []
    with pytest.raises(ConfigError, match="No block is waiting"):
        CalibrationRun(p, order, {}).rate(SelfReport(5, 5), 0.0)
    (report,) = run.rate(SelfReport(7, 3), 301.0)
    assert report.event == "self_report"
    assert json.loads(report.detail) == {"block": 0, "state": order[0], "valence": 7, "arousal": 3}
    assert run.step is Step.REST and run.view(301).state.name == order[1]
    assert run.tick(303.0) == [] and run.step is Step.PREPARE  # rest over: instructions
    assert _events(run.tick(306.0)) == [("calibration_start", order[1])]
    for block in range(1, 4):
        run.tick(1000.0 * block)
        run.rate(SelfReport(5, 5), 1000.0 * block)
        if block < 3:
            run.tick(1000.0 * block + 500)
    assert run.step is Step.DONE and run.finished
    assert run.view(5000).progress == 1.0


def test_images_take_turns_and_clips_play_to_their_end(tmp_path: Path) -> None:
    p = replace(_protocol(tmp_path, {}), block_s=20.0, image_s=6.0, prepare_s=0.0, seed=1,
                self_report=False)  # fmt: skip
    images = tuple(
        Stimulus(tmp_path / f"{i}.png", StimulusKind.IMAGE, f"{i}.png") for i in range(2)
    )
    clip = (Stimulus(tmp_path / "c.mp4", StimulusKind.VIDEO, "c.mp4"),)
    order = ("calm", "happy", "calm", "happy")
    run = CalibrationRun(p, order, {"calm": images, "happy": clip})
    cues = run.tick(0.0)
    assert _events(cues) == [("calibration_start", "calm"), ("calibration_stimulus", "0.png")]
    assert _events(run.tick(12.5)) == [
        ("calibration_stimulus", "1.png"),
        ("calibration_stimulus", "0.png"),
    ]
    assert run.view(12.5).stimulus.name == "0.png" and run.view(12.5).shown == 3
    ended = run.tick(20.0)  # an image at 18 s, then the end; no self-report: a rest
    assert _events(ended)[0] == ("calibration_stimulus", "1.png")
    assert ended[1].event == "calibration_end" and not ended[1].asks_report
    cues = run.tick(30.0)  # the rest is over, no instructions (prepare_s 0): the block
    assert _events(cues) == [("calibration_start", "happy"), ("calibration_stimulus", "c.mp4")]
    assert run.tick(45.0) == []  # a clip is not cut by a timer
    assert _events(run.clip_ended(46.0)) == [("calibration_stimulus", "c.mp4")]
    assert [c.event for c in run.tick(50.0)] == ["calibration_end"]  # the clip is cut
    assert _events(run.tick(60.0)) == [  # calm goes on where its last block stopped
        ("calibration_start", "calm"),
        ("calibration_stimulus", "0.png"),
    ]


def test_cancel_leaves_the_block_open_and_a_resumed_run_starts_later(tmp_path: Path) -> None:
    p = replace(_protocol(tmp_path, {}), seed=3)
    order = p.block_order()
    run = CalibrationRun(p, order, {})
    run.tick(p.prepare_s)
    (cancel,) = run.cancel()
    assert cancel.event == "calibration_cancelled" and cancel.protocol_over
    assert run.finished and run.cancel() == []
    resumed = CalibrationRun(p, order, {}, first_block=4, start_s=0.0)
    assert "blocks 5-6 of 6" in resumed.begin()[0].detail
    assert _events(resumed.tick(p.prepare_s)) == [("calibration_start", order[4])]
    with pytest.raises(ConfigError, match="Nothing to run"):
        CalibrationRun(p, order, {}, first_block=len(order))
    assert set(STATES) >= set(order)
