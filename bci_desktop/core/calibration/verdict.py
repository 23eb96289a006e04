"""Is a personal model better than chance? Block-wise cross-validation and a permutation test.

Windows of one block overlap and share the slow drifts of that stretch of recording, so
they are never split between training and testing: the folds hold whole blocks out
(stratified: each fold tests blocks of every state). The score is the **balanced
accuracy** (the mean over states of the share of that state's windows recognised), whose
chance level is ``1 / number of states`` whatever the states' shares; the plain accuracy of
always answering the most frequent state (the majority-class level) is given beside it.

Chance is *tested*, not assumed: the block labels are shuffled among the blocks (each
block keeps one label, so the block structure is respected), the whole cross-validation
is run again, at least 100 times, and the p-value is the share of shuffles that scored at
least as well as the real labels, ``(1 + hits) / (1 + permutations)`` (Phipson & Smyth
2010; Ojala & Garriga 2010). A model is called better than chance when ``p < 0.05`` and its
balanced accuracy is above chance. With few blocks the test cannot reach a small p-value
(with 2 blocks of each of 2 states, one shuffle in three gives the same split), and the
verdict says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bci_desktop.core.classifier import fit_linear_softmax
from bci_desktop.core.errors import ConfigError

__all__ = [
    "ALPHA",
    "DEFAULT_C",
    "MIN_PERMUTATIONS",
    "Verdict",
    "cross_validate",
    "p_text",
    "verdict",
]

#: Significance level of the permutation test.
ALPHA = 0.05
#: Fewest label permutations the test runs.
MIN_PERMUTATIONS = 100
#: Inverse regularisation of personal models: windows of a block overlap by 94 % and a
#: calibration has a few dozen blocks, so keep the weights small.
DEFAULT_C = 0.1


def p_text(p: float) -> str:
    """``"p = 0.0099"``, ``"p = 0.43"``."""
    return f"p = {p:.2g}" if p < 0.1 else f"p = {p:.2f}"


@dataclass(frozen=True)
class Verdict:
    """What block-wise cross-validation and the permutation test found.

    Attributes
    ----------
    classes : tuple of str
    balanced_accuracy : float
        Over all held-out windows (pooled over folds).
    fold_scores : tuple of float
        The balanced accuracy of each fold (its spread).
    accuracy : float
        Plain share of held-out windows right.
    chance : float
        ``1 / len(classes)``: the balanced accuracy of any guess that ignores the EEG.
    majority_class : str
    majority_accuracy : float
        The plain accuracy of always answering the most frequent state.
    p_value : float
    permutations : int
    confusion : tuple of tuple of int
        Rows: the block's state; columns: predicted.
    n_windows, n_blocks, folds : int
    """

    classes: tuple[str, ...]
    balanced_accuracy: float
    fold_scores: tuple[float, ...]
    accuracy: float
    chance: float
    majority_class: str
    majority_accuracy: float
    p_value: float
    permutations: int
    confusion: tuple[tuple[int, ...], ...]
    n_windows: int
    n_blocks: int
    folds: int

    @property
    def better_than_chance(self) -> bool:
        """``p < 0.05`` and above the chance level."""
        return self.p_value < ALPHA and self.balanced_accuracy > self.chance

    @property
    def spread(self) -> float:
        """Standard deviation of the fold scores."""
        return float(np.std(self.fold_scores)) if self.fold_scores else math.nan

    @property
    def smallest_p(self) -> float:
        """The smallest p-value this many permutations can give."""
        return 1.0 / (1 + self.permutations)

    def sentence(self) -> str:
        """The verdict in one plain sentence."""
        if self.better_than_chance:
            return f"Better than chance: {p_text(self.p_value)}."
        return f"Not better than chance ({p_text(self.p_value)}): do not use this model."

    def figures(self) -> str:
        """The figures side by side, in one line."""
        lo, hi = min(self.fold_scores), max(self.fold_scores)
        return (
            f"balanced accuracy {100 * self.balanced_accuracy:.1f}% (folds {100 * lo:.0f}-"
            f"{100 * hi:.0f}%, sd {100 * self.spread:.1f}) | chance {100 * self.chance:.1f}% | "
            f"{p_text(self.p_value)} ({self.permutations} permutations)"
        )

    def lines(self) -> list[str]:
        """The verdict for the command line and the log."""
        return [
            self.sentence(),
            self.figures(),
            f"block-wise {self.folds}-fold cross-validation on {self.n_windows} windows of "
            f"{self.n_blocks} blocks; plain accuracy {100 * self.accuracy:.1f}%; always "
            f"answering '{self.majority_class}' (the most frequent) would score "
            f"{100 * self.majority_accuracy:.1f}%",
        ]

    def to_metrics(self) -> dict[str, Any]:
        """The figures as the model's ``metrics``."""
        return {
            "cv_accuracy": round(self.accuracy, 6),
            "cv_balanced_accuracy": round(self.balanced_accuracy, 6),
            "cv_fold_balanced_accuracies": [round(v, 6) for v in self.fold_scores],
            "cv_balanced_accuracy_sd": round(self.spread, 6),
            "chance_level": round(self.chance, 6),
            "majority_class": self.majority_class,
            "majority_accuracy": round(self.majority_accuracy, 6),
            "p_value": round(self.p_value, 6),
            "permutations": self.permutations,
            "better_than_chance": self.better_than_chance,
            "cv_confusion_matrix": [list(r) for r in self.confusion],
            "folds": self.folds,
            "n_windows": self.n_windows,
            "n_blocks": self.n_blocks,
        }


def _folds(groups: np.ndarray, labels: np.ndarray, folds: int, seed: int) -> list[np.ndarray]:
    """Blocks dealt into folds state by state, so every fold tests every state."""
    rng = np.random.default_rng(seed)
    out: list[list[int]] = [[] for _ in range(folds)]
    for c in np.unique(labels):
        blocks = rng.permutation(np.unique(groups[labels == c]))
        for i, block in enumerate(blocks):
            out[i % folds].append(int(block))
    return [np.asarray(f) for f in out]


def _balanced(y: np.ndarray, pred: np.ndarray) -> float:
    recalls = [float(np.mean(pred[y == c] == c)) for c in np.unique(y)]
    return float(np.mean(recalls))


def cross_validate(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray, n_classes: int, folds: int, *, c: float
) -> tuple[np.ndarray, list[float]]:
    """Held-out predictions of every window and each fold's balanced accuracy."""
    pred = np.full(y.shape, -1, dtype=np.int64)
    scores = []
    for test_groups in _folds(groups, y, folds, 0):
        test = np.isin(groups, test_groups)
        if not test.any() or len(np.unique(y[~test])) < len(np.unique(y)):
            continue  # a fold without every state in training cannot be scored fairly
        model = fit_linear_softmax(X[~test], y[~test], n_classes, c=c)
        pred[test] = model.predict(X[test])
        scores.append(_balanced(y[test], pred[test]))
    return pred, scores


def verdict(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    classes: Sequence[str],
    *,
    folds: int = 4,
    permutations: int = MIN_PERMUTATIONS,
    c: float = DEFAULT_C,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Verdict:
    """Cross-validate by block and test against chance by permuting block labels.

    Parameters
    ----------
    X, y, groups : ndarray
        Features, state index and block of every window (one state per block).
    classes : sequence of str
        The states, ``y`` indexing them.
    folds : int
        At most this many folds (fewer when a state has fewer blocks).
    permutations : int
        Label permutations (at least :data:`MIN_PERMUTATIONS`).
    progress : callable or None
        Called with (permutations done, permutations).

    Raises
    ------
    ConfigError
        If a state has fewer than two blocks, or ``permutations`` is below 100.
    """
    if permutations < MIN_PERMUTATIONS:
        raise ConfigError(f"The permutation test needs at least {MIN_PERMUTATIONS} permutations.")
    k = len(classes)
    blocks, first = np.unique(groups, return_index=True)
    block_labels = y[first]
    per_state = [int(np.sum(block_labels == i)) for i in range(k)]
    if min(per_state) < 2:
        few = [classes[i] for i in range(k) if per_state[i] < 2]
        raise ConfigError(
            f"Cross-validation by block needs at least two blocks of every state; "
            f"{', '.join(few)} {'has' if len(few) == 1 else 'have'} fewer."
        )
    folds = max(2, min(folds, min(per_state)))
    pred, scores = cross_validate(X, y, groups, k, folds, c=c)
    scored = pred >= 0
    observed = _balanced(y[scored], pred[scored])
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y[scored], pred[scored]), 1)
    where = np.searchsorted(blocks, groups)
    rng = np.random.default_rng(seed)
    hits = 0
    for done in range(permutations):
        if progress is not None:
            progress(done, permutations)
        fake = rng.permutation(block_labels)[where]
        fake_pred, _ = cross_validate(X, fake, groups, k, folds, c=c)
        ok = fake_pred >= 0
        if ok.any() and _balanced(fake[ok], fake_pred[ok]) >= observed - 1e-12:
            hits += 1
    counts = np.bincount(y, minlength=k)
    return Verdict(
        classes=tuple(classes),
        balanced_accuracy=observed,
        fold_scores=tuple(scores),
        accuracy=float(np.mean(pred[scored] == y[scored])),
        chance=1.0 / k,
        majority_class=classes[int(np.argmax(counts))],
        majority_accuracy=float(counts.max() / counts.sum()),
        p_value=(1 + hits) / (1 + permutations),
        permutations=permutations,
        confusion=tuple(tuple(int(v) for v in row) for row in cm),
        n_windows=int(y.size),
        n_blocks=int(blocks.size),
        folds=folds,
    )
