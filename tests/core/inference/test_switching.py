"""Switching models while streaming: between two hops, with no gap in the predictions."""

from __future__ import annotations

import numpy as np
import pytest

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import ChannelMismatchError, ModelError
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject
from tests.core.inference.onnx_graphs import write_window_model
from tests.core.modelfiles import write_model

pytest.importorskip("skl2onnx")
pytest.importorskip("onnx")

DEFAULT = "emotion-default@1.0.0"


@pytest.fixture(scope="module")
def default_model() -> EmotionModel:
    return EmotionModel.load(default_model_path())


def _second_model(path, **meta) -> EmotionModel:
    """Another small model on the default channels (random weights)."""
    return EmotionModel.load(write_model(path, seed=1, meta_overrides={"name": "second", **meta}))


def _stream(engine: Engine, seconds: float, actions: dict[float, object], seed: int = 5):
    """Feed the simulated subject in 20 ms chunks; run ``actions[t]`` once stream time t
    has been processed. Returns the predictions."""
    sim = SimulatedSubject(speed=None, seed=seed, chunk_s=0.02, start_time=0.0)
    sim.start()
    preds, pending = [], sorted(actions.items())
    while engine.total_samples < seconds * sim.info.sample_rate:
        preds += engine.process(sim.read()).predictions
        while pending and engine.total_samples >= pending[0][0] * sim.info.sample_rate:
            pending.pop(0)[1]()
    sim.stop()
    return preds


def _assert_no_gap(preds, hop_samples: float, fs: float):
    index = [p.index for p in preds]
    assert index == list(range(index[0], index[0] + len(index)))
    assert np.diff([p.t for p in preds]).max() <= (np.ceil(hop_samples) + 1e-6) / fs


def test_switch_to_a_longer_window_withholds_until_it_has_the_history(default_model, tmp_path):
    sim_info = SimulatedSubject(speed=None).info
    engine = Engine(sim_info, model=default_model)
    longer = _second_model(tmp_path / "long.onnx", window_s=8.0)
    preds = _stream(
        engine,
        12.0,
        {5.0: lambda: engine.set_model(longer), 10.0: lambda: engine.set_model(default_model)},
    )
    _assert_no_gap(preds, engine.hop_samples, 250.0)
    by_time = {round(p.t, 3): p for p in preds}
    assert preds[0].t == pytest.approx(4.0 - 1 / 250)
    before = [p for p in preds if p.t < 5.0]
    during = [p for p in preds if 5.0 <= p.t < 10.0]
    after = [p for p in preds if p.t >= 10.0]
    assert {p.model for p in before} == {DEFAULT} and all(p.label for p in before)
    assert {p.model for p in during} == {"second@0.1"}
    waiting = [p for p in during if p.withheld]
    assert waiting and all(p.t < 8.0 for p in waiting)  # withheld only until 8 s buffered
    assert "Model 'second@0.1' needs 8 s of signal, 5.3 s buffered" in waiting[0].withheld
    assert all(p.label is None and p.probabilities is None for p in waiting)
    assert all(p.label is not None for p in during if p.t >= 8.0)
    assert {p.model for p in after} == {DEFAULT} and all(p.label for p in after)
    assert len(by_time) == len(preds)


def test_refused_switch_keeps_the_current_model(default_model, tmp_path):
    engine = Engine(SimulatedSubject(speed=None).info, model=default_model)
    other_rate = EmotionModel.load(write_window_model(tmp_path / "w.onnx", sample_rate=128.0))
    errors = []

    def switch():
        try:
            engine.set_model(other_rate)
        except ModelError as exc:
            errors.append(str(exc))

    preds = _stream(engine, 7.0, {5.0: switch})
    assert errors and "takes raw windows at 128 Hz, but the stream runs at 250 Hz" in errors[0]
    assert {p.model for p in preds} == {DEFAULT} and all(p.label for p in preds)
    _assert_no_gap(preds, engine.hop_samples, 250.0)


def test_missing_channels_raise_in_strict_mode_and_keep_the_model(default_model, tmp_path):
    from bci_desktop.core.stream import ChannelInfo, StreamInfo

    info = StreamInfo("x", None, 250.0, tuple(ChannelInfo(n) for n in ("F7", "F3", "F4", "F8")))
    engine = Engine(info, model=None, config=EngineConfig())
    with pytest.raises(ChannelMismatchError, match="C3, C4, Pz, Oz"):
        engine.set_model(default_model)
    assert engine.model is None


def test_switch_to_a_model_with_other_filters_changes_them(default_model, tmp_path):
    notch60 = _second_model(tmp_path / "n.onnx", filters={"notch_hz": 60.0})
    engine = Engine(SimulatedSubject(speed=None).info, model=default_model)
    preds = _stream(engine, 14.0, {6.0: lambda: engine.set_model(notch60)})
    assert engine.filters.notch_hz == 60.0
    after = [p for p in preds if p.model == "second@0.1"]
    assert "Filters changed" in after[0].withheld
    assert after[-1].withheld is None
    _assert_no_gap(preds, engine.hop_samples, 250.0)
    # filters given explicitly by the user are kept
    fixed = Engine(
        SimulatedSubject(speed=None).info,
        model=default_model,
        config=EngineConfig(filters=default_model.metadata.recipe.filters),
    )
    fixed.set_model(notch60)
    assert fixed.filters.notch_hz == 50.0


def test_window_model_runs_on_the_simulated_subject(default_model, tmp_path):
    """A raw-window model (as a PyTorch export would be) predicts, with a drift score."""
    meta = default_model.metadata
    path = write_window_model(
        tmp_path / "w.onnx",
        window_s=4.0,
        features=meta.recipe.features.to_dict(),
        feature_names=list(meta.feature_names),
        reference=meta.reference,
    )
    model = EmotionModel.load(path)
    sim = SimulatedSubject(speed=None, seed=11, chunk_s=0.25)
    engine = Engine(sim.info, model=model)
    preds = []
    StreamRunner(
        sim, engine, duration_s=20.0, on_update=lambda u: preds.extend(u.predictions)
    ).run()
    assert len(preds) == (20 - 4) * 4 + 1
    assert all(p.withheld is None and p.model == "window-net@1.0" for p in preds)
    probs = np.array([p.probabilities for p in preds])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert probs.std(axis=0).max() > 0  # it reacts to the signal
    assert preds[-1].drift is not None and preds[-1].drift < 1.0  # the trained person


@pytest.mark.slow
def test_activate_and_rollback_while_streaming_the_synthetic_board(default_model, tmp_path):
    """Live BrainFlow synthetic board: switch through the registry at ~5 s, roll back at
    ~6.5 s; every hop has a prediction, labelled with the model that made it."""
    from bci_desktop.core.sources.brainflow_source import BrainFlowSource

    registry = ModelRegistry(tmp_path / "registry", runs=20, include_brainflow=False)
    second = write_model(
        tmp_path / "second.onnx", seed=1, meta_overrides={"name": "second", "version": "2.0"}
    )
    registry.import_file(second)
    assert registry.active().label == DEFAULT

    source = BrainFlowSource("synthetic")
    engine = Engine(
        source.info, model=registry.active().load(), config=EngineConfig(strict_channels=True)
    )
    fs = engine.sample_rate
    stamps: list[np.ndarray] = []
    preds = []
    switches: list[tuple[int, str]] = []  # (hop index after which it applies, label)

    def on_update(update):
        stamps.append(update.timestamps)
        preds.extend(update.predictions)
        seconds = engine.total_samples / fs
        if not switches and seconds >= 5.0:
            entry = registry.activate("second")
            engine.set_model(entry.load())
            switches.append((engine.hops, entry.label))
        elif len(switches) == 1 and seconds >= 6.5:
            entry = registry.rollback()
            engine.set_model(entry.load())
            switches.append((engine.hops, entry.label))

    StreamRunner(source, engine, duration_s=8.0, on_update=on_update).run()
    assert [label for _, label in switches] == ["second@2.0", DEFAULT]
    assert registry.active().label == DEFAULT and registry.history() == []

    # no gap longer than one hop, in samples of the real stream (the board's timestamps
    # jitter by ~2 ms, so gaps are measured by sample position, not by timestamp difference)
    position = {t: i for i, t in enumerate(np.concatenate(stamps).tolist())}
    samples = np.array([position[p.t] for p in preds])
    assert np.diff(samples).max() <= np.ceil(engine.hop_samples)
    assert [p.index for p in preds] == list(range(preds[0].index, preds[-1].index + 1))
    assert (samples[-1] - samples[0]) / fs == pytest.approx((len(preds) - 1) * 0.25, abs=0.01)
    # predictions after each switch carry the new model's label
    (first_hop, first), (second_hop, back) = switches
    for p in preds:
        expected = DEFAULT if p.index <= first_hop else first if p.index <= second_hop else back
        assert p.model == expected, (p.index, p.model)
    assert sum(p.index > first_hop for p in preds) >= 4
    assert sum(p.index > second_hop for p in preds) >= 4
