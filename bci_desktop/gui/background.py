"""Run slow work (model validation, training) off the GUI thread; get the result back on it.

:class:`BackgroundRunner` owns a one-thread pool; :meth:`BackgroundRunner.submit` runs a
function there and calls ``on_done(result, error)`` later **in the GUI thread** (through a
queued signal), so the caller may touch widgets. One thread keeps registry operations in the
order the user asked for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PyQt6 import sip
from PyQt6.QtCore import QObject, pyqtSignal

from bci_desktop.core.errors import BCIError

__all__ = ["BackgroundRunner", "DoneCallback"]

logger = logging.getLogger(__name__)

#: ``on_done(result, error)``: exactly one of them is meaningful (``error`` None on success).
DoneCallback = Callable[[Any, BaseException | None], None]


class BackgroundRunner(QObject):
    """A one-thread pool whose results come back to the thread this object lives in.

    Signals
    -------
    busy_changed(bool)
        True when work starts while none was running, False when the last job finished.
    """

    busy_changed = pyqtSignal(bool)
    _finished = pyqtSignal(object, object, object)  # on_done, result, error

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending = 0
        self._closed = False
        self._finished.connect(self._deliver)

    @property
    def busy(self) -> bool:
        """True while a job runs or waits."""
        return self._pending > 0

    def submit(self, fn: Callable[[], Any], on_done: DoneCallback) -> Future:
        """Run ``fn()`` in the pool; call ``on_done(result, error)`` in this object's thread.

        An exception raised by ``fn`` is passed as ``error`` (and logged when it is not one
        of the app's own errors, which carry their message for the user).
        """
        if self._closed:
            raise RuntimeError("This background runner is shut down.")
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        future = self._pool.submit(fn)
        future.add_done_callback(lambda f: self._post(f, on_done))
        return future

    def _post(self, future: Future, on_done: DoneCallback) -> None:
        """Pool thread: hand the outcome to the owner's thread (if it still exists)."""
        if future.cancelled():
            return
        error = future.exception()
        result = None if error is not None else future.result()
        if sip.isdeleted(self):
            logger.debug("A background job finished after its window closed")
            return
        try:
            self._finished.emit(on_done, result, error)
        except RuntimeError:  # deleted between the check and the emit
            logger.debug("A background job finished after its window closed")

    def _deliver(self, on_done: DoneCallback, result: Any, error: BaseException | None) -> None:
        self._pending = max(0, self._pending - 1)
        if error is not None and not isinstance(error, BCIError):
            logger.error("A background job failed", exc_info=error)
        try:
            on_done(result, error)
        finally:
            if self._pending == 0:
                self.busy_changed.emit(False)

    def shutdown(self, *, wait: bool = False) -> None:
        """Stop taking jobs; drop the queued ones (a running job finishes on its own)."""
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)
