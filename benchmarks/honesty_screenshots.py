"""Screenshots of the channel editor, the demo-model badge and the not-live states.

Run under a real X server whose screen is the size wanted (the clinician view is full
screen)::

    xvfb-run -a -s "-screen 0 1280x800x24" \
        python benchmarks/honesty_screenshots.py docs/screenshots

What it shows, on real sources:

- ``channel-editor.png``: the window at 1280x800 with the Ganglion chosen, its MAC address
  typed and the channel editor open, a typo in the names (the message and the red cell);
  ``channel-editor-saved.png``: the names fixed and saved for that device;
- ``clinician-demo-badge.png``: BrainFlow's real Cyton driver on an emulated Cyton
  (tests/core/sources/cyton_emulator.py) playing the simulated subject's EEG on the
  Cyton's montage: the Cyton's model (a demonstration) classifies it, and the clinician view
  says so ("Demo model: trained on simulated EEG, not validated on people");
- ``main-demo-badge.png``: the same in the main window;
- ``clinician-disconnected.png`` and ``main-disconnected.png``: after Disconnect;
- ``clinician-synthetic.png``: BrainFlow's synthetic board (sine waves): "Unreliable".

Everything goes to temporary folders; nothing touches the user's settings or models.
"""

from __future__ import annotations

import time

from screens import output_folder, private_folders, waiter

CYTON = ("Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2")


def _cyton_signal(seconds: float):
    """The simulated subject on the Cyton's montage, stressed then calm (µV, 8 x n)."""
    import numpy as np

    from bci_desktop.core.sources.simulated import SimulatedSubject

    subject = SimulatedSubject(
        speed=None,
        script=f"stressed:{seconds / 2},calm:{seconds / 2}",
        loop=False,
        channels=CYTON,
        seed=5,
        chunk_s=1.0,
    )
    subject.start()
    chunks = []
    while not subject.finished:
        chunks.append(subject.read().eeg)
    return np.concatenate(chunks, axis=1)


def main() -> int:
    out = output_folder(__doc__.splitlines()[0])
    tmp = private_folders("bci-shots-")

    from PyQt6.QtWidgets import QApplication

    from bci_desktop.core.session import StreamState
    from bci_desktop.gui.app import create_application
    from bci_desktop.gui.main_window import MainWindow
    from tests.core.sources.cyton_emulator import CytonEmulator

    app = create_application()
    assert isinstance(app, QApplication)
    wait = waiter(app, 60.0)

    def pause(seconds: float) -> None:
        end = time.monotonic() + seconds
        wait(lambda: time.monotonic() > end)

    def shot(widget, name: str) -> None:
        pause(0.5)  # a few frames
        widget.grab().save(str(out / name))
        print(f"saved {name} ({widget.width()}x{widget.height()})")

    w = MainWindow()
    w.resize(1280, 800)
    w.show()
    wait(lambda: w.isVisible())
    pause(0.5)

    # The channel editor: a Ganglion (BrainFlow names no electrodes of it) with its MAC.
    panel = w.device_panel
    panel.set_board("ganglion_native")
    panel.set_connection({"mac_address": "00:A0:C9:14:C8:29"})
    editor = panel.channel_editor
    editor.edit_button.setChecked(True)
    editor.set_names(["Fp1", "Fp11", "O1", "O2"])
    w.layout_manager.fit()
    shot(w, "channel-editor.png")
    editor.set_names(["F3", "F4", "T3", "O2"])
    editor.save_button.click()
    shot(w, "channel-editor-saved.png")
    editor.edit_button.setChecked(False)

    # The emulated Cyton playing the simulated subject: the demo-model badge.
    emulator = CytonEmulator(tmp / "ttyCYTON", signal_uv=_cyton_signal(240.0)).start()
    try:
        panel.set_board("cyton")
        panel.set_connection({"serial_port": str(emulator.port)})
        w.layout_manager.fit()
        w.connect_stream()
        wait(lambda: w.stream_state is StreamState.STREAMING, 30.0)
        wait(lambda: any(p.label for p in w.live.predictions), 60.0)
        pause(3.0)
        shot(w, "main-demo-badge.png")
        w.set_view_mode("clinician")
        pause(2.0)
        shot(w, "clinician-demo-badge.png")
        w.disconnect_stream()
        wait(lambda: w.stream_state is StreamState.IDLE, 30.0)
        pause(3.0)
        shot(w, "clinician-disconnected.png")
        w.set_view_mode("main")
        w.resize(1280, 800)
        pause(1.0)
        shot(w, "main-disconnected.png")
    finally:
        emulator.close()

    # BrainFlow's synthetic board: sine waves, never a confident state.
    panel.set_board("synthetic")
    w.connect_stream()
    wait(lambda: w.stream_state is StreamState.STREAMING, 30.0)
    wait(lambda: len(w.live.predictions) > 8, 60.0)
    w.set_view_mode("clinician")
    pause(2.0)
    shot(w, "clinician-synthetic.png")
    w.set_view_mode("main")
    w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
