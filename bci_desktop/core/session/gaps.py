"""Counting breaks in a stream: one counter whose number the status, the recording and the
command line's summary all show.

A gap is

- a chunk marked ``gap_before`` (the supervisor lost the device and reconnected);
- else, on boards whose package counter steps by one per sample (BrainFlow's synthetic
  board, the OpenBCI Cyton...), a counter that skips;
- else a step between two timestamps longer than :data:`MIN_GAP_S` and
  :data:`MIN_GAP_PERIODS` sample periods. BrainFlow stamps samples when their packet
  arrives, so on a healthy synthetic board at 250 Hz steps reach 16 ms (4 periods); counting
  any step over 2.5 periods, as the first version did, counted 30 gaps in 2 minutes of a
  stream that had lost nothing.

Whether a package counter steps by one is learnt from the stream itself (the first
:data:`LEARN_STEPS` steps): some boards number packets, not samples, and their counters
would otherwise look like a gap on every packet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bci_desktop.core.stream import Chunk, StreamInfo

__all__ = ["LEARN_STEPS", "MIN_GAP_PERIODS", "MIN_GAP_S", "Gap", "GapCounter"]

#: A timestamp step counts as a gap only if it is longer than this (s) ...
MIN_GAP_S = 0.25
#: ... and longer than this many sample periods.
MIN_GAP_PERIODS = 10
#: Steps of the package counter looked at before trusting it.
LEARN_STEPS = 200
#: Share of those steps that must be exactly 1 to count gaps from the counter.
_PER_SAMPLE_SHARE = 0.98


@dataclass(frozen=True)
class Gap:
    """One break in the stream, just before ``t``.

    Attributes
    ----------
    t : float
        Time stamp of the first sample after the gap.
    dropped : int
        Samples missing (estimated from the time stamps when the counter cannot say).
    seconds : float
        Time without samples (NaN when the time stamps do not say).
    reason : str
        ``"reconnected"``, ``"package counter"``, ``"timestamps"``, or why a gap was
        expected (:meth:`GapCounter.continue_from`).
    """

    t: float
    dropped: int
    seconds: float
    reason: str

    def describe(self) -> str:
        """One line for the recording's ``gap`` event and the log."""
        if not np.isfinite(self.seconds) and self.dropped == 0:
            return f"samples missing, how many is not known ({self.reason})"
        parts = []
        if np.isfinite(self.seconds):
            parts.append(f"{self.seconds:.3f} s without samples")
        parts.append(f"{self.dropped} samples missing")
        return f"{', '.join(parts)} (from the {self.reason})"


class GapCounter:
    """Count gaps in a stream, chunk by chunk (the thread that reads the source owns it).

    Parameters
    ----------
    info : StreamInfo
        The stream: its sample rate, and the row of its package counter in
        :attr:`Chunk.board_data` if it has one (``info.package_row``).

    Attributes
    ----------
    gaps : int
        Gaps counted so far.
    dropped : int
        Samples they are missing.
    """

    def __init__(self, info: StreamInfo) -> None:
        self.period = 1.0 / float(info.sample_rate)
        self.limit_s = max(MIN_GAP_S, MIN_GAP_PERIODS * self.period)
        self.package_row = info.package_row
        self.gaps = 0
        self.dropped = 0
        self._last_t: float | None = None
        self._last_count: float | None = None
        self._max_count = -np.inf
        self._min_count = np.inf
        self._steps_seen = 0
        self._steps_one = 0
        self._counter_trusted = False
        self._expected: str | None = None

    @property
    def uses_package_counter(self) -> bool:
        """True once the board's package counter proved to step by one per sample."""
        return self._counter_trusted

    def restart(self) -> None:
        """The stream jumps on purpose (a replay seek): the next chunk is not a gap."""
        self._last_t = None
        self._last_count = None

    def continue_from(self, gaps: int, dropped: int, reason: str) -> None:
        """Carry the counts of an earlier run of the same stream, whose end was lost
        (the acquisition process restarted): the next chunk counts as one more gap."""
        self.gaps, self.dropped = int(gaps), int(dropped)
        self._expected = reason

    def add(self, chunk: Chunk) -> Gap | None:
        """Look at the next chunk; return the gap before or inside it, if there is one.

        Several breaks inside one chunk count as one gap each but are returned as one
        (their sum), placed at the first.
        """
        ts = np.asarray(chunk.timestamps, dtype=np.float64)
        if ts.size == 0:
            return None
        counts = self._counts(chunk)
        if counts is not None:
            self._max_count = max(self._max_count, float(counts.max()))
            self._min_count = min(self._min_count, float(counts.min()))
        gap = None
        if self._expected is not None:
            gap = self._found(1, 0, float(ts[0]), float("nan"), self._expected)
            self._expected = None
        elif chunk.gap_before and self._last_t is not None:
            seconds = float(ts[0]) - self._last_t
            dropped = max(0, round(seconds / self.period) - 1) if np.isfinite(seconds) else 0
            gap = self._found(1, dropped, float(ts[0]), seconds, "reconnected")
            self._last_count = None  # a new connection numbers afresh
        elif counts is not None and self._counter_trusted:
            gap = self._from_counter(counts, ts)
        else:
            gap = self._from_timestamps(ts)
        if counts is not None:
            self._learn(counts)
            self._last_count = float(counts[-1])
        self._last_t = float(ts[-1])
        return gap

    # -- the three ways ----------------------------------------------------------------
    def _counts(self, chunk: Chunk) -> np.ndarray | None:
        row = self.package_row
        data = chunk.board_data
        if row is None or data is None or row >= data.shape[0]:
            return None
        counts = np.asarray(data[row], dtype=np.float64)
        return counts if np.isfinite(counts).all() else None

    def _from_counter(self, counts: np.ndarray, ts: np.ndarray) -> Gap | None:
        joined = self._last_count is not None
        seq = np.concatenate(([self._last_count], counts)) if joined else counts
        steps = np.diff(seq)
        # A counter that falls has wrapped: from its largest value back to its smallest.
        span = self._max_count - self._min_count + 1
        missing = np.where(steps < 0, steps + span, steps) - 1
        where = np.flatnonzero(missing != 0)
        if where.size == 0:
            return None
        dropped = int(np.clip(missing[where], 0, None).sum())
        after = int(where[0]) + (0 if joined else 1)  # index in ``ts`` of the first sample after
        before = float(ts[after - 1]) if after > 0 else self._last_t
        seconds = float(ts[after]) - before if before is not None else float("nan")
        return self._found(int(where.size), dropped, float(ts[after]), seconds, "package counter")

    def _from_timestamps(self, ts: np.ndarray) -> Gap | None:
        seq = ts if self._last_t is None else np.concatenate(([self._last_t], ts))
        steps = np.diff(seq)
        big = np.flatnonzero(steps > self.limit_s)
        if big.size == 0:
            return None
        dropped = int(np.sum(np.round(steps[big] / self.period) - 1))
        first = int(big[0])
        t = float(seq[first + 1])
        return self._found(int(big.size), dropped, t, float(np.sum(steps[big])), "timestamps")

    def _found(self, n: int, dropped: int, t: float, seconds: float, reason: str) -> Gap:
        self.gaps += n
        self.dropped += dropped
        return Gap(t, dropped, seconds, reason)

    def _learn(self, counts: np.ndarray) -> None:
        if self._counter_trusted or self._steps_seen >= LEARN_STEPS:
            return
        seq = counts if self._last_count is None else np.concatenate(([self._last_count], counts))
        steps = np.diff(seq)
        rising = steps[steps >= 0]  # a wrap says nothing about the step size
        self._steps_seen += int(steps.size)
        self._steps_one += int(np.count_nonzero(rising == 1))
        if self._steps_seen >= LEARN_STEPS:
            share = self._steps_one / self._steps_seen
            self._counter_trusted = share >= _PER_SAMPLE_SHARE
