"""The classifier of trained models: standardised multinomial logistic regression.

Fitted with numpy and scipy only (L-BFGS on the L2-penalised cross-entropy), so training
works in the default install and in the stand-alone app. It minimises what scikit-learn's
``make_pipeline(StandardScaler(), LogisticRegression(C=c))`` minimises,

    C * sum_i -log p(y_i | x_i)  +  0.5 * ||W||^2      (the intercepts are not penalised)

on features standardised with the training mean and (population) standard deviation; the
tests check that both give the same probabilities. The fitted model folds the
standardisation into its weights and exports as a two-operator ONNX graph
(:mod:`bci_desktop.core.inference.onnx_linear`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import softmax

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.onnx_linear import linear_softmax_onnx

__all__ = ["LinearSoftmax", "fit_linear_softmax"]


@dataclass(frozen=True)
class LinearSoftmax:
    """A fitted classifier: ``softmax(x @ weights + bias)`` on raw (unscaled) features.

    Attributes
    ----------
    weights : ndarray, shape (n_features, n_classes)
    bias : ndarray, shape (n_classes,)
    c : float
        The inverse regularisation strength it was fitted with.
    iterations : int
        L-BFGS iterations used.
    """

    weights: np.ndarray
    bias: np.ndarray
    c: float = 1.0
    iterations: int = 0

    @property
    def n_classes(self) -> int:
        """Number of classes (output columns)."""
        return int(self.weights.shape[1])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape ``(n, n_classes)``, computed as the ONNX graph does
        (float32 inputs)."""
        x = np.asarray(X, dtype=np.float32).astype(np.float64)
        return softmax(x @ self.weights + self.bias, axis=1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class of each row."""
        return np.argmax(self.predict_proba(X), axis=1)

    def to_onnx(self, *, metadata: Mapping[str, str], doc: str = "", version: str = "") -> bytes:
        """The model as ONNX bytes (input ``features``, output ``probabilities``)."""
        return linear_softmax_onnx(
            self.weights, self.bias, metadata=metadata, doc=doc, producer_version=version
        )


def fit_linear_softmax(
    X: np.ndarray, y: np.ndarray, n_classes: int, *, c: float = 1.0, max_iter: int = 2000
) -> LinearSoftmax:
    """Fit a standardised multinomial logistic regression.

    Parameters
    ----------
    X : ndarray, shape (n, n_features)
        Training rows (rounded to float32 first, as the ONNX model will see them).
    y : ndarray of int, shape (n,)
        Class index of each row, ``0 <= y < n_classes``.
    n_classes : int
        Number of classes (at least 2; a class without rows gets a low probability).
    c : float
        Inverse regularisation strength, as scikit-learn's ``C``.

    Raises
    ------
    ConfigError
        On empty or non-finite data, or labels outside ``[0, n_classes)``.
    """
    x = np.asarray(X, dtype=np.float32).astype(np.float64)
    labels = np.asarray(y, dtype=np.int64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[0] != labels.shape[0] or n_classes < 2:
        raise ConfigError(
            f"Cannot train on {x.shape[0] if x.ndim == 2 else 0} rows for {n_classes} classes."
        )
    if not np.isfinite(x).all():
        raise ConfigError("The training features hold NaN or infinite values.")
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ConfigError(f"Training labels must lie in 0..{n_classes - 1}.")
    if not (np.isfinite(c) and c > 0):
        raise ConfigError(f"Invalid value for the 'c' parameter: expected > 0, got {c!r}.")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0  # a constant feature carries nothing; keep it harmless
    z = (x - mean) / scale
    n, f = z.shape
    k = int(n_classes)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), labels] = 1.0

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: f * k].reshape(f, k)
        logits = z @ w + theta[f * k :]
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        total = e.sum(axis=1, keepdims=True)
        log_total = np.log(total)
        loss = c * float(np.sum(log_total) - np.sum(logits[np.arange(n), labels]))
        diff = e / total
        diff -= onehot
        diff *= c
        grad = np.concatenate([(z.T @ diff + w).ravel(), diff.sum(axis=0)])
        return loss + 0.5 * float(np.sum(w * w)), grad

    # Stop when the largest gradient component is 1e-6 of the loss's scale (c * n), well
    # below scikit-learn's default (1e-4 of it): the probabilities then agree to ~1e-4.
    result = minimize(
        loss_grad,
        np.zeros(f * k + k),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": 1e-6 * c * n, "ftol": 0.0},
    )
    w = result.x[: f * k].reshape(f, k)
    b = result.x[f * k :]
    weights = w / scale[:, None]
    bias = b - (mean / scale) @ w
    return LinearSoftmax(weights, bias, float(c), int(result.nit))
