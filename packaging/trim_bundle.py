"""Make a Linux bundle smaller without changing what runs: strip binaries, link duplicates.

**Stripping.** A Python built from source (pyenv, as on the build machine) has a
``libpython3.11.so`` of 23 MB, 17 MB of which is DWARF debug information; wheels leave
static symbol tables (``.symtab``) in many extension modules (PyQt6's, scipy's). Neither is
used at run time: ``strip --strip-unneeded`` removes both and keeps everything the dynamic
loader needs (dynamic symbols, relocations, ``RPATH``). Files with neither section are not
rewritten. A file that auditwheel's ``patchelf`` rewrote can come out of ``strip`` with
load segments the loader refuses (numpy's and scipy's OpenBLAS do): every stripped file is
checked (:func:`load_segments_aligned`) and kept as it was if the check fails.
``packaging/smoke-test`` then loads every BrainFlow library from the bundle and runs the
app, headless and windowed.

**Duplicates.** numpy's and scipy's wheels each carry the same ``libgfortran`` and
``libquadmath`` (by content); every copy after the first becomes a relative symbolic link to
it (``dpkg`` and ``tar`` keep links).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import struct
import subprocess
from pathlib import Path

__all__ = ["link_duplicates", "removable_sections", "strip_binaries"]

logger = logging.getLogger("bci_desktop.packaging")


def removable_sections(path: str | Path) -> list[str]:
    """Names of the ``.debug_*`` and ``.symtab`` sections of an ELF file (empty otherwise)."""
    with open(path, "rb") as fh:
        ident = fh.read(16)
        if ident[:4] != b"\x7fELF":
            return []
        wide, order = ident[4] == 2, "<" if ident[5] == 1 else ">"
        header = fh.read(48 if wide else 36)
        if wide:
            (shoff,) = struct.unpack_from(order + "Q", header, 24)
            shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", header, 42)
        else:
            (shoff,) = struct.unpack_from(order + "I", header, 16)
            shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", header, 30)
        if shoff == 0 or shnum == 0 or shstrndx >= shnum:
            return []
        fh.seek(shoff)
        table = fh.read(shentsize * shnum)

        def section(i: int) -> tuple[int, int, int]:
            fmt = order + ("IIQQQQ" if wide else "IIIIII")
            name, _, _, _, offset, size = struct.unpack_from(fmt, table, i * shentsize)
            return name, offset, size

        _, str_off, str_size = section(shstrndx)
        fh.seek(str_off)
        names = fh.read(str_size)
    found = []
    for i in range(shnum):
        start = section(i)[0]
        name = names[start : names.index(b"\0", start)].decode("ascii", "replace")
        if name.startswith(".debug_") or name == ".symtab":
            found.append(name)
    return found


def load_segments_aligned(path: str | Path) -> bool:
    """True if every ``PT_LOAD`` segment has ``p_offset`` congruent to ``p_vaddr`` modulo
    its alignment, which the dynamic loader requires ("ELF load command address/offset not
    page-aligned" otherwise). ``strip`` can break this in files that ``patchelf`` rewrote
    (auditwheel does, for every library it puts in ``*.libs``)."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:4] != b"\x7fELF":
        return True
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        (phoff,) = struct.unpack_from(order + "Q", data, 32)
        phentsize, phnum = struct.unpack_from(order + "HH", data, 54)
        fmt = order + "IIQQQQQQ"
        fields = ("type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align")
    else:
        (phoff,) = struct.unpack_from(order + "I", data, 28)
        phentsize, phnum = struct.unpack_from(order + "HH", data, 42)
        fmt = order + "IIIIIIII"
        fields = ("type", "offset", "vaddr", "paddr", "filesz", "memsz", "flags", "align")
    for i in range(phnum):
        values = struct.unpack_from(fmt, data, phoff + i * phentsize)
        seg = dict(zip(fields, values, strict=True))
        is_load = seg["type"] == 1 and seg["align"] > 1  # PT_LOAD
        if is_load and (seg["offset"] - seg["vaddr"]) % seg["align"] != 0:
            return False
    return True


def strip_binaries(folder: str | Path) -> tuple[int, int]:
    """Strip every ELF file under ``folder`` that has debug information or a symbol table.

    Files directly in ``folder`` (the bundle's executables, to which PyInstaller appends its
    archive) are left alone.

    Returns
    -------
    files, saved_bytes : int
        How many files were stripped and how many bytes that saved.
    """
    strip = shutil.which("strip")
    if strip is None:
        logger.warning("strip not found (binutils): the bundle keeps its debug information")
        return 0, 0
    folder = Path(folder)
    files = saved = 0
    kept: list[str] = []
    for path in sorted(folder.rglob("*")):
        if path.parent == folder or path.is_symlink() or not path.is_file():
            continue
        if not removable_sections(path):
            continue
        stripped = path.with_name(path.name + ".stripped")
        subprocess.run([strip, "--strip-unneeded", "-o", str(stripped), str(path)], check=True)
        if not load_segments_aligned(stripped):
            stripped.unlink()
            kept.append(path.name)
            continue
        saved += path.stat().st_size - stripped.stat().st_size
        shutil.copymode(path, stripped)
        os.replace(stripped, path)
        files += 1
    logger.warning("Stripped %d files: %.1f MB", files, saved / 1e6)
    if kept:
        logger.warning("Not stripped (stripping breaks their layout): %s", ", ".join(kept))
    return files, saved


def link_duplicates(folder: str | Path, *, min_bytes: int = 64 * 1024) -> tuple[int, int]:
    """Replace each file under ``folder`` that repeats an earlier one by a relative link.

    Only files of at least ``min_bytes`` are considered; the first in sorted path order stays.

    Returns
    -------
    files, saved_bytes : int
        How many files became links and the bytes that saved.
    """
    folder = Path(folder)
    by_size: dict[int, list[Path]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        if size >= min_bytes:
            by_size.setdefault(size, []).append(path)
    files = saved = 0
    for size, paths in by_size.items():
        if len(paths) < 2:
            continue
        first: dict[str, Path] = {}
        for path in paths:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            original = first.setdefault(digest, path)
            if original is path:
                continue
            path.unlink()
            path.symlink_to(os.path.relpath(original, path.parent))
            files += 1
            saved += size
    logger.warning("Linked %d duplicate files: %.1f MB", files, saved / 1e6)
    return files, saved
