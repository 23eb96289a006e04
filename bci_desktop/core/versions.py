"""What is running: the versions the About box and ``bci-desktop --version`` show.

One function, :func:`gather_versions`, so the window and the command line cannot drift
apart. It never imports Qt (the core runs headless): the Qt version comes from the installed
``PyQt6-Qt6`` distribution unless the caller, which has Qt loaded, passes the run-time one.
"""

from __future__ import annotations

import importlib.metadata
import logging
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from bci_desktop import __version__

logger = logging.getLogger(__name__)

__all__ = ["Versions", "gather_versions"]

NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class Versions:
    """Versions of the app and of the libraries it runs on.

    Attributes
    ----------
    app : str
        BCI Desktop's version.
    python : str
        The Python interpreter's version.
    brainflow : str
        The version of BrainFlow's native board library (as loaded), or why it is unknown.
    qt, pyqt : str
        Qt and PyQt6 versions, ``"not installed"`` without them.
    onnxruntime, numpy : str
        Versions of the inference and array libraries.
    active_model : str
        ``name@version`` of the active model, or why there is none.
    bundled : bool
        True when running from the stand-alone app (PyInstaller), False from a Python install.
    location : Path
        Folder the app runs from (the bundle's folder, or the installed package's).
    """

    app: str
    python: str
    brainflow: str
    qt: str
    pyqt: str
    onnxruntime: str
    numpy: str
    active_model: str
    bundled: bool
    location: Path

    def lines(self) -> list[str]:
        """The versions as short lines, the app's own first (``bci-desktop 0.1.0``)."""
        kind = "stand-alone app" if self.bundled else "Python package"
        qt = f"{self.qt} (PyQt6 {self.pyqt})" if self.pyqt != NOT_INSTALLED else NOT_INSTALLED
        return [
            f"bci-desktop {self.app}",
            f"Installed as: {kind} in {self.location}",
            f"Python: {self.python} ({platform.machine() or 'unknown machine'})",
            f"BrainFlow: {self.brainflow}",
            f"Qt: {qt}",
            f"onnxruntime: {self.onnxruntime}",
            f"numpy: {self.numpy}",
            f"Active model: {self.active_model}",
        ]


def _distribution_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return NOT_INSTALLED


def _brainflow_version() -> str:
    from brainflow.board_shim import BoardShim
    from brainflow.exit_codes import BrainFlowError

    try:
        return str(BoardShim.get_version())
    except BrainFlowError as exc:
        logger.debug("BrainFlow gives no version", exc_info=True)
        return f"unknown ({exc})"


def _active_model() -> str:
    from bci_desktop.core.errors import ModelError
    from bci_desktop.core.inference.registry import ModelRegistry

    try:
        return ModelRegistry().active().label
    except (ModelError, OSError) as exc:
        logger.debug("No active model", exc_info=True)
        return f"none ({exc})"


def _app_location() -> Path:
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def gather_versions(*, qt: str | None = None, pyqt: str | None = None) -> Versions:
    """Collect the versions of the app and its libraries.

    Parameters
    ----------
    qt, pyqt : str or None
        The Qt and PyQt6 versions in use, given by a caller that has Qt loaded (the window
        passes ``qVersion()`` and ``PYQT_VERSION_STR``); by default they are read from the
        installed distributions, without importing Qt.

    Returns
    -------
    Versions
        The versions; nothing here raises for a missing library or model.
    """
    import numpy
    import onnxruntime

    return Versions(
        app=__version__,
        python=platform.python_version(),
        brainflow=_brainflow_version(),
        qt=qt or _distribution_version("PyQt6-Qt6"),
        pyqt=pyqt or _distribution_version("PyQt6"),
        onnxruntime=onnxruntime.__version__,
        numpy=numpy.__version__,
        active_model=_active_model(),
        bundled=bool(getattr(sys, "frozen", False)),
        location=_app_location(),
    )
