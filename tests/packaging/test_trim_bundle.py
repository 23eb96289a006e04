"""Stripping and de-duplicating a bundle, on real libraries from the installed wheels."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import sys
from pathlib import Path

import brainflow
import numpy
import pytest

from tests.packaging.conftest import load

trim = load("trim_bundle.py")
pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF files"),
    pytest.mark.skipif(shutil.which("strip") is None, reason="needs binutils' strip"),
]
BRAINFLOW_LIB = Path(brainflow.__file__).parent / "lib"
# numpy's OpenBLAS, rewritten by auditwheel's patchelf: binutils' strip breaks its layout.
OPENBLAS = next((Path(numpy.__file__).parent.parent / "numpy.libs").glob("libscipy_openblas*"))


def test_strip_removes_symbols_and_the_library_still_loads(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    lib = bundle / "_internal" / "libGanglionLib.so"
    shutil.copy2(BRAINFLOW_LIB / "libGanglionLib.so", lib)
    exe = bundle / "app"  # top level: PyInstaller's executables are never touched
    shutil.copy2(BRAINFLOW_LIB / "libMuseLib.so", exe)
    before = lib.stat().st_size
    assert ".symtab" in trim.removable_sections(lib)

    files, saved = trim.strip_binaries(bundle)

    assert (files, saved) == (1, before - lib.stat().st_size) and saved > 0
    assert trim.removable_sections(lib) == []
    assert trim.load_segments_aligned(lib)
    ctypes.CDLL(str(lib))  # the loader accepts it
    assert exe.read_bytes() == (BRAINFLOW_LIB / "libMuseLib.so").read_bytes()
    assert [p.name for p in lib.parent.iterdir()] == [lib.name]  # no temporary file left


def test_a_library_strip_would_break_is_left_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "bundle" / "_internal"
    folder.mkdir(parents=True)
    lib = folder / OPENBLAS.name
    shutil.copy2(OPENBLAS, lib)
    assert trim.removable_sections(lib)  # it has a symbol table ...

    assert trim.strip_binaries(tmp_path / "bundle") == (0, 0)  # ... that cannot go

    assert lib.read_bytes() == OPENBLAS.read_bytes()
    assert trim.load_segments_aligned(lib)


def test_alignment_check_spots_what_the_loader_refuses(tmp_path: Path) -> None:
    broken = tmp_path / "broken.so"
    subprocess.run(["strip", "--strip-unneeded", "-o", str(broken), str(OPENBLAS)], check=True)
    assert not trim.load_segments_aligned(broken)
    with pytest.raises(OSError, match="not page-aligned"):
        ctypes.CDLL(str(broken))


def test_duplicates_become_relative_links(tmp_path: Path) -> None:
    a, b = tmp_path / "numpy.libs", tmp_path / "scipy.libs"
    a.mkdir()
    b.mkdir()
    payload = bytes(range(256)) * 1024
    (a / "libgfortran.so.5").write_bytes(payload)
    (b / "libgfortran.so.5").write_bytes(payload)
    (b / "other.so").write_bytes(payload[::-1])

    files, saved = trim.link_duplicates(tmp_path)

    assert (files, saved) == (1, len(payload))
    link = b / "libgfortran.so.5"
    assert link.is_symlink() and str(link.readlink()) == "../numpy.libs/libgfortran.so.5"
    assert link.read_bytes() == payload
    assert not (b / "other.so").is_symlink()
