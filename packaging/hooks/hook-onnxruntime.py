"""PyInstaller hook for onnxruntime, replacing the one of pyinstaller-hooks-contrib.

The contrib hook collects every shared library of ``onnxruntime/capi``, which includes the
C API library (``libonnxruntime.so.1.x``, 35 MB on Linux) that the Python binding does not
use: ``onnxruntime_pybind11_state`` carries the runtime itself. Here only the execution
provider plug-ins are collected; should a binding on some system link the C API library,
PyInstaller's dependency analysis of the binding still brings it in.
"""

import re
from pathlib import Path

from PyInstaller.utils.hooks import collect_dynamic_libs

# libonnxruntime.so.1.32.0, libonnxruntime.1.32.0.dylib, onnxruntime.dll
_C_API = re.compile(r"^(lib)?onnxruntime(\.so(\.[\d.]+)?|(\.[\d.]+)?\.dylib|\.dll)$", re.I)

binaries = [(src, dest) for src, dest in collect_dynamic_libs("onnxruntime")
            if not _C_API.match(Path(src).name)]  # fmt: skip
