"""What does checking a model in a child process cost?

Times, on the shipped default model, the loader's checks (``validate_model_bytes`` with
``runs=0``) in this process, the same checks in a child process with limits
(``validate_isolated``, what ``EmotionModel.load`` and the registry do for bytes not seen
before), and a load of bytes that already passed (the verdict reused).

Usage::

    python benchmarks/model_check_cost.py [--reps 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bci_desktop.core.inference import sandbox
from bci_desktop.core.inference.validation import read_model_bytes, validate_model_bytes
from bci_desktop.core.resources import default_model_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    path = default_model_path()
    data, sha = read_model_bytes(path)
    here, child = [], []
    for _ in range(args.reps):  # alternated, so a busy machine hurts both alike
        t0 = time.perf_counter()
        validate_model_bytes(data, path, sha256=sha, runs=0)
        here.append(time.perf_counter() - t0)
        sandbox._memo.clear()
        t0 = time.perf_counter()
        assert sandbox.validate_isolated(data, path, sha256=sha, runs=0).ok
        child.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    sandbox.validate_isolated(data, path, sha256=sha, runs=0)
    reused = time.perf_counter() - t0
    print(
        f"in this process: median {statistics.median(here) * 1e3:.1f} ms; child process: "
        f"median {statistics.median(child) * 1e3:.0f} ms (min {min(child) * 1e3:.0f}, max "
        f"{max(child) * 1e3:.0f}) over {args.reps}; verdict reused: {reused * 1e6:.0f} us"
    )


if __name__ == "__main__":
    main()
