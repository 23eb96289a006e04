"""Load the build helpers of ``packaging/`` by path (the folder is not a package, and the
name ``packaging`` belongs to the PyPI library pip and PyInstaller use)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def load(relative: str) -> ModuleType:
    """Import ``packaging/<relative>`` as a module (cached)."""
    name = "bci_packaging_" + relative.replace("/", "_").removesuffix(".py")
    if name in sys.modules:
        return sys.modules[name]
    if str(PACKAGING) not in sys.path:
        sys.path.append(str(PACKAGING))  # the helpers import each other by file name
    spec = importlib.util.spec_from_file_location(name, PACKAGING / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
