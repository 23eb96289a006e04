"""Models > Calibrate a personal model…, end to end on the simulated subject.

The window is the default one: its session runs in the acquisition child process, and the
simulated subject streams there at 10x real time. Nothing tells the subject a script: it
follows the calibration's cues (the same commands a real calibration sends; the subject
is the one source that is the person), and answers each self-report, which the test then
types on the rating page, key by key, as a person would.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QKeySequence, QShortcut

from bci_desktop.core.affect import STATES
from bci_desktop.core.calibration.record import (
    BEGIN,
    CALIBRATION_FILE,
    END,
    REPORT,
    START,
    read_calibration,
)
from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.inference.validation import validate_model_file
from bci_desktop.core.recording.session import read_session
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.session import SimulatedSpec, StreamState
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.gui.main_window import MainWindow
from tests.gui.calibration_helpers import mjpeg_avi, protocol_file, stimulus_folders, tone_wav

T = 60000  # ms
_DIGIT = {d: getattr(Qt.Key, f"Key_{d}") for d in range(1, 10)}


def _window(qtbot, spec: SimulatedSpec) -> MainWindow:
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.connect_spec(spec)
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: w.live.samples_total > 100, timeout=T)
    return w


@pytest.fixture
def windows(qtbot):
    made: list[MainWindow] = []

    def make(spec: SimulatedSpec) -> MainWindow:
        made.append(_window(qtbot, spec))
        return made[-1]

    yield make
    for w in made:
        w.close()
        assert not w.worker_thread.isRunning()


def _dialog(w: MainWindow, protocol: Path, subject: str = "S01"):
    d = w.features.calibration.open()
    assert d.setup_page.load_protocol(protocol) is None, d.setup_page.outcome_text
    d.setup_page.subject_edit.setText(subject)
    d.setup_page.full_screen.setChecked(False)
    return d


def _rate_by_keys(qtbot, d, until) -> list[tuple[int, int, int]]:
    """Type the simulated subject's answer on every rating page until ``until()``."""
    typed = []
    while True:
        qtbot.waitUntil(
            lambda: until() or (d.run_page.current == "rating" and d.run.block in d.answers),
            timeout=T,
        )
        if until():
            return typed
        block = d.run.block
        answer = d.answers[block]
        page = d.run_page.rating
        assert page.hasFocus(), "the rating page takes the keyboard"
        assert f"valence {answer.valence}, arousal {answer.arousal}" in page.hint_label.text()
        qtbot.keyClick(page, _DIGIT[answer.valence])
        assert page.valence.value == answer.valence and page.active == "arousal"
        qtbot.keyClick(page, _DIGIT[answer.arousal])
        qtbot.keyClick(page, Qt.Key.Key_Return)
        typed.append((block, answer.valence, answer.arousal))
        left = lambda b=block: until() or d.run.block != b or d.run_page.current != "rating"  # noqa: E731
        qtbot.waitUntil(left, timeout=T)


def _agreement(model_path: Path, seed: int = 99) -> float:
    """Share of labelled windows of a later, separately generated session (the same person,
    another session seed, the states in another order) the model gets right."""
    script = "calm:60,happy:60,stressed:60,sad:60,happy:60,calm:60,sad:60,stressed:60"
    source = SimulatedSubject(speed=None, seed=seed, loop=False, chunk_s=0.5, script=script)
    engine = Engine(source.info, model=EmotionModel.load(model_path), config=EngineConfig())
    preds = []
    StreamRunner(source, engine, on_update=lambda u: preds.extend(u.predictions)).run()
    scored = [p.label == p.truth for p in preds if p.withheld is None and p.truth is not None]
    assert len(scored) > 1500
    return float(np.mean(scored))


def test_image_protocol_with_self_report_trains_a_model_that_is_better_than_chance(
    qtbot, windows, tmp_path: Path
) -> None:
    stimuli = stimulus_folders(tmp_path)
    protocol = protocol_file(
        tmp_path / "protocol.json",
        [{"name": s, "stimuli": [stimuli[s]]} for s in STATES],
        blocks_per_state=3, block_s=20, rest_s=3, prepare_s=3, image_s=5, seed=11,
    )  # fmt: skip
    w = windows(SimulatedSpec(speed=10.0, seed=3))
    for act in w.marker_actions:  # as if the window took marker keys everywhere
        act.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    inserted: list[float] = []
    w.worker.marker_inserted.connect(inserted.append)
    d = _dialog(w, protocol)
    qtbot.waitUntil(lambda: d.setup_page.start_button.isEnabled(), timeout=T)
    assert d.setup_page.problems_text == ""
    d.setup_page.start_button.click()
    qtbot.waitUntil(lambda: d.phase == "running", timeout=T)

    # A block shows the state's images full screen, one after another.
    qtbot.waitUntil(lambda: d.run_page.current == "image", timeout=T)
    first = d.run.order[0]
    shown = d.run_page.image_view.shown
    assert shown is not None and shown.parent == tmp_path / "stimuli" / first
    assert d.run_page.phase_text == f"Block 1 of 12 · {first}"

    typed = _rate_by_keys(qtbot, d, lambda: d.phase in ("review", "failed", "cancelled"))
    assert d.phase == "review", d.message
    assert len(typed) == 12
    assert not [m for m in inserted if 1 <= m <= 9], "digits typed on the rating page made markers"

    # The recording: protocol saved, a marker and an event at every block start and end, the
    # ratings as typed, and the simulated person in the block's state inside every block.
    folder = d.session_folder
    record = read_calibration(folder)
    saved = json.loads((folder / CALIBRATION_FILE).read_text())
    assert saved["protocol"]["seed"] == 11 and saved["order"] == list(d.run.order)
    assert [(b.index, b.report.valence, b.report.arousal) for b in record.blocks] == typed
    assert all(b.complete for b in record.blocks) and record.finished
    data = read_session(folder)
    kinds = [e["kind"] for e in data.events]
    assert kinds.count(START) == kinds.count(END) == kinds.count(REPORT) == 12
    assert sorted({m.value for m in data.markers}) == [101, 102, 103, 104, 201, 202, 203, 204]
    truth = data.samples[data.meta.truth_row]
    for b in record.blocks:
        assert (truth[b.start : b.end] == STATES.index(b.state)).all(), b
    (begin,) = [e["sample"] for e in data.events if e["kind"] == BEGIN]
    assert (truth[begin : record.blocks[0].start] == -1).all()  # led, but no state induced

    # Review: every block listed; labels from the protocol; train.
    page = d.review_page
    assert len(page.reviews) == 12 and page.label_source.value == "protocol"
    page.train_button.click()
    qtbot.waitUntil(lambda: d.phase in ("result", "failed"), timeout=120000)
    report = d.report
    assert report is not None, d.message
    v = report.verdict
    assert v.better_than_chance and v.p_value < 0.05 and v.balanced_accuracy > 0.6
    rp = d.result_page
    assert rp.verdict_text == v.sentence() and rp.verdict_text.startswith("Better than chance")
    assert rp.accuracy_text == f"{100 * v.balanced_accuracy:.1f}%"
    assert rp.chance_text == "25.0%"
    assert rp.p_text == f"p = {v.p_value:.2g}"
    assert rp.activate_button.isEnabled() and not rp.override_box.isVisible()
    assert validate_model_file(report.path).ok
    card = report.metadata.provenance["calibration"]
    assert card["subject"] == "S01" and card["label_source"] == "protocol"
    assert card["protocol"]["name"] == "Test protocol"
    assert report.metadata.metrics["p_value"] == pytest.approx(v.p_value)

    # The personal model on a later, separately generated session of the same person.
    assert _agreement(report.path) >= 0.85

    # Activate: imported, active, and the live stream switches to it.
    rp.activate_button.click()
    label = report.metadata.label
    qtbot.waitUntil(lambda: w.live.last_prediction.model == label, timeout=T)
    assert w.features.models.registry.active().label == label


def test_a_non_responder_gets_not_better_than_chance_and_activate_disabled(
    qtbot, windows, tmp_path: Path
) -> None:
    protocol = protocol_file(tmp_path / "p.json", list(STATES), blocks_per_state=2, block_s=15,
                             rest_s=2, prepare_s=2, seed=5)  # fmt: skip
    w = windows(SimulatedSpec(speed=10.0, seed=4, responsive=False))
    d = _dialog(w, protocol, subject="S02")
    qtbot.waitUntil(lambda: d.setup_page.start_button.isEnabled(), timeout=T)
    assert d.start()
    _rate_by_keys(qtbot, d, lambda: d.phase in ("review", "failed", "cancelled"))
    assert d.phase == "review", d.message
    d.review_page.train_button.click()
    qtbot.waitUntil(lambda: d.phase in ("result", "failed"), timeout=120000)
    v = d.report.verdict
    assert not v.better_than_chance
    rp = d.result_page
    assert rp.verdict_text.startswith("Not better than chance")
    assert "do not use this model" in rp.verdict_text
    assert not rp.activate_button.isEnabled()
    assert rp.override_box.isVisible() and "no better than guessing" in rp.override_box.text()
    d.activate()  # refused without the override
    assert rp.status_text.startswith("Activate is disabled")
    rp.override_box.setChecked(True)
    assert rp.activate_button.isEnabled()
    assert d.report.metadata.metrics["better_than_chance"] is False


def test_a_missing_stimulus_file_is_refused_before_start_with_its_name(
    qtbot, windows, tmp_path: Path
) -> None:
    stimuli = stimulus_folders(tmp_path, states=("calm",))
    protocol = protocol_file(
        tmp_path / "p.json",
        [{"name": "calm", "stimuli": [stimuli["calm"]]},
         {"name": "happy", "stimuli": ["stimuli/happy/party.jpg"]}],
    )  # fmt: skip
    w = windows(SimulatedSpec(speed=10.0))
    d = _dialog(w, protocol)
    qtbot.waitUntil(lambda: "party.jpg" in d.setup_page.problems_text, timeout=T)
    assert "stimuli/happy/party.jpg" in d.setup_page.problems_text
    assert "does not exist" in d.setup_page.problems_text
    assert not d.setup_page.start_button.isEnabled()
    assert not d.start()
    assert "party.jpg" in d.message and d.phase == "setup"
    assert not w.worker.recording


def test_escape_cancels_keeps_the_recording_and_resume_runs_the_rest(
    qtbot, windows, tmp_path: Path
) -> None:
    protocol = protocol_file(tmp_path / "p.json", ["calm", "stressed"], blocks_per_state=2,
                             block_s=6, rest_s=1, prepare_s=1, seed=2)  # fmt: skip
    w = windows(SimulatedSpec(speed=10.0, seed=6))
    d = _dialog(w, protocol, subject="S03")
    qtbot.waitUntil(lambda: d.setup_page.start_button.isEnabled(), timeout=T)
    assert d.start()
    _rate_by_keys(qtbot, d, lambda: d.run is not None and d.run.block == 1)
    qtbot.waitUntil(lambda: d.run_page.current == "instructions" and d.run.step.value == "block",
                    timeout=T)  # fmt: skip
    d.setFocus()
    qtbot.keyClick(d, Qt.Key.Key_Escape)
    assert d.phase == "cancelled" and d.isVisible()
    assert "1 of 4 blocks are done" in d.message and "Resume" in d.message
    first = d.session_folder
    qtbot.waitUntil(lambda: not w.worker.recording, timeout=T)
    record = read_calibration(first)
    assert record.cancelled and record.next_block == 1 and record.interrupted
    assert [b.complete for b in record.blocks] == [True, False]

    qtbot.waitUntil(lambda: d.setup_page.resume_button.isVisible(), timeout=T)
    assert "stopped after 1 of 4 blocks" in d.setup_page.resume_label.text()
    d.setup_page.resume_button.click()
    qtbot.waitUntil(lambda: d.phase == "running", timeout=T)
    assert d.run.block == 1 and d.session_folder != first
    _rate_by_keys(qtbot, d, lambda: d.phase in ("review", "failed", "cancelled"))
    assert d.phase == "review", d.message
    second = read_calibration(d.session_folder)
    assert second.first_block == 1 and second.continues == first.name and second.finished
    assert [b.index for b in second.blocks] == [1, 2, 3]
    assert set(d.review_page.sessions()) == {first, d.session_folder}
    complete = [r.block.key for r in d.review_page.reviews if r.block.complete]
    assert len(complete) == 4


def test_digits_on_the_rating_page_are_ratings_not_shortcuts(qtbot) -> None:
    from bci_desktop.gui.sam import RatingView

    host = RatingView()
    qtbot.addWidget(host)
    fired: list[int] = []
    for n in range(1, 10):
        sc = QShortcut(QKeySequence(str(n)), host)
        sc.setContext(Qt.ShortcutContext.ApplicationShortcut)
        sc.activated.connect(lambda n=n: fired.append(n))
    got = []
    host.submitted.connect(got.append)
    host.show()
    qtbot.waitExposed(host)
    host.setFocus()
    qtbot.keyClick(host, Qt.Key.Key_3)
    qtbot.keyClick(host, Qt.Key.Key_8)
    qtbot.keyClick(host, Qt.Key.Key_Left)
    qtbot.keyClick(host, Qt.Key.Key_Return)
    assert fired == []
    assert [(r.valence, r.arousal) for r in got] == [(3, 7)]
    host.reset()
    qtbot.keyClick(host, Qt.Key.Key_Return)  # nothing rated: nothing submitted
    assert len(got) == 1


def test_video_and_audio_stimuli_play_and_a_video_frame_is_shown(
    qtbot, windows, tmp_path: Path
) -> None:
    """A frame drawn on screen is counted, rather than trusting play()."""
    mjpeg_avi(tmp_path / "lake.avi", frames=20, fps=10)
    tone_wav(tmp_path / "tension.wav", seconds=1.0)
    protocol = protocol_file(
        tmp_path / "p.json",
        [{"name": "calm", "stimuli": ["lake.avi"]},
         {"name": "stressed", "stimuli": ["tension.wav"]}],
        blocks_per_state=2, block_s=5, rest_s=1, prepare_s=0, self_report=False, seed=1,
    )  # fmt: skip
    w = windows(SimulatedSpec(speed=2.0, seed=7))
    d = _dialog(w, protocol, subject="S04")
    qtbot.waitUntil(lambda: d.setup_page.start_button.isEnabled(), timeout=T)
    assert d.start()
    page = d.run_page
    qtbot.waitUntil(lambda: page.current == "video" and page.video_view.frames_painted > 0,
                    timeout=T)  # fmt: skip
    image = page.video_view.grab().toImage()
    centre = image.pixelColor(image.width() // 2, image.height() // 2)
    assert centre.name() != "#000000", "a video frame is on screen, not a black widget"
    qtbot.waitUntil(lambda: page.player.playing == tmp_path / "tension.wav", timeout=T)
    assert (
        page.current == "instructions" and page.instructions.note_label.text() == "♪ tension.wav"
    )
    qtbot.waitUntil(lambda: d.phase in ("review", "failed", "cancelled"), timeout=T)
    assert d.phase == "review", d.message
    shown = [e["detail"] for e in read_session(d.session_folder).events
             if e["kind"] == "calibration_stimulus"]  # fmt: skip
    assert "lake.avi" in shown and "tension.wav" in shown


def test_the_set_up_page_saves_a_protocol_that_loads_back(qtbot, tmp_path: Path) -> None:
    from bci_desktop.core.calibration import CalibrationProtocol
    from bci_desktop.core.calibration.order import Order
    from bci_desktop.gui.calibration_setup import SetupPage

    page = SetupPage()
    qtbot.addWidget(page)
    stimuli = stimulus_folders(tmp_path / "lab", states=("happy",))
    page.state_boxes["sad"].setChecked(False)
    page.blocks.setValue(4)
    page.block_s.setValue(45)
    page.order_box.setCurrentIndex(1)
    page.set_stimuli("happy", (str(tmp_path / "lab" / stimuli["happy"]),))
    protocol = page.protocol()
    assert protocol.state_names == ("calm", "happy", "stressed")
    assert page.save_protocol(protocol, tmp_path / "lab" / "mine.json")
    back = CalibrationProtocol.load(tmp_path / "lab" / "mine.json")
    assert back.state_names == ("calm", "happy", "stressed") and back.seed is None
    assert (back.blocks_per_state, back.block_s, back.order) == (4, 45.0, Order.COUNTERBALANCED)
    assert back.state("happy").stimuli == ("stimuli/happy",)  # relative to the file
    other = SetupPage()
    qtbot.addWidget(other)
    assert other.load_protocol(tmp_path / "lab" / "mine.json") is None
    assert list(other.state_boxes) == ["calm", "happy", "stressed"]
    assert other.protocol().state("happy").stimuli == ("stimuli/happy",)
    assert other.protocol().base_dir == tmp_path / "lab"
    for n in range(1, 4):
        assert other.state_boxes[back.state_names[n - 1]].isChecked()
    page.state_boxes["calm"].setChecked(False)
    page.state_boxes["happy"].setChecked(False)
    with pytest.raises(ConfigError, match="at least two states"):
        page.protocol()
