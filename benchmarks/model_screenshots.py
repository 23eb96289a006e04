"""Screenshots of the model manager (docs/screenshots/models.png).

Run under a real X server so fonts and styles are those of a desktop::

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/model_screenshots.py docs/screenshots

A personal model is calibrated headless first (a stream session with the simulated subject
following a short protocol, as tests/core/calibration/driver.py does) and activated; the
window then streams the simulated subject, and the model manager is opened after refusing a
broken file, and saved. The calibration's own screenshots come from
benchmarks/calibration_screenshots.py. Everything goes to a temporary data folder; nothing
touches the user's models.
"""

from __future__ import annotations

from dataclasses import replace

from screens import output_folder, private_folders, waiter

SPEED = 8.0


def main() -> int:
    out = output_folder(__doc__.splitlines()[0])
    tmp = private_folders("bci-shots-")

    from PyQt6.QtWidgets import QApplication

    from bci_desktop.core.calibration import default_protocol, train_personal_model
    from bci_desktop.core.inference.registry import ModelRegistry, user_models_dir
    from bci_desktop.core.session import SimulatedSpec, StreamState
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow
    from tests.core.calibration.driver import calibrate
    from tests.core.modelfiles import write_model

    app = create_application()
    assert isinstance(app, QApplication)

    wait = waiter(app, 60.0)

    protocol = replace(default_protocol(), blocks_per_state=3, block_s=20.0, rest_s=3.0,
                       prepare_s=3.0, seed=11)  # fmt: skip
    session = calibrate(tmp / "data", protocol, subject="S01")
    models = user_models_dir()
    models.mkdir(parents=True, exist_ok=True)
    report = train_personal_model([session], models / "personal-S01.onnx", subject="S01")
    registry = ModelRegistry()
    label = registry.activate(registry.import_file(report.path).label).label

    w = MainWindow()
    w.resize(1280, 800)
    w.show()
    w.connect_spec(SimulatedSpec(speed=SPEED))
    wait(lambda: w.stream_state is StreamState.STREAMING)
    wait(lambda: w.live.samples_total > 100)
    wait(lambda: w.live.last_prediction is not None and w.live.last_prediction.model == label)

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
    print(f"saved models.png in {out}")
    print(f"the window: {window_shot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
