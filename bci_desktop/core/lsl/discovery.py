"""Finding LSL streams on the network: which one a user means, and which are there.

A :class:`StreamQuery` says which stream by name, type and/or source id (all given fields
must match; names and source ids exactly, types ignoring case). It is what ``--lsl-stream``,
``--lsl-type``, ``--lsl-source-id`` and the window's board list produce, and it has a short
text form, ``lsl:name=EEG amp`` (the board name stored in the settings).

:func:`list_streams` resolves once (``bci-desktop lsl``); :class:`LslDirectory` keeps a
``pylsl.ContinuousResolver`` whose results can be asked for at any time without waiting
(the window's board list, the marker follower, reconnection attempts). Neither uses XPath
predicates: streams are listed and matched here, so no user text reaches liblsl's parser.
"""

from __future__ import annotations

import logging
import re
import socket
from dataclasses import dataclass
from typing import Any

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.lsl.library import pylsl_module

__all__ = [
    "LSL_BOARD",
    "OWN_SOURCE_PREFIX",
    "LslDirectory",
    "LslStreamSummary",
    "StreamQuery",
    "is_lsl_board",
    "list_streams",
    "own_source_id",
    "published_here",
]

logger = logging.getLogger(__name__)

#: What ``--board`` says for an LSL stream (``lsl`` or ``lsl:<query>``).
LSL_BOARD = "lsl"
#: Source ids of the app's own outlets start with this (never followed as an input).
OWN_SOURCE_PREFIX = "bci-desktop@"
_FORMATS = {1: "float32", 2: "double64", 3: "string", 4: "int32", 5: "int16", 6: "int8",
            7: "int64"}  # fmt: skip
_FIELDS = ("name", "type", "source_id")
#: Source ids of the outlets this process publishes now (never followed by this process).
_PUBLISHED: set[str] = set()
_MAX_TEXT = 200


def is_lsl_board(board: object) -> bool:
    """True if ``board`` (what ``--board`` or the board list says) names an LSL stream."""
    if not isinstance(board, str):
        return False
    text = board.strip().lower()
    return text == LSL_BOARD or text.startswith(LSL_BOARD + ":")


@dataclass(frozen=True)
class StreamQuery:
    """Which LSL stream: every field given must match.

    Parameters
    ----------
    name : str or None
        The stream's name, exactly (``"OpenBCI_EEG"``).
    type : str or None
        Its content type, ignoring case (``"EEG"``, ``"Markers"``).
    source_id : str or None
        Its source id, exactly (survives restarts of the sender; the most precise choice).

    Raises
    ------
    ConfigError
        If no field is given, or one is empty, too long or has control characters.
    """

    name: str | None = None
    type: str | None = None
    source_id: str | None = None

    def __post_init__(self) -> None:
        given = [(f, getattr(self, f)) for f in _FIELDS if getattr(self, f) is not None]
        if not given:
            raise ConfigError(
                "Say which LSL stream: give its name (--lsl-stream), type (--lsl-type) or "
                "source id (--lsl-source-id); 'bci-desktop lsl' lists the streams visible."
            )
        for field_name, value in given:
            flag = "lsl-stream" if field_name == "name" else f"lsl-{field_name.replace('_', '-')}"
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(
                    f"Invalid value for the {flag!r} parameter: expected a non-empty text, "
                    f"but got {value!r} instead."
                )
            if len(value) > _MAX_TEXT or not value.isprintable():
                raise ConfigError(
                    f"Invalid value for the {flag!r} parameter: expected printable text of at "
                    f"most {_MAX_TEXT} characters, but got {value[:40]!r}... instead."
                )

    @classmethod
    def parse(cls, text: str) -> StreamQuery:
        """``"name=X"``, ``"type=EEG"``, ``"source_id=Y"``, ``"type=EEG;name=X"``, or a bare
        name; an optional ``lsl:`` in front (the board-name form).

        Raises
        ------
        ConfigError
            If the text names no stream or an unknown field.
        """
        body = text.strip()
        if body.lower().startswith(LSL_BOARD + ":"):
            body = body[len(LSL_BOARD) + 1 :]
        elif body.lower() == LSL_BOARD:
            body = ""
        if "=" not in body:
            return cls(name=body or None)
        values: dict[str, str] = {}
        for part in body.split(";"):
            key, sep, value = part.partition("=")
            key = key.strip().lower().replace("-", "_")
            if not sep or key not in _FIELDS:
                raise ConfigError(
                    f"Invalid LSL stream {text!r}: use name=..., type=... or source_id=... "
                    f"(separated by ';'), or just the stream's name."
                )
            values[key] = value.strip()
        return cls(**values)

    @property
    def text(self) -> str:
        """The short form :meth:`parse` reads back, e.g. ``"name=EEG amp;type=EEG"``."""
        return ";".join(f"{f}={getattr(self, f)}" for f in _FIELDS if getattr(self, f))

    @property
    def board(self) -> str:
        """The board-name form, ``"lsl:name=EEG amp"``."""
        return f"{LSL_BOARD}:{self.text}"

    def describe(self) -> str:
        """In words: ``"the LSL stream named 'EEG amp'"``."""
        parts = []
        if self.name is not None:
            parts.append(f"named {self.name!r}")
        if self.type is not None:
            parts.append(f"of type {self.type!r}")
        if self.source_id is not None:
            parts.append(f"with source id {self.source_id!r}")
        return "the LSL stream " + " and ".join(parts)

    def matches(self, stream: LslStreamSummary) -> bool:
        """True if ``stream`` is what this query asks for."""
        if self.name is not None and stream.name != self.name:
            return False
        if self.type is not None and stream.type.lower() != self.type.lower():
            return False
        return self.source_id is None or stream.source_id == self.source_id


@dataclass(frozen=True)
class LslStreamSummary:
    """One stream as LSL announces it (what a list shows and a query matches).

    Attributes
    ----------
    name, type, source_id, hostname : str
        As the sender set them.
    channel_count : int
    sample_rate : float
        Nominal rate; 0 for irregular streams (markers).
    channel_format : str
        ``"float32"``, ``"string"``, ``"int32"``...
    uid : str
        Changes each time the sender restarts.
    """

    name: str
    type: str
    source_id: str
    hostname: str
    channel_count: int
    sample_rate: float
    channel_format: str
    uid: str = ""

    @classmethod
    def from_info(cls, info: Any) -> LslStreamSummary:
        """From a ``pylsl.StreamInfo``."""
        return cls(
            name=info.name(),
            type=info.type(),
            source_id=info.source_id(),
            hostname=info.hostname(),
            channel_count=int(info.channel_count()),
            sample_rate=float(info.nominal_srate()),
            channel_format=_FORMATS.get(int(info.channel_format()), "unknown"),
            uid=info.uid(),
        )

    @property
    def own(self) -> bool:
        """True for the outlets of a BCI Desktop (this one or another)."""
        return self.source_id.startswith(OWN_SOURCE_PREFIX)

    @property
    def published_here(self) -> bool:
        """True for an outlet this process publishes (following it would loop)."""
        return self.source_id in _PUBLISHED

    @property
    def is_signal(self) -> bool:
        """True for a regularly sampled numeric stream (one the app can stream from)."""
        return self.sample_rate > 0 and self.channel_format != "string"

    @property
    def is_markers(self) -> bool:
        """True for a stream of markers: irregular, one channel, text or integers."""
        return self.sample_rate == 0 and self.channel_format in ("string", "int32", "int16",
                                                                   "int8", "int64")  # fmt: skip

    @property
    def query(self) -> StreamQuery:
        """The most precise query for this stream: its source id if it has one."""
        if self.source_id:
            return StreamQuery(source_id=self.source_id)
        return StreamQuery(name=self.name, type=self.type or None)

    @property
    def label(self) -> str:
        """E.g. ``"OpenBCI_EEG (EEG, 8 ch, 250 Hz) on lab-pc"``."""
        rate = f"{self.sample_rate:g} Hz" if self.sample_rate > 0 else "irregular"
        kind = self.type or "no type"
        return f"{self.name} ({kind}, {self.channel_count} ch, {rate}) on {self.hostname}"


def list_streams(wait_s: float = 1.0) -> list[LslStreamSummary]:
    """Every LSL stream visible on the network within ``wait_s`` seconds, by name.

    Raises
    ------
    SourceError
        If liblsl cannot be loaded.
    """
    pylsl = pylsl_module()
    infos = pylsl.resolve_streams(wait_time=float(wait_s))
    streams = {s.uid or (s.name, s.source_id): s for s in map(LslStreamSummary.from_info, infos)}
    return sorted(streams.values(), key=lambda s: (s.name.lower(), s.hostname, s.source_id))


class LslDirectory:
    """The streams visible now, kept up to date in the background by liblsl.

    Create it, use it and drop it on one thread. :meth:`streams` and :meth:`find` never
    wait: right after creation they may still be empty (the first answers take some
    milliseconds on one machine, longer across a network).

    Parameters
    ----------
    forget_after_s : float
        A stream that stopped answering is dropped from the list after this long.
    """

    def __init__(self, forget_after_s: float = 1.5) -> None:
        pylsl = pylsl_module()
        self._resolver = pylsl.ContinuousResolver(forget_after=float(forget_after_s))

    def infos(self) -> list[Any]:
        """The ``pylsl.StreamInfo`` of every stream visible now."""
        return list(self._resolver.results())

    def streams(self) -> list[LslStreamSummary]:
        """Every stream visible now, by name (the app's own outlets included)."""
        found = {LslStreamSummary.from_info(i) for i in self.infos()}
        return sorted(found, key=lambda s: (s.name.lower(), s.hostname, s.source_id))

    def find(self, query: StreamQuery) -> list[Any]:
        """The ``pylsl.StreamInfo`` of the visible streams ``query`` matches (never an
        outlet of this process), newest first."""
        hits = []
        for info in self.infos():
            summary = LslStreamSummary.from_info(info)
            if not summary.published_here and query.matches(summary):
                hits.append(info)
        hits.sort(key=lambda i: -float(i.created_at()))
        return hits

    def close(self) -> None:
        """Stop resolving (also when garbage collected)."""
        self._resolver = None


def published_here(source_id: str, published: bool) -> None:
    """Note that this process starts (``published``) or stops publishing ``source_id``."""
    if published:
        _PUBLISHED.add(source_id)
    else:
        _PUBLISHED.discard(source_id)


def own_source_id(source_name: str, kind: str) -> str:
    """The stable source id of one of the app's outlets on this machine: the same after a
    restart, so LabRecorder picks the stream up again by itself."""
    host = re.sub(r"[^A-Za-z0-9._-]+", "-", socket.gethostname()).strip("-") or "host"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", source_name).strip("-").lower()[:40] or "stream"
    return f"{OWN_SOURCE_PREFIX}{host}/{slug}/{kind}"
