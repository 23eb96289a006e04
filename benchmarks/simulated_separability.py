"""How separable are the simulated subject's four states? A quick, rerunnable check.

Trains a logistic regression on log band powers and frontal asymmetry of 4 s windows from
one simulated session and tests it on a session with another noise seed (same person), then
on other people (other profile seeds). The features mirror the app's default model:
8 channels (F7, F3, F4, F8, C3, C4, Pz, Oz), a causal 1-45 Hz band-pass and 50 Hz notch,
Welch with 1 s segments, bands delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-45 Hz,
and log(P_F4) - log(P_F3), log(P_F8) - log(P_F7) in alpha and beta.

Usage::

    python benchmarks/simulated_separability.py [--minutes 10] [--profiles 8 9 10]

Needs scikit-learn (the ``train`` extra). Prints accuracies and confusion matrices.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bci_desktop.core.sources.simulated import (
    MODEL_CHANNELS,
    STATES,
    SimulatedSubject,
    SubjectProfile,
    default_script,
)

BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 13), "beta": (13, 30), "gamma": (30, 45)}
FS = 250.0


def simulate(minutes: float, profile: int, seed: int, block_s: float) -> tuple:
    """Return (eeg of the model channels, truth) for one session."""
    subject = SimulatedSubject(
        script=default_script(block_s),
        speed=None,
        chunk_s=minutes * 60.0,
        sample_rate=FS,
        profile=SubjectProfile(seed=profile),
        seed=seed,
        start_time=0.0,
    )
    subject.start()
    chunk = subject.read()
    subject.stop()
    rows = [subject.info.channel_names.index(c) for c in MODEL_CHANNELS]
    return chunk.eeg[rows], chunk.truth


def prefilter(eeg: np.ndarray) -> np.ndarray:
    """Causal 1-45 Hz band-pass and 50 Hz notch, as the app's streaming filter does."""
    band = signal.butter(4, [1.0, 45.0], btype="band", fs=FS, output="sos")
    notch = signal.tf2sos(*signal.iirnotch(50.0, 30.0, fs=FS))
    return signal.sosfilt(np.vstack([band, notch]), eeg, axis=-1)


def features(eeg: np.ndarray, truth: np.ndarray, window_s: float, hop_s: float) -> tuple:
    """Log band powers + asymmetry per window; label = true state at the window's end."""
    win, hop = int(window_s * FS), int(hop_s * FS)
    starts = np.arange(int(4 * FS), eeg.shape[1] - win + 1, hop)  # skip the filter's start
    segs = np.stack([eeg[:, s : s + win] for s in starts])  # (n_win, 8, win)
    freqs, psd = signal.welch(segs, fs=FS, nperseg=int(FS), axis=-1)
    power = np.stack(
        [psd[..., (freqs >= lo) & (freqs < hi)].sum(-1) for lo, hi in BANDS.values()], axis=-1
    )  # (n_win, 8, 5)
    logp = np.log(power)
    ch = {c: i for i, c in enumerate(MODEL_CHANNELS)}
    asym = [
        logp[:, ch[r], b] - logp[:, ch[left], b]
        for b in (2, 3)
        for left, r in (("F3", "F4"), ("F7", "F8"))
    ]
    x = np.concatenate([logp.reshape(len(starts), -1), np.stack(asym, axis=1)], axis=1)
    labels = truth[starts + win - 1]
    pure = truth[starts] == labels
    return x, labels, pure


def report(name: str, model, x: np.ndarray, y: np.ndarray, pure: np.ndarray) -> float:
    from sklearn.metrics import confusion_matrix

    pred = model.predict(x)
    acc = float(np.mean(pred == y))
    acc_pure = float(np.mean(pred[pure] == y[pure]))
    print(f"{name}: accuracy {acc:.3f} (windows inside one state: {acc_pure:.3f}, n={len(y)})")
    cm = confusion_matrix(y, pred, labels=range(len(STATES)))
    print("    true \\ pred " + " ".join(f"{s:>9}" for s in STATES))
    for s, row in zip(STATES, cm, strict=True):
        print(f"    {s:>12} " + " ".join(f"{v:9d}" for v in row))
    return acc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--block-s", type=float, default=60.0, help="length of each state")
    parser.add_argument("--window-s", type=float, default=4.0)
    parser.add_argument("--hop-s", type=float, default=1.0)
    parser.add_argument("--profile", type=int, default=7, help="the trained person")
    parser.add_argument("--profiles", type=int, nargs="*", default=[8, 9, 10, 11, 12])
    parser.add_argument("--train-seed", type=int, default=1)
    parser.add_argument("--test-seed", type=int, default=2)
    args = parser.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    t = time.perf_counter()
    eeg, truth = simulate(args.minutes, args.profile, args.train_seed, args.block_s)
    gen_s = time.perf_counter() - t
    print(f"generated {args.minutes:g} min of 16 channels in {gen_s:.2f} s")
    x, y, _ = features(prefilter(eeg), truth, args.window_s, args.hop_s)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    model.fit(x, y)
    print(f"train (profile {args.profile}, seed {args.train_seed}): {model.score(x, y):.3f}")

    eeg, truth = simulate(args.minutes, args.profile, args.test_seed, args.block_s)
    x, y, pure = features(prefilter(eeg), truth, args.window_s, args.hop_s)
    report(f"same person (profile {args.profile}, seed {args.test_seed})", model, x, y, pure)

    others = []
    for p in args.profiles:
        eeg, truth = simulate(args.minutes, p, args.test_seed, args.block_s)
        x, y, pure = features(prefilter(eeg), truth, args.window_s, args.hop_s)
        others.append(report(f"other person (profile {p})", model, x, y, pure))
    if others:
        print(f"other people: mean accuracy {np.mean(others):.3f}")


if __name__ == "__main__":
    main()
