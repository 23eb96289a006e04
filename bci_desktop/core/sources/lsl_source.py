"""An LSL stream of EEG as a source: what a lab's amplifier software publishes.

:class:`LslSource` opens a ``pylsl.StreamInlet`` on the stream a
:class:`~bci_desktop.core.lsl.discovery.StreamQuery` names, with liblsl's clock
synchronisation, dejitter and monotonize post-processing (``processing_flags``): time
stamps arrive on this machine's LSL clock, smoothed to the stream's nominal rate, whatever
the network did to the packets. :class:`~bci_desktop.core.lsl.clock.LslClock` maps them to
stream time with one offset for the whole session.

Reading pulls everything waiting (``pull_chunk`` into a preallocated buffer, ``dest_obj``;
at most half a second per call, the rest on the next call), so bursty or irregular arrival
only changes the size of the chunks. Channel names, types and units come from the stream's
``desc/channels/channel`` metadata; channels typed ``EEG`` (or all of them when none is)
are the EEG, scaled to microvolts from their unit; the other channels are recorded too.

A stream that disappears is a lost device: liblsl's own recovery is off, a lost
connection raises :class:`~bci_desktop.core.errors.SourceError` on the next read, and the
session's supervisor reconnects with backoff (see
:mod:`bci_desktop.core.sources.reader_supervised`), building a new source from the same
query. Everything here runs on the thread that reads (pylsl's notes warn about calling it
from other threads).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from bci_desktop.core.errors import SourceError
from bci_desktop.core.lsl.channels import lsl_channels
from bci_desktop.core.lsl.clock import LslClock
from bci_desktop.core.lsl.dejitter import Dejitter
from bci_desktop.core.lsl.discovery import LslDirectory, LslStreamSummary, StreamQuery
from bci_desktop.core.lsl.library import pylsl_module
from bci_desktop.core.sources.base import Source
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo

__all__ = ["MAX_CHANNELS", "MAX_RATE_HZ", "LslSource", "channels_of"]

logger = logging.getLogger(__name__)

#: Largest stream the app takes (a hostile announcement cannot make it allocate more).
MAX_CHANNELS, MAX_RATE_HZ = 1024, 100_000.0
#: Longest a connection step (full info, opening, first clock offset) may take (s).
CONNECT_TIMEOUT_S = 3.0
#: How long a stream may take to answer a reconnection attempt (s).
RECONNECT_ANSWER_S = 0.5
#: Most stream time one read returns (s); the rest waits for the next read.
_READ_S = 0.5
#: Seconds of samples liblsl keeps for the app while it is busy.
_BUFFER_S = 30


def channels_of(info: Any, stream: LslStreamSummary) -> tuple[list[ChannelInfo], list[float]]:
    """Every channel of a full ``pylsl.StreamInfo`` (names, kinds, units) and the factor
    that turns each into microvolts (1 for channels that are not EEG)."""
    return lsl_channels(
        stream.channel_count,
        info.get_channel_labels(),
        info.get_channel_types(),
        info.get_channel_units(),
        stream.name,
    )


class LslSource(Source):
    """A regularly sampled LSL stream, read through an inlet.

    The stream is found when the source is built (its channels and rate are the source's
    :attr:`info`); :meth:`start` opens it and waits for liblsl's first clock offset.

    Parameters
    ----------
    query : StreamQuery
        Which stream.
    directory : LslDirectory
        The streams visible now (made on the reading thread, shared by reconnections).
    clock : LslClock
        The session's mapping from LSL time to stream time.
    wait_s : float
        How long to wait for the stream to appear (0: it must be visible now).
    answer_s : float
        How long the stream may take to answer (its full description, opening it): a
        stream that stopped may still be listed for a moment.

    Raises
    ------
    SourceError
        If no stream matches, it is not a signal (text, irregular rate), it is too large,
        or it cannot be opened; the message names what was found instead.
    """

    def __init__(
        self,
        query: StreamQuery,
        *,
        directory: LslDirectory,
        clock: LslClock,
        wait_s: float = 0.0,
        answer_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self._pylsl = pylsl = pylsl_module()
        self.query = query
        self._clock = clock
        found = self._resolve(directory, wait_s)
        self.stream = stream = LslStreamSummary.from_info(found)
        self._check(stream)
        inlet = pylsl.StreamInlet(
            found,
            max_buflen=_BUFFER_S,
            recover=False,  # a lost stream is the supervisor's to reconnect
            processing_flags=pylsl.proc_clocksync | pylsl.proc_monotonize,  # dejitter: below
        )
        self._answer_s = float(answer_s)
        try:
            full = inlet.info(self._answer_s)
        except (pylsl.util.TimeoutError, pylsl.util.LostError) as exc:
            raise SourceError(
                f"{self._name} did not answer ({exc}): is its sender still running?"
            ) from exc
        self._inlet: Any = inlet
        channels, factors = channels_of(full, stream)
        eeg_cols = [i for i, c in enumerate(channels) if c.kind == "eeg"]
        self._eeg_cols = np.asarray(eeg_cols, dtype=np.intp)
        self._scale = np.asarray([factors[i] for i in eeg_cols], dtype=np.float64)
        self._unscaled = bool(np.all(self._scale == 1.0))
        self._all_eeg = len(eeg_cols) == len(channels)
        fs = stream.sample_rate
        self._cap = max(64, math.ceil(_READ_S * fs))
        self._buf = np.zeros((self._cap, stream.channel_count), dtype=_dtype(stream))
        self._pending: list[float] = []
        self._dejitter = Dejitter(stream.sample_rate)
        self._started = False
        rows: tuple[ChannelInfo, ...] = ()
        if not self._all_eeg:
            rows = (*channels, ChannelInfo("Timestamp", "timestamp", "s"),
                    ChannelInfo("Marker", "marker", ""))  # fmt: skip
        n = len(channels)
        self._info = StreamInfo(
            source_name=f"LSL {stream.name}",
            board_id=None,
            sample_rate=fs,
            eeg=tuple(channels[i] for i in eeg_cols),
            board_rows=rows,
            eeg_rows=tuple(eeg_cols) if rows else (),
            timestamp_row=n if rows else None,
            marker_row=n + 1 if rows else None,
            description={"lsl": {
                "name": stream.name, "type": stream.type, "source_id": stream.source_id,
                "hostname": stream.hostname, "uid": stream.uid, "sample_rate": fs,
                "channel_format": stream.channel_format,
                "clock_offset_s": clock.offset_s,
            }},
        )  # fmt: skip

    @property
    def _name(self) -> str:
        return self.query.describe()

    def _resolve(self, directory: LslDirectory, wait_s: float) -> Any:
        deadline = time.monotonic() + max(0.0, float(wait_s))
        while True:
            hits = directory.find(self.query)
            if hits or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        if not hits:
            seen = [s.label for s in directory.streams() if s.is_signal and not s.own][:5]
            also = f" (visible: {'; '.join(seen)})" if seen else " (no signal stream is visible)"
            raise SourceError(
                f"{self._name} is not visible on the network{also}. Start its sender, or "
                "check the name; 'bci-desktop lsl' lists the streams."
            )
        if len(hits) > 1:
            logger.warning(
                "%d streams match %s; using the newest, on %s (give its source id to choose).",
                len(hits),
                self._name,
                hits[0].hostname(),
            )
        return hits[0]

    def _check(self, stream: LslStreamSummary) -> None:
        name = f"The LSL stream {stream.name!r}"
        if stream.channel_format == "string":
            raise SourceError(
                f"{name} carries text (markers?), not a signal: follow it as a marker stream "
                "instead (--lsl-markers)."
            )
        if not (0 < stream.sample_rate <= MAX_RATE_HZ):
            raise SourceError(
                f"{name} has an irregular rate ({stream.sample_rate:g} Hz announced): the app "
                f"streams regularly sampled signals only (up to {MAX_RATE_HZ:g} Hz)."
            )
        if not 1 <= stream.channel_count <= MAX_CHANNELS:
            raise SourceError(
                f"{name} announces {stream.channel_count} channels: the app takes 1 to "
                f"{MAX_CHANNELS}."
            )

    # -- Source ----------------------------------------------------------------------------
    @property
    def info(self) -> StreamInfo:
        """The stream's EEG channels, rate and (when some channels are not EEG) all rows."""
        return self._info

    def start(self) -> None:
        """Open the stream and wait for liblsl's first clock offset (up to a few seconds:
        liblsl measures the offset with several probes).

        Raises
        ------
        SourceError
            If the stream does not answer or is gone.
        """
        if self._started:
            return
        pylsl = self._pylsl
        try:
            self._inlet.open_stream(self._answer_s)
            offset = self._inlet.time_correction(CONNECT_TIMEOUT_S)
        except (pylsl.util.TimeoutError, pylsl.util.LostError) as exc:
            raise SourceError(f"{self._name} could not be opened ({exc}).") from exc
        self._started = True
        logger.info(
            "Streaming %s from %s: %d channels at %g Hz, clock offset %.3f ms",
            self.stream.name,
            self.stream.hostname,
            self.stream.channel_count,
            self.stream.sample_rate,
            offset * 1e3,
        )

    def read(self) -> Chunk | None:
        """What arrived since the last read (up to half a second of it); ``None`` if nothing.

        Raises
        ------
        SourceError
            If not started, or the stream is gone.
        """
        if not self._started or self._inlet is None:
            raise SourceError(f"{self._name} is not streaming: start it first.")
        pylsl = self._pylsl
        try:
            view, stamps = self._inlet.pull_chunk(
                0.0, self._cap, dest_obj=self._buf, as_numpy=True
            )
        except pylsl.util.LostError as exc:
            raise SourceError(f"{self._name} is gone: its sender stopped ({exc}).") from exc
        n = len(stamps)
        if n == 0:
            return None
        picked = view if self._all_eeg else view[:, self._eeg_cols]
        eeg = np.array(picked.T, dtype=np.float64, order="C")  # the chunk's own copy
        if not self._unscaled:
            eeg *= self._scale[:, None]
        timestamps = self._dejitter(stamps) + self._clock.offset_s
        markers = np.zeros(n)
        if self._pending:
            k = min(n, len(self._pending))
            markers[:k] = self._pending[:k]
            del self._pending[:k]
        board = None
        if not self._all_eeg:
            board = np.empty((len(self._info.board_rows), n))
            board[:-2] = view.T
            board[-2] = timestamps
            board[-1] = markers
        return Chunk(eeg=eeg, timestamps=timestamps, markers=markers, board_data=board)

    def _put_marker(self, value: float) -> None:
        """Put a marker on the next sample read."""
        self._pending.append(value)

    def stop(self) -> None:
        """Close the inlet (on the reading thread). Safe to call twice."""
        inlet, self._inlet = self._inlet, None
        self._started = False
        if inlet is not None:
            inlet.close_stream()
            del inlet  # liblsl destroys the inlet here, on this thread

    def __repr__(self) -> str:
        return f"<LslSource {self.stream.name!r} on {self.stream.hostname}>"


def _dtype(stream: LslStreamSummary) -> np.dtype:
    return np.dtype({"float32": np.float32, "double64": np.float64, "int32": np.int32,
                     "int16": np.int16, "int8": np.int8, "int64": np.int64}.get(
                         stream.channel_format, np.float64))  # fmt: skip
