"""Build real ONNX model files for tests (scikit-learn + skl2onnx, as users would)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from bci_desktop.core.dsp.features import FeatureExtractor
from bci_desktop.core.inference.metadata import METADATA_KEY
from bci_desktop.core.training import DEFAULT_RECIPE

CLASSES = ("calm", "happy", "sad", "stressed")


def feature_names(recipe=DEFAULT_RECIPE) -> tuple[str, ...]:
    return FeatureExtractor(
        recipe.features, recipe.channels, recipe.sample_rate, recipe.window_samples
    ).feature_names


def fitted(n_features: int, n_classes: int = 4, seed: int = 0) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, n_features)).astype(np.float32)
    y = np.arange(200) % n_classes
    X[np.arange(200), y % n_features] += 3.0
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y), X


def metadata_dict(clf: Any, X: np.ndarray, **overrides: Any) -> dict[str, Any]:
    names = feature_names()
    meta: dict[str, Any] = {
        "schema": "bci-desktop-model/1",
        "name": "test-model",
        "version": "0.1",
        "classes": list(CLASSES),
        **DEFAULT_RECIPE.to_dict(),
        "feature_names": list(names),
        "reference": {"mean": X.mean(axis=0).tolist(), "std": X.std(axis=0).tolist()},
        "test_vector": {
            "inputs": X[:2].tolist(),
            "probabilities": clf.predict_proba(X[:2]).tolist(),
            "atol": 1e-4,
        },
    }
    meta.update(overrides)
    return meta


def write_model(
    path: Path,
    *,
    n_features: int | None = None,
    n_classes: int = 4,
    meta_overrides: dict[str, Any] | None = None,
    raw_metadata: str | None = None,
    seed: int = 0,
) -> Path:
    """Write a scikit-learn logistic regression as ONNX with (possibly wrong) metadata."""
    from skl2onnx import to_onnx

    n = n_features or len(feature_names())
    clf, X = fitted(n, n_classes, seed)
    onx = to_onnx(clf, X[:1], options={"zipmap": False})
    if raw_metadata is not None or meta_overrides is not None or n_features is None:
        entry = onx.metadata_props.add()
        entry.key = METADATA_KEY
        entry.value = (
            raw_metadata
            if raw_metadata is not None
            else json.dumps(metadata_dict(clf, X, **(meta_overrides or {})))
        )
    path.write_bytes(onx.SerializeToString())
    return path
