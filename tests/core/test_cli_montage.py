"""The command line on named montages: --montage, boards --json, the README's quick start."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from bci_desktop.core.montage.presets import PRESETS
from bci_desktop.core.resources import shipped_dir
from tests.core.test_cli import _one_line_error, cli

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_quick_start_shows_live_predictions_beside_the_truth(tmp_path: Path) -> None:
    block = re.search(r"```bash\n(.*?)\n```", README.read_text(encoding="utf-8"), re.S)
    command = block.group(1).split("&&")[-1].strip()
    args = shlex.split(command)
    assert args[:2] == ["bci-desktop", "run"], command
    proc = cli(*args[1:], "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    labelled = [r for r in records if r["withheld"] is None]
    assert len(records) > 100 and len(labelled) == len(records)
    assert {r["truth"] for r in records} >= {"calm", "happy"}  # a change of state is shown
    assert sum(r["label"] == r["truth"] for r in labelled) > 0.8 * len(labelled)


def test_boards_json_shows_channels_and_the_model_they_get() -> None:
    proc = cli("boards", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    for preset in PRESETS:
        for board in preset.boards:
            row = rows[board]
            assert row["channels"] == list(preset.channels), board
            assert row["model"] and row["model"].startswith("emotion-"), row["model_reason"]
            assert row["model"] in row["model_reason"]
    assert rows["ganglion"]["montage"] == {"name": "ganglion", "origin": "default placement"}
    assert rows["cyton"]["montage"] == {"name": "cyton", "origin": "brainflow"}
    assert rows["muse_2"]["model"] == "emotion-muse@1.0.0"
    assert "sine waves, not EEG" in rows["synthetic"]["model_reason"]
    unnamed = rows["neuropawn_knight"]
    assert unnamed["model"] is None and "no electrode names" in unnamed["model_reason"]
    assert rows["playback_file"]["model"] is None


def test_run_simulated_on_a_montage_agrees_with_the_truth(tmp_path: Path) -> None:
    out = tmp_path / "p.jsonl"
    model = shipped_dir("models") / "emotion-crown.onnx"
    proc = cli("run", "--board", "simulated", "--montage", "crown", "--speed", "max",
               "--duration", "150", "--model", str(model), "--jsonl", str(out), "-q")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    labelled = [r for r in records if r["withheld"] is None]
    assert len(labelled) == len(records) > 500
    assert {r["model"] for r in records} == {"emotion-crown@1.0.0"}
    assert sum(r["label"] == r["truth"] for r in labelled) > 0.8 * len(labelled)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--board", "simulated", "--montage", "Fp1,Fq2"), ("'Fq2' (channel 2)", "10-05")),
        (("--board", "simulated", "--montage", "muse3"), ("Unknown montage 'muse3'", "'muse'")),
        (("--board", "cyton", "--montage", "muse"), ("names 4 channels", "has 8 EEG channels")),
        (("--board", "simulated", "--montage", "muse", "--channels", "8"), ("not both",)),
    ],
)
def test_a_bad_montage_is_one_line_and_exit_2(args, needles) -> None:
    _one_line_error(cli("run", *args, "--duration", "1"), 2, *needles)


def test_a_recorded_session_keeps_the_montage(tmp_path: Path) -> None:
    proc = cli("run", "--board", "simulated", "--montage", "t3,T4,o1,O2", "--speed", "max",
               "--duration", "5", "--record", str(tmp_path), "-q")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (meta_file,) = tmp_path.glob("*/session.json")
    meta = json.loads(meta_file.read_text())
    assert [meta["rows"][i]["name"] for i in meta["eeg_rows"]] == ["T3", "T4", "O1", "O2"]
