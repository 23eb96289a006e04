"""How calibration judges responders and non-responders (the table in docs/calibration.md).

For each session seed, a calibration is recorded headless (a StreamSession streaming the
simulated subject, which follows the protocol's cues and answers the self-reports; see
tests/core/calibration/driver.py), a personal model is trained with the app's trainer, and
the model is run on a later, separately generated 8-minute session of the same person (a
non-responder's later session carries no state information either)::

    python benchmarks/calibration_verdict.py --seeds 3 4 5 --blocks 3 --block-s 20

It prints one Markdown row per run: balanced accuracy (spread over folds), p-value,
verdict, agreement with the truth on the later session, and the time training took.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def later_agreement(model: Path, *, responsive: bool, seed: int = 99) -> float:
    from bci_desktop.core.engine import Engine, EngineConfig
    from bci_desktop.core.inference.model import EmotionModel
    from bci_desktop.core.runner import StreamRunner
    from bci_desktop.core.sources.simulated import SimulatedSubject, SubjectProfile

    profile = SubjectProfile(state_effect=1.0 if responsive else 0.0)
    script = "calm:60,happy:60,stressed:60,sad:60,happy:60,calm:60,sad:60,stressed:60"
    source = SimulatedSubject(
        speed=None, seed=seed, loop=False, chunk_s=0.5, script=script, profile=profile
    )
    engine = Engine(source.info, model=EmotionModel.load(model), config=EngineConfig())
    preds: list = []
    StreamRunner(source, engine, on_update=lambda u: preds.extend(u.predictions)).run()
    return float(np.mean([p.label == p.truth for p in preds if p.withheld is None and p.truth]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 4, 5])
    parser.add_argument("--blocks", type=int, default=3, help="blocks per state")
    parser.add_argument("--block-s", type=float, default=20.0)
    args = parser.parse_args()

    from bci_desktop.core.calibration import default_protocol, train_personal_model
    from bci_desktop.core.calibration.verdict import p_text
    from bci_desktop.core.session import SimulatedSpec
    from tests.core.calibration.driver import calibrate

    protocol = replace(default_protocol(), blocks_per_state=args.blocks, block_s=args.block_s,
                       rest_s=3.0, prepare_s=3.0, seed=11)  # fmt: skip
    print("| person | session seed | balanced accuracy (sd over folds) | p | verdict | "
          "later session | training |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for responsive in (True, False):
        for seed in args.seeds:
            tmp = Path(tempfile.mkdtemp(prefix="bci-cal-bench-"))
            spec = SimulatedSpec(speed=None, seed=seed, responsive=responsive)
            folder = calibrate(tmp, protocol, spec=spec)
            t0 = time.perf_counter()
            report = train_personal_model([folder], tmp / "m.onnx")
            took = time.perf_counter() - t0
            v = report.verdict
            later = later_agreement(tmp / "m.onnx", responsive=responsive)
            who = "responder" if responsive else "non-responder"
            print(
                f"| {who} | {seed} | {100 * v.balanced_accuracy:.1f}% ({100 * v.spread:.1f}) | "
                f"{p_text(v.p_value)[4:]} | "
                f"{'better than chance' if v.better_than_chance else 'not better'} | "
                f"{100 * later:.1f}% | {took:.1f} s |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
