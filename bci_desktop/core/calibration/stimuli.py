"""The stimulus files of a protocol: found, typed and checked before a calibration starts.

A state's ``stimuli`` lists files and folders. A folder stands for the image, audio and
video files directly inside it (in name order; other files are ignored). Every file is
checked here, before Start: it exists, is a regular file the app can open and read, is not
larger than the app shows, and its first bytes are those of its kind (a ``.png`` that is
really a text file is refused). Anything wrong is reported with the file named, every
problem at once. Whether the installation can *play* audio and video, and whether an
image decodes, the window checks on top (it has Qt).
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

from bci_desktop.core.calibration.protocol import CalibrationProtocol
from bci_desktop.core.errors import InputFileError
from bci_desktop.core.regular_files import open_regular

__all__ = [
    "EXTENSIONS",
    "MAX_FILES_PER_STATE",
    "Stimulus",
    "StimulusError",
    "StimulusKind",
    "find_stimuli",
]

#: Largest image / audio or video file shown.
MAX_IMAGE_BYTES = 64 << 20
MAX_MEDIA_BYTES = 4 << 30
#: Most stimulus files one state may have.
MAX_FILES_PER_STATE = 500


class StimulusKind(enum.Enum):
    """How a stimulus is shown."""

    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"


EXTENSIONS: dict[str, StimulusKind] = {
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".bmp", ".gif"), StimulusKind.IMAGE),
    **dict.fromkeys((".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a"), StimulusKind.AUDIO),
    **dict.fromkeys((".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".ogv"), StimulusKind.VIDEO),
}


class StimulusError(InputFileError):
    """Stimulus files that cannot be shown; the message names each one and why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(" ".join(problems))


@dataclass(frozen=True)
class Stimulus:
    """One stimulus file.

    Attributes
    ----------
    path : Path
        The file.
    kind : StimulusKind
    name : str
        How it is named in events and messages (the path as the protocol gives it, or
        the folder's entry).
    """

    path: Path
    kind: StimulusKind
    name: str


def _signature_ok(head: bytes, ext: str) -> bool:
    """Whether the first bytes of a file are those of its extension's format."""
    riff = head[:4] == b"RIFF"
    checks = {
        ".png": head.startswith(b"\x89PNG\r\n\x1a\n"),
        ".jpg": head.startswith(b"\xff\xd8\xff"),
        ".jpeg": head.startswith(b"\xff\xd8\xff"),
        ".bmp": head.startswith(b"BM"),
        ".gif": head[:6] in (b"GIF87a", b"GIF89a"),
        ".wav": riff and head[8:12] == b"WAVE",
        ".avi": riff and head[8:12] == b"AVI ",
        ".ogg": head.startswith(b"OggS"),
        ".oga": head.startswith(b"OggS"),
        ".ogv": head.startswith(b"OggS"),
        ".flac": head.startswith(b"fLaC"),
        ".mp3": head.startswith(b"ID3")
        or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0),
        ".webm": head.startswith(b"\x1a\x45\xdf\xa3"),
        ".mkv": head.startswith(b"\x1a\x45\xdf\xa3"),
    }
    if ext in (".mp4", ".m4v", ".m4a", ".mov"):
        return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")
    return checks.get(ext, False)


def _check_file(path: Path, name: str, kind: StimulusKind) -> str | None:
    """Why ``path`` cannot be shown, ``None`` if it can."""
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(16)
    except FileNotFoundError:
        return f"'{name}' does not exist ({path})."
    except OSError as exc:
        return f"'{name}' cannot be read: {exc.strerror or exc} ({path})."
    limit = MAX_IMAGE_BYTES if kind is StimulusKind.IMAGE else MAX_MEDIA_BYTES
    if size == 0:
        return f"'{name}' is empty ({path})."
    if size > limit:
        return f"'{name}' is larger than {limit >> 20} MB ({path})."
    if not _signature_ok(head, path.suffix.lower()):
        return (
            f"'{name}' is not a {path.suffix.lower()[1:].upper()} file: its first bytes are "
            f"those of another format ({path})."
        )
    return None


def find_stimuli(protocol: CalibrationProtocol) -> dict[str, tuple[Stimulus, ...]]:
    """Every state's stimulus files, each checked (states without stimuli map to ``()``).

    Raises
    ------
    StimulusError
        Naming every missing, unreadable, empty, oversized or mistyped file, every entry
        of an unknown type and every folder without stimuli.
    """
    problems: list[str] = []
    found: dict[str, tuple[Stimulus, ...]] = {}
    for state in protocol.states:
        items: list[Stimulus] = []
        for entry in state.stimuli:
            path = protocol.resolve(entry)
            if path.is_dir():
                items += _folder(path, entry, state.name, problems)
                continue
            kind = EXTENSIONS.get(path.suffix.lower())
            if kind is None:
                problems.append(
                    f"'{entry}' ({state.name}) is not an image, audio or video file the app "
                    f"shows ({', '.join(sorted(EXTENSIONS))})."
                )
                continue
            problem = _check_file(path, entry, kind)
            if problem is not None:
                problems.append(f"Stimulus of {state.name}: {problem}")
                continue
            items.append(Stimulus(path, kind, entry))
        if len(items) > MAX_FILES_PER_STATE:
            problems.append(
                f"{state.name} has {len(items)} stimulus files; at most "
                f"{MAX_FILES_PER_STATE} are shown."
            )
        found[state.name] = tuple(items)
    if problems:
        raise StimulusError(problems)
    return found


def _folder(folder: Path, entry: str, state: str, problems: list[str]) -> list[Stimulus]:
    try:
        names = sorted(os.listdir(folder))[: MAX_FILES_PER_STATE * 4]
    except OSError as exc:
        problems.append(
            f"The stimulus folder '{entry}' ({state}) cannot be read: {exc.strerror or exc}."
        )
        return []
    out: list[Stimulus] = []
    for n in names:
        kind = EXTENSIONS.get(Path(n).suffix.lower())
        if kind is None or n.startswith("."):
            continue
        shown = f"{entry.rstrip('/')}/{n}"
        problem = _check_file(folder / n, shown, kind)
        if problem is not None:
            problems.append(f"Stimulus of {state}: {problem}")
        else:
            out.append(Stimulus(folder / n, kind, shown))
    if not out and not any(
        p.startswith(f"Stimulus of {state}: '{entry.rstrip('/')}/") for p in problems
    ):
        problems.append(
            f"The stimulus folder '{entry}' ({state}) holds no image, audio or video file "
            f"({', '.join(sorted(EXTENSIONS))})."
        )
    return out
