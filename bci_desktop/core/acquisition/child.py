"""The acquisition process: one stream session, away from the window.

:func:`child_main` runs in a process forked by ``multiprocessing``'s fork server (a fresh
interpreter started by the window; *spawn* where there is no fork server). It
drives a :class:`~bci_desktop.core.session.StreamSession` exactly as the command line does,
writes the display samples into a shared-memory ring and sends everything else (the
session's messages, which samples belong to which batch, log records, heartbeats) over one
queue. A driver that aborts or segfaults takes only this process down; the window notices
and starts another.

It never outlives the window: on Linux the kernel sends it SIGTERM when its parent (the fork
server, which exits when the window does) dies (``PR_SET_PDEATHSIG``), it also watches its
parent and the window's pid, and faulthandler's watchdog
(a C thread that needs no GIL) ends it if its loop is stuck in one call for
``ChildConfig.hang_exit_s``.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import queue
import signal
import sys
import time
from typing import Any

from bci_desktop.core.acquisition.commands import run_command
from bci_desktop.core.acquisition.protocol import (
    Channel,
    ChildConfig,
    ChildExit,
    Command,
    DisplayBatch,
    Heartbeat,
    RingReady,
    Stop,
)
from bci_desktop.core.acquisition.ring import SampleRing
from bci_desktop.core.acquisition.scheduling import (
    ask_realtime_priority,
    end_realtime_priority,
    own_scheduling_group,
)
from bci_desktop.core.errors import BCIError
from bci_desktop.core.session import Notice, NoticeLevel, StreamSession, one_line

__all__ = ["BATCH_S", "HEARTBEAT_S", "REALTIME_ENV", "child_main"]

logger = logging.getLogger("bci_desktop.acquisition")

#: Display batches are sent at most this often (s).
BATCH_S = 0.02
#: How often the child says it is alive (s).
HEARTBEAT_S = 0.5
_IDLE_SLEEP_S = 0.002
#: ``0`` in the environment: the acquisition process never asks for real-time priority.
REALTIME_ENV = "BCI_DESKTOP_REALTIME"
_PR_SET_PDEATHSIG = 1


def child_main(
    config: ChildConfig,
    connection: Any,
    parent_pid: int,
    environment: dict[str, str] | None = None,
) -> None:
    """Run one stream until told to stop, the stream ends, or the window is gone.

    ``connection`` is the child's end of a duplex pipe: commands come in, everything else
    goes out. ``parent_pid`` is the window's process; ``environment`` its environment when
    it started this child (the fork server's may be older)."""
    if environment is not None:
        os.environ.clear()
        os.environ.update(environment)
    channel = Channel(connection)
    commands = messages = channel
    stopping = _install_signals()
    own_scheduling_group()  # see scheduling.py: a hop is not cut short on a busy machine
    _die_with_parent()
    _log_to(messages, config.log_level)
    crash_file = _enable_faulthandler(config)
    _realtime_hops()
    loop = _ChildLoop(config, commands, messages, parent_pid, stopping, crash_file)
    try:
        loop.run()
    finally:
        end_realtime_priority()
        faulthandler.cancel_dump_traceback_later()
        if crash_file is not None:
            faulthandler.disable()
            crash_file.close()


class _ChildLoop:
    def __init__(
        self,
        config: ChildConfig,
        commands: Any,
        messages: Any,
        parent_pid: int,
        stopping: list,
        crash_file: Any,
    ) -> None:
        self.config = config
        self.crash_file = crash_file if crash_file is not None else sys.stderr
        self.commands = commands
        self.messages = messages
        self.parent_pid = parent_pid
        self.forked_by = os.getppid()  # the window, or the fork server that dies with it
        self._window_check_due = 0.0
        self.stopping = stopping
        self.ring: SampleRing | None = None
        self.session: StreamSession | None = None
        self._batch_first: int | None = None
        self._batch_n = 0
        self._batch_quality: Any = None
        self._batch_predictions: list = []
        self._batch_due = 0.0
        self._beat_due = 0.0
        self._watchdog_due = 0.0

    # -- lifecycle -----------------------------------------------------------------------
    def run(self) -> None:
        error = None
        try:
            if self._start():
                self._loop()
        except Exception as exc:  # the boundary of the process: log, say, exit
            logger.exception("The acquisition process failed")
            error = one_line(exc)
        finally:
            self._finish(error)

    def _start(self) -> bool:
        from bci_desktop.core.inference.registry import ModelRegistry

        config = self.config
        registry = ModelRegistry(config.registry_root) if config.registry_root else None
        session = StreamSession(
            config.spec,
            config.options,
            on_message=self._message,
            on_updates=self._add_all,
            registry=registry,
            open_source=config.open_source,
        )
        self.session = session
        try:
            session.start()
        except BCIError as exc:
            self.messages.put(ChildExit(error=one_line(exc)))
            self.session = None
            return False
        info = session.info
        self.ring = SampleRing.create(info.n_channels, info.sample_rate)
        self.messages.put(RingReady(self.ring.name, info.n_channels, self.ring.capacity))
        resume = config.resume
        if resume is not None:
            if resume.replay_position_s is not None and session.replay is not None:
                session.replay.seek(resume.replay_position_s)
            if resume.folder is not None:
                try:
                    session.continue_recording(resume.folder, resume.gaps, resume.dropped)
                except BCIError as exc:
                    self.messages.put(
                        Notice(f"The recording could not continue: {exc}", NoticeLevel.ERROR)
                    )
        return True

    def _loop(self) -> None:
        session = self.session
        # A replay that ended stays open (it can be sought); any other end ends the process.
        while not self.stopping and (not session.finished or session.replay is not None):
            if self._commands() or not self._parent_alive():
                break
            updates = session.poll()  # its updates come through _add_all
            now = time.perf_counter()
            if self._batch_n and now >= self._batch_due:
                self._send_batch(now)
            if now >= self._beat_due:
                self._beat_due = now + HEARTBEAT_S
                self.messages.put(Heartbeat(time.time()))
            if now >= self._watchdog_due:
                self._watchdog_due = now + 1.0
                faulthandler.dump_traceback_later(
                    self.config.hang_exit_s, exit=True, file=self.crash_file
                )
            if not updates:
                time.sleep(_IDLE_SLEEP_S)

    def _finish(self, error: str | None) -> None:
        session = self.session
        if session is not None:
            session.stop()  # finishes the recording; never raises
        if self._batch_n:
            self._send_batch(time.perf_counter())
        if self.ring is not None:
            self.ring.close()
        self.messages.put(ChildExit(error=error))
        self.messages.close()

    def _parent_alive(self) -> bool:
        if os.getppid() == self.forked_by and self._window_alive():
            return True
        logger.warning("The window is gone: finishing the stream and exiting.")
        return False

    def _window_alive(self) -> bool:
        """The window's pid still exists (checked twice a second when a fork server, not
        the window, is the parent)."""
        if self.forked_by == self.parent_pid:
            return True
        now = time.monotonic()
        if now < self._window_check_due:
            return True
        self._window_check_due = now + HEARTBEAT_S
        try:
            os.kill(self.parent_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # exists, owned by someone else: pid reused, not ours
            return False
        return True

    # -- display batches -------------------------------------------------------------------
    def _message(self, message: Any) -> None:
        """A session message: the samples before it go first, so the window sees them in
        the order they happened."""
        if self._batch_n:
            self._send_batch(time.perf_counter())
        self.messages.put(message)

    def _add_all(self, updates: list) -> None:
        for update in updates:
            self._add(update)

    def _add(self, update: Any) -> None:
        first = self.ring.write(update.raw, update.filtered, update.timestamps, update.markers)
        if self._batch_first is None:
            self._batch_first = first
        self._batch_n += update.n_samples
        if update.quality is not None:
            self._batch_quality = update.quality
        self._batch_predictions.extend(update.predictions)

    def _send_batch(self, now: float) -> None:
        self.messages.put(
            DisplayBatch(
                self._batch_first,
                self._batch_n,
                self._batch_quality,
                tuple(self._batch_predictions),
            )
        )
        self._batch_first, self._batch_n, self._batch_quality = None, 0, None
        self._batch_predictions = []
        self._batch_due = now + BATCH_S

    # -- commands -------------------------------------------------------------------------
    def _commands(self) -> bool:
        """Run the commands that arrived; True when told to stop."""
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return False
            if isinstance(command, Stop):
                return True
            self._run(command)

    def _run(self, command: Command) -> None:
        notice = run_command(self.session, command)
        if notice is not None:
            self.messages.put(notice)


def _install_signals() -> list:
    """SIGTERM (the window closing, or the kernel on the window's death) stops the loop;
    Ctrl+C in the terminal is the window's to handle."""
    stopping: list = []

    def stop(signum: int, frame: object) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return stopping


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM when the parent (the window or the fork server) dies
    (elsewhere: the pid checks)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError) as exc:
        logger.debug("prctl(PR_SET_PDEATHSIG) unavailable: %s", exc)


def _realtime_hops() -> None:
    """The loop that runs the hops at real-time priority where this user may have it
    (scheduling.py); ``BCI_DESKTOP_REALTIME=0`` in the environment: never."""
    if os.environ.get(REALTIME_ENV, "1").strip() == "0":
        logger.debug("Real-time priority not asked for (%s=0).", REALTIME_ENV)
        return
    refused = ask_realtime_priority()
    if refused is None:
        logger.info("The acquisition process runs at real-time priority (the lowest).")
    else:
        logger.debug("The acquisition process runs at normal priority: %s.", refused)


def _log_to(messages: Any, level: int) -> None:
    """Send this process's log records to the window, which writes them to its log."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.handlers.QueueHandler(messages)
    handler.setLevel(level)
    tree = logging.getLogger("bci_desktop")
    tree.setLevel(level)
    tree.addHandler(handler)
    tree.propagate = False


def _enable_faulthandler(config: ChildConfig):
    """A native crash writes the Python traceback of every thread to ``config.crash_log``."""
    if config.crash_log is None:
        faulthandler.enable()
        return None
    try:
        config.crash_log.parent.mkdir(parents=True, exist_ok=True)
        out = open(config.crash_log, "w", encoding="utf-8")  # noqa: SIM115 (for the process)
    except OSError as exc:
        logger.warning("No crash log at %s: %s", config.crash_log, exc)
        faulthandler.enable()
        return None
    faulthandler.enable(file=out, all_threads=True)
    return out
