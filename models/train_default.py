"""Train the default emotion model shipped in ``models/emotion-default.onnx``.

Run from a clone with the ``train`` extra installed::

    pip install -e '.[train]'
    python models/train_default.py            # writes models/emotion-default.onnx and .md

It records sessions of the simulated subject (the default person, ``SubjectProfile()``),
computes features with the live engine itself, fits a standardised logistic regression,
evaluates it on a separately generated held-out session, and exports ONNX with the app's
metadata (classes, channels, feature spec, reference statistics, test vector, accuracy).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bci_desktop.core.sources.simulated import STATES, SimulatedSubject, SubjectProfile
from bci_desktop.core.training import (
    DEFAULT_RECIPE,
    collect_features,
    evaluate,
    export_onnx,
    fit_classifier,
    merge,
)

HERE = Path(__file__).resolve().parent
TRAIN_SEEDS = (11, 12, 13, 14)
TRAIN_S = 480.0
TEST_SEED = 101
TEST_S = 600.0


def _session(seed: int, seconds: float, group: int):
    source = SimulatedSubject(speed=None, seed=seed, profile=SubjectProfile())
    return collect_features(source, DEFAULT_RECIPE, duration_s=seconds, group=group)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(HERE / "emotion-default.onnx"))
    args = parser.parse_args(argv)
    classes = STATES
    train = merge(_session(s, TRAIN_S, g) for g, s in enumerate(TRAIN_SEEDS))
    test = _session(TEST_SEED, TEST_S, 99)
    clf = fit_classifier(train, classes)
    held_out = evaluate(clf, test, classes)
    train_acc = evaluate(clf, train, classes)["accuracy"]
    print(f"train accuracy {train_acc:.3f}, held-out accuracy {held_out['accuracy']:.3f}")
    print("confusion matrix (rows truth, columns prediction):", classes)
    for name, row in zip(classes, held_out["confusion_matrix"], strict=True):
        print(f"  {name:<9}", row)
    metadata = export_onnx(
        clf,
        args.output,
        name="emotion-default",
        version="1.0.0",
        classes=classes,
        recipe=DEFAULT_RECIPE,
        train=train,
        description=(
            "Demonstration emotion classifier (calm, happy, sad, stressed) trained on the "
            "BCI Desktop simulated subject. NOT validated on human recordings."
        ),
        provenance={
            "trained_on": "BCI Desktop simulated subject, default profile (SubjectProfile())",
            "train_sessions": [{"seed": s, "seconds": TRAIN_S} for s in TRAIN_SEEDS],
            "script": "models/train_default.py",
            "validated_on_humans": False,
        },
        metrics={
            "heldout": {"seed": TEST_SEED, "seconds": TEST_S, **held_out},
            "train_accuracy": train_acc,
        },
        overwrite=True,
    )
    card = HERE / "emotion-default.md"
    card.write_text(_card(metadata, held_out, train_acc, len(train.labels)), encoding="utf-8")
    print(f"wrote {args.output} and {card}")
    return 0


def _card(metadata, held_out, train_acc, n_train) -> str:
    cm = held_out["confusion_matrix"]
    classes = held_out["classes"]
    head = "| truth \\ predicted | " + " | ".join(classes) + " |"
    rows = [head, "|" + "---|" * (len(classes) + 1)]
    rows += [
        f"| {c} | " + " | ".join(str(v) for v in r) + " |"
        for c, r in zip(classes, cm, strict=True)
    ]
    recipe = metadata.recipe
    return f"""# Model card: {metadata.label}

**A demonstration model. It was trained and tested only on the app's simulated subject and
has not been validated on human EEG recordings. Do not use its output for any clinical or
research conclusion about a person.**

| field | value |
|---|---|
| classes | {", ".join(metadata.classes)} (valence/arousal quadrants: calm +V-A, happy +V+A, sad -V-A, stressed -V+A) |
| channels | {", ".join(recipe.channels)} (all present on BrainFlow's synthetic board) |
| sample rate | {recipe.sample_rate:g} Hz (other rates work: features are computed at the stream's rate) |
| window / hop | {recipe.window_s:g} s / {recipe.hop_s:g} s |
| filters | notch {recipe.filters.notch_hz} Hz, band-pass {recipe.filters.bandpass} Hz, causal, streaming |
| features | {len(metadata.feature_names)}: log band power (Welch, 1 s Hann segments) per channel in delta, theta, alpha, beta, gamma; frontal asymmetry log P(F4)-log P(F3) and log P(F8)-log P(F7) in alpha and beta |
| estimator | StandardScaler + multinomial logistic regression (scikit-learn), exported with skl2onnx |
| training data | {n_train} windows from {len(metadata.provenance["train_sessions"])} sessions of the simulated subject (default profile), 8 min each |
| training accuracy | {100 * train_acc:.1f}% |
| held-out accuracy | **{100 * held_out["accuracy"]:.1f}%** on {held_out["n_windows"]} windows of a separately generated 10-minute session (seed {TEST_SEED}) |
| file | `models/emotion-default.onnx`, metadata under the `bci_desktop` key (see docs/models.md) |
| reproduce | `pip install -e '.[train]' && python models/train_default.py` |

## Held-out confusion matrix (windows)

{chr(10).join(rows)}

Windows that straddle a change of state are counted against the state at the window's end,
so part of the error is the 4 s window lagging each transition.

## Limits

- The simulated subject encodes textbook markers (frontal alpha asymmetry for valence,
  beta/alpha ratio and alpha suppression for arousal); real emotion EEG is far less
  separable, and across people accuracy drops sharply. Calibrate a personal model.
- On a montage without {", ".join(recipe.channels)} the app keeps streaming and withholds
  predictions, naming the missing channels.
- On BrainFlow's synthetic board (sines, not EEG) its labels are meaningless: that board is
  for plumbing.
"""


if __name__ == "__main__":
    sys.exit(main())
