"""Which models are demonstrations trained on simulated EEG, and when the window says so.

The shipped ONNX files are read as they are; the stream sessions are real (the simulated
subject, BrainFlow's synthetic board)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bci_desktop.core.inference.provenance import (
    demo_model_applies,
    simulated_stream,
    trained_on_simulated,
)
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.inference.validation import open_session, read_metadata, read_model_bytes
from bci_desktop.core.session import (
    BoardSpec,
    ModelChanged,
    SessionOptions,
    SimulatedSpec,
    StreamSession,
    StreamStarted,
)
from bci_desktop.core.stream import ChannelInfo, StreamInfo

SHIPPED = sorted((Path(__file__).parents[3] / "models").glob("*.onnx"))


@pytest.fixture(autouse=True)
def _user_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sessions' registries hold the shipped models only, never the user's."""
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_model_says_it_was_trained_on_the_simulated_subject(path: Path) -> None:
    data, _ = read_model_bytes(path)
    metadata = read_metadata(open_session(data, path), path)
    assert trained_on_simulated(metadata), metadata.provenance


@pytest.mark.parametrize(
    "provenance",
    [
        pytest.param({"trained_on": ["S01-2026-12-01", "S01-2026-12-02"]}, id="calibrated"),
        pytest.param({"library": "brainflow", "classifier": "DEFAULT"}, id="brainflow"),
        pytest.param({}, id="silent"),
        pytest.param(
            {"trained_on": "BCI Desktop simulated subject", "validated_on_humans": True},
            id="validated-on-people",
        ),
        pytest.param({"trained_on": "SEED, 15 people"}, id="dataset"),
    ],
)
def test_other_models_are_not_demonstrations(provenance: dict) -> None:
    assert not trained_on_simulated(SimpleNamespace(provenance=provenance))


def test_nothing_without_provenance_is_a_demonstration() -> None:
    assert not trained_on_simulated(None)
    assert not trained_on_simulated(SimpleNamespace(provenance="simulated subject"))


def _info(states: tuple[str, ...]) -> StreamInfo:
    return StreamInfo("x", None, 250.0, (ChannelInfo("F3"),), states=states)


def test_the_label_applies_to_real_streams_only() -> None:
    assert demo_model_applies(True, _info(()))
    assert not demo_model_applies(True, _info(("calm", "happy")))
    assert not demo_model_applies(False, _info(()))
    assert not demo_model_applies(True, None)
    assert simulated_stream(_info(("calm",))) and not simulated_stream(None)


def _started(spec, **options) -> tuple[StreamSession, list[object]]:
    messages: list[object] = []
    session = StreamSession(spec, SessionOptions(**options), on_message=messages.append)
    session.start()
    return session, messages


def test_the_session_says_whether_its_model_is_a_demonstration() -> None:
    session, messages = _started(SimulatedSpec(speed=None), duration_s=1.0)
    try:
        (started,) = [m for m in messages if isinstance(m, StreamStarted)]
        assert started.model.startswith("emotion-default@")
        assert started.model_trained_on_simulated
        assert not demo_model_applies(started.model_trained_on_simulated, started.info)
        brainflow = next(e for e in ModelRegistry().list() if e.source == "brainflow")
        session.set_model(brainflow.label)
        (changed,) = [m for m in messages if isinstance(m, ModelChanged)]
        assert changed.label == brainflow.label and not changed.trained_on_simulated
    finally:
        session.stop()


def test_the_synthetic_board_gets_the_demonstration_label() -> None:
    session, messages = _started(BoardSpec("synthetic"), duration_s=1.0)
    try:
        (started,) = [m for m in messages if isinstance(m, StreamStarted)]
        assert demo_model_applies(started.model_trained_on_simulated, started.info)
    finally:
        session.stop()
