"""Train an emotion classifier on exactly the features the live pipeline computes.

Features come from :class:`bci_desktop.core.engine.Engine` itself (``collect_features``), so
training and live classification share one code path. The classifier is fitted and
exported with numpy and scipy only (:mod:`bci_desktop.core.classifier`), so training works
in the default install and in the stand-alone app; the file is ONNX with the app's metadata
embedded.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bci_desktop import __version__
from bci_desktop.core.atomic import write_atomic
from bci_desktop.core.classifier import LinearSoftmax, fit_linear_softmax
from bci_desktop.core.dsp.features import FeatureExtractor, FeatureSpec
from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.inference.metadata import (
    METADATA_KEY,
    ModelMetadata,
    ModelRecipe,
    TestVector,
)
from bci_desktop.core.sources.base import Source

logger = logging.getLogger(__name__)

#: Channels of the default model: present on BrainFlow's synthetic board and on most caps.
DEFAULT_CHANNELS = ("F7", "F3", "F4", "F8", "C3", "C4", "Pz", "Oz")

DEFAULT_RECIPE = ModelRecipe(
    channels=DEFAULT_CHANNELS,
    sample_rate=250.0,
    window_s=4.0,
    hop_s=0.25,
    filters=FilterSettings(),
    features=FeatureSpec(kinds=("log_band_power",)),
)


@dataclass(frozen=True)
class FeatureSet:
    """Model inputs with their labels, as the live pipeline computed them."""

    X: np.ndarray
    labels: tuple[str, ...]
    t: np.ndarray
    groups: np.ndarray
    feature_names: tuple[str, ...]


def collect_features(
    source: Source,
    recipe: ModelRecipe,
    *,
    duration_s: float | None = None,
    group: int = 0,
    block_s: float | None = None,
) -> FeatureSet:
    """Run ``source`` through the engine and keep each hop's features and true state.

    Windows that the engine would withhold (bad signal) or that have no known truth are
    dropped. ``groups`` numbers contiguous blocks of one state (or ``block_s`` long pieces)
    so cross-validation can keep neighbouring windows on one side of a split.
    """
    from bci_desktop.core.runner import StreamRunner

    engine = Engine(source.info, recipe=recipe, config=EngineConfig(), collect_features=True)
    rows: list[np.ndarray] = []
    labels: list[str] = []
    times: list[float] = []

    def keep(update) -> None:
        for fw in update.features:
            if fw.withheld is None and fw.truth is not None:
                rows.append(fw.features)
                labels.append(fw.truth)
                times.append(fw.t)

    StreamRunner(source, engine, duration_s=duration_s, on_update=keep).run()
    if not rows:
        raise BCIError("No labelled windows were collected: is the source's truth known?")
    t = np.asarray(times)
    groups = _blocks(labels, t, block_s) + group * 1_000_000
    extractor = engine.feature_extractor
    assert extractor is not None
    return FeatureSet(np.vstack(rows), tuple(labels), t, groups, extractor.feature_names)


def _blocks(labels: Sequence[str], t: np.ndarray, block_s: float | None) -> np.ndarray:
    out = np.zeros(len(labels), dtype=np.int64)
    block, start = 0, t[0] if len(t) else 0.0
    for i in range(1, len(labels)):
        if labels[i] != labels[i - 1] or (block_s is not None and t[i] - start >= block_s):
            block += 1
            start = t[i]
        out[i] = block
    return out


def merge(sets: Iterable[FeatureSet]) -> FeatureSet:
    """Concatenate feature sets made with one recipe."""
    sets = list(sets)
    return FeatureSet(
        np.vstack([s.X for s in sets]),
        tuple(label for s in sets for label in s.labels),
        np.concatenate([s.t for s in sets]),
        np.concatenate([s.groups for s in sets]),
        sets[0].feature_names,
    )


def fit_classifier(data: FeatureSet, classes: Sequence[str], *, c: float = 1.0) -> LinearSoftmax:
    """Fit a standardised multinomial logistic regression (numpy and scipy only, see
    :mod:`bci_desktop.core.classifier`)."""
    y = np.array([list(classes).index(label) for label in data.labels])
    return fit_linear_softmax(data.X, y, len(classes), c=c)


def evaluate(clf: LinearSoftmax, data: FeatureSet, classes: Sequence[str]) -> dict[str, Any]:
    """Accuracy and confusion matrix (rows: truth, columns: prediction) on ``data``."""
    y = np.array([classes.index(label) for label in data.labels])
    pred = clf.predict(data.X.astype(np.float32))
    cm = np.zeros((len(classes), len(classes)), dtype=int)
    np.add.at(cm, (y, pred), 1)
    return {
        "accuracy": float(np.mean(pred == y)),
        "n_windows": len(y),
        "classes": list(classes),
        "confusion_matrix": cm.tolist(),
    }


def reference_statistics(X: np.ndarray) -> dict[str, Any]:
    """Training feature distribution kept in the model for drift monitoring."""
    return {
        "n": int(X.shape[0]),
        "mean": [round(float(v), 6) for v in X.mean(axis=0)],
        "std": [round(float(v), 6) for v in X.std(axis=0)],
        "q05": [round(float(v), 6) for v in np.quantile(X, 0.05, axis=0)],
        "q95": [round(float(v), 6) for v in np.quantile(X, 0.95, axis=0)],
    }


def export_onnx(
    clf: LinearSoftmax,
    path: str | Path,
    *,
    name: str,
    version: str,
    classes: Sequence[str],
    recipe: ModelRecipe,
    train: FeatureSet,
    description: str = "",
    provenance: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> ModelMetadata:
    """Write a fitted classifier as an ONNX model file with the app's metadata embedded.

    The test vector is three training rows with the classifier's own probabilities, so
    loading the file checks that the exported graph computes what was fitted.
    """
    path = check_model_output(path, overwrite=overwrite)
    names = FeatureExtractor(
        recipe.features, recipe.channels, recipe.sample_rate, recipe.window_samples
    ).feature_names
    if tuple(names) != tuple(train.feature_names):
        raise ConfigError("The training features do not match the recipe's feature names.")
    X = train.X.astype(np.float32)
    picks = np.linspace(0, len(X) - 1, 3).astype(int)
    probs = clf.predict_proba(X[picks])
    metadata = ModelMetadata(
        name=name,
        version=version,
        classes=tuple(classes),
        recipe=recipe,
        test_vector=TestVector(
            inputs=tuple(tuple(float(v) for v in row) for row in X[picks]),
            probabilities=tuple(tuple(float(v) for v in row) for row in probs),
            atol=1e-4,
        ),
        description=description,
        feature_names=tuple(names),
        reference=reference_statistics(X),
        provenance={
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "app_version": __version__,
            "estimator": f"standardised multinomial logistic regression (C = {clf.c:g})",
            **(provenance or {}),
        },
        metrics=metrics or {},
    )
    data = clf.to_onnx(
        metadata={METADATA_KEY: metadata.to_json()}, doc=description, version=__version__
    )
    try:
        write_atomic(path, data, overwrite=overwrite)
    except FileExistsError as exc:
        raise ConfigError(_exists(path)) from exc
    except OSError as exc:
        raise BCIError(
            f"Cannot write the model to '{path}': {exc.strerror or exc}. Check that the "
            "folder is writable and the disk has room."
        ) from exc
    return metadata


def _exists(path: Path) -> str:
    return (
        f"'{path}' already exists: choose another name or allow overwriting (--overwrite, "
        "overwrite=True)."
    )


def check_model_output(path: str | Path, *, overwrite: bool) -> Path:
    """Check where a trained model will be written, before any training is done.

    Returns the path.

    Raises
    ------
    ConfigError
        If ``path`` is a folder, its folder does not exist, or it exists and ``overwrite``
        is False.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise ConfigError(
            f"'{path}' is a folder: give the model's file name, e.g. {path / 'personal.onnx'}."
        )
    if not path.parent.is_dir():
        raise ConfigError(
            f"Cannot write the model to '{path}': the folder '{path.parent}' does not exist."
        )
    if os.path.lexists(path) and not overwrite:
        raise ConfigError(_exists(path))
    return path
