"""The 10-05 system: names, old and new names of one position, mirror positions."""

from __future__ import annotations

import warnings

import pytest

from bci_desktop.core.dsp.features import FeatureExtractor, FeatureSpec
from bci_desktop.core.errors import ChannelMismatchError
from bci_desktop.core.inference.channels import map_channels, normalize_channel_name
from bci_desktop.core.montage.tenfive import (
    POSITIONS,
    homologous_pairs,
    homologue,
    is_frontal,
    is_non_scalp_label,
    is_position,
    position,
    side,
    spelling,
)


def test_positions_are_mne_s_10_05_set() -> None:
    mne = pytest.importorskip("mne")
    with warnings.catch_warnings():  # the name 'standard_1005' is deprecated in MNE 1.13
        warnings.simplefilter("ignore", FutureWarning)
        names = set(mne.channels.make_standard_montage("standard_1005").ch_names)
        names |= set(mne.channels.make_standard_montage("standard_1020").ch_names)
    assert set(POSITIONS) == names | {"Nz"}
    assert len(POSITIONS) == len(set(POSITIONS)) == 346


@pytest.mark.parametrize(("old", "new"), [("T3", "T7"), ("T4", "T8"), ("T5", "P7"), ("T6", "P8")])
def test_old_and_new_names_are_one_position(old: str, new: str) -> None:
    assert position(old) == position(old.lower()) == position(new) == new
    assert spelling(old.lower()) == old  # the name is kept as written, in its usual case
    assert normalize_channel_name(f"EEG {old}-REF") == normalize_channel_name(new)


def test_spelling_and_case() -> None:
    assert spelling("FP1") == "Fp1" and spelling(" fcz ") == "FCz" and spelling("fcc3H") == "FCC3h"
    assert position("CZ") == "Cz"
    assert spelling("Fp11") is None and not is_position("EEG 1") and not is_position("")
    assert is_non_scalp_label("X1") and is_non_scalp_label("exg 3") and is_non_scalp_label("ECG")
    assert not is_non_scalp_label("F3") and not is_non_scalp_label("Channel 1")


@pytest.mark.parametrize(
    ("name", "mirror"),
    [("F3", "F4"), ("AF7", "AF8"), ("TP10", "TP9"), ("T3", "T8"), ("FCC5h", "FCC6h"),
     ("A1", "A2"), ("M2", "M1"), ("Fz", None), ("X1", None)],
)  # fmt: skip
def test_homologue(name: str, mirror: str | None) -> None:
    assert homologue(name) == mirror
    if mirror is not None:
        assert side(name) == -side(mirror) != 0


def test_homologous_pairs_keep_the_given_names() -> None:
    assert homologous_pairs(["T3", "T4", "O1", "O2"]) == (("T3", "T4"), ("O1", "O2"))
    assert homologous_pairs(["TP9", "AF7", "AF8", "TP10"]) == (("TP9", "TP10"), ("AF7", "AF8"))
    # right before left, mixed old and new names: still one pair, left first
    assert homologous_pairs(["P8", "T5", "Cz"]) == (("T5", "P8"),)
    assert homologous_pairs(["Fz", "Cz", "Pz", "X1"]) == ()


def test_frontal_positions() -> None:
    assert all(is_frontal(n) for n in ("Fp1", "AF7", "F7", "F3", "FFC1h", "AFF2"))
    assert not any(is_frontal(n) for n in ("FC5", "C3", "T7", "TP9", "O1", "X1"))


def test_a_model_needing_new_names_runs_on_a_stream_with_old_ones() -> None:
    brainbit = ("T3", "T4", "O1", "O2")
    assert map_channels(brainbit, ("T7", "T8", "O2")) == (0, 1, 3)
    assert map_channels(("EEG T7-REF", "EEG T8-REF"), ("T3", "T4")) == (0, 1)
    with pytest.raises(ChannelMismatchError, match=r"needs channel P7, .*it has T3, T4"):
        map_channels(("T3", "T4"), ("T3", "P7"))


def test_asymmetry_pairs_match_old_and_new_names() -> None:
    spec = FeatureSpec(kinds=("log_band_power",), asymmetry_pairs=(("T7", "T8"),))
    extractor = FeatureExtractor(spec, ("T3", "T4", "O1"), 250.0, 1000)
    assert extractor.asymmetry_pairs_used == (("T7", "T8"),)
