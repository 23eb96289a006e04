"""Size of a built bundle by component, and a check against the size budget.

    python packaging/size_report.py dist/bci-desktop [--limit-mib 250] [-o report.md]

Sizes are the sum of the files' sizes (``du --apparent-size``; symbolic links count as
nothing), in MiB (1,048,576 bytes, what ``du -h`` and ``ls -h`` print as "M") and in MB
(1,000,000 bytes). Exits with 1 when the bundle is over ``--limit-mib``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

MIB, MB = 1024 * 1024, 1000 * 1000

# (component, test on the path relative to the bundle folder), first match wins.
COMPONENTS: list[tuple[str, tuple[str, ...]]] = [
    ("ICU (Unicode data Qt links)", ("_internal/PyQt6/Qt6/lib/libicu",)),
    ("Qt libraries and plug-ins", ("_internal/PyQt6/Qt6/",)),
    ("PyQt6 bindings", ("_internal/PyQt6/",)),
    ("onnxruntime", ("_internal/onnxruntime",)),
    ("scipy (with its OpenBLAS)", ("_internal/scipy",)),
    ("numpy (with its OpenBLAS)", ("_internal/numpy",)),
    ("BrainFlow native libraries", ("_internal/brainflow/",)),
    ("Python runtime", ("_internal/libpython", "_internal/python3", "_internal/base_library")),
    ("App data (models, icons)", ("_internal/bci_desktop/",)),
    ("Python code (all packages, compiled)", ("bci-desktop",)),  # the executable's archive
]
OTHER_LIBS = "Other native libraries (xcb, zstd, ...)"
OTHER = "Everything else"


def component(rel: PurePosixPath) -> str:
    """The component a file of the bundle belongs to."""
    text = rel.as_posix()
    for name, prefixes in COMPONENTS:
        if any(text == p or text.startswith(p) for p in prefixes):
            return name
    if rel.parent.as_posix() == "_internal" and ".so" in rel.name:
        return OTHER_LIBS
    return OTHER


def sizes(bundle: Path) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Bytes per component, and (bytes, path) of every regular file."""
    per: dict[str, int] = {}
    files: list[tuple[int, str]] = []
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        rel = PurePosixPath(path.relative_to(bundle).as_posix())
        size = path.stat().st_size
        per[component(rel)] = per.get(component(rel), 0) + size
        files.append((size, rel.as_posix()))
    files.sort(reverse=True)
    return per, files


def report(bundle: Path, *, largest: int = 12) -> tuple[str, int]:
    """The report as Markdown, and the total in bytes."""
    per, files = sizes(bundle)
    total = sum(per.values())
    lines = [
        f"Bundle `{bundle.name}`: **{total / MIB:.1f} MiB** ({total / MB:.1f} MB), "
        f"{len(files)} files.",
        "",
        "| component | MiB | share |",
        "|---|---:|---:|",
    ]
    for name, size in sorted(per.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {name} | {size / MIB:.1f} | {100 * size / total:.0f} % |")
    lines += ["", "Largest files:", "", "| file | MiB |", "|---|---:|"]
    for size, rel in files[:largest]:
        lines.append(f"| `{rel}` | {size / MIB:.1f} |")
    return "\n".join(lines) + "\n", total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the bundle folder, e.g. dist/bci-desktop")
    parser.add_argument("--limit-mib", type=float, default=None, help="fail above this size")
    parser.add_argument("-o", "--output", type=Path, default=None, help="also write it here")
    args = parser.parse_args(argv)
    if not (args.bundle / "_internal").is_dir():
        parser.error(f"{args.bundle} is not a PyInstaller one-folder bundle")
    text, total = report(args.bundle)
    sys.stdout.write(text)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    if args.limit_mib is not None and total > args.limit_mib * MIB:
        sys.stderr.write(
            f"size_report: the bundle is {total / MIB:.1f} MiB, over the {args.limit_mib:g} MiB "
            "budget: see packaging/README.md (Size) for what is left out and why.\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
