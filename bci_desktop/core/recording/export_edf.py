"""Write a session as EDF+ (16 bit) or BDF+ (24 bit) with edfio, which MNE uses for its export.

Layout of the file:

- one signal per EEG row, labelled with the channel name as recorded (``"Fz"``, so MNE's
  channel names equal ours), physical dimension ``uV``, physical range = the channel's
  actual range plus a 1 % margin (a flat channel gets +-1 uV around its value), digital
  range the full range of the bit depth;
- optionally (``all_rows``) the board's other rows with their units;
- an EDF+ annotation signal, with what was asked for (markers and events by default):
  ``Marker <value>`` at every marker (its text, for a marker another program sent as text,
  e.g. over LSL), ``<kind>: <detail>`` for every event (gaps ...), the label (or
  ``withheld: <reason>``) of every prediction at its window's last sample; and
  ``BAD_padding`` over the padding, if any;
- data records that hold exactly the recorded samples: 1 s when the session is a whole
  number of seconds, else the record length closest to 1 s that divides the sample count
  (:func:`~bci_desktop.core.recording.edf_records.exact_records`: 10503 samples at 250 Hz
  are 27 records of 1.556 s). Only when no such length exists (a prime number of samples)
  is the last 1 s record padded by repeating each signal's last value, and the padded
  stretch annotated ``BAD_padding`` (MNE skips ``BAD_`` segments when epoching, and
  :class:`~bci_desktop.core.sources.replay.ReplaySource` drops it).
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import re
import unicodedata
from fractions import Fraction
from typing import Any, BinaryIO

import numpy as np
from edfio import Bdf, BdfSignal, Edf, EdfAnnotation, EdfSignal, Patient, Recording

import bci_desktop
from bci_desktop.core.recording.edf_records import exact_records
from bci_desktop.core.recording.export import (
    DEFAULT_ANNOTATIONS,
    PADDING_ANNOTATION,
    AnnotationKind,
    ExportError,
    merged_markers,
    sample_of,
)
from bci_desktop.core.recording.session import SessionData

logger = logging.getLogger(__name__)

__all__ = ["PADDING_ANNOTATION", "edf_annotations", "record_layout", "write_edf"]

#: Rows never written as signals (their content is in the annotations or implicit).
_SKIPPED_KINDS = ("timestamp", "marker", "truth")
_LABEL_LEN = 16
_DIM_LEN = 8
_MARGIN = 0.01


def record_layout(n_samples: int, sample_rate: float) -> tuple[float, int, int]:
    """Return ``(record_duration_s, samples_per_record, n_written)`` for a signal.

    Records hold one second (or, for a rate that is not a whole number, the shortest whole
    number of seconds holding whole samples). ``n_written`` is ``n_samples`` rounded up to
    whole records: the difference is padding.
    """
    frac = Fraction(sample_rate).limit_denominator(1000)
    if not math.isclose(float(frac), sample_rate, rel_tol=0.0, abs_tol=1e-9):
        raise ExportError(
            f"Cannot write EDF/BDF at {sample_rate} Hz: the rate must be a fraction with a "
            f"small denominator so that records hold whole samples."
        )
    duration = frac.denominator
    per_record = frac.numerator
    if per_record < 1:
        raise ExportError(
            f"Cannot write EDF/BDF at {sample_rate} Hz: a data record of {duration} s would "
            "hold no sample."
        )
    n_records = max(1, math.ceil(n_samples / per_record))
    return float(duration), per_record, n_records * per_record


def _ascii(text: str, *, spaces: bool) -> str:
    """Printable ASCII form of ``text`` (accents stripped, other characters as ``?``)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("µ", "u").replace("μ", "u")
    text = "".join(c if 32 <= ord(c) < 127 else "?" for c in text)
    if not spaces:
        text = re.sub(r"\s+", "_", text.strip())
    return text


def _subfield(text: str, limit: int) -> str:
    """An EDF+ header subfield: ASCII, no spaces, ``X`` when unknown."""
    value = _ascii(text, spaces=False)[:limit]
    return value or "X"


def _labels(names: list[str]) -> list[str]:
    """Unique EDF labels of at most 16 ASCII characters."""
    out: list[str] = []
    for name in names:
        label = _ascii(name, spaces=True).strip()[:_LABEL_LEN] or "Signal"
        k = 2
        while label in out:
            tag = f"~{k}"
            label = label[: _LABEL_LEN - len(tag)] + tag
            k += 1
        out.append(label)
    return out


def _start(started: str) -> datetime.datetime:
    """The session's start, to the second, as the wall-clock time it was recorded in (EDF
    has no time zone)."""
    try:
        dt = datetime.datetime.fromisoformat(started)
    except ValueError as exc:
        raise ExportError(
            f"The session's start time {started!r} is not an ISO 8601 date and time."
        ) from exc
    if not 1985 <= dt.year <= 2084:
        raise ExportError(f"EDF can only store dates from 1985 to 2084, not {dt.date()}.")
    # Whole seconds: edfio writes a sub-second start into the record timestamps in a way
    # that makes the file look discontinuous (EDF+D) to strict readers, and MNE drops it.
    return dt.replace(tzinfo=None, microsecond=0)


def physical_range(values: np.ndarray) -> tuple[float, float]:
    """The channel's range with a margin (a flat channel still gets a range)."""
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo
    margin = max(_MARGIN * span, 1e-6 * max(abs(lo), abs(hi)))
    if margin == 0.0:
        margin = 1.0
    return lo - margin, hi + margin


def _text(value: Any) -> str:
    """Annotation text: no EDF+ separator characters, no line breaks."""
    if not isinstance(value, str):
        value = json.dumps(value, separators=(",", ":"))
    return re.sub(r"[\x00-\x1f]+", " ", value).strip()


def edf_annotations(
    session: SessionData,
    n_written: int | None = None,
    kinds: frozenset[AnnotationKind] = DEFAULT_ANNOTATIONS,
) -> list[EdfAnnotation]:
    """The markers, events and predictions (those of ``kinds``) of a session as EDF+
    annotations, and the padding (always, when there is some).

    Onsets are sample indices divided by the sample rate, so each lands on its sample.
    """
    fs = session.meta.sample_rate
    n = session.n_samples
    out = []
    if AnnotationKind.MARKERS in kinds:
        out += [
            EdfAnnotation(m.sample / fs, None, _text(m.label)) for m in merged_markers(session)
        ]
    dropped = 0
    predictions = session.predictions if AnnotationKind.PREDICTIONS in kinds else ()
    events = session.events if AnnotationKind.EVENTS in kinds else ()
    for pred in predictions:
        i = sample_of(pred, session)
        if i is None:
            dropped += 1
            continue
        label = pred.get("label")
        if label:
            text = _text(label)
        else:
            reason = pred.get("withheld")
            text = f"withheld: {_text(reason)}" if reason else "withheld"
        out.append(EdfAnnotation(i / fs, None, text))
    for event in events:
        i = sample_of(event, session)
        if i is None:
            dropped += 1
            continue
        kind = _text(event.get("kind") or "event")
        detail = event.get("detail")
        text = f"{kind}: {_text(detail)}" if detail not in (None, "", {}) else kind
        out.append(EdfAnnotation(i / fs, None, text))
    if dropped:
        logger.warning(
            "%d predictions/events lie outside the recorded samples: not exported", dropped
        )
    if n_written is not None and n_written > n:
        out.append(EdfAnnotation(n / fs, (n_written - n) / fs, PADDING_ANNOTATION))
    return out


def _signal(
    cls: type[EdfSignal] | type[BdfSignal],
    values: np.ndarray,
    fs: float,
    label: str,
    unit: str,
    n_written: int,
) -> EdfSignal | BdfSignal:
    data = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(data)
    if bad.any():
        logger.warning("%s: %d NaN/inf samples written as 0", label, int(bad.sum()))
        data = np.where(bad, 0.0, data)
    if n_written > data.size:
        data = np.pad(data, (0, n_written - data.size), mode="edge")
    try:
        return cls(
            data,
            fs,
            label=label,
            physical_dimension=_ascii(unit, spaces=False)[:_DIM_LEN],
            physical_range=physical_range(data),
        )
    except ValueError as exc:
        raise ExportError(f"Cannot write signal {label!r} to EDF/BDF: {exc}.") from exc


def write_edf(
    session: SessionData,
    fh: BinaryIO,
    *,
    bdf: bool = False,
    anonymize: bool = False,
    all_rows: bool = False,
    annotations: frozenset[AnnotationKind] = DEFAULT_ANNOTATIONS,
) -> None:
    """Write ``session`` to the binary file ``fh`` as EDF+ (or BDF+ with ``bdf=True``),
    with the ``annotations`` asked for.

    See the module docstring for the layout; :func:`~.export.export_session` is the public
    entry point (it checks the destination and writes atomically).
    """
    meta = session.meta
    fs = meta.sample_rate
    exact = exact_records(session.n_samples, fs)
    if exact is not None:
        duration, n_written = exact[0], session.n_samples
    else:
        duration, _, n_written = record_layout(session.n_samples, fs)
    rows = list(meta.eeg_rows)
    if all_rows:
        rows += [
            i
            for i, r in enumerate(meta.rows)
            if i not in meta.eeg_rows
            and r.kind not in _SKIPPED_KINDS
            and i not in (meta.timestamp_row, meta.marker_row, meta.truth_row)
        ]
    labels = _labels([meta.rows[i].name for i in rows])
    cls = BdfSignal if bdf else EdfSignal
    units = ["uV" if i in meta.eeg_rows else meta.rows[i].unit for i in rows]
    signals = [
        _signal(cls, session.samples[i], fs, label, unit, n_written)
        for i, label, unit in zip(rows, labels, units, strict=True)
    ]

    start = _start(meta.started)
    version = meta.app_version or bci_desktop.__version__
    patient = Patient(code="X" if anonymize else _subfield(meta.subject, 40))
    recording = Recording(
        startdate=start.date(),
        equipment_code=_subfield(meta.source_name, 24),
        additional=(f"BCI_Desktop_{_subfield(version, 12)}",),
    )
    container = Bdf if bdf else Edf
    try:
        edf = container(
            signals,  # type: ignore[arg-type]
            patient=patient,
            recording=recording,
            starttime=start.time(),
            data_record_duration=duration,
            annotations=edf_annotations(session, n_written, annotations),
        )
        edf.write(fh)
    except ValueError as exc:
        raise ExportError(
            f"Cannot write the session as {'BDF' if bdf else 'EDF'}: {exc}."
        ) from exc
    logger.debug(
        "Wrote %s: %d signals, %d samples (+%d padding), %g s records",
        "BDF+" if bdf else "EDF+",
        len(signals),
        session.n_samples,
        n_written - session.n_samples,
        duration,
    )
