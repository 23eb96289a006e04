"""A recording process for the crash and file-size tests (run with ``python -m``).

``crash SESSIONS_DIR SEED``: record the simulated subject in real time, printing
``FOLDER <path>`` once and then ``SAMPLES <n>`` (samples handed to the recorder) every
0.25 s, until killed.

``fsize SESSIONS_DIR SEED LIMIT_BYTES SECONDS``: cap the size of any file this process
writes at LIMIT_BYTES (SIGXFSZ ignored, so writes past it fail with EFBIG), stream SECONDS
of the simulated subject at full speed through the engine and the default model while
recording, and print one JSON line describing what happened.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import time

import numpy as np

from bci_desktop.core.engine import Engine
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.recording.recorder import RecordingError, RecordingTap, SessionRecorder
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject
from bci_desktop.core.stream import Chunk

CRASH_MARKER = 5.0


def crash(sessions_dir: str, seed: int) -> None:
    source = SimulatedSubject(speed=1.0, seed=seed)
    recorder = SessionRecorder.create(sessions_dir, source.info, subject="crash")
    print(f"FOLDER {recorder.folder}", flush=True)
    handed = 0

    def on_chunk(chunk):
        nonlocal handed
        recorder.append(chunk)
        handed += chunk.n_samples

    runner = StreamRunner(source, Engine(source.info), on_chunk=on_chunk)
    next_print = time.monotonic() + 0.25
    marked = False
    with source:
        while True:  # until SIGKILL
            runner.step()
            if not marked and handed >= source.info.sample_rate:
                source.insert_marker(CRASH_MARKER)
                marked = True
            if time.monotonic() >= next_print:
                print(f"SAMPLES {handed}", flush=True)
                next_print += 0.25
            time.sleep(0.01)


def fsize(sessions_dir: str, seed: int, limit: int, seconds: float) -> None:
    source = SimulatedSubject(speed=None, seed=seed)
    model = EmotionModel.load(default_model_path())
    recorder = SessionRecorder.create(sessions_dir, source.info)
    at_error: dict[str, object] = {}
    runner: StreamRunner

    def on_error(exc: RecordingError) -> None:
        at_error.update(
            error=str(exc),
            samples=runner.stats.samples,
            predictions=runner.stats.predictions,
        )

    tap = RecordingTap(recorder, on_error=on_error)
    runner = StreamRunner(source, Engine(source.info, model=model), duration_s=seconds,
                          on_chunk=tap, on_update=tap.on_update)  # fmt: skip
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    stats = runner.run()
    recorder.stop()  # a no-op after the failure
    result = {
        "folder": str(recorder.folder),
        "failed": recorder.failed,
        "recorder_samples": recorder.n_samples,
        "at_error": at_error,
        "samples": stats.samples,
        "predictions": stats.predictions,
        "append_after": recorder.append(_one_sample(source.info.n_channels)),
    }
    print(json.dumps(result), flush=True)


def _one_sample(n_channels: int) -> Chunk:
    return Chunk(np.zeros((n_channels, 1)), np.zeros(1), np.zeros(1))


if __name__ == "__main__":
    mode, folder, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "crash":
        crash(folder, seed)
    elif mode == "fsize":
        fsize(folder, seed, int(sys.argv[4]), float(sys.argv[5]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
