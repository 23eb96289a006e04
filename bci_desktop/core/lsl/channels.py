"""Channels of an LSL stream (live or in an XDF file) as the app knows channels.

LSL's metadata convention puts each channel in ``desc/channels/channel`` with a ``label``, a
``type`` and a ``unit``. :func:`lsl_channels` turns those lists into
:class:`~bci_desktop.core.stream.ChannelInfo` objects: channels typed ``EEG`` are the EEG
(every channel is, when none is typed so), scaled to microvolts from their unit (taken as
microvolts when it is missing or unknown); labels are made unique; unnamed channels are
``Ch1``, ``Ch2`` ...
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bci_desktop.core.stream import ChannelInfo

__all__ = ["lsl_channels", "to_microvolts"]

logger = logging.getLogger(__name__)

_TO_MICROVOLTS = {
    "microvolts": 1.0, "microvolt": 1.0, "uv": 1.0,
    "millivolts": 1e3, "millivolt": 1e3, "mv": 1e3,
    "volts": 1e6, "volt": 1e6, "v": 1e6,
    "nanovolts": 1e-3, "nanovolt": 1e-3, "nv": 1e-3,
}  # fmt: skip


def to_microvolts(unit: str) -> float | None:
    """The factor from ``unit`` to microvolts, ``None`` when it is not a voltage."""
    key = unit.strip().replace("µ", "u").replace("μ", "u").lower()
    return _TO_MICROVOLTS.get(key)


def lsl_channels(
    n: int,
    labels: Sequence[str | None] | None,
    types: Sequence[str | None] | None,
    units: Sequence[str | None] | None,
    stream: str = "",
) -> tuple[list[ChannelInfo], list[float]]:
    """Every channel (name, kind, unit) and the factor to microvolts of each (1 for the
    channels that are not EEG).

    Parameters
    ----------
    n : int
        Channels of the stream.
    labels, types, units : sequences or None
        As the metadata gives them (missing entries: ``None``).
    stream : str
        The stream's name, for the log.
    """

    def at(values: Sequence[str | None] | None, i: int) -> str:
        if values is None or i >= len(values) or values[i] is None:
            return ""
        return " ".join(str(values[i]).split())

    typed_eeg = any(at(types, i).lower() == "eeg" for i in range(n))
    channels: list[ChannelInfo] = []
    factors: list[float] = []
    seen: set[str] = set()
    for i in range(n):
        name = at(labels, i)[:40] or f"Ch{i + 1}"
        while name in seen:
            name += "~"
        seen.add(name)
        kind, unit = at(types, i).lower(), at(units, i)
        if kind == "eeg" or not typed_eeg:
            factor = to_microvolts(unit)
            if factor is None:
                if unit:
                    logger.info("%s: channel %s has unit %r; taken as microvolts", stream,
                                name, unit)  # fmt: skip
                factor = 1.0
            channels.append(ChannelInfo(name, "eeg", "uV"))
            factors.append(factor)
        else:
            channels.append(ChannelInfo(name, kind or "other", unit))
            factors.append(1.0)
    return channels, factors
