"""The session folder format (version 1): what a recording is on disk, and how to read it.

A session is a folder::

    session.json        metadata (this module's SessionMeta), written atomically
    samples.f64         raw samples, little-endian float64, one frame of len(rows) values
                        per sample (sample-major), appended and flushed at least every second
    markers.csv         "t,sample,value,text" header then one line per marker (text: what
                        another program sent, e.g. "face"; empty for numbered markers)
    predictions.jsonl   one Prediction.to_dict() per line plus "sample"
    events.jsonl        {"t", "sample", "kind", "detail"} per line (gap, recording_error, ...)
    recording.lock      exists while a process records; holds its pid

Everything is append-only, so a process killed mid-recording leaves a readable folder: a
partial last frame is ignored by :func:`read_session`, and the next start finishes it.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bci_desktop.core.errors import BCIError
from bci_desktop.core.stream import ChannelInfo

logger = logging.getLogger(__name__)

FORMAT = "bci-desktop-session/1"
META_FILE = "session.json"
SAMPLES_FILE = "samples.f64"
MARKERS_FILE = "markers.csv"
PREDICTIONS_FILE = "predictions.jsonl"
EVENTS_FILE = "events.jsonl"
LOCK_FILE = "recording.lock"

STATUS_RECORDING = "recording"
STATUS_COMPLETE = "complete"
STATUS_RECOVERED = "recovered"
STATUSES = (STATUS_RECORDING, STATUS_COMPLETE, STATUS_RECOVERED)


class SessionError(BCIError):
    """A session folder is missing, unreadable or invalid."""


@dataclass(frozen=True)
class SessionMeta:
    """Contents of ``session.json``.

    ``rows`` lists every stored row (one value per row per sample frame). For BrainFlow
    boards these are all of the board's rows (``layout_board_id`` is the board whose row
    layout they follow, needed to write BrainFlow CSV files its playback board reads); for
    other sources: the EEG channels, then ``Timestamp``, ``Marker`` and, when the source
    knows the true state, ``Truth`` (index into ``states``).
    """

    source_name: str
    sample_rate: float
    rows: tuple[ChannelInfo, ...]
    eeg_rows: tuple[int, ...]
    timestamp_row: int
    marker_row: int
    started: str  # ISO 8601 with time zone
    format: str = FORMAT
    app_version: str = ""
    status: str = STATUS_RECORDING
    ended: str | None = None
    subject: str = ""
    notes: str = ""
    board_id: int | None = None
    layout_board_id: int | None = None
    description: dict[str, Any] = field(default_factory=dict)
    truth_row: int | None = None
    states: tuple[str, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] | None = None  # name, version, sha256, path
    pid: int | None = None
    n_samples: int | None = None  # set when the session is finished

    @property
    def eeg_names(self) -> tuple[str, ...]:
        """Names of the EEG rows."""
        return tuple(self.rows[i].name for i in self.eeg_rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        d = asdict(self)
        d["rows"] = [asdict(r) for r in self.rows]
        return d

    @classmethod
    def from_dict(cls, raw: Any, *, where: str = "session.json") -> SessionMeta:
        """Validate and build; :class:`SessionError` names the first problem found."""
        if not isinstance(raw, dict):
            raise SessionError(f"{where} must hold a JSON object.")
        if raw.get("format") != FORMAT:
            raise SessionError(
                f"{where} has format {raw.get('format')!r}; this app reads {FORMAT!r}."
            )
        try:
            rows = tuple(
                ChannelInfo(str(r["name"]), str(r.get("kind", "other")), str(r.get("unit", "")))
                for r in raw["rows"]
            )
            n = len(rows)
            meta = cls(
                source_name=str(raw["source_name"]),
                sample_rate=float(raw["sample_rate"]),
                rows=rows,
                eeg_rows=tuple(int(i) for i in raw["eeg_rows"]),
                timestamp_row=int(raw["timestamp_row"]),
                marker_row=int(raw["marker_row"]),
                started=str(raw["started"]),
                app_version=str(raw.get("app_version", "")),
                status=str(raw.get("status", STATUS_RECORDING)),
                ended=None if raw.get("ended") is None else str(raw["ended"]),
                subject=str(raw.get("subject", "")),
                notes=str(raw.get("notes", "")),
                board_id=None if raw.get("board_id") is None else int(raw["board_id"]),
                layout_board_id=None
                if raw.get("layout_board_id") is None
                else int(raw["layout_board_id"]),
                description=dict(raw.get("description") or {}),
                truth_row=None if raw.get("truth_row") is None else int(raw["truth_row"]),
                states=tuple(str(s) for s in raw.get("states") or ()),
                filters=dict(raw.get("filters") or {}),
                model=None if raw.get("model") is None else dict(raw["model"]),
                pid=None if raw.get("pid") is None else int(raw["pid"]),
                n_samples=None if raw.get("n_samples") is None else int(raw["n_samples"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SessionError(f"{where} is invalid: {type(exc).__name__} {exc}.") from exc
        if not (meta.sample_rate > 0 and np.isfinite(meta.sample_rate)):
            raise SessionError(f"{where} has an invalid sample rate {meta.sample_rate}.")
        if n == 0 or not meta.eeg_rows:
            raise SessionError(f"{where} lists no rows or no EEG rows.")
        for name in ("eeg_rows", "timestamp_row", "marker_row", "truth_row"):
            value = getattr(meta, name)
            for i in value if isinstance(value, tuple) else (value,):
                if i is not None and not 0 <= i < n:
                    raise SessionError(f"{where}: {name} points outside the {n} rows.")
        if meta.status not in STATUSES:
            raise SessionError(f"{where} has an unknown status {meta.status!r}.")
        return meta


@dataclass(frozen=True)
class Marker:
    """A marker stored with a session: its time, sample, value and (markers another program
    sent as text) its text."""

    t: float
    sample: int
    value: float
    text: str = ""

    @property
    def label(self) -> str:
        """What an annotation says: the text, else ``"Marker 3"``."""
        return self.text or f"Marker {self.value:g}"


@dataclass(frozen=True)
class SessionData:
    """A session read back: metadata, samples (n_rows, n_samples) and the side files."""

    path: Path
    meta: SessionMeta
    samples: np.ndarray
    markers: tuple[Marker, ...]
    predictions: tuple[dict[str, Any], ...]
    events: tuple[dict[str, Any], ...]

    @property
    def n_samples(self) -> int:
        """Samples stored."""
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        """Recorded duration (s)."""
        return self.n_samples / self.meta.sample_rate

    @property
    def eeg(self) -> np.ndarray:
        """EEG rows, (n_eeg, n_samples), in microvolts."""
        return self.samples[list(self.meta.eeg_rows)]

    @property
    def timestamps(self) -> np.ndarray:
        """Timestamp row (s)."""
        return self.samples[self.meta.timestamp_row]


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and ``os.replace`` (never half-written)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_meta(folder: str | Path) -> SessionMeta:
    """Read and validate ``session.json`` of a session folder."""
    folder = Path(folder)
    path = folder / META_FILE
    if not path.is_file():
        raise SessionError(f"'{folder}' is not a session folder: it has no {META_FILE}.")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionError(f"Cannot read {path}: {exc}.") from exc
    return SessionMeta.from_dict(raw, where=str(path))


def _skipped(path: Path, n: int) -> None:
    if n:
        logger.warning(
            "Skipped %d unreadable line(s) of %s (a crash can cut the last one); the rest is "
            "kept.",
            n,
            path,
        )


def _jsonl(path: Path) -> tuple[dict[str, Any], ...]:
    if not path.is_file():
        return ()
    out = []
    bad = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                bad += 1  # a line cut by a crash: everything before it is kept
                continue
            if isinstance(item, dict):
                out.append(item)
            else:
                bad += 1
    _skipped(path, bad)
    return tuple(out)


def _markers(path: Path) -> tuple[Marker, ...]:
    if not path.is_file():
        return ()
    out = []
    bad = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                parts = next(csv.reader([line.rstrip("\r\n")]), [])
            except csv.Error:
                bad += 1
                continue
            if not parts or parts[:3] == ["t", "sample", "value"]:
                continue  # the header (3 columns before text markers), or an empty line
            try:
                text = parts[3] if len(parts) > 3 else ""
                out.append(Marker(float(parts[0]), int(parts[1]), float(parts[2]), text))
            except (ValueError, IndexError):
                bad += 1  # a line cut by a crash
    _skipped(path, bad)
    return tuple(out)


def read_session(folder: str | Path, *, mmap: bool = True) -> SessionData:
    """Read a session folder (complete, recovered or still being recorded).

    A partial last sample frame (a crash mid-write) is ignored.
    """
    folder = Path(folder)
    meta = read_meta(folder)
    n_rows = len(meta.rows)
    path = folder / SAMPLES_FILE
    size = path.stat().st_size if path.is_file() else 0
    n = size // (8 * n_rows)
    if n == 0:
        samples = np.zeros((n_rows, 0))
    elif mmap:
        samples = np.memmap(path, dtype="<f8", mode="r", shape=(n, n_rows)).T
    else:
        samples = np.fromfile(path, dtype="<f8", count=n * n_rows).reshape(n, n_rows).T
    return SessionData(
        path=folder,
        meta=meta,
        samples=samples,
        markers=_markers(folder / MARKERS_FILE),
        predictions=_jsonl(folder / PREDICTIONS_FILE),
        events=_jsonl(folder / EVENTS_FILE),
    )
