"""Export a recorded session to files other tools open: EDF+, BDF+, BrainFlow CSV, predictions.

:func:`export_session` is the one entry point (the CLI's ``bci-desktop export`` and the GUI's
export menu call it). The writers live in :mod:`.export_edf` and :mod:`.export_csv`; this
module checks the request, reads the session and writes the file atomically: everything goes
to a temporary file beside the destination, which is renamed over it only when complete, so
a failed export never leaves a half-written file (nor destroys an existing one).

See ``docs/export.md`` for the file layouts and the choices made (padding, time zone,
anonymisation).
"""

from __future__ import annotations

import enum
import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from bci_desktop.core.atomic import atomic_write
from bci_desktop.core.errors import BCIError
from bci_desktop.core.recording.session import (
    STATUS_RECORDING,
    Marker,
    SessionData,
    read_session,
)
from bci_desktop.core.validate import check_choice

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_ANNOTATIONS",
    "EXPORT_FORMATS",
    "EXPORT_SUFFIXES",
    "PADDING_ANNOTATION",
    "AnnotationKind",
    "ExportError",
    "export_session",
    "merged_markers",
    "parse_annotations",
    "sample_of",
]

#: Formats :func:`export_session` writes.
EXPORT_FORMATS: tuple[str, ...] = ("edf", "bdf", "csv", "predictions")
#: The usual file name ending of each format (for file dialogs and default names).
EXPORT_SUFFIXES: dict[str, str] = {
    "edf": ".edf",
    "bdf": ".bdf",
    "csv": ".csv",
    "predictions": "-predictions.csv",
}
#: EDF+/BDF+ annotation over the samples added to fill the last data record (MNE treats
#: ``BAD_`` annotations as bad segments; replay drops them).
PADDING_ANNOTATION = "BAD_padding"


class ExportError(BCIError):
    """A session cannot be exported (empty, unsuitable, or the destination is unwritable)."""


class AnnotationKind(enum.Enum):
    """What an EDF+/BDF+ export can write as annotations."""

    MARKERS = "markers"
    EVENTS = "events"
    PREDICTIONS = "predictions"


#: The annotations of an export unless asked otherwise: predictions (four a second) would
#: bury the markers a researcher placed.
DEFAULT_ANNOTATIONS: frozenset[AnnotationKind] = frozenset(
    {AnnotationKind.MARKERS, AnnotationKind.EVENTS}
)


def parse_annotations(
    value: str | Iterable[str | AnnotationKind] | None,
) -> frozenset[AnnotationKind]:
    """The annotation kinds of ``"markers,events"`` (or an iterable of names or kinds);
    ``None``: :data:`DEFAULT_ANNOTATIONS`; ``""`` or ``"none"``: no annotations.

    Raises
    ------
    ConfigError
        If a name is not one of markers, events, predictions.
    """
    from bci_desktop.core.errors import ConfigError

    if value is None:
        return DEFAULT_ANNOTATIONS
    if isinstance(value, str):
        items: list[str | AnnotationKind] = [v.strip() for v in value.split(",") if v.strip()]
        if [str(v).lower() for v in items] == ["none"]:
            return frozenset()
    else:
        items = list(value)
    kinds = set()
    allowed = ", ".join(k.value for k in AnnotationKind)
    for item in items:
        if isinstance(item, AnnotationKind):
            kinds.add(item)
            continue
        try:
            kinds.add(AnnotationKind(str(item).strip().lower()))
        except ValueError:
            raise ConfigError(
                f"Invalid value for the 'annotations' parameter. Allowed values are {allowed} "
                f"(comma-separated) or none, but got {item!r} instead."
            ) from None
    return frozenset(kinds)


def export_session(
    folder: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    format: str = "edf",
    anonymize: bool = False,
    overwrite: bool = False,
    all_rows: bool = False,
    annotations: str | Iterable[str | AnnotationKind] | None = None,
) -> Path:
    """Write a recorded session to a file.

    Parameters
    ----------
    folder : path-like
        The session folder (see :mod:`bci_desktop.core.recording.session`), or an XDF file
        (its EEG stream, with its marker streams as markers: :mod:`.xdf`).
    out_path : path-like
        The file to write. Its folder must exist.
    format : {"edf", "bdf", "csv", "predictions"}
        ``"edf"``: EDF+ (16 bit), ``"bdf"``: BDF+ (24 bit), both with annotations;
        ``"csv"``: BrainFlow's own file format (what ``DataFilter.read_file`` and the
        playback-file board read); ``"predictions"``: one CSV line per prediction.
    anonymize : bool
        EDF/BDF only: write the subject as ``X`` (birth date and sex are always unknown).
        Dates and times are kept. The CSV formats hold no personal fields.
    overwrite : bool
        Replace ``out_path`` if it exists; otherwise an existing file is an error.
    all_rows : bool
        EDF/BDF only: also write the board's other rows (accelerometer, gyroscope,
        battery ...) as extra signals with their units. Timestamp, marker and truth rows
        are never written as signals (markers become annotations).
    annotations : str, iterable or None
        EDF/BDF only: what becomes annotations, :class:`AnnotationKind` values or their
        names (``"markers,events,predictions"``); ``None``: :data:`DEFAULT_ANNOTATIONS`
        (markers and events).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigError
        If ``format`` is unknown.
    SessionError
        If ``folder`` is not a readable session folder.
    SourceError
        If an XDF file cannot be read or holds no EEG stream.
    ExportError
        If the session holds nothing to export, ``out_path`` exists (and ``overwrite`` is
        False), or the destination cannot be written.
    """
    check_choice("format", format, EXPORT_FORMATS)
    kinds = parse_annotations(annotations)
    out = Path(out_path).expanduser()
    _check_destination(out, overwrite=overwrite)
    session = _read(Path(folder))
    if session.meta.status == STATUS_RECORDING:
        logger.warning(
            "Session %s is still being recorded (or was interrupted): exporting the %d "
            "samples written so far.",
            session.path,
            session.n_samples,
        )
    if format == "predictions":
        if not session.predictions:
            raise ExportError(
                f"Session '{session.path}' holds no predictions to export (it was recorded "
                f"without a model)."
            )
    elif session.n_samples == 0:
        raise ExportError(
            f"Session '{session.path}' holds no samples: there is nothing to export."
        )

    writer = _writer(format, anonymize=anonymize, all_rows=all_rows, annotations=kinds)
    _write_atomic(out, lambda fh: writer(session, fh), overwrite=overwrite)
    logger.info("Exported session %s as %s to %s", session.path, format, out)
    return out


def _read(path: Path) -> SessionData:
    """A session folder, or an XDF file read as one."""
    from bci_desktop.core.recording.xdf import XDF_SUFFIXES, xdf_session

    if path.is_file() and path.suffix.lower() in XDF_SUFFIXES:
        return xdf_session(path)
    return read_session(path)


def _writer(
    format: str, *, anonymize: bool, all_rows: bool, annotations: frozenset[AnnotationKind]
) -> Callable[[SessionData, BinaryIO], None]:
    """The function that writes ``format`` (imported lazily: edfio only when needed)."""
    if format in ("edf", "bdf"):
        from bci_desktop.core.recording.export_edf import write_edf

        bdf = format == "bdf"
        return lambda s, p: write_edf(
            s, p, bdf=bdf, anonymize=anonymize, all_rows=all_rows, annotations=annotations
        )
    from bci_desktop.core.recording.export_csv import write_brainflow_csv, write_predictions_csv

    return write_brainflow_csv if format == "csv" else write_predictions_csv


def _check_destination(out: Path, *, overwrite: bool) -> None:
    if out.is_dir():
        raise ExportError(f"Cannot export to '{out}': it is a folder; give a file name.")
    if out.exists() and not overwrite:
        raise ExportError(
            f"'{out}' already exists: choose another name or allow overwriting (--overwrite)."
        )
    parent = out.parent
    if not parent.is_dir():
        raise ExportError(f"Cannot export to '{out}': the folder '{parent}' does not exist.")


def _write_atomic(out: Path, write: Callable[[BinaryIO], None], *, overwrite: bool) -> None:
    """Call ``write(file)`` on a temporary beside ``out``, then rename it to ``out``.

    :func:`~bci_desktop.core.atomic.atomic_write`: an unguessable temporary created
    exclusively, synced, its size on disk checked against what was written; any error
    removes it and leaves ``out`` as it was.
    """
    try:
        with atomic_write(out, overwrite=overwrite) as fh:
            write(fh)
    except FileExistsError as exc:
        raise ExportError(
            f"'{out}' already exists: choose another name or allow overwriting (--overwrite)."
        ) from exc
    except OSError as exc:
        raise ExportError(
            f"Cannot write '{out}': {exc.strerror or exc}. Check that the folder is writable "
            f"and the disk has room."
        ) from exc


def merged_markers(session: SessionData) -> tuple[Marker, ...]:
    """Every marker of a session, in sample order, with its text when it has one.

    Markers come from the marker row of the samples and from ``markers.csv``; a line of
    ``markers.csv`` whose sample already carries that value in the marker row is the same
    marker, not a second one (its text is kept). A line with no such value in the row (a
    marker that arrived from another program after its sample was written) is a marker of
    its own. Markers outside the recorded samples are dropped.
    """
    meta, n = session.meta, session.n_samples
    fs = meta.sample_rate
    row = np.asarray(session.samples[meta.marker_row]) if n else np.zeros(0)
    found: dict[int, tuple[float, str]] = {}
    for i in np.flatnonzero(np.isfinite(row) & (row != 0)):
        found[int(i)] = (float(row[i]), "")
    ts = session.timestamps if n else np.zeros(0)
    for m in session.markers:
        i = m.sample
        if not 0 <= i < n:
            continue
        if m.value == 0:
            continue
        here = found.get(i)
        if here is not None and here[0] == m.value:
            found[i] = (m.value, here[1] or m.text)
            continue
        while i in found and i + 1 < n:  # two markers on one sample: the next free one
            i += 1
        found.setdefault(i, (m.value, m.text))
    return tuple(
        Marker(float(ts[i]) if n else i / fs, i, found[i][0], found[i][1]) for i in sorted(found)
    )


def sample_of(item: Mapping[str, Any], session: SessionData) -> int | None:
    """Index of the sample a prediction or event refers to, ``None`` if outside the data.

    Uses the record's ``"sample"`` when present, else finds its time ``"t"`` among the
    session's timestamps.
    """
    n = session.n_samples
    raw = item.get("sample")
    if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
        i = int(raw)
    else:
        t = item.get("t")
        if not isinstance(t, int | float) or isinstance(t, bool) or not math.isfinite(t) or n == 0:
            return None
        ts = np.asarray(session.timestamps)
        i = min(int(np.searchsorted(ts, float(t), side="left")), n - 1)
    return i if 0 <= i < n else None
