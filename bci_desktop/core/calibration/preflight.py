"""Everything that could make a calibration fail, checked before Start rather than after.

A calibration takes minutes of a person's time; finding out at the end that the model
cannot be trained wastes all of it. Before Start:

- the protocol's stimulus files exist, can be read and are of their kind (the window adds
  whether an image decodes and whether this installation can play audio and video);
- the stream's channels can carry a personal model (named electrodes; the features of the
  model made for this montage);
- the trainer works here: a small model is fitted, exported and run through onnxruntime
  (it needs numpy, scipy and onnxruntime only, all part of the default install);
- the disk holding the sessions has room for the recording (with a margin for the
  self-reports) and the models folder can be written;
- a simulated subject can follow the protocol's states (it knows the four built-in ones).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bci_desktop.core.affect import STATES
from bci_desktop.core.calibration.protocol import CalibrationProtocol
from bci_desktop.core.calibration.recipe import personal_recipe
from bci_desktop.core.calibration.stimuli import Stimulus, StimulusError, find_stimuli
from bci_desktop.core.errors import BCIError
from bci_desktop.core.inference.metadata import ModelRecipe
from bci_desktop.core.recording.recorder import session_layout
from bci_desktop.core.stream import StreamInfo

__all__ = ["RATING_ALLOWANCE_S", "Preflight", "preflight", "trainer_problem"]

logger = logging.getLogger(__name__)

#: Stream seconds allowed for each self-report when sizing the recording.
RATING_ALLOWANCE_S = 30.0
_SAFETY = 2.0  # the recording's estimate is doubled (predictions, events, the unexpected)
_TRAINER_OK: list[str] = []  # the self-test runs once per process


@dataclass(frozen=True)
class Preflight:
    """What the checks found.

    Attributes
    ----------
    problems : list of str
        Each one stops the calibration from starting (empty: it can start).
    warnings : list of str
        Worth knowing, not blocking.
    stimuli : dict of str to tuple of Stimulus
        Each state's checked stimulus files (empty when they have problems).
    recipe : ModelRecipe or None
        The features the personal model will compute.
    needed_bytes : int
        Disk space the recording may take.
    """

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stimuli: dict[str, tuple[Stimulus, ...]] = field(default_factory=dict)
    recipe: ModelRecipe | None = None
    needed_bytes: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing stops the calibration."""
        return not self.problems


def trainer_problem() -> str | None:
    """Why a personal model cannot be trained here (``None``: it can): fit a small model,
    export it and run it through onnxruntime, once per process."""
    if _TRAINER_OK:
        return None
    try:
        import onnxruntime as ort

        from bci_desktop.core.classifier import fit_linear_softmax

        rng = np.random.default_rng(0)
        x = rng.normal(size=(40, 3))
        y = np.repeat([0, 1], 20)
        x[y == 1] += 1.0
        model = fit_linear_softmax(x, y, 2)
        session = ort.InferenceSession(
            model.to_onnx(metadata={}), providers=["CPUExecutionProvider"]
        )
        got = session.run(["probabilities"], {"features": x[:2].astype(np.float32)})[0]
        if not np.allclose(got, model.predict_proba(x[:2]), atol=1e-4):
            return "The trainer's self-test gave different probabilities after export."
    except (ImportError, OSError, RuntimeError, ValueError, BCIError) as exc:
        logger.exception("The trainer's self-test failed")
        return f"Training a model does not work in this installation: {exc}."
    _TRAINER_OK.append("ok")
    return None


def _existing(path: Path) -> Path:
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _writable(folder: Path, what: str) -> str | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".bci-write-test-"):
            pass
    except OSError as exc:
        return f"The {what} folder {folder} cannot be written: {exc.strerror or exc}."
    return None


def preflight(
    protocol: CalibrationProtocol,
    info: StreamInfo | None,
    *,
    sessions_dir: Path,
    models_dir: Path,
    check_stimulus: Callable[[Stimulus], str | None] | None = None,
    simulated: bool = False,
    blocks: int | None = None,
    free_bytes: Mapping[str, int] | None = None,
) -> Preflight:
    """Run every check (see the module docstring).

    Parameters
    ----------
    protocol : CalibrationProtocol
    info : StreamInfo or None
        The stream that will be recorded (``None``: not connected yet; only the stimuli
        are checked).
    sessions_dir, models_dir : Path
        Where the recording and the model go.
    check_stimulus : callable or None
        More checks of one stimulus (the window: does the image decode, can audio and video
        play here?); returns why it cannot be shown.
    simulated : bool
        The stream is the simulated subject.
    blocks : int or None
        Blocks still to run (a resumed calibration), default all.
    free_bytes : mapping or None
        For tests: free bytes by folder instead of asking the file system.
    """
    problems: list[str] = []
    warnings: list[str] = []
    stimuli: dict[str, tuple[Stimulus, ...]] = {}
    try:
        stimuli = find_stimuli(protocol)
    except StimulusError as exc:
        problems += list(exc.problems)
    if check_stimulus is not None:
        for items in stimuli.values():
            for s in items:
                why = check_stimulus(s)
                if why is not None:
                    problems.append(why)
    if info is None:  # no stream yet: the stimuli are all that can be checked
        return Preflight(problems, warnings, stimuli)
    recipe = None
    try:
        recipe = personal_recipe(info.channel_names, info.sample_rate)
    except BCIError as exc:
        problems.append(str(exc))
    trainer = trainer_problem()
    if trainer is not None:
        problems.append(trainer)
    n = protocol.n_blocks if blocks is None else blocks
    seconds = n * (protocol.prepare_s + protocol.block_s + protocol.rest_s)
    if protocol.self_report:
        seconds += n * RATING_ALLOWANCE_S
    rows = len(session_layout(info)["rows"])
    needed = int(_SAFETY * seconds * info.sample_rate * rows * 8) + (1 << 20)
    places = ((sessions_dir, "sessions", needed), (models_dir, "models", 1 << 20))
    for folder, what, need in places:
        why = _writable(folder, what)
        if why is not None:
            problems.append(why)
            continue
        free = (free_bytes or {}).get(str(folder))
        if free is None:
            free = shutil.disk_usage(_existing(folder)).free
        if free < need:
            problems.append(
                f"Not enough disk space for the {what}: about {need / 1e6:.0f} MB needed in "
                f"{folder}, {free / 1e6:.0f} MB free."
            )
    if simulated:
        unknown = [s for s in protocol.state_names if s not in STATES]
        if unknown:
            warnings.append(
                f"The simulated subject knows {', '.join(STATES)} only: during blocks of "
                f"{', '.join(unknown)} it is in no particular state."
            )
    return Preflight(problems, warnings, stimuli, recipe, needed)
