"""Where the window's stream session runs: in a child process, or in the calling thread.

Both hosts take the same :class:`~bci_desktop.core.acquisition.protocol.ChildConfig`, the
same commands, and give back, from :meth:`poll`, the same things in order: the session's
messages, :class:`~bci_desktop.core.engine.EngineUpdate` objects for the display, and
:class:`ProcessLost` when a child process died or hung. The window's worker cannot tell
them apart.

- :class:`ProcessHost` (:mod:`bci_desktop.core.acquisition.process_host`), the window's
  default: a crashing or hanging driver takes down only its process.
- :class:`ThreadHost`: the session in the caller's thread (tests with in-memory sources,
  and the setting that turns the child process off).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bci_desktop.core.acquisition.commands import run_command
from bci_desktop.core.acquisition.protocol import ChildConfig, Command
from bci_desktop.core.engine import EngineUpdate
from bci_desktop.core.errors import BCIError
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.session import (
    SessionMessage,
    StateChanged,
    StreamSession,
    StreamState,
    one_line,
)

__all__ = ["HostItem", "ProcessLost", "SessionHost", "ThreadHost"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProcessLost:
    """The acquisition process died or stopped answering.

    Attributes
    ----------
    reason : str
        What happened, in words ("stopped unexpectedly (signal SIGSEGV)").
    restarting : bool
        True when a new process is starting with the same settings; False when the host
        gave up (see ``advice``).
    advice : str
        What the user can do.
    """

    reason: str
    restarting: bool
    advice: str = ""


HostItem = SessionMessage | EngineUpdate | ProcessLost


class SessionHost(Protocol):
    """What the window's worker needs of a host."""

    @property
    def recording(self) -> bool:
        """True while the stream is recorded."""

    def start(self, config: ChildConfig) -> None:
        """Start streaming ``config``'s source (stops what ran before)."""

    def send(self, command: Command) -> None:
        """Hand a command to the session."""

    def poll(self) -> list[HostItem]:
        """What happened since the last call, in order."""

    def stop(self) -> None:
        """Stop the stream and release everything (blocking, bounded)."""


class ThreadHost:
    """The stream session in the calling thread (no isolation)."""

    def __init__(self) -> None:
        self._session: StreamSession | None = None
        self._out: list[HostItem] = []

    @property
    def recording(self) -> bool:
        """True while the stream is recorded."""
        return self._session is not None and self._session.recording

    @property
    def session(self) -> StreamSession | None:
        """The session (owned by the thread that polls)."""
        return self._session

    def start(self, config: ChildConfig) -> None:
        """Start the session; its failure to connect is reported, not raised."""
        self.stop()
        registry = ModelRegistry(config.registry_root) if config.registry_root else None
        session = StreamSession(
            config.spec,
            config.options,
            on_message=self._collect,
            on_updates=self._out.extend,
            registry=registry,
            open_source=config.open_source,
        )
        try:
            session.start()
        except Exception as exc:  # reported in the window's words (and logged)
            if isinstance(exc, BCIError):
                logger.warning("Connection refused: %s", exc)
            else:
                logger.exception("Failed to connect")
            self._out.append(StateChanged(StreamState.ERROR, one_line(exc)))
            return
        self._session = session

    def _collect(self, message: SessionMessage) -> None:
        self._out.append(message)

    def send(self, command: Command) -> None:
        """Run the command now."""
        notice = run_command(self._session, command)
        if notice is not None:
            self._out.append(notice)

    def poll(self) -> list[HostItem]:
        """Read and process what arrived."""
        session = self._session
        if session is not None:
            try:
                session.poll()  # its updates and messages arrive through the callbacks
            except Exception as exc:  # the boundary of the stream: log, tear down, say
                logger.exception("Streaming failed")
                self._session = None
                session.fail(exc)
            if session.state is StreamState.ENDED and session.replay is None:
                self._session = None
        out = list(self._out)
        self._out.clear()
        return out

    def stop(self) -> None:
        """Stop the session (its final messages come with the next :meth:`poll`)."""
        session, self._session = self._session, None
        if session is not None:
            session.stop()
