"""The filter controls of the signal view: notch, band-pass edges, common average."""

from __future__ import annotations

import math
from collections.abc import Callable

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QWidget,
)

from bci_desktop.core.dsp.filters import FilterSettings
from bci_desktop.core.dsp.quality import QualityLevel
from bci_desktop.core.errors import ConfigError
from bci_desktop.gui.panels._style import LEVEL_COLOURS

NOTCH_ITEMS = (("Off", None), ("50 Hz", 50.0), ("60 Hz", 60.0))


class FilterControls(QWidget):
    """One row of filter controls that emits valid :class:`FilterSettings` as they are edited.

    Settings that do not validate at the stream's sample rate are not emitted; the row
    shows why instead (:attr:`message`).

    Parameters
    ----------
    sample_rate : callable returning float
        The stream's sample rate (0 without a stream: only the rate-free rules are checked).
    parent : QWidget or None
    """

    changed = pyqtSignal(object)

    def __init__(self, sample_rate: Callable[[], float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sample_rate = sample_rate
        self._settings = FilterSettings()
        self.notch_combo = QComboBox()
        for text, hz in NOTCH_ITEMS:
            self.notch_combo.addItem(text, hz)
        self.notch_combo.setToolTip("Remove mains interference at 50 Hz or 60 Hz")
        self.bandpass_check = QCheckBox("Band-pass")
        self.bandpass_check.setToolTip("Keep only frequencies between the two edges")
        self.low_spin = _hz_spin("Low edge of the band-pass (Hz)")
        self.high_spin = _hz_spin("High edge of the band-pass (Hz); below half the sample rate")
        self.car_check = QCheckBox("CAR")
        self.car_check.setToolTip(
            "Common average reference: subtract the mean of all channels from each"
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"QLabel {{ color: {LEVEL_COLOURS[QualityLevel.BAD]}; }}")
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.hide()
        notch_label = QLabel("Notch")
        notch_label.setBuddy(self.notch_combo)
        notch_label.setToolTip(self.notch_combo.toolTip())

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(notch_label)
        row.addWidget(self.notch_combo)
        row.addWidget(self.bandpass_check)
        row.addWidget(self.low_spin)
        row.addWidget(QLabel("–"))
        row.addWidget(self.high_spin)
        row.addWidget(self.car_check)
        row.addWidget(self.message, 10)
        row.addStretch(1)
        self.set_settings(self._settings)
        self.notch_combo.currentIndexChanged.connect(self._edited)
        self.bandpass_check.toggled.connect(self._edited)
        self.low_spin.valueChanged.connect(self._edited)
        self.high_spin.valueChanged.connect(self._edited)
        self.car_check.toggled.connect(self._edited)

    @property
    def settings(self) -> FilterSettings:
        """The settings last shown or emitted."""
        return self._settings

    def set_settings(self, settings: FilterSettings) -> None:
        """Show ``settings`` without emitting :attr:`changed`."""
        controls = (
            self.notch_combo,
            self.bandpass_check,
            self.low_spin,
            self.high_spin,
            self.car_check,
        )
        for w in controls:
            w.blockSignals(True)
        try:
            self.notch_combo.setCurrentIndex(max(self.notch_combo.findData(settings.notch_hz), 0))
            bp = settings.bandpass
            self.bandpass_check.setChecked(bp is not None)
            if bp is not None:
                self.low_spin.setValue(bp[0])
                self.high_spin.setValue(bp[1])
            self.low_spin.setEnabled(bp is not None)
            self.high_spin.setEnabled(bp is not None)
            self.car_check.setChecked(bool(settings.common_average))
        finally:
            for w in controls:
                w.blockSignals(False)
        self._settings = settings
        self._show_message("")

    def _edited(self) -> None:
        on = self.bandpass_check.isChecked()
        self.low_spin.setEnabled(on)
        self.high_spin.setEnabled(on)
        settings = FilterSettings(
            notch_hz=self.notch_combo.currentData(),
            bandpass=(self.low_spin.value(), self.high_spin.value()) if on else None,
            common_average=self.car_check.isChecked(),
            order=self._settings.order,
        )
        fs = self._sample_rate()
        try:
            # Without a stream only the sample-rate-free rules can be checked.
            settings.validate(fs if fs > 0 else math.inf)
        except ConfigError as exc:
            self._show_message(f"Not applied: {exc}")
            return
        self._show_message("")
        if settings != self._settings:
            self._settings = settings
            self.changed.emit(settings)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))


def _hz_spin(tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 1000.0)
    spin.setDecimals(1)
    spin.setSingleStep(0.5)
    spin.setSuffix(" Hz")
    spin.setKeyboardTracking(False)  # typing emits once, on Enter or leaving the box
    spin.setToolTip(tip)
    return spin
