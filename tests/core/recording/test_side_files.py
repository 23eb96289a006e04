"""A line cut by a crash in a session's side files is skipped out loud, never silently."""

from __future__ import annotations

import logging

from bci_desktop.core.recording import SessionRecorder, read_session
from bci_desktop.core.sources.simulated import SimulatedSubject


def test_cut_lines_are_counted_and_logged(tmp_path, caplog):
    sim = SimulatedSubject(speed=None, chunk_s=1.0, seed=2)
    rec = SessionRecorder.create(tmp_path, sim.info)
    sim.start()
    for _ in range(3):
        rec.append(sim.read())
    sim.insert_marker(4)
    rec.append(sim.read())
    rec.add_event("note", "kept")
    rec.stop()
    sim.stop()
    with open(rec.folder / "events.jsonl", "a") as fh:
        fh.write('{"t": 1.0, "sample": 12, "ki')  # cut mid-line
    with open(rec.folder / "markers.csv", "a") as fh:
        fh.write("17000000")
    caplog.set_level(logging.WARNING, logger="bci_desktop")
    data = read_session(rec.folder)
    assert [e["kind"] for e in data.events if e["kind"] == "note"] == ["note"]
    assert [m.value for m in data.markers] == [4.0]
    messages = [r.getMessage() for r in caplog.records]
    assert any("Skipped 1 unreadable line(s) of" in m and "events.jsonl" in m for m in messages)
    assert any("markers.csv" in m for m in messages)
