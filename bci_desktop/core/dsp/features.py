"""Spectral features of an EEG window: band powers, differential entropy, asymmetry.

Power spectra are Welch estimates (Hann segments, 50 % overlap, mean removed per segment,
one-sided density in µV²/Hz), computed for every channel with one FFT call; they match
``scipy.signal.welch(x, fs, window="hann", nperseg, noverlap=nperseg // 2,
detrend="constant", scaling="density")``. The power of a band ``[low, high)`` is the sum of
the PSD over the frequency bins with ``low <= f < high``, times the bin width.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.montage.tenfive import position
from bci_desktop.core.validate import check_choice, check_positive

__all__ = [
    "DEFAULT_BANDS",
    "FEATURE_KINDS",
    "FeatureExtractor",
    "FeatureSpec",
    "band_powers",
    "log_power_spectrum",
    "welch_spectrum",
]

DEFAULT_BANDS: tuple[tuple[str, float, float], ...] = (
    ("delta", 1.0, 4.0),
    ("theta", 4.0, 8.0),
    ("alpha", 8.0, 13.0),
    ("beta", 13.0, 30.0),
    ("gamma", 30.0, 45.0),
)

#: Feature kinds a :class:`FeatureSpec` may ask for.
FEATURE_KINDS: tuple[str, ...] = (
    "band_power",
    "log_band_power",
    "relative_band_power",
    "differential_entropy",
)

#: Added to powers (µV²) before taking a logarithm or dividing, so neither sees 0.
EPS = 1e-12

_LOG_2PIE = math.log(2.0 * math.pi * math.e)


def _site(name: str) -> str:
    """Comparable key of a channel name: one key for the old and new name of a position."""
    return (position(name) or name).lower()


@dataclass(frozen=True)
class FeatureSpec:
    """Which features to compute from a window; stored with every model.

    Parameters
    ----------
    bands : tuple of (name, low, high)
        Frequency bands in Hz; a band holds the bins with ``low <= f < high``.
    kinds : tuple of str
        Per-channel, per-band features, from :data:`FEATURE_KINDS`: ``"band_power"``
        (µV²), ``"log_band_power"`` (natural log of µV²), ``"relative_band_power"`` (band
        power over the sum of all bands' powers) and ``"differential_entropy"``
        (``0.5 * ln(2 * pi * e * band_power)``, the entropy of a band-limited Gaussian).
    asymmetry_pairs : tuple of (left, right)
        Channel pairs for hemispheric asymmetry ``ln(P_right) - ln(P_left)``; pairs whose
        channels are missing from the stream are skipped.
    asymmetry_bands : tuple of str
        Bands (names from ``bands``) in which asymmetry is computed.
    segment_s : float
        Welch segment length in seconds (50 % overlap, Hann window).

    Raises
    ------
    ConfigError
        On an unknown kind, a malformed or duplicated band, an asymmetry band that is not in
        ``bands``, or a non-positive segment length.
    """

    bands: tuple[tuple[str, float, float], ...] = DEFAULT_BANDS
    kinds: tuple[str, ...] = ("log_band_power", "differential_entropy")
    asymmetry_pairs: tuple[tuple[str, str], ...] = (("F3", "F4"), ("F7", "F8"))
    asymmetry_bands: tuple[str, ...] = ("alpha", "beta")
    segment_s: float = 1.0

    def __post_init__(self) -> None:
        set_ = functools.partial(object.__setattr__, self)
        set_("bands", _parse_bands(self.bands))
        set_("kinds", _parse_names("kinds", self.kinds))
        for kind in self.kinds:
            check_choice("kinds", kind, FEATURE_KINDS)
        if not self.kinds and not self.asymmetry_pairs:
            raise ConfigError("The feature spec asks for no feature: give 'kinds' or pairs.")
        if len(set(self.kinds)) != len(self.kinds):
            raise ConfigError(f"The 'kinds' of the feature spec repeat a kind: {self.kinds!r}.")
        set_("asymmetry_pairs", _parse_pairs(self.asymmetry_pairs))
        set_("asymmetry_bands", _parse_names("asymmetry_bands", self.asymmetry_bands))
        band_names = tuple(b[0] for b in self.bands)
        for name in self.asymmetry_bands:
            check_choice("asymmetry_bands", name, band_names)
        seg = self.segment_s
        set_("segment_s", check_positive("segment_s", seg, unit="seconds", maximum=1e4))

    @property
    def band_names(self) -> tuple[str, ...]:
        """Names of the bands, in order."""
        return tuple(b[0] for b in self.bands)

    def to_dict(self) -> dict[str, Any]:
        """Return the spec as JSON-friendly lists and numbers."""
        return {
            "bands": [[name, lo, hi] for name, lo, hi in self.bands],
            "kinds": list(self.kinds),
            "asymmetry_pairs": [list(p) for p in self.asymmetry_pairs],
            "asymmetry_bands": list(self.asymmetry_bands),
            "segment_s": self.segment_s,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeatureSpec:
        """Build a spec from a dict such as :meth:`to_dict` returns (lists accepted).

        Missing keys take their defaults; unknown keys raise :class:`ConfigError`.
        """
        if not isinstance(d, Mapping):
            raise ConfigError(f"A feature spec must be a mapping, but got {type(d).__name__}.")
        known = ("bands", "kinds", "asymmetry_pairs", "asymmetry_bands", "segment_s")
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ConfigError(
                f"Unknown feature spec key(s) {', '.join(map(repr, unknown))}. Known keys are "
                f"{', '.join(known)}."
            )
        return cls(**dict(d))


def _parse_names(param: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ConfigError(f"The {param!r} parameter must be a list of names, but got {value!r}.")
    if not all(isinstance(v, str) for v in value):
        raise ConfigError(f"The {param!r} parameter must hold only names, but got {value!r}.")
    return tuple(value)


def _parse_bands(value: object) -> tuple[tuple[str, float, float], ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise ConfigError(f"The 'bands' parameter must be a non-empty list, but got {value!r}.")
    bands = []
    for band in value:
        ok = (
            isinstance(band, Sequence)
            and not isinstance(band, str)
            and len(band) == 3
            and isinstance(band[0], str)
            and all(
                isinstance(e, int | float) and not isinstance(e, bool) and math.isfinite(e)
                for e in band[1:]
            )
        )
        if not ok or not 0 <= band[1] < band[2]:
            raise ConfigError(
                "Each band must be [name, low_hz, high_hz] with 0 <= low < high, but got "
                f"{band!r}."
            )
        bands.append((band[0], float(band[1]), float(band[2])))
    names = [b[0] for b in bands]
    if len(set(names)) != len(names):
        raise ConfigError(f"Band names must be unique, but got {names!r}.")
    return tuple(bands)


def _parse_pairs(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ConfigError(
            f"The 'asymmetry_pairs' parameter must be a list of [left, right], got {value!r}."
        )
    pairs = []
    for pair in value:
        if (
            isinstance(pair, str)
            or not isinstance(pair, Sequence)
            or len(pair) != 2
            or not all(isinstance(c, str) for c in pair)
        ):
            raise ConfigError(
                f"Each asymmetry pair must be [left, right] channel names, but got {pair!r}."
            )
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


class WelchPlan:
    """A cached plan for Welch PSDs of windows of a fixed length.

    The arithmetic runs on arrays of shape ``(..., n_ch, n)``; the spectra of all channels
    and all segments come from one FFT call. The per-segment mean is removed in the
    frequency domain: the DFT of a periodic Hann window is non-zero only at bins 0 and +/-1
    (``N/2`` and ``-N/4``), so subtracting the mean ``m`` of a segment before windowing is
    the same as subtracting ``m * N/2`` from bin 0 and adding ``m * N/4`` to bin 1.
    """

    def __init__(self, sample_rate: float, n: int, segment_s: float) -> None:
        nperseg = round(segment_s * sample_rate)
        if nperseg < 4:
            raise ConfigError(
                f"A {segment_s:g} s Welch segment at {sample_rate:g} Hz holds {nperseg} "
                "samples; it needs at least 4."
            )
        if nperseg > n:
            raise ConfigError(
                f"The Welch segment ({segment_s:g} s = {nperseg} samples) is longer than the "
                f"window ({n} samples)."
            )
        self.n = n
        self.nperseg = nperseg
        self.step = nperseg - nperseg // 2
        self.n_seg = (n - nperseg) // self.step + 1
        # Periodic Hann, as scipy.signal.get_window("hann", nperseg).
        self.window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(nperseg) / nperseg)
        self.freqs = np.fft.rfftfreq(nperseg, 1.0 / sample_rate)
        self.df = float(sample_rate) / nperseg
        # Density scaling, one-sided (x2 except DC and Nyquist).
        scale = np.full(self.freqs.size, 2.0 / (sample_rate * np.sum(self.window**2)))
        scale[0] /= 2.0
        if nperseg % 2 == 0:
            scale[-1] /= 2.0
        self.scale = scale
        # x @ seg_mean -> mean of every segment, shape (..., n_ch, n_seg).
        seg_mean = np.zeros((n, self.n_seg))
        for j in range(self.n_seg):
            seg_mean[j * self.step : j * self.step + nperseg, j] = 1.0 / nperseg
        self.seg_mean = seg_mean
        self.detrend_fix = np.array([-nperseg / 2.0, nperseg / 4.0])

    def segments(self, x: np.ndarray) -> np.ndarray:
        """Zero-copy view of the segments: ``(..., n_ch, n_seg, nperseg)``."""
        # as_strided costs a tenth of sliding_window_view's checks; the shape is known.
        shape = (*x.shape[:-1], self.n_seg, self.nperseg)
        strides = (*x.strides[:-1], self.step * x.strides[-1], x.strides[-1])
        return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)

    def spectra(
        self,
        x: np.ndarray,
        n_bins: int,
        *,
        buf: np.ndarray | None = None,
        out: np.ndarray | None = None,
        window: np.ndarray | None = None,
    ) -> np.ndarray:
        """Squared real and imaginary parts of the first ``n_bins`` FFT bins of the
        detrended, Hann-windowed segments, interleaved: ``(..., n_ch, n_seg, 2 * n_bins)``.

        ``buf`` (shape of the segments) and ``out`` are optional preallocated arrays;
        ``window`` may be the Hann window already broadcast to ``buf``'s shape (one flat
        multiply instead of one per segment).
        """
        seg = self.segments(x)
        if buf is None:
            buf = seg * self.window
        else:
            np.copyto(buf, seg)
            np.multiply(buf, self.window if window is None else window, out=buf)
        spec = np.fft.rfft(buf, axis=-1)[..., :n_bins]
        mean = x @ self.seg_mean  # (..., n_ch, n_seg)
        k = min(n_bins, 2)
        spec[..., :k] += mean[..., None] * self.detrend_fix[:k]
        parts = spec.view(np.float64)
        return np.multiply(parts, parts, out=out)

    def psd(self, x: np.ndarray) -> np.ndarray:
        """Welch PSD ``(..., n_ch, n_freqs)`` in units²/Hz."""
        n_freqs = self.freqs.size
        parts = self.spectra(x, n_freqs)
        power = parts.reshape(*parts.shape[:-1], n_freqs, 2).sum(axis=-1)
        return power.mean(axis=-2) * self.scale

    def band_matrix(self, bands: Sequence[tuple[str, float, float]]) -> tuple[np.ndarray, int]:
        """Matrix ``(n_seg * 2 * n_bins, n_bands)`` turning the flattened output of
        :meth:`spectra` into band powers (density scale, one-sided factor, bin width and
        segment mean folded in), and ``n_bins``, the number of leading bins it needs."""
        nyquist = self.freqs[-1]
        cols = []
        for name, lo, hi in bands:
            if hi > nyquist + 1e-9:
                raise ConfigError(
                    f"Band {name!r} ({lo:g}-{hi:g} Hz) reaches above half the sample rate "
                    f"({nyquist:g} Hz)."
                )
            mask = (self.freqs >= lo) & (self.freqs < hi)
            if hi >= nyquist:
                mask |= self.freqs == nyquist
            if not mask.any():
                raise ConfigError(
                    f"Band {name!r} ({lo:g}-{hi:g} Hz) holds no frequency bin at a resolution "
                    f"of {self.df:g} Hz: widen it or lengthen segment_s."
                )
            cols.append(mask * self.scale * self.df / self.n_seg)
        per_bin = np.stack(cols, axis=1)  # (n_freqs, n_bands)
        n_bins = int(np.flatnonzero(per_bin.any(axis=1)).max()) + 1
        per_part = np.repeat(per_bin[:n_bins], 2, axis=0)  # real and imaginary parts
        return np.ascontiguousarray(np.tile(per_part, (self.n_seg, 1))), n_bins


class FeatureExtractor:
    """Computes a model's feature vector from a window of filtered EEG.

    Output order (see :attr:`feature_names`): for each kind in ``spec.kinds``, for each
    channel, for each band, e.g. ``"F3 alpha log_band_power"``; then, for each asymmetry
    pair used, for each asymmetry band, ``ln(P_right) - ln(P_left)``, named e.g.
    ``"asym F4-F3 alpha"``.

    Parameters
    ----------
    spec : FeatureSpec
        What to compute.
    channel_names : sequence of str
        Names of the rows of the windows, in order.
    sample_rate : float
        Samples per second.
    window_samples : int
        Length of every window passed to :meth:`compute`.

    Raises
    ------
    ConfigError
        If the spec does not fit the sample rate or the window length.

    Notes
    -----
    Windows, frequency masks and the band-summing matrix are computed once, here. Calls
    are not thread-safe: use one extractor per thread.
    """

    def __init__(
        self,
        spec: FeatureSpec,
        channel_names: Sequence[str],
        sample_rate: float,
        window_samples: int,
    ) -> None:
        if not sample_rate > 0:
            raise ConfigError(f"The sample rate must be positive, but got {sample_rate!r}.")
        self.spec = spec
        self.channel_names = tuple(str(c) for c in channel_names)
        if not self.channel_names:
            raise ConfigError("FeatureExtractor needs at least one channel.")
        self.sample_rate = float(sample_rate)
        self.window_samples = int(window_samples)
        self._welch = WelchPlan(self.sample_rate, self.window_samples, spec.segment_s)
        self._band_matrix, self._n_bins = self._welch.band_matrix(spec.bands)
        n_ch, welch = len(self.channel_names), self._welch
        self._buf = np.empty((n_ch, welch.n_seg, welch.nperseg))
        self._parts = np.empty((n_ch, welch.n_seg, 2 * self._n_bins))
        self._window_full = np.ascontiguousarray(np.broadcast_to(welch.window, self._buf.shape))

        index = {_site(c): i for i, c in reversed(list(enumerate(self.channel_names)))}
        used, left, right = [], [], []
        for lch, rch in spec.asymmetry_pairs:
            if _site(lch) in index and _site(rch) in index:
                used.append((lch, rch))
                left.append(index[_site(lch)])
                right.append(index[_site(rch)])
        self.asymmetry_pairs_used: tuple[tuple[str, str], ...] = tuple(used)
        band_index = {name: i for i, name in enumerate(spec.band_names)}
        asym_bands = [band_index[b] for b in spec.asymmetry_bands]
        self._asym_left = np.ix_(left, asym_bands)
        self._asym_right = np.ix_(right, asym_bands)

        names = [
            f"{ch} {band} {kind}"
            for kind in spec.kinds
            for ch in self.channel_names
            for band in spec.band_names
        ]
        names += [f"asym {r}-{lft} {b}" for lft, r in used for b in spec.asymmetry_bands]
        self.feature_names: tuple[str, ...] = tuple(names)
        self.n_features: int = len(names)
        if self.n_features == 0:
            raise ConfigError(
                "The feature spec gives no feature for these channels: its asymmetry pairs "
                f"{spec.asymmetry_pairs!r} are missing from {self.channel_names!r}."
            )

    @property
    def freqs(self) -> np.ndarray:
        """Frequencies (Hz) of the Welch PSD bins."""
        return self._welch.freqs.copy()

    @property
    def welch(self) -> WelchPlan:
        """The Welch plan of one window (segments, step, taper)."""
        return self._welch

    @property
    def band_matrix(self) -> np.ndarray:
        """Maps one window's stacked segment spectra to band powers (read only)."""
        return self._band_matrix

    @property
    def n_bins(self) -> int:
        """Spectral bins kept per segment."""
        return self._n_bins

    def _check(self, x: np.ndarray, batch: bool) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        want = (len(self.channel_names), self.window_samples)
        if x.shape[-2:] != want or x.ndim != (3 if batch else 2):
            shape = f"(n_windows, {want[0]}, {want[1]})" if batch else str(want)
            raise ValueError(f"Expected a window of shape {shape}, but got {x.shape}.")
        return x

    def _band_power(self, x: np.ndarray) -> np.ndarray:
        """Band powers ``(n_ch, n_bands)`` of one window ``(n_ch, n)``."""
        parts = self._welch.spectra(
            x, self._n_bins, buf=self._buf, out=self._parts, window=self._window_full
        )
        return parts.reshape(parts.shape[0], -1) @ self._band_matrix

    def band_power(self, window: np.ndarray) -> np.ndarray:
        """Absolute power of each band, µV², shape ``(n_ch, n_bands)``.

        Parameters
        ----------
        window : ndarray, shape (n_ch, window_samples)
        """
        return self._band_power(self._check(window, batch=False))

    def features_from_band_power(self, bp: np.ndarray) -> np.ndarray:
        """Feature vectors ``(..., n_features)`` float32 from band powers ``(..., n_ch, nb)``."""
        lead = bp.shape[:-2]
        out = np.empty((*lead, self.n_features), dtype=np.float32)
        block = bp.shape[-2] * bp.shape[-1]
        log_bp = None
        pos = 0
        for kind in self.spec.kinds:
            dst = out[..., pos : pos + block].reshape(*lead, *bp.shape[-2:])
            if kind == "band_power":
                dst[...] = bp
            elif kind == "relative_band_power":
                dst[...] = bp / (bp.sum(axis=-1, keepdims=True) + EPS)
            else:
                if log_bp is None:
                    log_bp = np.log(bp + EPS)
                if kind == "log_band_power":
                    dst[...] = log_bp
                else:  # differential_entropy
                    dst[...] = 0.5 * (_LOG_2PIE + log_bp)
            pos += block
        if self.asymmetry_pairs_used:
            if log_bp is None:
                log_bp = np.log(bp + EPS)
            asym = log_bp[..., *self._asym_right] - log_bp[..., *self._asym_left]
            out[..., pos:] = asym.reshape(*lead, -1)
        return out

    def compute(self, window: np.ndarray) -> np.ndarray:
        """Feature vector of one window.

        Parameters
        ----------
        window : ndarray, shape (n_ch, window_samples)
            Filtered EEG in µV, finite.

        Returns
        -------
        ndarray, shape (n_features,), float32

        Raises
        ------
        ValueError
            If the window's shape is not ``(n_ch, window_samples)``.
        """
        return self.features_from_band_power(self._band_power(self._check(window, batch=False)))

    def compute_batch(self, windows: np.ndarray) -> np.ndarray:
        """Feature vectors of many windows (same numbers as :meth:`compute` row by row).

        Parameters
        ----------
        windows : ndarray, shape (n_windows, n_ch, window_samples)

        Returns
        -------
        ndarray, shape (n_windows, n_features), float32
        """
        x = self._check(windows, batch=True)
        out = np.empty((x.shape[0], self.n_features), dtype=np.float32)
        # Window by window through the cache-sized work arrays: faster than one big FFT
        # call whose arrays spill out of the CPU caches, and exactly compute()'s numbers.
        for i in range(x.shape[0]):
            out[i] = self.features_from_band_power(self._band_power(x[i]))
        return out


@functools.lru_cache(maxsize=16)
def _plan(sample_rate: float, n: int, segment_s: float) -> WelchPlan:
    return WelchPlan(sample_rate, n, segment_s)


def _plan_for(x: np.ndarray, sample_rate: float, segment_s: float) -> WelchPlan:
    """Cached plan for windows like ``x``; the segment is shortened to the window."""
    n = x.shape[-1]
    return _plan(float(sample_rate), n, min(float(segment_s), n / float(sample_rate)))


def band_powers(
    window: np.ndarray,
    sample_rate: float,
    bands: Sequence[tuple[str, float, float]] = DEFAULT_BANDS,
    *,
    segment_s: float = 1.0,
) -> np.ndarray:
    """Absolute band powers (µV²) of a window, without building an extractor.

    Parameters
    ----------
    window : ndarray, shape (n_ch, n)
    sample_rate : float
    bands : sequence of (name, low, high), optional
    segment_s : float, optional
        Welch segment length (shortened to the window if longer).

    Returns
    -------
    ndarray, shape (n_ch, n_bands)
    """
    x = np.atleast_2d(np.asarray(window, dtype=np.float64))
    plan = _plan_for(x, sample_rate, segment_s)
    matrix, n_bins = plan.band_matrix(_parse_bands(bands))
    parts = plan.spectra(x, n_bins)
    return parts.reshape(*parts.shape[:-2], -1) @ matrix


def log_power_spectrum(
    window: np.ndarray, sample_rate: float, segment_s: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Welch spectrum in decibels, for plotting.

    Parameters
    ----------
    window : ndarray, shape (n_ch, n)
    sample_rate : float
    segment_s : float, optional
        Welch segment length (shortened to the window if longer).

    Returns
    -------
    freqs : ndarray, shape (n_freqs,)
    psd_db : ndarray, shape (n_ch, n_freqs)
        ``10 * log10(PSD)`` with the PSD in µV²/Hz.
    """
    x = np.atleast_2d(np.asarray(window, dtype=np.float64))
    plan = _plan_for(x, sample_rate, segment_s)
    return plan.freqs.copy(), 10.0 * np.log10(plan.psd(x) + EPS)


def welch_spectrum(
    window: np.ndarray,
    sample_rate: float,
    bands: Sequence[tuple[str, float, float]] = DEFAULT_BANDS,
    segment_s: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Welch PSD of a window and its band powers, from one pass of FFTs (what
    :func:`log_power_spectrum` and :func:`band_powers` give, at half their cost together).

    Returns
    -------
    freqs : ndarray, shape (n_freqs,)
    psd : ndarray, shape (n_ch, n_freqs)
        µV²/Hz.
    powers : ndarray, shape (n_ch, n_bands)
        Absolute band powers (µV²): the PSD summed over each band's bins times the bin
        width (a band reaching Nyquist includes it), as :func:`band_powers` computes them.
    """
    x = np.atleast_2d(np.asarray(window, dtype=np.float64))
    plan = _plan_for(x, sample_rate, segment_s)
    psd = plan.psd(x)
    freqs = plan.freqs
    nyquist = freqs[-1]
    columns = []
    for _, lo, hi in _parse_bands(bands):
        mask = (freqs >= lo) & (freqs < hi)
        if hi >= nyquist:
            mask |= freqs == nyquist
        columns.append(psd[..., mask].sum(axis=-1) * plan.df)
    return freqs.copy(), psd, np.stack(columns, axis=-1)
