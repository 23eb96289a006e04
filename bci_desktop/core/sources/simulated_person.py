"""Who a simulated person is, and how the emotional states change their rhythms.

:class:`SubjectProfile` is what a user sets (seed, alpha peak, noise, artifact rates,
mains, strength of the emotion effects); :class:`Person` are the traits drawn once from its
seed. :data:`RHYTHMS` are the rhythm generators every simulated brain has, and
:func:`effect_matrix` their log-gains (and the artifact rates') in each state, for this
person. :class:`~bci_desktop.core.sources.simulated_signal.SignalGenerator` makes the
signal from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.limits import seed_problem
from bci_desktop.core.sources.simulated_script import STATES

__all__ = ["BANDS", "RHYTHMS", "Person", "SubjectProfile", "effect_matrix"]

_VALENCE = np.array([1.0, 1.0, -1.0, -1.0])  # calm, happy, sad, stressed
_AROUSAL = np.array([-1.0, 1.0, -1.0, 1.0])

# Rhythm generators: name, band, flat-map x, y, amplitude (uV), arousal and valence
# coefficients (log amplitude per unit of arousal / valence, before state_effect).
BANDS = ("theta", "alpha", "beta", "gamma")
RHYTHMS = (
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
class Person:
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
    def from_profile(cls, profile: SubjectProfile) -> Person:
        rng = np.random.default_rng([int(profile.seed), 1])
        alpha = float(rng.uniform(9.0, 11.0))
        return cls(
            alpha_peak_hz=alpha if profile.alpha_peak_hz is None else float(profile.alpha_peak_hz),
            theta_hz=float(rng.uniform(5.5, 6.5)),
            rhythm_gain=np.exp(rng.normal(0.0, 0.2, len(RHYTHMS))),
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


def effect_matrix(profile: SubjectProfile, person: Person) -> np.ndarray:
    """Log-gain of every rhythm generator and artifact rate in each state, ``(5, P)``: the
    four states, then "no particular state" (:data:`NEUTRAL`: the trait alone)."""
    names = [r[0] for r in RHYTHMS]
    arousal = np.array([r[5] for r in RHYTHMS]) * person.arousal_reactivity
    valence = np.array([r[6] for r in RHYTHMS]) * person.valence_reactivity
    effects = np.zeros((len(STATES) + 1, len(RHYTHMS) + 2))
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
