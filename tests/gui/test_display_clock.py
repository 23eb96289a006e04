"""The display clock: the signal view scrolls between chunks, at the stream's pace, never
far ahead of the newest sample and never back by a little."""

from __future__ import annotations

import itertools

import pytest

from bci_desktop.gui.panels._display_clock import MAX_LEAD_S, DisplayClock


def test_edge_scrolls_between_chunks_at_the_streams_pace():
    clock = DisplayClock()
    # Chunks of 20 ms of stream every 20 ms of wall time (a live board).
    edges = []
    for k in range(50):
        newest = 0.02 * k
        for f in range(3):  # three frames per chunk interval
            now = 100.0 + 0.02 * k + f * 0.0066
            edges.append(clock.edge(newest, now))
    assert clock.rate == pytest.approx(1.0, rel=0.01)
    steps = [b - a for a, b in itertools.pairwise(edges[30:])]
    assert all(s >= 0 for s in steps), "never back"
    assert min(steps) > 0.003, "moves at every frame, not only at chunks"
    assert max(steps) < 0.012


def test_edge_stops_when_the_samples_stop_and_follows_a_jump():
    clock = DisplayClock()
    for k in range(20):
        clock.edge(0.02 * k, 0.02 * k)
    newest = 0.02 * 19
    held = clock.edge(newest, 5.0)  # paused: no samples for seconds
    assert held == pytest.approx(newest + MAX_LEAD_S)
    assert clock.edge(newest, 9.0) == held, "nothing moves while nothing comes"
    assert clock.edge(-30.0, 9.1) == -30.0, "a seek back is followed at once"


def test_a_burst_of_samples_is_not_a_pace():
    """A seek's context (20 s of stream in a few milliseconds) must not make the edge run
    seconds ahead of the newest sample while the replay is paused."""
    clock = DisplayClock()
    for k in range(10):
        clock.edge(0.02 * k, 0.02 * k)
    edge = clock.edge(20.0, 0.25)  # 20 s of context, 70 ms later
    assert edge == 20.0
    assert clock.edge(20.0, 3.0) <= 20.0 + MAX_LEAD_S * max(clock.rate, 1.0)
