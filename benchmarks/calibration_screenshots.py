"""Screenshots of the calibration (docs/screenshots), at 1280x800.

Run under a real X server so fonts and styles are those of a desktop::

    xvfb-run -a -s "-screen 0 1920x1080x24" \
        python benchmarks/calibration_screenshots.py docs/screenshots

It streams the simulated subject at 10x real time in the window's acquisition process, opens
Models > Calibrate with a protocol that shows images for two states and recall instructions
for the other two, and saves: the set-up page, a block with an image stimulus, a recall
block, the self-report page (typed by key presses, as the simulated subject answered), the
review, and the result; then the result of a non-responder (Activate disabled). Everything
goes to a temporary data folder; nothing touches the user's models or sessions.
"""

from __future__ import annotations

from screens import output_folder, private_folders, waiter

SIZE = (1280, 800)


def main() -> int:
    out = output_folder(__doc__.splitlines()[0])
    tmp = private_folders("bci-cal-shots-")

    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest
    from PyQt6.QtWidgets import QApplication

    from bci_desktop.core.session import SimulatedSpec, StreamState
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow
    from tests.gui.calibration_helpers import picture, protocol_file

    app = create_application()
    assert isinstance(app, QApplication)
    wait = waiter(app, 120.0)

    def save(widget, name: str) -> None:
        app.processEvents()
        widget.grab().save(str(out / name))
        print("saved", out / name)

    scenes = {
        "happy": [("#f08c00", "A day at the beach"), ("#e64980", "Friends laughing")],
        "calm": [("#1c7ed6", "A quiet lake"), ("#2b8a3e", "A forest path")],
    }
    states = []
    for state in ("calm", "happy", "sad", "stressed"):
        entry = {"name": state}
        if state in scenes:
            folder = tmp / "stimuli" / state
            folder.mkdir(parents=True)
            for i, (colour, text) in enumerate(scenes[state]):
                picture(folder / f"{i + 1}.png", colour, text, size=(1200, 800))
            entry["stimuli"] = [f"stimuli/{state}"]
        states.append(entry)
    protocol = protocol_file(
        tmp / "protocol.json", states, name="Four states: pictures and recall",
        blocks_per_state=2, block_s=16, rest_s=3, prepare_s=4, image_s=6, seed=4,
    )  # fmt: skip

    def run_calibration(w: MainWindow, subject: str, shots: bool):
        d = w.features.calibration.open()
        d.resize(*SIZE)
        assert d.setup_page.load_protocol(protocol) is None
        d.setup_page.subject_edit.setText(subject)
        d.setup_page.full_screen.setChecked(False)
        wait(lambda: d.setup_page.start_button.isEnabled())
        if shots:
            save(d, "calibration-setup.png")
        assert d.start(), d.message
        wait(lambda: d.phase == "running")
        todo = {"image", "recall", "rating"} if shots else set()

        def mid_block() -> bool:
            view = d.run.view(d._clock())
            return view.step.value == "block" and 8.0 <= (view.remaining_s or 0) <= 11.0

        def next_thing() -> bool:
            if d.phase != "running":
                return True
            if d.run_page.current == "rating" and d.run.block in d.answers:
                return True
            shown = {"image": "image", "instructions": "recall"}.get(d.run_page.current)
            return shown in todo and mid_block()

        while d.phase == "running":
            wait(next_thing)
            if d.phase != "running":
                break
            if d.run_page.current in ("image", "instructions"):
                shot = "image" if d.run_page.current == "image" else "recall"
                save(d, "calibration-image.png" if shot == "image" else "calibration.png")
                todo.discard(shot)
                continue
            answer = d.answers[d.run.block]
            page = d.run_page.rating
            QTest.keyClick(page, getattr(Qt.Key, f"Key_{answer.valence}"))
            if "rating" in todo:
                save(d, "calibration-self-report.png")
                todo.discard("rating")
            QTest.keyClick(page, getattr(Qt.Key, f"Key_{answer.arousal}"))
            QTest.keyClick(page, Qt.Key.Key_Return)
            block = d.run.block
            wait(lambda b=block: d.phase != "running" or d.run.block != b
                 or d.run_page.current != "rating")  # fmt: skip
        wait(lambda: d.phase == "review")
        if shots:
            save(d, "calibration-review.png")
        d.review_page.train_button.click()
        wait(lambda: d.phase in ("result", "failed"), 300.0)
        assert d.phase == "result", d.message
        return d

    w = MainWindow()
    w.resize(*SIZE)
    w.show()
    w.connect_spec(SimulatedSpec(speed=10.0, seed=3))
    wait(lambda: w.stream_state is StreamState.STREAMING)
    wait(lambda: w.live.samples_total > 200)
    d = run_calibration(w, "S01", shots=True)
    save(d, "calibration-result.png")
    print(d.report.summary())
    d.close()
    w.close()

    w2 = MainWindow()
    w2.resize(*SIZE)
    w2.show()
    w2.connect_spec(SimulatedSpec(speed=10.0, seed=4, responsive=False))
    wait(lambda: w2.stream_state is StreamState.STREAMING)
    wait(lambda: w2.live.samples_total > 200)
    d2 = run_calibration(w2, "S02", shots=False)
    save(d2, "calibration-not-better.png")
    print(d2.report.summary())
    d2.close()
    w2.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
