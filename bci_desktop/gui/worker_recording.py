"""Recording inside the worker thread: the recorder, its tap and what the window is told.

:class:`RecordingLink` is plain Python (no Qt): the :class:`~bci_desktop.gui.worker.StreamWorker`
owns one per stream, puts :attr:`RecordingLink.tap` on its
:class:`~bci_desktop.core.runner.StreamRunner` (``on_chunk`` before the engine, so a failure
later in the pipeline cannot lose samples) and emits the dicts it returns as
``recording_changed``. A recording error (disk full, unwritable folder) stops the recording
and never the stream.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bci_desktop.core.engine import Engine
from bci_desktop.core.recording import RecordingError, RecordingTap, SessionRecorder, model_info
from bci_desktop.core.sources.base import Source

__all__ = ["STATUS_EVERY_S", "RecordRequest", "RecordingLink", "describe_model"]

logger = logging.getLogger(__name__)

#: How often a running recording reports its elapsed time and size (s).
STATUS_EVERY_S = 1.0


@dataclass(frozen=True)
class RecordRequest:
    """What to record: who, why, and where.

    Parameters
    ----------
    subject : str
        Subject id, stored in ``session.json`` and in the folder name.
    notes : str
        Free notes about the session.
    folder : str or None
        The folder that holds sessions (a new session folder is made inside it); ``None``
        uses the data folder (:func:`~bci_desktop.core.recording.catalog.data_dir`).
    """

    subject: str = ""
    notes: str = ""
    folder: str | None = None


def describe_model(model: Any) -> dict[str, Any] | None:
    """The ``model`` entry of ``session.json`` for any classifier the engine runs."""
    if model is None:
        return None
    if hasattr(model, "sha256") and hasattr(model, "path"):
        return model_info(model)
    meta = model.metadata
    return {"name": meta.name, "version": meta.version, "sha256": "", "path": ""}


class RecordingLink:
    """Start, feed, report and stop one recording at a time (worker thread only).

    Attributes
    ----------
    tap : RecordingTap
        Give it to the runner: ``StreamRunner(on_chunk=tap, on_update=tap.on_update)``.
    """

    def __init__(self) -> None:
        self.tap = RecordingTap(None, on_error=self._on_error)
        self._recorder: SessionRecorder | None = None
        self._failed: str | None = None
        self._due = 0.0

    @property
    def recording(self) -> bool:
        """True while a recorder takes the stream."""
        return self._recorder is not None

    @property
    def recorder(self) -> SessionRecorder | None:
        """The running recorder, if any."""
        return self._recorder

    def status(self, error: str | None = None) -> dict[str, Any]:
        """``{recording, folder, elapsed_s, size_bytes, error}`` now."""
        rec = self._recorder
        return {
            "recording": rec is not None,
            "folder": str(rec.folder) if rec is not None else None,
            "elapsed_s": rec.elapsed_s if rec is not None else 0.0,
            "size_bytes": rec.size_bytes if rec is not None else 0,
            "error": error,
        }

    def start(self, request: RecordRequest, source: Source, engine: Engine) -> dict[str, Any]:
        """Start recording ``source``'s stream; return the status to report.

        Raises
        ------
        BCIError
            ``RecordingError`` or ``SessionError`` when the session cannot be created (the
            message says why), ``ConfigError`` for a bad request.
        """
        info = source.info
        folder = Path(request.folder).expanduser() if request.folder else None
        recorder = SessionRecorder.create(
            folder,
            info,
            subject=request.subject.strip(),
            notes=request.notes,
            filters=engine.filters.to_dict(),
            model=describe_model(engine.primary_model),
            layout_board_id=getattr(source, "layout_board_id", info.board_id),
        )
        self._failed = None
        self._recorder = recorder
        self.tap.error = None
        self.tap.recorder = recorder
        self._due = time.perf_counter() + STATUS_EVERY_S
        return self.status()

    def stop(self) -> dict[str, Any] | None:
        """Stop the recording cleanly; the final status, or ``None`` if none was running."""
        rec = self._recorder
        if rec is None:
            return None
        self.tap.recorder = None
        error: str | None = None
        try:
            rec.stop()
        except RecordingError as exc:
            error = str(exc)
        final = {
            "recording": False,
            "folder": str(rec.folder),
            "elapsed_s": rec.elapsed_s,
            "size_bytes": rec.size_bytes,
            "error": error,
        }
        self._recorder = None
        return final

    def add_event(self, kind: str, detail: str) -> dict[str, Any] | None:
        """Record an event now; a status to report if that made the recording fail."""
        rec = self._recorder
        if rec is None:
            logger.debug("Event %s (%s) not recorded: no recording", kind, detail)
            return None
        try:
            rec.add_event(kind, detail)
        except RecordingError as exc:
            self._on_error(exc)
        return self.poll(time.perf_counter(), due_only=True)

    def poll(self, now: float, *, due_only: bool = False) -> dict[str, Any] | None:
        """Flush if due; the status to report (a failure, or the once-a-second update)."""
        rec = self._recorder
        if rec is not None and self._failed is None:
            try:
                rec.flush_if_due()
            except RecordingError as exc:
                self._on_error(exc)
        if self._failed is not None:
            return self._take_failure()
        if rec is None or due_only or now < self._due:
            return None
        self._due = now + STATUS_EVERY_S
        return self.status()

    def _on_error(self, exc: RecordingError) -> None:
        """The recorder stopped itself on an error: streaming goes on without it."""
        self.tap.recorder = None
        if self._failed is None:
            self._failed = str(exc)

    def _take_failure(self) -> dict[str, Any]:
        rec, self._recorder = self._recorder, None
        error, self._failed = self._failed, None
        return {
            "recording": False,
            "folder": str(rec.folder) if rec is not None else None,
            "elapsed_s": rec.elapsed_s if rec is not None else 0.0,
            "size_bytes": rec.size_bytes if rec is not None else 0,
            "error": error,
        }
