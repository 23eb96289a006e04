"""The window's stream session in a child process that may crash, hang or be killed.

:class:`ProcessHost` starts :func:`~bci_desktop.core.acquisition.child.child_main` with
``multiprocessing``'s *forkserver* method: a fresh interpreter (no state inherited from the
window's Qt threads) is started once, imports the acquisition code (numpy, scipy, BrainFlow,
onnxruntime: over a second of CPU) and forks a child for each stream, so a restarted child
streams again without paying those imports (``benchmarks/process_restart.py``). The child
gets the window's environment as it is when the child starts, as with *spawn*. The host sends
the child commands and turns what it sends back into the items of
:meth:`ProcessHost.poll`: the session's messages, display updates rebuilt from the
shared-memory ring, and :class:`~bci_desktop.core.acquisition.host.ProcessLost`.

When the child dies (abort, segfault, killed) or sends no heartbeat for
``heartbeat_timeout_s`` (a driver stuck inside a native call: it is killed), the host says so
and starts a new child with the same settings; a recording in progress continues in the
same session folder with a gap, and a replay continues from where it was. After
``max_crashes`` crashes within ``crash_window_s`` it stops retrying and says what to do.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import signal
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bci_desktop.core.acquisition.child import child_main
from bci_desktop.core.acquisition.host import HostItem, ProcessLost
from bci_desktop.core.acquisition.protocol import (
    Channel,
    ChildConfig,
    ChildExit,
    Command,
    DisplayBatch,
    Heartbeat,
    ResumeRecording,
    RingReady,
    Stop,
)
from bci_desktop.core.acquisition.ring import SampleRing
from bci_desktop.core.engine import EngineUpdate
from bci_desktop.core.session import (
    RecordingStatus,
    ReplayStatus,
    StateChanged,
    StreamState,
    StreamStatus,
)

__all__ = ["ProcessHost"]

logger = logging.getLogger(__name__)

#: Imported once by the fork server, before it forks any acquisition process.
PRELOAD = (
    "bci_desktop.core.acquisition.child",
    "bci_desktop.core.engine",
    "bci_desktop.core.inference.registry",
    "bci_desktop.core.sources.factory",
    "bci_desktop.core.sources.simulated",
    "bci_desktop.core.sources.brainflow_source",
    "onnxruntime",
    "scipy.signal",
)


def _context() -> Any:
    """The *forkserver* context, its server started now (it imports :data:`PRELOAD` in the
    background, so the first connection finds it ready); *spawn* where there is none."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))
    from multiprocessing import forkserver

    forkserver.ensure_running()
    return ctx


#: Messages handled per :meth:`ProcessHost.poll` at most (the rest wait for the next one).
_MAX_ITEMS = 2000


class ProcessHost:
    """One acquisition process at a time, restarted when it dies or hangs.

    Parameters
    ----------
    heartbeat_timeout_s : float
        A running child that sends no heartbeat for this long is considered hung.
    connect_timeout_s : float
        A child that has not started streaming after this long is considered hung (a
        connection that never returns).
    max_crashes : int
        Crashes within ``crash_window_s`` after which the host stops restarting.
    crash_window_s : float
        See ``max_crashes``.
    """

    def __init__(
        self,
        *,
        heartbeat_timeout_s: float = 5.0,
        connect_timeout_s: float = 60.0,
        max_crashes: int = 3,
        crash_window_s: float = 60.0,
    ) -> None:
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_crashes = max_crashes
        self.crash_window_s = crash_window_s
        self._ctx = _context()
        self._process: Any = None
        self._channel: Channel | None = None
        self._config: ChildConfig | None = None
        self._ring: SampleRing | None = None
        self._running = False
        self._exited_cleanly = False
        self._started_at = 0.0
        self._last_beat = 0.0
        self._crashes: deque[float] = deque()
        self._recording: RecordingStatus | None = None
        self._status: StreamStatus | None = None
        self._replay: ReplayStatus | None = None
        self._pending: list[HostItem] = []
        #: Crashes and hangs seen so far (all children together).
        self.crash_count = 0

    # -- reading -----------------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        """True while the stream is recorded (as the child last said)."""
        return self._recording is not None and self._recording.recording

    @property
    def pid(self) -> int | None:
        """The child's process id (``None`` when none runs)."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    # -- control -----------------------------------------------------------------------------
    def start(self, config: ChildConfig) -> None:
        """Start a child for ``config`` (stops the one that runs)."""
        self.stop()
        self._crashes.clear()
        self._recording = self._status = self._replay = None
        self._spawn(config)

    def _spawn(self, config: ChildConfig) -> None:
        self._config = config
        ours, theirs = self._ctx.Pipe(duplex=True)
        self._channel = Channel(ours)
        self._process = self._ctx.Process(
            target=child_main,
            args=(config, theirs, os.getpid(), dict(os.environ)),
            name="bci-acquisition",
            daemon=True,
        )
        self._process.start()
        theirs.close()  # the child has its copy
        self._running = False
        self._exited_cleanly = False
        self._started_at = self._last_beat = time.monotonic()
        logger.info("Acquisition process %d started", self._process.pid)

    def send(self, command: Command) -> None:
        """Hand a command to the child (dropped, with a log line, when none runs)."""
        if self._process is None or self._channel is None:
            logger.info("No acquisition process for %s", type(command).__name__)
            return
        try:
            self._channel.put(command)
        except (OSError, ValueError) as exc:  # the child is gone: poll() will say so
            logger.info("%s not sent: %s", type(command).__name__, exc)

    def stop(self, timeout_s: float = 15.0) -> None:
        """Ask the child to finish (recording closed), wait for it, kill it if it does not.

        What it said last (the final recording status, its state) comes with the next
        :meth:`poll`."""
        process = self._process
        if process is None:
            return
        if process.is_alive():
            self.send(Stop())
            self._join_reading(process, timeout_s)
            if process.is_alive():
                logger.error("The acquisition process did not stop within %g s: killed", timeout_s)
                process.kill()
                process.join(5.0)
        self._read(self._pending)
        self._dispose()

    # -- polling -----------------------------------------------------------------------------
    def poll(self) -> list[HostItem]:
        """What the child said since the last call, and whether it died or hangs."""
        out, self._pending = self._pending, []
        if self._process is None:
            return out
        self._read(out)
        process = self._process
        if not process.is_alive():
            self._read(out)  # what it sent before it went
            if self._exited_cleanly:
                self._dispose()
            else:
                self._lost(self._death_reason(process.exitcode), out)
        elif self._hung():
            waited = time.monotonic() - self._last_beat
            process.kill()
            process.join(5.0)
            self._lost(f"stopped answering for {waited:.0f} s and was stopped", out)
        return out

    def _join_reading(self, process: Any, timeout_s: float) -> None:
        """Wait for the child to exit, reading what it sends meanwhile (a child blocked on
        a full pipe could not exit otherwise)."""
        end = time.monotonic() + timeout_s
        while process.is_alive() and time.monotonic() < end:
            self._read(self._pending)
            process.join(0.02)

    def _read(self, out: list[HostItem]) -> None:
        channel = self._channel
        if channel is None:
            return
        for _ in range(_MAX_ITEMS):
            try:
                item = channel.get_nowait()
            except (queue.Empty, OSError, EOFError, ValueError):
                return
            self._take(item, out)

    def _take(self, item: Any, out: list[HostItem]) -> None:
        if isinstance(item, logging.LogRecord):
            logging.getLogger(item.name).handle(item)
            return
        if isinstance(item, Heartbeat):
            self._last_beat = time.monotonic()
            return
        if isinstance(item, RingReady):
            self._attach(item)
            return
        if isinstance(item, DisplayBatch):
            update = self._display(item)
            if update is not None:
                out.append(update)
            return
        if isinstance(item, ChildExit):
            self._exited_cleanly = True
            if item.error:
                out.append(StateChanged(StreamState.ERROR, item.error))
            return
        if isinstance(item, RecordingStatus):
            self._recording = item
        elif isinstance(item, StreamStatus):
            self._status = item
        elif isinstance(item, ReplayStatus):
            self._replay = item if item.active else None
        out.append(item)

    def _attach(self, ready: RingReady) -> None:
        self._release_ring()
        try:
            self._ring = SampleRing.attach(ready.name, ready.n_channels, ready.capacity)
        except (OSError, ValueError) as exc:
            logger.error("Cannot read the display samples: %s", exc)
            return
        self._running = True
        self._last_beat = time.monotonic()

    def _display(self, batch: DisplayBatch) -> EngineUpdate | None:
        ring = self._ring
        if ring is None:
            return None
        got = ring.read_new(upto=batch.first + batch.n)
        if got is None:
            empty = np.empty((ring.n_channels, 0))
            return EngineUpdate(empty, empty, np.empty(0), np.empty(0), batch.quality,
                                batch.predictions)  # fmt: skip
        return EngineUpdate(got.raw, got.filtered, got.times, got.markers, batch.quality,
                            batch.predictions)  # fmt: skip

    # -- death and restarts --------------------------------------------------------------------
    def _hung(self) -> bool:
        waited = time.monotonic() - self._last_beat
        limit = self.heartbeat_timeout_s if self._running else self.connect_timeout_s
        return waited > limit

    @staticmethod
    def _death_reason(exitcode: int | None) -> str:
        if exitcode is not None and exitcode < 0:
            try:
                name = signal.Signals(-exitcode).name
            except ValueError:
                name = f"signal {-exitcode}"
            return f"stopped unexpectedly ({name})"
        return f"stopped unexpectedly (exit code {exitcode})"

    def _lost(self, reason: str, out: list[HostItem]) -> None:
        self.crash_count += 1
        was_running = self._running
        config = self._config
        self._log_crash(reason)
        self._dispose()
        now = time.monotonic()
        self._crashes.append(now)
        while self._crashes and now - self._crashes[0] > self.crash_window_s:
            self._crashes.popleft()
        text = f"The acquisition process {reason}"
        if config is None or not was_running:
            advice = "Check the device and its driver, then connect again."
            out.append(ProcessLost(reason, False, advice))
            out.append(StateChanged(StreamState.ERROR, f"{text} while connecting. {advice}"))
            return
        if len(self._crashes) >= self.max_crashes:
            advice = (
                f"It stopped {len(self._crashes)} times within "
                f"{self.crash_window_s:.0f} s, so the app no longer restarts it: check the "
                "device and its driver (the log has the details), then connect again."
            )
            out.append(ProcessLost(reason, False, advice))
            out.append(StateChanged(StreamState.ERROR, f"{text}. {advice}"))
            return
        out.append(ProcessLost(reason, True, "Restarting it with the same settings."))
        out.append(StateChanged(StreamState.CONNECTING, f"{text}; restarting"))
        # The new process continues the recording in progress (if any), never a new one.
        options = replace(config.options, record=None)
        self._spawn(replace(config, options=options, resume=self._resume()))

    def _resume(self) -> ResumeRecording:
        rec, status, replay = self._recording, self._status, self._replay
        folder = rec.folder if rec is not None and rec.recording else None
        return ResumeRecording(
            folder=Path(folder) if folder is not None else None,
            gaps=status.gaps if status is not None else 0,
            dropped=status.dropped if status is not None else 0,
            replay_position_s=replay.position_s if replay is not None else None,
        )

    def _log_crash(self, reason: str) -> None:
        logger.error("The acquisition process %s", reason)
        path = self._config.crash_log if self._config is not None else None
        if path is None:
            return
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace").strip()
        except OSError as exc:
            logger.debug("No crash log at %s: %s", path, exc)
            return
        if text:
            logger.error("What the acquisition process wrote when it stopped:\n%s", text)

    # -- cleanup -------------------------------------------------------------------------------
    def _dispose(self) -> None:
        self._release_ring()
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.close()
        self._process = None
        self._running = False

    def _release_ring(self) -> None:
        ring, self._ring = self._ring, None
        if ring is not None:
            ring.close()
            ring.unlink()
