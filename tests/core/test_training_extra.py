"""Training without scikit-learn says what to do, in a Python install and in the app."""

from __future__ import annotations

import sys

import pytest

from bci_desktop.core import training
from bci_desktop.core.errors import ConfigError


@pytest.fixture
def no_sklearn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn -> ImportError


def test_python_install_names_the_extra(no_sklearn: None) -> None:
    with pytest.raises(ConfigError, match=r"pip install 'bci-desktop\[train\]'"):
        training.fit_classifier(None, ["calm", "happy"])  # type: ignore[arg-type]


def test_stand_alone_app_does_not_talk_about_pip(
    no_sklearn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with pytest.raises(ConfigError, match="not part of the stand-alone app") as info:
        training.fit_classifier(None, ["calm", "happy"])  # type: ignore[arg-type]
    assert "pip" not in str(info.value)
