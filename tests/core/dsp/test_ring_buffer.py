"""Tests of the preallocated ring buffer."""

from __future__ import annotations

import numpy as np
import pytest

from bci_desktop.core.dsp import RingBuffer


def _ramp(n_channels: int, start: int, n: int) -> np.ndarray:
    """Block whose value at channel c, sample t is 1000 * c + t (easy to check)."""
    t = np.arange(start, start + n, dtype=np.float64)
    return 1000.0 * np.arange(n_channels)[:, None] + t[None, :]


def test_new_buffer_is_empty() -> None:
    rb = RingBuffer(3, 10)
    assert rb.size == 0
    assert rb.total_written == 0
    assert rb.latest(0).shape == (3, 0)
    with pytest.raises(ValueError, match="between 0 and the 0 samples"):
        rb.latest(1)


def test_latest_returns_oldest_to_newest_before_wrap() -> None:
    rb = RingBuffer(2, 10)
    rb.extend(_ramp(2, 0, 4))
    assert rb.size == 4
    np.testing.assert_array_equal(rb.latest(4), _ramp(2, 0, 4))
    np.testing.assert_array_equal(rb.latest(2), _ramp(2, 2, 2))


def test_random_chunks_match_reference() -> None:
    rng = np.random.default_rng(1)
    cap = 37
    rb = RingBuffer(4, cap)
    written = 0
    for _ in range(300):
        n = int(rng.choice([0, 1, 2, 5, 13, 36, 37, 38, 80]))
        rb.extend(_ramp(4, written, n))
        written += n
        assert rb.total_written == written
        assert rb.size == min(written, cap)
        k = int(rng.integers(0, rb.size + 1))
        got = rb.latest(k)
        np.testing.assert_array_equal(got, _ramp(4, written - k, k))


def test_block_longer_than_capacity_keeps_the_last_samples() -> None:
    rb = RingBuffer(2, 5)
    rb.extend(_ramp(2, 0, 3))
    rb.extend(_ramp(2, 3, 12))
    assert rb.total_written == 15
    assert rb.size == 5
    np.testing.assert_array_equal(rb.latest(5), _ramp(2, 10, 5))


def test_latest_is_a_read_only_view_with_contiguous_rows() -> None:
    rb = RingBuffer(3, 8)
    rb.extend(_ramp(3, 0, 11))  # wrapped
    view = rb.latest(8)
    assert not view.flags.writeable
    assert view.strides[1] == view.itemsize  # each row contiguous
    assert np.shares_memory(view, rb._buf)  # zero-copy
    with pytest.raises(ValueError, match="read-only"):
        view[0, 0] = 1.0


def test_wrong_channel_count_raises() -> None:
    rb = RingBuffer(3, 8)
    with pytest.raises(ValueError, match=r"shape \(3, n\).*\(2, 4\)"):
        rb.extend(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="shape"):
        rb.extend(np.zeros(4))


def test_latest_rejects_more_than_held() -> None:
    rb = RingBuffer(1, 4)
    rb.extend(np.ones((1, 3)))
    with pytest.raises(ValueError, match="3 samples held, but got 4"):
        rb.latest(4)
    with pytest.raises(ValueError):
        rb.latest(-1)


def test_clear_forgets_samples() -> None:
    rb = RingBuffer(2, 6)
    rb.extend(_ramp(2, 0, 9))
    rb.clear()
    assert rb.size == 0 and rb.total_written == 0
    rb.extend(_ramp(2, 100, 2))
    np.testing.assert_array_equal(rb.latest(2), _ramp(2, 100, 2))


def test_memory_never_grows() -> None:
    rb = RingBuffer(2, 16)
    buf = rb._buf
    for i in range(50):
        rb.extend(_ramp(2, i * 7, 7))
    assert rb._buf is buf
    assert buf.shape == (2, 32)


def test_dtype_is_kept() -> None:
    rb = RingBuffer(2, 4, dtype=np.float32)
    rb.extend(np.ones((2, 3)))
    assert rb.latest(3).dtype == np.float32


@pytest.mark.parametrize(("n_channels", "capacity"), [(0, 4), (2, 0)])
def test_bad_construction(n_channels: int, capacity: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RingBuffer(n_channels, capacity)
