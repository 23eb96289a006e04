"""Make the Debian package of a built bundle (called by ``packaging/build``).

    python packaging/linux/make_deb.py dist/bci-desktop --version 0.1.0 -o dist

What the package installs:

- ``/opt/bci-desktop/``: the bundle, as built;
- ``/usr/bin/bci-desktop`` (a link to the bundle's executable) and ``/usr/bin/bci-desktop-gui``
  (opens the window; what the desktop entry runs, as for a Python install);
- ``/usr/share/applications/bci-desktop.desktop``, the icon in the hicolor theme (SVG and
  PNG from 16 to 256 px, rendered here with Qt), AppStream metadata in ``/usr/share/metainfo``;
- ``/usr/lib/udev/rules.d/60-bci-desktop.rules``: serial dongles of EEG boards for the user
  at the computer (see ``resources/udev``).

``Depends`` lists the system libraries the bundle leaves to the system (see the spec), found
from the ``NEEDED`` entries of every ELF file in the bundle that the bundle does not provide;
a library missing from :data:`PACKAGES` stops the build, so nothing is silently left out.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = "bci-desktop"
APPSTREAM_ID = "org.bci_desktop.BCIDesktop"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)

#: System library (soname) -> Debian package, for what the bundle does not carry.
PACKAGES = {
    "libc.so.6": "libc6", "libm.so.6": "libc6", "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6", "librt.so.1": "libc6", "ld-linux-x86-64.so.2": "libc6",
    "ld-linux-aarch64.so.1": "libc6", "libutil.so.1": "libc6",
    "libstdc++.so.6": "libstdc++6", "libgcc_s.so.1": "libgcc-s1",
    "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0", "libgio-2.0.so.0": "libglib2.0-0",
    "libgmodule-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1",
    "libX11.so.6": "libx11-6", "libX11-xcb.so.1": "libx11-xcb1", "libxcb.so.1": "libxcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6",
    "libz.so.1": "zlib1g", "liblzma.so.5": "liblzma5", "libbz2.so.1.0": "libbz2-1.0",
    "libzstd.so.1": "libzstd1", "libffi.so.8": "libffi8",
}  # fmt: skip
#: Needed only by some boards' libraries or on Wayland: recommended, not required.
RECOMMENDS = {
    "libbluetooth.so.3": "libbluetooth3",  # Bluetooth Classic boards, Unicorn
    "libusb-1.0.so.0": "libusb-1.0-0",  # ANT Neuro eego
    # Qt's Wayland plug-in, if it is bundled (see hook-PyQt6.QtGui.py)
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}

POSTINST = """#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if command -v udevadm >/dev/null 2>&1; then
        udevadm control --reload-rules 2>/dev/null || true
        udevadm trigger --subsystem-match=tty --action=add 2>/dev/null || true
    fi
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 \\
        && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
exit 0
"""
POSTRM = """#!/bin/sh
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
    if command -v udevadm >/dev/null 2>&1; then
        udevadm control --reload-rules 2>/dev/null || true
    fi
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 \\
        && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
exit 0
"""
GUI_LAUNCHER = """#!/bin/sh
# Open the BCI Desktop window (what the desktop entry runs).
exec /opt/bci-desktop/bci-desktop gui "$@"
"""
COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: BCI Desktop

Files: opt/bci-desktop/_internal/bci_desktop/*
Copyright: BCI Desktop developers
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this
 software and associated documentation files (the "Software"), to deal in the Software
 without restriction, including without limitation the rights to use, copy, modify, merge,
 publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
 to whom the Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
 INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
 PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
 FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
 DEALINGS IN THE SOFTWARE.

Files: opt/bci-desktop/*
Comment: The bundle also carries, under their own licences (licence files inside
 /opt/bci-desktop/_internal where the packages ship them): Python (PSF-2.0), Qt 6
 (LGPL-3.0), PyQt6 (GPL-3.0), BrainFlow (MIT), onnxruntime (MIT), numpy and scipy
 (BSD-3-Clause, with OpenBLAS and libgfortran), pyqtgraph (MIT), edfio (Apache-2.0),
 platformdirs (MIT), ICU (Unicode-3.0).
License: various
"""


def _elf_files(bundle: Path) -> list[Path]:
    out = []
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with open(path, "rb") as fh:
            if fh.read(4) == b"\x7fELF":
                out.append(path)
    return out


def _dynamic(path: Path) -> tuple[list[str], list[str]]:
    """``NEEDED`` sonames and the GLIBC symbol versions a file uses."""
    env = {**os.environ, "LC_ALL": "C"}
    dyn = subprocess.run(["readelf", "-dW", str(path)], capture_output=True, text=True, env=env)
    needed = re.findall(r"\(NEEDED\).*\[(.+?)\]", dyn.stdout)
    ver = subprocess.run(["readelf", "-VW", str(path)], capture_output=True, text=True, env=env)
    return needed, re.findall(r"Name: GLIBC_([\d.]+)", ver.stdout)


def dependencies(bundle: Path) -> tuple[list[str], list[str]]:
    """``Depends`` and ``Recommends`` of the bundle.

    Raises
    ------
    SystemExit
        If the bundle needs a system library this script does not know.
    """
    provided = {p.name for p in bundle.rglob("*") if ".so" in p.name}
    glibc = (2, 17)
    depends: set[str] = set()
    recommends: set[str] = set()
    unknown: dict[str, str] = {}
    for path in _elf_files(bundle):
        needed, versions = _dynamic(path)
        for v in versions:
            glibc = max(glibc, tuple(int(x) for x in v.split(".")))
        for soname in needed:
            if soname in provided:
                continue
            if soname in PACKAGES:
                depends.add(PACKAGES[soname])
            elif soname in RECOMMENDS:
                recommends.add(RECOMMENDS[soname])
            else:
                unknown.setdefault(soname, str(path.relative_to(bundle)))
    if unknown:
        listing = ", ".join(f"{k} (needed by {v})" for k, v in sorted(unknown.items()))
        raise SystemExit(
            f"make_deb: the bundle needs system libraries with no known Debian package: "
            f"{listing}. Bundle them (packaging/bci-desktop.spec) or add them to PACKAGES."
        )
    libc = f"libc6 (>= {'.'.join(map(str, glibc))})"
    return [libc, *sorted(depends - {"libc6"})], sorted(recommends)


def render_icons(svg: Path, share: Path) -> None:
    """The icon into the hicolor theme: the SVG, and PNGs rendered with Qt."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import Qt
    from PyQt6.QtGui import QGuiApplication, QImage, QPainter
    from PyQt6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_deb: cannot read the icon {svg}")
    scalable = share / "icons/hicolor/scalable/apps"
    scalable.mkdir(parents=True)
    shutil.copy2(svg, scalable / f"{NAME}.svg")
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        folder = share / f"icons/hicolor/{size}x{size}/apps"
        folder.mkdir(parents=True)
        if not image.save(str(folder / f"{NAME}.png")):
            raise SystemExit(f"make_deb: cannot write the {size} px icon")
    del app


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def stage(bundle: Path, root: Path, version: str, arch: str) -> None:
    """Lay out the package's files under ``root``."""
    shutil.copytree(bundle, root / "opt" / NAME, symlinks=True)
    usr = root / "usr"
    (usr / "bin").mkdir(parents=True)
    (usr / "bin" / NAME).symlink_to(f"/opt/{NAME}/{NAME}")
    _write(usr / "bin" / f"{NAME}-gui", GUI_LAUNCHER, 0o755)
    share = usr / "share"
    resources = ROOT / "resources"
    _write(share / "applications" / f"{NAME}.desktop",
           (resources / f"{NAME}.desktop").read_text(encoding="utf-8"))  # fmt: skip
    render_icons(resources / "icons" / f"{NAME}.svg", share)
    metainfo = ROOT / "packaging" / "linux" / f"{APPSTREAM_ID}.metainfo.xml"
    _write(share / "metainfo" / metainfo.name, metainfo.read_text(encoding="utf-8"))
    rule = resources / "udev" / "60-bci-desktop.rules"
    _write(usr / "lib/udev/rules.d" / rule.name, rule.read_text(encoding="utf-8"))
    _write(share / "doc" / NAME / "copyright", COPYRIGHT)

    depends, recommends = dependencies(bundle)
    size_kib = (
        sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() or p.is_symlink()) // 1024
    )
    control = [
        f"Package: {NAME}",
        f"Version: {version}",
        f"Architecture: {arch}",
        "Maintainer: BCI Desktop developers <bci-desktop@localhost>",
        f"Installed-Size: {size_kib}",
        f"Depends: {', '.join(depends)}",
        f"Recommends: {', '.join(recommends)}" if recommends else "",
        "Section: science",
        "Priority: optional",
        "Description: real-time EEG: signal quality and emotional state, live",
        " BCI Desktop streams EEG from a headset (any board BrainFlow supports) or a",
        " synthetic board, scores signal quality, classifies emotional state with an ONNX",
        " model and records sessions. A stand-alone build: no Python needed.",
    ]
    debian = root / "DEBIAN"
    _write(debian / "control", "\n".join(line for line in control if line) + "\n")
    _write(debian / "postinst", POSTINST, 0o755)
    _write(debian / "postrm", POSTRM, 0o755)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make the .deb of a built bundle.")
    parser.add_argument("bundle", type=Path, help="the bundle folder (dist/bci-desktop)")
    parser.add_argument("--version", required=True)
    parser.add_argument("-o", "--output-dir", type=Path, default=Path("dist"))
    parser.add_argument("--work", type=Path, default=Path("build/deb"), help="staging folder")
    args = parser.parse_args(argv)
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    root = args.work / "root"
    if args.work.exists():
        shutil.rmtree(args.work)
    stage(args.bundle, root, args.version, arch)
    out = args.output_dir / f"{NAME}_{args.version}_{arch}.deb"
    out.unlink(missing_ok=True)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
