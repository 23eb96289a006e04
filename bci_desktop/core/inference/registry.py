"""The model registry: shipped models, imported user models, the active one, rollback.

Layout of the user part (``$BCI_DESKTOP_DATA_DIR/models`` when set, else
``platformdirs.user_data_path("bci-desktop") / "models"``)::

    models/
        index.json                  which models exist, their SHA-256, active one, history
        <name>/<version>/model.onnx a copy of each imported file

Shipped models are the ``*.onnx`` files of :func:`~bci_desktop.core.resources.shipped_dir`
``("models")``; BrainFlow's built-in classifiers are listed too (source ``"brainflow"``).

Guarantees:

- nothing is imported or activated before :func:`~.validation.validate_model_file` accepts
  it; a refused import or activation raises :class:`ModelValidationError` (listing every
  reason) and leaves the registry, and the active model, as they were;
- an imported file is copied with its SHA-256; later changes to the original change
  nothing, and a copy changed on disk is refused at activation;
- the index is replaced atomically (write, fsync, rename), under an advisory lock;
- the active model and the one :meth:`ModelRegistry.rollback` would return to are never
  removed or replaced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from bci_desktop.core import jsonsafe
from bci_desktop.core.atomic import write_atomic
from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.metadata import NAME_PATTERN, ModelMetadata
from bci_desktop.core.inference.sandbox import validate_isolated
from bci_desktop.core.inference.validation import (
    ModelValidationError,
    ValidationReport,
    open_session,
    read_metadata,
    read_model_bytes,
    validate_model_file,
)
from bci_desktop.core.regular_files import read_regular
from bci_desktop.core.resources import shipped_dir
from bci_desktop.core.stream import StreamInfo

try:  # advisory lock between the GUI and the CLI; POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

APP_NAME = "bci-desktop"
ENV_DATA_DIR = "BCI_DESKTOP_DATA_DIR"
INDEX_FILE = "index.json"
INDEX_SCHEMA = "bci-desktop-registry/1"
MODEL_FILE = "model.onnx"
#: The model active when the user never activated one.
DEFAULT_MODEL = "emotion-default"
SOURCES = ("shipped", "user", "brainflow")
_HISTORY_MAX = 20
_MAX_INDEX_BYTES = 16 << 20


def user_models_dir() -> Path:
    """Folder of the user's models (``$BCI_DESKTOP_DATA_DIR/models`` overrides)."""
    env = os.environ.get(ENV_DATA_DIR)
    base = Path(env) if env else platformdirs.user_data_path(APP_NAME, appauthor=False)
    return base / "models"


@dataclass(frozen=True)
class ModelEntry:
    """One model known to the registry.

    Attributes
    ----------
    name, version : str
        As in the model's metadata; users refer to it as ``name@version``.
    sha256 : str
        SHA-256 of the file (empty for BrainFlow's built-in models).
    path : Path or None
        The file (``None`` for BrainFlow's built-in models).
    source : str
        ``"shipped"``, ``"user"`` or ``"brainflow"``.
    active : bool
        True for the active model.
    metrics : dict
        Measured accuracy etc., from the metadata.
    classes : tuple of str
        Class names.
    task, input_kind, description : str
        From the metadata.
    latency_budget_ms : float
        The model's latency budget.
    p99_ms : float or None
        p99 latency measured at the last validation on this machine.
    imported : str or None
        When it was imported (ISO 8601), for user models.
    original : str or None
        The file it was imported from, for user models.
    channels : tuple of str
        The electrodes the model needs (empty for BrainFlow's built-in models, which use
        every EEG channel, and for user models indexed before channels were recorded).
    card : dict
        A personal model's calibration card (subject, date, protocol, label source...),
        without the full protocol; empty for other models.
    """

    name: str
    version: str
    sha256: str
    path: Path | None
    source: str
    active: bool = False
    metrics: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    classes: tuple[str, ...] = ()
    task: str = ""
    input_kind: str = "features"
    description: str = ""
    latency_budget_ms: float = 100.0
    p99_ms: float | None = None
    imported: str | None = None
    original: str | None = None
    channels: tuple[str, ...] = ()
    card: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"

    def load(self, info: StreamInfo | None = None):
        """Load the model for use by the engine.

        Parameters
        ----------
        info : StreamInfo or None
            The stream; required for BrainFlow's built-in models (they average over the
            stream's EEG channels at its rate).

        Returns
        -------
        EmotionModel or BrainFlowModel
        """
        if self.source == "brainflow":
            from bci_desktop.core.inference.brainflow_models import BrainFlowModel

            if info is None:
                raise ModelError(
                    f"Model '{self.label}' is built for a stream: pass its StreamInfo to load()."
                )
            return BrainFlowModel.for_stream(info, self.task)
        from bci_desktop.core.inference.model import EmotionModel

        try:
            return EmotionModel.load(self.path)
        except ModelValidationError as exc:
            raise ModelValidationError(
                f"The {'active ' if self.active else ''}model '{self.label}' cannot be used: "
                f"{exc} Activate another model, or roll back to the previous one (Models > "
                f"Roll back; 'bci-desktop models rollback').",
                exc.report,
            ) from exc


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order: ``1.10`` after ``1.9``; numbers before text at the same place."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", version)
        if part
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


class ModelRegistry:
    """Shipped and user models, which one is active, and the activation history.

    Parameters
    ----------
    root : str, Path or None
        Folder of the user's models; ``None`` uses :func:`user_models_dir`.
    shipped : str, Path or None
        Folder of the shipped models; ``None`` uses the app's own.
    runs : int
        Calls timed by each validation (latency p99).
    include_brainflow : bool
        List BrainFlow's built-in classifiers.
    """

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        shipped: str | Path | None = None,
        runs: int = 200,
        include_brainflow: bool = True,
    ) -> None:
        self.root = Path(root) if root is not None else user_models_dir()
        self.shipped_root = Path(shipped) if shipped is not None else shipped_dir("models")
        self.runs = runs
        self.include_brainflow = include_brainflow
        self._lock = threading.RLock()
        self._depth = 0
        self._shipped_cache: dict[Path, tuple[tuple[int, int], ModelEntry | None]] = {}
        self._p99_cache: dict[str, float] = {}

    # -- reading -------------------------------------------------------------------------
    @property
    def index_path(self) -> Path:
        """The index file."""
        return self.root / INDEX_FILE

    def list(self) -> list[ModelEntry]:
        """Every model: shipped, user and built-in, sorted by name and version."""
        with self._locked():
            index = self._read_index()
            active = self._active_label(index)
            entries = [*self._shipped(), *self._user(index), *self._builtin()]
        entries.sort(key=lambda e: (e.name, _version_key(e.version), SOURCES.index(e.source)))
        return [self._with(e, active=e.label == active) for e in entries]

    def get(self, ref: str) -> ModelEntry:
        """The entry named ``"name"`` (its newest version) or ``"name@version"``.

        Raises
        ------
        ModelError
            If no such model is in the registry; the message lists what is.
        """
        name, _, version = ref.strip().partition("@")
        entries = self.list()
        found = [e for e in entries if e.name == name and (not version or e.version == version)]
        if not found:
            have = ", ".join(e.label for e in entries) or "none"
            raise ModelError(
                f"No model '{ref}' in the registry (it has: {have}). Import a file first "
                "with `bci-desktop models import FILE`."
            )
        return max(found, key=lambda e: (_version_key(e.version), SOURCES.index(e.source)))

    def active(self) -> ModelEntry:
        """The active model: the last one activated, else the shipped emotion-default.

        Raises
        ------
        ModelError
            If no model is available at all (no shipped model and nothing imported).
        """
        for entry in self.list():
            if entry.active:
                return entry
        raise ModelError(
            f"No model is available: the shipped models in '{self.shipped_root}' are missing "
            "and none was imported."
        )

    def chosen_label(self) -> str | None:
        """``name@version`` of the model the user activated, ``None`` while the default
        applies (the app then picks the best validated model for each stream's montage)."""
        with self._locked():
            index = self._read_index()
            label = index.get("active")
            return label if label is not None and self._find(index, label) else None

    def history(self) -> list[str]:
        """Labels of the previously active models, oldest first (rollback pops the last)."""
        with self._locked():
            return list(self._read_index()["history"])

    def validate(self, path: str | Path) -> ValidationReport:
        """Validate a file without importing it (see :func:`validate_model_file`)."""
        return validate_model_file(path, runs=self.runs)

    def fastest_for(
        self,
        classes: Sequence[str],
        *,
        exclude: str | None = None,
        channels: Sequence[str] | None = None,
    ) -> ModelEntry | None:
        """The validated model predicting ``classes`` with the lowest measured p99 latency
        (a latency fallback), or ``None``. ``exclude`` is a label to leave out; with
        ``channels``, only models that need no other channel are considered (old and new
        names of a position are one)."""
        from bci_desktop.core.inference.channels import normalize_channel_name

        have = None if channels is None else {normalize_channel_name(c) for c in channels}
        best: tuple[float, ModelEntry] | None = None
        for entry in self.list():
            if entry.label == exclude or tuple(entry.classes) != tuple(classes):
                continue
            if entry.source == "brainflow":
                continue
            needs = {normalize_channel_name(c) for c in entry.channels}
            if have is not None and (not needs or not needs <= have):
                continue
            p99 = entry.p99_ms
            if p99 is None:
                report = validate_model_file(entry.path, runs=self.runs)
                if not report.ok or report.p99_ms is None:
                    continue
                p99 = self._p99_cache[entry.sha256] = report.p99_ms
            if best is None or p99 < best[0]:
                best = (p99, entry)
        return None if best is None else best[1]

    def load_fallback_for(self, model: Any, info: StreamInfo | None = None) -> Any:
        """The latency fallback of ``model``: the fastest other validated model for its
        classes (:meth:`fastest_for`) that reads no channel ``model`` does not read (so it
        fits wherever ``model`` fits), loaded for ``info``; ``None`` when there is none.
        What ``bci-desktop run --latency-fallback`` and the window's switch use."""
        channels = tuple(model.metadata.recipe.channels)
        entry = self.fastest_for(model.classes, exclude=model.metadata.label, channels=channels)
        return None if entry is None else entry.load(info)

    # -- changing ------------------------------------------------------------------------
    def import_file(self, path: str | Path, *, replace: bool = False) -> ModelEntry:
        """Validate a model file and copy it into the registry with its SHA-256.

        Parameters
        ----------
        path : str or Path
            The ONNX file.
        replace : bool
            Replace a user model with the same ``name@version`` but other contents (never
            the active model nor the rollback target, never a shipped model).

        Returns
        -------
        ModelEntry
            The stored copy (the existing one when the same file was imported before).

        Raises
        ------
        ModelValidationError
            If the file fails validation (every reason is listed); nothing is stored.
        ModelError
            If ``name@version`` exists with other contents and cannot be replaced.
        """
        source = Path(path)
        data, sha = read_model_bytes(source)
        report = validate_isolated(data, source, sha256=sha, runs=self.runs)
        if not report.ok:
            raise ModelValidationError(
                f"Not imported: {'; '.join(r.rstrip('.') for r in report.reasons)}. "
                "The active model is unchanged.",
                report,
            )
        meta = report.metadata
        assert meta is not None
        with self._locked(write=True):
            index = self._read_index()
            existing = self._find(index, meta.label)
            if existing is not None:
                if existing.sha256 == sha:
                    logger.info("Model %s is already in the registry.", meta.label)
                    return self._with(existing, active=meta.label == self._active_label(index))
                self._check_replaceable(existing, index, replace)
            target = self.root / meta.name / meta.version / MODEL_FILE
            _atomic_write(target, data)
            stored = hashlib.sha256(target.read_bytes()).hexdigest()
            if stored != sha:
                raise ModelError(
                    f"The copy of '{source}' in the registry does not match the original "
                    f"(SHA-256 {stored[:12]} != {sha[:12]}): is the disk full or failing?"
                )
            index["models"][meta.label] = {
                "name": meta.name,
                "version": meta.version,
                "sha256": sha,
                "file": f"{meta.name}/{meta.version}/{MODEL_FILE}",
                "imported": _now(),
                "original": str(source.resolve()),
                **_summary(meta),
                "p99_ms": report.p99_ms,
            }
            self._write_index(index)
            active = self._active_label(index)
        logger.info("Imported model %s (sha256 %s) from %s", meta.label, sha[:12], source)
        entry = self._find(index, meta.label)
        assert entry is not None
        return self._with(entry, active=entry.label == active)

    def activate(self, ref: str) -> ModelEntry:
        """Make a model the active one, after validating it again.

        Parameters
        ----------
        ref : str
            ``"name"`` (its newest version) or ``"name@version"``.

        Raises
        ------
        ModelValidationError
            If the model fails validation now (its file changed, or this machine is too
            slow for its budget); the active model stays active.
        ModelError
            If there is no such model.
        """
        with self._locked(write=True):
            entry = self.get(ref)
            self._revalidate(entry)
            index = self._read_index()
            current = self._active_label(index)
            if entry.label == current:
                return self._with(entry, active=True)
            if current is not None:
                index["history"] = [*index["history"], current][-_HISTORY_MAX:]
            index["active"] = entry.label
            self._write_index(index)
        logger.info("Activated model %s (previously %s)", entry.label, current)
        return self._with(entry, active=True)

    def rollback(self) -> ModelEntry:
        """Activate the previously active model again (and forget it in the history).

        Raises
        ------
        ModelError
            If there is no previous model.
        ModelValidationError
            If the previous model fails validation now; nothing changes.
        """
        with self._locked(write=True):
            index = self._read_index()
            if not index["history"]:
                raise ModelError(
                    "There is no previous model to roll back to: no other model was active "
                    "before this one."
                )
            previous = index["history"][-1]
            entry = self.get(previous)
            self._revalidate(entry)
            current = self._active_label(index)
            index["history"] = index["history"][:-1]
            index["active"] = entry.label
            self._write_index(index)
        logger.info("Rolled back from model %s to %s", current, entry.label)
        return self._with(entry, active=True)

    def remove(self, ref: str) -> None:
        """Delete an imported model.

        Raises
        ------
        ModelError
            If it is shipped or built in, active, or the model a rollback would return to.
        """
        with self._locked(write=True):
            entry = self.get(ref)
            index = self._read_index()
            self._check_replaceable(entry, index, True, action="removed")
            index["models"].pop(entry.label, None)
            index["history"] = [h for h in index["history"] if h != entry.label]
            self._write_index(index)
            if entry.path is not None:
                shutil.rmtree(entry.path.parent, ignore_errors=True)
                with contextlib.suppress(OSError):
                    entry.path.parent.parent.rmdir()  # the name folder, when now empty
        logger.info("Removed model %s", entry.label)

    # -- internals -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self, *, write: bool = False) -> Iterator[None]:
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

    def _empty_index(self) -> dict[str, Any]:
        return {"schema": INDEX_SCHEMA, "models": {}, "active": None, "history": []}

    def _read_index(self) -> dict[str, Any]:
        path = self.index_path
        if not path.exists():
            return self._empty_index()
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
        backup = self.index_path.with_name(f"{INDEX_FILE}.damaged-{os.getpid()}")
        try:
            os.replace(self.index_path, backup)
        except OSError as err:
            logger.warning("Could not keep the damaged index as %s: %s", backup.name, err)
        logger.error(
            "The model registry index was damaged (%s); kept as %s and rebuilt from the stored "
            "files. The active model is the default again.",
            exc,
            backup.name,
        )
        index = self._empty_index()
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
            index["models"][meta.label] = {
                "name": meta.name,
                "version": meta.version,
                "sha256": sha,
                "file": str(file.relative_to(self.root)),
                "imported": None,
                "original": None,
                **_summary(meta),
                "p99_ms": None,
            }
        try:
            self._write_index(index)
        except OSError as err:  # a read-only folder: use the rebuilt index without saving
            logger.warning("Could not save the rebuilt registry index: %s", err)
        return index

    def _write_index(self, index: dict[str, Any]) -> None:
        text = json.dumps(index, indent=2, sort_keys=True)
        _atomic_write(self.index_path, text.encode("utf-8"))

    def _user(self, index: dict[str, Any]) -> list[ModelEntry]:
        out = []
        for label, rec in index["models"].items():
            path = self.root / rec["file"]
            if not path.is_file():
                logger.warning("Model %s is in the registry index but %s is gone.", label, path)
                continue
            out.append(
                ModelEntry(
                    name=rec["name"],
                    version=rec["version"],
                    sha256=rec["sha256"],
                    path=path,
                    source="user",
                    metrics=rec.get("metrics") or {},
                    classes=tuple(rec.get("classes") or ()),
                    task=rec.get("task", ""),
                    input_kind=rec.get("input_kind", "features"),
                    description=rec.get("description", ""),
                    latency_budget_ms=float(rec.get("latency_budget_ms", 100.0)),
                    p99_ms=self._p99_cache.get(rec["sha256"], rec.get("p99_ms")),
                    imported=rec.get("imported"),
                    original=rec.get("original"),
                    channels=tuple(str(c) for c in rec.get("channels", ()) if isinstance(c, str))
                    if isinstance(rec.get("channels"), list)
                    else (),
                    card=rec["card"] if isinstance(rec.get("card"), dict) else {},
                )
            )
        return out

    def _shipped(self) -> list[ModelEntry]:
        out = []
        for file in sorted(self.shipped_root.glob("*.onnx")):
            stat = file.stat()
            key = (stat.st_mtime_ns, stat.st_size)
            cached = self._shipped_cache.get(file)
            if cached is None or cached[0] != key:
                cached = (key, self._read_shipped(file))
                self._shipped_cache[file] = cached
            if cached[1] is not None:
                entry = cached[1]
                p99 = self._p99_cache.get(entry.sha256)
                out.append(entry if p99 is None else self._with(entry, p99_ms=p99))
        return out

    def _read_shipped(self, file: Path) -> ModelEntry | None:
        try:
            data, sha = read_model_bytes(file)
            meta = read_metadata(open_session(data, file), file)
        except ModelError as exc:
            logger.warning("Ignored shipped model %s: %s", file.name, exc)
            return None
        return ModelEntry(
            name=meta.name,
            version=meta.version,
            sha256=sha,
            path=file,
            source="shipped",
            metrics=meta.metrics,
            classes=meta.classes,
            task=meta.task,
            input_kind=meta.recipe.input_kind,
            description=meta.description,
            latency_budget_ms=meta.latency_budget_ms,
            channels=meta.recipe.channels,
        )

    def _builtin(self) -> list[ModelEntry]:
        if not self.include_brainflow:
            return []
        from bci_desktop.core.inference.brainflow_models import (
            LATENCY_BUDGET_MS,
            METRICS,
            brainflow_version,
        )

        version = brainflow_version()
        if not NAME_PATTERN.match(version):
            version = "unknown"
        return [
            ModelEntry(
                name=f"brainflow-{metric}",
                version=version,
                sha256="",
                path=None,
                source="brainflow",
                classes=classes,
                task=metric,
                input_kind="window",
                description=f"BrainFlow's built-in {metric} classifier (all EEG channels).",
                latency_budget_ms=LATENCY_BUDGET_MS,
            )
            for metric, (_, classes) in METRICS.items()
        ]

    def _find(self, index: dict[str, Any], label: str) -> ModelEntry | None:
        entries = [*self._shipped(), *self._user(index), *self._builtin()]
        return next((e for e in entries if e.label == label), None)

    def _active_label(self, index: dict[str, Any]) -> str | None:
        label = index.get("active")
        if label is not None:
            if self._find(index, label) is not None:
                return label
            logger.warning("The active model %s is missing; using the default model.", label)
        shipped = self._shipped()
        default = [e for e in shipped if e.name == DEFAULT_MODEL] or shipped
        if not default:
            return None
        return max(default, key=lambda e: _version_key(e.version)).label

    def _check_replaceable(
        self, entry: ModelEntry, index: dict[str, Any], replace: bool, action: str = "replaced"
    ) -> None:
        if entry.source != "user":
            raise ModelError(
                f"Model '{entry.label}' comes with the app and cannot be {action}: give your "
                "model another name or version."
            )
        if not replace:
            raise ModelError(
                f"Model '{entry.label}' is already in the registry with other contents "
                f"(SHA-256 {entry.sha256[:12]}...): give the new model another version, or "
                "replace it (replace=True, --replace)."
            )
        protected = {self._active_label(index), *index["history"][-1:]}
        if entry.label in protected:
            raise ModelError(
                f"Model '{entry.label}' is the active model or the one a rollback returns to, "
                f"so it cannot be {action}: activate another model first."
            )

    def _revalidate(self, entry: ModelEntry) -> None:
        if entry.source == "brainflow":
            from bci_desktop.core.inference.brainflow_models import BrainFlowModel

            BrainFlowModel(entry.task, ("Cz",), 250.0).close()  # prepares the classifier
            return
        assert entry.path is not None
        report = validate_model_file(entry.path, runs=self.runs)
        reasons = list(report.reasons)
        if report.sha256 is not None and report.sha256 != entry.sha256:
            reasons.insert(
                0,
                f"the file in the registry changed since it was imported (SHA-256 "
                f"{report.sha256[:12]}... instead of {entry.sha256[:12]}...)",
            )
        if reasons:
            report = ValidationReport(
                path=report.path,
                ok=False,
                reasons=tuple(reasons),
                metadata=report.metadata,
                sha256=report.sha256,
                p99_ms=report.p99_ms,
                p50_ms=report.p50_ms,
                budget_ms=report.budget_ms,
                runs=report.runs,
            )
            raise ModelValidationError(
                f"Model '{entry.label}' was not activated: " + "; ".join(reasons) + ".", report
            )
        if report.p99_ms is not None:
            self._p99_cache[entry.sha256] = report.p99_ms

    @staticmethod
    def _with(entry: ModelEntry, **changes: Any) -> ModelEntry:
        return dataclasses.replace(entry, **changes)


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


__all__ = [
    "DEFAULT_MODEL",
    "ENV_DATA_DIR",
    "ModelEntry",
    "ModelRegistry",
    "ModelValidationError",
    "user_models_dir",
]
