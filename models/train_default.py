"""Train and validate the emotion models shipped in ``models/``: one per montage family.

Run from a clone with the ``train`` extra installed::

    pip install -e '.[train]'
    python models/train_default.py                 # the family models and every model card
    python models/train_default.py --retrain-default   # also emotion-default (kept as shipped)
    python models/train_default.py --only emotion-muse # one model (the same file as a full run)

Every model is trained on the simulated subject (the default person, ``SubjectProfile()``)
with features from the live engine itself, and validated on held-out sessions streamed on
every preset montage it fits, at that board's own sample rate, through the exported ONNX
file (exactly what ``bci-desktop run`` does). Why one model per montage family is explained
in ``docs/models.md``; the families are :data:`FAMILIES`.

Training is fast: the sessions are generated once on the union of every family's sites and
each family's features are the union's columns of its sites (a channel's band powers do not
depend on the other channels, so these are the numbers the live extractor computes). The
sessions are seeded and their features computed by ``--workers`` processes (2 by default;
the numbers do not depend on it): a run reproduces the shipped family models' graphs byte
for byte (``--retrain-default`` does not quite reproduce emotion-default, trained before a
change of the hop boundaries: docs/models.md, "Retraining gate"). CI checks this with
``models/retrain_gate.py``, which retrains every model with the functions below and
compares it with the shipped file and its card.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bci_desktop.core.dsp.features import FeatureExtractor, FeatureSpec
from bci_desktop.core.engine import Engine
from bci_desktop.core.inference.metadata import ModelMetadata, ModelRecipe
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.inference.novelty import DEFAULT_THRESHOLD
from bci_desktop.core.inference.validation import validate_model_file
from bci_desktop.core.montage.presets import PRESETS, Preset
from bci_desktop.core.montage.tenfive import homologous_pairs, is_position, position
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.boards import board_description, resolve_board
from bci_desktop.core.sources.simulated import STATES, SimulatedSubject, SubjectProfile
from bci_desktop.core.training import (
    DEFAULT_RECIPE,
    FeatureSet,
    collect_features,
    evaluate,
    export_onnx,
    fit_classifier,
    merge,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_card import write_card  # beside this script

HERE = Path(__file__).resolve().parent
TRAIN_SEEDS = (11, 12, 13, 14)  # emotion-default and the 4 s families
#: Montages with weak markers learn from more sessions (seeds 11-26).
WEAK_TRAIN_SEEDS = tuple(range(11, 27))
TRAIN_S = 480.0
TEST_SEED = 101
TEST_S = 600.0
MONTAGE_SEED = 300  # held-out sessions per montage: seeds 300, 301, ...
MONTAGE_S = 480.0  # two passes of the default script: every state twice
#: Inverse regularisation of the family models, chosen on the training sessions: with
#: heavily overlapping windows (0.25 s hop over 4-10 s) the default C=1 over-fits.
C = 0.003
ASYMMETRY_BANDS = ("alpha", "beta")
VERSION = "1.0.0"


@dataclass(frozen=True)
class Family:
    """One shipped model: the channels it needs and the window it looks at.

    ``weak`` montages (markers seen only from afar) get a 10 s window, which averages more
    of a weak marker (and reacts about 5 s later to a change of state), and 16 training
    sessions instead of 4.
    """

    name: str
    preset: str
    weak: bool = False
    why: str = ""

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(c for c in _preset(self.preset).channels if is_position(c))

    @property
    def window_s(self) -> float:
        return 10.0 if self.weak else 4.0

    @property
    def train_seeds(self) -> tuple[int, ...]:
        return WEAK_TRAIN_SEEDS if self.weak else TRAIN_SEEDS


#: The family models.
FAMILIES: tuple[Family, ...] = (
    Family("emotion-cyton", "cyton", True, "Fp1/Fp2 carry blinks and sit in front of the "
           "frontal alpha generators"),
    Family("emotion-cyton-daisy", "cyton_daisy"),
    Family("emotion-ganglion", "ganglion"),
    Family("emotion-muse", "muse", True, "AF7/AF8 sit off the frontal alpha generators"),
    Family("emotion-unicorn", "unicorn", True, "no left-right pair of frontal channels"),
    Family("emotion-crown", "crown"),
    Family("emotion-notion", "notion_2"),
    Family("emotion-brainbit", "brainbit", True, "no frontal channel"),
    Family("emotion-enophone", "enophone", True, "no frontal channel"),
    Family("emotion-galea", "galea"),
)  # fmt: skip
DEFAULT_MODEL = "emotion-default"


def _preset(name: str) -> Preset:
    return next(p for p in PRESETS if p.name == name)


def _union_sites(families: list[Family]) -> tuple[str, ...]:
    sites: list[str] = []
    for family in families:
        for c in family.channels:
            p = position(c)
            if p is not None and p not in sites:
                sites.append(p)
    return tuple(sites)


def _recipe(channels: tuple[str, ...], window_s: float) -> ModelRecipe:
    spec = FeatureSpec(
        kinds=("log_band_power",),
        asymmetry_pairs=homologous_pairs(channels),
        asymmetry_bands=ASYMMETRY_BANDS,
    )
    return ModelRecipe(channels=channels, sample_rate=250.0, window_s=window_s, features=spec)


def session(seed: int, channels: tuple[str, ...] | None = None) -> SimulatedSubject:
    """A session of the simulated subject (the default person) at ``seed``, on ``channels``
    (``None``: its 16 default channels). Its stream time starts at 0, so the windows of one
    session have the same times in every run and under every recipe."""
    if channels is None:
        return SimulatedSubject(speed=None, seed=seed, profile=SubjectProfile(), start_time=0.0)
    return SimulatedSubject(
        speed=None, seed=seed, profile=SubjectProfile(), channels=channels, start_time=0.0
    )


@dataclass(frozen=True)
class SessionPlan:
    """One session of the simulated subject to stream through the engine for features.

    ``channels`` are the stream's (``None``: the subject's 16 default channels), ``recipe``
    says which features the engine computes from them.
    """

    recipe: ModelRecipe
    seed: int
    seconds: float
    group: int
    channels: tuple[str, ...] | None = None


def plan_sessions(weak: bool | None) -> list[SessionPlan]:
    """The training sessions, then the held-out one, of emotion-default (``None``) or of
    the families with this ``weak`` flag.

    A group's sessions are on the union of the sites of *all* its families, also when only
    some are retrained: the simulated subject's signal at a site depends on the other sites
    it generates, so a smaller union would give other numbers than the shipped models had.
    """
    if weak is None:
        seeds, recipe, sites = TRAIN_SEEDS, DEFAULT_RECIPE, None
    else:
        families = [f for f in FAMILIES if f.weak == weak]
        sites = _union_sites(families)
        seeds, recipe = families[0].train_seeds, _recipe(sites, families[0].window_s)
    plans = [SessionPlan(recipe, s, TRAIN_S, g, sites) for g, s in enumerate(seeds)]
    return [*plans, SessionPlan(recipe, TEST_SEED, TEST_S, 99, sites)]


def session_features(plan: SessionPlan) -> FeatureSet:
    """The features of one planned session, as the live engine computes them."""
    source = session(plan.seed, plan.channels)
    return collect_features(source, plan.recipe, duration_s=plan.seconds, group=plan.group)


def collect(plans: list[SessionPlan], workers: int = 1) -> list[FeatureSet]:
    """The features of every planned session, in order, computed by ``workers`` processes
    (the numbers do not depend on how many)."""
    if workers <= 1 or len(plans) < 2:
        return [session_features(p) for p in plans]
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    workers = min(workers, len(plans), os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(session_features, plans))


def split(sets: list[FeatureSet]) -> tuple[FeatureSet, FeatureSet]:
    """Training and held-out features from the sessions of :func:`plan_sessions`."""
    return merge(sets[:-1]), sets[-1]


def _columns(data: FeatureSet, names: tuple[str, ...]) -> FeatureSet:
    """The union's columns for a family's feature names (sites matched by position)."""
    index = {n: i for i, n in enumerate(data.feature_names)}

    def union_name(name: str) -> str:
        if name.startswith("asym "):
            _, pair, band = name.split(" ")
            right, left = pair.split("-")
            return f"asym {position(right)}-{position(left)} {band}"
        ch, band, kind = name.split(" ")
        return f"{position(ch)} {band} {kind}"

    cols = [index[union_name(n)] for n in names]
    return FeatureSet(data.X[:, cols], data.labels, data.t, data.groups, names)


def _board_rate(preset: Preset) -> float:
    descr = board_description(resolve_board(preset.boards[0])) or {}
    return float(descr.get("sampling_rate") or 250.0)


def fits(model_channels: tuple[str, ...], preset: Preset) -> bool:
    """True when every channel the model needs is on the preset (by position)."""
    have = {position(c) for c in preset.channels}
    return all(position(c) in have for c in model_channels)


def validate_on_montages(path: Path, seed0: int) -> dict[str, dict[str, Any]]:
    """Stream held-out sessions on every preset the model fits, at the board's own rate,
    through the exported file and the live engine; per preset: agreement, withheld share,
    largest novelty score."""
    model = EmotionModel.load(path)
    out: dict[str, dict[str, Any]] = {}
    for k, preset in enumerate(PRESETS):
        if not fits(model.metadata.recipe.channels, preset):
            continue
        rate = _board_rate(preset)
        source = SimulatedSubject(
            speed=None, seed=seed0 + k, channels=preset.channels, sample_rate=rate
        )
        engine = Engine(source.info, model=model)
        preds: list = []
        StreamRunner(
            source,
            engine,
            duration_s=MONTAGE_S,
            on_update=lambda u, out=preds: out.extend(u.predictions),
        ).run()
        labelled = [p for p in preds if p.withheld is None and p.truth is not None]
        novelty = [p.novelty for p in preds if p.novelty is not None]
        out[preset.name] = {
            "accuracy": round(float(np.mean([p.label == p.truth for p in labelled])), 4),
            "n_windows": len(preds),
            "withheld": round(1.0 - len(labelled) / max(len(preds), 1), 4),
            "novelty_max": round(float(max(novelty)), 3) if novelty else None,
            "sample_rate": rate,
            "seconds": MONTAGE_S,
            "seed": seed0 + k,
        }
    return out


def _check(path: Path, by_montage: dict[str, dict[str, Any]]) -> None:
    report = validate_model_file(path, runs=50)
    if not report.ok:
        raise SystemExit(f"{path.name} failed validation: {'; '.join(report.reasons)}")
    for name, row in by_montage.items():
        if row["novelty_max"] is not None and row["novelty_max"] >= DEFAULT_THRESHOLD:
            raise SystemExit(
                f"{path.name} on {name}: held-out windows reach novelty {row['novelty_max']}, "
                f"not below the threshold {DEFAULT_THRESHOLD}: the check would withhold them."
            )


@dataclass(frozen=True)
class Fitted:
    """A model fitted by this script, before export: its classifier, recipe and data.

    ``held_out`` is :func:`evaluate` on the held-out session (the card's figure).
    """

    name: str
    clf: Any
    recipe: ModelRecipe
    train: FeatureSet
    test: FeatureSet
    held_out: dict[str, Any]
    train_accuracy: float


def held_out_source(name: str) -> SimulatedSubject:
    """The held-out session of model ``name`` (seed :data:`TEST_SEED`, :data:`TEST_S` long),
    the stream its card's held-out accuracy comes from: for a family, the session on the
    union of its group's sites, of which its features are columns."""
    weak = None if name == DEFAULT_MODEL else next(f for f in FAMILIES if f.name == name).weak
    plan = plan_sessions(weak)[-1]
    return session(plan.seed, plan.channels)


def fit_family(family: Family, train: FeatureSet, test: FeatureSet) -> Fitted:
    """Fit ``family``'s model on its columns of the group's union sets."""
    recipe = _recipe(family.channels, family.window_s)
    names = FeatureExtractor(
        recipe.features, recipe.channels, recipe.sample_rate, recipe.window_samples
    ).feature_names
    tr, te = _columns(train, names), _columns(test, names)
    clf = fit_classifier(tr, STATES, c=C)
    held_out = evaluate(clf, te, STATES)
    train_acc = evaluate(clf, tr, STATES)["accuracy"]
    return Fitted(family.name, clf, recipe, tr, te, held_out, train_acc)


def export_family(
    family: Family, fitted: Fitted, path: Path, by_montage: dict[str, Any] | None = None
) -> ModelMetadata:
    """Write ``fitted`` to ``path`` with the family's metadata (montage figures if given)."""
    preset = _preset(family.preset)
    provenance = {
        "trained_on": "BCI Desktop simulated subject, default profile (SubjectProfile())",
        "montage_family": family.preset,
        "train_sessions": [{"seed": s, "seconds": TRAIN_S} for s in family.train_seeds],
        "script": "models/train_default.py",
        "validated_on_humans": False,
        "regularisation_C": C,
    }
    metrics: dict[str, Any] = {
        "heldout": {"seed": TEST_SEED, "seconds": TEST_S, **fitted.held_out},
        "train_accuracy": fitted.train_accuracy,
    }
    if by_montage is not None:
        metrics["by_montage"] = by_montage
    return export_onnx(
        fitted.clf,
        path,
        name=family.name,
        version=VERSION,
        classes=STATES,
        recipe=fitted.recipe,
        train=fitted.train,
        description=(
            f"Demonstration emotion classifier (calm, happy, sad, stressed) for the "
            f"{preset.title} montage, trained on the BCI Desktop simulated subject. NOT "
            "validated on human recordings."
        ),
        provenance=provenance,
        metrics=metrics,
        overwrite=True,
    )


def train_family(family: Family, train: FeatureSet, test: FeatureSet, out_dir: Path) -> dict:
    fitted = fit_family(family, train, test)
    path = out_dir / f"{family.name}.onnx"
    export_family(family, fitted, path)  # a first file to validate montages on
    by_montage = validate_on_montages(path, MONTAGE_SEED)
    metadata = export_family(family, fitted, path, by_montage)
    _check(path, by_montage)
    write_card(
        path.with_suffix(".md"), metadata, family_note=family.why, n_train=len(fitted.train.labels)
    )
    return dict(metadata.metrics)


def fit_default(train: FeatureSet, test: FeatureSet) -> Fitted:
    """Fit emotion-default (C = 1) on the sets of ``split(collect(plan_sessions(None)))``."""
    clf = fit_classifier(train, STATES)
    held_out = evaluate(clf, test, STATES)
    train_acc = evaluate(clf, train, STATES)["accuracy"]
    return Fitted(DEFAULT_MODEL, clf, DEFAULT_RECIPE, train, test, held_out, train_acc)


def export_default(fitted: Fitted, path: Path) -> ModelMetadata:
    """Write ``fitted`` (from :func:`fit_default`) to ``path`` with its metadata."""
    return export_onnx(
        fitted.clf,
        path,
        name=DEFAULT_MODEL,
        version=VERSION,
        classes=STATES,
        recipe=fitted.recipe,
        train=fitted.train,
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
            "heldout": {"seed": TEST_SEED, "seconds": TEST_S, **fitted.held_out},
            "train_accuracy": fitted.train_accuracy,
        },
        overwrite=True,
    )


def default_model(out_dir: Path, retrain: bool, workers: int = 1) -> dict:
    """emotion-default: kept as shipped unless ``retrain`` (its original recipe and seeds)."""
    path = out_dir / f"{DEFAULT_MODEL}.onnx"
    if not retrain and not path.exists():  # another output folder: validate the shipped one
        path.write_bytes((HERE / path.name).read_bytes())
    if retrain:
        export_default(fit_default(*split(collect(plan_sessions(None), workers))), path)
    model = EmotionModel.load(path)
    by_montage = validate_on_montages(path, MONTAGE_SEED + 50)
    _check(path, by_montage)
    n_train = int(model.metadata.reference.get("n", 0))
    write_card(
        path.with_suffix(".md"),
        model.metadata,
        by_montage=by_montage,
        family_note="the original model: F7, F3, F4, F8, C3, C4, Pz, Oz, C = 1",
        n_train=n_train,
    )
    return {**model.metadata.metrics, "by_montage": by_montage}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output-dir", default=str(HERE), help="folder of the models")
    parser.add_argument(
        "--retrain-default",
        action="store_true",
        help="also retrain emotion-default (by default it is kept as shipped and validated)",
    )
    parser.add_argument("--only", default=None, help="comma-separated family model names")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes computing features (same numbers)"
    )
    args = parser.parse_args(argv)
    out_dir = Path(args.output_dir)
    started = time.perf_counter()
    only = None if args.only is None else {n.strip() for n in args.only.split(",")}
    families = [f for f in FAMILIES if only is None or f.name in only]
    results: dict[str, dict] = {}
    for weak in (False, True):
        group = [f for f in families if f.weak == weak]
        if not group:
            continue
        train, test = split(collect(plan_sessions(weak), args.workers))
        for family in group:
            results[family.name] = train_family(family, train, test, out_dir)
    if only is None or DEFAULT_MODEL in only:
        results[DEFAULT_MODEL] = default_model(out_dir, args.retrain_default, args.workers)
    for name, m in results.items():
        per = ", ".join(
            f"{p} {100 * r['accuracy']:.1f}%" for p, r in m.get("by_montage", {}).items()
        )
        print(f"{name:<22} held-out {100 * m['heldout']['accuracy']:.1f}%  on montages: {per}")
    print(f"done in {time.perf_counter() - started:.0f} s; models and cards in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
