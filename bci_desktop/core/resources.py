"""Find the files shipped with the app (default model, icons), installed or from a clone."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent

DEFAULT_MODEL_FILE = "emotion-default.onnx"


def shipped_dir(name: str) -> Path:
    """Folder ``models``, ``resources`` or ``docs``: inside an installed wheel (or the
    stand-alone app), else in the clone."""
    installed = _PACKAGE / "_shipped" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def default_model_path() -> Path:
    """Path of the shipped default emotion model."""
    return shipped_dir("models") / DEFAULT_MODEL_FILE
