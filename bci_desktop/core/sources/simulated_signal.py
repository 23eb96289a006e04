"""The signal of a simulated subject, generated in streaming fashion.

:class:`SignalGenerator` holds the state of one session (carried filter states,
sample-ordered random draws, envelopes, artifacts that run over a block's end), so the
samples depend only on the seeds, never on how the stream is read: rhythm generators
(:data:`~bci_desktop.core.sources.simulated_person.RHYTHMS`) projected onto the channels, a
1/f background, mains, electrode noise, blinks and muscle bursts, all scaled by the
person's state effects with a crossfade after each switch of state.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
from scipy import signal

from bci_desktop.core.montage.tenfive import position
from bci_desktop.core.sources.montage import (
    blink_weights,
    muscle_weights,
    on_scalp,
    scalp_positions,
    spatial_kernel,
)
from bci_desktop.core.sources.simulated_cues import CueSchedule
from bci_desktop.core.sources.simulated_person import (
    BANDS,
    RHYTHMS,
    Person,
    SubjectProfile,
    effect_matrix,
)

__all__ = ["SignalGenerator"]

_FADE_S = 1.0  # crossfade of the signal parameters after a state switch
_WARMUP_S = 4.0  # filters run this long before sample 0, so the stream starts settled
_ENV_SHARED = 0.9  # share of a generator's envelope common to its whole band
_KNOT_S = 0.1  # slow amplitude envelopes are drawn at this interval and interpolated
# Paul Kellet's / R. Bristow-Johnson's IIR approximation of a 1/f spectrum.
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])


def _channel_rng(seed: int, tag: int, name: str) -> np.random.Generator:
    site = position(name) or name.strip()  # T3 and T7 are one electrode site
    return np.random.default_rng([int(seed), tag, zlib.crc32(site.lower().encode())])


def _band_edges(band: str, person: Person, fs: float) -> tuple[float, float] | None:
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


def _background_filter(person: Person, fs: float) -> tuple[np.ndarray, np.ndarray]:
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


class SignalGenerator:
    """Streaming state of one session: call :meth:`generate` for the next ``n`` samples."""

    def __init__(
        self,
        *,
        profile: SubjectProfile,
        person: Person,
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
        k, s = len(channels), len(RHYTHMS)
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
        amp0 = np.array([r[4] for r in RHYTHMS]) * person.rhythm_gain
        for band in BANDS:
            rows = np.array([i for i, r in enumerate(RHYTHMS) if r[1] == band])
            edges = _band_edges(band, person, fs)
            if edges is None:  # the band lies above Nyquist at this sample rate
                amp0[rows] = 0.0
                edges = (1.0, 2.0)
            b, a = signal.butter(2, edges, btype="band", fs=fs)
            amp0[rows] /= _noise_gain(signal.tf2sos(b, a), fs)
            self.band_rows.append(rows)
            self.band_ba.append((b, a))
        self.amp0 = amp0
        self.src_band = np.array([BANDS.index(r[1]) for r in RHYTHMS])
        src_xy = np.array([[r[2], r[3]] for r in RHYTHMS])
        scalp = np.array([on_scalp(name) for name in channels], dtype=np.float64)
        self.mix = spatial_kernel(xy, src_xy) * scalp[:, None]  # X1, EXG1...: no brain
        self.effects = effect_matrix(profile, person)

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
        first = rng_warm.standard_normal(s + len(BANDS))
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
