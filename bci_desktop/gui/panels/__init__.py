"""The live panels of the main window; each reads :class:`~bci_desktop.gui.live_data.LiveData`.

Every panel takes ``(live, parent=None)``, redraws in :meth:`refresh` (called by the main
window's ~30 Hz timer; returns True when it drew) and forgets the old stream in
:meth:`reset`.
"""

from bci_desktop.gui.panels.clinician_view import ClinicianView
from bci_desktop.gui.panels.emotion_panel import EmotionPanel
from bci_desktop.gui.panels.latency_panel import LatencyPanel
from bci_desktop.gui.panels.quality_panel import QualityPanel
from bci_desktop.gui.panels.signal_view import SignalView
from bci_desktop.gui.panels.spectrum_panel import SpectrumPanel

__all__ = [
    "ClinicianView",
    "EmotionPanel",
    "LatencyPanel",
    "QualityPanel",
    "SignalView",
    "SpectrumPanel",
]
