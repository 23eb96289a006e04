"""Stimuli on screen: images full screen, audio and video through Qt Multimedia.

Images need only QtGui (:class:`ImageView`). Audio and video need QtMultimedia, imported
only here and only when a protocol uses them: the stand-alone app leaves it out (its size
budget), and on Linux it needs ``libpulse0``. :func:`media_problem` says, before Start,
why this installation cannot play them.

A video is drawn by :class:`VideoView` itself from the frames a ``QVideoSink`` receives
(not by ``QVideoWidget``, whose GPU path shows nothing in a screenshot under Xvfb): every
painted frame is counted, so a test can check that a frame was really shown rather than
trusting ``play()``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QRectF, Qt, QUrl, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QImageReader, QPainter, QPaintEvent, QPixmap
from PyQt6.QtWidgets import QWidget

from bci_desktop.core.calibration.stimuli import Stimulus, StimulusKind

__all__ = ["ImageView", "MediaPlayer", "VideoView", "check_stimulus", "media_problem"]

logger = logging.getLogger(__name__)

#: Images larger than this (decoded) are refused before Start.
_IMAGE_LIMIT_MB = 256
_MEDIA: list[Any] = []  # the QtMultimedia module, once imported
_MEDIA_PROBLEM: list[str] = []

# Container formats of QMediaFormat by file extension (checked against what the backend
# can decode before Start).
_FORMATS = {
    ".wav": "Wave",
    ".mp3": "MP3",
    ".ogg": "Ogg",
    ".oga": "Ogg",
    ".ogv": "Ogg",
    ".flac": "FLAC",
    ".m4a": "Mpeg4Audio",
    ".mp4": "MPEG4",
    ".m4v": "MPEG4",
    ".mov": "QuickTime",
    ".webm": "WebM",
    ".mkv": "Matroska",
    ".avi": "AVI",
}


def _multimedia() -> Any:
    """The QtMultimedia module (raises ImportError with the reason)."""
    if _MEDIA:
        return _MEDIA[0]
    if _MEDIA_PROBLEM:
        raise ImportError(_MEDIA_PROBLEM[0])
    try:
        from PyQt6 import QtMultimedia
    except ImportError as exc:
        if getattr(sys, "frozen", False):
            why = "the stand-alone app leaves Qt Multimedia out; use images, or install BCI "
            why += "Desktop with Python to play audio and video"
        elif "libpulse" in str(exc):
            why = "Qt Multimedia needs the PulseAudio client library (apt install libpulse0)"
        else:
            why = f"Qt Multimedia cannot be loaded ({exc})"
        _MEDIA_PROBLEM.append(why)
        raise ImportError(why) from exc
    _MEDIA.append(QtMultimedia)
    return QtMultimedia


def media_problem() -> str | None:
    """Why audio and video cannot be played here (``None``: they can)."""
    try:
        _multimedia()
    except ImportError as exc:
        return str(exc)
    return None


def check_stimulus(stimulus: Stimulus) -> str | None:
    """Why ``stimulus`` cannot be shown here (the core checked that it exists, can be read
    and starts like its kind): an image must decode, audio and video must be playable."""
    if stimulus.kind is StimulusKind.IMAGE:
        reader = QImageReader(str(stimulus.path))
        reader.setAllocationLimit(_IMAGE_LIMIT_MB)
        image = reader.read()
        if image.isNull():
            return f"The image '{stimulus.name}' cannot be shown: {reader.errorString()}."
        return None
    problem = media_problem()
    if problem is not None:
        return (
            f"'{stimulus.name}' is {stimulus.kind.value}, which cannot be played here: {problem}."
        )
    qm = _multimedia()
    name = _FORMATS.get(stimulus.path.suffix.lower())
    fmt = getattr(qm.QMediaFormat.FileFormat, name, None) if name else None
    if fmt is None or not qm.QMediaFormat(fmt).isSupported(qm.QMediaFormat.ConversionMode.Decode):
        return f"'{stimulus.name}': this installation cannot decode {stimulus.path.suffix} files."
    return None


class ImageView(QWidget):
    """An image as large as fits, on black, with a line of text under it.

    Attributes
    ----------
    shown : Path or None
        The file shown now.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calibration_image")
        self.shown: Path | None = None
        self.caption = ""
        self._pixmap = QPixmap()

    def show_image(self, path: Path, caption: str) -> bool:
        """Show the image at ``path`` (False if it does not decode)."""
        if self.shown != path:
            reader = QImageReader(str(path))
            reader.setAllocationLimit(_IMAGE_LIMIT_MB)
            reader.setAutoTransform(True)
            image = reader.read()
            if image.isNull():
                logger.warning("Stimulus %s cannot be shown: %s", path, reader.errorString())
                return False
            self._pixmap = QPixmap.fromImage(image)
            self.shown = path
        self.caption = caption
        self.update()
        return True

    def clear(self) -> None:
        """Show nothing."""
        self.shown = None
        self._pixmap = QPixmap()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Black, the image scaled to fit, the caption at the bottom."""
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("black"))
        band = max(36, self.height() // 14) if self.caption else 0
        area = QRectF(self.rect()).adjusted(0, 0, 0, -band)
        if not self._pixmap.isNull():
            size = self._pixmap.size().scaled(
                area.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio
            )
            x = area.x() + (area.width() - size.width()) / 2
            y = area.y() + (area.height() - size.height()) / 2
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawPixmap(
                QRectF(x, y, size.width(), size.height()),
                self._pixmap,
                QRectF(self._pixmap.rect()),
            )
        if band:
            f = p.font()
            f.setPixelSize(max(18, band // 2))
            p.setFont(f)
            p.setPen(QColor("#e9ecef"))
            p.drawText(
                QRectF(0, self.height() - band, self.width(), band),
                Qt.AlignmentFlag.AlignCenter,
                self.caption,
            )
        p.end()


class VideoView(QWidget):
    """Draws the frames of a ``QVideoSink`` on black, and counts those painted.

    Attributes
    ----------
    frames_painted : int
        Frames drawn on screen since the last :meth:`reset`.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calibration_video")
        self.frames_painted = 0
        self._image = QImage()
        self._fresh = False
        self.sink: Any = None

    def attach(self, sink: Any) -> None:
        """Take frames from ``sink`` (a QVideoSink)."""
        if self.sink is sink:
            return
        self.sink = sink
        sink.videoFrameChanged.connect(self._frame)

    def reset(self) -> None:
        """Forget the last frame and the count."""
        self._image = QImage()
        self.frames_painted = 0
        self.update()

    def _frame(self, frame: Any) -> None:
        image = frame.toImage()
        if not image.isNull():
            self._image = image
            self._fresh = True
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Black, the latest frame scaled to fit."""
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("black"))
        if not self._image.isNull():
            size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = (self.width() - size.width()) / 2
            y = (self.height() - size.height()) / 2
            p.drawImage(QRectF(x, y, size.width(), size.height()), self._image)
            if self._fresh:
                self.frames_painted += 1
                self._fresh = False
        p.end()


class MediaPlayer(QObject):
    """Plays one audio or video stimulus at a time (QtMultimedia, created on first use).

    Signals
    -------
    ended()
        The clip played to its end, or could not be played (see :attr:`error`).
    """

    ended = pyqtSignal()

    def __init__(self, video: VideoView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._video = video
        self._player: Any = None
        self._audio: Any = None
        self.error = ""
        self.playing: Path | None = None

    def _ensure(self) -> Any:
        if self._player is None:
            qm = _multimedia()
            self._player = qm.QMediaPlayer(self)
            self._audio = qm.QAudioOutput(self)
            self._player.setAudioOutput(self._audio)
            sink = qm.QVideoSink(self)
            self._player.setVideoSink(sink)
            self._video.attach(sink)
            self._player.mediaStatusChanged.connect(self._status)
            self._player.errorOccurred.connect(self._error)
        return self._player

    def play(self, path: Path) -> None:
        """Play ``path`` from its start."""
        player = self._ensure()
        self.error = ""
        self.playing = path
        self._video.reset()
        player.setSource(QUrl.fromLocalFile(str(path)))
        player.play()

    def stop(self) -> None:
        """Stop playing (nothing happens when nothing plays)."""
        if self._player is not None and self.playing is not None:
            self.playing = None
            self._player.stop()

    def _status(self, status: Any) -> None:
        qm = _multimedia()
        if status == qm.QMediaPlayer.MediaStatus.EndOfMedia and self.playing is not None:
            self.playing = None
            self.ended.emit()

    def _error(self, error: Any, text: str) -> None:
        if self.playing is None:
            return
        self.error = text or str(error)
        logger.warning("Cannot play %s: %s", self.playing, self.error)
        self.playing = None
        self.ended.emit()
