"""Feed a stream into a recorder: :class:`RecordingTap` plugs a
:class:`~bci_desktop.core.recording.recorder.SessionRecorder` into
:class:`~bci_desktop.core.runner.StreamRunner`, reporting a failure without stopping the stream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bci_desktop.core.recording.errors import RecordingError
from bci_desktop.core.stream import Chunk

if TYPE_CHECKING:
    from bci_desktop.core.engine import EngineUpdate
    from bci_desktop.core.recording.recorder import SessionRecorder

logger = logging.getLogger(__name__)

__all__ = ["RecordingTap"]


class RecordingTap:
    """Feed a :class:`StreamRunner` into a recorder, reporting failures without stopping it.

    Use ``StreamRunner(on_chunk=tap, on_update=tap.on_update)``. ``recorder`` may be
    swapped or set to ``None`` at any time (start and stop recording while streaming).

    Parameters
    ----------
    recorder : SessionRecorder or None
        Where chunks and predictions go.
    on_error : callable or None
        Called once with the :class:`RecordingError` when recording stops on an error.
    """

    def __init__(
        self,
        recorder: SessionRecorder | None = None,
        *,
        on_error: Callable[[RecordingError], None] | None = None,
    ) -> None:
        self.recorder = recorder
        self.on_error = on_error
        self.error: RecordingError | None = None

    def __call__(self, chunk: Chunk) -> None:
        """Record a raw chunk (the ``on_chunk`` callback)."""
        recorder = self.recorder
        if recorder is None:
            return
        try:
            recorder.append(chunk)
        except RecordingError as exc:
            self._report(exc)

    def on_update(self, update: EngineUpdate) -> None:
        """Record the predictions of an engine update (the ``on_update`` callback)."""
        recorder = self.recorder
        if recorder is None:
            return
        for p in update.predictions:
            try:
                if not recorder.add_prediction(p):
                    return
            except RecordingError as exc:
                self._report(exc)
                return

    def _report(self, exc: RecordingError) -> None:
        self.error = exc
        logger.warning("Streaming goes on without recording: %s", exc)
        if self.on_error is not None:
            self.on_error(exc)
