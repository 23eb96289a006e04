"""Montages a user saved, per board and per device (serial number or MAC address).

Settings keep them as a mapping from a *device key* to channel names::

    "cyton"                          every Cyton
    "ganglion_native mac 00:a0:..."  this one Ganglion (its Bluetooth address)
    "unicorn serial UN-2021.05.06"   this one Unicorn (its serial number)

The most specific key wins: the device's own montage, else the board's, else none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.montage.resolve import Montage, MontageOrigin, check_channel_names

__all__ = ["MAX_SAVED", "check_saved_montages", "device_key", "device_keys", "saved_montage"]

#: Most montages kept in the settings.
MAX_SAVED = 512
_MAX_KEY = 200
_SPACES = re.compile(r"\s+")


def _clean(text: object) -> str:
    return _SPACES.sub(" ", str(text or "")).strip()


def device_key(board: str, *, serial_number: str = "", mac_address: str = "") -> str:
    """The settings key of a board, or of one device when its serial or MAC is known.

    The MAC address wins over the serial number; MAC addresses are compared in lower case.
    """
    base = _clean(board).lower()
    if not base:
        raise ConfigError("A saved montage needs a board name.")
    mac = _clean(mac_address).lower()
    if mac:
        return f"{base} mac {mac}"
    serial = _clean(serial_number)
    if serial:
        return f"{base} serial {serial}"
    return base


def device_keys(board: str, *, serial_number: str = "", mac_address: str = "") -> tuple[str, ...]:
    """Keys to look up, most specific first: MAC, serial number, then the board."""
    keys = []
    if _clean(mac_address):
        keys.append(device_key(board, mac_address=mac_address))
    if _clean(serial_number):
        keys.append(device_key(board, serial_number=serial_number))
    keys.append(device_key(board))
    return tuple(keys)


def saved_montage(
    saved: Mapping[str, Sequence[str]],
    board: str,
    *,
    serial_number: str = "",
    mac_address: str = "",
) -> Montage | None:
    """The montage saved for this device or board, ``None`` when there is none.

    An entry that no longer validates is skipped (settings loading already drops them).
    """
    for key in device_keys(board, serial_number=serial_number, mac_address=mac_address):
        names = saved.get(key)
        if names is None:
            continue
        try:
            return Montage(check_channel_names(list(names)), MontageOrigin.USER)
        except ConfigError:
            continue
    return None


def check_saved_montages(value: object, warnings: list[str]) -> dict[str, list[str]]:
    """Validate the ``montages`` setting; keep what is valid, warn about the rest.

    Never raises for a bad entry (settings loading must not fail): it is dropped with a
    warning naming the key and the problem.
    """
    if not isinstance(value, Mapping):
        raise ConfigError(f"expected a mapping of devices to channel names, got {value!r:.80}")
    kept: dict[str, list[str]] = {}
    for key, names in value.items():
        if len(kept) >= MAX_SAVED:
            warnings.append(f"Kept the first {MAX_SAVED} saved montages, ignored the rest.")
            break
        if not isinstance(key, str) or not key.strip() or len(key) > _MAX_KEY:
            warnings.append(f"Ignored a saved montage with an invalid device name {key!r:.80}.")
            continue
        try:
            if isinstance(names, str) or not isinstance(names, Sequence):
                raise ConfigError(f"expected a list of channel names, got {names!r:.80}")
            kept[_clean(key)] = list(check_channel_names(list(names)))
        except ConfigError as exc:
            warnings.append(f"Ignored the saved montage of {key!r:.80}: {exc}")
    return kept
