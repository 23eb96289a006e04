"""Settings: round trip, per-field fallback, corrupt files kept aside, atomic save (no Qt)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.settings import (
    SCHEMA_VERSION,
    AppSettings,
    config_dir,
    load_settings,
    save_settings,
    settings_path,
)


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BCI_DESKTOP_CONFIG_DIR", str(tmp_path / "cfg"))
    return tmp_path / "cfg"


def _custom() -> AppSettings:
    return AppSettings(
        board="cyton",
        connection={"serial_port": "/dev/ttyUSB3", "ip_port": 6677},
        speed=4.0,
        filters=FilterSettings(notch_hz=60.0, bandpass=(2.0, 30.0), order=3).to_dict(),
        signal_view={"window_s": 5.0, "hidden": ["Cz", "Oz"]},
        spectrum={"mode": "average"},
        geometry=base64.b64encode(b"\x01\xd9\xd0\xcb geometry").decode(),
        window_state=base64.b64encode(b"state bytes").decode(),
        view_mode="clinician",
        theme="dark",
        model_path="/models/mine.onnx",
        montages={"ganglion": ["C3", "C4", "O1", "O2"], "muse_2 mac 00:55:da": ["TP9", "AF7"]},
    )


def _bad_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("settings.json.bad-*"))


def test_env_var_sets_the_folder(cfg: Path) -> None:
    assert config_dir() == cfg
    assert settings_path() == cfg / "settings.json"


def test_missing_file_gives_defaults_without_warning(cfg: Path) -> None:
    settings, warnings = load_settings()
    assert settings == AppSettings()
    assert warnings == []


def test_round_trip(cfg: Path) -> None:
    original = _custom()
    written = save_settings(original)
    assert written == cfg / "settings.json"
    doc = json.loads(written.read_text())
    assert doc["version"] == SCHEMA_VERSION
    loaded, warnings = load_settings()
    assert warnings == []
    assert loaded == original
    assert loaded.connection_params().serial_port == "/dev/ttyUSB3"
    assert loaded.filter_settings() == FilterSettings(notch_hz=60.0, bandpass=(2.0, 30.0), order=3)
    assert not list(cfg.glob("*.tmp")), "the temporary file must be renamed away"


def test_save_replaces_and_leaves_no_temporary(cfg: Path) -> None:
    save_settings(AppSettings())
    save_settings(replace(AppSettings(), board="simulated", speed=2.5))
    loaded, warnings = load_settings()
    assert (loaded.board, loaded.speed, warnings) == ("simulated", 2.5, [])
    assert sorted(p.name for p in cfg.iterdir()) == ["settings.json"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"board": "cyton", "speed": 2', id="truncated"),
        pytest.param("not json at all", id="garbage"),
        pytest.param("[1, 2, 3]", id="a-list"),
        pytest.param("", id="empty"),
    ],
)
def test_corrupt_file_gives_defaults_and_is_kept(cfg: Path, text: str) -> None:
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(text)
    settings, warnings = load_settings()
    assert settings == AppSettings()
    assert len(warnings) == 1
    assert "using the defaults" in warnings[0]
    kept = _bad_files(cfg)
    assert len(kept) == 1 and kept[0].read_text() == text
    assert kept[0].name in warnings[0]
    # The next start is clean: the bad file was moved away.
    assert load_settings() == (AppSettings(), [])


def test_binary_file_is_refused_without_crash(cfg: Path) -> None:
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_bytes(b"\xff\xfe\x00garbage")
    settings, warnings = load_settings()
    assert settings == AppSettings()
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("board", 42, id="board-int"),
        pytest.param("board", "no_such_board", id="board-unknown"),
        pytest.param("speed", "fast", id="speed-text"),
        pytest.param("speed", -1, id="speed-negative"),
        pytest.param("speed", True, id="speed-bool"),
        pytest.param("filters", {"notch_hz": 55}, id="filters-notch"),
        pytest.param("filters", {"bandpass": [40, 10]}, id="filters-order-of-edges"),
        pytest.param("filters", {"colour": "red"}, id="filters-unknown-key"),
        pytest.param("filters", "notch 50", id="filters-text"),
        pytest.param("signal_view", [1, 2], id="signal-view-list"),
        pytest.param("spectrum", 3, id="spectrum-int"),
        pytest.param("geometry", "@@not base64@@", id="geometry"),
        pytest.param("window_state", 12, id="window-state-int"),
        pytest.param("view_mode", "fullscreen", id="view-mode"),
        pytest.param("theme", "purple", id="theme"),
        pytest.param("model_path", 5, id="model-path"),
        pytest.param("connection", "COM3", id="connection-text"),
        pytest.param("montages", ["Fp1", "Fp2"], id="montages-list"),
    ],
)
def test_wrong_type_resets_only_that_field(cfg: Path, key: str, value: object) -> None:
    doc = _custom().to_dict()
    doc[key] = value
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps(doc))
    settings, warnings = load_settings()
    expected = replace(_custom(), **{key: getattr(AppSettings(), key)})
    assert settings == expected
    assert any(repr(key) in w for w in warnings)
    kept = _bad_files(cfg)
    assert len(kept) == 1 and json.loads(kept[0].read_text()) == doc


def test_bad_connection_field_keeps_the_others(cfg: Path) -> None:
    doc = _custom().to_dict()
    doc["connection"] = {"serial_port": "/dev/ttyUSB3", "ip_port": 99999, "colour": "red"}
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps(doc))
    settings, warnings = load_settings()
    assert settings.connection == {"serial_port": "/dev/ttyUSB3"}
    assert any("'ip_port'" in w for w in warnings)
    assert any("'colour'" in w for w in warnings)


def test_bad_saved_montage_keeps_the_others(cfg: Path) -> None:
    doc = _custom().to_dict()
    doc["montages"] = {"cyton": ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2"],
                       "ganglion": ["F3", "F4", "Q1", "O2"], "unicorn": 7}  # fmt: skip
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps(doc))
    settings, warnings = load_settings()
    assert list(settings.montages) == ["cyton"]
    assert any("'ganglion'" in w and "'Q1'" in w for w in warnings)
    assert any("'unicorn'" in w for w in warnings)


def test_montages_are_saved_per_device_and_looked_up(cfg: Path) -> None:
    settings = AppSettings().with_montage("ganglion", ["c3", "C4", "O1", "O2"])
    settings = settings.with_montage("ganglion", ["F7", "F8", "T3", "T4"], mac_address="AA:BB")
    save_settings(settings)
    loaded, warnings = load_settings()
    assert warnings == [] and loaded == settings
    assert loaded.saved_montage("ganglion").channels == ("C3", "C4", "O1", "O2")
    assert loaded.saved_montage("ganglion", mac_address="aa:bb").channels[2] == "T3"
    assert loaded.saved_montage("cyton") is None
    forgotten = loaded.with_montage("ganglion", None)
    assert forgotten.saved_montage("ganglion") is None
    with pytest.raises(ConfigError, match=r"'Z9' .* is not a 10-05 electrode position"):
        loaded.with_montage("cyton", ["Fp1", "Z9"])


def test_unknown_keys_are_ignored_with_a_warning(cfg: Path) -> None:
    doc = _custom().to_dict()
    doc["future_option"] = {"x": 1}
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps(doc))
    settings, warnings = load_settings()
    assert settings == _custom()
    assert any("'future_option'" in w for w in warnings)
    assert len(_bad_files(cfg)) == 1, "the file with the unknown key is kept"


@pytest.mark.parametrize("version", [0, None, "1", 99])
def test_other_version_keeps_valid_fields(cfg: Path, version: object) -> None:
    doc = _custom().to_dict()
    if version is None:
        del doc["version"]
    else:
        doc["version"] = version
    doc["theme"] = "sepia"
    cfg.mkdir(parents=True)
    (cfg / "settings.json").write_text(json.dumps(doc))
    settings, warnings = load_settings()
    assert settings == replace(_custom(), theme="system")
    assert any("schema version" in w for w in warnings)
    assert len(_bad_files(cfg)) == 1


def test_unwritable_folder_raises_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the settings folder should be")
    with pytest.raises(ConfigError, match=r"Cannot save the settings to .*writable"):
        save_settings(AppSettings(), blocker / "settings.json")
    assert blocker.read_text().startswith("a file")


def test_failed_save_keeps_the_previous_file(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(_custom())
    before = (cfg / "settings.json").read_text()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("bci_desktop.core.settings.os.replace", broken_replace)
    with pytest.raises(ConfigError, match="No space left"):
        save_settings(AppSettings())
    assert (cfg / "settings.json").read_text() == before
    assert sorted(p.name for p in cfg.iterdir()) == ["settings.json"]
