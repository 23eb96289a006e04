"""A source that survives stalls and unplugs: detection and automatic reconnection.

:class:`SupervisedSource` wraps a *factory* of sources (``lambda: BrainFlowSource("cyton",
ConnectionParams(serial_port="/dev/ttyUSB0"))``) and keeps a stream alive:

- **Detection.** No samples for ``stall_timeout_s`` while streaming (an unplugged serial
  board is silent: BrainFlow keeps returning nothing, no error), or a
  :class:`~bci_desktop.core.errors.SourceError`/BrainFlow/OS error while reading, puts the
  stream into the ``signal_lost`` state, logs a WARNING with the time and emits a
  ``"signal_lost"`` :class:`SourceEvent`.
- **Reconnection**, without any user action. A background thread owned by the supervisor
  stops the old source (tolerating the errors a vanished device gives), then waits
  ``backoff_s[0]``, ``backoff_s[1]`` ... (the last value repeats) between attempts; each
  attempt builds a *new* source from the factory and starts it. Connecting runs on that
  thread because it can block for seconds (a Cyton handshake takes over a second, a
  Bluetooth connect longer); the started source is handed to the reading thread, which
  adopts it on its next :meth:`~SupervisedSource.read`. :meth:`~SupervisedSource.
  reconnect_now` skips the wait (or starts a fresh round after ``max_attempts`` ran out).
- **Resumption.** The first chunk with samples from the new source has
  ``gap_before=True`` (the engine restarts its filters and waits for a new window), a
  ``"reconnected"`` event carries the stream time of its first sample, and the state is
  ``streaming`` again.

:meth:`~SupervisedSource.read` never raises for these faults and never blocks on a
connection: it only takes a short lock. Events are queued and delivered by ``read()`` on the
reading thread, in order and *before* the chunk they precede, so a recorder driven from the
same thread can write a gap event first and the samples after it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from brainflow.exit_codes import BrainFlowError

from bci_desktop.core.errors import BCIError, SourceError
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.events import (
    EVENT_KINDS,
    SourceEvent,
    SourceState,
    clock,
    info_difference,
)
from bci_desktop.core.stream import Chunk, StreamInfo
from bci_desktop.core.validate import check_int, check_positive, invalid

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_BACKOFF_S", "EVENT_KINDS", "SourceEvent", "SourceState", "SupervisedSource"]

#: Seconds to wait before each reconnection attempt; the last value repeats.
DEFAULT_BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
#: How long :meth:`SupervisedSource.stop` waits for a connection attempt in progress.
JOIN_TIMEOUT_S = 30.0
#: How often ``device_present`` is asked during a backoff wait.
PRESENCE_POLL_S = 0.1

# Errors a source may raise while reading or connecting that mean "the device is gone".
_DEVICE_ERRORS = (BCIError, BrainFlowError, OSError)


class SupervisedSource(Source):
    """Wrap a source factory so the stream survives stalls, read errors and unplugs.

    Parameters
    ----------
    factory : callable returning Source
        Builds a new, unstarted source; called once here (its ``info`` is the stream's) and
        once per reconnection attempt.
    stall_timeout_s : float
        Seconds without samples, while streaming, that count as a lost signal.
    backoff_s : sequence of float
        Seconds to wait before attempt 1, 2, ...; the last value repeats.
    max_attempts : int or None
        Attempts before giving up (a ``"reconnect_failed"`` event; the state stays
        ``signal_lost`` until :meth:`reconnect_now`); ``None`` retries forever.
    on_event : callable or None
        Called with each :class:`SourceEvent`, on the thread that calls :meth:`read`.
    device_present : callable or None
        Cheap check that the device is there, e.g. ``lambda: os.path.exists(port)`` for a
        serial port. Asked every 0.1 s during a backoff wait (on the reconnection thread):
        when the device was seen absent and is present again, the next attempt starts at
        once instead of at the end of the wait.

    Raises
    ------
    ConfigError
        If a setting is invalid, or if the factory fails to build a source.

    Notes
    -----
    One thread reads (``read``, ``start``, ``stop``); :attr:`state`, :meth:`reconnect_now`
    and :meth:`insert_marker` may be called from any thread.
    """

    def __init__(
        self,
        factory: Callable[[], Source],
        *,
        stall_timeout_s: float = 2.0,
        backoff_s: Sequence[float] = DEFAULT_BACKOFF_S,
        max_attempts: int | None = None,
        on_event: Callable[[SourceEvent], None] | None = None,
        device_present: Callable[[], bool] | None = None,
    ) -> None:
        if not callable(factory):
            raise invalid("factory", "a callable that returns a Source", factory)
        self.stall_timeout_s = check_positive("stall_timeout_s", stall_timeout_s, unit="seconds")
        if isinstance(backoff_s, str | bytes) or not isinstance(backoff_s, Sequence):
            raise invalid("backoff_s", "a sequence of seconds such as (1, 2, 4, 30)", backoff_s)
        if not backoff_s:
            raise invalid("backoff_s", "at least one delay", backoff_s)
        self.backoff_s = tuple(
            check_positive("backoff_s", b, zero_ok=True, unit="seconds") for b in backoff_s
        )
        if max_attempts is not None:
            max_attempts = check_int("max_attempts", max_attempts, minimum=1)
        self.max_attempts = max_attempts
        self.on_event = on_event
        self.device_present = device_present
        self._seen_absent = False
        self._factory = factory
        first = factory()
        if not isinstance(first, Source):
            raise invalid("factory", "a callable that returns a Source", first)
        self._unused: Source | None = first
        self._info = first.info
        self._realtime = first.realtime
        self._name = self._info.source_name

        self._lock = threading.Lock()
        self._events: deque[SourceEvent] = deque()
        self._state = SourceState.STOPPED
        self._source: Source | None = None  # owned by the reading thread
        self._handover: Source | None = None  # a started source from the worker
        self._worker: threading.Thread | None = None
        self._wake = threading.Event()  # reconnect_now() or stop()
        self._halt = threading.Event()  # stop()
        self._last_sample_at = 0.0
        self._last_stream_time: float | None = None
        self._lost_at = 0.0  # monotonic
        self._gap_pending = False
        self._awaiting_samples = False
        self._next_attempt_at: float | None = None
        #: Attempts since the last confirmed reconnection (or the loss that started them).
        self.attempts = 0
        #: How many times the signal was lost, and how many times it came back.
        self.losses = 0
        self.reconnections = 0

    # ------------------------------------------------------------------ description
    @property
    def info(self) -> StreamInfo:
        """The first source's channels, rate and board (every reconnection must match)."""
        return self._info

    @property
    def realtime(self) -> bool:  # type: ignore[override]
        """As the wrapped source."""
        return self._realtime

    @property
    def state(self) -> SourceState:
        """The current :class:`SourceState`."""
        return self._state

    @property
    def source(self) -> Source | None:
        """The source being read now (``None`` while the signal is lost)."""
        return self._source

    @property
    def finished(self) -> bool:
        """As the wrapped source (a finite source that ends is not a lost signal)."""
        src = self._source
        return src.finished if src is not None else False

    @property
    def lost_for_s(self) -> float | None:
        """Seconds since the signal was lost, ``None`` while streaming or stopped."""
        if self._state in (SourceState.SIGNAL_LOST, SourceState.RECONNECTING):
            return time.monotonic() - self._lost_at
        return None

    @property
    def next_attempt_in_s(self) -> float | None:
        """Seconds until the next reconnection attempt, ``None`` when none is scheduled."""
        at = self._next_attempt_at
        return None if at is None else max(0.0, at - time.monotonic())

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Open the device and start streaming (a no-op when already started).

        The first connection is made here, on the calling thread, and its failure is
        raised, so a wrong port is reported at once; only a stream that ran is reconnected.

        Raises
        ------
        SourceError
            If the source cannot be started (nothing stays open).
        """
        if self._state is not SourceState.STOPPED:
            return
        self._halt.clear()
        self._wake.clear()
        self._set_state(SourceState.CONNECTING)
        src, self._unused = self._unused, None
        try:
            if src is None:
                src = self._factory()
            src.start()
        except BaseException:
            self._set_state(SourceState.STOPPED)
            raise
        problem = info_difference(self._info, src.info)
        if problem is not None:
            self._dispose(src)
            self._set_state(SourceState.STOPPED)
            raise SourceError(f"The device at {self._name} now has {problem}: restart the app.")
        self._source = src
        self._last_sample_at = time.monotonic()
        self._gap_pending = self._awaiting_samples = False
        self.attempts = 0
        self._set_state(SourceState.STREAMING)

    def stop(self) -> None:
        """Stop streaming, end any reconnection (its thread is joined), release the device."""
        self._halt.set()
        self._wake.set()
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.join(JOIN_TIMEOUT_S)
            if worker.is_alive():
                logger.error(
                    "A connection attempt to %s did not finish within %g s; it is left to "
                    "end on its own.",
                    self._name,
                    JOIN_TIMEOUT_S,
                )
        with self._lock:
            pending, self._handover = self._handover, None
            self._next_attempt_at = None
        for src in (pending, self._source):
            if src is not None:
                self._dispose(src)
        self._source = None
        self._set_state(SourceState.STOPPED)

    def reconnect_now(self) -> bool:
        """Try to reconnect at once instead of waiting for the backoff.

        After ``max_attempts`` ran out this starts a new round of attempts.

        Returns
        -------
        bool
            True if an attempt was triggered, False when there is nothing to reconnect
            (streaming, stopped, connecting, or a new connection waiting for its first
            samples).
        """
        with self._lock:
            if self._state not in (SourceState.SIGNAL_LOST, SourceState.RECONNECTING):
                return False
            if self._source is not None:
                return False  # connected again, waiting for its first samples
            alive = self._worker is not None and self._worker.is_alive()
            if alive or self._handover is not None:
                self._wake.set()
                return True
            logger.info("Reconnect now: a new round of attempts to %s.", self._name)
            self.attempts = 0
            self._spawn_worker(None, immediate=True)
        return True

    # ------------------------------------------------------------------ reading
    def read(self) -> Chunk | None:
        """Return what arrived since the last call, ``None`` if nothing did.

        Never raises for a stall, a read error or an unplug: those move the stream to
        ``signal_lost`` and start reconnecting. Pending events are delivered here.

        Raises
        ------
        SourceError
            If the source was not started.
        """
        if self._state is SourceState.STOPPED:
            raise SourceError(f"{self._name} is not streaming: start it first.")
        self._adopt_handover()
        chunk: Chunk | None = None
        src = self._source
        if src is not None:
            try:
                chunk = src.read()
            except _DEVICE_ERRORS as err:
                self._lose(f"read error: {err}")
                chunk = None
            else:
                now = time.monotonic()
                if chunk is not None and chunk.n_samples:
                    chunk = self._on_samples(chunk, now)
                elif now - self._last_sample_at > self.stall_timeout_s and not src.finished:
                    self._lose(f"no samples for {self.stall_timeout_s:g} s")
        self._deliver()
        return chunk

    def _on_samples(self, chunk: Chunk, now: float) -> Chunk:
        self._last_sample_at = now
        ts = chunk.timestamps
        if self._awaiting_samples:
            self._awaiting_samples = False
            self.reconnections += 1
            attempt, self.attempts = self.attempts, 0
            wall = time.time()
            after = now - self._lost_at
            detail = (
                f"Reconnected to {self._name} at {clock(wall)}, {after:.1f} s after the signal "
                f"was lost (attempt {attempt})."
            )
            logger.info("%s", detail)
            self._set_state(SourceState.STREAMING)
            self._emit("reconnected", detail, float(ts[0]) if ts.size else None, attempt, wall)
        if self._gap_pending:
            self._gap_pending = False
            chunk = dataclasses.replace(chunk, gap_before=True)
        if ts.size:
            self._last_stream_time = float(ts[-1])
        return chunk

    def _adopt_handover(self) -> None:
        with self._lock:
            new, self._handover = self._handover, None
            if new is None:
                return
            self._source = new
        self._awaiting_samples = True
        self._last_sample_at = time.monotonic()  # the stall clock restarts with it

    def _lose(self, reason: str) -> None:
        old = self._source
        self.losses += 1
        self._gap_pending = True
        self._awaiting_samples = False
        self._seen_absent = False
        self._lost_at = time.monotonic()
        wall = time.time()
        wait = self.backoff_s[min(self.attempts, len(self.backoff_s) - 1)]
        detail = (
            f"Signal lost at {clock(wall)} ({reason}) from {self._name}; reconnecting "
            f"automatically (next attempt in {wait:g} s)."
        )
        logger.warning("%s", detail)
        self._emit("signal_lost", detail, self._last_stream_time, self.attempts, wall)
        previous = self._worker
        if previous is not None:
            previous.join(JOIN_TIMEOUT_S)  # it handed ``old`` over and is returning
        with self._lock:
            self._source = None
            if not self._halt.is_set():
                self._state = SourceState.SIGNAL_LOST
            self._spawn_worker(old, immediate=False)

    def _put_marker(self, value: float) -> None:
        """Pass a marker to the source while streaming; a SourceError while the signal is
        lost (there is no sample to put it on) or stopped."""
        src = self._source
        if self._state is not SourceState.STREAMING or src is None:
            raise SourceError(
                f"Cannot insert a marker: {self._name} is {self._state.label.lower()}, so no "
                f"sample would carry it. Try again once the signal is back."
            )
        src.insert_marker(value)

    # ------------------------------------------------------------------ reconnection thread
    def _spawn_worker(self, old: Source | None, *, immediate: bool) -> None:
        """Start the reconnection thread (call with the lock held)."""
        if immediate:
            self._wake.set()
        else:
            self._wake.clear()
        self._worker = threading.Thread(
            target=self._reconnect_loop, args=(old,), name="bci-reconnect", daemon=True
        )
        self._worker.start()

    def _reconnect_loop(self, old: Source | None) -> None:
        probe = self.device_present
        if probe is not None and not self._present(probe):
            self._seen_absent = True  # gone already: its return will trigger an attempt
        if old is not None:
            self._dispose(old)
        while not self._halt.is_set():
            if self.max_attempts is not None and self.attempts >= self.max_attempts:
                detail = (
                    f"Gave up reconnecting to {self._name} after {self.attempts} attempts; the "
                    f"signal stays lost. Check the device, then use 'reconnect now'."
                )
                logger.error("%s", detail)
                self._emit("reconnect_failed", detail, None, self.attempts)
                return
            wait = self.backoff_s[min(self.attempts, len(self.backoff_s) - 1)]
            self._next_attempt_at = time.monotonic() + wait
            self._wait(wait)
            self._wake.clear()
            self._next_attempt_at = None
            if self._halt.is_set():
                return
            self.attempts += 1
            new = self._attempt(self.attempts)
            if new is None:
                continue
            with self._lock:
                if not self._halt.is_set():
                    self._handover = new
                    return
            self._dispose(new)  # stopped while connecting
            return

    def _wait(self, seconds: float) -> None:
        """Wait out a backoff delay; end early on reconnect_now/stop or a returning device."""
        probe = self.device_present
        if probe is None:
            self._wake.wait(seconds)
            return
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._wake.wait(min(PRESENCE_POLL_S, left)):
                return
            if not self._present(probe):
                self._seen_absent = True
            elif self._seen_absent:
                self._seen_absent = False
                logger.info("%s is present again: reconnecting now.", self._name)
                return

    def _present(self, probe: Callable[[], bool]) -> bool:
        try:
            return bool(probe())
        except OSError as err:
            logger.debug("device_present check of %s failed: %s", self._name, err)
            return False

    def _attempt(self, attempt: int) -> Source | None:
        """One connection attempt on the worker thread: a started source, or None."""
        wall = time.time()
        detail = f"Reconnect attempt {attempt} to {self._name} at {clock(wall)}."
        logger.info("%s", detail)
        self._set_state(SourceState.RECONNECTING)
        self._emit("reconnect_attempt", detail, None, attempt, wall)
        new: Source | None = None
        try:
            new = self._factory()
            new.start()
        except _DEVICE_ERRORS as err:
            logger.warning("Reconnect attempt %d to %s failed: %s", attempt, self._name, err)
            self._set_state(SourceState.SIGNAL_LOST)
            if self.device_present is not None and not self._present(self.device_present):
                self._seen_absent = True
            return None
        except Exception:
            logger.exception("Reconnect attempt %d to %s failed unexpectedly", attempt, self._name)
            self._set_state(SourceState.SIGNAL_LOST)
            return None
        problem = info_difference(self._info, new.info)
        if problem is not None:
            self._dispose(new)
            detail = (
                f"A device came back at {self._name} with {problem}; it was not used and the "
                f"signal stays lost."
            )
            logger.error("%s", detail)
            self._set_state(SourceState.SIGNAL_LOST)
            self._emit("device_mismatch", detail, None, attempt)
            return None
        return new

    # ------------------------------------------------------------------ helpers
    def _dispose(self, src: Source) -> None:
        """Stop a source whose device may be gone; its errors are logged, not raised."""
        try:
            src.stop()
        except _DEVICE_ERRORS as err:
            logger.warning("Releasing %s after the signal was lost failed: %s", self._name, err)

    def _set_state(self, state: SourceState) -> None:
        with self._lock:
            if self._halt.is_set() and state is not SourceState.STOPPED:
                return
            self._state = state

    def _emit(
        self,
        kind: str,
        detail: str,
        stream_time: float | None,
        attempt: int,
        wall: float | None = None,
    ) -> None:
        event = SourceEvent(
            kind, time.time() if wall is None else wall, stream_time, detail, attempt
        )
        with self._lock:
            self._events.append(event)

    def _deliver(self) -> None:
        callback = self.on_event
        while True:
            with self._lock:
                if not self._events:
                    return
                event = self._events.popleft()
            if callback is None:
                continue
            try:
                callback(event)
            except Exception:  # a listener's fault must not stop the stream it listens to
                logger.exception("Handling the %s event of %s failed", event.kind, self._name)

    def __repr__(self) -> str:
        return f"<SupervisedSource {self._name!r} {self._state.value}>"
