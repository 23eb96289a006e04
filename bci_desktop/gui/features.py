"""Features that add menus, actions and docks to the main window, declared in one place.

Each feature lives in its own module with an ``install(window, ...)`` function that uses the
window's public attributes (``file_menu``, ``stream_menu``, ``models_menu``, ``help_menu``,
``stream_toolbar``, ``worker``, ``live``, ``banner``, ``statusBar()``...) and receives the
other features it needs as typed arguments; it returns its controller, which goes into
:class:`WindowFeatures` (``window.features``). No feature patches attributes onto the window
or looks another up by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PyQt6.QtGui import QAction

    from bci_desktop.gui.calibration import CalibrationLauncher
    from bci_desktop.gui.demo_badge import DemoBadgeLink
    from bci_desktop.gui.drift_badge import DriftBadge
    from bci_desktop.gui.frame_rate import FrameRateMenu
    from bci_desktop.gui.help_menu import HelpMenu
    from bci_desktop.gui.lsl import LslFeature
    from bci_desktop.gui.main_window import MainWindow
    from bci_desktop.gui.marker_keys import MarkerKeys
    from bci_desktop.gui.model_manager import ModelManager
    from bci_desktop.gui.prediction_badge import PredictionBadge
    from bci_desktop.gui.recording import RecordingController
    from bci_desktop.gui.reliability import ReliabilityController
    from bci_desktop.gui.replay import ReplayController
    from bci_desktop.gui.session_browser import SessionsLauncher
    from bci_desktop.gui.shadow_trial import ShadowTrialLauncher

__all__ = ["WindowFeatures", "install_features"]


@dataclass(frozen=True)
class WindowFeatures:
    """What the feature modules added to a window.

    Attributes
    ----------
    models : ModelManager
        Models > Manage models…, the toolbar's model button, live switching.
    calibration : CalibrationLauncher
        Models > Calibrate a personal model… and its dialog.
    demo_badge : DemoBadgeLink
        The "Demo model" badges of the emotion panel and the clinician view, whose
        "Calibrate for this person" opens the calibration.
    shadow_trial : ShadowTrialLauncher
        Models > Try in shadow… and its dialog.
    latency_fallback : QAction
        Models > Fall back to a faster model when over budget.
    drift_badge : DriftBadge
        The drift score in the status bar.
    prediction_badge : PredictionBadge
        The prediction monitor's verdict in the status bar (and its alarms in the banner).
    replay : ReplayController
        File > Open recording… and the replay bar.
    recording : RecordingController
        Record (Ctrl+R), the REC indicator, recovery of interrupted sessions.
    sessions : SessionsLauncher
        File > Sessions… and the session browser.
    reliability : ReliabilityController
        The signal-lost indicator and Reconnect now.
    lsl : LslFeature
        LSL streams in the board list, Stream > Publish on LSL, Stream > Follow LSL marker
        streams, markers from other programs.
    marker_keys : MarkerKeys
        Keys 1-9 insert markers with the focus anywhere in the window but a text field.
    help : HelpMenu
        Help > Keyboard shortcuts, Documentation and About.
    frame_rate : FrameRateMenu
        View > Frame rate (30, 45, 60 frames per second).
    """

    models: ModelManager
    calibration: CalibrationLauncher
    demo_badge: DemoBadgeLink
    shadow_trial: ShadowTrialLauncher
    latency_fallback: QAction
    drift_badge: DriftBadge
    prediction_badge: PredictionBadge
    replay: ReplayController
    recording: RecordingController
    sessions: SessionsLauncher
    reliability: ReliabilityController
    lsl: LslFeature
    marker_keys: MarkerKeys
    help: HelpMenu
    frame_rate: FrameRateMenu


def install_features(window: MainWindow) -> WindowFeatures:
    """Install every feature into ``window`` (once, at the end of its construction)."""
    from bci_desktop.gui import (
        calibration,
        demo_badge,
        drift_badge,
        frame_rate,
        help_menu,
        latency_fallback,
        lsl,
        marker_keys,
        model_manager,
        prediction_badge,
        recording,
        reliability,
        replay,
        session_browser,
        shadow_trial,
    )

    models = model_manager.install(window)
    calibrate = calibration.install(window, models)
    trial = shadow_trial.install(window, models)
    fallback = latency_fallback.install(window)
    badge = drift_badge.install(window)
    health = prediction_badge.install(window)
    replayer = replay.install(window)
    recorder = recording.install(window)
    return WindowFeatures(
        models=models,
        calibration=calibrate,
        demo_badge=demo_badge.install(window, calibrate),
        shadow_trial=trial,
        latency_fallback=fallback,
        drift_badge=badge,
        prediction_badge=health,
        replay=replayer,
        recording=recorder,
        sessions=session_browser.install(window, recorder, replayer),
        reliability=reliability.install(window),
        lsl=lsl.install(window),
        marker_keys=marker_keys.install(window),
        help=help_menu.install(window, models),
        frame_rate=frame_rate.install(window),
    )
