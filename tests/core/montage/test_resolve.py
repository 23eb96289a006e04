"""--montage NAME|LIST, validation against the 10-05 system, and a board's names."""

from __future__ import annotations

import pytest

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.montage.resolve import (
    MAX_CHANNELS,
    MontageOrigin,
    board_montage,
    check_channel_names,
    parse_montage,
)
from bci_desktop.core.montage.saved import (
    check_saved_montages,
    device_key,
    device_keys,
    saved_montage,
)


@pytest.mark.parametrize(
    ("text", "channels", "origin", "name"),
    [
        pytest.param("cyton", ("Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"),
                     MontageOrigin.PRESET, "cyton", id="preset"),
        pytest.param(" Muse-2 ", ("TP9", "AF7", "AF8", "TP10"), MontageOrigin.PRESET, "muse",
                     id="board-name"),
        pytest.param("fp1, FP2,t3 ,c4", ("Fp1", "Fp2", "T3", "C4"), MontageOrigin.USER, None,
                     id="list-spelled"),
        pytest.param("Oz", ("Oz",), MontageOrigin.USER, None, id="one-channel"),
        pytest.param("F3,F4,exg1,x2", ("F3", "F4", "EXG1", "X2"), MontageOrigin.USER, None,
                     id="non-scalp-labels"),
    ],
)  # fmt: skip
def test_parse_montage(text, channels, origin, name) -> None:
    montage = parse_montage(text)
    assert (montage.channels, montage.origin, montage.name) == (channels, origin, name)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param("", "it is empty", id="empty"),
        pytest.param("muse3", r"Unknown montage 'muse3'\. Did you mean 'muse'\?", id="typo"),
        pytest.param("Fp1,Fp11,C3", r"'Fp11' \(channel 2\) is not a 10-05 electrode position\. "
                     r"Did you mean 'Fp1'\?", id="bad-name"),
        pytest.param("Fp1,,C3", "channel 2 has no name", id="blank"),
        pytest.param("C3,C4,c3", "channels 1 and 3 are both 'C3'", id="duplicate"),
        pytest.param("T3,F3,T7", r"channels 1 and 3 \('T3' and 'T7'\) name one position "
                     r"\(T3 is the old name of T7\)", id="old-and-new"),
        pytest.param(",".join(["X1"] * 2), "both 'X1'", id="duplicate-label"),
        pytest.param("x" * 9000, "too long", id="huge"),
    ],
)  # fmt: skip
def test_bad_montages_say_what_is_wrong(text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_montage(text)


def test_too_many_channels_are_refused() -> None:
    names = [f"X{i}" for i in range(MAX_CHANNELS + 1)]
    with pytest.raises(ConfigError, match=f"at most {MAX_CHANNELS}"):
        check_channel_names(names)
    with pytest.raises(ConfigError, match="expected a list"):
        check_channel_names("Fp1,Fp2")


def test_board_montage_precedence() -> None:
    cyton = ("Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2")
    bf = board_montage("cyton", 8, brainflow_names=cyton)
    assert (bf.channels, bf.origin, bf.name) == (cyton, MontageOrigin.BRAINFLOW, "cyton")
    mine = board_montage("cyton", 8, brainflow_names=cyton, given="F3,F4,C3,C4,P3,P4,O1,O2")
    assert mine.origin is MontageOrigin.USER and mine.channels[0] == "F3"
    wifi = board_montage("cyton_wifi", 8)  # BrainFlow has no names for the WiFi shield
    assert wifi.channels == cyton and wifi.origin is MontageOrigin.DEFAULT_PLACEMENT
    ganglion = board_montage("ganglion_native", 4)
    assert ganglion.channels == ("F3", "F4", "O1", "O2") and ganglion.name == "ganglion"
    assert "check that it matches your electrodes" in ganglion.describe()
    other = board_montage("neuropawn_knight", 8)
    assert other.origin is MontageOrigin.UNNAMED and other.channels[-1] == "EEG 8"


def test_board_montage_refuses_the_wrong_number_of_names() -> None:
    with pytest.raises(ConfigError, match=r"preset 'muse' names 4 channels, but the Cyton has 8"):
        board_montage("cyton", 8, given="muse", title="Cyton")
    with pytest.raises(ConfigError, match=r"montage names 2 channels, but the ganglion has 4"):
        board_montage("ganglion", 4, given="F3,F4")


def test_device_keys_most_specific_first() -> None:
    assert device_key(" Cyton ") == "cyton"
    assert device_key("muse_2", mac_address="00:55:DA:B0:12:34") == "muse_2 mac 00:55:da:b0:12:34"
    assert device_key("unicorn", serial_number="UN-1") == "unicorn serial UN-1"
    assert device_keys("muse_2", serial_number="S1", mac_address="AA") == (
        "muse_2 mac aa",
        "muse_2 serial S1",
        "muse_2",
    )
    with pytest.raises(ConfigError, match="needs a board name"):
        device_key(" ")


def test_saved_montage_prefers_the_device_over_the_board() -> None:
    saved = {"ganglion": ["C3", "C4", "O1", "O2"], "ganglion mac aa:bb": ["F7", "F8", "T7", "T8"]}
    assert saved_montage(saved, "ganglion").channels == ("C3", "C4", "O1", "O2")
    device = saved_montage(saved, "ganglion", mac_address="AA:BB")
    assert device.channels == ("F7", "F8", "T7", "T8") and device.origin is MontageOrigin.USER
    assert saved_montage(saved, "ganglion", mac_address="cc:dd").channels[0] == "C3"
    assert saved_montage(saved, "cyton") is None


def test_bad_saved_montages_are_dropped_with_a_warning() -> None:
    warnings: list[str] = []
    kept = check_saved_montages(
        {"cyton": ["fp1", "Fp2"], "ganglion": ["F3", "Fq4"], "": ["C3"], "muse": "TP9"},
        warnings,
    )
    assert kept == {"cyton": ["Fp1", "Fp2"]}
    assert len(warnings) == 3
    assert any("'ganglion'" in w and "'Fq4'" in w for w in warnings)
    with pytest.raises(ConfigError, match="expected a mapping"):
        check_saved_montages(["cyton"], warnings)
