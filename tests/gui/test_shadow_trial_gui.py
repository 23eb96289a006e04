"""Models > Try in shadow… and the prediction badge, on the real window and its acquisition
process streaming the simulated subject faster than real time.

Real parts only: the window, its worker, the child process, the registry in a tmp data
folder, model files derived from the shipped one. Every wait is a ``qtbot.waitUntil``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.inference.trial_log import TrialLog
from bci_desktop.core.session import StreamState
from bci_desktop.gui.main_window import MainWindow
from tests.core.trial_models import constant_model, swapped_model

T = 60000  # ms: generous, the machine may be busy


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(include_brainflow=False)  # $BCI_DESKTOP_DATA_DIR: a tmp folder


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    assert not w.worker_thread.isRunning()


def _stream(qtbot, w: MainWindow, speed: float) -> None:
    w.device_panel.set_board("simulated")
    w.device_panel.set_speed(speed)
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: w.live.last_prediction is not None, timeout=T)


def test_try_in_shadow_discards_a_worse_model_and_promotes_a_better_one(
    qtbot, window, registry, tmp_path
):
    w = window
    registry.import_file(swapped_model(tmp_path))
    assert "Try in &shadow…" in [a.text() for a in w.models_menu.actions()]
    _stream(qtbot, w, speed=20.0)
    launcher = w.features.shadow_trial
    dialog = launcher.open_dialog()
    assert dialog.in_use() == "emotion-default@1.0.0"
    candidates = [dialog.candidate_box.itemText(i) for i in range(dialog.candidate_box.count())]
    assert candidates == [
        "emotion-eegnet@1.0.0",
        "emotion-eegnet-int8@1.0.0",
        "emotion-swapped@1.0.0",
        "emotion-unicorn@1.0.0",
    ]  # same classes, reading channels this stream has, not the one in use
    # (the Muse, Cyton... models need electrodes the simulated subject's montage lacks)
    dialog.candidate_box.setCurrentText("emotion-swapped@1.0.0")
    assert dialog.thresholds().max_accuracy_loss == pytest.approx(0.01)
    dialog.minutes_box.setValue(1.0)
    dialog.start_trial()
    qtbot.waitUntil(lambda: dialog.status_text.startswith("Running"), timeout=T)
    assert not dialog.start_button.isEnabled() and dialog.stop_button.isEnabled()
    assert not dialog.minutes_box.isEnabled()  # the thresholds are those it started with
    qtbot.waitUntil(lambda: dialog.verdict_text == "Decision: DISCARD", timeout=T)
    rows = dialog.rows()
    assert rows["Hops compared"][0] == "240 of 240"
    assert float(rows["Accuracy"][0].rstrip("%")) < 50 < float(rows["Accuracy"][1].rstrip("%"))
    assert "simulated subject's true state, over 240 hops" in dialog.truth_note.text()
    assert "✗ accuracy" in dialog.checks_text
    assert not dialog.promote_button.isEnabled() and dialog.discard_button.isEnabled()
    assert w.live.last_prediction.model == "emotion-default@1.0.0"  # never shown as state
    w.grab().save(str(tmp_path / "window.png"))
    dialog.grab().save(str(tmp_path / "dialog-discard.png"))
    dialog.discard()
    assert "stays in use" in dialog.status_text

    # The worse model in use, the shipped one in shadow: promoted, and the stream uses it.
    done: list = []
    w.features.models.activate("emotion-swapped", lambda e, err: done.append(err))
    qtbot.waitUntil(lambda: done == [None], timeout=T)
    qtbot.waitUntil(lambda: w.live.last_prediction.model == "emotion-swapped@1.0.0", timeout=T)
    dialog.reload()
    assert "emotion-swapped@1.0.0" not in [
        dialog.candidate_box.itemText(i) for i in range(dialog.candidate_box.count())
    ]
    dialog.candidate_box.setCurrentText("emotion-default@1.0.0")
    assert dialog.candidate_box.currentText() == "emotion-default@1.0.0"
    dialog.start_trial()
    qtbot.waitUntil(lambda: dialog.verdict_text == "Decision: PROMOTE", timeout=T)
    dialog.grab().save(str(tmp_path / "dialog-promote.png"))
    assert dialog.promote_button.isEnabled()
    dialog.promote_button.click()
    qtbot.waitUntil(lambda: dialog.status_text.startswith("Promoted"), timeout=T)
    qtbot.waitUntil(lambda: w.live.last_prediction.model == "emotion-default@1.0.0", timeout=T)
    assert registry.active().label == "emotion-default@1.0.0"
    verdicts = [r.verdict.value for r in TrialLog(registry.root).records()]
    assert verdicts == ["discard", "promote"]


def test_a_stuck_model_turns_the_badge_and_the_banner_on_in_both_views(
    qtbot, window, registry, tmp_path
):
    w = window
    entry = registry.import_file(constant_model(tmp_path, [0.85, 0.05, 0.05, 0.05]))
    registry.activate(entry.label)
    badge = w.features.prediction_badge
    assert badge.text() == "Predictions: –"
    _stream(qtbot, w, speed=100.0)
    qtbot.waitUntil(lambda: badge.text() == "Predictions: ok", timeout=T)
    qtbot.waitUntil(lambda: badge.text() == "Predictions: STUCK", timeout=T)
    assert w.banner.isVisible() and "may be stuck" in w.banner.text
    assert "100% 'calm'" in w.banner.text
    w.set_view_mode("clinician")
    qtbot.waitUntil(lambda: w.banner.isVisible(), timeout=T)
    assert not w.statusBar().isVisible()  # the clinician sees the banner, not the badge
    w.grab().save(str(tmp_path / "clinician-stuck.png"))
    w.set_view_mode("main")
    w.disconnect_stream()
    qtbot.waitUntil(lambda: badge.text() == "Predictions: –", timeout=T)
    assert not w.banner.isVisible()
