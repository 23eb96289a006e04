"""Drift of the live features from the model's training reference."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.drift import DriftMonitor, drift_warning
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject, SubjectProfile

REF = {"mean": [0.0, 10.0, -5.0], "std": [1.0, 2.0, 0.5]}


def _feed(monitor: DriftMonitor, rows: np.ndarray) -> list[float]:
    return [monitor.update(r) for r in rows]


def _rows(n, shift=(0.0, 0.0, 0.0), scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    mean, std = np.array(REF["mean"]), np.array(REF["std"])
    return mean + std * (np.asarray(shift) + scale * rng.normal(size=(n, 3)))


def test_same_distribution_scores_low():
    monitor = DriftMonitor(REF, window_s=30, hop_s=0.25)
    scores = _feed(monitor, _rows(400))
    assert monitor.ready and scores[-1] == monitor.score
    assert max(s for s in scores if not math.isnan(s)) < 0.5
    assert not monitor.alarm


def test_mean_shift_is_measured_in_training_sds():
    monitor = DriftMonitor(REF)
    _feed(monitor, _rows(120, shift=(2.0, 2.0, 2.0), scale=0.01))
    shift, spread = monitor.components
    assert shift == pytest.approx(2.0, abs=0.01)
    assert spread == 0.0  # less variable than training is not drift
    assert monitor.score == pytest.approx(2.0, abs=0.01) and monitor.alarm


def test_one_shifted_feature_counts_as_rms():
    monitor = DriftMonitor(REF)
    _feed(monitor, _rows(120, shift=(3.0, 0.0, 0.0), scale=0.01))
    assert monitor.components[0] == pytest.approx(3.0 / math.sqrt(3), abs=0.02)


def test_more_variance_than_training_counts():
    monitor = DriftMonitor(REF)
    _feed(monitor, _rows(120, scale=np.e**1.5, seed=2))
    spread = monitor.components[1]
    assert spread == pytest.approx(1.5, abs=0.2)
    assert monitor.score > 1.0


def test_zero_std_reference_and_nan_rows_are_harmless():
    monitor = DriftMonitor({"mean": [1.0, 0.0], "std": [0.0, 0.0]}, window_s=5, hop_s=0.25)
    for _ in range(20):
        monitor.update(np.array([1.0, 0.0]))
    assert monitor.score == 0.0
    before = monitor.score
    assert monitor.update(np.array([np.nan, 1.0])) == before  # ignored
    for _ in range(20):
        score = monitor.update(np.array([50.0, 1e6]))
    assert math.isfinite(score) and score <= 2 * 10.0  # each term capped at 10


def _exact(rows: np.ndarray, ref: dict) -> float:
    """The drift score from its definition: the last window's rows, mean and std anew."""
    mean, std = np.array(ref["mean"]), np.array(ref["std"])
    shift = np.minimum(np.abs(rows.mean(axis=0) - mean) / std, 10.0)
    spread = np.clip(np.log(rows.std(axis=0)) - np.log(std), 0.0, 10.0)
    return float(np.sqrt(np.mean(shift**2)) + np.mean(spread))


def test_running_sums_give_the_score_of_the_definition():
    """Thousands of updates (the window wraps dozens of times), a distribution that moves
    and features with a large offset (where sums of squares lose digits)."""
    ref = {"mean": [1000.0, 0.0, -5.0], "std": [2.0, 2.0, 0.5]}  # std above the 1e-3*mean floor
    monitor = DriftMonitor(ref, window_s=30, hop_s=0.25)
    rng = np.random.default_rng(5)
    rows = np.array(ref["mean"]) + rng.normal(size=(3000, 3)) * np.linspace(0.2, 3, 3000)[:, None]
    for k, r in enumerate(rows):
        score = monitor.update(r)
        if k >= 29 and k % 97 == 0:
            window = rows[max(0, k + 1 - monitor.capacity) : k + 1]
            assert score == pytest.approx(_exact(window, ref), rel=1e-9, abs=1e-12)
    monitor.reset()
    assert math.isnan(monitor.update(rows[0]))
    for r in rows[1:40]:
        monitor.update(r)
    assert monitor.score == pytest.approx(_exact(rows[:40], ref), rel=1e-9)


def test_not_ready_before_a_quarter_of_the_window():
    monitor = DriftMonitor(REF, window_s=10, hop_s=0.25)  # 40 rows, 10 needed
    scores = _feed(monitor, _rows(10))
    assert all(math.isnan(s) for s in scores[:9]) and math.isfinite(scores[9])


def test_alarm_has_hysteresis():
    monitor = DriftMonitor(REF, window_s=2.5, hop_s=0.25, threshold=1.0, clear_ratio=0.8)
    _feed(monitor, _rows(10, shift=(1.2, 1.2, 1.2), scale=0.01))
    assert monitor.alarm
    _feed(monitor, _rows(10, shift=(0.9, 0.9, 0.9), scale=0.01))
    assert monitor.score < 1.0 and monitor.alarm  # between 0.8 and 1.0: still on
    _feed(monitor, _rows(10, shift=(0.5, 0.5, 0.5), scale=0.01))
    assert not monitor.alarm
    monitor.reset()
    assert math.isnan(monitor.score) and not monitor.alarm


@pytest.mark.parametrize(
    ("reference", "match"),
    [
        ({"mean": [1.0]}, "needs reference statistics with 'mean' and 'std'"),
        ({"mean": [1.0, 2.0], "std": [1.0]}, "same length"),
        ({"mean": [np.nan], "std": [1.0]}, "NaN"),
    ],
)
def test_bad_reference_is_refused(reference, match):
    with pytest.raises(ConfigError, match=match):
        DriftMonitor(reference)


# -- in the engine, on the simulated subject ------------------------------------------------
@pytest.fixture(scope="module")
def model() -> EmotionModel:
    return EmotionModel.load(default_model_path())


def _session(model, profile: SubjectProfile, seed: int, seconds: float = 75.0):
    sim = SimulatedSubject(speed=None, seed=seed, profile=profile, chunk_s=0.5)
    engine = Engine(sim.info, model=model, config=EngineConfig())
    preds = []
    StreamRunner(
        sim, engine, duration_s=seconds, on_update=lambda u: preds.extend(u.predictions)
    ).run()
    drift = np.array([p.drift for p in preds if p.drift is not None])
    return engine, preds, drift


def test_drift_stays_low_on_the_trained_person(model, caplog):
    caplog.set_level(logging.WARNING, logger="bci_desktop")
    engine, preds, drift = _session(model, SubjectProfile(), seed=201)
    assert preds[0].drift is None  # not enough live features yet
    assert len(drift) > 0.7 * len(preds)
    assert isinstance(preds[-1].drift, float) and preds[-1].drift == round(preds[-1].drift, 3)
    assert drift.max() < engine.config.drift_threshold == 1.2
    assert not engine.drift_alarm
    assert "differs from the model's training data" not in caplog.text


@pytest.mark.parametrize(
    ("profile", "factor"),
    [
        # 15 uV: above ~22 uV every window is withheld as unlike the training data (novelty)
        pytest.param(SubjectProfile(impedance_noise_uv=15.0), 4.0, id="impedance-15uV"),
        pytest.param(SubjectProfile(alpha_peak_hz=8.0), 1.6, id="alpha-peak-8Hz"),
        pytest.param(SubjectProfile(seed=3), 2.0, id="another-person"),
    ],
)
def test_drift_rises_when_the_signal_changes(model, caplog, profile, factor):
    _, _, same = _session(model, SubjectProfile(), seed=201)
    caplog.set_level(logging.WARNING, logger="bci_desktop")
    _, _, changed = _session(model, profile, seed=201)
    assert np.median(changed) > factor * np.median(same)
    assert np.median(changed) > 1.0
    warnings = [r for r in caplog.records if "training data (drift" in r.getMessage()]
    assert len(warnings) == 1  # logged once, not at every hop
    assert warnings[0].levelno == logging.WARNING
    # One wording for the log and the window's banner.
    score = float(warnings[0].getMessage().split("(drift ")[1].split(")")[0])
    assert warnings[0].getMessage() == drift_warning(score)
