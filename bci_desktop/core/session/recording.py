"""The recording of a stream session: start, feed, report and stop one recording at a time.

A recording error (disk full, unwritable folder) stops the recording and never the stream:
every call here catches :class:`~bci_desktop.core.recording.RecordingError` and turns it into
a :class:`~bci_desktop.core.session.status.RecordingStatus` with ``error`` set.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bci_desktop.core.atomic import write_atomic
from bci_desktop.core.engine import Engine, EngineUpdate
from bci_desktop.core.errors import BCIError, ConfigError, one_line
from bci_desktop.core.recording import RecordingError, RecordingTap, SessionRecorder, model_info
from bci_desktop.core.recording.session import (
    EVENTS_FILE,
    LOCK_FILE,
    MARKERS_FILE,
    META_FILE,
    PREDICTIONS_FILE,
    SAMPLES_FILE,
)
from bci_desktop.core.session.status import NoticeLevel, RecordingStatus
from bci_desktop.core.stream import Chunk, StreamInfo

__all__ = ["STATUS_EVERY_S", "RecordRequest", "RecordingLink", "check_record_folder"]

logger = logging.getLogger(__name__)

#: How often a running recording reports its elapsed time and size (s).
STATUS_EVERY_S = 1.0
_ATTACHMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SESSION_FILES = (META_FILE, SAMPLES_FILE, MARKERS_FILE, PREDICTIONS_FILE, EVENTS_FILE, LOCK_FILE)


@dataclass(frozen=True)
class RecordRequest:
    """What to record: who, why, and where.

    Parameters
    ----------
    subject : str
        Pseudonymous subject id, stored in ``session.json``.
    notes : str
        Free notes about the session.
    folder : str or None
        The folder that holds sessions (a new session folder is made inside it); ``None``
        uses the data folder (:func:`~bci_desktop.core.recording.catalog.data_dir`).
    attachments : tuple of (str, str)
        Text files written into the new session folder as it is created, as ``(file
        name, text)`` (a calibration's protocol: ``calibration.json``).
    """

    subject: str = ""
    notes: str = ""
    folder: str | None = None
    attachments: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name, _text in self.attachments:
            if not _ATTACHMENT.match(name) or name in _SESSION_FILES:
                raise ConfigError(
                    f"Cannot attach {name!r} to a session: give a plain file name such as "
                    "'notes.json' that is not one of the session's own files."
                )


class RecordingLink:
    """One recording at a time, fed by the thread that reads the source."""

    def __init__(
        self,
        *,
        emit: Callable[[RecordingStatus], None] | None = None,
        notice: Callable[..., None] | None = None,
    ) -> None:
        self._emit = emit
        self._notice = notice
        self._tap = RecordingTap(None, on_error=self._on_error)
        self._recorder: SessionRecorder | None = None
        self._failed: str | None = None
        self._due = 0.0
        self._seen = 0  # samples of the stream so far (recorded or not)
        self._first = 0  # the stream's sample that is the recording's first

    @property
    def recording(self) -> bool:
        """True while a recorder takes the stream (a plain flag: any thread may read it)."""
        return self._recorder is not None

    @property
    def recorder(self) -> SessionRecorder | None:
        """The running recorder, if any."""
        return self._recorder

    def status(self, error: str | None = None) -> RecordingStatus:
        """The recording now (``error``: why it is not running)."""
        rec = self._recorder
        if rec is None:
            return RecordingStatus(False, None, 0.0, 0, error)
        return RecordingStatus(True, rec.folder, rec.elapsed_s, rec.size_bytes, error)

    def start(self, request: RecordRequest, info: StreamInfo, engine: Engine) -> RecordingStatus:
        """Start recording the stream ``info`` describes.

        Raises
        ------
        BCIError
            ``RecordingError`` or ``SessionError`` when the session cannot be created (the
            message says why), ``ConfigError`` for a bad request.
        """
        folder = Path(request.folder).expanduser() if request.folder else None
        recorder = SessionRecorder.create(
            folder,
            info,
            subject=request.subject.strip(),
            notes=request.notes,
            filters=engine.filters.to_dict(),
            model=model_info(engine.primary_model),
            gap_threshold_s=None,  # gaps come from the session's one gap counter
        )
        for name, text in request.attachments:
            try:
                write_atomic(recorder.folder / name, text)
            except OSError as exc:
                recorder.stop()
                raise RecordingError(
                    f"Cannot write {name} into {recorder.folder}: {exc.strerror or exc}. "
                    "Choose a writable folder with free space."
                ) from exc
        self._failed = None
        self._recorder = recorder
        self._first = self._seen
        self._tap.error = None
        self._tap.recorder = recorder
        self._due = time.perf_counter() + STATUS_EVERY_S
        logger.info("Recording into %s", recorder.folder)
        return self.status()

    def resume(self, folder: Path, info: StreamInfo) -> RecordingStatus:
        """Go on recording into ``folder``, a session whose recorder died (see
        :meth:`SessionRecorder.resume`).

        Raises
        ------
        BCIError
            If the folder cannot be continued (the message says why).
        """
        recorder = SessionRecorder.resume(folder, info, gap_threshold_s=None)
        self._failed = None
        self._recorder = recorder
        self._tap.error = None
        self._tap.recorder = recorder
        self._due = time.perf_counter() + STATUS_EVERY_S
        return self.status()

    def append(self, chunk: Chunk) -> None:
        """Record a raw chunk (before the engine sees it)."""
        self._seen += chunk.n_samples
        self._tap(chunk)

    def add_marker(self, sample: int, t: float, value: float, text: str = "") -> None:
        """Record a marker on the stream's ``sample`` (counted from the stream's start),
        already recorded: a marker that arrived after its sample. Markers from before the
        recording started are not recorded."""
        rec = self._recorder
        at = sample - self._first
        if rec is None or at < 0:
            return
        try:
            rec.add_marker(t, at, value, text)
        except RecordingError as exc:
            self._on_error(exc)

    def add_predictions(self, update: EngineUpdate) -> None:
        """Record the predictions of an engine update."""
        self._tap.on_update(update)

    def stop(self) -> RecordingStatus | None:
        """Stop the recording cleanly; the final status, ``None`` if none was running."""
        rec = self._recorder
        if rec is None:
            return None
        self._tap.recorder = None
        self._recorder = None
        error: str | None = None
        try:
            rec.stop()
        except RecordingError as exc:
            error = str(exc)
        logger.info("Recording stopped: %s", rec.folder)
        return RecordingStatus(False, rec.folder, rec.elapsed_s, rec.size_bytes, error)

    def add_event(self, kind: str, detail: str, t: float | None = None) -> None:
        """Record an event at stream time ``t`` (default: the last sample); a failure stops
        the recording and is reported by the next :meth:`poll`."""
        rec = self._recorder
        if rec is None:
            logger.debug("Event %s (%s) not recorded: no recording", kind, detail)
            return
        try:
            rec.add_event(kind, detail, t=t)
        except RecordingError as exc:
            self._on_error(exc)

    def poll(self, now: float) -> RecordingStatus | None:
        """Flush if due; the status to report (a failure, or the once-a-second update)."""
        rec = self._recorder
        if rec is not None and self._failed is None:
            try:
                rec.flush_if_due()
            except RecordingError as exc:
                self._on_error(exc)
        if self._failed is not None:
            return self._take_failure()
        if rec is None or now < self._due:
            return None
        self._due = now + STATUS_EVERY_S
        return self.status()

    # -- reported: what the stream session's commands do ----------------------------------
    def _report(self, status: RecordingStatus) -> None:
        if status.error and self._notice is not None:
            self._notice(f"{status.error} Streaming goes on.", NoticeLevel.WARNING)
        if self._emit is not None:
            self._emit(status)

    def start_reported(self, request: RecordRequest, engine: Engine) -> RecordingStatus:
        """:meth:`start`, refusing a second recording; the status (or the error) is
        reported either way.

        Raises
        ------
        BCIError
            If a recording already runs or the session cannot be created.
        """
        if self.recording:
            raise ConfigError(f"Already recording into {self.status().folder}.")
        try:
            status = self.start(request, engine.info, engine)
        except BCIError as exc:
            if self._emit is not None:
                self._emit(self.status(error=one_line(exc)))
            raise
        self._report(status)
        return status

    def resume_reported(self, folder: Path, info: StreamInfo) -> RecordingStatus:
        """:meth:`resume`, noted in the recording and reported."""
        status = self.resume(folder, info)
        self.add_event("acquisition_restarted", "the acquisition process was restarted")
        self._report(status)
        return status

    def stop_reported(self) -> RecordingStatus:
        """:meth:`stop`, reported; the final status (the current one if none ran)."""
        final = self.stop()
        status = final if final is not None else self.status()
        self._report(status)
        return status

    def add_event_reported(self, kind: str, detail: str) -> None:
        """:meth:`add_event`; a failure it caused is reported at once."""
        self.add_event(kind, detail)
        status = self.poll(time.perf_counter())
        if status is not None and status.error:
            self._report(status)

    def poll_reported(self, now: float) -> None:
        """:meth:`poll`, reporting what it returns."""
        status = self.poll(now)
        if status is not None:
            self._report(status)

    def _on_error(self, exc: RecordingError) -> None:
        """The recorder stopped itself on an error: streaming goes on without it."""
        self._tap.recorder = None
        if self._failed is None:
            self._failed = str(exc)

    def _take_failure(self) -> RecordingStatus:
        rec, self._recorder = self._recorder, None
        error, self._failed = self._failed, None
        logger.warning("Recording stopped on an error, streaming goes on: %s", error)
        if rec is None:
            return RecordingStatus(False, None, 0.0, 0, error)
        return RecordingStatus(False, rec.folder, rec.elapsed_s, rec.size_bytes, error)


def check_record_folder(folder: str | None) -> None:
    """Refuse, before connecting, a recording folder that is an existing file."""
    path = Path(folder).expanduser() if folder else None
    if path is not None and path.exists() and not path.is_dir():
        raise ConfigError(f"Cannot record into '{path}': it is a file, not a folder.")
