"""What of the window persists: applying saved settings to it, collecting them from it,
and saving them now or in a background thread.

Geometry and dock layout are Qt byte arrays, kept as base64 text in the settings file.
"""

from __future__ import annotations

import base64
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

from PyQt6.QtCore import QByteArray, QObject, pyqtSignal

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.session import one_line
from bci_desktop.core.settings import AppSettings, save_settings

if TYPE_CHECKING:
    from bci_desktop.gui.channel_editor import MontageChange
    from bci_desktop.gui.main_window import MainWindow

__all__ = [
    "DEFAULT_SIZE",
    "SettingsSaver",
    "apply_settings",
    "b64_to_bytes",
    "bytes_to_b64",
    "collect_settings",
    "save_montage",
]

#: Size of a window without a saved geometry (smaller if the screen is).
DEFAULT_SIZE = (1280, 800)

logger = logging.getLogger(__name__)


class SettingsSaver(QObject):
    """Writes :class:`AppSettings` to disk, blocking or in one background thread.

    A disk busy with a recording can stall a write for a second: connecting saves in the
    background; closing saves synchronously. Saves happen in the order they were asked.

    Signals
    -------
    failed(str)
        A save failed; the message says why (emitted on the GUI thread).
    """

    failed = pyqtSignal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = self._new_pool()

    @staticmethod
    def _new_pool() -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bci-settings")

    def save(self, settings: AppSettings) -> bool:
        """Save now (after any background save); False, and :attr:`failed`, on failure."""
        self.wait()
        try:
            save_settings(settings)
        except ConfigError as exc:
            self.failed.emit(str(exc))
            return False
        return True

    def save_in_background(self, settings: AppSettings) -> None:
        """Save without blocking the calling thread; a failure emits :attr:`failed`."""
        self._pool.submit(save_settings, settings).add_done_callback(self._done)

    def wait(self) -> None:
        """Return once every background save has finished."""
        self._pool.shutdown(wait=True)
        self._pool = self._new_pool()

    def shutdown(self) -> None:
        """Finish the background saves and take no more."""
        self._pool.shutdown(wait=True)

    def _done(self, future: Future) -> None:
        exc = future.exception()
        if isinstance(exc, ConfigError):
            self.failed.emit(str(exc))
        elif exc is not None:
            logger.error("Saving the settings failed", exc_info=exc)
            self.failed.emit(f"Saving the settings failed: {one_line(exc)}")


def apply_settings(w: MainWindow, s: AppSettings) -> bool:
    """Show ``s`` in the window: board and its fields, filters, view settings, geometry,
    dock layout and theme (not the view mode: it needs the window shown).

    What cannot be applied is appended to ``w.settings_warnings``. Returns True if the
    saved dock layout was restored (else the caller sizes the default one).
    """
    if not w.device_panel.set_board(s.board):
        w.device_panel.set_board("synthetic")
    w.device_panel.set_connection(s.connection)
    w.device_panel.set_saved_montages(s.montages)
    w.device_panel.set_speed(s.speed)
    w.signal_view.restore(s.signal_view)
    try:
        w.signal_view.set_filters(s.filter_settings())
    except ConfigError as exc:
        w.settings_warnings.append(f"Filters reset to the defaults: {exc}")
    w.spectrum_panel.restore(s.spectrum)
    geometry = b64_to_bytes(s.geometry)
    if geometry is None or not w.restoreGeometry(geometry):
        screen = w.screen()
        width, height = DEFAULT_SIZE
        if screen is not None:
            avail = screen.availableGeometry()
            width, height = min(width, avail.width()), min(height, avail.height())
        w.resize(width, height)
    state = b64_to_bytes(s.window_state)
    restored = state is not None and w.layout_manager.restore_state(state)
    if state is not None and not restored:
        w.settings_warnings.append("The saved panel layout could not be restored.")
    w.set_theme(s.theme, save=False)
    return restored


def collect_settings(w: MainWindow) -> AppSettings:
    """The settings the window shows now (the normal geometry while in the clinician
    view)."""
    normal = w.view_modes.normal_geometry if w.view_mode == "clinician" else None
    geometry = normal if normal is not None else w.saveGeometry()
    return replace(
        w.settings,
        board=w.device_panel.board(),
        connection=w.device_panel.connection_dict(),
        speed=w.device_panel.speed(),
        filters=w.signal_view.filters.to_dict(),
        signal_view=w.signal_view.state(),
        spectrum=w.spectrum_panel.state(),
        geometry=bytes_to_b64(geometry),
        window_state=bytes_to_b64(w.layout_manager.save_state()),
        view_mode=w.view_mode,
        theme=w.settings.theme,
        frame_rate=w.frame_rate,
    )


def save_montage(w: MainWindow, change: MontageChange) -> bool:
    """Keep the channel names the user saved (or forgot) in the settings, and save them
    (in the background); a refusal is shown in the channel editor. True if kept."""
    try:
        settings = w.settings.with_montage(
            change.board,
            change.channels,
            serial_number=change.serial_number,
            mac_address=change.mac_address,
        )
    except ConfigError as exc:
        w.device_panel.channel_editor.show_error(str(exc))
        return False
    w.settings = settings
    w.device_panel.set_saved_montages(settings.montages)
    w.save_in_background()
    return True


def b64_to_bytes(text: str) -> QByteArray | None:
    """The bytes of a saved geometry or layout, or None ("" or not base64, with a warning)."""
    if not text:
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except ValueError:
        logger.warning("Ignored a window layout that is not base64")
        return None


def bytes_to_b64(data: QByteArray) -> str:
    """Geometry or layout bytes as text for the settings file."""
    return base64.b64encode(bytes(data)).decode("ascii")
