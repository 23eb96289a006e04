"""A simulated subject: EEG-like data whose emotional state follows a script.

The signal is a plausible caricature built from markers reported in the literature (see
``docs/simulated-subject.md``), not a validated physiological model. It exists so that the
whole app (filters, quality, features, the default emotion model, recording) can be built,
trained and tested end to end with a known ground truth and without a headset.

Everything is generated in streaming fashion with carried filter states and sample-ordered
random draws, so the samples depend only on the seeds, never on how the stream is chunked.

:class:`SimulatedSubject` is the :class:`~bci_desktop.core.sources.base.Source`: it checks
its settings, paces reads on the clock and hands out the samples. What it simulates is
defined beside it: the script (:mod:`.simulated_script`), the person
(:mod:`.simulated_person`), the signal (:mod:`.simulated_signal`) and the channel sets
(:mod:`.montage`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Sequence

import numpy as np

from bci_desktop.core.errors import ConfigError, SourceError
from bci_desktop.core.limits import seed_problem, speed_problem
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.montage import MODEL_CHANNELS, SYNTHETIC_MONTAGE, montage
from bci_desktop.core.sources.participant import Cue, SelfReport
from bci_desktop.core.sources.simulated_cues import NEUTRAL, code_for, self_report
from bci_desktop.core.sources.simulated_person import Person, SubjectProfile
from bci_desktop.core.sources.simulated_script import (
    STATES,
    ScriptStep,
    default_script,
    parse_script,
    script_text,
)
from bci_desktop.core.sources.simulated_signal import SignalGenerator
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo

#: The script (:mod:`.simulated_script`), the person (:mod:`.simulated_person`) and the
#: montage (:mod:`.montage`) are defined elsewhere and still importable from here.
__all__ = [
    "MODEL_CHANNELS",
    "STATES",
    "SYNTHETIC_MONTAGE",
    "ScriptStep",
    "SimulatedSubject",
    "SubjectProfile",
    "default_script",
    "montage",
    "parse_script",
]

logger = logging.getLogger(__name__)

_MIN_SAMPLE_RATE = 32.0
_MAX_READ_S = 2.0  # a realtime read returns at most this much stream (or 0.25 s of wall time)
_BLOCK_S = 1.0  # samples are generated in blocks of this length, then handed out
_DEFAULT_PROFILE = SubjectProfile()  # frozen: one instance serves every default


def _check_channels(channels: Sequence[str] | int) -> tuple[str, ...]:
    if isinstance(channels, int | np.integer) and not isinstance(channels, bool):
        return montage(int(channels))
    if isinstance(channels, str) or not isinstance(channels, Sequence):
        raise ConfigError(
            f"Invalid value for the 'channels' parameter. Allowed values are a number of "
            f"channels (1-64) or a list of channel names, but got {channels!r} instead."
        )
    names = tuple(channels)
    bad = [c for c in names if not isinstance(c, str) or not c.strip()]
    if not names or bad:
        raise ConfigError(
            f"Invalid value for the 'channels' parameter: give at least one non-empty channel "
            f"name, but got {channels!r}."
        )
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise ConfigError(f"Duplicate channel names in the 'channels' parameter: {dupes}.")
    return names


def _positive(name: str, value: object, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ConfigError(f"Invalid value for the {name!r} parameter: got {value!r}.")
    v = float(value)
    if not (v > minimum and v < math.inf):
        raise ConfigError(
            f"Invalid value for the {name!r} parameter. It must be a finite number > "
            f"{minimum:g}, but got {value!r} instead."
        )
    return v


class SimulatedSubject(Source):
    """A source of EEG-like data from a simulated person whose emotion follows a script.

    Parameters
    ----------
    script : sequence of ScriptStep, str or None
        The states and their durations (``"calm:60,happy:60"``); ``None`` uses
        :func:`default_script`.
    loop : bool
        Repeat the script forever; when False the stream ends with the script.
    speed : float or None
        1.0 paces the stream in real time, N runs N times faster, ``None`` returns
        ``chunk_s`` seconds on every :meth:`read` as fast as it is called.
    sample_rate : float
        Samples per second (>= 32).
    channels : sequence of str or int
        Channel names, or a number of channels for :func:`montage`. Names are 10-10
        positions (10-05, old T3-T6 too); labels that are not positions (X1, EXG1...)
        carry no brain signal: background, mains and electrode noise only.
    profile : SubjectProfile
        Who the person is.
    seed : int
        This session's noise; the same seeds give the same samples, however they are read.
    chunk_s : float
        Length of each chunk when ``speed`` is None.
    start_time : float or None
        Stream time of sample 0 (seconds); ``None`` takes ``time.time()`` at :meth:`start`.
    """

    def __init__(
        self,
        *,
        script: Sequence[ScriptStep] | str | None = None,
        loop: bool = True,
        speed: float | None = 1.0,
        sample_rate: float = 250.0,
        channels: Sequence[str] | int = SYNTHETIC_MONTAGE,
        profile: SubjectProfile = _DEFAULT_PROFILE,
        seed: int = 0,
        chunk_s: float = 0.1,
        start_time: float | None = None,
    ) -> None:
        if script is None:
            steps = default_script()
        elif isinstance(script, str):
            steps = parse_script(script)
        else:
            steps = tuple(script)
            if not steps or not all(isinstance(s, ScriptStep) for s in steps):
                raise ConfigError(
                    f"Invalid value for the 'script' parameter: give ScriptSteps or a text "
                    f"such as 'calm:60,happy:60', but got {script!r}."
                )
        self._speed = None if speed is None else _positive("speed", speed)
        if self._speed is not None and (problem := speed_problem(self._speed)) is not None:
            raise ConfigError(f"Invalid value for the 'speed' parameter: {problem}.")
        self._fs = _positive("sample_rate", sample_rate, 0.0)
        if self._fs < _MIN_SAMPLE_RATE:
            raise ConfigError(
                f"Invalid value for the 'sample_rate' parameter. The simulated subject needs "
                f"at least {_MIN_SAMPLE_RATE:g} Hz, but got {sample_rate!r}."
            )
        self._chunk_n = round(_positive("chunk_s", chunk_s) * self._fs)
        if self._chunk_n < 1:
            raise ConfigError(
                f"Invalid value for the 'chunk_s' parameter: {chunk_s!r} s is less than one "
                f"sample at {self._fs:g} Hz."
            )
        if not isinstance(profile, SubjectProfile):
            raise ConfigError(f"'profile' must be a SubjectProfile, got {profile!r}.")
        problem = seed_problem(seed)
        if problem is not None:
            raise ConfigError(f"Invalid value for the 'seed' parameter: {problem}.")
        if start_time is not None and not math.isfinite(start_time):
            raise ConfigError(f"Invalid value for the 'start_time' parameter: {start_time!r}.")
        self._steps = steps
        self._channels = _check_channels(channels)
        self._profile, self._seed, self._loop = profile, int(seed), bool(loop)
        self._start_time_arg = start_time
        self._person = Person.from_profile(profile)

        ends = np.round(np.cumsum([s.duration_s for s in steps]) * self._fs).astype(np.int64)
        starts = np.concatenate([[0], ends[:-1]])
        keep = ends > starts  # steps shorter than half a sample vanish
        if not keep.any():
            raise ConfigError(
                f"The script {script_text(steps)!r} is shorter than one sample at {self._fs:g} Hz."
            )
        self._step_starts = starts[keep]
        self._step_states = np.array([STATES.index(s.state) for s in steps])[keep]
        self._total = int(ends[-1])

        self._lock = threading.Lock()
        self._pending_markers: deque[float] = deque()
        self._pending_cues: list[int] = []
        self._induced: int | None = None  # the state the last block induced
        self._reports = 0
        self._snap: tuple | None = None  # the generator before the block being handed out
        self._gen: SignalGenerator | None = None
        self._pos = 0  # samples delivered
        self._block_n = max(1, round(_BLOCK_S * self._fs))
        self._block_eeg = np.empty((len(self._channels), 0))
        self._block_truth = np.empty(0, dtype=np.int16)
        self._block_used = 0
        self._t0 = 0.0
        self._start_time = 0.0
        self._info = StreamInfo(
            source_name="Simulated subject",
            board_id=None,
            sample_rate=self._fs,
            eeg=tuple(ChannelInfo(name, "eeg", "uV") for name in self._channels),
            states=STATES,
            description={
                "profile": dataclasses.asdict(profile),
                "alpha_peak_hz": round(self._person.alpha_peak_hz, 3),
                "script": script_text(steps),
                "loop": self._loop,
                "speed": self._speed,
                "seed": self._seed,
                "model": "plausible caricature of emotion-related EEG markers, not validated",
            },
        )

    @property
    def info(self) -> StreamInfo:
        """Channels, sample rate, states and a description of the person and script."""
        return self._info

    @property
    def realtime(self) -> bool:  # type: ignore[override]
        """True unless ``speed`` is None (then reads are not paced by the clock)."""
        return self._speed is not None

    @property
    def script(self) -> tuple[ScriptStep, ...]:
        """The script the subject follows."""
        return self._steps

    @property
    def profile(self) -> SubjectProfile:
        """Who the subject is."""
        return self._profile

    @property
    def samples_read(self) -> int:
        """Number of samples delivered since :meth:`start`."""
        return self._pos

    @property
    def finished(self) -> bool:
        """True when ``loop`` is False and every sample of the script has been read."""
        return (not self._loop) and self._gen is not None and self._pos >= self._total

    def start(self) -> None:
        """Start a fresh session at sample 0 (a no-op when already started)."""
        if self._gen is not None:
            return
        self._gen = SignalGenerator(
            profile=self._profile,
            person=self._person,
            seed=self._seed,
            channels=self._channels,
            fs=self._fs,
            step_starts=self._step_starts,
            step_states=self._step_states,
            total=self._total,
            loop=self._loop,
        )
        self._pos = 0
        self._block_used = self._block_truth.size
        with self._lock:
            self._pending_cues.clear()
            self._induced, self._reports = None, 0
        self._start_time = time.time() if self._start_time_arg is None else self._start_time_arg
        self._t0 = time.monotonic()
        logger.debug("simulated subject started: %s", self._info.description)

    def stop(self) -> None:
        """Stop the session; a later :meth:`start` begins again at sample 0."""
        self._gen = None

    def read(self) -> Chunk | None:
        """Return the samples due since the last call, or ``None`` if none are due yet."""
        if self._gen is None:
            raise SourceError("The simulated subject is not started: call start() first.")
        self._apply_cues()
        if self._speed is None:
            n = self._chunk_n
        else:
            rate = self._speed * self._fs
            n = int((time.monotonic() - self._t0) * rate) - self._pos
            cap = max(round(_MAX_READ_S * self._fs), round(0.25 * rate))
            if n > cap:  # the reader stalled: the simulated clock slips, samples stay whole
                self._t0 += (n - cap) / rate
                n = cap
        if not self._loop:
            n = min(n, self._total - self._pos)
        if n <= 0:
            return None
        first = self._pos
        eeg = np.empty((len(self._channels), n))
        truth = np.empty(n, dtype=np.int16)
        self._take(eeg, truth)
        markers = np.zeros(n)
        with self._lock:
            for i in range(min(n, len(self._pending_markers))):
                markers[i] = self._pending_markers.popleft()
        timestamps = self._start_time + np.arange(first, first + n) / self._fs
        return Chunk(eeg=eeg, timestamps=timestamps, markers=markers, truth=truth)

    def _take(self, eeg: np.ndarray, truth: np.ndarray) -> None:
        """Fill ``eeg`` and ``truth`` from generated blocks of fixed length.

        Generating in fixed blocks makes the samples independent of how they are read and
        keeps the per-call cost small when reads are short.
        """
        assert self._gen is not None
        n, done = truth.size, 0
        while done < n:
            if self._block_used == self._block_truth.size:
                m = self._block_n
                if not self._loop:
                    m = min(m, self._total - self._gen.pos)
                self._snap = self._gen.snapshot()
                self._block_eeg, self._block_truth = self._gen.generate(m)
                self._block_used = 0
            take = min(n - done, self._block_truth.size - self._block_used)
            src = slice(self._block_used, self._block_used + take)
            eeg[:, done : done + take] = self._block_eeg[:, src]
            truth[done : done + take] = self._block_truth[src]
            done += take
            self._block_used += take
        self._pos += n

    def follow(self, cue: Cue) -> SelfReport | None:
        """Follow a calibration's cue from the next sample handed out, as a cooperative
        person would (see :mod:`bci_desktop.core.sources.simulated_cues`); asked for a
        self-report, answer how the last block felt."""
        code = code_for(cue)
        with self._lock:
            if code is not None:
                self._pending_cues.append(code)
            report = None
            if cue.asks_report:
                report = self_report(self._induced, self._seed, self._reports)
                self._reports += 1
            if cue.changes_state and cue.induce is not None:  # a block starts
                self._induced = code if code != NEUTRAL else None
        return report

    def _apply_cues(self) -> None:
        """Switches asked for since the last read start at the next sample handed out;
        the part of the generated block not yet handed out is made again with them (its
        handed-out part comes out identical: the generator is deterministic)."""
        with self._lock:
            codes, self._pending_cues = self._pending_cues, []
        if not codes:
            return
        gen = self._gen
        assert gen is not None
        for code in codes:
            gen.cues.add(self._pos, code)
        if self._snap is not None and self._block_used < self._block_truth.size:
            gen.restore(self._snap)
            self._block_eeg, self._block_truth = gen.generate(self._block_truth.size)

    def _put_marker(self, value: float) -> None:
        """Put ``value`` on the next generated sample (several markers inserted between two
        reads land on consecutive samples)."""
        with self._lock:
            self._pending_markers.append(value)

    def state_at(self, sample_index: int) -> str:
        """Return the scripted state at ``sample_index`` (0 is the first sample)."""
        i = int(sample_index)
        if i < 0 or (not self._loop and i >= self._total):
            raise ConfigError(
                f"Invalid value for the 'sample_index' parameter. Allowed values are 0 to "
                f"{'infinity' if self._loop else self._total - 1}, but got {sample_index!r}."
            )
        pos = i % self._total
        step = int(np.searchsorted(self._step_starts, pos, side="right")) - 1
        return STATES[int(self._step_states[step])]
