"""Markers from other programs over LSL: stimulus software (PsychoPy, OpenSesame, Unity).

A :class:`MarkerFollower` follows every LSL marker stream a query matches (by default every
marker stream visible: irregular rate, text or integers), picking up streams that appear
later (stimulus software usually starts after the EEG). Each marker comes out as an
:class:`ExternalMarker` at its time on the session's stream clock: its LSL time stamp
plus the sender's clock offset (``time_correction``, asked without waiting: markers wait
until liblsl has measured it, about 0.6 s after a stream is first seen), mapped with the
session's :class:`~bci_desktop.core.lsl.clock.LslClock`.

Values: an integer stream's value is the marker's number; a text that is a number
(``"3"``) is that number; any other text (``"face"``) keeps its text and gets a negative
number of its own (-1 for the first text seen in the session, -2 for the next...), so the
marker channel still carries it. Text is kept to one line of at most 200 characters.

Create, use and close a follower on the thread that drives the session.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from bci_desktop.core.lsl.clock import LslClock
from bci_desktop.core.lsl.discovery import LslDirectory, LslStreamSummary, StreamQuery
from bci_desktop.core.lsl.library import pylsl_module

__all__ = [
    "MAX_TEXT",
    "ExternalMarker",
    "MarkerFollower",
    "TextCodes",
    "clean_text",
    "marker_value",
]

logger = logging.getLogger(__name__)

#: Longest marker text kept (characters).
MAX_TEXT = 200
#: Markers pulled from one stream per poll (a flood waits for the next poll).
_PULL = 256
#: How often new marker streams are looked for, and the clock offset refreshed (s).
_RESCAN_S, _CORRECTION_EVERY_S = 1.0, 5.0


@dataclass(frozen=True)
class ExternalMarker:
    """A marker another program sent.

    Attributes
    ----------
    t : float
        When it was sent, on the session's stream clock (s).
    value : float
        Its number (never 0).
    text : str
        Its text ("" for a number).
    stream : str
        The name of the marker stream it came from.
    """

    t: float
    value: float
    text: str
    stream: str


def clean_text(raw: object) -> str:
    """One line of printable text, at most :data:`MAX_TEXT` characters."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = "".join(c if c.isprintable() else " " for c in str(raw))
    return " ".join(text.split())[:MAX_TEXT]


class TextCodes:
    """The number of each marker text in a session: -1, -2 ... in order of appearance."""

    def __init__(self) -> None:
        self._codes: dict[str, float] = {}

    def value(self, text: str) -> float:
        """The number of ``text`` (a new one the first time it is seen)."""
        code = self._codes.get(text)
        if code is None:
            code = self._codes[text] = -float(len(self._codes) + 1)
        return code

    @property
    def codes(self) -> dict[str, float]:
        """Every text seen so far and its number."""
        return dict(self._codes)


def marker_value(raw: object, numeric: bool, codes: TextCodes) -> tuple[float, str] | None:
    """(value, text) of one marker as a marker stream sent it (see the module docstring);
    ``None`` for an empty text. ``numeric``: the stream sends numbers."""
    if numeric:
        value = float(raw)  # type: ignore[arg-type]
        if math.isfinite(value) and value != 0:
            return value, ""
        text = clean_text(raw)
        return codes.value(text), text
    text = clean_text(raw)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return codes.value(text), text
    if math.isfinite(value) and value != 0:
        return value, ""
    return codes.value(text), text


class _Followed:
    """One marker stream being followed."""

    def __init__(self, pylsl: Any, info: Any) -> None:
        self.summary = LslStreamSummary.from_info(info)
        self.inlet: Any = pylsl.StreamInlet(info, max_buflen=360, recover=False)
        self.numeric = self.summary.channel_format != "string"
        self.correction: float | None = None
        self.next_correction = 0.0
        self.unsynced: list[tuple[float, float, str]] = []


class MarkerFollower:
    """Follow the LSL marker streams ``query`` matches.

    Parameters
    ----------
    query : StreamQuery or None
        Which streams; ``None`` follows every marker stream visible (never this process's
        own outlets).
    clock : LslClock
        The session's mapping from LSL time to stream time.
    directory : LslDirectory or None
        The streams visible now (``None``: a new one).
    """

    def __init__(
        self,
        query: StreamQuery | None,
        *,
        clock: LslClock,
        directory: LslDirectory | None = None,
    ) -> None:
        self._pylsl = pylsl_module()
        self.query = query
        self._clock = clock
        self._directory = directory or LslDirectory()
        self._followed: dict[str, _Followed] = {}
        self._refused: set[str] = set()
        self._next_scan = 0.0
        self.codes = TextCodes()
        #: Streams picked up (names), in order; read by the session for its notices.
        self.joined: list[LslStreamSummary] = []
        #: Streams that went away since the last look.
        self.left: list[LslStreamSummary] = []
        self.received = 0

    @property
    def streams(self) -> list[LslStreamSummary]:
        """The marker streams followed now."""
        return [f.summary for f in self._followed.values()]

    def poll(self, now: float | None = None) -> list[ExternalMarker]:
        """The markers that arrived since the last poll (never waits)."""
        now = time.monotonic() if now is None else now
        if now >= self._next_scan:
            self._next_scan = now + _RESCAN_S
            self._scan()
        out: list[ExternalMarker] = []
        for uid, followed in list(self._followed.items()):
            try:
                self._pull(followed, now, out)
            except self._pylsl.util.LostError:
                logger.info("The marker stream %s is gone.", followed.summary.label)
                self.left.append(followed.summary)
                del self._followed[uid]
        self.received += len(out)
        return out

    def _scan(self) -> None:
        for info in self._directory.infos():
            summary = LslStreamSummary.from_info(info)
            if summary.uid in self._followed or summary.uid in self._refused:
                continue
            if summary.published_here:
                continue
            if self.query is not None and not self.query.matches(summary):
                continue
            if not summary.is_markers:
                if self.query is not None:
                    logger.warning(
                        "%s is not a marker stream (irregular rate, text or integers): not "
                        "followed.",
                        summary.label,
                    )
                self._refused.add(summary.uid)
                continue
            self._followed[summary.uid] = _Followed(self._pylsl, info)  # the next pull subscribes
            self.joined.append(summary)
            logger.info("Following the marker stream %s", summary.label)

    def _pull(self, f: _Followed, now: float, out: list[ExternalMarker]) -> None:
        if f.correction is None or now >= f.next_correction:
            correction = self._correction(f)
            if correction is not None:  # else not measured yet: markers wait in ``unsynced``
                f.correction, f.next_correction = correction, now + _CORRECTION_EVERY_S
        values, stamps = f.inlet.pull_chunk(0.0, _PULL)
        for sample, stamp in zip(values, stamps, strict=True):
            got = marker_value(sample[0], f.numeric, self.codes) if sample else None
            if got is not None:
                f.unsynced.append((float(stamp), *got))
        if f.correction is None or not f.unsynced:
            return
        name = f.summary.name
        to_stream = self._clock.to_stream
        for stamp, value, text in f.unsynced:
            out.append(ExternalMarker(to_stream(stamp + f.correction), value, text, name))
        f.unsynced.clear()

    def _correction(self, f: _Followed) -> float | None:
        """The sender's clock offset, ``None`` while liblsl is still measuring it."""
        try:
            return float(f.inlet.time_correction(0.0))
        except self._pylsl.util.TimeoutError:
            return None

    def close(self) -> None:
        """Stop following (on the thread that made the follower)."""
        self._followed.clear()
