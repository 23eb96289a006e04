"""BrainFlow's real Cyton driver on an emulated Cyton: named channels get predictions.

The emulator plays the simulated subject on the Cyton's own montage (Fp1, Fp2, C3, C4, P7,
P8, O1, O2) four times faster than real time, BrainFlow's Cyton driver reads it from a pty,
and the model is the one :func:`choose_model` picks from the registry for the Cyton's channel
names. The default sine waves of the emulator are not EEG: they are withheld as unreliable.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from bci_desktop.core.engine import Engine, EngineUpdate
from bci_desktop.core.inference.model_choice import choose_model
from bci_desktop.core.inference.novelty import UNRELIABLE
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.prediction import Prediction
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.brainflow_source import BrainFlowSource
from bci_desktop.core.sources.simulated import SimulatedSubject
from tests.core.sources.cyton_emulator import CytonEmulator

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX pseudo-terminals")

CYTON = ("Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2")
SPEED = 4.0  # packets per second = 4 x 250
DEADLINE_S = 60.0


def _simulated_uv(state: str, seconds: float) -> np.ndarray:
    subject = SimulatedSubject(
        speed=None, script=f"{state}:{seconds}", loop=False, channels=CYTON, seed=5, chunk_s=1.0
    )
    subject.start()
    chunks = []
    while not subject.finished:
        chunks.append(subject.read().eeg)
    return np.concatenate(chunks, axis=1)


def _predictions(emulator: CytonEmulator, tmp_path: Path, count: int) -> list[Prediction]:
    source = BrainFlowSource("cyton", ConnectionParams(serial_port=str(emulator.port)))
    assert source.info.channel_names == CYTON  # BrainFlow's names for the Cyton
    choice = choose_model(source.info.channel_names, ModelRegistry(tmp_path / "models").list())
    assert choice.label is not None and choice.label.startswith("emotion-cyton@"), choice.reason
    engine = Engine(source.info, model=choice.entry.load(source.info))
    predictions: list[Prediction] = []

    def keep(update: EngineUpdate) -> None:
        predictions.extend(update.predictions)

    stop = threading.Event()
    runner = StreamRunner(source, engine, on_update=keep)
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + DEADLINE_S
        while len(predictions) < count:
            assert thread.is_alive(), "the stream stopped"
            assert time.monotonic() < deadline, f"{len(predictions)} predictions in time"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(DEADLINE_S)
    return predictions


def test_the_cyton_s_channels_get_live_predictions(tmp_path: Path) -> None:
    signal = _simulated_uv("stressed", 40.0)
    with CytonEmulator(
        tmp_path / "ttyCYTON", sample_rate=SPEED * 250, signal_uv=signal
    ) as emulator:
        predictions = _predictions(emulator, tmp_path, 40)
    assert not any(p.withheld and "needs channel" in p.withheld for p in predictions)
    labelled = [p for p in predictions if p.withheld is None]
    assert len(labelled) >= 0.95 * len(predictions)
    assert all(p.novelty is not None and p.novelty < 4 for p in labelled)
    share = np.mean([p.label == "stressed" for p in labelled])
    assert share > 0.8, [p.label for p in labelled]


def test_the_emulator_s_sine_waves_are_withheld_as_unreliable(tmp_path: Path) -> None:
    with CytonEmulator(tmp_path / "ttyCYTON", sample_rate=SPEED * 250) as emulator:
        predictions = _predictions(emulator, tmp_path, 12)
    assert all(p.label is None and p.withheld.startswith(UNRELIABLE) for p in predictions)
    assert min(p.novelty for p in predictions) > 4
