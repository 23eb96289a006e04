"""Welch features updated with one new segment per hop ("cached FFT windows").

A 4 s window analysed with 1 s Hann segments at 50 % overlap holds 7 segments. When the
segment step is a whole number of hops (0.5 s = 2 hops of 0.25 s), the segments of the
window at hop ``k`` are exactly the newest segments of hops ``k, k-2, ..., k-12``. So each
hop needs the FFT of one new segment only; the window's band powers are the sum of the
cached per-segment contributions. The result equals :meth:`FeatureExtractor.compute` on
the same window (to floating-point rounding), at a fraction of the cost.
"""

from __future__ import annotations

import numpy as np

from bci_desktop.core.dsp.features import FeatureExtractor, WelchPlan


class IncrementalWelch:
    """Per-hop cache of Welch segment band powers for one :class:`FeatureExtractor`.

    Use :meth:`plan`, which returns ``None`` when the hop does not divide the segment step
    (then compute whole windows with :meth:`FeatureExtractor.compute`). Call :meth:`push`
    at every hop with the newest ``nperseg`` samples, and :meth:`features` once
    :attr:`ready`.
    """

    def __init__(self, extractor: FeatureExtractor, stride: int) -> None:
        welch = extractor.welch
        self._extractor = extractor
        self.nperseg = welch.nperseg
        self._stride = stride
        self._n_seg = welch.n_seg
        self._size = (welch.n_seg - 1) * stride + 1
        n_ch = len(extractor.channel_names)
        n_bins = extractor.n_bins
        self._n_bins = n_bins
        # Every segment's block of the band matrix is the same (1/n_seg folded in).
        self._per_segment = np.ascontiguousarray(extractor.band_matrix[: 2 * n_bins])
        self._plan = WelchPlan(extractor.sample_rate, welch.nperseg, extractor.spec.segment_s)
        self._buf = np.empty((n_ch, 1, welch.nperseg))
        self._parts = np.empty((n_ch, 1, 2 * n_bins))
        self._window = np.ascontiguousarray(np.broadcast_to(self._plan.window, self._buf.shape))
        self._ring = np.zeros((self._size, n_ch, self._per_segment.shape[1]))
        self._offsets = np.arange(self._n_seg) * stride
        self._count = 0

    @classmethod
    def plan(cls, extractor: FeatureExtractor, hop_samples: float) -> IncrementalWelch | None:
        """An incremental plan if the segment step is a whole number of hops, else None."""
        ratio = extractor.welch.step / hop_samples
        stride = round(ratio)
        if stride < 1 or abs(ratio - stride) > 1e-9:
            return None
        return cls(extractor, stride)

    @property
    def ready(self) -> bool:
        """True once enough consecutive hops were pushed to cover a whole window."""
        return self._count >= self._size

    def reset(self) -> None:
        """Forget every cached segment (after a gap or a buffer reset)."""
        self._count = 0

    def push(self, segment: np.ndarray) -> None:
        """Add the newest segment, shape ``(n_ch, nperseg)``, at one hop."""
        parts = self._plan.spectra(
            segment, self._n_bins, buf=self._buf, out=self._parts, window=self._window
        )
        np.matmul(
            parts.reshape(parts.shape[0], -1),
            self._per_segment,
            out=self._ring[self._count % self._size],
        )
        self._count += 1

    def band_power(self) -> np.ndarray:
        """Band powers ``(n_ch, n_bands)`` of the window ending at the last push."""
        idx = (self._count - 1 - self._offsets) % self._size
        return self._ring[idx].sum(axis=0)

    def features(self) -> np.ndarray:
        """Feature vector of the window ending at the last push (as ``compute`` gives)."""
        return self._extractor.features_from_band_power(self.band_power())
