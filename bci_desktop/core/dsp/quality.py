"""Per-channel signal quality: NaN/inf, flat line, railed, high amplitude, line noise."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.validate import check_positive, invalid

__all__ = ["QualityLevel", "QualityMonitor", "QualityReport", "QualityState", "QualityThresholds"]

_EPS = 1e-12
#: Half-width in Hz of the band around the mains frequency counted as line noise.
LINE_HALF_WIDTH_HZ = 2.0
#: Band in Hz whose power (less the line band) is the reference of the line-noise ratio.
REFERENCE_BAND_HZ = (1.0, 45.0)
#: Fraction of the rail at which a sample counts as railed.
RAIL_FRACTION = 0.99


class QualityState(enum.IntEnum):
    """What is wrong with a channel; when several apply, the lowest non-zero value wins
    among the problems of the channel's (worst) level."""

    GOOD = 0
    NOT_FINITE = 1
    FLAT = 2
    RAILED = 3
    HIGH_AMPLITUDE = 4
    LINE_NOISE = 5

    @property
    def label(self) -> str:
        """Short text a user reads, e.g. ``"flat line"``."""
        return _STATE_LABELS[self]


_STATE_LABELS = {
    QualityState.GOOD: "good",
    QualityState.NOT_FINITE: "NaN/inf",
    QualityState.FLAT: "flat line",
    QualityState.RAILED: "railed",
    QualityState.HIGH_AMPLITUDE: "high amplitude",
    QualityState.LINE_NOISE: "line noise",
}


class QualityLevel(enum.IntEnum):
    """How usable a channel is: good, poor (usable with care) or bad (do not use)."""

    GOOD = 0
    POOR = 1
    BAD = 2

    @property
    def label(self) -> str:
        """``"good"``, ``"poor"`` or ``"bad"``."""
        return self.name.lower()


@dataclass(frozen=True)
class QualityThresholds:
    """Limits that decide a channel's quality.

    Parameters
    ----------
    flat_uv : float
        Standard deviation of the raw signal (µV) below which a channel is a flat line.
    rail_uv : float
        Full-scale range of the amplifier (µV); a sample with ``|x| >= 0.99 * rail_uv`` is
        at the rail. 187 500 µV is the OpenBCI Cyton's range; set it per board.
    railed_fraction_bad : float
        Fraction of railed samples from which a channel is railed (bad).
    amplitude_poor_uv, amplitude_bad_uv : float
        Standard deviation of the filtered signal (µV) from which a channel is poor / bad.
    line_noise_poor, line_noise_bad : float
        Ratio of raw power within ±2 Hz of the mains frequency to raw power in 1-45 Hz
        (less the line band) from which a channel is poor / bad. The notch filter removes
        moderate mains interference, so it only makes a channel poor; a ratio of 100 or more
        (about a floating electrode) makes it bad and withholds predictions that need it.
    """

    flat_uv: float = 0.5
    rail_uv: float = 187_500.0
    railed_fraction_bad: float = 0.1
    amplitude_poor_uv: float = 100.0
    amplitude_bad_uv: float = 300.0
    line_noise_poor: float = 1.0
    line_noise_bad: float = 100.0

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            check_positive(name, value)
        if self.amplitude_bad_uv < self.amplitude_poor_uv:
            raise ConfigError(
                f"amplitude_bad_uv ({self.amplitude_bad_uv:g}) must not be below "
                f"amplitude_poor_uv ({self.amplitude_poor_uv:g})."
            )
        if self.line_noise_bad < self.line_noise_poor:
            raise ConfigError(
                f"line_noise_bad ({self.line_noise_bad:g}) must not be below "
                f"line_noise_poor ({self.line_noise_poor:g})."
            )


@dataclass(frozen=True, eq=False)
class QualityReport:
    """Quality of every channel over one stretch of signal.

    All arrays have shape ``(n_channels,)``, in the order of :attr:`channel_names`, and are
    read-only.

    Parameters
    ----------
    channel_names : tuple of str
    states : ndarray of int
        :class:`QualityState` value of each channel.
    levels : ndarray of int
        :class:`QualityLevel` value of each channel.
    amplitude_uv : ndarray of float
        Standard deviation of the filtered signal (finite samples only).
    line_noise_ratio : ndarray of float
        Line-band power over reference-band power of the raw signal.
    railed_fraction : ndarray of float
        Fraction of samples at the rail.
    nonfinite_fraction : ndarray of float
        Fraction of NaN/inf samples in the raw signal.
    line_freq : float
        Mains frequency used for the line-noise ratio.
    """

    channel_names: tuple[str, ...]
    states: np.ndarray
    levels: np.ndarray
    amplitude_uv: np.ndarray
    line_noise_ratio: np.ndarray
    railed_fraction: np.ndarray
    nonfinite_fraction: np.ndarray
    line_freq: float = 50.0

    def _index(self, name_or_index: str | int) -> int:
        if isinstance(name_or_index, int | np.integer):
            return int(name_or_index)
        lowered = [n.lower() for n in self.channel_names]
        try:
            return lowered.index(str(name_or_index).lower())
        except ValueError:
            raise ConfigError(
                f"Unknown channel {name_or_index!r}. Channels are {', '.join(self.channel_names)}."
            ) from None

    def state(self, i: int | str) -> QualityState:
        """State of channel ``i`` (index or name)."""
        return QualityState(int(self.states[self._index(i)]))

    def level(self, i: int | str) -> QualityLevel:
        """Level of channel ``i`` (index or name)."""
        return QualityLevel(int(self.levels[self._index(i)]))

    def bad_channels(self) -> tuple[str, ...]:
        """Names of the channels whose level is BAD."""
        return tuple(n for n, lv in zip(self.channel_names, self.levels, strict=True) if lv == 2)

    def worst_level(self, names: Sequence[str] | None = None) -> QualityLevel:
        """Worst level over ``names`` (case-insensitive), or over every channel if ``None``.

        Raises
        ------
        ConfigError
            If a name is not a channel of the report.
        """
        if names is None:
            levels = self.levels
        else:
            levels = self.levels[[self._index(n) for n in names]]
        return QualityLevel(int(levels.max())) if levels.size else QualityLevel.GOOD

    def describe(self, name: str | int) -> str:
        """One line about one channel, e.g. ``"F3: railed (42% of samples at the rail)"``."""
        i = self._index(name)
        state = QualityState(int(self.states[i]))
        ch = self.channel_names[i]
        if state == QualityState.NOT_FINITE:
            detail = f"{self.nonfinite_fraction[i]:.0%} of samples are NaN or infinite"
        elif state == QualityState.FLAT:
            detail = "no signal: check the electrode and its cable"
        elif state == QualityState.RAILED:
            detail = f"{self.railed_fraction[i]:.0%} of samples at the rail"
        elif state == QualityState.HIGH_AMPLITUDE:
            detail = f"{self.amplitude_uv[i]:.0f} µV standard deviation"
        elif state == QualityState.LINE_NOISE:
            detail = (
                f"{self.line_noise_ratio[i]:.1f}x more power at {self.line_freq:g} Hz "
                "than in the EEG band"
            )
        else:
            detail = f"{self.amplitude_uv[i]:.1f} µV standard deviation"
        return f"{ch}: {state.label} ({detail})"

    def summary(self) -> str:
        """Short one-liner, e.g. ``"14 good, 1 poor (C4: high amplitude), 1 bad (Oz: flat
        line)"``; at most four channels are named per level."""
        parts = []
        for level in QualityLevel:
            idx = np.flatnonzero(self.levels == level)
            if idx.size == 0:
                continue
            if level == QualityLevel.GOOD:
                parts.append(f"{idx.size} good")
                continue
            shown = [
                f"{self.channel_names[i]}: {QualityState(int(self.states[i])).label}"
                for i in idx[:4]
            ]
            if idx.size > 4:
                shown.append(f"{idx.size - 4} more")
            parts.append(f"{idx.size} {level.label} ({', '.join(shown)})")
        return ", ".join(parts) if parts else "no channels"


class QualityMonitor:
    """Scores the quality of each channel over a short window (e.g. the last second).

    Checks, per channel, with the level each gives:

    - NaN/inf in the raw signal: BAD;
    - flat line, raw standard deviation below ``flat_uv``: BAD (a channel that is railed is
      reported as railed instead);
    - railed, at least ``railed_fraction_bad`` of the samples at ``>= 0.99 * rail_uv``: BAD;
    - high amplitude, filtered standard deviation ``>= amplitude_poor_uv``: POOR,
      ``>= amplitude_bad_uv``: BAD;
    - line noise, raw power within ±2 Hz of ``line_freq`` over raw power in 1-45 Hz (less
      that band), ``>= line_noise_poor``: POOR, ``>= line_noise_bad``: BAD.

    A channel's level is the worst level found; its state is the check that gave that level
    (the lowest :class:`QualityState` value when several did).

    Parameters
    ----------
    channel_names : sequence of str
        Names of the rows of the windows to assess.
    sample_rate : float
        Samples per second.
    line_freq : float, optional
        Mains frequency (50 or 60 Hz).
    thresholds : QualityThresholds, optional
        Limits; defaults suit an OpenBCI Cyton.
    """

    def __init__(
        self,
        channel_names: Sequence[str],
        sample_rate: float,
        *,
        line_freq: float = 50.0,
        thresholds: QualityThresholds | None = None,
    ) -> None:
        self.channel_names = tuple(str(n) for n in channel_names)
        if not self.channel_names:
            raise ConfigError("QualityMonitor needs at least one channel.")
        if not sample_rate > 0:
            raise ConfigError(f"The sample rate must be positive, but got {sample_rate!r}.")
        if not 0 < line_freq < sample_rate / 2:
            raise invalid(
                "line_freq", f"a frequency between 0 and {sample_rate / 2:g} Hz", line_freq
            )
        self.sample_rate = float(sample_rate)
        self.line_freq = float(line_freq)
        self.thresholds = QualityThresholds() if thresholds is None else thresholds
        th = self.thresholds
        # Per-check thresholds, rows as in assess(): NaN/inf, flat (negated), railed,
        # amplitude, line noise. Checks 0-2 are bad at once (poor == bad threshold).
        tiny = np.finfo(np.float64).tiny
        flat = -np.nextafter(th.flat_uv, 0.0)  # raw_std < flat_uv  <=>  -raw_std >= flat
        self._poor = np.array(
            [tiny, flat, th.railed_fraction_bad, th.amplitude_poor_uv, th.line_noise_poor]
        )[:, None]
        self._bad = np.array(
            [tiny, flat, th.railed_fraction_bad, th.amplitude_bad_uv, th.line_noise_bad]
        )[:, None]
        self._plan_n = -1
        self._window = np.empty(0)
        self._band_matrix = np.empty((0, 2))

    def _plan(self, n: int) -> None:
        """Cache the Hann window and the line/reference band matrix for ``n`` samples."""
        if n == self._plan_n:
            return
        freqs = np.fft.rfftfreq(n, 1.0 / self.sample_rate)
        line = np.abs(freqs - self.line_freq) <= LINE_HALF_WIDTH_HZ
        lo, hi = REFERENCE_BAND_HZ
        ref = (freqs >= lo) & (freqs <= hi) & ~line
        # Rows follow the interleaved (real, imaginary) parts of the spectrum.
        self._band_matrix = np.repeat(np.stack([line, ref], axis=1).astype(np.float64), 2, axis=0)
        self._window = np.hanning(n)
        self._plan_n = n

    def assess(self, raw: np.ndarray, filtered: np.ndarray) -> QualityReport:
        """Score every channel.

        Parameters
        ----------
        raw : ndarray, shape (n_channels, n)
            Unfiltered samples in µV; may hold NaN/inf (the numbers of such a channel are
            computed on its finite samples, and its state is NOT_FINITE).
        filtered : ndarray, shape (n_channels, n)
            The same samples after the streaming filter.

        Returns
        -------
        QualityReport

        Raises
        ------
        ValueError
            If the shapes do not match the channels or each other.
        """
        n_ch = len(self.channel_names)
        raw = np.asarray(raw, dtype=np.float64)
        filtered = np.asarray(filtered, dtype=np.float64)
        if raw.ndim != 2 or raw.shape[0] != n_ch or filtered.shape != raw.shape:
            raise ValueError(
                f"QualityMonitor.assess expects raw and filtered of shape ({n_ch}, n), "
                f"but got {raw.shape} and {filtered.shape}."
            )
        n = raw.shape[1]
        th = self.thresholds

        centred, raw_std, nonfinite_fraction = _centre(raw)
        x = raw if nonfinite_fraction is None else np.where(np.isfinite(raw), raw, 0.0)
        if nonfinite_fraction is None:
            nonfinite_fraction = np.zeros(n_ch)
        rail = RAIL_FRACTION * th.rail_uv
        if n and (x.max() >= rail or x.min() <= -rail):
            railed_fraction = np.count_nonzero(np.abs(x) >= rail, axis=1) / n
        else:
            railed_fraction = np.zeros(n_ch)
        amplitude = _std(filtered)
        line_ratio = self._line_noise(centred)

        # One row per check, in QualityState order; "flat" is negated so that every check
        # is "metric >= threshold". A check gives level 0, 1 (>= poor) or 2 (>= bad).
        metrics = np.stack([nonfinite_fraction, -raw_std, railed_fraction, amplitude, line_ratio])
        checks = np.add(metrics >= self._poor, metrics >= self._bad, dtype=np.int8)
        checks[1] *= railed_fraction < th.railed_fraction_bad  # railed wins over flat
        levels = checks.max(axis=0)
        states = (np.argmax(checks == levels, axis=0) + 1) * (levels > 0)

        arrays = [
            states,
            levels.astype(np.int64),
            amplitude,
            line_ratio,
            railed_fraction,
            nonfinite_fraction,
        ]
        for a in arrays:
            a.flags.writeable = False
        return QualityReport(self.channel_names, *arrays, line_freq=self.line_freq)

    def _line_noise(self, centred: np.ndarray) -> np.ndarray:
        """Line-band over reference-band power of mean-removed raw samples."""
        n = centred.shape[1]
        if n < 2:
            return np.zeros(centred.shape[0])
        self._plan(n)
        parts = np.fft.rfft(centred * self._window, axis=-1).view(np.float64)
        bands = np.square(parts, out=parts) @ self._band_matrix
        return bands[:, 0] / (bands[:, 1] + _EPS)


def _centre(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Mean-removed rows (0 at non-finite samples), row standard deviations over the finite
    samples (0 for a row with none), and the fraction of non-finite samples per row (``None``
    when every sample is finite)."""
    n = x.shape[1]
    sums = x.sum(axis=1)
    if np.isfinite(sums).all():  # cheaper than isfinite(x); a NaN/inf makes its sum NaN/inf
        centred = x - sums[:, None] * (1.0 / max(n, 1))
        var = np.einsum("ij,ij->i", centred, centred) * (1.0 / max(n, 1))
        return centred, np.sqrt(var), None
    finite = np.isfinite(x)
    count = np.count_nonzero(finite, axis=1)
    safe = np.maximum(count, 1).astype(np.float64)
    x0 = np.where(finite, x, 0.0)
    centred = (x0 - (x0.sum(axis=1) / safe)[:, None]) * finite
    var = np.einsum("ij,ij->i", centred, centred) / safe
    return centred, np.sqrt(var), 1.0 - count / max(n, 1)


def _std(x: np.ndarray) -> np.ndarray:
    """Row standard deviations over the finite samples (0 for a row with none)."""
    n = x.shape[1]
    if n == 0:
        return np.zeros(x.shape[0])
    mean = x.sum(axis=1) * (1.0 / n)
    if not np.isfinite(mean).all():
        return _centre(x)[1]
    var = np.einsum("ij,ij->i", x, x) * (1.0 / n) - mean * mean
    return np.sqrt(np.maximum(var, 0.0))
