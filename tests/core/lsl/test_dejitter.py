"""Smoothing an LSL stream's time stamps to its rate while keeping its breaks."""

from __future__ import annotations

import numpy as np

from bci_desktop.core.lsl.dejitter import BREAK_PERIODS, BREAK_S, Dejitter
from bci_desktop.core.session.gaps import MIN_GAP_PERIODS, MIN_GAP_S, GapCounter
from bci_desktop.core.stream import ChannelInfo, Chunk, StreamInfo

FS = 250.0


def _feed(dejitter: Dejitter, raw: np.ndarray, chunk: int) -> np.ndarray:
    return np.concatenate([dejitter(raw[i : i + chunk]) for i in range(0, raw.size, chunk)])


def test_a_break_here_is_a_gap_there():
    assert (BREAK_S, BREAK_PERIODS) == (MIN_GAP_S, MIN_GAP_PERIODS)


def test_jitter_is_smoothed_to_the_rate():
    rng = np.random.default_rng(0)
    true = 100.0 + np.arange(30 * int(FS)) / FS
    raw = true + rng.normal(0, 0.004, true.size)  # 4 ms of jitter: a sample's worth
    out = _feed(Dejitter(FS), raw, 5)
    settled = slice(int(5 * FS), None)
    assert np.abs(out[settled] - true[settled]).max() < 0.001
    assert np.allclose(np.diff(out[settled]), 1 / FS, atol=1e-4)


def test_bursts_stamped_on_arrival_come_out_regular():
    # A Bluetooth amplifier: bursts of 60 samples, the last stamped when it arrives
    # (0-30 ms late), the others back-filled at the nominal rate, as liblsl does.
    rng = np.random.default_rng(1)
    true = 50.0 + np.arange(60 * 200) / FS
    raw = true.copy()
    for i in range(0, raw.size, 60):
        raw[i : i + 60] += rng.uniform(0, 0.03)
    out = _feed(Dejitter(FS), raw, 60)
    settled = slice(int(10 * FS), None)
    assert np.abs(np.diff(out[settled]) - 1 / FS).max() < 0.1 / FS  # raw steps: up to 7x
    assert abs(np.median(out[settled] - true[settled]) - 0.015) < 0.005  # the mean latency


def test_a_sender_that_skips_samples_is_a_break_and_a_gap():
    true = np.concatenate([np.arange(1000), np.arange(1260, 2500)]) / FS  # 260 skipped
    dejitter = Dejitter(FS)
    out = _feed(dejitter, 10.0 + true, 25)
    assert dejitter.breaks == 1
    assert np.allclose(out, 10.0 + true, atol=1e-9)  # no sample moved
    gaps = GapCounter(StreamInfo("t", None, FS, (ChannelInfo("Cz"),)))
    for i in range(0, out.size, 25):
        t = out[i : i + 25]
        gaps.add(Chunk(np.zeros((1, t.size)), t, np.zeros(t.size)))
    assert (gaps.gaps, gaps.dropped) == (1, 260)


def test_a_slow_sample_clock_is_followed():
    true = 0.0 + np.arange(120 * int(FS)) / (FS * 1.0002)  # 200 ppm slower than announced
    out = _feed(Dejitter(FS), true, 10)
    assert np.abs(out[-int(FS) :] - true[-int(FS) :]).max() < 0.005
