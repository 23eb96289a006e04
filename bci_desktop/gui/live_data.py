"""What the window shows, kept on the GUI thread.

The worker thread emits :class:`~bci_desktop.core.engine.EngineUpdate` objects; the main
window passes each to :meth:`LiveData.ingest` (cheap: copies a few samples into
preallocated rings). Panels never touch the engine: on their ~30 Hz timer they read from
here and redraw only if :attr:`LiveData.version` changed. Plain Python, no Qt.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bci_desktop.core.dsp.quality import QualityReport
from bci_desktop.core.dsp.ring_buffer import RingBuffer
from bci_desktop.core.engine import EngineUpdate, Prediction
from bci_desktop.core.session import StreamState
from bci_desktop.core.stats import RollingPercentiles
from bci_desktop.core.stream import StreamInfo
from bci_desktop.gui.freshness import Liveness, StreamClock, liveness

#: Longest time window the signal view offers (s).
MAX_DISPLAY_S = 20.0
#: How long the emotion timeline and the latency plot reach back (s).
HISTORY_S = 300.0


@dataclass(frozen=True)
class Marker:
    """A marker seen in the stream (``text``: what another program sent, e.g. ``"face"``)."""

    t: float
    value: float
    text: str = ""


class LiveData:
    """Rolling copies of the stream for the plots (GUI thread only).

    Parameters
    ----------
    wall_clock : callable
        Wall time in seconds (monotonic): when updates arrive, how old a prediction is.

    Attributes
    ----------
    origin : float or None
        Stream time that is 0 on the signal view's time axis: the first sample of the
        stream, or of the recording for a replay (kept across seeks, so the axis reads the
        recording's time).
    jumps : int
        How often the stream jumped (:meth:`jump`) since it was configured.
    state : StreamState
        The session's state as last reported (:meth:`set_state`); only ``STREAMING`` is
        live (see :mod:`bci_desktop.gui.freshness`).
    model_trained_on_simulated : bool
        The model in use is a demonstration trained on the simulated subject.
    clock : StreamClock
        When samples and predictions arrived.
    """

    def __init__(self, *, wall_clock: Callable[[], float] = time.monotonic) -> None:
        self._now = wall_clock
        self.info: StreamInfo | None = None
        self.version = 0
        self.origin: float | None = None
        self.jumps = 0
        self.state = StreamState.IDLE
        self.state_message = ""
        self._previous_state = StreamState.IDLE
        self._state_since = wall_clock()
        self.model_trained_on_simulated = False
        self.clock = StreamClock()
        self._configure_empty()

    def _configure_empty(self) -> None:
        self.raw = RingBuffer(1, 1)
        self.filtered = RingBuffer(1, 1)
        self.times = RingBuffer(1, 1)
        self.markers: deque[Marker] = deque(maxlen=2000)
        self.predictions: deque[Prediction] = deque(maxlen=4000)
        self.latency = RollingPercentiles(1200)
        #: Latency from the sample's time stamp at its source (LSL streams only).
        self.source_latency = RollingPercentiles(1200)
        self.quality: QualityReport | None = None
        self.samples_total = 0
        self.classes: tuple[str, ...] = ()

    def configure(self, info: StreamInfo) -> None:
        """Start showing a new stream (clears everything)."""
        self.info = info
        cap = max(1, int(np.ceil(MAX_DISPLAY_S * info.sample_rate)))
        n = max(1, info.n_channels)
        self._configure_empty()
        self.origin = None
        self.jumps = 0
        self.raw = RingBuffer(n, cap)
        self.filtered = RingBuffer(n, cap)
        self.times = RingBuffer(1, cap)
        self.predictions = deque(maxlen=max(100, int(HISTORY_S * 8)))
        self.clock.reset()
        self.version += 1

    def set_state(self, state: StreamState, message: str = "", now: float | None = None) -> None:
        """The session entered ``state`` (the panels redraw: :attr:`version` moves)."""
        if state is not self.state:
            self._previous_state = self.state
            self._state_since = self._now() if now is None else now
        self.state, self.state_message = state, message
        self.version += 1

    def liveness(self, now: float | None = None) -> Liveness:
        """What may be presented as current at wall time ``now`` (monotonic seconds)."""
        return liveness(
            self.state,
            self.state_message,
            previous=self._previous_state,
            had_stream=self.info is not None,
            last=self.last_prediction,
            clock=self.clock,
            state_since=self._state_since,
            now=self._now() if now is None else now,
        )

    @property
    def sample_rate(self) -> float:
        """Sample rate of the stream (0 when none)."""
        return float(self.info.sample_rate) if self.info is not None else 0.0

    @property
    def channel_names(self) -> tuple[str, ...]:
        """EEG channel names of the stream."""
        return self.info.channel_names if self.info is not None else ()

    @property
    def last_prediction(self) -> Prediction | None:
        """The newest prediction, withheld or not."""
        return self.predictions[-1] if self.predictions else None

    def ingest(self, update: EngineUpdate, now: float | None = None) -> None:
        """Copy what an engine update brought (that arrived at wall time ``now``)."""
        if self.info is None or update.raw.shape[0] != self.raw.n_channels:
            return
        n = update.n_samples
        if n:
            arrived = self._now() if now is None else now
            self.clock.samples(float(update.timestamps[-1]), arrived)
            if self.origin is None:
                self.origin = float(update.timestamps[0])
            self.raw.extend(update.raw)
            self.filtered.extend(update.filtered)
            self.times.extend(np.asarray(update.timestamps, dtype=np.float64)[None, :])
            self.samples_total += n
            marks = np.flatnonzero(update.markers)
            texts = {m.index: m.text for m in update.marker_texts}
            for i in marks:
                t, value = float(update.timestamps[i]), float(update.markers[i])
                self.markers.append(Marker(t, value, texts.get(int(i), "")))
        if update.quality is not None:
            self.quality = update.quality
        for p in update.predictions:
            self.clock.predictions(p)
            self.predictions.append(p)
            self.latency.add(p.latency_ms)
            if p.source_latency_ms is not None:
                self.source_latency.add(p.source_latency_ms)
            self.classes = p.classes
        self.version += 1

    def add_marker(self, t: float, value: float, text: str = "") -> None:
        """A marker that arrived after its sample was shown (from another program): put it
        in time order."""
        marker, markers = Marker(float(t), float(value), text), self.markers
        at = len(markers)
        while at > 0 and markers[at - 1].t > marker.t:
            at -= 1
        if len(markers) == markers.maxlen:
            if at == 0:
                return  # older than every marker kept
            markers.popleft()
            at -= 1
        markers.insert(at, marker)

    def jump(self, origin: float | None = None) -> None:
        """The stream jumped (a replay was sought): forget the samples, markers, quality
        and predictions shown, keep the stream and the time axis (``origin``, if given,
        becomes the stream time shown as 0)."""
        if self.info is None:
            return
        self.raw.clear()
        self.filtered.clear()
        self.times.clear()
        self.markers.clear()
        self.predictions.clear()
        self.quality = None
        self.clock.reset()
        if origin is not None:
            self.origin = float(origin)
        self.jumps += 1
        self.version += 1

    def window(self, seconds: float, *, filtered: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """The last ``seconds`` of signal: times (n,), samples (n_ch, n) (views; copy to keep)."""
        n = min(self.raw.size, round(seconds * self.sample_rate))
        if n <= 0:
            return np.empty(0), np.empty((self.raw.n_channels, 0))
        data = self.filtered if filtered else self.raw
        return self.times.latest(n)[0], data.latest(n)

    def predictions_since(self, t_min: float) -> list[Prediction]:
        """Predictions whose window ended at or after ``t_min``."""
        out = []
        for p in reversed(self.predictions):
            if p.t < t_min:
                break
            out.append(p)
        out.reverse()
        return out
