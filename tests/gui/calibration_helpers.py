"""Stimulus files and protocol files for the calibration tests, and a rating helper."""

from __future__ import annotations

import json
import struct
import wave
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, Qt
from PyQt6.QtGui import QColor, QFont, QImage, QPainter

COLOURS = {"calm": "#74c0fc", "happy": "#ffd43b", "sad": "#495057", "stressed": "#fa5252"}


def picture(path: Path, colour: str, text: str, size: tuple[int, int] = (640, 400)) -> Path:
    """A PNG or JPEG of a colour with a word on it."""
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    p = QPainter(image)
    f = QFont()
    f.setPixelSize(size[1] // 5)
    f.setBold(True)
    p.setFont(f)
    p.setPen(QColor("white"))
    p.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    p.drawEllipse(QPoint(size[0] // 5, size[1] // 4), size[1] // 10, size[1] // 10)
    p.end()
    assert image.save(str(path)), path
    return path


def stimulus_folders(root: Path, states=tuple(COLOURS), per_state: int = 2) -> dict[str, str]:
    """A folder of ``per_state`` images for each state; ``{state: folder relative to root}``."""
    out = {}
    for state in states:
        folder = root / "stimuli" / state
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_state):
            picture(
                folder / f"{state}-{i + 1}.png", COLOURS.get(state, "#868e96"), f"{state} {i + 1}"
            )
        out[state] = f"stimuli/{state}"
    return out


def protocol_file(path: Path, states, **values) -> Path:
    """Write a protocol file: ``states`` is a list of names or state objects."""
    raw = {
        "format": "bci-desktop-calibration-protocol/1",
        "name": values.pop("name", "Test protocol"),
        "states": [s if isinstance(s, dict) else {"name": s} for s in states],
        **values,
    }
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return path


def tone_wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    """A WAV file with a 440 Hz tone."""
    t = np.arange(int(seconds * rate)) / rate
    data = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return path


def _jpeg(colour: str, text: str, size: tuple[int, int]) -> bytes:
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    p = QPainter(image)
    p.setPen(QColor("white"))
    p.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buf, "JPG")
    return bytes(data.data())


def mjpeg_avi(
    path: Path, frames: int = 20, fps: int = 10, size: tuple[int, int] = (160, 120)
) -> Path:
    """A motion-JPEG AVI (RIFF 'AVI ', one video stream, an idx1 index): a real video file
    Qt Multimedia's FFmpeg backend decodes, written without any video library."""
    w, h = size
    jpegs = [
        _jpeg(("#e03131", "#2f9e44", "#1971c2")[i % 3], f"frame {i}", size) for i in range(frames)
    ]

    def chunk(fourcc: bytes, data: bytes) -> bytes:
        return fourcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")

    def lst(kind: bytes, data: bytes) -> bytes:
        return b"LIST" + struct.pack("<I", len(data) + 4) + kind + data

    biggest = max(len(j) for j in jpegs)
    avih = struct.pack(
        "<10I4I", 1_000_000 // fps, biggest * fps, 0, 0x10, frames, 0, 1, biggest, w, h, 0, 0, 0, 0
    )
    strh = b"vids" + b"MJPG" + struct.pack("<IHHIIIIIIiI4h", 0, 0, 0, 0, 1, fps, 0, frames,
                                            biggest, -1, 0, 0, 0, w, h)  # fmt: skip
    strf = struct.pack("<IiiHH4sIiiII", 40, w, h, 1, 24, b"MJPG", w * h * 3, 0, 0, 0, 0)
    hdrl = lst(
        b"hdrl", chunk(b"avih", avih) + lst(b"strl", chunk(b"strh", strh) + chunk(b"strf", strf))
    )
    movi_data = b""
    index = b""
    for j in jpegs:
        offset = 4 + len(movi_data)  # from the 'movi' fourcc
        movi_data += chunk(b"00dc", j)
        index += b"00dc" + struct.pack("<III", 0x10, offset, len(j))
    body = b"AVI " + hdrl + lst(b"movi", movi_data) + chunk(b"idx1", index)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path
