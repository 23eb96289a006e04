"""Which model a stream uses, decided by one function for the command line and the window.

:func:`resolve_model` takes what the user asked for (:class:`ModelRequest`) and the stream,
and returns the model with how it was chosen. The rule:

1. ``ModelRequest.none()`` (``--no-model``): no model, filtering and quality only.
2. An explicit reference (``--model``, or a model picked in the window): a ``.onnx`` file
   (or any existing file) is loaded as it is; anything else is a registry name
   ``NAME[@VERSION]``.
3. Otherwise the registry's active model (the shipped default until the user activates
   another).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bci_desktop.core.errors import BCIError
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.prediction import Classifier
from bci_desktop.core.stream import StreamInfo
from bci_desktop.core.validate import invalid

__all__ = ["ModelRequest", "ResolvedModel", "load_fallback", "load_model", "resolve_model"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelRequest:
    """What the user asked for: the automatic choice, no model, or one named model.

    Parameters
    ----------
    ref : str or None
        An ONNX file or a registry ``NAME[@VERSION]``; ``None`` for the automatic choice.
    enabled : bool
        False: no model at all.
    """

    ref: str | None = None
    enabled: bool = True

    @classmethod
    def none(cls) -> ModelRequest:
        """No model (``--no-model``)."""
        return cls(None, enabled=False)

    @property
    def explicit(self) -> bool:
        """True when the user named a model."""
        return self.enabled and self.ref is not None


@dataclass(frozen=True)
class ResolvedModel:
    """The model a stream uses and why.

    Attributes
    ----------
    model : Classifier or None
        The loaded model (``None``: no model).
    explicit : bool
        The user named it (a model that does not fit the montage is then an error on the
        command line, rather than a stream of withheld predictions).
    reason : str
        How it was chosen, in words (for the log).
    """

    model: Classifier | None
    explicit: bool
    reason: str

    @property
    def label(self) -> str:
        """``name@version``, ``""`` without a model."""
        return "" if self.model is None else self.model.metadata.label


def load_model(
    ref: str, info: StreamInfo | None = None, registry: ModelRegistry | None = None
) -> Classifier:
    """Load the model ``ref`` names: an ONNX file, or ``NAME[@VERSION]`` in the registry.

    Raises
    ------
    ConfigError
        If ``ref`` is empty.
    ModelError
        If the file is invalid or no such model is in the registry.
    """
    from bci_desktop.core.inference.model import EmotionModel

    text = ref.strip() if isinstance(ref, str) else ""
    if not text:
        raise invalid("model", "an ONNX file or a model NAME[@VERSION]", ref)
    path = Path(text).expanduser()
    if path.suffix.lower() == ".onnx" or path.is_file():
        return EmotionModel.load(path)
    return (registry or ModelRegistry()).get(text).load(info)


def resolve_model(
    request: ModelRequest, info: StreamInfo, registry: ModelRegistry | None = None
) -> ResolvedModel:
    """The model for ``info``'s stream, by the rule of this module's docstring.

    Raises
    ------
    BCIError
        If the named model cannot be loaded, or no model is available at all.
    """
    if not request.enabled:
        return ResolvedModel(None, False, "no model asked for")
    if request.ref is not None:
        return ResolvedModel(load_model(request.ref, info, registry), True, "named by the user")
    entry = (registry or ModelRegistry()).active()
    return ResolvedModel(entry.load(info), False, f"the active model {entry.label}")


def load_fallback(
    model: Classifier | None, info: StreamInfo, registry: ModelRegistry | None = None
) -> tuple[Classifier | None, str | None]:
    """The latency fallback of ``model`` (the fastest other validated model for its
    classes) and, when there is none, why in words.

    A registry or model fault is reported as the reason, never raised: the stream goes on
    with an over-budget model that only warns.
    """
    if model is None:
        return None, None
    try:
        fallback = (registry or ModelRegistry()).load_fallback_for(model, info)
    except BCIError as exc:
        logger.warning("No latency fallback: %s", exc)
        return None, f"Latency fallback unavailable: {exc}"
    if fallback is None:
        return None, (
            f"Latency fallback: no other validated model predicts {', '.join(model.classes)}; "
            "an over-budget model only warns."
        )
    return fallback, None
