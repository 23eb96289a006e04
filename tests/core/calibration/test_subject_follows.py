"""The simulated subject follows a calibration's cues, through the real stream session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bci_desktop.core.affect import STATES
from bci_desktop.core.recording.session import read_session
from bci_desktop.core.session import (
    BoardSpec,
    RecordRequest,
    SimulatedSpec,
    StreamSession,
    SubjectAnswered,
)
from bci_desktop.core.sources.participant import Cue, SelfReport
from bci_desktop.core.sources.simulated import SimulatedSubject, SubjectProfile
from bci_desktop.core.sources.simulated_cues import self_report

START = Cue("calibration_start", "sad", marker=103, induce="sad", changes_state=True)
END = Cue("calibration_end", "sad", marker=203, changes_state=True, asks_report=True)


def _read(subject: SimulatedSubject, n: int, cues: dict[int, Cue], reports: list) -> tuple:
    eeg, truth, done = [], [], 0
    while done < n:
        for at, cue in cues.items():
            if at == done:
                report = subject.follow(cue)
                if report is not None:
                    reports.append(report)
        chunk = subject.read()
        eeg.append(chunk.eeg)
        truth.append(chunk.truth)
        done += chunk.n_samples
    return np.hstack(eeg), np.concatenate(truth)


@pytest.mark.parametrize("chunk_s", [0.1, 0.4, 1.0])
def test_the_state_switches_on_the_next_sample_however_the_stream_is_read(chunk_s) -> None:
    cues = {500: START, 1000: END, 1500: Cue("calibration_done", protocol_over=True)}
    reports: list[SelfReport] = []
    subject = SimulatedSubject(speed=None, chunk_s=chunk_s, seed=3)
    subject.start()
    eeg, truth = _read(subject, 2000, cues, reports)
    reference = SimulatedSubject(speed=None, chunk_s=0.1, seed=3)
    reference.start()
    ref_eeg, ref_truth = _read(reference, 2000, cues, [])
    assert np.array_equal(eeg[:, :2000], ref_eeg[:, :2000])  # however it is read
    assert np.array_equal(truth[:2000], ref_truth[:2000])
    assert (truth[:500] == STATES.index("calm")).all()  # the script's first state
    assert (truth[500:1000] == STATES.index("sad")).all()
    assert (truth[1000:1500] == -1).all()  # between blocks: no particular state
    assert (truth[1500:2000] == STATES.index("calm")).all()  # its script again
    plain = SimulatedSubject(speed=None, chunk_s=0.1, seed=3)
    plain.start()
    untouched, _ = _read(plain, 2000, {}, [])
    assert np.array_equal(eeg[:, :500], untouched[:, :500])  # nothing before the cue changed
    assert not np.allclose(eeg[:, 600:1000], untouched[:, 600:1000])
    assert reports == [self_report(STATES.index("sad"), 3, 0)]


def test_self_reports_come_from_the_true_state_with_some_noise() -> None:
    for state in STATES:
        code = STATES.index(state)
        reports = [self_report(code, seed, 0) for seed in range(200)]
        v = np.array([r.valence for r in reports])
        a = np.array([r.arousal for r in reports])
        high_v, high_a = state in ("calm", "happy"), state in ("happy", "stressed")
        assert (np.mean(v > 5) if high_v else np.mean(v < 5)) > 0.85
        assert (np.mean(a > 5) if high_a else np.mean(a < 5)) > 0.85
        assert v.std() > 0.5  # noisy, not a constant
    assert self_report(1, 7, 3) == self_report(1, 7, 3)  # reproducible
    neutral = [self_report(None, s, 0) for s in range(100)]
    assert abs(np.mean([r.valence for r in neutral]) - 5) < 0.5


def test_a_non_responder_feels_the_states_but_its_eeg_does_not_show_them() -> None:
    profile = SubjectProfile(state_effect=0.0)
    eegs = {}
    for state in ("happy", "sad"):
        s = SimulatedSubject(speed=None, chunk_s=1.0, seed=1, profile=profile)
        s.start()
        s.follow(Cue("calibration_start", state, induce=state, changes_state=True))
        eegs[state] = np.hstack([s.read().eeg for _ in range(20)])
        report = s.follow(Cue("calibration_end", state, changes_state=True, asks_report=True))
        assert (report.valence > 5) == (state == "happy")
    assert np.array_equal(eegs["happy"], eegs["sad"])


def test_the_session_records_the_cue_and_the_subject_switches_on_that_very_sample(tmp_path: Path):
    heard = []
    session = StreamSession(SimulatedSpec(speed=None, seed=2), on_message=heard.append)
    session.start()
    session.start_recording(RecordRequest(subject="S9", folder=str(tmp_path)))
    for _ in range(5):
        session.poll()
    session.cue(START)
    for _ in range(20):
        session.poll()
    session.cue(END)
    for _ in range(5):
        session.poll()
    folder = session.stop().folder
    data = read_session(folder)
    events = {e["kind"]: e["sample"] for e in data.events}
    marks = {m.value: m.sample for m in data.markers}
    truth = data.samples[data.meta.truth_row]
    start, end = events["calibration_start"], events["calibration_end"]
    assert marks[103] == start and marks[203] == end
    assert (
        truth[start - 1] != STATES.index("sad") and (truth[start:end] == STATES.index("sad")).all()
    )
    assert truth[end] == -1
    (answer,) = [m for m in heard if isinstance(m, SubjectAnswered)]
    assert answer.detail == "sad" and answer.report.valence < 5


def test_a_headset_is_not_the_person_its_cues_are_recorded_only(tmp_path: Path) -> None:
    heard = []
    session = StreamSession(BoardSpec("synthetic"), on_message=heard.append)
    session.start()
    try:
        session.start_recording(RecordRequest(folder=str(tmp_path)))
        session.poll()
        session.cue(END)
    finally:
        folder = session.stop().folder
    assert [e["kind"] for e in read_session(folder).events] == ["calibration_end"]
    assert not [m for m in heard if isinstance(m, SubjectAnswered)]
