"""Models > Manage models… and the drift badge, on real streams.

Real parts only: the window, its worker thread, the registry (in a tmp data folder) and
model files built with scikit-learn + skl2onnx. Every wait is a ``qtbot.waitUntil`` with a
timeout; nothing sleeps.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bci_desktop.core.inference.drift import DEFAULT_THRESHOLD
from bci_desktop.core.inference.registry import DEFAULT_MODEL
from bci_desktop.core.session import SimulatedSpec, StreamState, open_source
from bci_desktop.gui.main_window import MainWindow
from tests.core.modelfiles import write_model

T = 20000  # ms: generous, the machine may be busy
GOOD = "test-model@0.1"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(folder))
    return folder


#: The simulated person the window streams (the window itself cannot choose one).
PERSON: dict[str, int | None] = {"subject_seed": None}


def _simulated_person(spec, supervision):
    if isinstance(spec, SimulatedSpec):
        spec = replace(spec, subject_seed=PERSON["subject_seed"])
    return open_source(spec, supervision)


@pytest.fixture
def window(qtbot, data_dir):
    PERSON["subject_seed"] = None
    w = MainWindow(open_source=_simulated_person, isolate=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()
    assert not w.worker_thread.isRunning()


def _stream(qtbot, w: MainWindow) -> None:
    w.connect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.STREAMING, timeout=T)
    qtbot.waitUntil(lambda: w.live.last_prediction is not None, timeout=T)


def _active_rows(dialog) -> list[str]:
    return [r["Model"] for r in dialog.rows() if r["Active"] == "active"]


def _done(dialog, word: str):
    return lambda: word in dialog.status_text and not dialog.manager.runner.busy


def test_manager_lists_imports_switches_live_and_rolls_back(qtbot, window, tmp_path) -> None:
    w = window
    assert w.models_menu.title() == "&Models"
    titles = [a.text() for a in w.models_menu.actions()]
    assert "&Manage models…" in titles and "&Calibrate a personal model…" in titles
    dialog = w.features.models.open_dialog()
    rows = {r["Model"]: r for r in dialog.rows()}
    shipped = next(label for label in rows if label.startswith(f"{DEFAULT_MODEL}@"))
    assert rows[shipped]["Active"] == "active" and rows[shipped]["Source"] == "shipped"
    assert rows[shipped]["Accuracy"].endswith("(held out)")
    assert rows[shipped]["Classes"] == "calm, happy, sad, stressed"
    assert w.features.models.toolbar_button.text() == f"Model: {shipped}"
    # The shipped model's latency is measured in the background when the dialog opens.
    qtbot.waitUntil(lambda: " ms (budget" in dialog.rows()[-1]["p99 latency"], timeout=T)

    w.device_panel.set_board("synthetic")
    _stream(qtbot, w)
    info, before = w.live.info, w.live.samples_total
    assert w.live.last_prediction.model == shipped

    # Import a good model: validated, copied, listed; the active model does not change yet.
    good = write_model(tmp_path / "good.onnx")
    dialog.import_path(good)
    qtbot.waitUntil(_done(dialog, "Imported"), timeout=T)
    rows = {r["Model"]: r for r in dialog.rows()}
    assert rows[GOOD]["Source"] == "user" and rows[GOOD]["Active"] == ""
    assert "sha256" in dialog.report_text
    assert _active_rows(dialog) == [shipped]

    # Activate it while streaming: new predictions carry it, with no restart of the stream.
    assert dialog.selected_ref() == GOOD
    dialog.activate_button.click()
    qtbot.waitUntil(lambda: w.live.last_prediction.model == GOOD, timeout=T)
    assert w.stream_state is StreamState.STREAMING and w.live.info is info
    assert w.live.samples_total > before
    assert _active_rows(dialog) == [GOOD]
    qtbot.waitUntil(lambda: "uses it now" in dialog.status_text, timeout=T)
    qtbot.waitUntil(lambda: w.features.models.toolbar_button.text() == f"Model: {GOOD}", timeout=T)

    # A truncated file is refused with its reason; the active model keeps predicting.
    data = good.read_bytes()
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(data[: len(data) // 2])
    dialog.import_path(truncated)
    qtbot.waitUntil(_done(dialog, "refused"), timeout=T)
    report = dialog.report_text
    assert "Refused: truncated.onnx was not imported." in report
    assert f"The active model is unchanged: {GOOD}." in report
    assert "not a readable ONNX model" in report
    assert w.features.models.registry.active().label == GOOD
    n = len(w.live.predictions)
    qtbot.waitUntil(lambda: len(w.live.predictions) > n + 2, timeout=T)
    assert w.live.last_prediction.model == GOOD

    # Roll back: the previous model is active again and predicts, still without a restart.
    assert dialog.rollback_button.isEnabled()
    dialog.rollback_button.click()
    qtbot.waitUntil(lambda: w.live.last_prediction.model == shipped, timeout=T)
    assert w.live.info is info
    assert _active_rows(dialog) == [shipped]
    assert w.features.models.registry.active().label == shipped
    qtbot.waitUntil(lambda: not dialog.rollback_button.isEnabled(), timeout=T)


def test_refusal_lists_every_reason_and_keeps_the_active_model(qtbot, window, tmp_path) -> None:
    w = window
    dialog = w.features.models.open_dialog()
    active = w.features.models.registry.active().label
    # Three output columns for four declared classes, and a budget no machine meets.
    bad = write_model(
        tmp_path / "bad.onnx", n_classes=3, meta_overrides={"latency_budget_ms": 1e-6}
    )
    dialog.import_path(bad)
    qtbot.waitUntil(_done(dialog, "refused"), timeout=T)
    lines = dialog.report_text.splitlines()
    reasons = [line for line in lines if line.startswith("  • ")]
    assert len(reasons) == 2, dialog.report_text
    assert "3 columns but the metadata declares 4 classes" in reasons[0]
    assert "over its budget" in reasons[1]
    assert f"The active model is unchanged: {active}." in lines
    assert "test-model@0.1" not in [r["Model"] for r in dialog.rows()]
    assert _active_rows(dialog) == [active]

    # Validate… reports without importing anything.
    good = write_model(tmp_path / "good.onnx")
    dialog.validate_path(good)
    qtbot.waitUntil(_done(dialog, "is valid"), timeout=T)
    assert dialog.report_text.startswith("test-model@0.1: valid")
    assert "latency p99" in dialog.report_text
    assert "test-model@0.1" not in [r["Model"] for r in dialog.rows()]


def test_drift_badge_stays_normal_for_the_trained_person_and_warns_for_another(
    qtbot, window
) -> None:
    """The simulated subject at 4x: the person the default model was trained on (profile
    seed 7) scores ~0.6; another simulated person (seed 99) scores far above the threshold."""
    w = window
    badge = w.features.drift_badge
    assert badge.text() == "Drift: –"
    assert badge in w.statusBar().findChildren(type(badge))
    w.device_panel.set_board("simulated")
    w.device_panel.set_speed(4.0)
    _stream(qtbot, w)

    def scored(n: int):
        return lambda: sum(p.drift is not None for p in w.live.predictions) >= n

    qtbot.waitUntil(scored(40), timeout=T)  # 10 s of stream with a score
    assert badge.text().endswith("· normal") and not badge.alarm
    assert max(p.drift for p in w.live.predictions if p.drift is not None) < DEFAULT_THRESHOLD
    assert not w.banner.isVisible()

    w.disconnect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)
    PERSON["subject_seed"] = 99
    _stream(qtbot, w)
    qtbot.waitUntil(lambda: badge.alarm, timeout=T)
    assert badge.text().endswith("· HIGH")
    # The badge shows the engine's one alarm, the one every prediction carries.
    assert w.live.last_prediction.drift_alarm
    assert float(badge.text().split()[1]) > DEFAULT_THRESHOLD
    assert w.banner.isVisible() and w.banner.level == "warning"
    assert "Signal differs from the model's training data (drift " in w.banner.text
    # Disconnecting clears the warning.
    w.disconnect_stream()
    qtbot.waitUntil(lambda: w.stream_state is StreamState.IDLE, timeout=T)
    qtbot.waitUntil(lambda: badge.text() == "Drift: –", timeout=T)
    assert not badge.alarm and not w.banner.isVisible()


def test_latency_fallback_switch_hands_an_over_budget_model_over_and_back(
    qtbot, window, tmp_path
) -> None:
    """Models > Fall back to a faster model when over budget, on the simulated subject at
    10x with a model whose budget no machine meets."""
    w = window
    action = w.features.latency_fallback
    assert action in w.models_menu.actions() and not action.isChecked()
    slow = write_model(
        tmp_path / "slow.onnx",
        meta_overrides={"name": "slow", "version": "1", "latency_budget_ms": 0.0001},
    )
    notices: list[str] = []
    w.worker.notice.connect(lambda n: notices.append(n.text))
    with qtbot.waitSignal(w.worker.model_changed, timeout=T) as chosen:
        w.features.models.live_switch_requested.emit(str(slow))  # used by the next connection
    assert chosen.args == ["slow@1"]
    w.device_panel.set_board("simulated")
    w.device_panel.set_speed(10.0)
    _stream(qtbot, w)

    def models():
        return [p.model for p in w.live.predictions]

    # Over budget from the start; with the switch off the app only warns.
    qtbot.waitUntil(lambda: len(models()) >= 160, timeout=T)
    assert set(models()) == {"slow@1"}
    action.trigger()
    assert w.current_settings().latency_fallback
    qtbot.waitUntil(lambda: models()[-1] == f"{DEFAULT_MODEL}@1.0.0", timeout=T)
    assert any(
        "Latency fallback on: emotion-default@1.0.0 takes over while slow@1" in n for n in notices
    )
    action.trigger()  # off: back to the chosen model at once
    assert not w.current_settings().latency_fallback
    qtbot.waitUntil(lambda: models()[-1] == "slow@1", timeout=T)
    indexes = [p.index for p in w.live.predictions]
    assert indexes == list(range(indexes[0], indexes[-1] + 1))  # no gap through the switches
