"""The .deb's dependencies, found from the real libraries a bundle holds."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import brainflow
import pytest

from tests.packaging.conftest import load

make_deb = load("linux/make_deb.py")
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("readelf") is None,
    reason="ELF files, binutils' readelf",
)
LIB = Path(brainflow.__file__).parent / "lib"


def _bundle(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "bundle" / "_internal" / "brainflow" / "lib"
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy2(LIB / name, folder / name)
    return tmp_path / "bundle"


def test_system_libraries_become_depends_and_board_extras_recommends(tmp_path: Path) -> None:
    # libSynchroniLib needs libsensor (bundled here) which needs GLib (from the system);
    # libunicorn needs BlueZ's libbluetooth, only for that board.
    bundle = _bundle(tmp_path, "libSynchroniLib_x64.so", "libsensor_x64.so", "libunicorn.so")
    depends, recommends = make_deb.dependencies(bundle)
    assert depends[0].startswith("libc6 (>= 2.")
    assert {"libglib2.0-0", "libstdc++6", "libgcc-s1"} <= set(depends)
    assert not any(d.startswith("libsensor") for d in depends)  # the bundle has it
    assert recommends == ["libbluetooth3"]


def test_an_unknown_system_library_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _bundle(tmp_path, "libsensor_x64.so")
    packages = {k: v for k, v in make_deb.PACKAGES.items() if k != "libgio-2.0.so.0"}
    monkeypatch.setattr(make_deb, "PACKAGES", packages)
    with pytest.raises(SystemExit, match=r"libgio-2\.0\.so\.0 \(needed by .*libsensor_x64"):
        make_deb.dependencies(bundle)
