"""Settings of the desktop app: typed, validated per field, saved atomically (no Qt).

The file is ``settings.json`` under ``platformdirs.user_config_path("bci-desktop")``, or
under ``$BCI_DESKTOP_CONFIG_DIR`` when that is set (tests and portable installs). Loading
never fails: a missing file gives the defaults; a corrupt, truncated, wrong-typed or
other-version file gives the defaults for what cannot be used, with warnings, and the
original file is kept beside it as ``settings.json.bad-<timestamp>`` so nothing stored is
lost. Saving writes a temporary file and renames it over the old one, so a crash while
saving leaves the previous file intact.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from bci_desktop.core import jsonsafe
from bci_desktop.core.atomic import write_atomic
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.logs import APP_NAME
from bci_desktop.core.regular_files import read_regular

__all__ = [
    "FRAME_RATES",
    "SCHEMA_VERSION",
    "THEMES",
    "VIEW_MODES",
    "AppSettings",
    "config_dir",
    "load_settings",
    "save_settings",
    "settings_path",
]

logger = logging.getLogger(__name__)

#: Version of the settings file layout; bumped when a field changes meaning.
SCHEMA_VERSION = 1
#: Allowed values of :attr:`AppSettings.view_mode`.
VIEW_MODES: tuple[str, ...] = ("main", "clinician")
#: Allowed values of :attr:`AppSettings.theme`.
THEMES: tuple[str, ...] = ("system", "dark", "light")
#: Allowed values of :attr:`AppSettings.frame_rate` (plot frames per second).
FRAME_RATES: tuple[int, ...] = (30, 45, 60)
_FILE_NAME = "settings.json"
_MAX_BYTES = 4 << 20


def _default_filters() -> dict[str, Any]:
    from bci_desktop.core.dsp.filters import FilterSettings

    return FilterSettings().to_dict()


@dataclass(frozen=True)
class AppSettings:
    """Everything the window remembers between runs.

    Parameters
    ----------
    board : str
        Last board: a BrainFlow board name (``"synthetic"``, ``"cyton"``), ``"simulated"``,
        or an LSL stream (``"lsl:source_id=..."``).
    connection : dict
        Connection fields as :meth:`ConnectionParams.to_dict` gives them (only valid ones).
    speed : float
        Speed of the simulated subject (times real time).
    filters : dict
        Filter settings as :meth:`FilterSettings.to_dict` gives them.
    signal_view : dict
        What ``SignalView.state()`` returned (window, scale, hidden channels ...).
    spectrum : dict
        What ``SpectrumPanel.state()`` returned.
    geometry : str
        Window geometry, base64 of ``QWidget.saveGeometry()`` (empty: default size).
    window_state : str
        Dock layout, base64 of ``QMainWindow.saveState()`` (empty: default layout).
    view_mode : str
        ``"main"`` or ``"clinician"``.
    theme : str
        ``"system"``, ``"dark"`` or ``"light"``.
    model_path : str or None
        An ONNX file or registry ``NAME[@VERSION]`` used for every connection, on top of
        the automatic choice; ``None`` (the default) uses the registry's active model,
        as ``bci-desktop run`` does (see :func:`~bci_desktop.core.session.resolve_model`).
    latency_fallback : bool
        Models > Fall back to a faster model when over budget (``--latency-fallback``).
    montages : dict
        Channel names the user gave, per board and per device: keys from
        :func:`~bci_desktop.core.montage.saved.device_key` (``"cyton"``,
        ``"muse_2 mac 00:55:da:b0:12:34"``), values lists of 10-05 names. Look one up with
        :meth:`saved_montage`.
    lsl_outlets : bool
        Stream > Publish on LSL (``--lsl``): the raw EEG, predictions and markers as LSL
        streams. Off by default.
    lsl_markers : bool
        Stream > Follow LSL marker streams (``--lsl-markers``). Off by default.
    frame_rate : int
        View > Frame rate: plot frames per second, one of :data:`FRAME_RATES`.
    """

    board: str = "synthetic"
    connection: dict[str, Any] = field(default_factory=dict)
    speed: float = 1.0
    filters: dict[str, Any] = field(default_factory=_default_filters)
    signal_view: dict[str, Any] = field(default_factory=dict)
    spectrum: dict[str, Any] = field(default_factory=dict)
    geometry: str = ""
    window_state: str = ""
    view_mode: str = "main"
    theme: str = "system"
    model_path: str | None = None
    latency_fallback: bool = False
    montages: dict[str, list[str]] = field(default_factory=dict)
    lsl_outlets: bool = False
    lsl_markers: bool = False
    frame_rate: int = 60

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written to disk (with the schema version)."""
        d = {"version": SCHEMA_VERSION}
        d.update(dataclasses.asdict(self))
        return d

    def connection_params(self) -> Any:
        """The stored connection fields as a ``ConnectionParams``."""
        from bci_desktop.core.sources.boards import ConnectionParams

        return ConnectionParams.from_dict(dict(self.connection))

    def model_request(self) -> Any:
        """The model to stream with, as the command line would ask for it (a
        :class:`~bci_desktop.core.session.ModelRequest`)."""
        from bci_desktop.core.session.models import ModelRequest

        return ModelRequest(self.model_path) if self.model_path else ModelRequest()

    def saved_montage(self, board: str, *, serial_number: str = "", mac_address: str = "") -> Any:
        """The montage saved for this device (MAC, then serial number) or board, else None.

        Returns
        -------
        Montage or None
        """
        from bci_desktop.core.montage.saved import saved_montage

        return saved_montage(
            self.montages, board, serial_number=serial_number, mac_address=mac_address
        )

    def with_montage(
        self,
        board: str,
        channels: Any,
        *,
        serial_number: str = "",
        mac_address: str = "",
    ) -> AppSettings:
        """A copy with ``channels`` saved for this device (or board); ``None`` forgets it.

        Raises
        ------
        ConfigError
            If a channel name is not a 10-05 position (or a non-scalp label such as X1).
        """
        from bci_desktop.core.montage.resolve import check_channel_names
        from bci_desktop.core.montage.saved import device_key

        key = device_key(board, serial_number=serial_number, mac_address=mac_address)
        montages = dict(self.montages)
        if channels is None:
            montages.pop(key, None)
        else:
            montages[key] = list(check_channel_names(list(channels)))
        return dataclasses.replace(self, montages=montages)

    def filter_settings(self) -> Any:
        """The stored filters as a ``FilterSettings``."""
        from bci_desktop.core.dsp.filters import FilterSettings

        return FilterSettings.from_dict(self.filters)


# -- where ------------------------------------------------------------------------------
def config_dir() -> Path:
    """Folder of the settings file (``BCI_DESKTOP_CONFIG_DIR`` overrides platformdirs)."""
    override = os.environ.get("BCI_DESKTOP_CONFIG_DIR")
    if override:
        return Path(override)
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def settings_path() -> Path:
    """Path of ``settings.json``."""
    return config_dir() / _FILE_NAME


# -- per-field validation ---------------------------------------------------------------
def _check_board(value: Any) -> str:
    from bci_desktop.core.lsl.discovery import StreamQuery, is_lsl_board
    from bci_desktop.core.sources.boards import resolve_board
    from bci_desktop.core.sources.factory import is_simulated

    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"expected a board name, got {value!r}")
    if is_lsl_board(value):
        return StreamQuery.parse(value).board
    if not is_simulated(value):
        resolve_board(value)
    return value.strip()


def _check_connection(value: Any, warnings: list[str]) -> dict[str, Any]:
    from bci_desktop.core.sources.boards import ConnectionParams

    if not isinstance(value, dict):
        raise ConfigError(f"expected a mapping of connection fields, got {type(value).__name__}")
    names = {f.name for f in dataclasses.fields(ConnectionParams)}
    kept: dict[str, Any] = {}
    for key, item in value.items():
        if key not in names:
            warnings.append(f"Ignored the unknown connection field {key!r} in the settings.")
            continue
        try:
            ConnectionParams(**{key: item})
        except ConfigError as exc:
            warnings.append(f"Reset the connection field {key!r}: {exc}")
            continue
        kept[key] = item
    return kept


def _check_montages(value: Any, warnings: list[str]) -> dict[str, list[str]]:
    from bci_desktop.core.montage.saved import check_saved_montages

    return check_saved_montages(value, warnings)


def _check_speed(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"expected a positive number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"expected a positive number, got {value!r}")
    return float(value)


def _check_filters(value: Any) -> dict[str, Any]:
    from bci_desktop.core.dsp.filters import FilterSettings

    try:
        settings = FilterSettings.from_dict(value)
        settings.validate(1e6)  # types and ranges; the real rate is checked on connect
    except TypeError as exc:
        raise ConfigError(str(exc)) from exc
    return settings.to_dict()


def _check_dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"expected a mapping, got {type(value).__name__}")
    return value


def _check_base64(value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"expected base64 text, got {type(value).__name__}")
    try:
        base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ConfigError(f"not valid base64 ({exc})") from exc
    return value


def _choice(allowed: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise ConfigError(
                f"allowed values are {', '.join(map(repr, allowed))}, but got {value!r}"
            )
        return value

    return check


def _check_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"expected true or false, got {value!r}")
    return value


def _check_frame_rate(value: Any) -> int:
    if isinstance(value, bool) or value not in FRAME_RATES:
        raise ConfigError(
            f"allowed values are {', '.join(map(str, FRAME_RATES))}, but got {value!r}"
        )
    return int(value)


def _check_model_path(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"expected a file path or null, got {value!r}")
    return value


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "board": _check_board,
    "speed": _check_speed,
    "filters": _check_filters,
    "signal_view": _check_dict,
    "spectrum": _check_dict,
    "geometry": _check_base64,
    "window_state": _check_base64,
    "view_mode": _choice(VIEW_MODES),
    "theme": _choice(THEMES),
    "model_path": _check_model_path,
    "latency_fallback": _check_bool,
    "lsl_outlets": _check_bool,
    "lsl_markers": _check_bool,
    "frame_rate": _check_frame_rate,
}


def _from_document(doc: dict[str, Any], warnings: list[str]) -> AppSettings:
    """Keep every field that validates; the others take their defaults (with a warning)."""
    values: dict[str, Any] = {}
    names = [f.name for f in dataclasses.fields(AppSettings)]
    unknown = sorted(str(k) for k in doc if k not in names and k != "version")
    if unknown:
        warnings.append(
            f"Ignored unknown setting(s) {', '.join(map(repr, unknown))} in the settings file."
        )
    for name in names:
        if name not in doc:
            continue
        try:
            if name == "connection":
                values[name] = _check_connection(doc[name], warnings)
            elif name == "montages":
                values[name] = _check_montages(doc[name], warnings)
            else:
                values[name] = _CHECKS[name](doc[name])
        except ConfigError as exc:
            warnings.append(f"Reset the setting {name!r} to its default: {exc}.")
    return AppSettings(**values)


# -- load / save ------------------------------------------------------------------------
def _keep_aside(path: Path, *, move: bool) -> Path | None:
    """Keep the file as ``<name>.bad-<timestamp>``; return the new path (None on failure)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.bad-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.bad-{stamp}-{n}")
        n += 1
    try:
        if move:
            os.replace(path, target)
        else:
            shutil.copyfile(path, target)
    except OSError as exc:
        logger.warning("Could not keep a copy of %s as %s: %s", path, target, exc)
        return None
    return target


def load_settings(path: str | os.PathLike[str] | None = None) -> tuple[AppSettings, list[str]]:
    """Read the settings; never raises.

    Parameters
    ----------
    path : path-like or None
        The file; ``None`` for :func:`settings_path`.

    Returns
    -------
    settings : AppSettings
        What could be used, defaults for the rest.
    warnings : list of str
        One line per problem found (also logged), empty when the file was fine or absent.
    """
    path = Path(path) if path is not None else settings_path()
    warnings: list[str] = []
    try:
        text = read_regular(path, max_bytes=_MAX_BYTES).decode("utf-8")
    except FileNotFoundError:
        return AppSettings(), warnings
    except (OSError, UnicodeDecodeError) as exc:  # a FIFO, a device, too large, unreadable
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        warnings.append(f"Cannot read the settings file {path} ({reason}); using the defaults.")
        logger.warning("%s", warnings[-1])
        return AppSettings(), warnings
    try:
        doc = jsonsafe.loads(text)
    except jsonsafe.JSONInputError as exc:
        doc = None
        problem = str(exc)
    else:
        problem = None if isinstance(doc, dict) else f"holds a {type(doc).__name__}, not a mapping"
    if problem is not None:
        kept = _keep_aside(path, move=True)
        where = f"; it was kept as {kept.name}" if kept else ""
        warnings.append(f"The settings file {path}: {problem}; using the defaults{where}.")
        logger.warning("%s", warnings[-1])
        return AppSettings(), warnings

    assert isinstance(doc, dict)
    version = doc.get("version")
    if version != SCHEMA_VERSION:
        warnings.append(
            f"The settings file {path} has schema version {version!r}, this app uses "
            f"{SCHEMA_VERSION}: kept the settings that are still valid."
        )
    settings = _from_document(doc, warnings)
    if warnings:
        kept = _keep_aside(path, move=False)
        if kept is not None:
            warnings.append(f"The original settings file was kept as {kept.name}.")
        for w in warnings:
            logger.warning("%s", w)
    return settings, warnings


def save_settings(settings: AppSettings, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the settings atomically (temporary file, then rename).

    Parameters
    ----------
    settings : AppSettings
        What to store.
    path : path-like or None
        The file; ``None`` for :func:`settings_path`.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigError
        If the folder cannot be created or written; the previous file stays as it was.
    """
    path = Path(path) if path is not None else settings_path()
    text = json.dumps(settings.to_dict(), indent=2, sort_keys=True) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"Cannot save the settings to {path}: {reason}. Check that the folder "
            f"{path.parent} is writable (or set BCI_DESKTOP_CONFIG_DIR to one that is)."
        ) from exc
    logger.debug("Saved the settings to %s", path)
    return path
