"""XDF files (LabRecorder's format) read for replay and export.

:func:`read_xdf` loads a file with pyxdf, synchronising the clocks of its streams
(``synchronize_clocks``, from the ClockOffset chunks LabRecorder stores), handling clock
resets and removing jitter from regularly sampled streams. It then takes

- **the EEG stream**: the longest stream typed ``EEG`` (or ``ExG``); failing that, the only
  regularly sampled numeric stream. Its channels follow LSL's ``desc/channels/channel``
  metadata (:func:`~bci_desktop.core.lsl.channels.lsl_channels`: the EEG channels, in
  microvolts);
- **the markers**: every irregular stream of text or integers (PsychoPy's, the app's own
  ``BCI-Desktop-Markers``...), each marker on the EEG sample whose time stamp is nearest; a
  text marker keeps its text and gets a negative number (-1 for the first text...), as
  markers followed live do.

Stream time is the file's (synchronised) LSL time; the file header's ``datetime`` is the
recording's start. :func:`xdf_session` gives the same content as a
:class:`~bci_desktop.core.recording.session.SessionData`, so every exporter writes XDF files
too (``bci-desktop export FILE.xdf --format edf``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bci_desktop import __version__
from bci_desktop.core.errors import SourceError
from bci_desktop.core.lsl.channels import lsl_channels
from bci_desktop.core.lsl.markers import TextCodes, marker_value
from bci_desktop.core.recording.session import (
    STATUS_COMPLETE,
    Marker,
    SessionData,
    SessionMeta,
)
from bci_desktop.core.stream import ChannelInfo

__all__ = ["XDF_SUFFIXES", "XdfRecording", "read_xdf", "xdf_session"]

logger = logging.getLogger(__name__)

XDF_SUFFIXES = (".xdf", ".xdfz")
_EEG_TYPES = ("eeg", "exg")
_NUMERIC = ("float32", "double64", "int8", "int16", "int32", "int64")
_MARKER_FORMATS = ("string", "int8", "int16", "int32", "int64")
_TIMESTAMP_ROW = ChannelInfo("Timestamp", "timestamp", "s")
_MARKER_ROW = ChannelInfo("Marker", "marker", "")


@dataclass(frozen=True)
class XdfRecording:
    """What an XDF file holds for the app.

    Attributes
    ----------
    path : Path
    stream_name, stream_type, source_id, hostname : str
        The EEG stream's header fields.
    sample_rate : float
        Its nominal rate.
    channels : tuple of ChannelInfo
        Its EEG channels.
    eeg : ndarray, shape (n_channels, n)
        EEG in microvolts.
    timestamps : ndarray, shape (n,)
        Synchronised LSL time of each sample (s).
    markers : tuple of Marker
        The marker streams' markers, on their samples.
    marker_streams : tuple of str
        Names of the streams the markers came from.
    start : datetime or None
        The file header's ``datetime``.
    not_used : tuple of str
        The other streams of the file.
    """

    path: Path
    stream_name: str
    stream_type: str
    source_id: str
    hostname: str
    sample_rate: float
    channels: tuple[ChannelInfo, ...]
    eeg: np.ndarray
    timestamps: np.ndarray
    markers: tuple[Marker, ...]
    marker_streams: tuple[str, ...]
    start: dt.datetime | None
    not_used: tuple[str, ...]

    @property
    def n_samples(self) -> int:
        """Samples of the EEG stream."""
        return int(self.timestamps.size)


def _field(info: dict[str, Any], key: str, default: str = "") -> str:
    value = info.get(key)
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return default


def _rate(info: dict[str, Any]) -> float:
    try:
        return float(_field(info, "nominal_srate", "0"))
    except ValueError:
        return 0.0


def _metadata(info: dict[str, Any]) -> tuple[list, list, list]:
    """Labels, types and units from ``desc/channels/channel``."""
    try:
        channels = info["desc"][0]["channels"][0]["channel"]
    except (KeyError, IndexError, TypeError):
        return [], [], []
    if not isinstance(channels, list):
        return [], [], []
    out: tuple[list, list, list] = ([], [], [])
    for ch in channels:
        for values, key in zip(out, ("label", "type", "unit"), strict=True):
            values.append(_field(ch, key) if isinstance(ch, dict) else "")
    return out


def _load(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    import gzip

    import pyxdf

    try:
        # Opened here, so that the file is closed whatever pyxdf raises.
        with gzip.open(path, "rb") if path.suffix.lower() == ".xdfz" else open(path, "rb") as fh:
            return pyxdf.load_xdf(
                fh,
                synchronize_clocks=True,
                handle_clock_resets=True,
                dejitter_timestamps=True,
            )
    except Exception as exc:  # pyxdf raises many kinds on a damaged file
        logger.debug("pyxdf could not read %s", path, exc_info=True)
        raise SourceError(
            f"Cannot read '{path.name}' as an XDF file: {type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:200] or 'no details'}."
        ) from exc


def _pick_eeg(path: Path, streams: list[dict[str, Any]]) -> dict[str, Any]:
    signals = [
        s
        for s in streams
        if _rate(s["info"]) > 0
        and _field(s["info"], "channel_format") in _NUMERIC
        and len(s.get("time_stamps", ())) > 0
    ]
    eeg = [s for s in signals if _field(s["info"], "type").lower() in _EEG_TYPES]
    if eeg:
        return max(eeg, key=lambda s: len(s["time_stamps"]))
    if len(signals) == 1:
        logger.info("%s: no stream is typed EEG; replaying %s", path.name,
                    _field(signals[0]["info"], "name"))  # fmt: skip
        return signals[0]
    names = ", ".join(
        f"{_field(s['info'], 'name')} ({_field(s['info'], 'type') or 'no type'})" for s in streams
    )
    raise SourceError(
        f"'{path.name}' holds no EEG stream with samples (a regularly sampled stream typed "
        f"EEG); it has {names or 'no streams'}."
    )


def _is_markers(stream: dict[str, Any]) -> bool:
    info = stream["info"]
    return _rate(info) == 0 and _field(info, "channel_format") in _MARKER_FORMATS


def _start(header: dict[str, Any]) -> dt.datetime | None:
    text = _field(header.get("info", {}), "datetime")
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def read_xdf(path: str | os.PathLike[str]) -> XdfRecording:
    """Read the EEG stream and the markers of an XDF file.

    Raises
    ------
    SourceError
        If the file cannot be read as XDF or holds no EEG stream with samples.
    """
    path = Path(path)
    streams, header = _load(path)
    chosen = _pick_eeg(path, streams)
    info = chosen["info"]
    name = _field(info, "name", "EEG")
    data = np.asarray(chosen["time_series"])
    stamps = np.asarray(chosen["time_stamps"], dtype=np.float64)
    if data.ndim != 2 or data.shape[0] != stamps.size or data.shape[1] == 0:
        raise SourceError(f"'{path.name}': the stream {name!r} has samples of shape {data.shape}.")
    channels, factors = lsl_channels(data.shape[1], *_metadata(info), stream=name)
    cols = [i for i, c in enumerate(channels) if c.kind == "eeg"]
    eeg = data[:, cols].T.astype(np.float64) * np.asarray([factors[i] for i in cols])[:, None]
    fs = _rate(info)
    codes = TextCodes()
    markers: list[Marker] = []
    sources: list[str] = []
    dropped = 0
    period = 1.0 / fs
    for s in streams:
        if s is chosen or not _is_markers(s):
            continue
        numeric = _field(s["info"], "channel_format") != "string"
        sources.append(_field(s["info"], "name"))
        for value, t in zip(s["time_series"], s["time_stamps"], strict=True):
            got = marker_value(value[0], numeric, codes) if len(value) else None
            if got is None:
                continue
            i = int(np.searchsorted(stamps, t))
            if i == stamps.size or (i > 0 and t - stamps[i - 1] <= stamps[i] - t):
                i -= 1
            if abs(stamps[i] - t) > period and not stamps[0] <= t <= stamps[-1]:
                dropped += 1
                continue
            markers.append(Marker(float(stamps[i]), i, *got))
    if dropped:
        logger.info("%s: %d marker(s) outside the EEG stream were left out", path.name, dropped)
    markers.sort(key=lambda m: m.sample)
    not_used = tuple(
        _field(s["info"], "name") for s in streams if s is not chosen and not _is_markers(s)
    )
    return XdfRecording(
        path=path,
        stream_name=name,
        stream_type=_field(info, "type"),
        source_id=_field(info, "source_id"),
        hostname=_field(info, "hostname"),
        sample_rate=fs,
        channels=tuple(channels[i] for i in cols),
        eeg=np.ascontiguousarray(eeg),
        timestamps=stamps,
        markers=tuple(markers),
        marker_streams=tuple(sources),
        start=_start(header),
        not_used=not_used,
    )


def xdf_session(path: str | os.PathLike[str]) -> SessionData:
    """An XDF file as a session (EEG, ``Timestamp`` and ``Marker`` rows; markers with their
    text), for the exporters.

    Raises
    ------
    SourceError
        As :func:`read_xdf`.
    """
    x = read_xdf(path)
    n_eeg = len(x.channels)
    marker_row = np.zeros(x.n_samples)
    for m in x.markers:
        if marker_row[m.sample] == 0:
            marker_row[m.sample] = m.value
    samples = np.vstack([x.eeg, x.timestamps[None, :], marker_row[None, :]])
    start = x.start or dt.datetime.fromtimestamp(x.path.stat().st_mtime).astimezone()
    meta = SessionMeta(
        source_name=f"{x.stream_name} (XDF)",
        sample_rate=x.sample_rate,
        rows=(*x.channels, _TIMESTAMP_ROW, _MARKER_ROW),
        eeg_rows=tuple(range(n_eeg)),
        timestamp_row=n_eeg,
        marker_row=n_eeg + 1,
        started=start.isoformat(timespec="milliseconds"),
        app_version=__version__,
        status=STATUS_COMPLETE,
        description={
            "xdf": str(x.path),
            "stream": x.stream_name,
            "source_id": x.source_id,
            "marker_streams": list(x.marker_streams),
        },
        n_samples=x.n_samples,
    )
    return SessionData(x.path, meta, samples, x.markers, (), ())
