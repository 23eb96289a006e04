"""Screenshots of the model manager and the calibration flow (docs/screenshots).

Run under a real X server so fonts and styles are those of a desktop::

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/model_screenshots.py docs/screenshots

It streams the simulated subject at 8x real time with a script that follows a short
calibration plan (as the GUI test does, see docs/models.md "Calibration"), runs the
calibration, saves a block prompt and the result, activates the model, then opens the model
manager after refusing a broken file, and saves it. Everything goes to a temporary data
folder; nothing touches the user's models.
"""

from __future__ import annotations

from dataclasses import replace

from screens import output_folder, private_folders, waiter

STATES = ("calm", "happy", "sad", "stressed")
SEED = 1  # an order with no state twice in a row (no rests: they would merge)
SPEED = 8.0
BLOCK_S = 12.0
PER_STATE_S = 36.0  # three blocks per state: block-wise cross-validation needs several


def main() -> int:
    out = output_folder(__doc__.splitlines()[0])
    tmp = private_folders("bci-shots-")

    from PyQt6.QtWidgets import QApplication

    from bci_desktop.core.calibration import CalibrationPlan
    from bci_desktop.core.session import SimulatedSpec, StreamState, open_source
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow
    from tests.core.modelfiles import write_model

    app = create_application()
    assert isinstance(app, QApplication)

    wait = waiter(app, 60.0)

    plan = CalibrationPlan(STATES, per_state_s=PER_STATE_S, block_s=BLOCK_S, rest_s=0.0, seed=SEED)
    script = plan.script()

    def scripted(spec, supervision):
        if isinstance(spec, SimulatedSpec):
            spec = replace(spec, script=script)
        return open_source(spec, supervision)

    w = MainWindow(open_source=scripted, isolate=False)
    w.resize(1280, 800)
    w.show()
    w.device_panel.set_board("simulated")
    w.device_panel.set_speed(SPEED)
    w.connect_stream()
    wait(lambda: w.stream_state is StreamState.STREAMING)
    wait(lambda: w.live.samples_total > 100)

    d = w.features.calibration.open()
    d.resize(1280, 800)
    d.setup_page.subject_edit.setText("S01")
    setup = replace(
        d.setup_page.setup(),
        states=STATES,
        per_state_s=PER_STATE_S,
        block_s=BLOCK_S,
        rest_s=0.0,
        seed=SEED,
        lead_in_s=0.5,
        align_s=plan.duration_s,
        full_screen=False,
    )
    assert d.start(setup), d.message
    # The second block, halfway: a state, its hint, a countdown and some progress.
    n = len(plan.blocks)
    wait(
        lambda: d.run_page.phase_text == f"Block 2 of {n}" and d.run_page.countdown_text == "0:07"
    )
    d.grab().save(str(out / "calibration.png"))
    wait(lambda: d.phase in ("result", "failed"), 120.0)
    assert d.phase == "result", d.message
    d.grab().save(str(out / "calibration-result.png"))
    d.activate()
    label = d.report.metadata.label
    wait(lambda: w.live.last_prediction is not None and w.live.last_prediction.model == label)
    d.close()

    broken = write_model(
        tmp / "lab-model.onnx", n_classes=3, meta_overrides={"latency_budget_ms": 1e-6}
    )
    m = w.features.models.open_dialog()
    m.resize(1100, 560)
    m.import_path(broken)
    wait(lambda: "refused" in m.status_text and not m.manager.runner.busy)
    wait(lambda: all("measuring" not in r["p99 latency"] for r in m.rows()))
    m.select(label)
    m.grab().save(str(out / "models.png"))
    m.close()
    wait(lambda: w.features.drift_badge.text() != "Drift: –")
    wait(lambda: w.features.models.toolbar_button.text() == f"Model: {label}")
    window_shot = tmp / "window-1280x800.png"  # to check the toolbar and status bar fit
    w.grab().save(str(window_shot))
    w.close()
    print(f"saved calibration.png, calibration-result.png and models.png in {out}")
    print(f"the window: {window_shot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
