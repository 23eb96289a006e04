"""Map a stream's channel names to the channels a model needs."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bci_desktop.core.errors import ChannelMismatchError
from bci_desktop.core.montage.tenfive import OLD_NAMES, position

#: Old 10-20 names and their 10-10 equivalents (lower case).
ALIASES = {old.lower(): new.lower() for old, new in OLD_NAMES.items()}

_PREFIX = re.compile(r"^(eeg|exg)[\s_:-]+", re.IGNORECASE)
_SUFFIX = re.compile(r"[\s_:-]+(ref|le|re|ar|avg|a1|a2|m1|m2|cz)$", re.IGNORECASE)


def normalize_channel_name(name: str) -> str:
    """Reduce an electrode label to a comparable key.

    ``"EEG Fp1-REF"``, ``"fp1"`` and ``" FP1 "`` all become ``"fp1"``; old 10-20 names map
    to their 10-10 equivalents (``T3`` -> ``t7``), so the two names of one position match
    (see :mod:`bci_desktop.core.montage.tenfive`).
    """
    key = _PREFIX.sub("", name.strip())
    key = _SUFFIX.sub("", key).strip()
    modern = position(key)
    return modern.lower() if modern is not None else key.lower()


def map_channels(
    available: Sequence[str], required: Sequence[str], *, what: str = "The model"
) -> tuple[int, ...]:
    """Return, for each required channel, its index among ``available``.

    Raises
    ------
    ChannelMismatchError
        If some required channels are absent; the message lists them and what the stream
        has.
    """
    index: dict[str, int] = {}
    for i, name in enumerate(available):
        index.setdefault(normalize_channel_name(name), i)
    found: list[int] = []
    missing: list[str] = []
    for name in required:
        i = index.get(normalize_channel_name(name))
        if i is None:
            missing.append(name)
        else:
            found.append(i)
    if missing:
        have = ", ".join(available) if available else "no EEG channels"
        raise ChannelMismatchError(
            f"{what} needs channel{'s' if len(missing) > 1 else ''} {', '.join(missing)}, "
            f"which this stream lacks (it has {have}).",
            tuple(missing),
        )
    return tuple(found)
