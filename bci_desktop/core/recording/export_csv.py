"""Write a session as a BrainFlow data file, or its predictions as CSV.

BrainFlow's file format (``DataFilter.write_file``) is tab-separated text, one line per
sample, one column per board row, six decimals. Its ``read_file`` and its playback-file board
(with ``master_board`` = the board whose row layout the file follows) read it back.

- Sessions recorded from a BrainFlow board are written row for row in that board's layout
  (``layout_board_id`` in ``session.json``).
- Sessions from other sources (the simulated subject) are written in the layout of BrainFlow's
  synthetic board (32 rows; EEG in rows 1-16, timestamp in row 30, marker in row 31, every
  other row 0) when they have at most 16 EEG channels; the channel names are not stored
  (BrainFlow's format has none), and the truth row is left out (the predictions CSV has it).
- The marker row holds every marker of the session (:func:`~.export.merged_markers`); a
  marker another program sent as text keeps its number only (BrainFlow files hold numbers;
  EDF+/BDF+ keep the text).
"""

from __future__ import annotations

import csv
import io
import logging
from typing import Any, BinaryIO

import numpy as np
from brainflow.board_shim import BoardIds

from bci_desktop.core.recording.export import ExportError, merged_markers, sample_of
from bci_desktop.core.recording.session import SessionData
from bci_desktop.core.sources.boards import board_description, board_name

logger = logging.getLogger(__name__)

__all__ = ["brainflow_layout", "write_brainflow_csv", "write_predictions_csv"]

_SYNTHETIC = BoardIds.SYNTHETIC_BOARD.value
_BLOCK = 4096  # samples formatted at a time


def _rows(descr: dict[str, Any], key: str) -> list[int]:
    value = descr.get(key)
    if value is None:
        return []
    return [int(value)] if isinstance(value, int) else [int(v) for v in value]


def brainflow_layout(session: SessionData) -> tuple[int, np.ndarray]:
    """Return ``(board_id, data)``: the session's samples in a BrainFlow board's row layout.

    Raises
    ------
    ExportError
        If the session cannot be laid out as a BrainFlow board's data.
    """
    meta = session.meta
    n = session.n_samples
    board = meta.layout_board_id if meta.layout_board_id is not None else meta.board_id
    if board is not None:
        descr = board_description(board) or {}
        want = int(descr.get("num_rows", len(meta.rows)))
        if want != len(meta.rows):
            raise ExportError(
                f"Session '{session.path}' stores {len(meta.rows)} rows, but board "
                f"{board_name(board)!r} has {want}: it cannot be written as a BrainFlow file."
            )
        data = np.array(session.samples, dtype=np.float64, order="C")
        data[meta.marker_row] = _marker_row(session)
        return board, data

    descr = board_description(_SYNTHETIC) or {}
    eeg = _rows(descr, "eeg_channels")
    ts, mk = _rows(descr, "timestamp_channel"), _rows(descr, "marker_channel")
    n_eeg = len(meta.eeg_rows)
    if n_eeg > len(eeg) or not ts or not mk:
        raise ExportError(
            f"Session '{session.path}' has {n_eeg} EEG channels, but a BrainFlow file of a "
            f"non-BrainFlow source uses the synthetic board's layout, which holds at most "
            f"{len(eeg)}: export it as EDF or BDF instead."
        )
    data = np.zeros((int(descr["num_rows"]), n))
    data[eeg[:n_eeg]] = session.samples[list(meta.eeg_rows)]
    data[ts[0]] = session.samples[meta.timestamp_row]
    data[mk[0]] = _marker_row(session)
    return _SYNTHETIC, data


def _marker_row(session: SessionData) -> np.ndarray:
    """The marker row with every marker of the session (those that only ``markers.csv``
    holds too: markers another program sent after their sample was written); a text
    marker keeps its number only, BrainFlow files hold numbers."""
    row = np.zeros(session.n_samples)
    for m in merged_markers(session):
        row[m.sample] = m.value
    return row


def write_brainflow_csv(session: SessionData, fh: BinaryIO) -> None:
    """Write the session's samples in BrainFlow's file format (see the module docstring).

    Written here rather than with ``DataFilter.write_file``, which ignores write errors (on
    a full disk it leaves a short file and returns normally); the output is byte for byte
    what it writes: ``%f`` values (``nan``, ``inf`` as C prints them), tab-separated.
    """
    board, data = brainflow_layout(session)
    if not np.isfinite(data).all():
        logger.warning("NaN/inf samples are written as BrainFlow writes them ('nan', 'inf').")
    line = "\t".join(["%f"] * data.shape[0]) + "\n"
    for start in range(0, data.shape[1], _BLOCK):
        part = np.ascontiguousarray(data[:, start : start + _BLOCK].T)
        fh.write(((line * part.shape[0]) % tuple(part.ravel().tolist())).encode("ascii"))
    logger.debug("Wrote %d samples in the layout of board %s", data.shape[1], board)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_predictions_csv(session: SessionData, fh: BinaryIO) -> None:
    """One line per prediction: time, sample, label, confidence, class probabilities, latency,
    withheld reason and truth (UTF-8)."""
    classes: list[str] = []
    for pred in session.predictions:
        probs = pred.get("probabilities")
        if isinstance(probs, dict):
            classes += [str(c) for c in probs if str(c) not in classes]
    header = ["t", "sample", "label", "confidence", *[f"p_{c}" for c in classes]]
    header += ["latency_ms", "withheld", "truth"]
    text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
    try:
        out = csv.writer(text)
        out.writerow(header)
        for pred in session.predictions:
            probs = pred.get("probabilities")
            probs = probs if isinstance(probs, dict) else {}
            out.writerow(
                [
                    _cell(pred.get("t")),
                    _cell(sample_of(pred, session)),
                    _cell(pred.get("label")),
                    _cell(pred.get("confidence")),
                    *[_cell(probs.get(c)) for c in classes],
                    _cell(pred.get("latency_ms")),
                    _cell(pred.get("withheld")),
                    _cell(pred.get("truth")),
                ]
            )
    finally:
        text.flush()
        text.detach()  # the caller owns (and closes) the binary file
