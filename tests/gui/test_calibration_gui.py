"""Models > Calibrate a personal model…, end to end on the simulated subject.

The simulated person does not follow on-screen prompts, so the stream runs
``CalibrationPlan(...).script()`` (same states, timing and seed as the flow, no rests),
looping from the stream's first sample, and the flow starts its first block on a multiple
of the script's length (``align_s``): the person is then in the state the flow shows.
The source is the real :class:`SimulatedSubject` at 4x real time (the flow times its
blocks by the stream's clock); only the window's source opener is given the script,
which the window cannot set.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt

from bci_desktop.core.calibration import END, START, CalibrationPlan
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.validation import validate_model_file
from bci_desktop.core.recording.session import read_session
from bci_desktop.core.session import SimulatedSpec, StreamState, open_source
from bci_desktop.gui.calibration import END_MARKER, START_MARKER
from bci_desktop.gui.calibration_timeline import Timeline, first_block_start
from bci_desktop.gui.main_window import MainWindow

T = 30000  # ms
STATES = ("calm", "stressed")
SEED = 3
SPEED = 4.0
PLAN = CalibrationPlan(STATES, per_state_s=12.0, block_s=6.0, rest_s=0.0, seed=SEED)


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    script = PLAN.script()

    def scripted(spec, supervision):
        if isinstance(spec, SimulatedSpec):
            spec = replace(spec, script=script)
        return open_source(spec, supervision)

    w = MainWindow(open_source=scripted, isolate=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.device_panel.set_board("simulated")
    w.device_panel.set_speed(SPEED)
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: w.live.samples_total > 50, timeout=T)
    yield w
    w.close()
    assert not w.worker_thread.isRunning()


def _dialog(w: MainWindow):
    d = w.features.calibration.open()
    d.setup_page.subject_edit.setText("S01")
    assert set(d.setup_page.state_boxes) == {"calm", "happy", "sad", "stressed"}
    for state, box in d.setup_page.state_boxes.items():
        box.setChecked(state in STATES)
    d.setup_page.minutes.setValue(0.2)
    d.setup_page.block_s.setValue(6)
    d.setup_page.rest_s.setValue(0)
    d.setup_page.full_screen.setChecked(False)
    return d


def test_calibration_end_to_end_on_the_simulated_subject(qtbot, window) -> None:
    w = window
    d = _dialog(w)
    qtbot.waitUntil(lambda: d.setup_page.start_button.isEnabled(), timeout=T)
    setup = d.setup_page.setup()
    assert (setup.states, setup.per_state_s, setup.block_s, setup.rest_s) == (
        STATES,
        12.0,
        6.0,
        0.0,
    )
    setup = replace(setup, seed=SEED, lead_in_s=0.5, align_s=PLAN.duration_s)
    assert d.start(setup)
    qtbot.waitUntil(lambda: d.phase == "running", timeout=T)
    assert d.session_folder is not None and d.session_folder.is_dir()
    first = PLAN.blocks[0].state
    qtbot.waitUntil(lambda: d.run_page.phase_text == "Block 1 of 4", timeout=T)
    assert d.run_page.state_text == first
    assert ":" in d.run_page.countdown_text

    qtbot.waitUntil(lambda: d.phase == "result", timeout=60000)
    report = d.report
    assert report is not None
    assert report.metadata.label.startswith("personal-S01@")
    assert report.metadata.classes == STATES
    assert report.path.parent == Path(w.features.models.registry.root)
    assert report.path.name.startswith("personal-S01-")
    assert validate_model_file(report.path).ok
    # The simulated person followed the blocks: block-wise cross-validation is far above
    # chance (50%), and the page shows what the report holds.
    assert report.cv_accuracy >= 0.8, report.summary()
    assert d.result_page.accuracy_text == (
        f"Cross-validated accuracy: {100 * report.cv_accuracy:.1f}%"
    )
    assert d.result_page.matrix_rows() == report.confusion_matrix

    # The recording holds a marker and an event at every block start and end.
    data = read_session(d.session_folder)
    events = [(e["kind"], e.get("detail")) for e in data.events if e["kind"] in (START, END)]
    expected = [(k, b.state) for b in PLAN.blocks for k in (START, END)]
    assert events == expected
    markers = sorted({m.value for m in data.markers})
    assert markers == [START_MARKER + 1, START_MARKER + 2, END_MARKER + 1, END_MARKER + 2]
    assert "calibration:" in data.meta.notes

    # Activate: imported, active, and the live stream switches to it without a restart.
    info = w.live.info
    d.result_page.activate_button.click()
    label = report.metadata.label
    qtbot.waitUntil(lambda: w.live.last_prediction.model == label, timeout=T)
    assert w.live.info is info
    assert w.features.models.registry.active().label == label
    assert f"{label} is active" in d.result_page.status_text


def test_escape_cancels_and_keeps_the_recording(qtbot, window) -> None:
    w = window
    d = _dialog(w)
    setup = replace(d.setup_page.setup(), seed=SEED, lead_in_s=0.5)
    assert d.start(setup)
    qtbot.waitUntil(lambda: d.run_page.phase_text.startswith("Block 1"), timeout=T)
    d.setFocus()
    qtbot.keyClick(d, Qt.Key.Key_Escape)
    assert d.phase == "cancelled"
    assert d.isVisible(), "Esc cancels the blocks, it does not close the dialog"
    assert "The recording is kept at" in d.message
    assert d.setup_page.outcome_text == d.message
    assert d.pages.currentWidget() is d.setup_page
    folder = d.session_folder
    qtbot.waitUntil(lambda: not w.worker.recording, timeout=T)
    kinds = [e["kind"] for e in read_session(folder).events]
    assert kinds[:3] == [START, END, "calibration_cancelled"]


def test_setup_refuses_what_cannot_be_trained(qtbot, window) -> None:
    d = _dialog(window)
    d.setup_page.subject_edit.setText("")
    d.setup_page.minutes.setValue(0.1)  # one 6 s block per state: no block-wise CV
    assert not d.start()
    assert "subject id" in d.message and "at least two blocks" in d.message
    assert d.setup_page.outcome_text.startswith("Not started: ")
    assert not d.setup_page.start_button.isEnabled()
    assert "at least two blocks" in d.setup_page.problems_text
    assert "subject id" in d.setup_page.problems_text
    assert d.phase == "setup"


def test_timeline_orders_block_boundaries_and_aligns() -> None:
    plan = CalibrationPlan(("calm", "sad"), per_state_s=20.0, block_s=10.0, rest_s=2.0, seed=1)
    tl = Timeline(plan, start_s=5.0)
    kinds = [s.kind for s in tl.segments]
    assert kinds == ["block", "rest", "block", "rest", "block", "rest", "block"]
    assert tl.end_s == 5.0 + 4 * 10.0 + 3 * 2.0
    assert tl.at(4.9) is None and tl.at(5.0).kind == "block" and tl.at(15.5).kind == "rest"
    marks = tl.boundaries(-1.0, 100.0)
    assert [k for _, k, _ in marks] == ["start", "end"] * 4
    no_rest = Timeline(replace(plan, rest_s=0.0), 0.0)
    at_10 = no_rest.boundaries(9.0, 10.0)
    assert [k for _, k, _ in at_10] == ["end", "start"]  # an end before the next start
    assert first_block_start(3.0, 1.0) == 4.0
    assert first_block_start(3.0, 1.0, align_s=24.0) == 24.0
    assert first_block_start(24.0, 0.0, align_s=24.0) == 24.0
    with pytest.raises(ConfigError, match="align_s"):
        first_block_start(0.0, 1.0, align_s=0.0)
