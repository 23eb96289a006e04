"""Tests of spectral features: Welch band power, differential entropy, asymmetry."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import signal

from bci_desktop.core.dsp import (
    DEFAULT_BANDS,
    FeatureExtractor,
    FeatureSpec,
    band_powers,
    log_power_spectrum,
)
from bci_desktop.core.errors import ConfigError

FS = 250.0
N = 1000
NAMES = ("F7", "F3", "Fz", "F4", "F8", "Oz")


def _noise(n_channels: int = len(NAMES), n: int = N, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(scale=10.0, size=(n_channels, n)) + rng.uniform(-100, 100, (n_channels, 1))


def _sine(freq: float, amp: float, n: int = N, phase: float = 0.3) -> np.ndarray:
    return amp * np.sin(2 * np.pi * freq * np.arange(n) / FS + phase)


def _welch_scipy(x: np.ndarray, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    return signal.welch(
        x,
        FS,
        window="hann",
        nperseg=nperseg,
        noverlap=nperseg // 2,
        detrend="constant",
        scaling="density",
        axis=-1,
    )


@pytest.mark.parametrize(
    ("n", "segment_s"),
    [(1000, 1.0), (1000, 0.5), (750, 1.0), (1001, 1.0), (500, 0.3), (250, 1.0)],
)
def test_psd_matches_scipy_welch(n: int, segment_s: float) -> None:
    x = _noise(n=n, seed=n) + _sine(10.0, 20.0, n) + _sine(0.7, 50.0, n)
    freqs, db = log_power_spectrum(x, FS, segment_s=segment_s)
    f_ref, p_ref = _welch_scipy(x, round(segment_s * FS))
    np.testing.assert_allclose(freqs, f_ref)
    psd = 10 ** (db / 10)
    np.testing.assert_allclose(psd[:, 1:], p_ref[:, 1:], rtol=1e-6)
    np.testing.assert_allclose(psd[:, 0], p_ref[:, 0], rtol=1e-6, atol=1e-9)


def test_band_power_matches_integrated_scipy_psd() -> None:
    x = _noise(seed=7)
    f, p = _welch_scipy(x, 250)
    df = f[1] - f[0]
    want = np.stack(
        [p[:, (f >= lo) & (f < hi)].sum(axis=1) * df for _, lo, hi in DEFAULT_BANDS], axis=1
    )
    fe = FeatureExtractor(FeatureSpec(), NAMES, FS, N)
    np.testing.assert_allclose(fe.band_power(x), want, rtol=1e-9)
    np.testing.assert_allclose(band_powers(x, FS), want, rtol=1e-9)


def test_band_power_of_a_sine() -> None:
    amp = 30.0
    x = np.stack([_sine(10.0, amp), _sine(10.0, amp) + 500.0])  # DC offset must not matter
    bp = FeatureExtractor(FeatureSpec(), ("A", "B"), FS, N).band_power(x)
    alpha = FeatureSpec().band_names.index("alpha")
    np.testing.assert_allclose(bp[:, alpha], amp**2 / 2, rtol=0.05)
    others = np.delete(bp, alpha, axis=1)
    assert np.all(others < 1e-3 * amp**2)


def test_feature_names_and_order() -> None:
    spec = FeatureSpec()
    fe = FeatureExtractor(spec, NAMES, FS, N)
    n_bands = len(DEFAULT_BANDS)
    n_per_kind = len(NAMES) * n_bands
    assert fe.n_features == 2 * n_per_kind + 2 * 2 == len(fe.feature_names)
    assert fe.feature_names[0] == "F7 delta log_band_power"
    assert fe.feature_names[1] == "F7 theta log_band_power"
    assert fe.feature_names[n_bands] == "F3 delta log_band_power"
    assert fe.feature_names[n_per_kind] == "F7 delta differential_entropy"
    assert fe.feature_names[-4:] == (
        "asym F4-F3 alpha",
        "asym F4-F3 beta",
        "asym F8-F7 alpha",
        "asym F8-F7 beta",
    )
    assert len(set(fe.feature_names)) == fe.n_features


def test_feature_values_follow_the_names() -> None:
    spec = FeatureSpec(
        kinds=("band_power", "log_band_power", "relative_band_power", "differential_entropy")
    )
    fe = FeatureExtractor(spec, NAMES, FS, N)
    x = _noise(seed=3) + _sine(10.0, 25.0)
    bp = fe.band_power(x)
    feats = fe.compute(x)
    assert feats.dtype == np.float32 and feats.shape == (fe.n_features,)
    by_name = dict(zip(fe.feature_names, feats.tolist(), strict=True))
    b = spec.band_names
    c, k = NAMES.index("Fz"), b.index("beta")
    assert by_name["Fz beta band_power"] == pytest.approx(bp[c, k], rel=1e-6)
    assert by_name["Fz beta log_band_power"] == pytest.approx(math.log(bp[c, k]), rel=1e-6)
    assert by_name["Fz beta relative_band_power"] == pytest.approx(
        bp[c, k] / bp[c].sum(), rel=1e-6
    )
    de = 0.5 * math.log(2 * math.pi * math.e * bp[c, k])
    assert by_name["Fz beta differential_entropy"] == pytest.approx(de, rel=1e-6)
    a = b.index("alpha")
    asym = math.log(bp[NAMES.index("F4"), a]) - math.log(bp[NAMES.index("F3"), a])
    assert by_name["asym F4-F3 alpha"] == pytest.approx(asym, rel=1e-5, abs=1e-6)
    rel = feats[2 * 30 : 3 * 30].reshape(len(NAMES), len(b))
    np.testing.assert_allclose(rel.sum(axis=1), 1.0, rtol=1e-5)


def test_asymmetry_sign() -> None:
    x = _noise(seed=4)
    x[NAMES.index("F4")] += _sine(10.0, 40.0)  # more alpha on the right
    x[NAMES.index("F7")] += _sine(20.0, 40.0)  # more beta on the left
    fe = FeatureExtractor(FeatureSpec(), NAMES, FS, N)
    by_name = dict(zip(fe.feature_names, fe.compute(x).tolist(), strict=True))
    assert by_name["asym F4-F3 alpha"] > 1.0
    assert abs(by_name["asym F4-F3 beta"]) < 0.5
    assert by_name["asym F8-F7 beta"] < -1.0


def test_missing_asymmetry_channels_are_skipped() -> None:
    names = ("f3", "F4", "Cz", "F8")  # F7 missing; case differs
    fe = FeatureExtractor(FeatureSpec(), names, FS, N)
    assert fe.asymmetry_pairs_used == (("F3", "F4"),)
    assert fe.feature_names[-2:] == ("asym F4-F3 alpha", "asym F4-F3 beta")
    assert fe.n_features == 2 * 4 * 5 + 2
    assert fe.compute(_noise(4)).shape == (fe.n_features,)
    none = FeatureExtractor(FeatureSpec(), ("Cz", "Pz"), FS, N)
    assert none.asymmetry_pairs_used == ()
    assert none.n_features == 2 * 2 * 5


def test_compute_batch_equals_compute() -> None:
    fe = FeatureExtractor(FeatureSpec(kinds=(*FeatureSpec().kinds, "band_power")), NAMES, FS, N)
    rng = np.random.default_rng(9)
    windows = rng.normal(scale=20.0, size=(40, len(NAMES), N))
    batch = fe.compute_batch(windows)
    assert batch.shape == (40, fe.n_features) and batch.dtype == np.float32
    rows = np.stack([fe.compute(w) for w in windows])
    np.testing.assert_array_equal(batch, rows)
    assert fe.compute_batch(windows[:0]).shape == (0, fe.n_features)


def test_compute_does_not_alias_its_output() -> None:
    fe = FeatureExtractor(FeatureSpec(), NAMES, FS, N)
    a = fe.compute(_noise(seed=1))
    a_copy = a.copy()
    fe.compute(_noise(seed=2))
    np.testing.assert_array_equal(a, a_copy)


def test_works_on_a_ring_buffer_view() -> None:
    from bci_desktop.core.dsp import RingBuffer

    x = _noise(seed=5)
    rb = RingBuffer(len(NAMES), N)
    rb.extend(_noise(seed=6)[:, :300])
    rb.extend(x)  # wrapped: the view's rows are strided
    fe = FeatureExtractor(FeatureSpec(), NAMES, FS, N)
    np.testing.assert_array_equal(fe.compute(rb.latest(N)), fe.compute(x))


def test_zero_signal_gives_finite_features() -> None:
    fe = FeatureExtractor(
        FeatureSpec(kinds=(*FeatureSpec().kinds, "relative_band_power")), NAMES, FS, N
    )
    assert np.isfinite(fe.compute(np.zeros((len(NAMES), N)))).all()


def test_window_shape_is_checked() -> None:
    fe = FeatureExtractor(FeatureSpec(), NAMES, FS, N)
    with pytest.raises(ValueError, match=r"\(6, 1000\).*\(6, 999\)"):
        fe.compute(np.zeros((6, 999)))
    with pytest.raises(ValueError, match="shape"):
        fe.compute(np.zeros((5, 1000)))
    with pytest.raises(ValueError, match="n_windows"):
        fe.compute_batch(np.zeros((6, 1000)))


def test_spec_round_trip_through_json() -> None:
    spec = FeatureSpec(
        bands=(("low", 2.0, 7.5), ("high", 7.5, 40.0)),
        kinds=("relative_band_power",),
        asymmetry_pairs=(("AF3", "AF4"),),
        asymmetry_bands=("high",),
        segment_s=2.0,
    )
    d = json.loads(json.dumps(spec.to_dict()))
    assert d["bands"] == [["low", 2.0, 7.5], ["high", 7.5, 40.0]]
    back = FeatureSpec.from_dict(d)
    assert back == spec
    assert hash(back) == hash(spec)
    assert FeatureSpec.from_dict(json.loads(json.dumps(FeatureSpec().to_dict()))) == FeatureSpec()
    assert FeatureSpec.from_dict({}) == FeatureSpec()


@pytest.mark.parametrize(
    ("d", "match"),
    [
        pytest.param({"kinds": ["power"]}, r"'kinds' parameter. Allowed values", id="kind"),
        pytest.param({"kinds": "log_band_power"}, "list of names", id="kinds-str"),
        pytest.param({"kinds": ["band_power", "band_power"]}, "repeat", id="kinds-dup"),
        pytest.param({"bands": [["a", 5, 2]]}, r"0 <= low < high", id="band-reversed"),
        pytest.param({"bands": [["a", 1]]}, r"\[name, low_hz, high_hz\]", id="band-short"),
        pytest.param({"bands": []}, "non-empty", id="no-bands"),
        pytest.param(
            {"bands": [["a", 1, 4], ["a", 4, 8]], "asymmetry_bands": ["a"]},
            "unique",
            id="band-dup",
        ),
        pytest.param({"asymmetry_bands": ["mu"]}, "'asymmetry_bands' parameter", id="asym-band"),
        pytest.param({"asymmetry_pairs": [["F3"]]}, "left, right", id="pair"),
        pytest.param({"segment_s": 0}, "'segment_s' parameter", id="segment"),
        pytest.param({"segment": 1.0}, "Unknown feature spec key.*'segment'", id="unknown-key"),
        pytest.param({"kinds": [], "asymmetry_pairs": []}, "no feature", id="nothing"),
    ],
)
def test_bad_spec_raises_config_error(d: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        FeatureSpec.from_dict(d)


@pytest.mark.parametrize(
    ("spec", "sample_rate", "window", "match"),
    [
        pytest.param(FeatureSpec(segment_s=5.0), FS, N, "longer than the window", id="seg"),
        pytest.param(FeatureSpec(), 80.0, 320, "above half the sample rate", id="nyquist"),
        pytest.param(
            FeatureSpec(bands=(("thin", 10.2, 10.4),), asymmetry_bands=()),
            FS,
            N,
            "holds no frequency bin",
            id="thin-band",
        ),
        pytest.param(FeatureSpec(), 0.0, N, "sample rate must be positive", id="rate"),
    ],
)
def test_spec_that_does_not_fit_the_stream(
    spec: FeatureSpec, sample_rate: float, window: int, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        FeatureExtractor(spec, NAMES, sample_rate, window)


def test_asymmetry_only_spec_needs_its_channels() -> None:
    spec = FeatureSpec(kinds=())
    fe = FeatureExtractor(spec, NAMES, FS, N)
    assert fe.feature_names == (
        "asym F4-F3 alpha",
        "asym F4-F3 beta",
        "asym F8-F7 alpha",
        "asym F8-F7 beta",
    )
    with pytest.raises(ConfigError, match="no feature for these channels"):
        FeatureExtractor(spec, ("Cz",), FS, N)


def test_band_powers_convenience_with_short_window() -> None:
    x = _noise(n=200, seed=11)  # shorter than the 1 s segment: one 0.8 s segment
    bp = band_powers(x, FS, (("alpha", 8.0, 13.0),))
    f, p = signal.welch(x, FS, window="hann", nperseg=200, noverlap=100, detrend="constant")
    mask = (f >= 8) & (f < 13)
    np.testing.assert_allclose(bp[:, 0], p[:, mask].sum(axis=1) * (f[1] - f[0]), rtol=1e-9)


def test_welch_spectrum_gives_the_psd_and_band_powers_of_one_pass():
    from bci_desktop.core.dsp.features import band_powers, log_power_spectrum, welch_spectrum

    rng = np.random.default_rng(11)
    x = rng.normal(0, 10, (4, 1000)) + 20 * np.sin(2 * np.pi * 10 * np.arange(1000) / 250)
    freqs, psd, powers = welch_spectrum(x, 250.0)
    f2, db = log_power_spectrum(x, 250.0)
    np.testing.assert_allclose(freqs, f2)
    np.testing.assert_allclose(10 * np.log10(psd + 1e-12), db, rtol=1e-10)
    np.testing.assert_allclose(powers, band_powers(x, 250.0), rtol=1e-10)
