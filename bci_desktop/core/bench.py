"""``bci-desktop bench``: per-inference latency, throughput and memory of the pipeline.

For each configuration (channels x sample rate) the simulated subject is generated first,
then fed to the engine in live-sized chunks (20 ms), and the latency each prediction
carries is collected. The same windows are then classified two other ways, for reference,
in the same run:

* **notebook**: what a research notebook does at every hop: zero-phase re-filtering of the
  whole window (``scipy.signal.sosfiltfilt``, notch + band-pass), ``scipy.signal.welch``,
  band sums by boolean masks, then scikit-learn's ``predict_proba`` (if installed) on a
  logistic regression of the same size;
* **brainflow**: BrainFlow's ``DataFilter`` per channel (detrend, band-pass, band-stop,
  Welch PSD, band powers), then the same ONNX model.

The **model tiers** are then timed the same way on 16 channels at 250 Hz, each through the
engine: the shipped logistic regression (the baseline of the same run), the EEGNet-style
window network in float32 and in int8 (``models/train_network.py``), with their file sizes
and held-out accuracies.

The **real-time** row streams the simulated subject (16 channels, 250 Hz) at 1x for 60 s
(15 s with ``--quick``) the way ``bci-desktop run`` does: read, process, sleep 4 ms when
nothing came. Each prediction's latency is measured exactly as in the hot loop, and so is
the CPU time the thread spent on it: when both agree, the prediction was not waiting for
the processor, it did the same work more slowly (caches and the processor shared with
everything that ran during the 250 ms between two hops; see docs/benchmarks.md).
"""

from __future__ import annotations

import gc
import os
import platform
import resource
import time
from typing import Any

import numpy as np

from bci_desktop import __version__
from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.resources import default_model_path, shipped_dir
from bci_desktop.core.runner import StreamRunner
from bci_desktop.core.sources.simulated import SimulatedSubject, montage
from bci_desktop.core.stream import Chunk

CONFIGS = ((8, 250.0), (16, 250.0), (32, 250.0), (64, 1000.0))
CHUNK_S = 0.02
#: The latency tiers (shipped files; a missing one is skipped), the first is the baseline.
TIERS = ("emotion-default.onnx", "emotion-eegnet.onnx", "emotion-eegnet-int8.onnx")
#: Stream seconds of the real-time row (and with --quick).
REALTIME_S, REALTIME_QUICK_S = 60.0, 15.0


def _rss_mb() -> float:
    """Resident memory of this process now (MB)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError):
        return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _summary(ms: np.ndarray) -> dict[str, float]:
    p50, p95, p99 = np.percentile(ms, (50, 95, 99))
    return {
        "n": int(ms.size),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "max_ms": float(ms.max()),
        "mean_ms": float(ms.mean()),
    }


def _generate(n_ch: int, fs: float, seconds: float, seed: int = 1) -> tuple[np.ndarray, ...]:
    sim = SimulatedSubject(channels=montage(n_ch), sample_rate=fs, speed=None, seed=seed,
                           chunk_s=seconds)  # fmt: skip
    sim.start()
    chunk = sim.read()
    sim.stop()
    assert chunk is not None
    return chunk.eeg, chunk.timestamps, chunk.truth


def _ours(model: EmotionModel, n_ch: int, fs: float, seconds: float) -> dict[str, Any]:
    eeg, ts, truth = _generate(n_ch, fs, seconds)
    sim_info = SimulatedSubject(channels=montage(n_ch), sample_rate=fs).info
    engine = Engine(sim_info, model=model, config=EngineConfig())
    step = max(1, round(CHUNK_S * fs))
    latencies: list[float] = []
    hop_ends: list[int] = []
    gc.collect()
    t0 = time.perf_counter()
    for start in range(0, eeg.shape[1], step):
        sl = slice(start, start + step)
        upd = engine.process(Chunk(eeg[:, sl], ts[sl], np.zeros(ts[sl].size), truth[sl]))
        for p in upd.predictions:
            latencies.append(p.latency_ms)
            hop_ends.append(engine.total_samples)
    wall = time.perf_counter() - t0
    return {
        "latency": _summary(np.asarray(latencies)),
        "samples_per_s": eeg.shape[1] / wall,
        "realtime_factor": (eeg.shape[1] / fs) / wall,
        "_data": (eeg, hop_ends, engine),
    }


def _notebook(model: EmotionModel, eeg: np.ndarray, hop_ends: list[int], engine: Engine,
              fs: float) -> dict[str, Any] | None:  # fmt: skip
    from scipy import signal

    recipe = model.metadata.recipe
    idx = engine.model_channel_index
    window = engine.window_samples
    f = recipe.filters
    sos = signal.butter(f.order, f.bandpass, btype="bandpass", fs=fs, output="sos")
    b, a = signal.iirnotch(f.notch_hz, 30.0, fs=fs)
    bands = recipe.features.bands
    n_feat = len(model.metadata.feature_names)
    try:
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(0)
        clf = LogisticRegression(max_iter=200).fit(
            rng.normal(size=(200, n_feat)), rng.integers(0, len(model.classes), 200)
        )
        predict = clf.predict_proba
        predictor = "scikit-learn predict_proba"
    except ImportError:
        predict = model.predict_proba_batch
        predictor = "onnxruntime (scikit-learn not installed)"
    ms = []
    for end in hop_ends:
        t0 = time.perf_counter_ns()
        x = eeg[idx, end - window : end]
        y = signal.filtfilt(b, a, signal.sosfiltfilt(sos, x, axis=-1), axis=-1)
        freqs, psd = signal.welch(y, fs=fs, nperseg=int(fs), axis=-1)
        feats = [np.log(psd[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) * (freqs[1] - freqs[0]))
                 for _, lo, hi in bands]  # fmt: skip
        vec = np.concatenate([np.stack(feats, axis=1).ravel(), np.zeros(n_feat)])[:n_feat]
        predict(vec[None, :].astype(np.float32))
        ms.append((time.perf_counter_ns() - t0) / 1e6)
    return {"latency": _summary(np.asarray(ms)), "predictor": predictor}


def _brainflow(model: EmotionModel, eeg: np.ndarray, hop_ends: list[int], engine: Engine,
               fs: float) -> dict[str, Any]:  # fmt: skip
    from brainflow.data_filter import DataFilter, DetrendOperations, FilterTypes, WindowOperations

    recipe = model.metadata.recipe
    idx = engine.model_channel_index
    window = engine.window_samples
    lo, hi = recipe.filters.bandpass
    notch = recipe.filters.notch_hz
    rate = int(fs)
    nfft = 1 << int(np.floor(np.log2(rate)))
    n_feat = len(model.metadata.feature_names)
    ms = []
    for end in hop_ends:
        t0 = time.perf_counter_ns()
        x = np.ascontiguousarray(eeg[idx, end - window : end])
        feats = []
        for row in x:
            row = row.copy()
            DataFilter.detrend(row, DetrendOperations.CONSTANT.value)
            DataFilter.perform_bandpass(row, rate, lo, hi, 4, FilterTypes.BUTTERWORTH.value, 0)
            DataFilter.perform_bandstop(
                row, rate, notch - 2, notch + 2, 4, FilterTypes.BUTTERWORTH.value, 0
            )
            psd = DataFilter.get_psd_welch(row, nfft, nfft // 2, rate, WindowOperations.HANNING)
            feats.extend(np.log(DataFilter.get_band_power(psd, b_lo, b_hi) + 1e-12)
                         for _, b_lo, b_hi in recipe.features.bands)  # fmt: skip
        vec = np.zeros(n_feat, dtype=np.float32)
        vec[: min(n_feat, len(feats))] = feats[:n_feat]
        model.predict_proba(vec)
        ms.append((time.perf_counter_ns() - t0) / 1e6)
    return {"latency": _summary(np.asarray(ms)), "predictor": "onnxruntime"}


def _end_to_end(model: EmotionModel, seconds: float) -> dict[str, Any]:
    """The simulated subject at --speed max through the runner, generation included."""
    sim = SimulatedSubject(speed=None, seed=3)
    engine = Engine(sim.info, model=model)
    samples: list[tuple[float, float]] = []
    marks = {"next": 60.0}

    def on_update(update) -> None:
        stream_s = engine.total_samples / engine.sample_rate
        if stream_s >= marks["next"]:
            samples.append((stream_s, _rss_mb()))
            marks["next"] += 60.0

    runner = StreamRunner(sim, engine, duration_s=seconds, on_update=on_update)
    t0 = time.perf_counter()
    stats = runner.run()
    wall = time.perf_counter() - t0
    first = samples[0][1] if samples else float("nan")
    last = samples[-1][1] if samples else float("nan")
    p50, p95, p99 = stats.latency.percentiles((50, 95, 99))
    return {
        "stream_s": stats.stream_seconds,
        "wall_s": wall,
        "realtime_factor": stats.stream_seconds / wall,
        "predictions": stats.predictions,
        "agreement_with_truth": stats.accuracy,
        "latency_last_window": {"p50_ms": p50, "p95_ms": p95, "p99_ms": p99},
        "rss_mb_after_first_minute": first,
        "rss_mb_at_end": last,
        "rss_growth_mb_after_first_minute": last - first,
        "rss_mb_per_minute": [round(m, 2) for _, m in samples],
    }


def _tiers(hops: int) -> list[dict[str, Any]]:
    """Per-prediction latency of each model tier on 16 channels at 250 Hz, in one run."""
    rows = []
    for name in TIERS:
        path = shipped_dir("models") / name
        if not path.is_file():
            continue
        model = EmotionModel.load(path)
        recipe = model.metadata.recipe
        ours = _ours(model, 16, 250.0, recipe.window_s + hops * recipe.hop_s + 1.0)
        ours.pop("_data")
        heldout = model.metadata.metrics.get("heldout", {})
        rows.append(
            {
                "model": model.metadata.label,
                "input_kind": recipe.input_kind,
                "file_bytes": path.stat().st_size,
                "heldout_accuracy": heldout.get("accuracy"),
                "latency_budget_ms": model.metadata.latency_budget_ms,
                "latency": ours["latency"],
            }
        )
    return rows


def _realtime(model: EmotionModel, seconds: float, n_ch: int = 16) -> dict[str, Any]:
    """The simulated subject at 1x through the runner, paced like ``bci-desktop run``."""
    sim = SimulatedSubject(channels=montage(n_ch), speed=1.0, seed=3, chunk_s=CHUNK_S)
    engine = Engine(sim.info, model=model, config=EngineConfig(measure_cpu=True))
    runner = StreamRunner(sim, engine, duration_s=seconds)
    latencies: list[float] = []
    cpu: list[float] = []
    gc.collect()
    sim.start()
    try:
        while not runner.done:
            update = runner.step()
            if update is None:
                time.sleep(0.004)
                continue
            for p in update.predictions:
                if p.label is not None:
                    latencies.append(p.latency_ms)
                    cpu.append(p.cpu_ms if p.cpu_ms is not None else float("nan"))
    finally:
        sim.stop()
    if not latencies:
        return {"channels": n_ch, "stream_s": seconds, "latency": None, "cpu": None}
    return {
        "channels": n_ch,
        "sample_rate": sim.info.sample_rate,
        "stream_s": seconds,
        "latency": _summary(np.asarray(latencies)),
        "cpu": _summary(np.asarray(cpu)),
    }


def _loadavg() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return ""


def run_benchmarks(*, quick: bool = False, repeats: int | None = None) -> dict[str, Any]:
    """Run every benchmark; return a JSON-friendly report."""
    model = EmotionModel.load(default_model_path())
    hops = repeats or (40 if quick else 400)
    results = []
    for n_ch, fs in CONFIGS:
        window_s = model.metadata.recipe.window_s
        seconds = window_s + hops * model.metadata.recipe.hop_s + 1.0
        ours = _ours(model, n_ch, fs, seconds)
        eeg, hop_ends, engine = ours.pop("_data")
        notebook = _notebook(model, eeg, hop_ends, engine, fs)
        brainflow = _brainflow(model, eeg, hop_ends, engine, fs)
        p50 = ours["latency"]["p50_ms"]
        results.append(
            {
                "channels": n_ch,
                "sample_rate": fs,
                "window_s": window_s,
                "chunk_s": CHUNK_S,
                "ours": ours,
                "notebook": notebook,
                "brainflow": brainflow,
                "p50_ratio_notebook_over_ours": notebook["latency"]["p50_ms"] / p50,
                "p50_ratio_brainflow_over_ours": brainflow["latency"]["p50_ms"] / p50,
            }
        )
    tiers = _tiers(hops)
    load_before = _loadavg()
    realtime = _realtime(model, REALTIME_QUICK_S if quick else REALTIME_S)
    end_to_end = _end_to_end(model, 120.0 if quick else 3600.0)
    return {
        "app_version": __version__,
        "model": model.metadata.label,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "configs": results,
        "tiers": tiers,
        "realtime": realtime,
        "load_average_before_realtime": load_before,
        "simulated_end_to_end": end_to_end,
        "peak_rss_mb": _peak_mb(),
    }


def format_report(report: dict[str, Any]) -> str:
    """Human-readable table of a :func:`run_benchmarks` report."""
    lines = [
        f"bci-desktop {report['app_version']} bench, model {report['model']}, "
        f"{report['machine']['cpus']} CPUs, Python {report['machine']['python']}",
        "",
        "Per-inference latency (ms), window 4 s, hop 0.25 s, live 20 ms chunks:",
        f"{'config':<14}{'path':<11}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  ratio p50",
    ]
    for r in report["configs"]:
        cfg = f"{r['channels']} ch {r['sample_rate']:g} Hz"
        base = r["ours"]["latency"]["p50_ms"]
        for key in ("ours", "notebook", "brainflow"):
            lat = r[key]["latency"]
            ratio = lat["p50_ms"] / base
            lines.append(
                f"{cfg:<14}{key:<11}{lat['p50_ms']:8.3f}{lat['p95_ms']:8.3f}"
                f"{lat['p99_ms']:8.3f}{lat['max_ms']:8.3f}  {ratio:6.1f}x"
            )
            cfg = ""
        lines.append(
            f"{'':<14}throughput {r['ours']['samples_per_s']:,.0f} samples/s, "
            f"{r['ours']['realtime_factor']:,.0f}x real time"
        )
    lines += _format_tiers(report.get("tiers") or [])
    rt = report.get("realtime")
    if rt and rt.get("latency"):
        hot = next(
            (r["ours"]["latency"] for r in report["configs"] if r["channels"] == rt["channels"]),
            None,
        )
        lat, cpu = rt["latency"], rt["cpu"]
        cfg = f"{rt['channels']} ch {rt['sample_rate']:g} Hz"
        lines.append(
            f"{cfg:<14}{'real time':<11}{lat['p50_ms']:8.3f}{lat['p95_ms']:8.3f}"
            f"{lat['p99_ms']:8.3f}{lat['max_ms']:8.3f}"
            + (f"  {lat['p50_ms'] / hot['p50_ms']:6.1f}x the hot loop" if hot else "")
        )
        lines.append(
            f"{'':<14}simulated subject at 1x for {rt['stream_s']:g} s, {lat['n']} predictions; "
            f"CPU time per prediction p50 {cpu['p50_ms']:.3f} ms (load average "
            f"{report.get('load_average_before_realtime') or '?'})"
        )
    e = report["simulated_end_to_end"]
    acc = e["agreement_with_truth"]
    lines += [
        "",
        f"Simulated subject end to end (--speed max, generation included): "
        f"{e['stream_s']:.0f} s of stream in {e['wall_s']:.1f} s = "
        f"{e['realtime_factor']:.0f}x real time, {e['predictions']} predictions"
        + ("" if acc is None else f", agreement with truth {100 * acc:.1f}%"),
        f"Memory: {e['rss_mb_after_first_minute']:.1f} MB after the first minute, "
        f"{e['rss_mb_at_end']:.1f} MB at the end (growth "
        f"{e['rss_growth_mb_after_first_minute']:+.2f} MB); "
        f"peak RSS {report['peak_rss_mb']:.0f} MB",
        "",
    ]
    return "\n".join(lines)


def _format_tiers(tiers: list[dict[str, Any]]) -> list[str]:
    if not tiers:
        return []
    base = tiers[0]["latency"]["p50_ms"]
    lines = [
        "",
        "Model tiers, 16 ch 250 Hz, per prediction (filters + features or window + model), ms:",
        f"{'model':<28}{'input':<10}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}  ratio p50"
        f"{'file KB':>9}{'held-out':>10}",
    ]
    for t in tiers:
        lat = t["latency"]
        acc = t["heldout_accuracy"]
        acc_text = "-" if acc is None else f"{100 * acc:.1f}%"
        lines.append(
            f"{t['model']:<28}{t['input_kind']:<10}{lat['p50_ms']:8.3f}{lat['p95_ms']:8.3f}"
            f"{lat['p99_ms']:8.3f}{lat['max_ms']:8.3f}  {lat['p50_ms'] / base:6.1f}x"
            f"{t['file_bytes'] / 1000:9.1f}{acc_text:>10}"
        )
    return lines
