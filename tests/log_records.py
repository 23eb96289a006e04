"""Capturing the log records that reach one logger's handlers, in tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["captured_records"]


@contextmanager
def captured_records(name: str = "bci_desktop") -> Iterator[list[logging.LogRecord]]:
    """The records that reach a handler added now, after the others, to logger ``name``
    (so a handler before it that misbehaves shows)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
