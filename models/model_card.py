"""Model cards of the shipped models (Markdown), written by ``train_default.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bci_desktop.core.inference.metadata import ModelMetadata
from bci_desktop.core.inference.novelty import DEFAULT_THRESHOLD
from bci_desktop.core.montage.presets import PRESETS
from bci_desktop.core.montage.tenfive import homologous_pairs, is_frontal

_PRESET_TITLES = {p.name: p.title for p in PRESETS}


def _frontal_pair(channels: tuple[str, ...]) -> bool:
    return any(is_frontal(left) for left, _ in homologous_pairs(channels))


def _confusion(held_out: dict[str, Any]) -> str:
    classes = held_out["classes"]
    rows = [
        "| truth \\ predicted | " + " | ".join(classes) + " |",
        "|" + "---|" * (len(classes) + 1),
    ]
    rows += [
        f"| {c} | " + " | ".join(str(v) for v in r) + " |"
        for c, r in zip(classes, held_out["confusion_matrix"], strict=True)
    ]
    return "\n".join(rows)


def _montage_table(by_montage: dict[str, dict[str, Any]]) -> str:
    rows = [
        "| montage | board rate | windows | agreement with truth | withheld | largest novelty |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in by_montage.items():
        novelty = "-" if r["novelty_max"] is None else f"{r['novelty_max']:.2f}"
        rows.append(
            f"| {name} ({_PRESET_TITLES.get(name, name)}) | {r['sample_rate']:g} Hz | "
            f"{r['n_windows']} | **{100 * r['accuracy']:.1f}%** | {100 * r['withheld']:.1f}% | "
            f"{novelty} |"
        )
    return "\n".join(rows)


def write_card(
    path: Path,
    metadata: ModelMetadata,
    *,
    by_montage: dict[str, dict[str, Any]] | None = None,
    family_note: str = "",
    n_train: int = 0,
) -> None:
    """Write the model card of ``metadata`` to ``path``."""
    recipe = metadata.recipe
    metrics = metadata.metrics
    by_montage = by_montage if by_montage is not None else metrics.get("by_montage", {})
    held_out = metrics["heldout"]
    pairs = recipe.features.asymmetry_pairs
    asym = (
        "; asymmetry log P(right) - log P(left) in "
        + ", ".join(recipe.features.asymmetry_bands)
        + " for "
        + ", ".join(f"{r}-{left}" for left, r in pairs)
        if pairs
        else ""
    )
    estimator = metadata.provenance.get("estimator", "LogisticRegression")
    c = metadata.provenance.get("regularisation_C")
    no_valence = ""
    if not _frontal_pair(recipe.channels):
        no_valence = f"""
**Why lower accuracy.** {", ".join(recipe.channels)} hold no left-right pair of frontal
channels, so the textbook valence marker (frontal alpha asymmetry: less left than right
frontal alpha in positive states) is out of reach. The model tells the arousal states apart
(posterior and central alpha, beta/alpha) and has only weak, indirect cues for valence
(volume-conducted frontal rhythms, the stressed state's muscle tension), so calm is often
taken for sad and happy for stressed. The target for such montages is 60 % (chance: 25 %).
"""
    text = f"""# Model card: {metadata.label}

**A demonstration model. It was trained and tested only on the app's simulated subject and
has not been validated on human EEG recordings. Do not use its output for any clinical or
research conclusion about a person.**

| field | value |
|---|---|
| classes | {", ".join(metadata.classes)} (valence/arousal quadrants: calm +V-A, happy +V+A, sad -V-A, stressed -V+A) |
| channels | {", ".join(recipe.channels)} (old and new names of a position are one: T3 = T7 ...) |
| montage family | {metadata.provenance.get("montage_family", "synthetic board, Explore 8 ch, FreeEEG32 and other caps with these sites")}{" (" + family_note + ")" if family_note else ""} |
| sample rate | trained at {recipe.sample_rate:g} Hz; features are computed at the stream's rate (checked below at each board's own) |
| window / hop | {recipe.window_s:g} s / {recipe.hop_s:g} s |
| filters | notch {recipe.filters.notch_hz} Hz, band-pass {recipe.filters.bandpass} Hz, causal, streaming |
| features | {len(metadata.feature_names)}: log band power (Welch, 1 s Hann segments) per channel in delta, theta, alpha, beta, gamma{asym} |
| estimator | {"multinomial logistic regression on standardised features (" + estimator + (f", C = {c}" if c else "") + ")" if "standardised" not in estimator else estimator}, exported to ONNX {"with skl2onnx" if estimator == "LogisticRegression" else "by the app itself (bci_desktop.core.classifier)"} |
| training data | {n_train} windows from {len(metadata.provenance.get("train_sessions", []))} sessions of the simulated subject (default profile), 8 min each |
| training accuracy | {100 * metrics["train_accuracy"]:.1f}% |
| held-out accuracy | **{100 * held_out["accuracy"]:.1f}%** on {held_out["n_windows"]} windows of a separately generated 10-minute session (seed {held_out.get("seed")}) |
| file | `models/{path.stem}.onnx`, metadata under the `bci_desktop` key (see docs/models.md) |
| reproduce | `pip install -e '.[train]' && python models/train_default.py` |
{no_valence}
## Held-out accuracy per montage

Sessions of the simulated subject (new seeds, {next(iter(by_montage.values()))["seconds"]:g} s each, the default script of 60 s per state)
streamed on every preset montage that has this model's channels, at that board's own sample
rate, through this ONNX file and the live engine. "Withheld" counts windows withheld for bad
signal or novelty; "largest novelty" is the highest score of a held-out window (the
prediction is withheld as unreliable above {DEFAULT_THRESHOLD:g}, see docs/models.md).

{_montage_table(by_montage)}

## Held-out confusion matrix (windows)

{_confusion(held_out)}

Windows that straddle a change of state are counted against the state at the window's end,
so part of the error is the {recipe.window_s:g} s window lagging each transition.

## Limits

- The simulated subject encodes textbook markers (frontal alpha asymmetry for valence,
  beta/alpha ratio and alpha suppression for arousal); real emotion EEG is far less
  separable, and across people accuracy drops sharply. Calibrate a personal model.
- On a montage without {", ".join(recipe.channels)} the app picks another model or
  withholds predictions, naming the missing channels.
- A window whose features are far from the training data (novelty above
  {DEFAULT_THRESHOLD:g}) is withheld as unreliable: BrainFlow's synthetic board (sine
  waves, not EEG) never gets a label.
"""
    path.write_text(text, encoding="utf-8")
