"""Screenshots of a shadow trial and of a prediction alarm (docs/screenshots).

Run under a real X server so fonts and styles are those of a desktop::

    xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/trial_screenshots.py docs/screenshots

It streams the simulated subject (in the acquisition process, as the app does) at 20x real
time, imports a deliberately worse model (the default one with 'calm' and 'happy' named
the other way round), tries it in shadow for 2 minutes and saves the dialog with its
decision (``shadow-trial.png``), then the float32 network (``shadow-trial-network.png``),
and the window during a trial at 1280x800 and 1920x1080; then
activates a model stuck on 'calm', streams at 100x until its STUCK alarm is on and saves
the clinician view with the banner (``prediction-alarm.png``). Everything goes to a
temporary data folder; nothing touches the user's models.
"""

from __future__ import annotations

import sys
import time

from screens import output_folder, private_folders, waiter


def main() -> int:
    out = output_folder(__doc__.splitlines()[0])
    tmp = private_folders("bci-shots-")

    from PyQt6.QtWidgets import QApplication

    from bci_desktop.core.inference.registry import ModelRegistry
    from bci_desktop.core.session import StreamState
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow
    from tests.core.trial_models import constant_model, swapped_model

    app = create_application()
    assert isinstance(app, QApplication)

    wait = waiter(app, 120.0)

    def settle(seconds: float) -> None:
        wait_until = time.monotonic() + seconds
        wait(lambda: time.monotonic() > wait_until)

    registry = ModelRegistry()
    registry.import_file(swapped_model(tmp))
    stuck = registry.import_file(constant_model(tmp, [0.85, 0.05, 0.05, 0.05]))

    w = MainWindow()
    w.resize(1280, 800)
    w.show()

    def stream(speed: float) -> None:
        w.device_panel.set_board("simulated")
        w.device_panel.set_speed(speed)
        w.connect_stream()
        wait(lambda: w.stream_state is StreamState.STREAMING)
        wait(lambda: w.live.last_prediction is not None)

    try:
        stream(20.0)
        dialog = w.features.shadow_trial.open_dialog()
        for candidate, verdict, name in (
            ("emotion-swapped@1.0.0", "DISCARD", "shadow-trial"),
            ("emotion-eegnet@1.0.0", "PROMOTE", "shadow-trial-network"),
        ):
            dialog.candidate_box.setCurrentText(candidate)
            dialog.minutes_box.setValue(2.0)
            dialog.start_trial()
            wait(lambda: dialog.status_text.startswith("Running"))
            wait(lambda v=verdict: dialog.verdict_text == f"Decision: {v}")
            settle(0.5)
            dialog.grab().save(str(out / f"{name}.png"))
            dialog.discard()
        dialog.candidate_box.setCurrentText("emotion-swapped@1.0.0")
        dialog.start_trial()
        wait(lambda: dialog.status_text.startswith("Running"))
        settle(1.0)
        for width, height in ((1280, 800), (1920, 1080)):
            w.resize(width, height)
            settle(0.5)
            w.grab().save(str(out / f"shadow-trial-window-{width}x{height}.png"))
        dialog.close()
        w.disconnect_stream()
        wait(lambda: w.stream_state is StreamState.IDLE)

        registry.activate(stuck.label)
        w.resize(1280, 800)
        stream(100.0)
        badge = w.features.prediction_badge
        wait(lambda: badge.text() == "Predictions: STUCK", timeout_s=300.0)
        w.grab().save(str(out / "prediction-alarm-main.png"))
        w.set_view_mode("clinician")
        settle(1.5)
        w.grab().save(str(out / "prediction-alarm.png"))
        w.set_view_mode("main")
    finally:
        w.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
