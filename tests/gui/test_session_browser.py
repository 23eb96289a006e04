"""File > Sessions…: list, export (read back with MNE), delete with confirmation, recover.

Real window, real synthetic board, real files; modal questions are answered by clicking
their buttons once they run. No sleeps.
"""

from __future__ import annotations

from pathlib import Path

import edfio
import mne
import numpy as np
import pytest
from PyQt6.QtWidgets import QDialogButtonBox, QMessageBox

from bci_desktop.core.recording import read_meta, read_session
from bci_desktop.core.recording.edf_records import exact_records
from bci_desktop.core.recording.export import DEFAULT_ANNOTATIONS, AnnotationKind
from bci_desktop.core.recording.export_edf import record_layout
from bci_desktop.core.session import RecordRequest, StreamState
from bci_desktop.gui.session_browser import COLUMNS, ExportChoice, SessionBrowser
from tests.gui.recording_helpers import T, answer_next_box, interrupted_session, record, stream


@pytest.fixture(autouse=True)
def _sessions(sessions_dir: Path) -> Path:
    return sessions_dir


@pytest.fixture
def window(open_window):
    """A shown window, closed (worker stopped) after the test."""
    return open_window()


def _row(browser: SessionBrowser, name: str) -> dict[str, str]:
    row = next(i for i, s in enumerate(browser.sessions) if s.name == name)
    return {col: browser.table.item(row, i).text() for i, col in enumerate(COLUMNS)}


def test_browser_lists_exports_and_deletes(qtbot, window, tmp_path) -> None:
    w = window
    stream(qtbot, w)
    folder = record(qtbot, w, 2.0, subject="S07", notes="resting")
    session = read_session(folder)

    # A second recording runs while the browser opens: it cannot be deleted or opened.
    rec = w.features.recording
    rec.start(RecordRequest("S08", "", None))
    qtbot.waitUntil(lambda: rec.recording, timeout=T)
    live_name = Path(rec.folder).name
    w.features.sessions.action.trigger()
    browser: SessionBrowser = w.features.sessions.browser
    assert browser.isVisible() and not browser.isModal()
    assert [s.name for s in browser.sessions] == [live_name, folder.name], "newest first"
    assert _row(browser, live_name)["State"] == "recording now"
    browser.select(live_name)
    assert not browser.delete_button.isEnabled() and not browser.open_button.isEnabled()
    assert not browser.delete_selected()
    assert "being recorded now" in browser.message.text()
    assert (Path(rec.folder) / "session.json").exists()
    rec.stop()  # the browser refreshes itself when the recording stops
    qtbot.waitUntil(lambda: _row(browser, live_name)["State"] == "complete", timeout=T)

    row = _row(browser, folder.name)
    assert row["Subject"] == "S07" and row["State"] == "complete"
    assert row["Board"] == session.meta.source_name
    assert row["Duration"] == f"00:{round(session.duration_s):02d}"
    assert row["Notes"] == "resting"
    assert row["Size"].endswith("kB")
    assert browser.select(folder.name) and browser.selected().folder == folder

    # Export EDF+ through the dialog, anonymised; MNE reads it back.
    dialog = browser.export_selected()
    assert dialog is not None
    dialog.set_format("edf")
    out = tmp_path / "S07.edf"
    dialog.path_edit.setText(str(out))
    dialog.anonymize_check.setChecked(True)
    # Annotations: markers and events by default; predictions on request.
    checks = dialog.annotation_checks
    assert {k for k, box in checks.items() if box.isChecked()} == set(DEFAULT_ANNOTATIONS)
    assert not checks[AnnotationKind.PREDICTIONS].isChecked()
    checks[AnnotationKind.PREDICTIONS].setChecked(True)
    assert dialog.choice().annotations == frozenset(AnnotationKind)
    dialog.set_format("csv")
    assert not checks[AnnotationKind.MARKERS].isEnabled(), "EDF/BDF only"
    dialog.set_format("edf")
    dialog.path_edit.setText(str(out))
    checks[AnnotationKind.PREDICTIONS].setChecked(False)
    with qtbot.waitSignal(browser.export_finished, timeout=T) as done:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert done.args == [str(out), ""]
    assert "Exported to" in browser.message.text()
    raw = mne.io.read_raw_edf(out, preload=True, verbose="error")
    names = [session.meta.rows[i].name for i in session.meta.eeg_rows]
    assert raw.ch_names == names
    n, fs = session.n_samples, session.meta.sample_rate
    # Every sample, in records that divide them (padded only when none does).
    assert raw.n_times == (n if exact_records(n, fs) else record_layout(n, fs)[2])
    assert not any(d.startswith(("calm", "happy", "sad", "stressed", "withheld"))
                   for d in raw.annotations.description), "no predictions"  # fmt: skip
    header = edfio.read_edf(out)
    assert header.patient.code == "X", "anonymised"
    steps = np.array(
        [
            (s.physical_max - s.physical_min) / (s.digital_max - s.digital_min)
            for s in header.signals
        ]
    )
    err = np.abs(raw.get_data()[:, : session.n_samples] * 1e6 - session.eeg).max(axis=1)
    assert np.all(err <= steps * 1.0001)

    # An existing file is replaced only when the user says so.
    before = out.stat().st_mtime_ns
    choice = ExportChoice("bdf", out, False)
    seen = answer_next_box(QMessageBox.StandardButton.No)
    assert not browser.export(browser.selected(), choice)
    assert seen and "already exists" in seen[0]
    assert "Not exported" in browser.message.text() and out.stat().st_mtime_ns == before
    answer_next_box(QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(browser.export_finished, timeout=T) as done:
        assert browser.export(browser.selected(), choice)
    assert done.args == [str(out), ""]
    assert out.read_bytes()[:8] == b"\xffBIOSEMI", "now a BDF file"

    # Delete asks first: No keeps the folder, Yes removes it.
    browser.select(folder.name)
    seen = answer_next_box(QMessageBox.StandardButton.No)
    assert not browser.delete_selected()
    assert folder.name in seen[0] and folder.exists()
    answer_next_box(QMessageBox.StandardButton.Yes)
    assert browser.delete_selected()
    assert not folder.exists()
    assert [s.name for s in browser.sessions] == [live_name]
    assert w.stream_state is StreamState.STREAMING


def test_browser_recovers_an_interrupted_session(qtbot, window, sessions_dir) -> None:
    recorder, folder = interrupted_session(sessions_dir)  # after the window's startup check
    try:
        assert read_meta(folder).status == "recording"
        window.features.sessions.action.trigger()
        browser: SessionBrowser = window.features.sessions.browser
        assert _row(browser, folder.name)["State"] == "interrupted"
        assert browser.select(folder.name) and browser.recover_button.isEnabled()
        assert browser.recover_selected()
        assert read_meta(folder).status == "recovered"
        assert _row(browser, folder.name)["State"] == "recovered"
        assert "300 samples kept" in browser.message.text()
        assert not browser.recover_button.isEnabled()
    finally:
        recorder.stop()
