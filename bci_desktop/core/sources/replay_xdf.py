"""An XDF file as a :class:`~bci_desktop.core.sources.replay_files.Recording` to replay: its
EEG stream, with its marker streams' markers (and their texts) on their samples (see
:mod:`bci_desktop.core.recording.xdf`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bci_desktop.core.recording.xdf import read_xdf
from bci_desktop.core.sources.replay_files import Recording, place_markers
from bci_desktop.core.stream import StreamInfo

__all__ = ["load_xdf_recording"]


def load_xdf_recording(path: Path) -> Recording:
    """Read an XDF file for replay.

    Raises
    ------
    SourceError
        If it cannot be read or holds no EEG stream.
    """
    x = read_xdf(path)
    n_eeg = len(x.channels)
    markers = np.zeros(x.n_samples)
    texts: dict[int, str] = {}
    for m in x.markers:
        i = m.sample
        while markers[i] != 0 and i + 1 < markers.size:  # two on one sample: the next one
            i += 1
        place_markers(markers, [i], [m.value])
        if markers[i] == m.value and m.text:
            texts[i] = m.text
    info = StreamInfo(
        source_name=f"Replay of {path.name} ({x.stream_name})",
        board_id=None,
        sample_rate=x.sample_rate,
        eeg=x.channels,
        description={
            "replay_of": str(path),
            "format": "XDF",
            "stream": x.stream_name,
            "source_id": x.source_id,
            "hostname": x.hostname,
            "marker_streams": list(x.marker_streams),
            "start": None if x.start is None else x.start.isoformat(),
            "not_replayed": list(x.not_used),
        },
    )
    return Recording(
        info=info,
        samples=np.vstack([x.eeg, x.timestamps[None, :]]),
        eeg_rows=tuple(range(n_eeg)),
        timestamp_row=n_eeg,
        start=0.0,
        markers=markers,
        truth=None,
        board_data=False,
        kind="xdf",
        marker_texts=texts,
    )
