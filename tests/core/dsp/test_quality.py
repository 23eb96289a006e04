"""Tests of per-channel signal quality."""

from __future__ import annotations

import numpy as np
import pytest

from bci_desktop.core.dsp import (
    FilterSettings,
    QualityLevel,
    QualityMonitor,
    QualityState,
    QualityThresholds,
    StreamingFilter,
)
from bci_desktop.core.errors import ConfigError

FS = 250.0
NAMES = ("Fz", "C3", "Cz", "C4", "Pz", "Oz")


def _clean(n: int = 250, seed: int = 0, n_channels: int = len(NAMES)) -> np.ndarray:
    """Healthy EEG-like raw signal: 10 Hz alpha, noise and a DC offset, in µV."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FS
    x = 15.0 * np.sin(2 * np.pi * 10.0 * t + rng.uniform(0, 6, size=(n_channels, 1)))
    x += rng.normal(scale=5.0, size=(n_channels, n))
    return x + rng.uniform(10, 160, size=(n_channels, 1))


def _filtered(raw: np.ndarray) -> np.ndarray:
    """Filter 4 s of context before the window, as the engine would have."""
    raw = np.where(np.isfinite(raw), raw, 0.0)
    context = np.concatenate([np.repeat(raw, 4, axis=1), raw], axis=1)
    return StreamingFilter(raw.shape[0], FS, FilterSettings()).process(context)[:, -raw.shape[1] :]


def _assess(raw: np.ndarray, **kwargs: object) -> object:
    return QualityMonitor(NAMES, FS, **kwargs).assess(raw, _filtered(raw))  # type: ignore[arg-type]


def test_clean_signal_is_good() -> None:
    report = _assess(_clean())
    assert list(report.states) == [QualityState.GOOD] * len(NAMES)
    assert list(report.levels) == [QualityLevel.GOOD] * len(NAMES)
    assert report.bad_channels() == ()
    assert report.worst_level() == QualityLevel.GOOD
    assert report.summary() == "6 good"
    assert np.all(report.amplitude_uv > 5) and np.all(report.amplitude_uv < 30)
    assert np.all(report.line_noise_ratio < 0.1)


def test_flat_channel() -> None:
    raw = _clean()
    raw[5] = 42.0 + np.random.default_rng(1).normal(scale=0.01, size=raw.shape[1])
    report = _assess(raw)
    assert report.state("Oz") == QualityState.FLAT
    assert report.level(5) == QualityLevel.BAD
    assert report.bad_channels() == ("Oz",)
    assert report.describe("Oz").startswith("Oz: flat line (")
    assert report.summary() == "5 good, 1 bad (Oz: flat line)"


def test_railed_channel() -> None:
    raw = _clean()
    raw[1, :105] = 187_500.0  # 42 % of samples at the rail, the rest normal
    report = _assess(raw)
    assert report.state("C3") == QualityState.RAILED
    assert report.level("c3") == QualityLevel.BAD  # names are case-insensitive
    assert report.railed_fraction[1] == pytest.approx(0.42)
    assert report.describe("C3") == "C3: railed (42% of samples at the rail)"


def test_fully_railed_channel_is_railed_not_flat() -> None:
    raw = _clean()
    raw[2] = -187_400.0
    report = _assess(raw)
    assert report.state("Cz") == QualityState.RAILED


def test_rail_is_a_threshold() -> None:
    raw = _clean()
    raw[0, :50] = 5000.0  # 20 % at 5 mV: railed for an amplifier with a 5 mV range
    monitor = QualityMonitor(NAMES, FS, thresholds=QualityThresholds(rail_uv=5000.0))
    assert monitor.assess(raw, _filtered(raw)).state(0) == QualityState.RAILED
    assert _assess(raw).state(0) != QualityState.RAILED  # Cyton range: not at the rail


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_samples(value: float) -> None:
    raw = _clean()
    raw[3, 10:35] = value  # 10 %
    report = QualityMonitor(NAMES, FS).assess(raw, _filtered(raw))
    assert report.state("C4") == QualityState.NOT_FINITE
    assert report.level("C4") == QualityLevel.BAD
    assert report.nonfinite_fraction[3] == pytest.approx(0.1)
    # The numbers stay finite and the other channels are untouched.
    for arr in (report.amplitude_uv, report.line_noise_ratio, report.railed_fraction):
        assert np.isfinite(arr).all()
    assert report.bad_channels() == ("C4",)
    assert report.describe("C4") == "C4: NaN/inf (10% of samples are NaN or infinite)"


def test_all_nan_channel() -> None:
    raw = _clean()
    raw[0] = np.nan
    filt = _filtered(raw)
    filt[0] = np.nan  # even if the filtered copy holds NaN too
    report = QualityMonitor(NAMES, FS).assess(raw, filt)
    assert report.state(0) == QualityState.NOT_FINITE
    assert report.amplitude_uv[0] == 0.0
    assert report.nonfinite_fraction[0] == 1.0


def test_huge_artifact_is_high_amplitude() -> None:
    raw = _clean()
    t = np.arange(raw.shape[1]) / FS
    raw[4] += 700.0 * np.sin(2 * np.pi * 3.0 * t)  # eye-blink-like, ~500 µV std
    raw[2] += 200.0 * np.sin(2 * np.pi * 6.0 * t)  # ~140 µV std: poor
    report = _assess(raw)
    assert report.state("Pz") == QualityState.HIGH_AMPLITUDE
    assert report.level("Pz") == QualityLevel.BAD
    assert report.state("Cz") == QualityState.HIGH_AMPLITUDE
    assert report.level("Cz") == QualityLevel.POOR
    assert report.describe("Pz").startswith("Pz: high amplitude (")
    assert report.summary() == ("4 good, 1 poor (Cz: high amplitude), 1 bad (Pz: high amplitude)")


@pytest.mark.parametrize("line_freq", [50.0, 60.0])
def test_line_noise(line_freq: float) -> None:
    raw = _clean()
    t = np.arange(raw.shape[1]) / FS
    raw[0] += 400.0 * np.sin(2 * np.pi * line_freq * t)  # far more than the EEG: bad
    raw[1] += 25.0 * np.sin(2 * np.pi * line_freq * t)  # a few times the EEG: poor
    report = QualityMonitor(NAMES, FS, line_freq=line_freq).assess(raw, _filtered(raw))
    assert report.state(0) == QualityState.LINE_NOISE
    assert report.level(0) == QualityLevel.BAD
    assert report.state(1) == QualityState.LINE_NOISE
    assert report.level(1) == QualityLevel.POOR
    assert report.level(2) == QualityLevel.GOOD
    assert f"at {line_freq:g} Hz" in report.describe(0)
    # Mains at the other frequency is not what this monitor looks for.
    other = 60.0 if line_freq == 50.0 else 50.0
    other_report = QualityMonitor(NAMES, FS, line_freq=other).assess(raw, _filtered(raw))
    assert other_report.state(0) != QualityState.LINE_NOISE


def test_worst_problem_wins() -> None:
    raw = _clean()
    t = np.arange(raw.shape[1]) / FS
    # Poor amplitude (~140 µV std) and bad line noise: the bad one names the state.
    raw[0] += 200.0 * np.sin(2 * np.pi * 6.0 * t) + 1000.0 * np.sin(2 * np.pi * 50.0 * t)
    # NaN and line noise: NaN comes first among bad problems.
    raw[1] += 500.0 * np.sin(2 * np.pi * 50.0 * t)
    raw[1, 7] = np.nan
    report = _assess(raw, thresholds=QualityThresholds(line_noise_bad=10.0))
    assert report.state(0) == QualityState.LINE_NOISE
    assert report.level(0) == QualityLevel.BAD
    assert report.state(1) == QualityState.NOT_FINITE


def test_worst_level_of_a_subset() -> None:
    raw = _clean()
    raw[5] = 1.0
    report = _assess(raw)
    assert report.worst_level(["Fz", "C3"]) == QualityLevel.GOOD
    assert report.worst_level(["fz", "OZ"]) == QualityLevel.BAD
    assert report.worst_level([]) == QualityLevel.GOOD
    with pytest.raises(ConfigError, match="Unknown channel 'T7'"):
        report.worst_level(["T7"])


def test_summary_names_at_most_four_channels() -> None:
    raw = _clean()
    raw[:] = 3.0
    report = _assess(raw)
    assert report.summary() == (
        "6 bad (Fz: flat line, C3: flat line, Cz: flat line, C4: flat line, 2 more)"
    )


def test_labels() -> None:
    assert [s.label for s in QualityState] == [
        "good",
        "NaN/inf",
        "flat line",
        "railed",
        "high amplitude",
        "line noise",
    ]
    assert [lv.label for lv in QualityLevel] == ["good", "poor", "bad"]


def test_report_arrays_are_read_only() -> None:
    report = _assess(_clean())
    with pytest.raises(ValueError, match="read-only"):
        report.levels[0] = 2


def test_window_length_may_change() -> None:
    monitor = QualityMonitor(NAMES, FS)
    for n in (250, 125, 250, 500):
        raw = _clean(n)
        assert monitor.assess(raw, _filtered(raw)).worst_level() == QualityLevel.GOOD


def test_shape_errors() -> None:
    monitor = QualityMonitor(NAMES, FS)
    with pytest.raises(ValueError, match=r"shape \(6, n\)"):
        monitor.assess(np.zeros((5, 250)), np.zeros((5, 250)))
    with pytest.raises(ValueError, match="shape"):
        monitor.assess(np.zeros((6, 250)), np.zeros((6, 200)))


def test_bad_configuration() -> None:
    with pytest.raises(ConfigError, match="'line_freq' parameter"):
        QualityMonitor(NAMES, 100.0, line_freq=60.0)
    with pytest.raises(ConfigError, match="'flat_uv' parameter: expected a finite number above 0"):
        QualityThresholds(flat_uv=-1.0)
    with pytest.raises(ConfigError, match="amplitude_bad_uv"):
        QualityThresholds(amplitude_poor_uv=200.0, amplitude_bad_uv=100.0)
    with pytest.raises(ConfigError, match="at least one channel"):
        QualityMonitor([], FS)
