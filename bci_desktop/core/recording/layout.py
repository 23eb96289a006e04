"""What a new recording stores: the rows of its sample frames, its ``session.json``, and
the lines of ``markers.csv`` (the folder format itself is :mod:`.session`).

:func:`session_layout` decides the rows of a stream's frames (BrainFlow's board rows as
delivered, or the EEG channels then time stamp, marker and true state);
:func:`session_meta` fills the :class:`~.session.SessionMeta` of a new session;
:func:`model_info` is its ``model`` entry for any classifier the engine runs.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import numpy as np

from bci_desktop import __version__
from bci_desktop.core.recording.session import SessionMeta
from bci_desktop.core.stream import ChannelInfo, StreamInfo

__all__ = [
    "MARKERS_HEADER",
    "marker_line",
    "model_info",
    "now_iso",
    "session_layout",
    "session_meta",
]

MARKERS_HEADER = b"t,sample,value,text\n"


def marker_line(t: float, sample: int, value: float, text: str = "") -> str:
    """One line of ``markers.csv``: ``t,sample,value,text``; the text is quoted as CSV
    quotes it when it holds a comma or a quote, and kept on one line."""
    text = " ".join(text.split())
    if any(c in text for c in ',"'):
        text = '"' + text.replace('"', '""') + '"'
    return f"{t!r},{sample},{value!r},{text}\n"


def now_iso() -> str:
    """The local time now, ISO 8601 with its time zone offset."""
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (numpy scalars and arrays, tuples, paths ...)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        return str(obj)

    return json.loads(json.dumps(value, default=default))


def session_layout(info: StreamInfo) -> dict[str, Any]:
    """The stored rows of a stream: the ``SessionMeta`` fields that describe a frame.

    The returned dict has ``rows``, ``eeg_rows``, ``timestamp_row``, ``marker_row``,
    ``truth_row`` and ``board`` (True when frames are BrainFlow's ``board_data``).

    BrainFlow streams (``info.board_rows`` with timestamp and marker rows) store every
    board row as BrainFlow delivers it; other sources store their EEG channels, then
    ``Timestamp``, ``Marker`` and, when the source knows true states, ``Truth``.
    """
    if info.board_rows and info.timestamp_row is not None and info.marker_row is not None:
        return {
            "rows": tuple(info.board_rows),
            "eeg_rows": tuple(info.eeg_rows),
            "timestamp_row": int(info.timestamp_row),
            "marker_row": int(info.marker_row),
            "truth_row": None,
            "board": True,
        }
    n = info.n_channels
    rows = [*info.eeg, ChannelInfo("Timestamp", "timestamp", "s")]
    rows.append(ChannelInfo("Marker", "marker", ""))
    if info.states:
        rows.append(ChannelInfo("Truth", "truth", ""))
    return {
        "rows": tuple(rows),
        "eeg_rows": tuple(range(n)),
        "timestamp_row": n,
        "marker_row": n + 1,
        "truth_row": n + 2 if info.states else None,
        "board": False,
    }


def session_meta(
    info: StreamInfo,
    layout: dict[str, Any],
    *,
    started_at: datetime,
    subject: str,
    notes: str,
    filters: dict[str, Any] | None,
    model: dict[str, Any] | None,
    layout_board_id: int | None,
    pid: int,
) -> SessionMeta:
    """The metadata of a new session recording ``info``'s stream in ``layout``'s rows.

    ``layout`` is :func:`session_layout`'s dict without ``board``; ``layout_board_id`` is
    the BrainFlow board whose row layout the rows follow (``None`` for other sources).
    """
    return SessionMeta(
        source_name=info.source_name,
        sample_rate=float(info.sample_rate),
        rows=layout["rows"],
        eeg_rows=layout["eeg_rows"],
        timestamp_row=layout["timestamp_row"],
        marker_row=layout["marker_row"],
        started=started_at.isoformat(timespec="milliseconds"),
        app_version=__version__,
        subject=subject,
        notes=notes,
        board_id=info.board_id,
        layout_board_id=layout_board_id,
        description=_jsonable(dict(info.description)),
        truth_row=layout["truth_row"],
        states=tuple(info.states) if layout["truth_row"] is not None else (),
        filters=_jsonable(dict(filters or {})),
        model=None if model is None else _jsonable(dict(model)),
        pid=pid,
    )


def model_info(model: Any) -> dict[str, Any] | None:
    """The ``model`` entry of ``session.json`` for any classifier the engine runs: name,
    version, and the file's sha256 and path (empty for BrainFlow's built-in models)."""
    if model is None:
        return None
    path = getattr(model, "path", None)
    return {
        "name": model.metadata.name,
        "version": model.metadata.version,
        "sha256": getattr(model, "sha256", ""),
        "path": "" if path is None else str(path),
    }
