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
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bci_desktop.core import jsonsafe
from bci_desktop.core.atomic import write_atomic
from bci_desktop.core.errors import InputFileError
from bci_desktop.core.limits import MAX_CHANNELS, sample_rate_problem
from bci_desktop.core.regular_files import open_regular, read_regular
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


#: Largest ``session.json`` read (bytes).
MAX_META_BYTES = 16 << 20
#: Longest line of a side file (markers, predictions, events) read; longer ones are skipped.
MAX_LINE_BYTES = 1 << 20


class SessionError(InputFileError):
    """A session folder is missing, unreadable or invalid (bad input: CLI exit code 2)."""


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
        bad_rate = sample_rate_problem(meta.sample_rate)
        if bad_rate is not None:
            raise SessionError(f"{where} is invalid: {bad_rate}.")
        if n > 4 * MAX_CHANNELS:
            raise SessionError(f"{where} lists {n} rows, more than {4 * MAX_CHANNELS}.")
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
    """Write JSON to ``path`` atomically (:func:`~bci_desktop.core.atomic.atomic_write`: a
    unique temporary beside it, synced, checked, renamed; mode 0600)."""
    write_atomic(path, json.dumps(data, indent=2))


def read_meta(folder: str | Path) -> SessionMeta:
    """Read and validate ``session.json`` of a session folder.

    Raises
    ------
    SessionError
        If it is missing, not a regular file, larger than :data:`MAX_META_BYTES`, not JSON,
        nested deeper than :data:`~bci_desktop.core.jsonsafe.MAX_DEPTH`, or invalid.
    """
    folder = Path(folder)
    path = folder / META_FILE
    if not os.path.lexists(path):
        raise SessionError(f"'{folder}' is not a session folder: it has no {META_FILE}.")
    try:
        raw = jsonsafe.loads(read_regular(path, max_bytes=MAX_META_BYTES))
    except FileNotFoundError as exc:
        raise SessionError(f"'{folder}' is not a session folder: it has no {META_FILE}.") from exc
    except OSError as exc:
        raise SessionError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except jsonsafe.JSONInputError as exc:
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


def side_lines(path: Path) -> Iterator[str | None]:
    """The lines of a side file (markers, predictions, events), decoded as UTF-8.

    Only a regular file is read; a line longer than :data:`MAX_LINE_BYTES` is skipped and
    given as ``None``. A missing file has no lines.

    Raises
    ------
    SessionError
        If the file is not a regular file (a FIFO, a device) or cannot be read.
    """
    if not os.path.lexists(path):
        return
    try:
        fh = open_regular(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SessionError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    with fh:
        while raw := fh.readline(MAX_LINE_BYTES + 1):
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := fh.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass  # skip the rest of an over-long line
                yield None
                continue
            yield raw.decode("utf-8", errors="replace")


def _jsonl(path: Path) -> tuple[dict[str, Any], ...]:
    out = []
    bad = 0
    for line in side_lines(path):
        if line is None:
            bad += 1
            continue
        line = line.strip()
        if not line:
            continue
        try:
            item = jsonsafe.loads(line)
        except jsonsafe.JSONInputError:
            bad += 1  # a line cut by a crash, or a hostile one: everything else is kept
            continue
        if isinstance(item, dict):
            out.append(item)
        else:
            bad += 1
    _skipped(path, bad)
    return tuple(out)


def _markers(path: Path) -> tuple[Marker, ...]:
    out = []
    bad = 0
    for line in side_lines(path):
        if line is None:
            bad += 1
            continue
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
    samples = np.zeros((n_rows, 0))
    if os.path.lexists(path):
        try:
            with open_regular(path) as fh:
                n = os.fstat(fh.fileno()).st_size // (8 * n_rows)
                if n and mmap:
                    samples = np.memmap(fh, dtype="<f8", mode="r", shape=(n, n_rows)).T
                elif n:
                    samples = np.fromfile(fh, dtype="<f8", count=n * n_rows)
                    samples = samples.reshape(n, n_rows).T
        except OSError as exc:
            raise SessionError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    return SessionData(
        path=folder,
        meta=meta,
        samples=samples,
        markers=_markers(folder / MARKERS_FILE),
        predictions=_jsonl(folder / PREDICTIONS_FILE),
        events=_jsonl(folder / EVENTS_FILE),
    )
