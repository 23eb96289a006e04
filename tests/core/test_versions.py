"""``bci-desktop --version`` and :func:`gather_versions`: the versions really in use."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import numpy
import onnxruntime
import pytest
from brainflow.board_shim import BoardShim

import bci_desktop
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.versions import NOT_INSTALLED, gather_versions


def _installed(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(folder))
    return folder


def test_versions_are_those_of_the_loaded_libraries(data_dir: Path) -> None:
    v = gather_versions()
    assert v.app == bci_desktop.__version__
    assert v.brainflow == BoardShim.get_version()  # the native library, as loaded
    assert v.numpy == numpy.__version__
    assert v.onnxruntime == onnxruntime.__version__
    assert v.qt == _installed("PyQt6-Qt6") and v.pyqt == _installed("PyQt6")
    assert v.active_model.startswith("emotion-default@")  # nothing activated: the default
    assert not v.bundled
    assert (v.location / "cli" / "__init__.py").is_file()
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.app = "9"  # type: ignore[misc]


def test_the_activated_model_is_the_one_reported(data_dir: Path) -> None:
    registry = ModelRegistry(include_brainflow=True)
    registry.activate("brainflow-mindfulness")
    assert gather_versions().active_model == registry.active().label
    assert gather_versions().active_model.startswith("brainflow-mindfulness@")


def test_a_broken_data_folder_gives_the_default_model_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(blocker))  # models/ cannot be created
    v = gather_versions()  # reading the registry creates nothing (issue 12)
    assert v.active_model.startswith("emotion-default@")
    assert f"Active model: {v.active_model}" in "\n".join(v.lines())


def test_qt_given_by_the_window_wins() -> None:
    v = gather_versions(qt="6.99.1", pyqt="6.99.0")
    assert "Qt: 6.99.1 (PyQt6 6.99.0)" in v.lines()


def test_version_option_prints_every_version(data_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bci_desktop", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0] == f"bci-desktop {bci_desktop.__version__}"
    assert f"BrainFlow: {BoardShim.get_version()}" in lines
    assert f"onnxruntime: {onnxruntime.__version__}" in lines
    assert f"numpy: {numpy.__version__}" in lines
    qt = _installed("PyQt6-Qt6")
    assert (f"Qt: {qt} (PyQt6 {_installed('PyQt6')})" if qt != NOT_INSTALLED else
            f"Qt: {NOT_INSTALLED}") in lines  # fmt: skip
    assert any(ln.startswith("Active model: emotion-default@") for ln in lines)
