"""`bci-desktop models ...` through real processes and real model files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from bci_desktop.core.resources import default_model_path
from tests.core.modelfiles import write_model

pytest.importorskip("skl2onnx")


def cli(data_dir, *args):
    return subprocess.run(
        [sys.executable, "-m", "bci_desktop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "BCI_DESKTOP_DATA_DIR": str(data_dir)},
        check=False,
    )


def _active(data_dir) -> str:
    rows = json.loads(cli(data_dir, "models", "list", "--json").stdout)
    (active,) = [r["label"] for r in rows if r["active"]]
    return active


def test_import_activate_rollback_and_a_refused_file(tmp_path):
    data = tmp_path / "data"
    assert _active(data) == "emotion-default@1.0.0"
    good = write_model(tmp_path / "lab.onnx", meta_overrides={"name": "lab", "version": "2"})
    proc = cli(data, "models", "import", str(good), "--activate")
    assert proc.returncode == 0, proc.stderr
    assert _active(data) == "lab@2"
    # the registry keeps its own copy: damaging the original changes nothing
    good.write_bytes(b"overwritten")
    run = cli(data, "run", "--board", "simulated", "--speed", "max", "--duration", "6",
              "--jsonl", "-", "-q")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert {json.loads(x)["model"] for x in run.stdout.splitlines()} == {"lab@2"}
    bad = tmp_path / "truncated.onnx"
    bad.write_bytes(default_model_path().read_bytes()[:2000])
    refused = cli(data, "models", "import", str(bad), "--activate")
    assert refused.returncode == 2
    assert "not a readable ONNX model" in refused.stderr
    assert "active model is unchanged" in refused.stderr
    assert _active(data) == "lab@2"
    back = cli(data, "models", "rollback")
    assert back.returncode == 0 and "emotion-default@1.0.0" in back.stdout
    assert _active(data) == "emotion-default@1.0.0"


def test_validate_reports_every_reason(tmp_path):
    ok = cli(tmp_path, "models", "validate", str(default_model_path()), "--json")
    assert ok.returncode == 0
    report = json.loads(ok.stdout)
    assert report["ok"] and report["p99_ms"] < report["budget_ms"]
    copy = tmp_path / "wrong.onnx"
    shutil.copy(write_model(tmp_path / "w.onnx", n_classes=3), copy)
    bad = cli(tmp_path, "models", "validate", str(copy))
    assert bad.returncode == 2
    assert "REFUSED" in bad.stdout and "3 columns" in bad.stdout
