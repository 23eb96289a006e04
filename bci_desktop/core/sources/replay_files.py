"""Read a recording for replay: a session folder, a BrainFlow CSV file, an EDF/BDF file, or
an XDF file (read in :mod:`.replay_xdf`).

:func:`load_recording` returns a :class:`Recording`: the stream's description plus the
arrays :class:`~bci_desktop.core.sources.replay.ReplaySource` hands out chunk by chunk.
Session samples stay memory-mapped; BrainFlow and EDF files are read into memory.
"""

from __future__ import annotations

import datetime
import logging
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from brainflow.board_shim import BoardIds

from bci_desktop.core.errors import BCIError, ConfigError, InputFileError, SourceError
from bci_desktop.core.limits import MAX_REPLAY_BYTES, sample_rate_problem
from bci_desktop.core.recording.export import PADDING_ANNOTATION, merged_markers
from bci_desktop.core.recording.session import read_session
from bci_desktop.core.recording.xdf import XDF_SUFFIXES
from bci_desktop.core.regular_files import file_size, open_regular
from bci_desktop.core.sources.replay_edf import EdfProblem, check_edf_header, read_edf_file
from bci_desktop.core.stream import ChannelInfo, StreamInfo

if TYPE_CHECKING:
    from edfio import Bdf, Edf

logger = logging.getLogger(__name__)

__all__ = [
    "CSV_SUFFIXES",
    "EDF_SUFFIXES",
    "Recording",
    "RecordingFileError",
    "load_recording",
    "place_markers",
]

EDF_SUFFIXES = (".edf", ".bdf")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")

_MARKER_RE = re.compile(r"^\s*marker\s+([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$", re.IGNORECASE)
# Micro, milli, volt: factor to microvolts (keys lower-case, micro signs as "u").
_VOLTS = {"uv": 1.0, "mv": 1e3, "v": 1e6, "nv": 1e-3}
# Labels of signals that carry volts but are not EEG.
_NOT_EEG = re.compile(
    r"^(ecg|ekg|emg|eog|resp|spo2|sao2|pleth|pulse|hr|temp|pos|light|snore|status|trigger|"
    r"event|ref|gnd)\b",
    re.IGNORECASE,
)


class RecordingFileError(SourceError, InputFileError):
    """A recording cannot be replayed: missing, not a regular file, truncated, corrupt, or
    declaring more than it holds. Bad input: the CLI exits with code 2."""


# numpy's loadtxt messages quote the offending text; only where it is is kept.
_NOT_A_NUMBER = re.compile(r"at row (\d+), column (\d+)")  # row from 0, column from 1
_COLUMNS_CHANGED = re.compile(r"columns changed from (\d+) to (\d+) at row (\d+)")


@dataclass(frozen=True)
class Recording:
    """A recording ready to replay.

    Attributes
    ----------
    info : StreamInfo
        What the replay delivers (EEG channels, rate, board rows, states).
    samples : ndarray, shape (n_rows, n)
        Stored rows (a session's rows, a BrainFlow file's rows, or the EDF's EEG signals).
    eeg_rows : tuple of int
        Rows of ``samples`` holding EEG in microvolts.
    timestamp_row : int or None
        Row of ``samples`` with the stream time; ``None``: ``start + i / fs``.
    start : float
        Stream time of sample 0 when there is no timestamp row (UNIX seconds).
    markers : ndarray, shape (n,)
        Marker value at every sample (0: none).
    truth : ndarray of int16, shape (n,), or None
        True state index at every sample (-1 unknown).
    board_data : bool
        Whether chunks carry ``samples`` as ``board_data`` (BrainFlow layouts).
    kind : str
        ``"session"``, ``"brainflow"``, ``"edf"``, ``"bdf"`` or ``"xdf"``.
    marker_texts : dict of int to str
        The text of the markers that have one, by sample.
    """

    info: StreamInfo
    samples: np.ndarray
    eeg_rows: tuple[int, ...]
    timestamp_row: int | None
    start: float
    markers: np.ndarray
    truth: np.ndarray | None
    board_data: bool
    kind: str
    marker_texts: dict[int, str] = field(default_factory=dict, compare=False)

    @property
    def n_samples(self) -> int:
        """Samples in the recording."""
        return int(self.markers.size)


def place_markers(markers: np.ndarray, samples: list[int], values: list[float]) -> None:
    """Put each value at its sample (or the next free one), skipping 0 and out-of-range."""
    n = markers.size
    for i, v in zip(samples, values, strict=True):
        if v == 0 or not 0 <= i < n:
            continue
        while markers[i] != 0 and i + 1 < n:
            i += 1
        if markers[i] == 0:
            markers[i] = v


def load_recording(path: str | Path, *, master_board: str | int | None = None) -> Recording:
    """Read a session folder, a BrainFlow CSV file or an EDF/BDF file.

    Parameters
    ----------
    path : str or Path
        A session folder (or its ``session.json``), a ``.csv``/``.txt``/``.tsv`` BrainFlow
        file, or a ``.edf``/``.bdf`` file.
    master_board : str, int or None
        BrainFlow files only: the board whose row layout the file follows (synthetic when
        ``None``).

    Raises
    ------
    RecordingFileError
        If the file does not exist, is not a regular file (a FIFO, a device), or cannot be
        read as what its name says (truncated, corrupt, declaring more than it holds).
    ConfigError
        If the extension is unknown or ``master_board`` is not a board.
    """
    p = Path(path).expanduser()
    if p.name == "session.json" and p.is_file():
        p = p.parent
    if not p.exists():
        raise RecordingFileError(f"Cannot replay '{p}': no such file or folder.")
    suffix = p.suffix.lower()
    if master_board is not None and (p.is_dir() or suffix not in CSV_SUFFIXES):
        logger.info("master_board applies to BrainFlow CSV files only; ignored for %s", p)
    if p.is_dir():
        return _load_session(p)
    if suffix in EDF_SUFFIXES:
        return _load_edf(p)
    if suffix in CSV_SUFFIXES:
        return _load_brainflow(p, master_board)
    if suffix in XDF_SUFFIXES:
        from bci_desktop.core.sources.replay_xdf import load_xdf_recording

        return load_xdf_recording(p)
    raise ConfigError(
        f"Cannot replay '{p.name}': unknown file type {p.suffix or '(none)'!r}. Allowed are a "
        f"session folder, {', '.join(EDF_SUFFIXES)} (EDF/BDF), {', '.join(CSV_SUFFIXES)} "
        f"(BrainFlow files) and {', '.join(XDF_SUFFIXES)} (XDF, LabRecorder's files)."
    )


# ------------------------------------------------------------------------------- sessions
def _load_session(folder: Path) -> Recording:
    try:
        session = read_session(folder)
    except (BCIError, OSError, ValueError) as exc:
        raise RecordingFileError(f"Cannot replay session '{folder}': {exc}") from exc
    meta, n = session.meta, session.n_samples
    if n == 0:
        raise RecordingFileError(f"Cannot replay session '{folder}': it holds no samples.")
    markers = np.zeros(n)
    found = merged_markers(session)
    markers[[m.sample for m in found]] = [m.value for m in found]
    truth = None
    if meta.truth_row is not None and meta.states:
        raw = np.asarray(session.samples[meta.truth_row])
        ok = np.isfinite(raw) & (raw >= 0) & (raw < len(meta.states))
        truth = np.where(ok, raw, -1).astype(np.int16)
    brainflow = meta.layout_board_id is not None
    eeg = tuple(ChannelInfo(meta.rows[i].name, "eeg", "uV") for i in meta.eeg_rows)
    info = StreamInfo(
        source_name=f"Replay of {meta.source_name} ({folder.name})",
        board_id=meta.layout_board_id,
        sample_rate=meta.sample_rate,
        eeg=eeg,
        board_rows=meta.rows if brainflow else (),
        eeg_rows=meta.eeg_rows if brainflow else (),
        timestamp_row=meta.timestamp_row if brainflow else None,
        marker_row=meta.marker_row if brainflow else None,
        states=meta.states if truth is not None else (),
        description={**meta.description, "replay_of": str(folder), "subject": meta.subject},
    )
    return Recording(
        info=info,
        samples=session.samples,
        eeg_rows=meta.eeg_rows,
        timestamp_row=meta.timestamp_row,
        start=0.0,
        markers=markers,
        truth=truth,
        board_data=brainflow,
        kind="session",
    )


# ------------------------------------------------------------------------------- BrainFlow
def read_brainflow_csv(path: Path) -> np.ndarray:
    """A file in BrainFlow's format (one sample per line, one tab-separated value per board
    row) as ``(rows, samples)`` float64, the layout ``DataFilter.read_file`` returns.

    Parsed with numpy rather than ``DataFilter.read_file``: BrainFlow 5.23's reader aborts
    the whole process (an uncaught ``std::out_of_range`` from ``stod``) on a number beyond
    double range such as ``1e999``, and reads space-separated lines as one column. Only a
    regular file is read, and no more lines than fit in
    :data:`~bci_desktop.core.limits.MAX_REPLAY_BYTES` once decoded.

    Raises
    ------
    RecordingFileError
        If the file is not a regular file, is empty, has a value that is not a number, or
        lines of different lengths; the message names the file and the line, never its
        content.
    """
    try:
        with open_regular(path) as fh:
            width = _first_line_width(fh)
            max_rows = max(1, MAX_REPLAY_BYTES // (8 * width))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
                data = np.loadtxt(
                    fh, delimiter="\t", ndmin=2, dtype=np.float64, max_rows=max_rows + 1
                )
    except ValueError as exc:
        raise RecordingFileError(
            f"Cannot read '{path.name}' as a BrainFlow file (tab-separated numbers, one "
            f"sample per line): {_where(str(exc))}."
        ) from exc
    except OSError as exc:
        raise RecordingFileError(f"Cannot read '{path.name}': {exc.strerror or exc}.") from exc
    if data.size == 0:
        raise RecordingFileError(f"Cannot replay '{path.name}': the file holds no samples.")
    if data.shape[0] > max_rows:
        raise RecordingFileError(
            f"Cannot replay '{path.name}': it holds more than {max_rows} samples, more than "
            f"fit in {MAX_REPLAY_BYTES / 1e9:.1f} GB of memory; cut it into shorter files."
        )
    return np.ascontiguousarray(data.T)


def _where(numpy_message: str) -> str:
    """What numpy found wrong, without the file content its message quotes."""
    changed = _COLUMNS_CHANGED.search(numpy_message)
    if changed:
        before, now, line = changed.groups()
        return f"the number of columns changed from {before} to {now} on line {line}"
    bad = _NOT_A_NUMBER.search(numpy_message)
    if bad:
        return f"line {int(bad.group(1)) + 1}, column {bad.group(2)} is not a number"
    return "it is not text of that form"


def _first_line_width(fh) -> int:  # type: ignore[no-untyped-def]
    """Values on the first line (at least 1); the file is rewound."""
    first = fh.readline(1 << 20)
    fh.seek(0)
    return max(1, first.count(b"\t") + 1)


def _load_brainflow(path: Path, master_board: str | int | None) -> Recording:
    from bci_desktop.core.sources.boards import PROXY_BOARDS, board_name, resolve_board
    from bci_desktop.core.sources.brainflow_source import BrainFlowSource

    board = resolve_board(BoardIds.SYNTHETIC_BOARD.value if master_board is None else master_board)
    if board in PROXY_BOARDS:
        raise ConfigError(
            f"Invalid value for the 'master_board' parameter: it names the board that recorded "
            f"the file, so it cannot be {board_name(board)!r}."
        )
    info = BrainFlowSource(board).info
    data = read_brainflow_csv(path)
    n_rows = len(info.board_rows)
    if data.shape[0] != n_rows:
        raise RecordingFileError(
            f"'{path.name}' has {data.shape[0]} values per line, but board "
            f"{board_name(board)!r} has {n_rows} rows: pass the board that recorded it as the "
            f"master board."
        )
    n = data.shape[1]
    markers = np.zeros(n)
    if info.marker_row is not None:
        row = data[info.marker_row]
        markers = np.where(np.isfinite(row), row, 0.0)
    info = replace(
        info,
        source_name=f"Replay of {path.name} ({board_name(board)})",
        description={**info.description, "replay_of": str(path)},
    )
    return Recording(
        info=info,
        samples=data,
        eeg_rows=info.eeg_rows,
        timestamp_row=info.timestamp_row,
        start=0.0,
        markers=markers,
        truth=None,
        board_data=True,
        kind="brainflow",
    )


# ------------------------------------------------------------------------------- EDF / BDF
def _unit_factor(unit: str) -> float | None:
    key = unit.strip().replace("µ", "u").replace("μ", "u").lower()
    return _VOLTS.get(key)


def _is_eeg(label: str, unit: str) -> bool:
    if label.strip().lower().startswith("eeg"):
        return True
    return _unit_factor(unit) is not None and not _NOT_EEG.match(label.strip())


def _start_datetime(edf: Edf | Bdf) -> datetime.datetime | None:
    """The file's start, read as UTC (EDF stores no time zone); ``None`` if anonymised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # edfio warns when the two date fields differ
        try:
            start = edf.startdatetime
        except ValueError:  # an anonymised ("X") or malformed date
            return None
    return start.replace(tzinfo=datetime.UTC)


def _read_edf(path: Path) -> tuple[Edf | Bdf, bool]:
    """The file read by edfio after its header was checked; (edf, is BDF)."""
    try:
        with open_regular(path) as fh:
            header = check_edf_header(fh, file_size(fh))
            return read_edf_file(fh, header), header.bdf
    except EdfProblem as exc:
        raise RecordingFileError(f"Cannot replay '{path.name}': {exc}.") from exc
    except OSError as exc:
        raise RecordingFileError(f"Cannot replay '{path.name}': {exc.strerror or exc}.") from exc


def _load_edf(path: Path) -> Recording:
    edf, bdf = _read_edf(path)
    signals = [s for s in edf.signals if _is_eeg(s.label, s.physical_dimension)]
    if not signals:
        raise RecordingFileError(
            f"Cannot replay '{path.name}': none of its signals is EEG (in uV, mV or V, or "
            f"labelled 'EEG ...'); it has {', '.join(edf.labels) or 'no signals'}."
        )
    rates = Counter(s.sampling_frequency for s in signals)
    fs = max(rates, key=lambda r: (rates[r], r))
    bad_rate = sample_rate_problem(float(fs))
    if bad_rate is not None:
        raise RecordingFileError(f"Cannot replay '{path.name}': {bad_rate}.")
    signals = [s for s in signals if s.sampling_frequency == fs]
    kept = {id(s) for s in signals}
    skipped = [s.label for s in edf.signals if id(s) not in kept]
    if skipped:
        logger.info("%s: not replayed as EEG: %s", path.name, ", ".join(skipped))
    n = edf.num_data_records * signals[0].samples_per_data_record
    try:
        anns = edf.annotations
        continuous = edf.is_continuous
    except ValueError as exc:
        raise RecordingFileError(
            f"Cannot replay '{path.name}': its annotations are invalid."
        ) from exc
    for a in anns:  # drop the padding our exporter added to fill the last record
        if a.text == PADDING_ANNOTATION and a.duration is not None:
            end = round((a.onset + a.duration) * fs)
            if abs(end - n) <= 1:
                n = min(n, round(a.onset * fs))
    eeg = np.empty((len(signals), n))
    names: list[str] = []
    for k, s in enumerate(signals):
        factor = _unit_factor(s.physical_dimension)
        eeg[k] = s.data[:n] * (1.0 if factor is None else factor)
        name = s.label.strip() or f"EEG {k + 1}"
        while name in names:
            name = f"{name}~"
        names.append(name)
    markers = np.zeros(n)
    at, values = [], []
    for a in anns:
        m = _MARKER_RE.match(a.text)
        if m is not None:
            at.append(round(a.onset * fs))
            values.append(float(m.group(1)))
    place_markers(markers, at, values)
    if not continuous:
        logger.warning("%s is discontinuous (EDF+D): replayed as if continuous", path.name)
    start_dt = _start_datetime(edf)
    kind = "bdf" if bdf else "edf"
    info = StreamInfo(
        source_name=f"Replay of {path.name}",
        board_id=None,
        sample_rate=float(fs),
        eeg=tuple(ChannelInfo(name, "eeg", "uV") for name in names),
        description={
            "replay_of": str(path),
            "format": kind.upper(),
            "patient": edf.local_patient_identification,
            "recording": edf.local_recording_identification,
            "start": None if start_dt is None else start_dt.isoformat(),
            "not_replayed": skipped,
        },
    )
    return Recording(
        info=info,
        samples=eeg,
        eeg_rows=tuple(range(len(names))),
        timestamp_row=None,
        start=0.0 if start_dt is None else start_dt.timestamp(),
        markers=markers,
        truth=None,
        board_data=False,
        kind=kind,
    )
