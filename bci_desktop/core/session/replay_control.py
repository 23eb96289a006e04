"""The transport of a replayed recording inside a stream session: pause, play, seek, speed.

A replay that reaches its end stays open, held there, so it can be sought or played again;
the session's state says ``ENDED`` ("Replay ended") meanwhile, ``PAUSED`` while the user holds
it, and ``STREAMING`` while it plays.

A seek replays the :data:`SEEK_CONTEXT_S` seconds before the new position at once, paused
or not: the engine filters, scores and classifies them, so a paused position can be looked
at (the signal up to it, its quality, spectrum and prediction) instead of an empty display
waiting for the first second of signal; Play then goes on from the position.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bci_desktop.core.session.status import (
    Notice,
    NoticeLevel,
    ReplayStatus,
    SessionMessage,
    StreamState,
)
from bci_desktop.core.sources.replay import ReplaySource
from bci_desktop.core.validate import check_number

__all__ = ["REPORT_EVERY_S", "SEEK_CONTEXT_S", "ReplayControl"]

logger = logging.getLogger(__name__)

#: How often a replay reports its position (s).
REPORT_EVERY_S = 0.2
#: Seconds before a sought position that are replayed at once (the window's longest view).
SEEK_CONTEXT_S = 20.0


class ReplayControl:
    """Steer one :class:`~bci_desktop.core.sources.replay.ReplaySource` of a session.

    Parameters
    ----------
    replay : ReplaySource
        The source the session reads.
    emit : callable
        Sends a session message.
    set_state : callable
        Changes the session's state: ``set_state(state, message)``.
    jumped : callable
        Called with the new position after a seek: the session notes it in the recording,
        restarts its gap counter and tells displays (:class:`ReplayJumped`).
    """

    def __init__(
        self,
        replay: ReplaySource,
        *,
        emit: Callable[[SessionMessage], None],
        set_state: Callable[[StreamState, str], None],
        jumped: Callable[[float], None],
    ) -> None:
        self.source = replay
        self._emit = emit
        self._set_state = set_state
        self._jumped = jumped
        self._due = 0.0
        self._ended = False

    @property
    def ended(self) -> bool:
        """True once the replay was played to its end (until a seek or play)."""
        return self._ended

    def status(self, *, active: bool = True) -> ReplayStatus:
        """Where the replay is now."""
        r = self.source
        return ReplayStatus(
            active=active,
            path=r.path,
            kind=r.kind,
            position_s=r.position_s,
            duration_s=r.duration_s,
            paused=r.paused,
            ended=r.finished,
            speed=r.speed,
        )

    def report(self, *, force: bool = False) -> None:
        """Send the status if due (about 5 times a second) or ``force``."""
        now = time.perf_counter()
        if force or now >= self._due:
            self._due = now + REPORT_EVERY_S
            self._emit(self.status())

    def tick(self, now: float, *, quiet: bool = True) -> None:
        """After each poll: notice the end (on a ``quiet`` poll, which read nothing, so the
        last samples are out first), report the position when due."""
        if self.source.finished and not self._ended and quiet:
            self._ended = True
            name = self.source.path.name
            logger.info("The replay of %s reached its end", self.source.path)
            self._set_state(StreamState.ENDED, f"Replay ended: {name}")
            self._emit(
                Notice(
                    f"The replay of {name} reached its end: seek or play it again, or disconnect.",
                    NoticeLevel.INFO,
                )
            )
            self.report(force=True)
            return
        if now >= self._due:
            self.report(force=True)

    def closed(self) -> None:
        """The session released the replay."""
        self._emit(self.status(active=False))

    # -- commands ---------------------------------------------------------------------------
    def pause(self) -> None:
        """Hold the replay where it is."""
        self.source.pause()
        if not self._ended:
            self._set_state(StreamState.PAUSED, f"Replay paused at {self.source.position_s:.1f} s")
        self.report(force=True)

    def resume(self) -> None:
        """Play on from where the replay was held (from the start once it ended)."""
        if self.source.finished:
            self.seek(0.0)
        self.source.resume()
        self._set_state(StreamState.STREAMING, f"Replaying {self.source.path.name}")
        self.report(force=True)

    def seek(self, seconds: float, *, context_s: float = SEEK_CONTEXT_S) -> None:
        """Continue from ``seconds`` after the recording's start, after replaying the
        ``context_s`` seconds before it at once.

        Raises
        ------
        ConfigError
            If ``seconds`` is not a finite number.
        """
        self.source.seek(check_number("seconds", seconds), context_s=context_s)
        self._ended = False
        self._jumped(self.source.position_s)
        if self.source.paused:
            self._set_state(StreamState.PAUSED, f"Replay paused at {self.source.position_s:.1f} s")
        else:
            self._set_state(StreamState.STREAMING, f"Replaying {self.source.path.name}")
        self.report(force=True)

    def set_speed(self, speed: float | None) -> None:
        """Play ``speed`` times faster than real time from where the replay is.

        Raises
        ------
        ConfigError
            If ``speed`` is not a positive number (or None: as fast as possible).
        """
        self.source.set_speed(speed)
        self.report(force=True)
