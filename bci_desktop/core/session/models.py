"""Which model a stream uses, decided by one function for the command line and the window.

:func:`resolve_model` takes what the user asked for (:class:`ModelRequest`) and the stream,
and returns the model with how it was chosen. The rule:

1. ``ModelRequest.none()`` (``--no-model``): no model, filtering and quality only.
2. A model file the user named (``--model x.onnx``, or a file in the window's settings) is
   loaded as it is.
3. Otherwise :func:`~bci_desktop.core.inference.model_choice.choose_model` decides among the
   registry's models: a model the user named (``--model NAME[@VERSION]``) or activated stays
   on top even when it does not fit the montage; else the best validated model whose
   channels the stream has.
4. When none fits, the registry's active model runs anyway and every prediction is withheld
   with the reason (the channels it lacks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bci_desktop.core.engine import Engine
from bci_desktop.core.errors import BCIError, ChannelMismatchError, ConfigError
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.prediction import Classifier
from bci_desktop.core.session.status import NoticeLevel
from bci_desktop.core.stream import StreamInfo
from bci_desktop.core.validate import invalid

if TYPE_CHECKING:
    from bci_desktop.core.session.options import SessionOptions

__all__ = [
    "ModelRequest",
    "ResolvedModel",
    "arm_fallback",
    "build_engine",
    "load_fallback",
    "load_model",
    "resolve_model",
    "switch_model",
]

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
    from bci_desktop.core.inference.model_choice import choose_model

    if not request.enabled:
        return ResolvedModel(None, False, "no model asked for")
    ref = request.ref.strip() if request.ref is not None else None
    if ref is not None and (ref.lower().endswith(".onnx") or Path(ref).expanduser().is_file()):
        return ResolvedModel(load_model(ref, info, registry), True, f"the file {ref}")
    registry = registry or ModelRegistry()
    preferred = ref if ref else registry.chosen_label()
    if ref is not None:
        registry.get(ref)  # a name that is not in the registry is an error, not a choice
    choice = choose_model(info.channel_names, registry.list(), preferred=preferred)
    if choice.entry is None:
        entry = registry.active()
        return ResolvedModel(entry.load(info), False, choice.reason)
    return ResolvedModel(choice.entry.load(info), ref is not None, choice.reason)


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


def switch_model(
    engine: Engine, ref: str, registry: ModelRegistry | None = None
) -> tuple[Classifier, str | None]:
    """Make the model ``ref`` names the engine's, between two predictions.

    Returns the model and, when it runs but every prediction will be withheld (a montage
    without its channels), why.

    Raises
    ------
    BCIError
        If it cannot be loaded, or it cannot run here while another model can (that one
        stays in use).
    """
    model = load_model(ref, engine.info, registry)
    previous = engine.primary_model
    engine.set_model(model)
    problem = engine.model_problem
    if problem and previous is not None:
        engine.set_model(previous)
        raise ConfigError(
            f"Model {model.metadata.label} not used: {problem} The model "
            f"{previous.metadata.label} stays in use."
        )
    return model, problem


def arm_fallback(
    engine: Engine, registry: ModelRegistry | None = None
) -> tuple[str | None, str | None]:
    """Give the engine the latency fallback of its model: (what is armed, in words) or
    (None, why there is none)."""
    engine.set_fallback_model(None)
    model = engine.primary_model
    fallback, why_not = load_fallback(model, engine.info, registry)
    if fallback is None:
        return None, why_not
    engine.set_fallback_model(fallback)
    logger.info("Latency fallback for %s: %s", model.metadata.label, fallback.metadata.label)
    return (
        f"Latency fallback on: {fallback.metadata.label} takes over while "
        f"{model.metadata.label} is over its budget."
    ), None


def build_engine(
    info: StreamInfo,
    resolved: ResolvedModel,
    options: SessionOptions,
    *,
    source_clock: Callable[[], float] | None = None,
    notice: Callable[..., None] | None = None,
) -> Engine:
    """The engine for a stream with its model and the filters ``options`` ask for.

    Filters that cannot run at the stream's rate fall back to the model's (with a notice)
    when ``options.keep_model_filters_if_invalid``; a model the user named that lacks the
    montage's channels is an error when ``options.refuse_unfit_model``.

    Raises
    ------
    ConfigError
        For filters or a model that cannot run on this stream.
    """
    from bci_desktop.core.dsp.filters import FilterSettings
    from bci_desktop.core.engine_config import EngineConfig
    from bci_desktop.core.session.options import FilterOverrides

    model = resolved.model
    base = model.metadata.recipe.filters if model is not None else None
    filters = options.filters
    if isinstance(filters, FilterOverrides):
        filters = filters.apply(base or FilterSettings())
    if filters is not None and options.keep_model_filters_if_invalid:
        try:
            filters.validate(info.sample_rate)
        except ConfigError as exc:
            if notice is not None:
                notice(f"{exc} Using the model's filters instead.", NoticeLevel.WARNING)
            filters = None
    strict = resolved.explicit and options.refuse_unfit_model
    config = EngineConfig(filters, strict_channels=strict, source_clock=source_clock)
    try:
        return Engine(info, model=model, config=config)
    except ChannelMismatchError as exc:
        raise ConfigError(f"{exc} Choose a model made for this montage.") from exc
