"""The app's own LSL outlets: the raw EEG, the predictions and the markers it sees.

Off by default (``--lsl`` on the command line, Stream > Publish on LSL in the window). A
:class:`LslOutlets` is made by the stream session when a stream starts, on the thread that
drives the session, and fed from the session's chunk and update path, like the recording:

- **EEG** (type ``EEG``, the stream's nominal rate, ``float32``): every raw sample of the
  EEG channels, in microvolts, with ``desc/channels/channel/{label,type,unit}``; its time
  stamps are the source's, mapped to this machine's LSL clock (each chunk is pushed with
  the time stamp of its last sample; liblsl spaces the others at the nominal rate). A
  replay is stamped as it is played.
- **Predictions** (type ``Predictions``, irregular, ``float32``): one sample per
  prediction, at the LSL time of the window's last sample: the probability of each class,
  the confidence, the per-inference latency (ms) and the latency from the sample's time
  stamp at its source (ms, NaN when unknown); a withheld prediction has NaN probabilities.
  The class names, the model and the column meanings are in ``desc``. A model with other
  classes gets a new outlet (its source id names the classes).
- **Markers** (type ``Markers``, irregular, ``cf_string``): every marker of the stream
  (keys 1-9, the board's marker channel, a replayed recording's markers), as text.

Names are fixed (``BCI-Desktop-EEG``, ``BCI-Desktop-Predictions``, ``BCI-Desktop-Markers``)
and source ids are ``bci-desktop@<host>/<source>/<kind>``, the same after a restart, so
LabRecorder finds the streams again by itself. The cost per chunk is measured by
``benchmarks/lsl_outlets.py`` (docs/lsl.md).
"""

from __future__ import annotations

import hashlib
import logging
import math
from typing import Any

import numpy as np

from bci_desktop import __version__
from bci_desktop.core.lsl.clock import LslClock
from bci_desktop.core.lsl.discovery import own_source_id, published_here
from bci_desktop.core.lsl.library import pylsl_module
from bci_desktop.core.prediction import EngineUpdate, Prediction
from bci_desktop.core.stream import Chunk, StreamInfo

__all__ = ["EEG_NAME", "MARKERS_NAME", "PREDICTIONS_NAME", "LslOutlets", "marker_text"]

logger = logging.getLogger(__name__)

EEG_NAME, PREDICTIONS_NAME, MARKERS_NAME = (
    "BCI-Desktop-EEG",
    "BCI-Desktop-Predictions",
    "BCI-Desktop-Markers",
)
#: Columns of the predictions outlet after the class probabilities.
PREDICTION_EXTRAS = (
    ("confidence", "probability", ""),
    ("latency", "latency", "ms"),
    ("source_latency", "latency", "ms"),
)


def marker_text(value: float, text: str = "") -> str:
    """What the marker outlet sends for a marker: its text, else its number (``"3"``)."""
    if text:
        return text
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class LslOutlets:
    """The three outlets of one stream.

    Parameters
    ----------
    info : StreamInfo
        The stream (its EEG channels and rate, its name for the source ids).
    clock : LslClock
        The session's mapping between stream time and LSL time.
    live : bool
        True when the stream's time stamps are now (a device, an LSL stream, the simulated
        subject); False for a replay, whose old time stamps are replaced by the time of
        sending.

    Raises
    ------
    SourceError
        If liblsl cannot be loaded.
    """

    def __init__(self, info: StreamInfo, clock: LslClock, *, live: bool = True) -> None:
        self._pylsl = pylsl = pylsl_module()
        self._clock = clock
        self._live = live
        self._source = info.source_name
        self._rate = float(info.sample_rate)
        self._ids: list[str] = []
        eeg = pylsl.StreamInfo(
            EEG_NAME, "EEG", info.n_channels, float(info.sample_rate), pylsl.cf_float32,
            self._own_id("eeg"),
        )  # fmt: skip
        eeg.set_channel_labels(list(info.channel_names))
        eeg.set_channel_types(["EEG"] * info.n_channels)
        eeg.set_channel_units(["microvolts"] * info.n_channels)
        self._describe(eeg, info)
        self._eeg = pylsl.StreamOutlet(eeg, chunk_size=0, max_buffered=60)
        markers = pylsl.StreamInfo(
            MARKERS_NAME, "Markers", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string,
            self._own_id("markers"),
        )  # fmt: skip
        markers.set_channel_labels(["Marker"])
        markers.set_channel_types(["Marker"])
        self._describe(markers, info)
        self._markers = pylsl.StreamOutlet(markers)
        self._predictions: Any = None
        self._classes: tuple[str, ...] | None = None
        self._model = ""
        self._row = np.empty(0, dtype=np.float32)
        self.samples = 0
        self.predictions = 0
        self.markers = 0
        logger.info("Publishing %s on LSL (%s, %s)", self._source, EEG_NAME, MARKERS_NAME)

    def _own_id(self, kind: str) -> str:
        source_id = own_source_id(self._source, kind)
        published_here(source_id, True)
        self._ids.append(source_id)
        return source_id

    def _describe(self, stream: Any, info: StreamInfo) -> None:
        desc = stream.desc()
        desc.append_child_value("manufacturer", "BCI Desktop")
        desc.append_child_value("app_version", __version__)
        desc.append_child_value("source", info.source_name)

    # -- feeding -----------------------------------------------------------------------------
    def push_chunk(self, chunk: Chunk) -> None:
        """Send a raw chunk (EEG, and its markers), as the source delivered it."""
        n = chunk.n_samples
        if n == 0:
            return
        stamp = self._clock.to_lsl(float(chunk.timestamps[-1])) if self._live else 0.0
        self._eeg.push_chunk(np.ascontiguousarray(chunk.eeg.T, dtype=np.float32), stamp)
        self.samples += n
        marks = np.flatnonzero(chunk.markers)
        if marks.size:
            self._push_markers(chunk, marks)

    def _push_markers(self, chunk: Chunk, marks: np.ndarray) -> None:
        texts = {m.index: m.text for m in chunk.marker_texts}
        period = 1.0 / self._rate
        last = chunk.n_samples - 1
        for i in marks:
            i = int(i)
            if self._live:
                stamp = self._clock.to_lsl(float(chunk.timestamps[i]))
            else:
                stamp = self._clock.lsl_now() - (last - i) * period
            self._markers.push_sample([marker_text(float(chunk.markers[i]), texts.get(i, ""))],
                                      stamp)  # fmt: skip
            self.markers += 1

    def push_update(self, update: EngineUpdate) -> None:
        """Send the predictions of an engine update."""
        for p in update.predictions:
            self._push_prediction(p)

    def _push_prediction(self, p: Prediction) -> None:
        if p.classes != self._classes:
            self._open_predictions(p)
        row = self._row
        k = len(p.classes)
        if p.probabilities is None:
            row[: k + 1] = np.nan
        else:
            row[:k] = p.probabilities
            row[k] = p.confidence
        row[k + 1] = p.latency_ms
        source = p.source_latency_ms
        row[k + 2] = math.nan if source is None else source
        if self._live and math.isfinite(p.t):
            stamp = self._clock.to_lsl(p.t)
        else:
            stamp = self._clock.lsl_now()
        self._predictions.push_sample(row, stamp)
        self.predictions += 1

    def _open_predictions(self, p: Prediction) -> None:
        pylsl = self._pylsl
        if self._predictions is not None:
            logger.info("The classes changed: a new predictions outlet for %s", p.model)
            self._close_one("predictions")
        classes = tuple(p.classes)
        digest = hashlib.sha1("|".join(classes).encode()).hexdigest()[:8]
        info = pylsl.StreamInfo(
            PREDICTIONS_NAME, "Predictions", len(classes) + len(PREDICTION_EXTRAS),
            pylsl.IRREGULAR_RATE, pylsl.cf_float32, self._own_id(f"predictions-{digest}"),
        )  # fmt: skip
        info.set_channel_labels([*classes, *(e[0] for e in PREDICTION_EXTRAS)])
        info.set_channel_types(["probability"] * len(classes) + [e[1] for e in PREDICTION_EXTRAS])
        info.set_channel_units([""] * len(classes) + [e[2] for e in PREDICTION_EXTRAS])
        desc = info.desc()
        desc.append_child_value("manufacturer", "BCI Desktop")
        desc.append_child_value("app_version", __version__)
        desc.append_child_value("source", self._source)
        desc.append_child_value("model", p.model or "")
        node = desc.append_child("classes")
        for c in classes:
            node.append_child_value("class", c)
        desc.append_child_value(
            "columns",
            "one probability per class, then confidence (probability of the label), latency "
            "(ms, window's last sample in the app to prediction) and source_latency (ms, "
            "sample's time stamp at its source to prediction; NaN when unknown); a withheld "
            "prediction has NaN probabilities and confidence",
        )
        self._predictions = pylsl.StreamOutlet(info)
        self._classes = classes
        self._row = np.empty(len(classes) + len(PREDICTION_EXTRAS), dtype=np.float32)

    # -- closing -----------------------------------------------------------------------------
    def _close_one(self, kind: str) -> None:
        if kind == "predictions":
            self._predictions = None
            for source_id in [i for i in self._ids if "/predictions-" in i]:
                published_here(source_id, False)
                self._ids.remove(source_id)

    def close(self) -> None:
        """Stop publishing (on the thread that made the outlets). Safe to call twice."""
        self._eeg = self._markers = self._predictions = None
        for source_id in self._ids:
            published_here(source_id, False)
        self._ids = []
