"""Signal processing: ring buffer, streaming filters, signal quality, features."""

from bci_desktop.core.dsp.features import (
    DEFAULT_BANDS,
    FEATURE_KINDS,
    FeatureExtractor,
    FeatureSpec,
    band_powers,
    log_power_spectrum,
)
from bci_desktop.core.dsp.filters import FilterSettings, StreamingFilter
from bci_desktop.core.dsp.quality import (
    QualityLevel,
    QualityMonitor,
    QualityReport,
    QualityState,
    QualityThresholds,
)
from bci_desktop.core.dsp.ring_buffer import RingBuffer

__all__ = [
    "DEFAULT_BANDS",
    "FEATURE_KINDS",
    "FeatureExtractor",
    "FeatureSpec",
    "FilterSettings",
    "QualityLevel",
    "QualityMonitor",
    "QualityReport",
    "QualityState",
    "QualityThresholds",
    "RingBuffer",
    "StreamingFilter",
    "band_powers",
    "log_power_spectrum",
]
