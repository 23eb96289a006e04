"""Tests of the causal streaming filter and its settings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bci_desktop.core.dsp import FilterSettings, StreamingFilter
from bci_desktop.core.dsp import filters as filters_mod
from bci_desktop.core.errors import ConfigError

FS = 250.0

SETTINGS = [
    pytest.param(FilterSettings(), id="default"),
    pytest.param(FilterSettings(notch_hz=60.0, bandpass=(0.5, 40.0), order=2), id="60Hz"),
    pytest.param(FilterSettings(common_average=True), id="car"),
    pytest.param(FilterSettings(notch_hz=None), id="bandpass-only"),
    pytest.param(FilterSettings(bandpass=None), id="notch-only"),
    pytest.param(FilterSettings(notch_hz=None, bandpass=None), id="off"),
]


def _eeg_like(n_channels: int, n: int, seed: int = 0) -> np.ndarray:
    """Noise plus sines plus a per-channel DC offset (like BrainFlow's synthetic board)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FS
    x = rng.normal(scale=5.0, size=(n_channels, n))
    x += 20.0 * np.sin(2 * np.pi * 10.0 * t) + 8.0 * np.sin(2 * np.pi * 50.0 * t)
    x += np.linspace(10.0, 160.0, n_channels)[:, None]
    return x


def _gain_db(freq: float, settings: FilterSettings, seconds: float = 12.0) -> float:
    """Steady-state gain of the filter at ``freq`` (RMS over the last 4 s)."""
    t = np.arange(int(seconds * FS)) / FS
    x = np.sin(2 * np.pi * freq * t)[None, :]
    y = StreamingFilter(1, FS, settings).process(x)
    tail = slice(-int(4 * FS), None)
    return 20 * np.log10(np.std(y[0, tail]) / np.std(x[0, tail]))


@pytest.mark.parametrize("settings", SETTINGS)
def test_chunked_equals_whole(settings: FilterSettings) -> None:
    x = _eeg_like(6, 3000)
    whole = StreamingFilter(6, FS, settings).process(x)
    rng = np.random.default_rng(3)
    filt = StreamingFilter(6, FS, settings)
    parts, pos = [], 0
    while pos < x.shape[1]:
        n = int(rng.choice([0, 1, 1, 2, 5, 7, 31, 62, 250]))
        parts.append(filt.process(x[:, pos : pos + n]))
        pos += n
    chunked = np.concatenate(parts, axis=1)
    assert chunked.shape == x.shape
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-9)


def test_notch_removes_50_hz_and_passes_10_hz() -> None:
    settings = FilterSettings()
    assert _gain_db(50.0, settings) < -30.0
    assert abs(_gain_db(10.0, settings)) < 0.5


def test_60_hz_notch() -> None:
    settings = FilterSettings(notch_hz=60.0, bandpass=None)
    assert _gain_db(60.0, settings) < -30.0
    assert abs(_gain_db(50.0, settings)) < 0.5
    assert abs(_gain_db(10.0, settings)) < 0.5


def test_notch_off_lets_50_hz_through() -> None:
    assert _gain_db(50.0, FilterSettings(notch_hz=None, bandpass=None)) == pytest.approx(
        0, abs=1e-6
    )
    # The 45 Hz band-pass edge alone attenuates 50 Hz far less than the notch does.
    assert _gain_db(50.0, FilterSettings(notch_hz=None)) > -20.0


def test_bandpass_removes_drift_and_high_frequencies() -> None:
    settings = FilterSettings(notch_hz=None, bandpass=(1.0, 45.0))
    assert _gain_db(0.1, settings, seconds=60.0) < -20.0
    assert _gain_db(80.0, settings) < -20.0


def test_bandpass_off_keeps_dc() -> None:
    x = np.full((2, 500), 42.0)
    y = StreamingFilter(2, FS, FilterSettings(bandpass=None)).process(x)
    np.testing.assert_allclose(y, 42.0, atol=1e-9)


def test_everything_off_is_identity() -> None:
    x = _eeg_like(3, 400)
    y = StreamingFilter(3, FS, FilterSettings(notch_hz=None, bandpass=None)).process(x)
    np.testing.assert_array_equal(y, x)
    assert y is not x


def test_dc_offset_gives_no_step_transient() -> None:
    # A 150 µV offset with a small 10 Hz wave: a zero-initialised band-pass would ring at
    # ~150 µV; the steady-state start keeps the output at the scale of the wave.
    t = np.arange(500) / FS
    x = 150.0 + 2.0 * np.sin(2 * np.pi * 10.0 * t)[None, :]
    y = StreamingFilter(1, FS).process(x)
    assert np.max(np.abs(y)) < 5.0


def test_reset_starts_afresh() -> None:
    x = _eeg_like(4, 600, seed=1)
    filt = StreamingFilter(4, FS)
    first = filt.process(x)
    second = filt.process(x)
    assert not np.allclose(first, second)
    filt.reset()
    np.testing.assert_array_equal(filt.process(x), first)


def test_common_average_reference() -> None:
    rng = np.random.default_rng(2)
    common = 50.0 * rng.normal(size=(1, 300))
    x = rng.normal(size=(5, 300)) + common
    off = FilterSettings(notch_hz=None, bandpass=None, common_average=True)
    y = StreamingFilter(5, FS, off).process(x)
    np.testing.assert_allclose(y, x - x.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(y.sum(axis=0), 0.0, atol=1e-9)
    # With filtering on, CAR happens first: same as filtering the re-referenced signal.
    on = StreamingFilter(5, FS, FilterSettings(common_average=True)).process(x)
    ref = StreamingFilter(5, FS, FilterSettings()).process(x - x.mean(axis=0))
    np.testing.assert_allclose(on, ref, atol=1e-9)


def test_non_finite_input_never_poisons_the_state() -> None:
    x = _eeg_like(3, 500, seed=4)
    bad = x.copy()
    bad[1, 100] = np.nan
    bad[2, 200:210] = np.inf
    bad[0, 0] = -np.inf  # even the sample the state starts from
    filt = StreamingFilter(3, FS)
    y = filt.process(bad)
    assert np.isfinite(y).all()
    assert np.isfinite(filt.process(x)).all()


def test_fast_kernel_matches_public_sosfilt(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _eeg_like(4, 1000, seed=5)
    fast = StreamingFilter(4, FS).process(x)
    monkeypatch.setattr(filters_mod, "_sosfilt_inplace", filters_mod._sosfilt_public)
    slow = StreamingFilter(4, FS).process(x)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-10)


def test_output_is_float64_and_shape_checked() -> None:
    filt = StreamingFilter(2, FS)
    y = filt.process(np.ones((2, 3), dtype=np.float32))
    assert y.dtype == np.float64 and y.shape == (2, 3)
    assert filt.process(np.zeros((2, 0))).shape == (2, 0)
    with pytest.raises(ValueError, match=r"shape \(2, n\)"):
        filt.process(np.zeros((3, 4)))


def test_settings_is_read_only() -> None:
    s = FilterSettings(notch_hz=60.0)
    filt = StreamingFilter(1, FS, s)
    assert filt.settings is s
    with pytest.raises(AttributeError):
        filt.settings = FilterSettings()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("settings", "sample_rate", "match"),
    [
        pytest.param(
            FilterSettings(notch_hz=55.0),
            FS,
            r"'notch_hz' parameter. Allowed values are 50.0, 60.0, None, but got 55.0",
            id="notch-55",
        ),
        pytest.param(
            FilterSettings(notch_hz=60.0, bandpass=None),
            100.0,
            "a notch below half the stream's sample rate of 100 Hz, or None, but got 60",
            id="notch-above-nyquist",
        ),
        pytest.param(
            FilterSettings(bandpass=(0.0, 45.0)), FS, r"0 < low < high < 125 Hz", id="low-0"
        ),
        pytest.param(
            FilterSettings(bandpass=(40.0, 10.0)), FS, r"but got \(40.0, 10.0\)", id="reversed"
        ),
        pytest.param(
            FilterSettings(bandpass=(1.0, 200.0)), FS, "half the sample rate", id="high-nyq"
        ),
        pytest.param(
            FilterSettings(bandpass=(1.0,)),  # type: ignore[arg-type]
            FS,
            "two numbers",
            id="one-edge",
        ),
        pytest.param(FilterSettings(order=0), FS, "'order' parameter", id="order-0"),
        pytest.param(FilterSettings(order=2.5), FS, "'order' parameter", id="order-float"),  # type: ignore[arg-type]
        pytest.param(
            FilterSettings(common_average="yes"),  # type: ignore[arg-type]
            FS,
            "'common_average' parameter",
            id="car-str",
        ),
        pytest.param(FilterSettings(), 0.0, "sample rate must be a positive", id="rate-0"),
    ],
)
def test_bad_settings_raise_config_error(
    settings: FilterSettings, sample_rate: float, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        settings.validate(sample_rate)
    with pytest.raises(ConfigError, match=match):
        StreamingFilter(2, sample_rate, settings)


def test_settings_round_trip_through_json() -> None:
    s = FilterSettings(notch_hz=60, bandpass=(0.5, 40), common_average=True, order=2)
    d = json.loads(json.dumps(s.to_dict()))
    assert d == {"notch_hz": 60.0, "bandpass": [0.5, 40.0], "common_average": True, "order": 2}
    back = FilterSettings.from_dict(d)
    assert back == s
    assert back.bandpass == (0.5, 40.0)
    assert FilterSettings.from_dict({}) == FilterSettings()
    off = FilterSettings(notch_hz=None, bandpass=None)
    assert FilterSettings.from_dict(json.loads(json.dumps(off.to_dict()))) == off


def test_from_dict_rejects_unknown_keys() -> None:
    with pytest.raises(ConfigError, match=r"Unknown filter setting.*'notch'"):
        FilterSettings.from_dict({"notch": 50})
    with pytest.raises(ConfigError, match="mapping"):
        FilterSettings.from_dict([("notch_hz", 50)])  # type: ignore[arg-type]


def test_describe() -> None:
    assert FilterSettings().describe() == "notch 50 Hz, band-pass 1-45 Hz (order 4)"
    off = FilterSettings(notch_hz=None, bandpass=None, common_average=True)
    assert off.describe() == "no notch, no band-pass, common average reference"
