"""BCI Desktop: real-time EEG streaming, signal quality and emotion classification."""

__version__ = "0.1.0"
