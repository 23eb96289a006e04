"""Real pylsl outlets for the tests: an amplifier that publishes the simulated subject's EEG
paced to the LSL clock, with a sample counter channel, and marker senders."""

from __future__ import annotations

import uuid

import numpy as np

from bci_desktop.core.lsl.library import pylsl_module
from bci_desktop.core.sources.simulated import SYNTHETIC_MONTAGE, SimulatedSubject

FS = 250.0
NAMES = tuple(SYNTHETIC_MONTAGE)


def unique(prefix: str) -> str:
    """A name no other test (or test run) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Amplifier:
    """An LSL EEG outlet: 16 EEG channels (the simulated subject, in microvolts) and a
    ``Counter`` channel (type MISC) holding each sample's number since the first one.

    ``push_due()`` sends every sample whose time (``t0 + k / FS`` on the LSL clock) has come,
    in chunks of ``chunk`` samples (bursty arrival with a large ``chunk``)."""

    def __init__(self, name: str, source_id: str, *, chunk: int = 5, seed: int = 0) -> None:
        self.pylsl = pylsl_module()
        self.name, self.source_id, self.chunk = name, source_id, chunk
        self._subject = SimulatedSubject(speed=None, seed=seed)
        self._subject.start()
        self._buffer = np.zeros((len(NAMES), 0))
        self.k = 0
        #: Fz of every sample sent (float32, as sent), by sample number.
        self.sent_fz: list[float] = []
        self.outlet = None
        self.t0 = 0.0
        self.open()

    def open(self) -> None:
        """Start (or restart) publishing, as a restarted sender does: a new outlet, same name
        and source id; the counter and the clock go on."""
        pylsl = self.pylsl
        info = pylsl.StreamInfo(self.name, "EEG", len(NAMES) + 1, FS, pylsl.cf_float32,
                                self.source_id)  # fmt: skip
        info.set_channel_labels([*NAMES, "Counter"])
        info.set_channel_types(["EEG"] * len(NAMES) + ["MISC"])
        info.set_channel_units(["microvolts"] * len(NAMES) + ["count"])
        self.outlet = pylsl.StreamOutlet(info)
        if not self.t0:
            self.t0 = pylsl.local_clock()

    def close(self) -> None:
        """Stop publishing (the sender quits)."""
        self.outlet = None

    def skip_to_now(self) -> int:
        """Drop the samples due but not sent, as an amplifier that loses data without closing
        its outlet; how many."""
        due = int((self.pylsl.local_clock() - self.t0) * FS) + 1
        skipped = max(0, due - self.k)
        self.eeg(skipped)
        self.sent_fz.extend([float("nan")] * skipped)
        self.k += skipped
        return skipped

    def time_of(self, k: int) -> float:
        """LSL time stamp of sample ``k``."""
        return self.t0 + k / FS

    def eeg(self, n: int) -> np.ndarray:
        while self._buffer.shape[1] < n:
            chunk = self._subject.read()
            self._buffer = np.hstack([self._buffer, chunk.eeg])
        out, self._buffer = self._buffer[:, :n], self._buffer[:, n:]
        return out

    def push_due(self) -> int:
        """Send the samples due now (dropped while closed: the sender is not running)."""
        due = int((self.pylsl.local_clock() - self.t0) * FS) + 1
        sent = 0
        while due - self.k >= self.chunk:
            n = self.chunk
            data = np.vstack([self.eeg(n), np.arange(self.k, self.k + n)[None, :]])
            stamps = [self.time_of(k) for k in range(self.k, self.k + n)]
            self.sent_fz.extend(np.float32(data[0]).tolist())
            if self.outlet is not None:
                self.outlet.push_chunk(np.ascontiguousarray(data.T, dtype=np.float32), stamps)
                sent += n
            self.k += n
        return sent


def marker_outlet(name: str, source_id: str, *, numeric: bool = False):
    """A PsychoPy-style marker outlet (text, or int32 when ``numeric``)."""
    pylsl = pylsl_module()
    fmt = pylsl.cf_int32 if numeric else pylsl.cf_string
    info = pylsl.StreamInfo(name, "Markers", 1, pylsl.IRREGULAR_RATE, fmt, source_id)
    return pylsl.StreamOutlet(info)
