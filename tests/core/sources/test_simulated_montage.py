"""The simulated subject on any montage: the markers show where the montage's sites are."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from bci_desktop.core.dsp.features import band_powers
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.montage.presets import PRESETS
from bci_desktop.core.montage.tenfive import homologous_pairs, is_frontal
from bci_desktop.core.sources.factory import open_board, open_simulated
from bci_desktop.core.sources.simulated import STATES, SimulatedSubject, default_script

FS = 250.0
BANDS = (("alpha", 8.0, 13.0), ("beta", 13.0, 30.0), ("delta", 1.0, 4.0))


def _windows(channels: tuple[str, ...], seconds: float = 480.0) -> dict[str, np.ndarray]:
    """Log band powers of 4 s windows inside one state: {"truth", "alpha", "beta", "delta"}."""
    subject = SimulatedSubject(
        speed=None, script=default_script(60.0), channels=channels, seed=3, chunk_s=1.0
    )
    subject.start()
    chunks = [subject.read() for _ in range(int(seconds))]
    eeg = np.concatenate([c.eeg for c in chunks], axis=1)
    truth = np.concatenate([c.truth for c in chunks])
    sos = signal.butter(4, [1.0, 45.0], btype="band", fs=FS, output="sos")
    eeg = signal.sosfilt(sos, eeg, axis=-1)
    win = int(4 * FS)
    starts = [
        s
        for s in range(int(6 * FS), eeg.shape[1] - win, int(FS))
        if truth[s - int(2 * FS)] == truth[s + win - 1]
    ]
    bp = np.log(np.stack([band_powers(eeg[:, s : s + win], FS, BANDS) for s in starts]))
    return {
        "truth": truth[np.array(starts) + win - 1],
        **{name: bp[:, :, i] for i, (name, _, _) in enumerate(BANDS)},
    }


def _state_mean(w: dict[str, np.ndarray], values: np.ndarray, *states: str) -> float:
    mask = np.isin(w["truth"], [STATES.index(s) for s in states])
    return float(values[mask].mean())


def _valence_effect(w, channels, left: str, right: str) -> float:
    asym = w["alpha"][:, channels.index(right)] - w["alpha"][:, channels.index(left)]
    return _state_mean(w, asym, "calm", "happy") - _state_mean(w, asym, "sad", "stressed")


def _arousal_effect(w, channels, site: str) -> float:
    alpha = w["alpha"][:, channels.index(site)]
    return _state_mean(w, alpha, "calm", "sad") - _state_mean(w, alpha, "happy", "stressed")


@pytest.mark.parametrize(
    "preset", [p for p in PRESETS if p.name in ("cyton", "muse", "crown", "galea")],
    ids=lambda p: p.name,
)  # fmt: skip
def test_frontal_pairs_of_a_preset_carry_valence(preset) -> None:
    channels = preset.channels
    w = _windows(channels)
    left, right = next(p for p in homologous_pairs(channels) if is_frontal(p[0]))
    assert _valence_effect(w, channels, left, right) > 0.3


def test_markers_follow_the_sites() -> None:
    channels = ("F3", "F4", "T3", "T4", "O1", "O2", "Fp1", "X1")
    w = _windows(channels)
    frontal = _valence_effect(w, channels, "F3", "F4")
    temporal = _valence_effect(w, channels, "T3", "T4")
    assert frontal > 0.6 and abs(temporal) < 0.4 * frontal  # valence is a frontal marker
    assert _arousal_effect(w, channels, "O1") > 0.6  # posterior alpha falls with arousal
    assert _arousal_effect(w, channels, "O1") > 2 * _arousal_effect(w, channels, "T3")
    # a channel that is not on the scalp sees no rhythm and no blink
    assert abs(_arousal_effect(w, channels, "X1")) < 0.1
    fp1, x1 = channels.index("Fp1"), channels.index("X1")
    assert np.median(w["delta"][:, fp1]) > np.median(w["delta"][:, x1]) + 1.0


def test_old_and_new_names_are_one_site_of_one_person() -> None:
    old = SimulatedSubject(speed=None, channels=("T3", "O1"), seed=1)
    new = SimulatedSubject(speed=None, channels=("T7", "O1"), seed=1)
    old.start(), new.start()
    np.testing.assert_array_equal(old.read().eeg, new.read().eeg)


def test_open_source_puts_the_simulated_subject_on_a_montage() -> None:
    muse = open_simulated(montage="muse", speed=None)
    assert muse.info.channel_names == ("TP9", "AF7", "AF8", "TP10")
    mine = open_simulated(montage="fp1,fp2,t3", speed=None)
    assert mine.info.channel_names == ("Fp1", "Fp2", "T3")
    assert open_simulated(speed=None).info.n_channels == 16
    with pytest.raises(ConfigError, match=r"either 'channels'.*or 'montage'"):
        open_simulated(montage="muse", channels=8)
    with pytest.raises(ConfigError, match=r"'Qz' .* is not a 10-05 electrode position"):
        open_simulated(montage="Fz,Qz")


def test_open_source_names_a_board_s_channels() -> None:
    cyton = open_board("cyton", montage="F3,F4,C3,C4,P3,P4,O1,O2")
    assert cyton.info.channel_names[:2] == ("F3", "F4")
    assert [r.name for r in cyton.info.board_rows[1:3]] == ["F3", "F4"]  # recorded as named
    assert cyton.info.description["montage"]["origin"] == "user"
    assert open_board("ganglion").info.channel_names == ("F3", "F4", "O1", "O2")
    with pytest.raises(ConfigError, match="names 4 channels, but the Cyton board has 8"):
        open_board("cyton", montage="muse")


def test_a_saved_montage_opens_a_source() -> None:
    from bci_desktop.core.settings import AppSettings

    settings = AppSettings().with_montage(
        "cyton", ["F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2"]
    )
    saved = settings.saved_montage("cyton")
    assert open_board("cyton", montage=saved).info.channel_names[:2] == ("F3", "F4")
    assert open_simulated(montage=saved, speed=None).info.n_channels == 8
