"""Markers that carry their own time: values and texts, placement on the nearest sample
(in the chunk, late, waiting, or far off), and their round trip through markers.csv and
the exports."""

from __future__ import annotations

import mne
import numpy as np
import pytest

from bci_desktop.core.lsl.markers import ExternalMarker, TextCodes, clean_text, marker_value
from bci_desktop.core.recording import SessionRecorder, read_session
from bci_desktop.core.recording.export import export_session, merged_markers
from bci_desktop.core.session.markers import TOLERANCE_S, MarkerPlacer
from bci_desktop.core.stream import ChannelInfo, Chunk, MarkerText, StreamInfo

FS = 100.0
INFO = StreamInfo("t", None, FS, (ChannelInfo("Fz"), ChannelInfo("Cz")))


def _chunk(first: int, n: int, t0: float = 1000.0) -> Chunk:
    t = t0 + np.arange(first, first + n) / FS
    return Chunk(np.zeros((2, n)), t, np.zeros(n))


def _m(t: float, value: float = 1.0, text: str = "", stream: str = "S") -> ExternalMarker:
    return ExternalMarker(t, value, text, stream)


@pytest.mark.parametrize(
    "raw, numeric, expected",
    [
        pytest.param("face", False, (-1.0, "face"), id="text"),
        pytest.param(" 3 ", False, (3.0, ""), id="number-as-text"),
        pytest.param("0", False, (-1.0, "0"), id="zero-text-keeps-text"),
        pytest.param(7, True, (7.0, ""), id="integer"),
        pytest.param(0, True, (-1.0, "0"), id="integer-zero"),
        pytest.param("nan", False, (-1.0, "nan"), id="nan-text"),
        pytest.param("a\nb\x1b[31m", False, (-1.0, "a b [31m"), id="control-characters"),
        pytest.param("   ", False, None, id="empty"),
    ],
)
def test_marker_values_and_texts(raw, numeric, expected):
    assert marker_value(raw, numeric, TextCodes()) == expected


def test_texts_get_one_number_each_in_order_and_are_cut_to_one_line():
    codes = TextCodes()
    assert [codes.value(t) for t in ("a", "b", "a", "c")] == [-1.0, -2.0, -1.0, -3.0]
    assert clean_text("x" * 500) == "x" * 200
    assert clean_text(b"caf\xc3\xa9") == "café"


def test_markers_land_on_the_nearest_sample_in_the_chunk_late_or_later():
    placer = MarkerPlacer(INFO)
    chunk, placed = placer.place(_chunk(0, 50))
    assert placed == []
    # One for a sample of the next chunk, one already gone by, one not reached yet.
    placer.add([_m(1000.0 + 62.4 / FS, 5), _m(1000.0 + 10.6 / FS, 6, "late"),
                _m(1000.0 + 120 / FS, 8)])  # fmt: skip
    chunk, placed = placer.place(_chunk(50, 50))
    assert [(p.marker.value, p.sample, p.late) for p in placed] == [(5, 62, False), (6, 11, True)]
    assert np.flatnonzero(chunk.markers).tolist() == [12] and chunk.markers[12] == 5
    assert placer.pending == 1
    chunk, placed = placer.place(_chunk(100, 50))
    assert [(p.marker.value, p.sample, p.late) for p in placed] == [(8, 120, False)]
    assert chunk.markers[20] == 8


def test_two_markers_on_one_sample_take_the_next_and_keep_their_texts():
    placer = MarkerPlacer(INFO)
    placer.place(_chunk(0, 10))
    t = 1000.0 + 15 / FS
    placer.add([_m(t, -1, "a"), _m(t, -2, "b")])
    chunk, _ = placer.place(_chunk(10, 10))
    assert chunk.markers[5:7].tolist() == [-1.0, -2.0]
    assert chunk.marker_texts == (MarkerText(5, "a"), MarkerText(6, "b"))


def test_a_marker_from_another_clock_is_placed_on_arrival():
    placer = MarkerPlacer(INFO)
    placer.place(_chunk(0, 10))
    placer.add([_m(1.7e9, 4, stream="wall clock")])  # stamped with time.time()
    chunk, placed = placer.place(_chunk(10, 10))
    assert placed[0].by_arrival and placed[0].sample == 19 and chunk.markers[9] == 4
    placer.add([_m(1000.0 - 2 * TOLERANCE_S, 3)])  # far in the past
    chunk, placed = placer.place(_chunk(20, 10))
    assert placed[0].by_arrival and chunk.markers[9] == 3


def test_a_board_layout_gets_the_marker_in_its_marker_row():
    rows = (ChannelInfo("Fz"), ChannelInfo("X", "misc", ""), ChannelInfo("T", "timestamp", "s"),
            ChannelInfo("M", "marker", ""))  # fmt: skip
    info = StreamInfo("t", None, FS, (ChannelInfo("Fz"),), board_rows=rows, eeg_rows=(0,),
                      timestamp_row=2, marker_row=3)  # fmt: skip
    placer = MarkerPlacer(info)
    base = _chunk(0, 10)
    board = np.vstack([base.eeg[:1], np.ones((1, 10)), base.timestamps[None], base.markers[None]])
    chunk = Chunk(base.eeg[:1], base.timestamps, base.markers, board_data=board)
    placer.add([_m(1000.0 + 4 / FS, 9)])
    out, _ = placer.place(chunk)
    assert out.board_data[3].tolist() == out.markers.tolist() and out.markers[4] == 9
    assert board[3].sum() == 0  # the source's array is not changed


def test_text_markers_and_late_markers_round_trip_through_markers_csv_and_exports(tmp_path):
    rec = SessionRecorder.create(tmp_path, INFO)
    chunk = _chunk(0, 300)
    markers = chunk.markers.copy()
    markers[[10, 20]] = [-1.0, 2.0]
    texts = (MarkerText(10, 'face, "left"'),)
    rec.append(Chunk(chunk.eeg, chunk.timestamps, markers, marker_texts=texts))
    rec.add_marker(float(chunk.timestamps[150]), 150, -2.0, "house\nnewline")  # arrived late
    rec.stop()
    data = read_session(rec.folder)
    assert [(m.sample, m.value, m.text) for m in data.markers] == [
        (10, -1.0, 'face, "left"'), (20, 2.0, ""), (150, -2.0, "house newline"),
    ]  # fmt: skip
    assert [m.label for m in merged_markers(data)] == ['face, "left"', "Marker 2", "house newline"]
    edf = export_session(rec.folder, tmp_path / "s.edf", format="edf")
    raw = mne.io.read_raw_edf(edf, verbose=False)
    notes = [(round(a["onset"] * FS), a["description"]) for a in raw.annotations]
    assert notes[:3] == [(10, 'face, "left"'), (20, "Marker 2"), (150, "house newline")]
    csv = export_session(rec.folder, tmp_path / "s.csv", format="csv")
    rows = np.loadtxt(csv, delimiter="\t")
    assert {int(i): rows[i, 31] for i in np.flatnonzero(rows[:, 31])} == {
        10: -1.0, 20: 2.0, 150: -2.0,
    }  # fmt: skip


def test_markers_csv_of_the_previous_format_still_reads(tmp_path):
    rec = SessionRecorder.create(tmp_path, INFO)
    chunk = _chunk(0, 30)
    rec.append(chunk)
    rec.stop()
    (rec.folder / "markers.csv").write_text("t,sample,value\n1000.05,5,3.0\n")
    assert [(m.sample, m.value, m.text) for m in read_session(rec.folder).markers] == [
        (5, 3.0, "")
    ]
