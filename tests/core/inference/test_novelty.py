"""Novelty: a window unlike the training data is withheld from the first window on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bci_desktop.core.engine import Engine
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.inference.novelty import DEFAULT_THRESHOLD, UNRELIABLE, NoveltyCheck
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.brainflow_source import BrainFlowSource
from bci_desktop.core.sources.simulated import SimulatedSubject, SubjectProfile

REFERENCE = {"mean": [1.0, 2.0, 3.0, 4.0], "std": [1.0, 0.5, 2.0, 1.0]}


def test_score_is_the_rms_distance_in_training_sds() -> None:
    check = NoveltyCheck(REFERENCE)
    assert check.score(np.array([1.0, 2.0, 3.0, 4.0])) == 0.0
    assert check.score(np.array([2.0, 1.5, 5.0, 3.0])) == pytest.approx(1.0)
    # one wild feature is capped at 10 SD: not enough on its own
    assert check.score(np.array([1e9, 2.0, 3.0, 4.0])) == pytest.approx(5.0)
    assert check.check(np.array([1e9, 2.0, 3.0, 4.0])).startswith(UNRELIABLE)
    assert check.check(np.array([2.0, 1.5, 5.0, 3.0])) is None
    assert math.isnan(check.score(np.array([1.0, 2.0])))  # wrong size: no verdict
    assert check.check(np.array([np.nan, 2.0, 3.0, 4.0])) is None  # NaN: quality's business


@pytest.mark.parametrize(
    ("reference", "kwargs"),
    [({"mean": [1.0]}, {}), ({"mean": [1.0], "std": [np.inf]}, {}), (REFERENCE, {"threshold": 0})],
)
def test_bad_settings_are_refused(reference, kwargs) -> None:
    with pytest.raises(ConfigError):
        NoveltyCheck(reference, **kwargs)
    assert NoveltyCheck.for_stream({"mean": [1.0]}, 1) is None


def _predictions(source, seconds: float) -> list:
    model = EmotionModel.load(default_model_path())
    engine = Engine(source.info, model=model)
    out: list = []
    StreamRunner(
        source, engine, duration_s=seconds, on_update=lambda u: out.extend(u.predictions)
    ).run()
    return out


def test_brainflow_s_synthetic_board_never_gets_a_label() -> None:
    predictions = _predictions(BrainFlowSource("synthetic"), 6.0)
    assert len(predictions) >= 4
    for p in predictions:  # from the first window on
        assert p.label is None and p.confidence is None and p.probabilities is None
        assert (
            p.withheld.startswith(UNRELIABLE) and "synthetic board sends sine waves" in p.withheld
        )
        assert p.novelty > DEFAULT_THRESHOLD


def test_the_trained_person_is_never_novel() -> None:
    predictions = _predictions(SimulatedSubject(speed=None, seed=42), 240.0)
    assert predictions and all(p.withheld is None for p in predictions)
    assert max(p.novelty for p in predictions) < DEFAULT_THRESHOLD / 2


def test_other_people_are_eeg_too_but_a_floating_electrode_is_not() -> None:
    other = _predictions(SimulatedSubject(speed=None, seed=1, profile=SubjectProfile(seed=9)), 60)
    assert all(p.withheld is None for p in other)  # the drift monitor warns about them
    noisy = SimulatedSubject(speed=None, seed=1, profile=SubjectProfile(impedance_noise_uv=40))
    assert all(p.withheld.startswith(UNRELIABLE) for p in _predictions(noisy, 30))
