"""Which native libraries of a wheel can run on the system a bundle is built for.

BrainFlow's wheel is the same on every system: ``brainflow/lib`` holds its libraries for
Linux (``.so``), Windows (``.dll``, 64- and 32-bit) and macOS (``.dylib``, universal), about
87 MB, of which one system needs a third. The file name is no reliable guide (``gforce32.dll``
and ``gforce64.dll``, ``libunicorn_raspberry.so`` is 32-bit ARM), so this module reads each
file's header: its format (ELF, PE, Mach-O) gives the system and its machine field the CPU.

Used by ``packaging/hooks/hook-brainflow.py`` at build time; no PyInstaller import here, so
the selection is tested on the real wheel by ``tests/packaging``.
"""

from __future__ import annotations

import platform
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NativeLibrary", "read_native_library", "select_libraries", "target"]

# ELF e_machine, PE COFF Machine, Mach-O cputype -> one CPU name.
_ELF = {0x03: "x86", 0x3E: "x86_64", 0x28: "arm", 0xB7: "aarch64"}
_PE = {0x014C: "x86", 0x8664: "x86_64", 0x01C4: "arm", 0xAA64: "aarch64"}
_MACHO = {7: "x86", 0x01000007: "x86_64", 12: "arm", 0x0100000C: "aarch64"}
_MACHO_THIN = {
    b"\xcf\xfa\xed\xfe": "<",
    b"\xce\xfa\xed\xfe": "<",
    b"\xfe\xed\xfa\xcf": ">",
    b"\xfe\xed\xfa\xce": ">",
}
_MACHO_FAT = (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf")  # big-endian headers, 32/64-bit
_CPU_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64", "i386": "x86",
                "i686": "x86", "armv7l": "arm"}  # fmt: skip


@dataclass(frozen=True)
class NativeLibrary:
    """What a native library file was built for.

    Attributes
    ----------
    path : Path
        The file.
    system : str
        ``"linux"`` (ELF), ``"win32"`` (PE) or ``"darwin"`` (Mach-O), as ``sys.platform``.
    cpus : frozenset of str
        CPUs it runs on (a universal Mach-O file names several).
    """

    path: Path
    system: str
    cpus: frozenset[str]


def _elf(head: bytes) -> frozenset[str]:
    order = "<" if head[5] == 1 else ">"
    (machine,) = struct.unpack_from(order + "H", head, 18)
    return frozenset({_ELF.get(machine, f"elf-{machine:#x}")})


def _pe(data: bytes) -> frozenset[str]:
    (offset,) = struct.unpack_from("<I", data, 0x3C)
    if data[offset : offset + 4] != b"PE\0\0":
        raise ValueError("no PE signature")
    (machine,) = struct.unpack_from("<H", data, offset + 4)
    return frozenset({_PE.get(machine, f"pe-{machine:#x}")})


def _macho_fat(data: bytes) -> frozenset[str]:
    wide = data[:4] == _MACHO_FAT[1]
    (count,) = struct.unpack_from(">I", data, 4)
    size = 32 if wide else 20
    cpus = set()
    for i in range(count):
        (cpu,) = struct.unpack_from(">i", data, 8 + i * size)
        cpus.add(_MACHO.get(cpu & 0xFFFFFFFF, f"macho-{cpu:#x}"))
    return frozenset(cpus)


def read_native_library(path: str | Path) -> NativeLibrary | None:
    """Read the header of ``path``; ``None`` if it is not an ELF, PE or Mach-O file."""
    path = Path(path)
    with open(path, "rb") as fh:
        data = fh.read(4096)
    try:
        if data[:4] == b"\x7fELF":
            return NativeLibrary(path, "linux", _elf(data))
        if data[:2] == b"MZ":
            return NativeLibrary(path, "win32", _pe(data))
        if data[:4] in _MACHO_THIN:
            (cpu,) = struct.unpack_from(_MACHO_THIN[data[:4]] + "I", data, 4)
            return NativeLibrary(path, "darwin", frozenset({_MACHO.get(cpu, f"macho-{cpu:#x}")}))
        if data[:4] in _MACHO_FAT:
            return NativeLibrary(path, "darwin", _macho_fat(data))
    except (struct.error, ValueError):
        return None
    return None


def target() -> tuple[str, str]:
    """The system and CPU of the running Python, e.g. ``("linux", "x86_64")``.

    A 32-bit Python on a 64-bit CPU counts as 32-bit: it can only load 32-bit libraries.
    """
    system = "linux" if sys.platform.startswith("linux") else sys.platform
    cpu = platform.machine().lower()
    cpu = _CPU_ALIASES.get(cpu, cpu)
    if struct.calcsize("P") == 4:
        cpu = {"x86_64": "x86", "aarch64": "arm"}.get(cpu, cpu)
    return system, cpu


def select_libraries(
    folder: str | Path, *, system: str | None = None, cpu: str | None = None
) -> list[Path]:
    """The native libraries in ``folder`` that run on ``system`` and ``cpu``.

    Parameters
    ----------
    folder : str or Path
        A folder of native libraries, e.g. BrainFlow's ``brainflow/lib``.
    system, cpu : str or None
        The target, by default that of the running Python (see :func:`target`).

    Returns
    -------
    list of Path
        Sorted; files that are not native libraries are left out.
    """
    here = target()
    system = system or here[0]
    cpu = cpu or here[1]
    keep = []
    for path in sorted(Path(folder).iterdir()):
        if not path.is_file():
            continue
        lib = read_native_library(path)
        if lib is not None and lib.system == system and cpu in lib.cpus:
            keep.append(path)
    return keep
