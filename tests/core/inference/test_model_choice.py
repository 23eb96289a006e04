"""Which model a stream gets: best validated fit, user models compete, the user's choice wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bci_desktop.core.inference.model_choice import choose_model, validated_accuracy
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.montage.presets import PRESETS
from bci_desktop.core.montage.tenfive import position
from tests.core.modelfiles import write_model

DEFAULT_CHANNELS = ("F7", "F3", "F4", "F8", "C3", "C4", "Pz", "Oz")

#: The model each preset montage gets from the shipped models.
EXPECTED = {
    "synthetic": "emotion-default", "cyton": "emotion-cyton", "ganglion": "emotion-ganglion",
    "muse": "emotion-muse", "unicorn": "emotion-unicorn", "crown": "emotion-crown",
    "notion_1": "emotion-notion", "notion_2": "emotion-notion", "brainbit": "emotion-brainbit",
    "enophone": "emotion-enophone", "galea": "emotion-galea", "explore_8": "emotion-default",
    "explore_4": "emotion-ganglion",
}  # fmt: skip


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> list:
    return ModelRegistry(tmp_path_factory.mktemp("models")).list()


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_every_preset_montage_gets_a_validated_model_it_fits(shipped, preset) -> None:
    choice = choose_model(preset.channels, shipped)
    assert choice.entry is not None and choice.fits and not choice.explicit, choice.reason
    have = {position(c) for c in preset.channels}
    assert {position(c) for c in choice.entry.channels} <= have
    accuracy, kind = validated_accuracy(choice.entry.metrics)
    assert kind == "held-out" and f"{100 * accuracy:.1f}%" in choice.reason
    # nothing that fits is better validated
    for c in choice.candidates:
        if c.fits and c.accuracy is not None:
            assert c.accuracy <= accuracy
    if preset.name in EXPECTED:
        assert choice.entry.name == EXPECTED[preset.name]
    # every shipped model of a preset's family validated it on that montage
    by_montage = choice.entry.metrics.get("by_montage", {})
    if choice.entry.name != "emotion-default":
        assert by_montage[preset.name]["withheld"] < 0.05


def test_old_names_fit_a_model_that_uses_new_ones(shipped) -> None:
    choice = choose_model(("T7", "T8", "O1", "O2"), shipped)  # BrainBit named the new way
    assert choice.entry.name == "emotion-brainbit"  # the model says T3, T4


def test_none_fits_says_why_and_what_to_do(shipped) -> None:
    unnamed = choose_model(("EEG 1", "EEG 2", "EEG 3", "EEG 4"), shipped)
    assert unnamed.entry is None and "no electrode names" in unnamed.reason
    few = choose_model(("Fz", "Cz"), shipped)
    assert few.entry is None and few.reason.startswith("No emotion model fits Fz, Cz")
    assert "Name the channels where the electrodes really are" in few.reason
    assert choose_model((), shipped).entry is None


def test_brainflow_s_classifiers_compete_only_for_their_task(shipped) -> None:
    assert all(c.entry.task == "emotion" for c in choose_model(("Fz",), shipped).candidates)
    mindful = choose_model(("Fz", "Cz"), shipped, task="mindfulness")
    assert [c.entry.source for c in mindful.candidates] == ["brainflow"]
    assert mindful.candidates[0].fits  # it averages every EEG channel
    # but it reports no measured accuracy, so only the user can choose it
    assert mindful.entry is None and "choose it yourself" in mindful.reason
    assert choose_model(("Fz",), shipped, preferred="brainflow-mindfulness", task="x").explicit


def test_the_user_s_choice_stays_on_top_even_when_it_does_not_fit(shipped) -> None:
    muse = ("TP9", "AF7", "AF8", "TP10")
    mine = choose_model(muse, shipped, preferred="emotion-muse@1.0.0")
    assert mine.explicit and mine.fits and mine.reason == "emotion-muse@1.0.0: your choice."
    wrong = choose_model(muse, shipped, preferred="emotion-default")
    assert wrong.explicit and not wrong.fits and wrong.entry.name == "emotion-default"
    assert wrong.missing == DEFAULT_CHANNELS
    assert "its predictions are withheld" in wrong.reason and "emotion-muse@1.0.0" in wrong.reason
    assert wrong.best_fit.entry.name == "emotion-muse"
    gone = choose_model(muse, shipped, preferred="deleted-model")
    assert not gone.explicit and gone.entry.name == "emotion-muse"
    assert gone.reason.startswith("Your choice 'deleted-model' is not among the models")


def _personal(tmp_path: Path, cv: float, name: str = "personal") -> Path:
    return write_model(
        tmp_path / f"{name}.onnx",
        meta_overrides={"name": name, "version": "1", "metrics": {"cv_accuracy": cv}},
    )


def test_user_models_compete_on_validated_accuracy(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.import_file(_personal(tmp_path, 0.97, "better"))
    registry.import_file(_personal(tmp_path, 0.55, "worse"))
    registry.import_file(
        write_model(tmp_path / "u.onnx", meta_overrides={"name": "unmeasured", "version": "1"})
    )
    choice = choose_model(DEFAULT_CHANNELS, registry.list())
    assert choice.label == "better@1" and "cross-validated accuracy 97.0%" in choice.reason
    labels = [c.entry.label for c in choice.candidates]
    assert labels.index("emotion-default@1.0.0") < labels.index("worse@1")
    assert labels.index("worse@1") < labels.index("unmeasured@1")  # never picked by itself


def test_an_older_index_without_channels_reads_them_from_the_file(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models")
    registry.import_file(_personal(tmp_path, 0.99))
    index = json.loads(registry.index_path.read_text())
    del index["models"]["personal@1"]["channels"]
    registry.index_path.write_text(json.dumps(index))
    entry = next(e for e in registry.list() if e.name == "personal")
    assert entry.channels == ()
    assert choose_model(DEFAULT_CHANNELS, registry.list()).label == "personal@1"
    assert choose_model(("F3", "F4", "O1", "O2"), registry.list()).label != "personal@1"


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ({"heldout": {"accuracy": 0.9}}, (0.9, "held-out")),
        ({"holdout_accuracy": 0.8}, (0.8, "held-out")),
        ({"cv_accuracy": 0.7}, (0.7, "cross-validated")),
        ({"cv_accuracy": 1.5}, None),
        ({"heldout": {"accuracy": True}}, None),
        ({"heldout": "90%"}, None),
        ({}, None),
    ],
)
def test_validated_accuracy(metrics, expected) -> None:
    assert validated_accuracy(metrics) == expected
