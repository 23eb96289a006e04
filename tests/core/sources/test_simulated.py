"""Tests of the simulated subject: stream contract, script, determinism and EEG markers."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import signal

from bci_desktop.core.errors import ConfigError, SourceError
from bci_desktop.core.sources.montage import TEN_TEN_64, scalp_position
from bci_desktop.core.sources.simulated import (
    MODEL_CHANNELS,
    STATES,
    SYNTHETIC_MONTAGE,
    ScriptStep,
    SimulatedSubject,
    SubjectProfile,
    default_script,
    montage,
    parse_script,
)
from bci_desktop.core.stream import Chunk

FS = 250.0


def _read_all(subject: SimulatedSubject, seconds: float) -> Chunk:
    """Read ``seconds`` of a speed=None subject in one chunk."""
    fast = SimulatedSubject(
        script=subject.script,
        speed=None,
        chunk_s=seconds,
        sample_rate=subject.info.sample_rate,
        channels=subject.info.channel_names,
        profile=subject.profile,
        seed=subject.info.description["seed"],
        start_time=0.0,
    )
    fast.start()
    chunk = fast.read()
    assert chunk is not None
    return chunk


def _concat(chunks: list[Chunk]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.concatenate([c.eeg for c in chunks], axis=1),
        np.concatenate([c.timestamps for c in chunks]),
        np.concatenate([c.truth for c in chunks]),
    )


# --- the stream contract ---------------------------------------------------------------


def test_chunks_have_the_documented_shapes_dtypes_and_timestamps():
    subject = SimulatedSubject(speed=None, chunk_s=0.5, start_time=1000.0, seed=1)
    subject.start()
    chunks = [subject.read() for _ in range(3)]
    for c in chunks:
        assert c.eeg.shape == (16, 125)
        assert c.eeg.dtype == np.float64
        assert c.timestamps.dtype == np.float64
        assert c.markers.shape == (125,)
        assert not c.markers.any()
        assert c.truth.dtype == np.int16
        assert c.board_data is None
        assert np.isfinite(c.eeg).all()
    _, ts, _ = _concat(chunks)
    np.testing.assert_allclose(ts, 1000.0 + np.arange(375) / FS)
    assert subject.samples_read == 375


def test_info_describes_channels_states_and_person():
    profile = SubjectProfile(seed=11, alpha_peak_hz=9.5)
    subject = SimulatedSubject(script="calm:5,sad:5", profile=profile, seed=4)
    info = subject.info
    assert info.source_name == "Simulated subject"
    assert info.board_id is None
    assert info.sample_rate == FS
    assert info.channel_names == SYNTHETIC_MONTAGE
    assert {(c.kind, c.unit) for c in info.eeg} == {("eeg", "uV")}
    assert info.states == STATES
    assert info.description["profile"]["seed"] == 11
    assert info.description["alpha_peak_hz"] == 9.5
    assert info.description["script"] == "calm:5,sad:5"
    assert subject.realtime is True
    assert SimulatedSubject(speed=None).realtime is False


def test_typical_amplitude_is_eeg_like():
    chunk = _read_all(SimulatedSubject(seed=2), 60.0)
    sos = signal.butter(4, [1.0, 45.0], btype="band", fs=FS, output="sos")
    std = signal.sosfilt(sos, chunk.eeg, axis=-1)[:, 500:].std(axis=1)
    assert np.all(std > 5.0) and np.all(std < 60.0), std
    assert np.median(std) > 9.0


def test_read_before_start_raises_and_restart_begins_again():
    subject = SimulatedSubject(speed=None, seed=3)
    with pytest.raises(SourceError, match="start"):
        subject.read()
    subject.start()
    first = subject.read().eeg
    subject.read()
    subject.stop()
    subject.stop()  # safe twice
    with subject:
        np.testing.assert_array_equal(subject.read().eeg, first)


# --- script and truth ----------------------------------------------------------------


def test_truth_switches_at_the_scripted_samples_and_a_finite_script_finishes():
    subject = SimulatedSubject(
        script="calm:2,sad:1.5,happy:1", loop=False, speed=None, chunk_s=0.3, sample_rate=100
    )
    subject.start()
    chunks = []
    while not subject.finished:
        chunks.append(subject.read())
    assert subject.read() is None
    _, _, truth = _concat(chunks)
    assert truth.size == 450
    expected = np.repeat(
        [STATES.index("calm"), STATES.index("sad"), STATES.index("happy")], [200, 150, 100]
    )
    np.testing.assert_array_equal(truth, expected)
    assert [subject.state_at(i) for i in (0, 199, 200, 349, 350, 449)] == [
        "calm", "calm", "sad", "sad", "happy", "happy",
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="sample_index"):
        subject.state_at(450)


def test_a_looping_script_repeats_and_never_finishes():
    subject = SimulatedSubject(
        script="stressed:1,calm:1", speed=None, chunk_s=1.5, sample_rate=100
    )
    subject.start()
    truth = np.concatenate([subject.read().truth for _ in range(4)])
    pattern = np.repeat([STATES.index("stressed"), STATES.index("calm")], 100)
    np.testing.assert_array_equal(truth, np.tile(pattern, 3))
    assert not subject.finished
    assert subject.state_at(10_050) == "stressed"
    assert subject.state_at(10_150) == "calm"


def test_default_script_has_every_state_once():
    steps = default_script(30.0)
    assert sorted(s.state for s in steps) == sorted(STATES)
    assert {s.duration_s for s in steps} == {30.0}
    assert default_script() == default_script(60.0)


def test_parse_script_accepts_spaces_case_and_seconds_suffix():
    assert parse_script(" Calm : 60 , happy:30s,sad:0.5") == (
        ScriptStep("calm", 60.0),
        ScriptStep("happy", 30.0),
        ScriptStep("sad", 0.5),
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   ", "empty", id="blank"),
        pytest.param("calm:60,angry:10", "Unknown state 'angry'", id="unknown-state"),
        pytest.param("calm:abc", "Invalid duration 'abc'", id="not-a-number"),
        pytest.param("calm:-5", "Invalid", id="negative"),
        pytest.param("calm:0", "Invalid duration 0", id="zero"),
        pytest.param("calm:inf", "Invalid duration inf", id="infinite"),
        pytest.param("calm:nan", "Invalid duration nan", id="nan"),
        pytest.param("calm", "Invalid script step 'calm'", id="no-duration"),
        pytest.param("calm:60,,sad:5", "Invalid script step ''", id="empty-step"),
    ],
)
def test_parse_script_rejects_bad_scripts_with_a_clear_message(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_script(text)


# --- determinism -----------------------------------------------------------------------


def test_chunking_does_not_change_the_samples():
    profile = SubjectProfile(seed=5, blink_rate_per_min=60, muscle_rate_per_min=60)
    kwargs = dict(script="calm:1.3,stressed:2.1", speed=None, profile=profile, seed=9)
    a = SimulatedSubject(chunk_s=0.04, **kwargs)
    b = SimulatedSubject(chunk_s=1.72, **kwargs)
    a.start()
    b.start()
    eeg_a, _, truth_a = _concat([a.read() for _ in range(250)])  # 10 s
    eeg_b, _, truth_b = _concat([b.read() for _ in range(6)])
    np.testing.assert_array_equal(eeg_a, eeg_b[:, : eeg_a.shape[1]])
    np.testing.assert_array_equal(truth_a, truth_b[: truth_a.size])


def test_the_generator_carries_its_state_across_pieces():
    """Generating in odd pieces equals generating at once (filters, envelopes, artifacts)."""
    profile = SubjectProfile(seed=5, blink_rate_per_min=120, muscle_rate_per_min=120)
    pieces = []
    for sizes in ([2500], [1, 7, 24, 25, 26, 250, 333, 1000, 834]):
        subject = SimulatedSubject(script="happy:3,sad:3", profile=profile, seed=2)
        subject.start()
        gen = subject._gen  # the block generator behind read()
        pieces.append(np.concatenate([gen.generate(n)[0] for n in sizes], axis=1))
    np.testing.assert_allclose(pieces[0], pieces[1], rtol=0, atol=1e-9)


def test_seeds_decide_the_samples():
    def first(seed: int, profile_seed: int) -> np.ndarray:
        s = SimulatedSubject(speed=None, seed=seed, profile=SubjectProfile(seed=profile_seed))
        s.start()
        return s.read().eeg

    np.testing.assert_array_equal(first(1, 7), first(1, 7))
    assert not np.allclose(first(1, 7), first(2, 7))
    assert not np.allclose(first(1, 7), first(1, 8))


# --- pacing, markers -------------------------------------------------------------------


def test_speed_none_returns_exactly_chunk_s():
    subject = SimulatedSubject(speed=None, chunk_s=0.2)
    subject.start()
    assert [subject.read().n_samples for _ in range(5)] == [50] * 5


def test_realtime_read_is_paced_by_the_clock():
    subject = SimulatedSubject(speed=1.0)
    subject.start()
    chunk = subject.read()  # right after start: nothing or a handful of samples
    assert chunk is None or chunk.n_samples < FS
    fast = SimulatedSubject(speed=100.0)
    fast.start()
    time.sleep(0.05)  # at least 0.05 s * 100 * 250 Hz = 1250 samples are due
    chunk = fast.read()
    assert chunk is not None and chunk.n_samples >= 1250
    assert chunk.n_samples <= max(2 * FS, 0.25 * 100 * FS)  # one read is capped


def test_markers_land_on_the_next_samples():
    subject = SimulatedSubject(speed=None, chunk_s=0.1)
    subject.insert_marker(7)  # before start: lands on sample 0
    subject.start()
    assert subject.read().markers[0] == 7
    subject.insert_marker(3)
    subject.insert_marker(4.5)
    chunk = subject.read()
    assert chunk.markers[:2].tolist() == [3.0, 4.5]
    assert not chunk.markers[2:].any()
    assert not subject.read().markers.any()
    with pytest.raises(ConfigError, match="other than 0"):
        subject.insert_marker(0)


# --- validation, montages --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"speed": 0}, "'speed'", id="speed-zero"),
        pytest.param({"speed": -2.0}, "'speed'", id="speed-negative"),
        pytest.param({"sample_rate": 0}, "'sample_rate'", id="rate-zero"),
        pytest.param({"sample_rate": -250}, "'sample_rate'", id="rate-negative"),
        pytest.param({"sample_rate": 10}, "at least 32", id="rate-too-low"),
        pytest.param({"channels": []}, "'channels'", id="no-channels"),
        pytest.param({"channels": ["F3", "F3"]}, "Duplicate", id="duplicates"),
        pytest.param({"channels": 0}, "'n_channels'", id="zero-channels"),
        pytest.param({"channels": 65}, "'n_channels'", id="too-many"),
        pytest.param({"channels": "F3"}, "'channels'", id="a-string"),
        pytest.param({"channels": ["F3", ""]}, "'channels'", id="empty-name"),
        pytest.param({"script": "calm:sixty"}, "Invalid duration", id="bad-script"),
        pytest.param({"script": []}, "'script'", id="empty-script"),
        pytest.param({"chunk_s": 0}, "'chunk_s'", id="chunk-zero"),
        pytest.param({"chunk_s": 0.001}, "one sample", id="chunk-too-short"),
    ],
)
def test_invalid_arguments_raise_config_error(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        SimulatedSubject(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"alpha_peak_hz": 20.0},
        {"blink_rate_per_min": -1.0},
        {"state_effect": float("nan")},
        {"line_freq": 0.0},
        {"seed": 1.5},
    ],
)
def test_invalid_profiles_raise_config_error(kwargs):
    with pytest.raises(ConfigError, match="SubjectProfile"):
        SubjectProfile(**kwargs)


@pytest.mark.parametrize("n", [8, 16, 32, 64])
def test_standard_montages_hold_the_model_channels(n):
    names = montage(n)
    assert len(names) == n == len(set(names))
    assert set(MODEL_CHANNELS) <= set(names)


def test_montage_special_cases_and_errors():
    assert montage(16) == SYNTHETIC_MONTAGE
    assert montage(8) == MODEL_CHANNELS
    assert montage(3) == TEN_TEN_64[:3]
    assert montage(64) == TEN_TEN_64
    for bad in (0, 65, -1, True, "8"):
        with pytest.raises(ConfigError, match="n_channels"):
            montage(bad)


def test_channel_count_and_unknown_names_are_accepted():
    subject = SimulatedSubject(speed=None, channels=64, sample_rate=1000)
    subject.start()
    assert subject.read().eeg.shape == (64, 100)
    odd = SimulatedSubject(speed=None, channels=["Fp1", "EXG1", "A2"])
    odd.start()
    assert odd.read().eeg.shape == (3, 25)


def test_scalp_positions_follow_10_10_names():
    assert scalp_position("F3")[0] < 0 < scalp_position("F4")[0]
    assert scalp_position("Cz") == (0.0, 0.0)
    assert scalp_position("Fp1")[1] > scalp_position("F3")[1] > scalp_position("C3")[1]
    assert scalp_position("Oz")[1] < scalp_position("Pz")[1] < 0
    assert scalp_position("T3") == scalp_position("T7")
    assert scalp_position("EXG1") == (0.0, 0.0)


# --- the signal: markers an emotion model can find -------------------------------------


def _window_features(chunk: Chunk, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per 4 s window (inside one state, 2 s after a switch): band powers the test needs."""
    band = signal.butter(4, [1.0, 45.0], btype="band", fs=FS, output="sos")
    notch = signal.tf2sos(*signal.iirnotch(50.0, 30.0, fs=FS))
    eeg = signal.sosfilt(np.vstack([band, notch]), chunk.eeg, axis=-1)
    win = int(4 * FS)
    starts = np.arange(int(6 * FS), eeg.shape[1] - win, int(FS))
    keep = [s for s in starts if chunk.truth[s - int(2 * FS)] == chunk.truth[s + win - 1]]
    segs = np.stack([eeg[:, s : s + win] for s in keep])
    freqs, psd = signal.welch(segs, fs=FS, nperseg=int(FS), axis=-1)

    def power(ch: str, lo: float, hi: float) -> np.ndarray:
        return psd[:, names.index(ch), (freqs >= lo) & (freqs < hi)].sum(-1)

    alpha = {c: power(c, 8, 13) for c in ("F3", "F4", "Pz", "Oz")}
    beta = {c: power(c, 13, 30) for c in ("F3", "F4", "Pz", "Oz")}
    return {
        "truth": chunk.truth[np.array(keep) + win - 1],
        "asym": np.log(alpha["F4"]) - np.log(alpha["F3"]),
        "post_alpha": np.log(alpha["Pz"] + alpha["Oz"]),
        "beta_alpha": np.log(sum(beta.values()) / sum(alpha.values())),
    }


def _mean(f: dict[str, np.ndarray], key: str, state: str) -> float:
    return float(f[key][f["truth"] == STATES.index(state)].mean())


@pytest.fixture(scope="module")
def session_features() -> dict[float, dict[str, np.ndarray]]:
    out = {}
    for effect in (1.0, 0.0):
        subject = SimulatedSubject(
            script=default_script(60.0),
            profile=SubjectProfile(seed=7, state_effect=effect),
            seed=3,
        )
        out[effect] = _window_features(_read_all(subject, 480.0), subject.info.channel_names)
    return out


def test_valence_shows_as_frontal_alpha_asymmetry(session_features):
    f = session_features[1.0]
    # Positive valence: less left frontal alpha, so log F4 - log F3 is larger.
    assert _mean(f, "asym", "happy") > _mean(f, "asym", "sad") + 0.3
    assert _mean(f, "asym", "calm") > _mean(f, "asym", "stressed") + 0.3


def test_arousal_shows_as_alpha_suppression_and_beta_alpha_ratio(session_features):
    f = session_features[1.0]
    assert _mean(f, "post_alpha", "calm") > _mean(f, "post_alpha", "stressed") + 0.4
    assert _mean(f, "post_alpha", "sad") > _mean(f, "post_alpha", "happy") + 0.4
    assert _mean(f, "beta_alpha", "stressed") > _mean(f, "beta_alpha", "calm") + 0.4


def test_state_effect_zero_erases_the_markers(session_features):
    on, off = session_features[1.0], session_features[0.0]

    def spread(f: dict[str, np.ndarray], key: str) -> float:
        means = [_mean(f, key, s) for s in STATES]
        return max(means) - min(means)

    for key in ("asym", "post_alpha", "beta_alpha"):
        assert spread(off, key) < 0.5 * spread(on, key), key


def test_alpha_peaks_at_the_profile_frequency():
    subject = SimulatedSubject(profile=SubjectProfile(alpha_peak_hz=9.0, state_effect=0), seed=1)
    eeg = _read_all(subject, 60.0).eeg[subject.info.channel_names.index("Oz")]
    freqs, psd = signal.welch(eeg, fs=FS, nperseg=int(4 * FS))
    band = (freqs >= 6) & (freqs <= 14)
    assert abs(freqs[band][np.argmax(psd[band])] - 9.0) <= 0.75


def test_blinks_are_frontal_and_line_noise_follows_the_profile():
    names = ("Fp1", "F3", "Cz", "Oz")
    base = {"muscle_rate_per_min": 0.0, "line_noise_uv": 0.0}
    profiles = {
        "quiet": SubjectProfile(blink_rate_per_min=0, **base),
        "blinky": SubjectProfile(blink_rate_per_min=30, **base),
        "hum50": SubjectProfile(blink_rate_per_min=0, muscle_rate_per_min=0, line_noise_uv=20),
        "hum60": SubjectProfile(
            blink_rate_per_min=0, muscle_rate_per_min=0, line_noise_uv=20, line_freq=60
        ),
    }
    runs = {
        key: _read_all(SimulatedSubject(channels=names, profile=p, seed=5), 60.0).eeg
        for key, p in profiles.items()
    }
    sos = signal.butter(4, [1.0, 45.0], btype="band", fs=FS, output="sos")
    ptp = {k: np.ptp(signal.sosfilt(sos, v, axis=-1)[:, 500:], axis=1) for k, v in runs.items()}
    ptp_gain = ptp["blinky"] / ptp["quiet"]
    assert ptp_gain[0] > 2.0  # blinks dominate Fp1
    assert ptp_gain[0] > ptp_gain[1] > ptp_gain[2] > ptp_gain[3]  # and fade towards the back
    for key, hum, other in (("hum50", 50, 60), ("hum60", 60, 50)):
        _, psd = signal.welch(runs[key], fs=FS, nperseg=int(FS))  # 1 Hz bins
        assert np.all(psd[:, hum] > 100 * psd[:, other]), key
        assert np.all(psd[:, hum] > 100 * psd[:, 45]), key


def test_impedance_noise_adds_white_noise():
    clean = SimulatedSubject(channels=8, seed=2)
    noisy = SimulatedSubject(channels=8, seed=2, profile=SubjectProfile(impedance_noise_uv=30))
    a, b = _read_all(clean, 10.0).eeg, _read_all(noisy, 10.0).eeg
    added = (b - a).std(axis=1)
    np.testing.assert_allclose(added, 30.0, rtol=0.1)
