"""What the model registry lists: :class:`ModelEntry`, one model known to it, and the
entries of its three sources: the shipped model files (:func:`shipped_entries`), the user
models of its index (:func:`user_entries`) and BrainFlow's built-in classifiers
(:func:`builtin_entries`). Versions sort naturally (:func:`version_key`); an entry is
validated again before it becomes active (:func:`revalidate`).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.metadata import NAME_PATTERN
from bci_desktop.core.inference.validation import (
    ModelValidationError,
    ValidationReport,
    open_session,
    read_metadata,
    read_model_bytes,
    validate_model_file,
)
from bci_desktop.core.stream import StreamInfo

logger = logging.getLogger(__name__)

__all__ = [
    "SOURCES",
    "ModelEntry",
    "builtin_entries",
    "revalidate",
    "shipped_entries",
    "user_entries",
    "version_key",
]

SOURCES = ("shipped", "user", "brainflow")

#: What :func:`shipped_entries` keeps between calls: per file, its (mtime, size) and entry.
ShippedCache = dict[Path, tuple[tuple[int, int], "ModelEntry | None"]]


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


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order: ``1.10`` after ``1.9``; numbers before text at the same place."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", version)
        if part
    )


def user_entries(index: dict[str, Any], root: Path, p99: dict[str, float]) -> list[ModelEntry]:
    """The user models of ``index`` whose files are in ``root`` (``p99``: latencies
    measured since, by SHA-256)."""
    out = []
    for label, rec in index["models"].items():
        path = root / rec["file"]
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
                p99_ms=p99.get(rec["sha256"], rec.get("p99_ms")),
                imported=rec.get("imported"),
                original=rec.get("original"),
                channels=tuple(str(c) for c in rec.get("channels", ()) if isinstance(c, str))
                if isinstance(rec.get("channels"), list)
                else (),
                card=rec["card"] if isinstance(rec.get("card"), dict) else {},
            )
        )
    return out


def shipped_entries(folder: Path, cache: ShippedCache, p99: dict[str, float]) -> list[ModelEntry]:
    """The shipped model files in ``folder`` (read again only when a file changed;
    ``p99``: latencies measured since, by SHA-256)."""
    out = []
    for file in sorted(folder.glob("*.onnx")):
        stat = file.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        cached = cache.get(file)
        if cached is None or cached[0] != key:
            cached = (key, _read_shipped(file))
            cache[file] = cached
        if cached[1] is not None:
            entry = cached[1]
            measured = p99.get(entry.sha256)
            out.append(entry if measured is None else dataclasses.replace(entry, p99_ms=measured))
    return out


def _read_shipped(file: Path) -> ModelEntry | None:
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


def builtin_entries() -> list[ModelEntry]:
    """BrainFlow's built-in classifiers."""
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


def revalidate(entry: ModelEntry, *, runs: int) -> float | None:
    """Validate ``entry`` again before it becomes active: its stored file must be the one
    imported (same SHA-256) and pass validation on this machine now. Returns the p99
    latency measured (``None`` for BrainFlow's built-in models, which are only prepared).

    Raises
    ------
    ModelValidationError
        Listing every reason, a changed file first; nothing is activated.
    """
    if entry.source == "brainflow":
        from bci_desktop.core.inference.brainflow_models import BrainFlowModel

        BrainFlowModel(entry.task, ("Cz",), 250.0).close()  # prepares the classifier
        return None
    assert entry.path is not None
    report = validate_model_file(entry.path, runs=runs)
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
    return report.p99_ms
