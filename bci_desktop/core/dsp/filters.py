"""Causal streaming filters: mains notch, band-pass and common average reference.

The filter carries its state from one block to the next, so filtering a signal chunk by
chunk gives exactly the result of filtering it whole (no edge transients at chunk borders,
unlike BrainFlow's stateless ``DataFilter``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.validate import check_choice, check_int, invalid

__all__ = ["NOTCH_Q", "FilterSettings", "StreamingFilter", "design_sos"]

log = logging.getLogger(__name__)

#: Quality factor of the mains notch: -3 dB width = notch / Q (about 1.7 Hz at 50 Hz).
NOTCH_Q = 30.0

_NOTCH_CHOICES: tuple[object, ...] = (50.0, 60.0, None)
_MAX_ORDER = 8


@dataclass(frozen=True)
class FilterSettings:
    """What the streaming filter does.

    Parameters
    ----------
    notch_hz : float | None
        Mains frequency to remove: ``50.0``, ``60.0`` or ``None`` (no notch).
    bandpass : tuple of (float, float) | None
        Band-pass edges in Hz, ``(low, high)`` with ``0 < low < high < sample_rate / 2``;
        ``None`` turns the band-pass off.
    common_average : bool
        Subtract the mean over channels from every sample before filtering.
    order : int
        Order of the Butterworth band-pass (1 to 8).
    """

    notch_hz: float | None = 50.0
    bandpass: tuple[float, float] | None = (1.0, 45.0)
    common_average: bool = False
    order: int = 4

    def __post_init__(self) -> None:
        # Accept JSON-ish input (lists, ints) and store it in one canonical form.
        if isinstance(self.bandpass, list | tuple) and len(self.bandpass) == 2:
            lo, hi = self.bandpass
            if _is_number(lo) and _is_number(hi):
                object.__setattr__(self, "bandpass", (float(lo), float(hi)))
        if _is_number(self.notch_hz):
            object.__setattr__(self, "notch_hz", float(self.notch_hz))

    def validate(self, sample_rate: float) -> None:
        """Check the settings against a sample rate.

        Parameters
        ----------
        sample_rate : float
            Samples per second of the stream to filter.

        Raises
        ------
        ConfigError
            If any setting cannot be used at this sample rate; the message names the
            parameter, what is allowed and what was received.
        """
        if not (_is_number(sample_rate) and sample_rate > 0):
            raise ConfigError(
                f"The sample rate must be a positive number, but got {sample_rate!r}."
            )
        nyquist = float(sample_rate) / 2.0
        check_choice("notch_hz", self.notch_hz, _NOTCH_CHOICES)
        if self.notch_hz is not None and self.notch_hz >= nyquist:
            raise invalid(
                "notch_hz",
                f"a notch below half the stream's sample rate of {sample_rate:g} Hz, or None",
                self.notch_hz,
            )
        if self.bandpass is not None:
            bp = self.bandpass
            edges = f"two numbers (low, high) in Hz with 0 < low < high < {nyquist:g} Hz"
            if not (isinstance(bp, tuple) and len(bp) == 2 and all(_is_number(e) for e in bp)):
                raise invalid("bandpass", f"None or {edges}", bp)
            lo, hi = bp
            if not 0.0 < lo < hi < nyquist:
                raise invalid("bandpass", f"{edges} (half the sample rate)", bp)
        if not isinstance(self.common_average, bool | np.bool_):
            raise invalid("common_average", "True or False", self.common_average)
        check_int("order", self.order, minimum=1, maximum=_MAX_ORDER)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-friendly dict (the band-pass as a list)."""
        d = asdict(self)
        d["bandpass"] = None if self.bandpass is None else [float(e) for e in self.bandpass]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FilterSettings:
        """Build settings from a dict such as :meth:`to_dict` returns.

        Missing keys take their defaults; unknown keys raise :class:`ConfigError`. Values are
        checked with :meth:`validate` once the sample rate is known.
        """
        if not isinstance(d, Mapping):
            raise ConfigError(f"Filter settings must be a mapping, but got {type(d).__name__}.")
        known = {"notch_hz", "bandpass", "common_average", "order"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(
                f"Unknown filter setting(s) {', '.join(map(repr, unknown))}. Known settings "
                f"are {', '.join(sorted(known))}."
            )
        return cls(**dict(d))

    def describe(self) -> str:
        """One line a user can read, e.g. ``"notch 50 Hz, band-pass 1-45 Hz (order 4)"``."""
        parts = []
        parts.append("no notch" if self.notch_hz is None else f"notch {self.notch_hz:g} Hz")
        if self.bandpass is None:
            parts.append("no band-pass")
        else:
            parts.append(
                f"band-pass {self.bandpass[0]:g}-{self.bandpass[1]:g} Hz (order {self.order})"
            )
        if self.common_average:
            parts.append("common average reference")
        return ", ".join(parts)


def _is_number(x: object) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


def design_sos(sample_rate: float, settings: FilterSettings) -> np.ndarray:
    """Return the second-order sections of the notch followed by the band-pass.

    Parameters
    ----------
    sample_rate : float
        Samples per second.
    settings : FilterSettings
        What to filter; validated here.

    Returns
    -------
    ndarray, shape (n_sections, 6)
        Empty (0 sections) when both the notch and the band-pass are off.
    """
    from scipy import signal  # imported on use: reading a model's metadata needs no scipy

    settings.validate(sample_rate)
    sections = []
    if settings.notch_hz is not None:
        b, a = signal.iirnotch(settings.notch_hz, NOTCH_Q, fs=sample_rate)
        sections.append(signal.tf2sos(b, a))
    if settings.bandpass is not None:
        sections.append(
            signal.butter(
                settings.order, settings.bandpass, btype="bandpass", output="sos", fs=sample_rate
            )
        )
    if not sections:
        return np.zeros((0, 6))
    return np.ascontiguousarray(np.concatenate(sections, axis=0), dtype=np.float64)


def _sosfilt_public(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> None:
    """Filter ``x`` (n, n_samples) in place; ``zi`` (n, n_sections, 2) updated in place."""
    from scipy import signal

    y, zf = signal.sosfilt(sos, x, axis=-1, zi=zi.transpose(1, 0, 2))
    x[...] = y
    zi[...] = zf.transpose(1, 0, 2)


def _load_fast_sosfilt() -> Callable[[np.ndarray, np.ndarray, np.ndarray], None]:
    """Return scipy's compiled in-place ``_sosfilt`` kernel if it works here, else the
    public ``sosfilt`` (same numbers, ~15x the per-call overhead on small blocks).

    The kernel is private to scipy, so it is checked once against the public function.
    """
    from scipy import signal

    try:
        from scipy.signal._sosfilt import _sosfilt
    except ImportError:
        log.debug("scipy's _sosfilt kernel is not importable; using signal.sosfilt")
        return _sosfilt_public
    sos = signal.butter(2, (0.1, 0.3), btype="bandpass", output="sos")
    x = np.sin(np.arange(24.0)).reshape(2, 12)
    zi = np.ones((2, sos.shape[0], 2))
    fast_x, fast_zi = x.copy(), zi.copy()
    slow_x, slow_zi = x.copy(), zi.copy()
    try:
        _sosfilt(sos, fast_x, fast_zi)
    except (TypeError, ValueError) as exc:
        log.debug("scipy's _sosfilt kernel failed its check (%s); using signal.sosfilt", exc)
        return _sosfilt_public
    _sosfilt_public(sos, slow_x, slow_zi)
    if np.allclose(fast_x, slow_x, rtol=1e-12, atol=1e-12) and np.allclose(
        fast_zi, slow_zi, rtol=1e-12, atol=1e-12
    ):
        return _sosfilt
    log.debug("scipy's _sosfilt kernel disagrees with signal.sosfilt; using the latter")
    return _sosfilt_public


_fast_sosfilt = functools.cache(_load_fast_sosfilt)


def _sosfilt_inplace(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> None:
    """Filter in place with the kernel :func:`_load_fast_sosfilt` picked (on first use)."""
    _fast_sosfilt()(sos, x, zi)


class StreamingFilter:
    """Causal IIR filter over all channels that keeps its state between blocks.

    One cascade of second-order sections: the mains notch (``iirnotch``, Q = 30) then the
    Butterworth band-pass. When ``common_average`` is on, the mean over channels is
    subtracted from each sample before filtering.

    The state is initialised on the first sample after construction or :meth:`reset`, as the
    steady state for a constant input equal to that sample (``sosfilt_zi`` scaled per
    channel), so a DC offset gives no step transient. Filtering a signal in chunks of any
    sizes (including 0 and 1) gives the same output as filtering it whole.

    Parameters
    ----------
    n_channels : int
        Number of channels (rows of every block).
    sample_rate : float
        Samples per second.
    settings : FilterSettings, optional
        What to filter; notch 50 Hz and band-pass 1-45 Hz by default.

    Raises
    ------
    ConfigError
        If the settings cannot be used at this sample rate.

    Notes
    -----
    Non-finite input never enters the filter state: NaN and +/-inf samples are replaced by 0
    before filtering (the engine normally replaces them before calling :meth:`process`).
    """

    def __init__(
        self, n_channels: int, sample_rate: float, settings: FilterSettings | None = None
    ) -> None:
        if int(n_channels) < 1:
            raise ValueError(f"n_channels must be at least 1, but got {n_channels!r}.")
        settings = FilterSettings() if settings is None else settings
        self.n_channels = int(n_channels)
        self.sample_rate = float(sample_rate)
        self._settings = settings
        self._sos = design_sos(self.sample_rate, settings)
        n_sec = self._sos.shape[0]
        # Steady-state response to a unit step, per section: (n_sections, 2).
        from scipy import signal

        self._zi_unit = signal.sosfilt_zi(self._sos) if n_sec else None
        # Filter state, (n_channels, n_sections, 2), or None until the first sample.
        self._zi: np.ndarray | None = None
        log.debug(
            "StreamingFilter: %d channels at %g Hz, %s",
            n_channels,
            sample_rate,
            settings.describe(),
        )

    @property
    def settings(self) -> FilterSettings:
        """The settings this filter was built with."""
        return self._settings

    @property
    def sos(self) -> np.ndarray:
        """The second-order sections applied, shape (n_sections, 6) (a copy)."""
        return self._sos.copy()

    def process(self, block: np.ndarray) -> np.ndarray:
        """Filter the next block of samples.

        Parameters
        ----------
        block : ndarray, shape (n_channels, n)
            New raw samples, oldest first; ``n`` may be 0.

        Returns
        -------
        ndarray, shape (n_channels, n), float64
            The filtered samples (a new array).

        Raises
        ------
        ValueError
            If ``block`` is not 2-D with ``n_channels`` rows.
        """
        x = np.asarray(block, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] != self.n_channels:
            raise ValueError(
                f"StreamingFilter.process expects a block of shape ({self.n_channels}, n), "
                f"but got shape {x.shape}."
            )
        if x.shape[1] == 0:
            return np.empty((self.n_channels, 0))
        # From here on, y is a new C-contiguous array that the filter may overwrite.
        if np.isfinite(x.sum()):  # one cheap reduction instead of isfinite(x).all()
            y = np.array(x, dtype=np.float64, order="C", copy=True)
        else:
            y = np.where(np.isfinite(x), x, 0.0)
        if self._settings.common_average:
            y -= y.mean(axis=0, keepdims=True)
        if self._zi_unit is None:
            return y
        if self._zi is None:
            self._zi = np.ascontiguousarray(y[:, :1, None] * self._zi_unit[None, :, :])
        _sosfilt_inplace(self._sos, y, self._zi)
        return y

    def reset(self) -> None:
        """Forget the filter state: the next block starts afresh."""
        self._zi = None
