"""PyInstaller hook for BrainFlow (pyinstaller-hooks-contrib has none).

BrainFlow's Python code loads ``brainflow/lib/<library>`` through ``importlib.resources``, and
its board controller loads the per-board libraries (Ganglion, Muse, BLE, Unicorn, eego ...)
from the folder it was itself loaded from, only when such a board is opened: static analysis
sees none of them. This hook puts every library of the target system and CPU into
``brainflow/lib`` of the bundle, and nothing else: the wheel carries Linux, Windows (64- and
32-bit) and macOS libraries, about 87 MB, of which one system needs a third.
"""

import sys
from pathlib import Path

from PyInstaller.utils.hooks import get_package_paths

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from native_libs import select_libraries, target

# BrainFlow's private ONNX runtime serves only its ONNX_CLASSIFIER (MLModel with a model
# file), which the app does not use: its models run on the onnxruntime package, and BrainFlow's
# built-in mindfulness/restfulness classifiers do not need it. 15 MB on Linux.
LEFT_OUT = {"libonnxruntime_x64.so", "libonnxruntime_arm64.dylib", "onnxruntime_x64.dll",
            "onnxruntime_x86.dll"}  # fmt: skip

_, _package = get_package_paths("brainflow")
_libs = [p for p in select_libraries(Path(_package) / "lib") if p.name not in LEFT_OUT]
if not any("BoardController" in p.name for p in _libs):
    raise SystemExit(f"hook-brainflow: no BrainFlow board controller for {target()} in the wheel")
binaries = [(str(p), "brainflow/lib") for p in _libs]
