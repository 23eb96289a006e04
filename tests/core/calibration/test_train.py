"""Personal models from recorded calibrations: labels, verdict, card, CLI, resume, retrain.

Calibrations are recorded for real: a StreamSession streams the simulated subject, the
run's cues go to the session, the subject follows them and answers the self-reports
(:mod:`tests.core.calibration.driver`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bci_desktop.core.affect import STATES, Sign
from bci_desktop.core.calibration import (
    LabelSource,
    default_protocol,
    read_calibration,
    review_blocks,
    train_personal_model,
)
from bci_desktop.core.calibration.ratings import Agreement
from bci_desktop.core.calibration.record import calibration_chain, resumable
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.recording import SessionRecorder
from bci_desktop.core.session import SimulatedSpec
from bci_desktop.core.sources.participant import SelfReport
from bci_desktop.core.sources.simulated import SimulatedSubject
from tests.core.calibration.driver import calibrate

PROTOCOL = replace(default_protocol(), blocks_per_state=3, block_s=20.0, rest_s=3.0,
                   prepare_s=3.0, seed=11)  # fmt: skip
SHORT = replace(PROTOCOL, blocks_per_state=2, block_s=12.0)


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bci_desktop", *args], capture_output=True,
                          text=True, timeout=600, env=env, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """One full calibration of the default person (4 states x 3 blocks of 20 s)."""
    return calibrate(tmp_path_factory.mktemp("sessions"), PROTOCOL)


def test_train_judges_the_model_and_embeds_its_card(recorded: Path, tmp_path: Path) -> None:
    report = train_personal_model([recorded], tmp_path / "m.onnx", subject="S01")
    v = report.verdict
    assert v.better_than_chance and v.p_value < 0.05 and v.balanced_accuracy > 0.7
    assert v.n_blocks == 12 and v.classes == STATES
    meta = report.metadata
    assert meta.label.startswith("personal-S01@")
    card = meta.provenance["calibration"]
    assert card["subject"] == "S01" and card["label_source"] == "protocol"
    assert card["protocol"]["seed"] == 11 and card["protocol_name"] == PROTOCOL.name
    assert card["sessions"] == [recorded.name] and card["left_out"] == []
    assert card["date"][:4].isdigit() and "T" in card["date"]
    assert meta.metrics["chance_level"] == pytest.approx(0.25)
    assert meta.metrics["p_value"] == pytest.approx(v.p_value)
    assert meta.metrics["cv_balanced_accuracy"] == pytest.approx(v.balanced_accuracy, abs=1e-6)
    assert meta.recipe.channels == ("F7", "F3", "F4", "F8", "C3", "C4", "Pz", "Oz")
    assert "Better than chance" in report.summary()


def test_the_cli_trains_without_scikit_learn_and_reports_the_same_figures(
    recorded: Path, tmp_path: Path
) -> None:
    """scikit-learn, skl2onnx and onnx cannot even be imported: training needs none."""
    env = {**os.environ, "BCI_DESKTOP_DATA_DIR": str(tmp_path / "data")}
    blocker = tmp_path / "block" / "sitecustomize.py"
    blocker.parent.mkdir()
    blocker.write_text(
        "import sys\nfor name in ('sklearn', 'skl2onnx', 'onnx', 'google.protobuf'):\n"
        "    sys.modules[name] = None\n"
    )
    env["PYTHONPATH"] = os.pathsep.join([str(blocker.parent), env.get("PYTHONPATH", "")])
    model = tmp_path / "cli.onnx"
    done = _cli(env, "train", str(recorded), "-o", str(model), "--subject", "S01", "--activate")
    assert done.returncode == 0, done.stderr
    in_process = train_personal_model([recorded], tmp_path / "py.onnx", subject="S01")
    for line in in_process.verdict.lines():
        assert line in done.stdout
    listed = _cli(env, "models", "list")
    assert listed.returncode == 0, listed.stderr
    row = next(x for x in listed.stdout.splitlines() if "personal-S01@" in x)
    assert row.startswith("* ") and "(balanced, cross-validated)" in row
    assert "subject S01 |" in listed.stdout and "labels from the protocol" in listed.stdout
    assert "chance 25.0% | p = 0.0099 (100 permutations) | better than chance" in listed.stdout
    as_json = json.loads(_cli(env, "models", "list", "--json").stdout)
    (entry,) = [e for e in as_json if e["name"] == "personal-S01"]
    assert entry["card"]["protocol_states"] == list(STATES)
    assert entry["metrics"]["better_than_chance"] is True


def test_labels_from_ratings_and_contradicting_blocks(tmp_path: Path) -> None:
    def rate(block: int, answer: SelfReport) -> SelfReport:
        """Block 3's rating is typed on the wrong side of valence; a 5 elsewhere is typed
        one step towards the block's side (so every other block has a clear rating)."""
        state = PROTOCOL.state(PROTOCOL.block_order()[block])
        if block == 2:
            return SelfReport(2 if state.valence is Sign.HIGH else 8, answer.arousal)
        v = answer.valence if answer.valence != 5 else 5 + state.valence
        a = answer.arousal if answer.arousal != 5 else 5 + state.arousal
        return SelfReport(v, a)

    folder = calibrate(tmp_path, PROTOCOL, rate=rate)
    record = read_calibration(folder)
    reviews = review_blocks([record])
    bad = [r for r in reviews if r.agreement is Agreement.CONTRADICTS]
    assert [r.block.index for r in bad] == [2]
    flipped = bad[0]
    assert flipped.rated is not None and flipped.rated != flipped.block.state
    kept = train_personal_model([folder], tmp_path / "a.onnx", leave_out_contradicting=True)
    assert kept.left_out == (f"{folder.name}#3 ({flipped.block.state}) its rating contradicts "
                             "its state",)  # fmt: skip
    assert kept.verdict.n_blocks == 11
    by_rating = train_personal_model(
        [folder], tmp_path / "b.onnx", label_source=LabelSource.RATINGS
    )
    assert by_rating.label_source is LabelSource.RATINGS
    assert by_rating.metadata.provenance["calibration"]["label_source"] == "ratings"
    # the flipped block counts as the state its rating says
    assert sum(map(sum, by_rating.verdict.confusion)) == by_rating.verdict.n_windows
    mine = train_personal_model([folder], tmp_path / "c.onnx", leave_out=[f"{folder.name}#1"])
    assert mine.left_out[0].endswith("left out by you")


def test_a_non_responder_is_not_better_than_chance(tmp_path: Path) -> None:
    spec = SimulatedSpec(speed=None, seed=8, responsive=False)
    folder = calibrate(tmp_path, PROTOCOL, spec=spec)
    report = train_personal_model([folder], tmp_path / "m.onnx")
    assert not report.verdict.better_than_chance, report.verdict.figures()
    assert report.metadata.metrics["better_than_chance"] is False
    assert "do not use this model" in report.summary()
    env = {**os.environ, "BCI_DESKTOP_DATA_DIR": str(tmp_path / "data")}
    done = _cli(env, "train", str(folder), "-o", str(tmp_path / "cli.onnx"), "--activate")
    assert done.returncode == 2 and "add --force-activate" in done.stderr
    assert (tmp_path / "cli.onnx").is_file()  # written, not activated


def test_an_interrupted_calibration_resumes_and_trains_on_both_sessions(tmp_path: Path) -> None:
    first = calibrate(tmp_path, SHORT, stop_after=3)
    record = read_calibration(first)
    assert record.cancelled and record.interrupted and record.next_block == 3
    assert [b.complete for b in record.blocks] == [True, True, True, False]
    assert resumable(tmp_path, "S01").folder == first and resumable(tmp_path, "S02") is None
    second = calibrate(tmp_path, SHORT, first_block=3, continues=first.name,
                       spec=SimulatedSpec(speed=None, seed=9), order=record.order)  # fmt: skip
    resumed = read_calibration(second)
    assert resumed.first_block == 3 and resumed.continues == first.name and resumed.finished
    assert [b.index for b in resumed.blocks] == [3, 4, 5, 6, 7]
    assert resumable(tmp_path, "S01") is None  # continued to its end
    assert calibration_chain(tmp_path, resumed) == [first, second]
    report = train_personal_model([first, second], tmp_path / "m.onnx")
    assert report.verdict.n_blocks == 8
    assert any("did not run to its end" in x for x in report.left_out)
    with pytest.raises(ConfigError, match="fewer than two blocks, and cross-validation"):
        train_personal_model([first], tmp_path / "n.onnx")  # 3 blocks: not every state twice


def test_retraining_with_a_later_session_uses_both(recorded: Path, tmp_path: Path) -> None:
    later = calibrate(
        tmp_path, replace(PROTOCOL, seed=12), spec=SimulatedSpec(speed=None, seed=21)
    )
    both = train_personal_model([recorded, later], tmp_path / "m.onnx", subject="S01")
    assert both.verdict.n_blocks == 24
    assert both.metadata.provenance["calibration"]["sessions"] == [recorded.name, later.name]


def test_sessions_recorded_before_calibration_files_still_train(tmp_path: Path) -> None:
    sim = SimulatedSubject(speed=None, chunk_s=1.0, seed=1)
    rec = SessionRecorder.create(tmp_path, sim.info)
    sim.start()
    for state in ("sad", "calm", "sad", "calm"):  # the old flow's events, no calibration.json
        rec.add_event("calibration_start", state)
        for _ in range(12):
            rec.append(sim.read())
        rec.add_event("calibration_end", state)
    rec.stop()
    report = train_personal_model([rec.folder], tmp_path / "m.onnx", classes=("sad", "calm"))
    assert report.verdict.n_blocks == 4 and report.verdict.folds == 2
    assert report.metadata.provenance["calibration"]["protocol"] is None
    with pytest.raises(ConfigError, match="need self-reports"):
        train_personal_model([rec.folder], tmp_path / "r.onnx", label_source=LabelSource.RATINGS)


_HEAD = b'{"format": "bci-desktop-calibration/1", "protocol": '
_GOOD = json.dumps(PROTOCOL.to_dict()).encode()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not json", "Cannot read"),
        (b'{"format": "other/1"}', "is not a calibration file"),
        (_HEAD + b'{"format": "x"}}', "'format' must be"),
        (_HEAD + _GOOD + b', "order": ["calm", "joy"], "first_block": 0}', "invalid block order"),
    ],
)
def test_a_damaged_calibration_file_is_refused_with_its_name(
    recorded: Path, tmp_path: Path, content: bytes, match: str
) -> None:
    import shutil

    copy = tmp_path / recorded.name
    shutil.copytree(recorded, copy)
    (copy / "calibration.json").write_bytes(content)
    with pytest.raises(ConfigError, match=match) as info:
        train_personal_model([copy], tmp_path / "m.onnx")
    assert copy.name in str(info.value)
    assert not (tmp_path / "m.onnx").exists()


def test_damaged_event_lines_leave_their_block_out(recorded: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / recorded.name
    shutil.copytree(recorded, copy)
    events = copy / "events.jsonl"
    lines = events.read_text().splitlines()
    first_report = next(i for i, x in enumerate(lines) if '"self_report"' in x)
    bad = json.loads(lines[first_report])
    bad["detail"] = '{"block": 0, "valence": 1e999, "arousal": "x"}'
    lines[first_report] = json.dumps(bad)
    lines.append(
        json.dumps({"t": 0, "sample": "soon", "kind": "calibration_start", "detail": "calm"})
    )
    events.write_text("\n".join(lines) + "\n")
    record = read_calibration(copy)
    assert record.blocks[0].report is None and not record.blocks[0].complete
    assert all(b.complete for b in record.blocks[1:])


def test_a_recorded_protocol_is_reusable_for_the_next_person(recorded: Path) -> None:
    from bci_desktop.core.calibration import CalibrationProtocol

    again = CalibrationProtocol.load(recorded / "calibration.json")
    assert again.seed is None and again.with_seed(11) == PROTOCOL
