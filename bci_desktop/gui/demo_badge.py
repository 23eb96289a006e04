"""The "Demo model" badge: a demonstration model is classifying a real person's EEG.

Every model shipped with the app was trained on the app's simulated subject
(:mod:`bci_desktop.core.inference.provenance`). While such a model classifies a stream that
is not the simulated subject, the emotion panel and the clinician view carry a permanent
badge, "Demo model: trained on simulated EEG, not validated on people", with a
**Calibrate for this person** button that opens the calibration (Models > Calibrate a
personal model…). The badge cannot be closed: it goes once the model in use is no
demonstration (a calibrated model, BrainFlow's classifiers) or the stream is the simulated
subject.

:class:`DemoBadge` is the widget (the panels own one each and show it when
:func:`~bci_desktop.core.inference.provenance.demo_model_applies`); :func:`install` connects
their buttons to the calibration.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from bci_desktop.core.inference.provenance import DEMO_MODEL_TEXT

if TYPE_CHECKING:
    from bci_desktop.gui.calibration import CalibrationLauncher
    from bci_desktop.gui.main_window import MainWindow

__all__ = ["CALIBRATE_TEXT", "DEMO_MODEL_TEXT", "DemoBadge", "DemoBadgeLink", "install"]

logger = logging.getLogger(__name__)

#: The badge's button.
CALIBRATE_TEXT = "Calibrate for this person"
#: Dark text on amber: contrast above 10:1, on the dark and the light theme alike.
_STYLE = (
    "QWidget#demo_badge { background-color: #ffd43b; border-radius: 5px; }"
    " QLabel { color: #1b1b1b; background: transparent; font-weight: bold; }"
    " QPushButton { color: #1b1b1b; background-color: #fff3bf; border: 1px solid #1b1b1b;"
    " border-radius: 4px; padding: 3px 10px; font-weight: bold; }"
    " QPushButton:hover { background-color: #ffffff; }"
)


class DemoBadge(QWidget):
    """The badge: the warning in words and the way out.

    Parameters
    ----------
    scale : float
        Font size relative to the application's (the clinician view's is larger).
    parent : QWidget or None
        Qt parent.

    Signals
    -------
    calibrate_requested()
        The user pressed "Calibrate for this person".

    Attributes tests can read
    -------------------------
    label : QLabel
        :data:`DEMO_MODEL_TEXT`.
    button : QPushButton
        "Calibrate for this person".
    """

    calibrate_requested = pyqtSignal()

    def __init__(self, *, scale: float = 1.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("demo_badge")
        self.setStyleSheet(_STYLE)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.label = QLabel(DEMO_MODEL_TEXT)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.label.setToolTip(
            "The model in use was trained on the app's simulated subject and has never been "
            "checked on real people: its labels on this person's EEG are a demonstration. "
            "Calibrate a personal model to get labels learned from this person."
        )
        self.button = QPushButton(CALIBRATE_TEXT)
        self.button.setToolTip(
            "Record labelled blocks of this person's states and train a model for them "
            "(Models > Calibrate a personal model…)"
        )
        self.button.clicked.connect(self.calibrate_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 5, 6, 5)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        self.set_scale(scale)
        self.hide()

    def set_scale(self, scale: float) -> None:
        """Font size relative to the application's."""
        for w in (self.label, self.button):
            font = QFont(w.font())
            base = QFont().pointSizeF()
            font.setPointSizeF(max(8.0, (base if base > 0 else 10.0) * scale))
            w.setFont(font)

    def set_pixel_size(self, pixels: int) -> None:
        """Font size in pixels (the clinician view scales its type with the screen)."""
        for w in (self.label, self.button):
            font = QFont(w.font())
            font.setPixelSize(max(10, int(pixels)))
            w.setFont(font)


class DemoBadgeLink:
    """The badges of one window, connected to its calibration.

    Attributes
    ----------
    badges : tuple of DemoBadge
        The emotion panel's and the clinician view's.
    """

    def __init__(self, window: MainWindow, calibration: CalibrationLauncher) -> None:
        self.window = window
        self.calibration = calibration
        self.badges = (window.emotion_panel.demo_badge, window.clinician_view.demo_badge)
        for badge in self.badges:
            badge.calibrate_requested.connect(self.calibrate)

    def calibrate(self) -> None:
        """Leave the clinician view and open the calibration (Models > Calibrate…)."""
        logger.info("Calibration asked for from the demo-model badge")
        if self.window.view_mode == "clinician":
            self.window.set_view_mode("main")
        self.calibration.action.trigger()


def install(window: MainWindow, calibration: CalibrationLauncher) -> DemoBadgeLink:
    """Connect the window's demo-model badges to ``calibration``."""
    return DemoBadgeLink(window, calibration)
