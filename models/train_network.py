"""Train the network tier: a small EEGNet-style window model, in float32 and in int8.

Run from a clone with the ``network`` extra (``train`` and PyTorch; the CPU build is enough)::

    pip install -e '.[network]'
    python models/train_network.py          # writes models/emotion-eegnet{,-int8}.onnx + .md

What it does, all seeded (about 3 minutes on 2 cores):

1. records sessions of the simulated subject (the default person, the sessions and seeds of
   ``models/train_default.py``) through the app's own engine, keeping every filtered 4 s
   window of the model's 8 channels (hop 0.5 s) with its true state;
2. trains the network with PyTorch (temporal convolution, depthwise spatial convolution,
   as in EEGNet, then log-power pooling and a linear read-out);
3. exports it to ONNX (softmax included) with the app's metadata, including the feature
   reference statistics so the app can score drift for it;
4. quantises it to int8 with ``onnxruntime.quantization.quantize_static`` (QDQ, per-channel
   weights, calibrated on training windows);
5. runs both files and the shipped logistic regression through the app's engine on a
   separately generated 10-minute session (seed 101), validates both files with the app's
   validator, and writes the model cards. The int8 file is kept only if its held-out
   accuracy is within 1 point of the float32 one (``--keep-int8`` keeps it anyway, with
   the card saying so).

The app itself needs only onnxruntime: PyTorch is used here and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bci_desktop.core.dsp.features import FeatureExtractor, FeatureSpec
from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.inference.metadata import METADATA_KEY, ModelRecipe
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.inference.validation import validate_model_file
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import STATES, SimulatedSubject, SubjectProfile
from bci_desktop.core.training import DEFAULT_CHANNELS, reference_statistics

HERE = Path(__file__).resolve().parent
TRAIN_SEEDS = (11, 12, 13, 14)
TRAIN_S = 480.0
TEST_SEED = 101
TEST_S = 600.0
TRAIN_HOP_S = 0.5
NAME, VERSION = "emotion-eegnet", "1.0.0"
INT8_NAME = "emotion-eegnet-int8"
#: Budget of one prediction (ms); the float32 network measures ~1 ms here (see the card).
LATENCY_BUDGET_MS = 15.0
#: The int8 file ships only within this many accuracy points of the float32 one.
MAX_INT8_LOSS_POINTS = 1.0

RECIPE = ModelRecipe(
    channels=DEFAULT_CHANNELS,
    sample_rate=250.0,
    window_s=4.0,
    hop_s=0.25,
    filters=FilterSettings(),
    features=FeatureSpec(kinds=("log_band_power",)),  # for drift only: the default model's
    input_kind="window",
)


# -- data ------------------------------------------------------------------------------------
def windows(seed: int, seconds: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Filtered windows [n, channels, samples] (float32, µV), their class numbers, and the
    drift features of each window, from one session of the simulated subject."""
    source = SimulatedSubject(speed=None, seed=seed, profile=SubjectProfile())
    config = EngineConfig(hop_s=TRAIN_HOP_S)
    engine = Engine(source.info, recipe=RECIPE, config=config, collect_features=True)
    xs: list[np.ndarray] = []
    ys: list[int] = []

    def keep(update) -> None:
        for fw in update.features:
            if fw.withheld is None and fw.truth is not None:
                xs.append(fw.features)
                ys.append(STATES.index(fw.truth))

    StreamRunner(source, engine, duration_s=seconds, on_update=keep).run()
    X = np.stack(xs).astype(np.float32)
    extractor = FeatureExtractor(
        RECIPE.features, RECIPE.channels, RECIPE.sample_rate, RECIPE.window_samples
    )
    feats = np.stack([extractor.compute(x.astype(np.float64)) for x in X])
    return X, np.asarray(ys, dtype=np.int64), feats


# -- the network -----------------------------------------------------------------------------
def build_network(n_channels: int, n_classes: int):
    """EEGNet's first two blocks (temporal filters, depthwise spatial filters, batch norm),
    then the log of the mean power of each spatially filtered band over the window (what
    the default model's log band powers are) and a linear read-out."""
    import torch
    from torch import nn

    class EEGNetPower(nn.Module):
        def __init__(self, f1: int = 8, depth: int = 4, kernel: int = 63) -> None:
            super().__init__()
            self.temporal = nn.Conv2d(1, f1, (1, kernel), padding=(0, kernel // 2), bias=False)
            self.bn1 = nn.BatchNorm2d(f1)
            self.spatial = nn.Conv2d(f1, f1 * depth, (n_channels, 1), groups=f1, bias=False)
            self.bn2 = nn.BatchNorm2d(f1 * depth)
            self.dropout = nn.Dropout(0.25)
            self.classify = nn.Linear(f1 * depth, n_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # [batch, channels, samples], µV
            h = self.bn1(self.temporal(x.unsqueeze(1) * 0.05))
            h = self.bn2(self.spatial(h))  # [batch, f1 * depth, 1, samples]
            h = torch.log(torch.mean(h * h, dim=(2, 3)) + 1e-4)
            return self.classify(self.dropout(h))  # logits

    class WithSoftmax(nn.Module):
        def __init__(self, net: nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.net(x), dim=1)

    return EEGNetPower(), WithSoftmax


def train(X: np.ndarray, y: np.ndarray, *, epochs: int, seed: int):
    """Fit the network (Adam, cross-entropy, cosine learning rate, mini-batches of 64)."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    net, with_softmax = build_network(X.shape[1], len(STATES))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        net.train()
        order = rng.permutation(len(X))
        total = correct = 0
        t0 = time.perf_counter()
        for start in range(0, len(order), 64):
            batch = torch.from_numpy(order[start : start + 64])
            gain = torch.from_numpy(rng.uniform(0.85, 1.15, (len(batch), 1, 1)).astype("f4"))
            logits = net(Xt[batch] * gain)  # amplitude jitter: electrode gains differ
            loss = loss_fn(logits, yt[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += len(batch)
            correct += int((logits.argmax(1) == yt[batch]).sum())
        sched.step()
        print(
            f"  epoch {epoch + 1:2d}/{epochs}: train accuracy {correct / total:.3f} "
            f"({time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
    net.eval()
    return net, with_softmax(net).eval()


# -- export ----------------------------------------------------------------------------------
def export_fp32(model, example: np.ndarray, path: Path) -> None:
    """ONNX export of the network with its softmax (batch of one, opset 18, no metadata;
    batch norm folded into the convolutions by the exporter)."""
    import torch

    torch.onnx.export(
        model,
        (torch.from_numpy(example[None]),),
        str(path),
        input_names=["window"],
        output_names=["probabilities"],
        opset_version=18,
        dynamo=True,
        external_data=False,  # one self-contained file
    )


class _Calibration:
    """Windows fed to onnxruntime's int8 calibration (an ``CalibrationDataReader``)."""

    def __init__(self, X: np.ndarray, input_name: str) -> None:
        self._rows = iter(X)
        self._name = input_name

    def get_next(self) -> dict[str, np.ndarray] | None:
        row = next(self._rows, None)
        return None if row is None else {self._name: row[None].astype(np.float32)}


def quantise(fp32: Path, out: Path, calibration: np.ndarray) -> None:
    """int8 QDQ model of the convolutions (per-channel weights, activations calibrated on
    training windows); the power pooling, read-out and softmax stay float32, so the
    probabilities still sum to one."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(fp32), str(pre))
        quantize_static(
            str(pre),
            str(out),
            _Calibration(calibration, "window"),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            op_types_to_quantize=["Conv"],  # 99 % of the work; the softmax stays float32
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
        )


def embed_metadata(path: Path, metadata: dict) -> None:
    """Write the app's metadata into the ONNX file's ``metadata_props``."""
    import onnx

    model = onnx.load(str(path))
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(metadata)
    onnx.save(model, str(path))


def metadata_for(
    name: str,
    window: np.ndarray,
    probs: np.ndarray,
    *,
    reference: dict,
    metrics: dict,
    description: str,
    atol: float,
) -> dict:
    return {
        "schema": "bci-desktop-model/1",
        "name": name,
        "version": VERSION,
        "description": description,
        "task": "emotion",
        "classes": list(STATES),
        **RECIPE.to_dict(),
        "feature_names": list(
            FeatureExtractor(
                RECIPE.features, RECIPE.channels, RECIPE.sample_rate, RECIPE.window_samples
            ).feature_names
        ),
        "reference": reference,
        "provenance": {
            "trained_on": "BCI Desktop simulated subject, default profile (SubjectProfile())",
            "train_sessions": [{"seed": s, "seconds": TRAIN_S} for s in TRAIN_SEEDS],
            "script": "models/train_network.py",
            "framework": "PyTorch, exported with torch.onnx; int8 by onnxruntime.quantization",
            "validated_on_humans": False,
        },
        "metrics": metrics,
        "latency_budget_ms": LATENCY_BUDGET_MS,
        "test_vector": {
            "inputs": [window.tolist()],
            "probabilities": probs.tolist(),
            "atol": atol,
        },
    }


def ort_probs(path: Path, window: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"window": window[None].astype(np.float32)})[0]


# -- evaluation ------------------------------------------------------------------------------
def heldout(path: Path) -> dict:
    """Accuracy of a model file run through the app's engine on the held-out session."""
    model = EmotionModel.load(path)
    source = SimulatedSubject(speed=None, seed=TEST_SEED, profile=SubjectProfile())
    engine = Engine(source.info, model=model, config=EngineConfig())
    cm = np.zeros((len(STATES), len(STATES)), dtype=int)

    def keep(update) -> None:
        for p in update.predictions:
            if p.label is not None and p.truth is not None:
                cm[STATES.index(p.truth), STATES.index(p.label)] += 1

    StreamRunner(source, engine, duration_s=TEST_S, on_update=keep).run()
    n = int(cm.sum())
    return {
        "seed": TEST_SEED,
        "seconds": TEST_S,
        "accuracy": float(np.trace(cm) / n),
        "n_windows": n,
        "classes": list(STATES),
        "confusion_matrix": cm.tolist(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output-dir", default=str(HERE))
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep-int8",
        action="store_true",
        help="write the int8 file even if it loses more than 1 point",
    )
    args = parser.parse_args(argv)
    out = Path(args.output_dir)
    t_start = time.perf_counter()

    print("recording the training sessions of the simulated subject...", flush=True)
    parts = [windows(seed, TRAIN_S) for seed in TRAIN_SEEDS]
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    feats = np.concatenate([p[2] for p in parts])
    print(f"{len(X)} windows of {X.shape[1]} x {X.shape[2]}; training...", flush=True)
    _, exported = train(X, y, epochs=args.epochs, seed=args.seed)
    counts = np.bincount(y, minlength=len(STATES))
    prior = {c: round(float(n / counts.sum()), 4) for c, n in zip(STATES, counts, strict=True)}

    window = np.round(X[len(X) // 3], 2)  # a real training window (0.01 µV steps: smaller JSON)
    fp32, int8 = out / f"{NAME}.onnx", out / f"{INT8_NAME}.onnx"
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.onnx"
        export_fp32(exported, window, plain)
        quantised = Path(tmp) / "int8.onnx"
        calib = X[np.random.default_rng(args.seed).choice(len(X), 300, replace=False)]
        quantise(plain, quantised, calib)
        graph_bytes = {"fp32": plain.stat().st_size, "int8": quantised.stat().st_size}
        reference = reference_statistics(feats)
        shared = {"class_prior": prior, "train_windows": len(X), "epochs": args.epochs}
        candidates = {}
        for kind, src, name, atol in (
            ("fp32", plain, NAME, 1e-4),
            ("int8", quantised, INT8_NAME, 1e-3),
        ):
            dst = Path(tmp) / f"{name}.onnx"
            dst.write_bytes(src.read_bytes())
            meta = metadata_for(
                name,
                window,
                ort_probs(src, window),
                reference=reference,
                metrics={**shared, "graph_bytes": graph_bytes[kind]},
                atol=atol,
                description=_description(kind),
            )
            embed_metadata(dst, meta)
            candidates[kind] = (dst, meta)
        print("evaluating on the held-out session (seed 101) through the app's engine...")
        results = {kind: heldout(dst) for kind, (dst, _) in candidates.items()}
        results["logistic"] = heldout(HERE / "emotion-default.onnx")
        for kind in ("fp32", "int8"):
            dst, meta = candidates[kind]
            meta["metrics"]["heldout"] = results[kind]
            embed_metadata(dst, meta)
        reports = {
            kind: validate_model_file(dst, runs=400) for kind, (dst, _) in candidates.items()
        }
        loss = 100 * (results["fp32"]["accuracy"] - results["int8"]["accuracy"])
        ship_int8 = loss <= MAX_INT8_LOSS_POINTS or args.keep_int8
        for kind, report in reports.items():
            print(report.summary())
            if not report.ok:
                print(f"{kind} model refused by the app's validator", file=sys.stderr)
                return 1
        out.mkdir(parents=True, exist_ok=True)
        int8_bytes = candidates["int8"][0].stat().st_size
        fp32.write_bytes(candidates["fp32"][0].read_bytes())
        if ship_int8:
            int8.write_bytes(candidates["int8"][0].read_bytes())
        elif int8.exists():
            int8.unlink()
    sizes = {
        "fp32": fp32.stat().st_size,
        "int8": int8_bytes,
        "logistic": (HERE / "emotion-default.onnx").stat().st_size,
    }
    summary = {
        kind: {
            "accuracy": results[kind]["accuracy"],
            "n_windows": results[kind]["n_windows"],
            "file_bytes": sizes.get(kind),
            "graph_bytes": graph_bytes.get(kind),
            "validator_p50_ms": reports[kind].p50_ms if kind in reports else None,
            "validator_p99_ms": reports[kind].p99_ms if kind in reports else None,
        }
        for kind in ("fp32", "int8", "logistic")
    }
    summary["int8_loss_points"] = loss
    summary["int8_shipped"] = ship_int8
    print(json.dumps(summary, indent=2))
    for kind, name in (("fp32", NAME), ("int8", INT8_NAME)):
        card = _card(kind, name, summary, results, prior, len(X), args.epochs)
        (out / f"{name}.md").write_text(card, encoding="utf-8")
    print(f"done in {time.perf_counter() - t_start:.0f} s")
    return 0


def _description(kind: str) -> str:
    what = "float32" if kind == "fp32" else "int8-quantised (onnxruntime QDQ)"
    return (
        f"Demonstration EEGNet-style window network, {what}, on the 4 s filtered window of "
        "8 channels (calm, happy, sad, stressed), trained on the BCI Desktop simulated "
        "subject. NOT validated on human recordings."
    )


def _card(
    kind: str, name: str, summary: dict, results: dict, prior: dict, n_train: int, epochs: int
) -> str:
    res = results[kind]
    s = summary[kind]
    head = "| truth \\ predicted | " + " | ".join(STATES) + " |"
    rows = [head, "|" + "---|" * (len(STATES) + 1)]
    rows += [
        f"| {c} | " + " | ".join(str(v) for v in r) + " |"
        for c, r in zip(STATES, res["confusion_matrix"], strict=True)
    ]
    shipped = kind == "fp32" or summary["int8_shipped"]
    status = (
        ""
        if shipped
        else (
            "\n**Not shipped**: its held-out accuracy is more than "
            f"{MAX_INT8_LOSS_POINTS:g} point below the float32 network's.\n"
        )
    )
    fp, i8, lr = summary["fp32"], summary["int8"], summary["logistic"]
    return f"""# Model card: {name}@{VERSION}

**A demonstration model. It was trained and tested only on the app's simulated subject and
has not been validated on human EEG recordings. Do not use its output for any clinical or
research conclusion about a person.**
{status}
| field | value |
|---|---|
| classes | {", ".join(STATES)} (valence/arousal quadrants, as emotion-default) |
| input | the filtered 4 s window of F7, F3, F4, F8, C3, C4, Pz, Oz at 250 Hz (`input_kind: "window"`, 8 x 1000, µV) |
| filters | notch 50 Hz, band-pass 1-45 Hz (order 4), causal, streaming |
| network | EEGNet-style: 8 temporal filters (63 taps), depthwise spatial filters (x4), batch norm, log of the mean power of each of the 32 filtered signals over the window, linear read-out, softmax |
| weights | {"float32" if kind == "fp32" else "int8 (onnxruntime.quantization.quantize_static, QDQ, per-channel weights, 300 training windows for calibration)"} |
| training | PyTorch, {epochs} epochs, Adam, {n_train} windows (hop 0.5 s) from 4 sessions of the simulated subject (seeds 11-14, 8 min each), amplitude jitter ±15 %; class prior {", ".join(f"{c} {v:.3f}" for c, v in prior.items())} |
| held-out accuracy | **{100 * res["accuracy"]:.1f}%** on {res["n_windows"]} windows of a separately generated 10-minute session (seed {TEST_SEED}), through the app's engine |
| file size | {s["file_bytes"]:,} bytes ({s["graph_bytes"]:,} of graph and weights; the rest is the metadata, mostly the 8 x 1000 test window) |
| latency | p50 {s["validator_p50_ms"]:.3f} ms, p99 {s["validator_p99_ms"]:.3f} ms per call (the validator's 400 timed calls when trained); budget {LATENCY_BUDGET_MS:g} ms |
| drift | reference statistics of the default model's 44 features (log band powers, asymmetries) on the training windows |
| reproduce | `pip install -e '.[network]' && python models/train_network.py` |

## The three tiers on the same held-out session

| model | accuracy | file bytes | validator p50 / p99 (ms) |
|---|---|---|---|
| emotion-default (logistic regression) | {100 * lr["accuracy"]:.1f}% | {lr["file_bytes"]:,} | - |
| emotion-eegnet (float32) | {100 * fp["accuracy"]:.1f}% | {fp["file_bytes"]:,} | {fp["validator_p50_ms"]:.3f} / {fp["validator_p99_ms"]:.3f} |
| emotion-eegnet-int8 | {100 * i8["accuracy"]:.1f}% | {i8["file_bytes"]:,} | {i8["validator_p50_ms"]:.3f} / {i8["validator_p99_ms"]:.3f} |

int8 minus float32: {round(-summary["int8_loss_points"], 1) + 0.0:+.1f} points.

## Held-out confusion matrix (windows)

{chr(10).join(rows)}

## Limits

- The simulated subject encodes textbook markers; real emotion EEG is far less separable.
- A window model runs only on a stream at 250 Hz (the window is taken as it is).
- With Models > Fall back to a faster model, the logistic regression (emotion-default)
  takes over while this network is over its latency budget.
"""


if __name__ == "__main__":
    sys.exit(main())
