"""A simulated subject: EEG-like data whose emotional state follows a script.

The signal is a plausible caricature built from markers reported in the literature (see
``docs/simulated-subject.md``), not a validated physiological model. It exists so that the
whole app (filters, quality, features, the default emotion model, recording) can be built,
trained and tested end to end with a known ground truth and without a headset.

Everything is generated in streaming fashion with carried filter states and sample-ordered
random draws, so the samples depend only on the seeds, never on how the stream is chunked.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal

from bci_desktop.core.affect import STATES  # one per quadrant of Russell's circumplex
from bci_desktop.core.errors import ConfigError, SourceError
from bci_desktop.core.limits import seed_problem, speed_problem
from bci_desktop.core.montage.tenfive import position
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.montage import (
    MODEL_CHANNELS,
    SYNTHETIC_MONTAGE,
    blink_weights,
    montage,
    muscle_weights,
    on_scalp,
    scalp_positions,
    spatial_kernel,
)
from bci_desktop.core.sources.participant import Cue, SelfReport
from bci_desktop.core.sources.simulated_cues import NEUTRAL, CueSchedule, code_for, self_report
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo

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

_VALENCE = np.array([1.0, 1.0, -1.0, -1.0])  # calm, happy, sad, stressed
_AROUSAL = np.array([-1.0, 1.0, -1.0, 1.0])
_DEFAULT_ORDER = ("calm", "happy", "stressed", "sad")  # a walk around the circumplex
_MIN_SAMPLE_RATE = 32.0
_MAX_READ_S = 2.0  # a realtime read returns at most this much stream (or 0.25 s of wall time)
_FADE_S = 1.0  # crossfade of the signal parameters after a state switch
_WARMUP_S = 4.0  # filters run this long before sample 0, so the stream starts settled
_ENV_SHARED = 0.9  # share of a generator's envelope common to its whole band
_KNOT_S = 0.1  # slow amplitude envelopes are drawn at this interval and interpolated
_BLOCK_S = 1.0  # samples are generated in blocks of this length, then handed out

# Rhythm generators: name, band, flat-map x, y, amplitude (uV), arousal and valence
# coefficients (log amplitude per unit of arousal / valence, before state_effect).
_BANDS = ("theta", "alpha", "beta", "gamma")
_RHYTHMS = (
    ("theta_fm", "theta", 0.0, 0.45, 5.0, -0.13, 0.0),
    ("theta_post", "theta", 0.0, -0.5, 2.5, -0.08, 0.0),
    ("alpha_occ_l", "alpha", -0.3, -0.8, 10.0, -0.35, 0.0),
    ("alpha_occ_r", "alpha", 0.3, -0.8, 10.0, -0.35, 0.0),
    ("alpha_par", "alpha", 0.0, -0.5, 7.0, -0.35, 0.0),
    ("alpha_fr_l", "alpha", -0.45, 0.55, 6.5, -0.19, -0.36),
    ("alpha_fr_r", "alpha", 0.45, 0.55, 6.5, -0.19, 0.36),
    ("mu_l", "alpha", -0.45, 0.0, 4.0, -0.19, 0.0),
    ("mu_r", "alpha", 0.45, 0.0, 4.0, -0.19, 0.0),
    ("beta_fr_l", "beta", -0.45, 0.5, 4.5, 0.24, 0.12),
    ("beta_fr_r", "beta", 0.45, 0.5, 4.5, 0.24, -0.12),
    ("beta_c_l", "beta", -0.4, 0.0, 4.0, 0.19, 0.0),
    ("beta_c_r", "beta", 0.4, 0.0, 4.0, 0.19, 0.0),
    ("gamma_fr_l", "gamma", -0.5, 0.5, 1.2, 0.16, 0.0),
    ("gamma_fr_r", "gamma", 0.5, 0.5, 1.2, 0.16, 0.0),
)
# State-specific extras (log amplitude) on top of the valence/arousal effects.
_EXTRAS = {
    "happy": {"gamma_fr_l": 0.08, "gamma_fr_r": 0.08},
    "sad": {"theta_fm": 0.15},
    "stressed": {"beta_fr_l": 0.1, "beta_fr_r": 0.1, "gamma_fr_l": 0.25, "gamma_fr_r": 0.25},
}
# State effects on artifact rates (log of the rate multiplier): blinks, muscle bursts.
_RATE_EFFECTS = {"calm": (math.log(0.85), 0.0), "stressed": (math.log(1.3), math.log(3.0))}
# Paul Kellet's / R. Bristow-Johnson's IIR approximation of a 1/f spectrum.
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])


@dataclass(frozen=True)
class ScriptStep:
    """One block of a script: the subject is in ``state`` for ``duration_s`` seconds.

    Parameters
    ----------
    state : str
        One of :data:`STATES`.
    duration_s : float
        Length of the block in seconds, finite and > 0.
    """

    state: str
    duration_s: float

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ConfigError(
                f"Unknown state {self.state!r} in the script. Allowed states are "
                f"{', '.join(repr(s) for s in STATES)}."
            )
        d = self.duration_s
        if isinstance(d, bool) or not isinstance(d, int | float) or not 0 < d < math.inf:
            raise ConfigError(
                f"Invalid duration {d!r} for state {self.state!r} in the script: give a "
                f"finite number of seconds > 0, e.g. '{self.state}:60'."
            )


_STEP_RE = re.compile(r"^([A-Za-z_]+)\s*:\s*([^\s]+?)\s*s?$")


def parse_script(text: str) -> tuple[ScriptStep, ...]:
    """Parse a script such as ``"calm:60,happy:60,sad:30"`` (state:seconds, comma-separated).

    Raises
    ------
    ConfigError
        On an empty script, an unknown state, or a duration that is not a number > 0.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(
            f"The script is empty ({text!r}); give steps as state:seconds separated by "
            f"commas, e.g. 'calm:60,happy:60,sad:30'."
        )
    steps = []
    for part in text.split(","):
        item = part.strip()
        match = _STEP_RE.match(item)
        if match is None:
            raise ConfigError(
                f"Invalid script step {item!r}: write state:seconds, e.g. 'calm:60' "
                f"(states: {', '.join(STATES)})."
            )
        state, duration = match.group(1).lower(), match.group(2)
        try:
            seconds = float(duration)
        except ValueError:
            raise ConfigError(
                f"Invalid duration {duration!r} in script step {item!r}: give a number of "
                f"seconds > 0, e.g. '{state}:60'."
            ) from None
        steps.append(ScriptStep(state, seconds))
    return tuple(steps)


def default_script(block_s: float = 60.0) -> tuple[ScriptStep, ...]:
    """Each state once for ``block_s`` seconds: calm, happy, stressed, sad."""
    return tuple(ScriptStep(s, float(block_s)) for s in _DEFAULT_ORDER)


def script_text(steps: Sequence[ScriptStep]) -> str:
    """Write a script back in the form :func:`parse_script` reads."""
    return ",".join(f"{s.state}:{s.duration_s:g}" for s in steps)


@dataclass(frozen=True)
class SubjectProfile:
    """Who the simulated person is (the session's noise comes from another seed).

    Parameters
    ----------
    seed : int
        Identity of the person: individual channel gains, rhythm amplitudes, alpha peak,
        trait asymmetry and reactivity all derive from it.
    alpha_peak_hz : float or None
        Individual alpha peak frequency (7-14 Hz); ``None`` draws it from ``seed`` (9-11 Hz).
    impedance_noise_uv : float
        Extra white noise on every channel (std, uV), as from poor electrode contact.
    blink_rate_per_min, muscle_rate_per_min : float
        Mean rates of blinks and muscle bursts (the state modulates them).
    line_noise_uv : float
        Mean amplitude of the mains interference (uV, peak).
    line_freq : float
        Mains frequency in Hz (50 or 60).
    state_effect : float
        Scales every emotion effect; 0 makes the states indistinguishable.
    """

    seed: int = 7
    alpha_peak_hz: float | None = None
    impedance_noise_uv: float = 0.0
    blink_rate_per_min: float = 12.0
    muscle_rate_per_min: float = 3.0
    line_noise_uv: float = 2.0
    line_freq: float = 50.0
    state_effect: float = 1.0

    def __post_init__(self) -> None:
        problem = seed_problem(self.seed)
        if problem is not None:  # numpy refuses negative seeds deep inside
            raise ConfigError(
                f"Invalid value for SubjectProfile.seed (--subject-seed): {problem}."
            )
        if self.alpha_peak_hz is not None and not 7.0 <= self.alpha_peak_hz <= 14.0:
            raise ConfigError(
                f"Invalid value for SubjectProfile.alpha_peak_hz: allowed are None or 7 to "
                f"14 Hz, but got {self.alpha_peak_hz!r}."
            )
        for name in (
            "impedance_noise_uv",
            "blink_rate_per_min",
            "muscle_rate_per_min",
            "line_noise_uv",
            "state_effect",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0.0 <= value < math.inf:
                raise ConfigError(
                    f"Invalid value for SubjectProfile.{name}: it must be a finite number "
                    f">= 0, but got {value!r}."
                )
        if not isinstance(self.line_freq, int | float) or not 0.0 < self.line_freq < math.inf:
            raise ConfigError(
                f"Invalid value for SubjectProfile.line_freq: it must be > 0 Hz (50 or 60), "
                f"but got {self.line_freq!r}."
            )


@dataclass(frozen=True)
class _Person:
    """Traits drawn once from the profile seed (independent of montage and sample rate)."""

    alpha_peak_hz: float
    theta_hz: float
    rhythm_gain: np.ndarray  # (n_rhythms,) individual amplitude factors
    arousal_reactivity: float
    valence_reactivity: float
    trait_asymmetry: float  # log amplitude, right minus left frontal alpha
    background_uv: float  # std of the 1/f background in 1-45 Hz
    brown_share: float  # share of 1/f^2 in the background
    envelope_tau_s: float
    envelope_sigma: float
    blink_gain: float
    muscle_gain: float

    @classmethod
    def from_profile(cls, profile: SubjectProfile) -> _Person:
        rng = np.random.default_rng([int(profile.seed), 1])
        alpha = float(rng.uniform(9.0, 11.0))
        return cls(
            alpha_peak_hz=alpha if profile.alpha_peak_hz is None else float(profile.alpha_peak_hz),
            theta_hz=float(rng.uniform(5.5, 6.5)),
            rhythm_gain=np.exp(rng.normal(0.0, 0.2, len(_RHYTHMS))),
            arousal_reactivity=float(rng.uniform(0.75, 1.25)),
            valence_reactivity=float(rng.uniform(0.75, 1.25)),
            trait_asymmetry=float(rng.normal(0.0, 0.08)),
            background_uv=float(rng.uniform(9.0, 12.0)),
            brown_share=float(rng.uniform(0.45, 0.7)),
            envelope_tau_s=float(rng.uniform(2.0, 4.0)),
            envelope_sigma=float(rng.uniform(0.2, 0.3)),
            blink_gain=float(rng.uniform(0.8, 1.2)),
            muscle_gain=float(rng.uniform(0.8, 1.2)),
        )


def _channel_rng(seed: int, tag: int, name: str) -> np.random.Generator:
    site = position(name) or name.strip()  # T3 and T7 are one electrode site
    return np.random.default_rng([int(seed), tag, zlib.crc32(site.lower().encode())])


def _band_edges(band: str, person: _Person, fs: float) -> tuple[float, float] | None:
    lo, hi = {
        "theta": (person.theta_hz - 1.5, person.theta_hz + 1.5),
        "alpha": (person.alpha_peak_hz - 1.75, person.alpha_peak_hz + 1.75),
        "beta": (14.0, 26.0),
        "gamma": (31.0, 44.0),
    }[band]
    hi = min(hi, 0.45 * fs)
    return (lo, hi) if hi - lo >= 1.0 else None


def _noise_gain(sos: np.ndarray, fs: float) -> float:
    """Std of the filter's output for unit white noise (from its impulse response)."""
    impulse = np.zeros(int(20 * fs))
    impulse[0] = 1.0
    return float(np.sqrt(np.sum(signal.sosfilt(sos, impulse) ** 2)))


def _background_filter(person: _Person, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """1/f + 1/f^2 filter ``(b, a)`` whose output has ``background_uv`` std in 1-45 Hz."""
    pole = math.exp(-2.0 * math.pi * 0.5 / fs)  # leaky integrator, corner at 0.5 Hz
    brown_b, brown_a = np.array([1.0 - pole]), np.array([1.0, -pole])
    freqs = np.linspace(1.0, min(45.0, 0.45 * fs), 512)

    def band_rms(b: np.ndarray, a: np.ndarray) -> float:
        _, h = signal.freqz(b, a, worN=freqs, fs=fs)
        return float(np.sqrt(np.trapezoid(np.abs(h) ** 2, freqs) * 2.0 / fs))

    share = person.brown_share
    pink_b = _PINK_B * math.sqrt(1.0 - share) / band_rms(_PINK_B, _PINK_A)
    brown_b = brown_b * math.sqrt(share) / band_rms(brown_b, brown_a)
    b = np.polyadd(np.polymul(pink_b, brown_a), np.polymul(brown_b, _PINK_A))
    a = np.polymul(_PINK_A, brown_a)
    return b * person.background_uv / band_rms(b, a), a


class _Generator:
    """Streaming state of one session: call :meth:`generate` for the next ``n`` samples."""

    def __init__(
        self,
        *,
        profile: SubjectProfile,
        person: _Person,
        seed: int,
        channels: tuple[str, ...],
        fs: float,
        step_starts: np.ndarray,
        step_states: np.ndarray,
        total: int,
        loop: bool,
    ) -> None:
        self.fs, self.profile, self.person = fs, profile, person
        self.starts, self.states, self.total, self.loop = step_starts, step_states, total, loop
        self.pos = 0
        self.cues = CueSchedule()  # switches made by a calibration's cues (simulated_cues)
        k, s = len(channels), len(_RHYTHMS)
        self.k, self.s = k, s
        rngs = [np.random.default_rng([int(seed), 2, i]) for i in range(8)]
        self.rng_bg, self.rng_rhythm, self.rng_env, self.rng_imp = rngs[:4]
        self.rng_events, self.rng_blink, self.rng_muscle, rng_warm = rngs[4:]
        self.rngs = rngs[:7]
        xy = scalp_positions(channels)

        # Per channel: the person's electrode gains (profile seed, by channel name, so they
        # do not depend on the montage) and this session's mains pickup (session seed).
        self.ch_gain = np.empty(k)
        self.line_sin, self.line_cos = np.empty(k), np.empty(k)
        for i, name in enumerate(channels):
            g = _channel_rng(profile.seed, 3, name).normal(0.0, 0.12)
            r = _channel_rng(seed, 4, name)
            self.ch_gain[i] = math.exp(g)
            amp = profile.line_noise_uv * r.uniform(0.5, 1.5)
            phase = r.uniform(0.0, 2.0 * math.pi)
            self.line_sin[i], self.line_cos[i] = amp * math.cos(phase), amp * math.sin(phase)
        self.omega = 2.0 * math.pi * profile.line_freq / fs

        # Rhythms: one narrow-band noise per generator, projected onto the channels.
        # Order-4 band-passes in transfer-function form: accurate here, and lfilter is
        # cheaper per call than sosfilt.
        self.band_rows, self.band_ba = [], []
        amp0 = np.array([r[4] for r in _RHYTHMS]) * person.rhythm_gain
        for band in _BANDS:
            rows = np.array([i for i, r in enumerate(_RHYTHMS) if r[1] == band])
            edges = _band_edges(band, person, fs)
            if edges is None:  # the band lies above Nyquist at this sample rate
                amp0[rows] = 0.0
                edges = (1.0, 2.0)
            b, a = signal.butter(2, edges, btype="band", fs=fs)
            amp0[rows] /= _noise_gain(signal.tf2sos(b, a), fs)
            self.band_rows.append(rows)
            self.band_ba.append((b, a))
        self.amp0 = amp0
        self.src_band = np.array([_BANDS.index(r[1]) for r in _RHYTHMS])
        src_xy = np.array([[r[2], r[3]] for r in _RHYTHMS])
        scalp = np.array([on_scalp(name) for name in channels], dtype=np.float64)
        self.mix = spatial_kernel(xy, src_xy) * scalp[:, None]  # X1, EXG1...: no brain
        self.effects = _effect_matrix(profile, person)

        self.bg_ba = _background_filter(person, fs)
        common = 0.25
        self.bg_own, self.bg_common = math.sqrt(1.0 - common), math.sqrt(common)

        # Envelopes: Ornstein-Uhlenbeck log-amplitudes, per band (shared) and per generator.
        # They move slowly, so they are drawn at knots every 0.1 s and interpolated.
        self.knot_n = max(1, round(_KNOT_S * fs))
        rho = math.exp(-self.knot_n / (person.envelope_tau_s * fs))
        self.env_ba = (np.array([math.sqrt(1.0 - rho**2)]), np.array([1.0, -rho]))
        self.env_shared = _ENV_SHARED

        # Artifacts.
        self.blink_w = blink_weights(xy) * person.blink_gain * scalp
        self.muscle_w = muscle_weights(xy) * person.muscle_gain * scalp
        self.muscle_side = np.sign(xy[:, 0])
        lo, hi = min(20.0, 0.3 * fs), min(100.0, 0.45 * fs)
        self.sos_muscle = signal.butter(4, [lo, hi], btype="band", fs=fs, output="sos")
        self.muscle_norm = _noise_gain(self.sos_muscle, fs)
        self.base_rates = (
            np.array([profile.blink_rate_per_min, profile.muscle_rate_per_min]) / 60.0 / fs
        )
        self.carry_len = math.ceil(1.0 * fs) + 1
        self.carry = np.zeros((k, self.carry_len))
        self.carry_live = 0

        # Settle every filter on noise that precedes sample 0.
        n_warm = int(_WARMUP_S * fs)
        b, a = self.bg_ba
        _, self.zi_bg = signal.lfilter(
            b, a, rng_warm.standard_normal((k + 1, n_warm)), zi=np.zeros((k + 1, len(a) - 1))
        )
        self.zi_band = []
        for rows, (b, a) in zip(self.band_rows, self.band_ba, strict=True):
            zi = np.zeros((len(rows), len(a) - 1))
            _, zi = signal.lfilter(b, a, rng_warm.standard_normal((len(rows), n_warm)), zi=zi)
            self.zi_band.append(zi)
        first = rng_warm.standard_normal(s + len(_BANDS))
        second = rho * first + math.sqrt(1.0 - rho**2) * rng_warm.standard_normal(first.size)
        self.knots = np.stack([first, second], axis=1)  # knots -1 and 0 (in knot_n units)
        self.knot_base = -1

    def snapshot(self) -> tuple:
        """Everything :meth:`generate` changes (its arrays are replaced, never modified in
        place, so references do), to generate again from here with new cues."""
        return (
            self.pos,
            self.zi_bg,
            list(self.zi_band),
            [r.bit_generator.state for r in self.rngs],
            self.knots,
            self.knot_base,
            self.carry,
            self.carry_live,
        )

    def restore(self, snap: tuple) -> None:
        """Go back to a :meth:`snapshot`."""
        self.pos, self.zi_bg, zi_band, states, self.knots, self.knot_base = snap[:6]
        self.carry, self.carry_live = snap[6:]
        self.zi_band = list(zi_band)
        for rng, state in zip(self.rngs, states, strict=True):
            rng.bit_generator.state = state

    def script_codes(self, idx: np.ndarray) -> np.ndarray:
        """The scripted state of each sample."""
        pos = idx % self.total if self.loop else np.minimum(idx, self.total - 1)
        return self.states[np.searchsorted(self.starts, pos, side="right") - 1]

    def schedule(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the true state of each sample and the crossfaded log-gains ``(n, P)``."""
        if self.cues.active:
            return self.cues.schedule(idx, self.script_codes, self.effects, _FADE_S * self.fs)
        pos = idx % self.total if self.loop else np.minimum(idx, self.total - 1)
        step = np.searchsorted(self.starts, pos, side="right") - 1
        cur = self.states[step]
        prev = np.where((step == 0) & (idx < self.total), cur, self.states[step - 1])
        w = np.clip((pos - self.starts[step]) / (_FADE_S * self.fs), 0.0, 1.0)
        w = (w * w * (3.0 - 2.0 * w))[:, None]
        return cur, self.effects[prev] * (1.0 - w) + self.effects[cur] * w

    def generate(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the next ``n`` samples ``(k, n)`` in uV and their true states ``(n,)``."""
        idx = np.arange(self.pos, self.pos + n)
        truth, log_gain = self.schedule(idx)
        s, k = self.s, self.k

        z = self.rng_rhythm.standard_normal((n, s)).T
        rhythms = np.empty((s, n))
        for i, (rows, (b, a)) in enumerate(zip(self.band_rows, self.band_ba, strict=True)):
            rhythms[rows], self.zi_band[i] = signal.lfilter(b, a, z[rows], zi=self.zi_band[i])
        ou = self._envelopes(idx)
        shared = math.sqrt(self.env_shared)
        own = math.sqrt(1.0 - self.env_shared)
        log_amp = self.person.envelope_sigma * (shared * ou[s + self.src_band] + own * ou[:s])
        log_amp += log_gain[:, :s].T
        rhythms *= self.amp0[:, None] * np.exp(log_amp)
        eeg = self.mix @ rhythms

        w = self.rng_bg.standard_normal((n, k + 1)).T
        bg, self.zi_bg = signal.lfilter(*self.bg_ba, w, zi=self.zi_bg)
        eeg += self.bg_own * bg[:k] + self.bg_common * bg[k]
        eeg *= self.ch_gain[:, None]

        phase = self.omega * idx
        eeg += self.line_sin[:, None] * np.sin(phase) + self.line_cos[:, None] * np.cos(phase)
        if self.profile.impedance_noise_uv > 0.0:
            eeg += self.profile.impedance_noise_uv * self.rng_imp.standard_normal((n, k)).T
        self._add_artifacts(eeg, log_gain[:, s:])
        self.pos += n
        return eeg, truth.astype(np.int16)

    def _envelopes(self, idx: np.ndarray) -> np.ndarray:
        """Unit-variance Ornstein-Uhlenbeck processes at ``idx``, shape ``(n_env, n)``."""
        last_knot = int(idx[-1]) // self.knot_n + 1
        m = last_knot - (self.knot_base + 1)
        knots = self.knots
        if m > 0:
            e = self.rng_env.standard_normal((m, knots.shape[0])).T
            b, a = self.env_ba
            new, _ = signal.lfilter(b, a, e, axis=-1, zi=-a[1] * knots[:, -1:])
            knots = np.concatenate([knots, new], axis=1)
        j, frac = np.divmod(idx, self.knot_n)
        j -= self.knot_base
        frac = frac / self.knot_n
        values = knots[:, j] * (1.0 - frac) + knots[:, j + 1] * frac
        self.knots = knots[:, -2:]
        self.knot_base = last_knot - 1
        return values

    def _add_artifacts(self, eeg: np.ndarray, log_rates: np.ndarray) -> None:
        n = eeg.shape[1]
        hits = self.rng_events.random((n, 2)) < self.base_rates * np.exp(log_rates)
        blinks, bursts = np.flatnonzero(hits[:, 0]), np.flatnonzero(hits[:, 1])
        if self.carry_live == 0 and blinks.size == 0 and bursts.size == 0:
            return
        buf = np.zeros((self.k, n + self.carry_len))
        buf[:, : self.carry_len] = self.carry
        end = self.carry_live
        for i in blinks:
            wave = self._blink()
            buf[:, i : i + wave.shape[1]] += wave
            end = max(end, i + wave.shape[1])
        for i in bursts:
            wave = self._burst()
            buf[:, i : i + wave.shape[1]] += wave
            end = max(end, i + wave.shape[1])
        eeg += buf[:, :n]
        self.carry = buf[:, n:].copy()
        self.carry_live = max(end - n, 0)

    def _blink(self) -> np.ndarray:
        """A blink: a ~0.3 s positive deflection of 100-200 uV at Fp, fading backwards."""
        t_peak, amp = self.rng_blink.uniform((0.08, 100.0), (0.13, 200.0))
        t = np.arange(int(0.8 * self.fs)) / self.fs / t_peak
        shape = t * t * np.exp(2.0 * (1.0 - t))
        return (amp * self.blink_w)[:, None] * shape

    def _burst(self) -> np.ndarray:
        """A muscle burst: 0.2-1 s of 20-100 Hz noise, strongest at temporal sites."""
        duration, amp, side = self.rng_muscle.uniform((0.2, 5.0, -0.6), (1.0, 20.0, 0.6))
        length = max(int(duration * self.fs), 2)
        noise = self.rng_muscle.standard_normal((length, self.k)).T
        noise = signal.sosfilt(self.sos_muscle, noise, axis=-1) / self.muscle_norm
        weights = self.muscle_w * (1.0 + side * self.muscle_side)
        window = signal.windows.tukey(length, 0.3)
        return (amp * weights)[:, None] * noise * window


def _effect_matrix(profile: SubjectProfile, person: _Person) -> np.ndarray:
    """Log-gain of every rhythm generator and artifact rate in each state, ``(5, P)``: the
    four states, then "no particular state" (:data:`NEUTRAL`: the trait alone)."""
    names = [r[0] for r in _RHYTHMS]
    arousal = np.array([r[5] for r in _RHYTHMS]) * person.arousal_reactivity
    valence = np.array([r[6] for r in _RHYTHMS]) * person.valence_reactivity
    effects = np.zeros((len(STATES) + 1, len(_RHYTHMS) + 2))
    for i, state in enumerate(STATES):
        effects[i, : len(names)] = _AROUSAL[i] * arousal + _VALENCE[i] * valence
        for name, value in _EXTRAS.get(state, {}).items():
            effects[i, names.index(name)] += value
        effects[i, len(names) :] = _RATE_EFFECTS.get(state, (0.0, 0.0))
    effects *= profile.state_effect
    # A trait, not a state: this person's resting frontal alpha asymmetry.
    effects[:, names.index("alpha_fr_l")] -= person.trait_asymmetry / 2.0
    effects[:, names.index("alpha_fr_r")] += person.trait_asymmetry / 2.0
    return effects


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
        profile: SubjectProfile = SubjectProfile(),
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
        self._person = _Person.from_profile(profile)

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
        self._gen: _Generator | None = None
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
        self._gen = _Generator(
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
