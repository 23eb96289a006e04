"""The model registry's index file: ``index.json`` beside the imported models.

It says which user models exist (their files, SHA-256 and metadata summary), which model
is active and which were active before. :class:`RegistryIndex` reads it (a damaged one is
kept aside and rebuilt from the stored files, every file checked before it is opened),
replaces it atomically (write, fsync, rename), and holds the registry's lock: a lock of
the process and, at the outermost level, an advisory file lock between the window and the
command line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bci_desktop.core import jsonsafe
from bci_desktop.core.atomic import write_atomic
from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.metadata import ModelMetadata
from bci_desktop.core.inference.sandbox import validate_isolated
from bci_desktop.core.inference.validation import open_session, read_metadata, read_model_bytes
from bci_desktop.core.regular_files import read_regular

try:  # advisory lock between the GUI and the CLI; POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

__all__ = [
    "INDEX_FILE",
    "INDEX_SCHEMA",
    "MODEL_FILE",
    "RegistryIndex",
    "index_record",
    "store_atomically",
]

INDEX_FILE = "index.json"
INDEX_SCHEMA = "bci-desktop-registry/1"
MODEL_FILE = "model.onnx"
_MAX_INDEX_BYTES = 16 << 20


def store_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


def index_record(
    meta: ModelMetadata,
    *,
    sha256: str,
    file: str,
    imported: str | None,
    original: str | None,
    p99_ms: float | None,
) -> dict[str, Any]:
    """The index's record of a stored model file (``file`` relative to the registry)."""
    return {
        "name": meta.name,
        "version": meta.version,
        "sha256": sha256,
        "file": file,
        "imported": imported,
        "original": original,
        **_summary(meta),
        "p99_ms": p99_ms,
    }


def _card(meta: ModelMetadata) -> dict[str, Any]:
    """A personal model's calibration card, its protocol reduced to its name and states."""
    card = meta.provenance.get("calibration")
    if not isinstance(card, dict):
        return {}
    out = {k: v for k, v in card.items() if k != "protocol"}
    protocol = card.get("protocol")
    if isinstance(protocol, dict):
        states = protocol.get("states")
        out["protocol_states"] = (
            [s.get("name") for s in states if isinstance(s, dict)]
            if isinstance(states, list)
            else []
        )
    return out


def _summary(meta: ModelMetadata) -> dict[str, Any]:
    return {
        "card": _card(meta),
        "classes": list(meta.classes),
        "task": meta.task,
        "input_kind": meta.recipe.input_kind,
        "description": meta.description,
        "latency_budget_ms": meta.latency_budget_ms,
        "metrics": meta.metrics,
        "channels": list(meta.recipe.channels),
    }


class RegistryIndex:
    """``index.json`` of the registry folder ``root``, and the registry's lock.

    The index is a dict: ``schema``, ``models`` (label -> :func:`index_record`),
    ``active`` (a label or ``None``) and ``history`` (labels, oldest first).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.RLock()
        self._depth = 0

    @property
    def path(self) -> Path:
        """The index file."""
        return self.root / INDEX_FILE

    @contextlib.contextmanager
    def locked(self, *, write: bool = False) -> Iterator[None]:
        """This registry's lock, and an advisory file lock at the outermost level.

        Readers take a shared lock and create nothing: a registry that does not exist yet,
        or a read-only data folder, is read without a lock file. Writers create the folder
        and take an exclusive lock; a folder they cannot write is a :class:`ModelError`.
        """
        with self._lock:
            self._depth += 1
            try:
                if self._depth > 1 or fcntl is None:
                    yield
                    return
                fh = self._open_lock(write)
                if fh is None:
                    yield
                    return
                with fh:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX if write else fcntl.LOCK_SH)
                    try:
                        yield
                    finally:
                        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            finally:
                self._depth -= 1

    def _open_lock(self, write: bool) -> Any:
        lock = self.root / ".lock"
        try:
            if write:
                self.root.mkdir(parents=True, exist_ok=True)
                return open(lock, "a+b")
            if not self.root.is_dir():
                return None
            return open(lock, "a+b" if not lock.exists() else "rb")
        except OSError as exc:
            if write:
                raise ModelError(
                    f"Cannot change the model registry in '{self.root}': "
                    f"{exc.strerror or exc}. Check that the data folder is writable."
                ) from exc
            logger.debug("Reading the registry without a lock (%s)", exc)
            return None

    @staticmethod
    def empty() -> dict[str, Any]:
        """The index of a registry with no user model, none activated."""
        return {"schema": INDEX_SCHEMA, "models": {}, "active": None, "history": []}

    def read(self) -> dict[str, Any]:
        """The index (empty when there is none; rebuilt when it is damaged)."""
        path = self.path
        if not path.exists():
            return self.empty()
        try:
            index = jsonsafe.loads(read_regular(path, max_bytes=_MAX_INDEX_BYTES))
            if not isinstance(index, dict) or index.get("schema") != INDEX_SCHEMA:
                raise ValueError("not a registry index")
            if not isinstance(index.get("models"), dict) or not isinstance(
                index.get("history"), list
            ):
                raise ValueError("malformed registry index")
        except (OSError, ValueError) as exc:
            return self._rebuild(exc)
        return index

    def _rebuild(self, exc: Exception) -> dict[str, Any]:
        """Recover from a damaged index: keep it aside and index the stored files again."""
        backup = self.path.with_name(f"{INDEX_FILE}.damaged-{os.getpid()}")
        try:
            os.replace(self.path, backup)
        except OSError as err:
            logger.warning("Could not keep the damaged index as %s: %s", backup.name, err)
        logger.error(
            "The model registry index was damaged (%s); kept as %s and rebuilt from the stored "
            "files. The active model is the default again.",
            exc,
            backup.name,
        )
        index = self.empty()
        for file in sorted(self.root.glob(f"*/*/{MODEL_FILE}")):
            try:  # files of a damaged registry are checked before they are opened here
                data, sha = read_model_bytes(file)
                report = validate_isolated(data, file, sha256=sha, runs=0)
                if not report.ok:
                    raise ModelError("; ".join(report.reasons))
                meta = read_metadata(open_session(data, file), file)
            except ModelError as err:
                logger.warning("Skipped %s while rebuilding the registry: %s", file, err)
                continue
            index["models"][meta.label] = index_record(
                meta,
                sha256=sha,
                file=str(file.relative_to(self.root)),
                imported=None,
                original=None,
                p99_ms=None,
            )
        try:
            self.write(index)
        except OSError as err:  # a read-only folder: use the rebuilt index without saving
            logger.warning("Could not save the rebuilt registry index: %s", err)
        return index

    def write(self, index: dict[str, Any]) -> None:
        """Replace the index atomically (write, fsync, rename)."""
        text = json.dumps(index, indent=2, sort_keys=True)
        store_atomically(self.path, text.encode("utf-8"))
