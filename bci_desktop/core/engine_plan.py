"""What the engine needs to run one model on one stream, built before anything changes.

:func:`plan_model` checks that a model (or a training recipe) can run on the stream and
prepares its channel index, window, feature extractor, incremental Welch cache, drift
monitor and work buffers. If it cannot run, it raises and the engine keeps what it had; if
the stream only lacks the model's channels and the engine does not insist, the plan carries
the reason every prediction will be withheld.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bci_desktop.core.dsp.features import FeatureExtractor
from bci_desktop.core.dsp.incremental import IncrementalWelch
from bci_desktop.core.errors import ChannelMismatchError, ModelError
from bci_desktop.core.inference.channels import map_channels
from bci_desktop.core.inference.drift import DriftMonitor
from bci_desktop.core.inference.metadata import ModelRecipe
from bci_desktop.core.inference.novelty import NoveltyCheck
from bci_desktop.core.stream import StreamInfo

if TYPE_CHECKING:
    from bci_desktop.core.prediction import Classifier

__all__ = ["ModelPlan", "plan_model"]


@dataclass
class ModelPlan:
    """Everything the engine needs to run one recipe, built before anything changes."""

    recipe: ModelRecipe
    problem: str | None = None
    idx: np.ndarray | None = None
    window: int = 0
    extractor: FeatureExtractor | None = None
    incremental: IncrementalWelch | None = None
    window_buf: np.ndarray | None = None
    segment_buf: np.ndarray | None = None
    drift: DriftMonitor | None = None
    novelty: NoveltyCheck | None = None


def plan_model(
    recipe: ModelRecipe,
    model: Classifier | None,
    *,
    info: StreamInfo,
    sample_rate: float,
    hop_samples: float,
    config: Any,
) -> ModelPlan:
    """The plan to run ``recipe`` (of ``model``) on a stream; see the module docstring.

    Raises
    ------
    ModelError
        If the model takes raw windows at another rate, or its feature names do not match
        its feature spec on this stream.
    ChannelMismatchError
        If the stream lacks the model's channels and ``config.strict_channels`` is on.
    """
    fs = sample_rate
    label = "The recipe" if model is None else f"Model '{model.metadata.label}'"
    if (
        model is not None
        and recipe.input_kind == "window"
        and not math.isclose(recipe.sample_rate, fs)
    ):
        raise ModelError(
            f"{label} takes raw windows at {recipe.sample_rate:g} Hz, "
            f"but the stream runs at {fs:g} Hz."
        )
    plan = ModelPlan(recipe)
    try:
        idx = map_channels(info.channel_names, recipe.channels, what=label)
    except ChannelMismatchError as exc:
        if config.strict_channels:
            raise
        plan.problem = str(exc)
        return plan
    plan.idx = np.asarray(idx, dtype=np.intp)
    plan.window = max(1, round(recipe.window_s * fs))
    meta = model.metadata if model is not None else None
    reference = meta.reference if meta is not None else {}
    n_names = len(meta.feature_names) if meta is not None else 0
    use_drift = DriftMonitor.usable(reference, n_names)
    if recipe.input_kind == "features" or use_drift:
        plan.extractor = FeatureExtractor(recipe.features, recipe.channels, fs, plan.window)
        names = plan.extractor.feature_names
        if meta is not None and meta.feature_names and tuple(meta.feature_names) != names:
            raise ModelError(
                f"{label} expects {len(meta.feature_names)} features named in its "
                f"metadata, but its feature spec gives {len(names)} different ones on "
                f"channels {', '.join(recipe.channels)}."
            )
        if config.incremental_features:
            plan.incremental = IncrementalWelch.plan(plan.extractor, hop_samples)
        if plan.incremental is not None:
            plan.segment_buf = np.empty((len(idx), plan.incremental.nperseg))
    if use_drift:
        plan.drift = DriftMonitor(
            reference,
            window_s=config.drift_window_s,
            hop_s=hop_samples / fs,
            threshold=config.drift_threshold,
        )
        plan.novelty = NoveltyCheck.for_stream(reference, n_names, info)
    plan.window_buf = np.empty((len(idx), plan.window), dtype=np.float64)
    return plan
