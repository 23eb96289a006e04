"""Which of BrainFlow's native libraries a bundle keeps: read from the real wheel's files."""

from __future__ import annotations

import sys
from pathlib import Path

import brainflow
import pytest

from tests.packaging.conftest import load

native_libs = load("native_libs.py")
LIB = Path(brainflow.__file__).parent / "lib"


def _names(system: str, cpu: str) -> set[str]:
    return {p.name for p in native_libs.select_libraries(LIB, system=system, cpu=cpu)}


def test_linux_x86_64_keeps_its_shared_objects_only() -> None:
    kept = _names("linux", "x86_64")
    assert {"libBoardController.so", "libDataHandler.so", "libGanglionLib.so",
            "libMuseLib.so", "libsimpleble-c.so"} <= kept  # fmt: skip
    assert all(name.endswith(".so") for name in kept)
    assert "libunicorn_raspberry.so" not in kept  # 32-bit ARM, despite its .so name
    assert _names("linux", "arm") == {"libunicorn_raspberry.so"}


def test_windows_64_and_32_bit_are_told_apart_by_header() -> None:
    x64, x86 = _names("win32", "x86_64"), _names("win32", "x86")
    assert {"BoardController.dll", "gforce64.dll", "neurosdk-x64.dll"} <= x64
    assert {"BoardController32.dll", "gforce32.dll", "neurosdk-x86.dll"} <= x86
    assert not x64 & x86
    assert all(name.endswith(".dll") for name in x64 | x86)


def test_macos_universal_libraries_serve_both_cpus() -> None:
    arm, intel = _names("darwin", "aarch64"), _names("darwin", "x86_64")
    assert "libBoardController.dylib" in arm & intel  # universal (fat) file
    assert "libonnxruntime_arm64.dylib" in arm - intel  # thin arm64 file


def test_every_file_belongs_to_exactly_one_system() -> None:
    systems: dict[str, set[str]] = {}
    for path in LIB.iterdir():
        lib = native_libs.read_native_library(path)
        assert lib is not None, f"{path.name} is not a native library"
        systems.setdefault(path.name, set()).add(lib.system)
    assert all(len(s) == 1 for s in systems.values())
    one_system = sum(len(_names(s, c)) for s, c in
                     [("linux", "x86_64"), ("linux", "arm"), ("win32", "x86_64"),
                      ("win32", "x86"), ("darwin", "x86_64")])  # fmt: skip
    only_arm64 = {"libonnxruntime_arm64.dylib"}
    assert one_system + len(only_arm64) == len(systems)


def test_files_that_are_not_libraries_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a library", encoding="utf-8")
    (tmp_path / "cut.so").write_bytes(b"\x7fELF\x02\x01")  # a header cut short
    (tmp_path / "bad.dll").write_bytes(b"MZ" + b"\0" * 100)  # no PE header where it points
    assert native_libs.read_native_library(tmp_path / "notes.txt") is None
    assert native_libs.read_native_library(tmp_path / "cut.so") is None
    assert native_libs.read_native_library(tmp_path / "bad.dll") is None
    assert native_libs.select_libraries(tmp_path, system="linux", cpu="x86_64") == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks this Linux machine")
def test_target_is_the_running_python() -> None:
    system, cpu = native_libs.target()
    assert system == "linux"
    assert native_libs.read_native_library(Path(sys.executable).resolve()).cpus == {cpu}
