"""The retraining gate of CI (models/retrain_gate.py).

The slow tests run the real gate, in a subprocess, on a copy of the app's code and shipped
models: unchanged, the retrained emotion-ganglion model is the shipped file byte for byte
and the gate passes; with one feature constant changed in the copy (an alpha band edge, the
Welch segment overlap) the gate fails, says the shipped file must be regenerated, and gives
the command.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import onnx
import pytest

from bci_desktop.core.errors import BCIError

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
FAMILY = "emotion-ganglion"  # 4 channels, trained on the 4 s families' 5 sessions


def _gate() -> ModuleType:
    name = "bci_models_retrain_gate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, MODELS / "retrain_gate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _copy(tmp_path: Path, file: str = "", old: str = "", new: str = "") -> Path:
    """The app's code and models in ``tmp_path``, with ``old`` replaced by ``new`` in ``file``."""
    copy = tmp_path / "copy"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "bci_desktop", copy / "bci_desktop", ignore=skip)
    shutil.copytree(MODELS, copy / "models", ignore=skip)
    if file:
        path = copy / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} is not once in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")
    return copy


def _run_gate(copy: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(copy)}  # the copy's bci_desktop, not the install
    return subprocess.run(
        [sys.executable, str(copy / "models" / "retrain_gate.py"), "--only", FAMILY],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _row(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(FAMILY + " "))


@pytest.mark.slow
def test_gate_passes_on_the_code_as_it_is(tmp_path: Path) -> None:
    result = _run_gate(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    row = _row(result.stdout)
    assert "ok (identical graph)" in row  # the script reproduces the shipped file exactly
    assert "100.00%" in row and "0.0000" in row
    assert "retraining gate passed: 1 of 1 models ok" in result.stdout
    assert "not retrained in CI: the network tier" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("file", "old", "new", "why"),
    [
        pytest.param(
            "bci_desktop/core/dsp/features.py",
            '("alpha", 8.0, 13.0)',
            '("alpha", 9.0, 13.0)',
            "its recipe differs from the script's in features.bands",
            id="alpha-band-edge",
        ),
        pytest.param(
            "bci_desktop/core/dsp/features.py",
            "self.step = nperseg - nperseg // 2",
            "self.step = nperseg - nperseg // 4",
            "more than 1 point below the card",  # the shipped file is fed other features
            id="welch-overlap",
        ),
    ],
)
def test_gate_fails_when_a_feature_constant_changes(
    tmp_path: Path, file: str, old: str, new: str, why: str
) -> None:
    result = _run_gate(_copy(tmp_path, file, old, new))
    assert result.returncode == 1, result.stdout + result.stderr
    assert _row(result.stdout).endswith("FAIL")
    out = result.stdout
    assert f"FAIL {FAMILY}: the shipped file's predictions differ from the retrained" in out
    assert "the shipped file must be regenerated in the same change" in out
    assert why in out
    command = f"python models/train_default.py --only {FAMILY}"
    assert f"regenerate it and its card in this change: {command}" in out
    assert "retraining gate FAILED: 0 of 1 models ok" in out
    assert "Traceback" not in result.stderr


def test_every_card_states_its_files_held_out_accuracy() -> None:
    gate = _gate()
    for path in sorted(MODELS.glob("*.onnx")):
        model = onnx.load(path)
        meta = json.loads(next(p.value for p in model.metadata_props if p.key == "bci_desktop"))
        stated = gate.card_accuracy(path.with_suffix(".md"))
        assert stated == round(100 * meta["metrics"]["heldout"]["accuracy"], 1), path.name


def test_a_card_without_the_figure_is_named(tmp_path: Path) -> None:
    card = tmp_path / "emotion-x.md"
    card.write_text("# Model card\n\n| held-out accuracy | about ninety |\n", encoding="utf-8")
    with pytest.raises(BCIError, match=r"emotion-x\.md has no '\| held-out accuracy"):
        _gate().card_accuracy(card)
    with pytest.raises(BCIError, match=r"cannot read the model card emotion-y\.md"):
        _gate().card_accuracy(tmp_path / "emotion-y.md")


def test_recipe_differences_name_the_fields() -> None:
    diff = _gate().recipe_differences
    a = {"window_s": 4.0, "features": {"bands": [["alpha", 8, 13]], "segment_s": 1.0}}
    b = {"window_s": 4.0, "features": {"bands": [["alpha", 9, 13]], "segment_s": 1.0}}
    assert diff(a, a) == []
    assert diff(a, b) == ["features.bands"]
    assert diff(a, {**b, "window_s": 10.0}) == ["window_s", "features.bands"]


def test_a_missing_models_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(MODELS / "retrain_gate.py"), "--models-dir", str(tmp_path / "no")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"retraining gate: no folder of models at {tmp_path / 'no'}"


def test_an_unknown_model_name_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, str(MODELS / "retrain_gate.py"), "--only", "emotion-nope"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("retraining gate could not run: no shipped model is named ")
    assert "emotion-nope (the models: emotion-brainbit, " in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
