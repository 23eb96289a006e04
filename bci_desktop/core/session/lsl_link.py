"""The stream session's Lab Streaming Layer side: its outlets and the markers it follows.

One :class:`LslLink` per stream, fed at one place in the session's chunk and update path,
like the recording: each raw chunk goes to the outlets as the source delivered it, then
gets the markers other programs sent (placed by
:class:`~bci_desktop.core.session.markers.MarkerPlacer`), and only then is recorded and
processed; each engine update's predictions go to the outlets. Both are off unless
:class:`~bci_desktop.core.session.options.SessionOptions` asks (``lsl_outlets``,
``lsl_markers``). The outlets, inlets and resolver are made, used and released on the
thread that drives the session.

An outlet that fails stops publishing with a warning; the stream goes on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bci_desktop.core.engine import EngineUpdate
from bci_desktop.core.lsl.clock import LslClock
from bci_desktop.core.lsl.discovery import StreamQuery
from bci_desktop.core.lsl.markers import MarkerFollower
from bci_desktop.core.lsl.outlets import LslOutlets
from bci_desktop.core.session.markers import MarkerPlacer
from bci_desktop.core.session.options import SessionOptions
from bci_desktop.core.session.status import MarkerReceived, Notice, NoticeLevel, SessionMessage
from bci_desktop.core.stream import Chunk, StreamInfo

__all__ = ["LslLink"]

logger = logging.getLogger(__name__)

#: Shortest time between two looks at the marker streams (s).
_PULL_EVERY_S = 0.005
#: Records a marker on a sample already recorded: (sample, t, value, text).
LateMarkerSink = Callable[[int, float, float, str], None]


class LslLink:
    """Outlets and followed marker streams of one stream (both optional).

    Parameters
    ----------
    emit : callable
        The session's message callback (marker and notice messages).
    record_late : callable
        Records a marker that arrived after its sample (the recording link's ``add_marker``).
    """

    def __init__(self, emit: Callable[[SessionMessage], None], record_late: LateMarkerSink):
        self._emit = emit
        self._record_late = record_late
        self.outlets: LslOutlets | None = None
        self.follower: MarkerFollower | None = None
        self._placer: MarkerPlacer | None = None
        self._warned: set[str] = set()
        self._info: StreamInfo | None = None
        self._clock: LslClock | None = None
        self._live = True
        self._query: StreamQuery | None = None
        self._next_pull = 0.0

    @property
    def active(self) -> bool:
        """True when publishing or following markers."""
        return self.outlets is not None or self.follower is not None

    def start(
        self, info: StreamInfo, options: SessionOptions, *, clock: LslClock | None, live: bool
    ) -> None:
        """A stream starts: open the outlets and/or follow marker streams, as ``options``
        ask (``lsl_outlets``, ``lsl_markers``, ``lsl_marker_query``).

        Raises
        ------
        SourceError
            If liblsl cannot be loaded.
        """
        self._info, self._clock, self._live = info, clock, live
        self._query = options.lsl_marker_query
        self._apply(options.lsl_outlets, options.lsl_markers)

    def configure(self, *, outlets: bool, markers: bool) -> None:
        """Publish or not, follow marker streams or not, from now on (while streaming; the
        session's options say what the next stream does).

        Raises
        ------
        SourceError
            If liblsl cannot be loaded.
        """
        was = self.outlets is not None
        self._apply(outlets, markers)
        if self._info is not None and was != outlets:
            self._emit(Notice("Publishing on LSL." if outlets else "Stopped publishing on LSL."))

    def _apply(self, outlets: bool, markers: bool) -> None:
        info = self._info
        if info is None:
            return
        if (outlets or markers) and self._clock is None:
            self._clock = LslClock()
        if outlets and self.outlets is None:
            self.outlets = LslOutlets(info, self._clock, live=self._live)
        elif not outlets and self.outlets is not None:
            self._close_outlets()
        if markers and self.follower is None:
            self.follower = MarkerFollower(self._query, clock=self._clock)
            self._placer = MarkerPlacer(info)
            which = self._query.describe() if self._query else "every LSL marker stream"
            logger.info("Following %s", which.replace("the LSL stream", "LSL streams"))
        elif not markers and self.follower is not None:
            self._close_follower()

    def chunk(self, chunk: Chunk) -> Chunk:
        """Publish a raw chunk; return it with the markers other programs sent for it."""
        if self.outlets is not None:
            try:
                self.outlets.push_chunk(chunk)
            except (RuntimeError, ValueError) as exc:
                self._outlets_failed(exc)
        if self.follower is None or self._placer is None:
            return chunk
        now = time.monotonic()
        if now >= self._next_pull:  # at most every few ms: markers are placed by their time
            self._next_pull = now + _PULL_EVERY_S
            self._placer.add(self.follower.poll(now))
            self._news()
        chunk, placed = self._placer.place(chunk)
        for p in placed:
            m = p.marker
            if p.late:
                self._record_late(p.sample, p.t, m.value, m.text)
            if p.by_arrival and m.stream not in self._warned:
                self._warned.add(m.stream)
                self._emit(Notice(
                    f"Markers of {m.stream!r} carry time stamps far from the EEG's: they are "
                    "placed when they arrive. Stamp them with pylsl.local_clock().",
                    NoticeLevel.WARNING,
                ))  # fmt: skip
            self._emit(MarkerReceived(p.t, m.value, m.text, m.stream, p.late))
        return chunk

    def _news(self) -> None:
        follower = self.follower
        for s in follower.joined:
            self._emit(Notice(f"Following the marker stream {s.name!r} from {s.hostname}."))
        for s in follower.left:
            self._emit(Notice(f"The marker stream {s.name!r} is gone.", NoticeLevel.WARNING))
        follower.joined.clear()
        follower.left.clear()

    def update(self, update: EngineUpdate) -> None:
        """Publish the predictions of an engine update."""
        if self.outlets is not None and update.predictions:
            try:
                self.outlets.push_update(update)
            except (RuntimeError, ValueError) as exc:
                self._outlets_failed(exc)

    def _outlets_failed(self, exc: Exception) -> None:
        logger.exception("Publishing on LSL failed")
        self._emit(Notice(f"Publishing on LSL stopped: {exc}. Streaming goes on.",
                          NoticeLevel.WARNING))  # fmt: skip
        self._close_outlets()

    def restart(self) -> None:
        """The stream jumped (a replay seek)."""
        if self._placer is not None:
            self._placer.restart()

    def close(self) -> None:
        """Stop publishing and following (on the session's thread). Safe to call twice."""
        self._close_outlets()
        self._close_follower()
        self._info = self._clock = None

    def _close_outlets(self) -> None:
        outlets, self.outlets = self.outlets, None
        if outlets is not None:
            outlets.close()

    def _close_follower(self) -> None:
        follower, self.follower = self.follower, None
        placer, self._placer = self._placer, None
        if placer is not None and placer.pending:
            logger.warning(
                "%d marker(s) sent for times after the stream's last sample were not placed.",
                placer.pending,
            )
        if follower is not None:
            follower.close()
