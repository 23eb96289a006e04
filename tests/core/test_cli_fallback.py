"""`--latency-fallback`: an over-budget model hands over to the fastest validated one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.core.modelfiles import write_model

pytest.importorskip("skl2onnx")


def test_over_budget_model_falls_back_to_the_fastest_for_its_classes(tmp_path):
    slow = write_model(
        tmp_path / "slow.onnx",
        meta_overrides={"name": "slow", "version": "1", "latency_budget_ms": 0.0001},
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bci_desktop", "run", "--board", "simulated", "--speed", "max",
         "--duration", "240", "--model", str(slow), "--latency-fallback", "--jsonl", "-", "-q"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "BCI_DESKTOP_DATA_DIR": str(tmp_path / "data")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    models = [json.loads(x)["model"] for x in proc.stdout.splitlines()]
    assert models[0] == "slow@1"
    assert "emotion-default@1.0.0" in models  # it tripped and handed over
    first = models.index("emotion-default@1.0.0")
    assert all(m is not None for m in models[first:])  # no gap in the prediction stream
