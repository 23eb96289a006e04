"""Loading pylsl (and the liblsl it carries) once, with errors a user can act on.

pylsl's wheels carry liblsl; ``PYLSL_LIB`` names another build and pylsl honours it before
its own copy. :func:`pylsl_module` imports pylsl on first use, so that the rest of the app
starts (and the command line answers) on a machine where liblsl cannot load, and turns the
failure into a :class:`~bci_desktop.core.errors.SourceError` that says what to do.

liblsl prints its own log lines (``Loaded default config``, ``Stream transmission broke
off``) on the console. Unless the user configured liblsl (``LSLAPICFG``, or an
``lsl_api.cfg`` where liblsl looks for one), the app keeps only its fatal messages there:
the app reports lost streams and reconnections itself, in the user's words.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from bci_desktop.core.errors import SourceError

__all__ = ["LslLibrary", "describe_library", "pylsl_module"]

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_module: ModuleType | None = None
_QUIET_CONFIG = "[log]\nlevel = -3\n"  # loguru's FATAL: liblsl says nothing on the console


def _user_configured() -> bool:
    """True when the user has a liblsl configuration file (liblsl's own search order)."""
    if os.environ.get("LSLAPICFG"):
        return True
    places = (
        Path.cwd() / "lsl_api.cfg",
        Path.home() / "lsl_api" / "lsl_api.cfg",
        Path("/etc/lsl_api/lsl_api.cfg"),
    )
    return any(p.is_file() for p in places)


def pylsl_module() -> ModuleType:
    """pylsl, imported and configured once.

    Raises
    ------
    SourceError
        If pylsl is not installed or liblsl cannot be loaded (the message names
        ``PYLSL_LIB``).
    """
    global _module
    with _lock:
        if _module is not None:
            return _module
        try:
            import pylsl
        except (ImportError, OSError, RuntimeError) as exc:
            lib = os.environ.get("PYLSL_LIB")
            hint = (
                f"PYLSL_LIB names {lib!r}: check that it is a liblsl library for this system"
                if lib
                else "reinstall the app (pylsl's package carries liblsl), or set PYLSL_LIB "
                "to a liblsl library"
            )
            raise SourceError(
                f"Lab Streaming Layer is not available: {' '.join(str(exc).split())}. {hint}."
            ) from exc
        if not _user_configured():
            pylsl.util.set_config_content(_QUIET_CONFIG)
        _module = pylsl
        logger.info("Lab Streaming Layer: %s", describe_library().text)
        return pylsl


@dataclass(frozen=True)
class LslLibrary:
    """Which pylsl and liblsl the app uses."""

    pylsl_version: str
    liblsl_version: int
    path: str

    @property
    def text(self) -> str:
        """E.g. ``"pylsl 1.18.6, liblsl 1.18 (/.../liblsl.so)"``."""
        major, minor = divmod(self.liblsl_version, 100)
        return f"pylsl {self.pylsl_version}, liblsl {major}.{minor} ({self.path})"


def describe_library() -> LslLibrary:
    """The pylsl and liblsl in use (loads them).

    Raises
    ------
    SourceError
        As :func:`pylsl_module`.
    """
    pylsl = _module or pylsl_module()
    path = str(getattr(pylsl.lib.lib, "_name", "") or "?")
    return LslLibrary(str(pylsl.__version__), int(pylsl.library_version()), path)
