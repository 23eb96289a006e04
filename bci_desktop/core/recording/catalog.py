"""Where sessions live, what is there, and deleting one safely."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from bci_desktop.core import jsonsafe
from bci_desktop.core.recording.recovery import lock_owner
from bci_desktop.core.recording.session import (
    EVENTS_FILE,
    LOCK_FILE,
    MARKERS_FILE,
    META_FILE,
    PREDICTIONS_FILE,
    SAMPLES_FILE,
    STATUS_RECORDING,
    SessionError,
    read_meta,
    side_lines,
)
from bci_desktop.core.regular_files import open_regular

logger = logging.getLogger(__name__)

__all__ = ["SessionSummary", "data_dir", "delete_session", "list_sessions"]

APP_NAME = "bci-desktop"
ENV_DATA_DIR = "BCI_DESKTOP_DATA_DIR"
_SESSION_FILES = (META_FILE, SAMPLES_FILE, LOCK_FILE)


def data_dir() -> Path:
    """The folder that holds the sessions.

    ``$BCI_DESKTOP_DATA_DIR`` when set (tests, portable installs), else
    ``platformdirs.user_data_path("bci-desktop") / "sessions"``.
    """
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / "sessions"


@dataclass(frozen=True)
class SessionSummary:
    """One line of the session list.

    Attributes
    ----------
    folder : Path
        The session folder.
    started : str or None
        Start time, ISO 8601 with time zone (``None`` when ``session.json`` is unreadable).
    subject, notes : str
        As entered when recording.
    source_name : str
        Board or source name.
    board_id : int or None
        BrainFlow board id.
    sample_rate : float or None
        Samples per second.
    n_samples : int
        Whole sample frames stored.
    duration_s : float
        Recorded stream seconds.
    size_bytes : int
        All files of the folder together.
    status : str
        ``"complete"``, ``"recovered"``, ``"recording"`` (see :attr:`state`), or
        ``"broken"`` when the folder cannot be read.
    live : bool
        A running process records it now.
    n_markers, n_predictions : int
        Lines in ``markers.csv`` and ``predictions.jsonl``.
    recording_error : str or None
        Why the recording stopped early, if it did.
    error : str or None
        Why the folder cannot be read (``status == "broken"``).
    """

    folder: Path
    started: str | None
    subject: str = ""
    notes: str = ""
    source_name: str = ""
    board_id: int | None = None
    sample_rate: float | None = None
    n_samples: int = 0
    duration_s: float = 0.0
    size_bytes: int = 0
    status: str = "broken"
    live: bool = False
    n_markers: int = 0
    n_predictions: int = 0
    recording_error: str | None = None
    error: str | None = None

    @property
    def name(self) -> str:
        """Folder name."""
        return self.folder.name

    @property
    def state(self) -> str:
        """The status in a user's words: ``"interrupted"`` for a dead recording."""
        if self.status == STATUS_RECORDING and not self.live:
            return "interrupted"
        return self.status

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``bci-desktop sessions --json``)."""
        d = asdict(self)
        d["folder"] = str(self.folder)
        d["name"] = self.name
        d["state"] = self.state
        return d


def _count_lines(path: Path) -> int:
    """Complete lines of a file (a cut last line does not count); 0 when it is missing.

    Only a regular file is read (a FIFO in a session folder must not block the list).
    """
    try:
        fh = open_regular(path)
    except FileNotFoundError:
        return 0
    count = 0
    with fh:
        while block := fh.read(1 << 20):
            count += block.count(b"\n")
    return count


def _recording_error(path: Path) -> str | None:
    for line in side_lines(path):
        if line is None or '"recording_error"' not in line:
            continue
        try:
            event = jsonsafe.loads(line)
        except jsonsafe.JSONInputError:
            logger.debug("Unreadable event line in %s", path)
            continue
        if isinstance(event, dict) and event.get("kind") == "recording_error":
            return str(event.get("detail", ""))
    return None


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def summarize(folder: str | os.PathLike[str]) -> SessionSummary:
    """Summary of one session folder; a broken one gets ``status "broken"`` and ``error``."""
    folder = Path(folder)
    try:
        size = _folder_size(folder)
        meta = read_meta(folder)
        samples = folder / SAMPLES_FILE
        n = samples.stat().st_size // (8 * len(meta.rows)) if samples.is_file() else 0
        n_markers = max(0, _count_lines(folder / MARKERS_FILE) - 1)  # minus the header
        return SessionSummary(
            folder=folder,
            started=meta.started,
            subject=meta.subject,
            notes=meta.notes,
            source_name=meta.source_name,
            board_id=meta.board_id,
            sample_rate=meta.sample_rate,
            n_samples=n,
            duration_s=n / meta.sample_rate,
            size_bytes=size,
            status=meta.status,
            live=lock_owner(folder) is not None,
            n_markers=n_markers,
            n_predictions=_count_lines(folder / PREDICTIONS_FILE),
            recording_error=_recording_error(folder / EVENTS_FILE),
        )
    except (SessionError, OSError) as exc:
        return SessionSummary(
            folder=folder,
            started=None,
            size_bytes=_safe_size(folder),
            live=lock_owner(folder) is not None,
            error=str(exc),
        )


def _safe_size(folder: Path) -> int:
    try:
        return _folder_size(folder)
    except OSError:
        return 0


def _time_in_name(name: str) -> float | None:
    try:
        return datetime.strptime(name[:15], "%Y%m%d-%H%M%S").astimezone().timestamp()
    except ValueError:
        return None


def _sort_key(summary: SessionSummary) -> float:
    if summary.started is not None:
        try:
            return datetime.fromisoformat(summary.started).timestamp()
        except ValueError:
            logger.debug("Unparsable start time %r in %s", summary.started, summary.folder)
    named = _time_in_name(summary.folder.name)  # a broken session: the time in its name
    if named is not None:
        return named
    try:
        return summary.folder.stat().st_mtime
    except OSError:
        return 0.0


def list_sessions(sessions_dir: str | os.PathLike[str] | None = None) -> list[SessionSummary]:
    """Every session under ``sessions_dir`` (default :func:`data_dir`), newest first.

    Folders holding none of a session's files are skipped; a session folder that cannot
    be read is listed with ``status "broken"`` and the reason in ``error``.
    """
    root = data_dir() if sessions_dir is None else Path(sessions_dir)
    if not root.is_dir():
        return []
    out = [
        summarize(folder)
        for folder in root.iterdir()
        if folder.is_dir() and any((folder / f).exists() for f in _SESSION_FILES)
    ]
    out.sort(key=_sort_key, reverse=True)
    return out


def delete_session(folder: str | os.PathLike[str]) -> None:
    """Delete a session folder and everything in it.

    Raises
    ------
    SessionError
        If ``folder`` is not a session folder (no ``session.json``, or it holds
        sub-folders), is being recorded by a running process, or cannot be deleted.
    """
    folder = Path(folder)
    if not folder.is_dir() or not (folder / META_FILE).is_file():
        raise SessionError(
            f"'{folder}' is not a session folder (it has no {META_FILE}): not deleting it."
        )
    subdirs = [p.name for p in folder.iterdir() if p.is_dir()]
    if subdirs:
        raise SessionError(
            f"'{folder}' holds folders ({', '.join(sorted(subdirs)[:3])}), which a session "
            f"never has: not deleting it. Delete it by hand if you mean to."
        )
    owner = lock_owner(folder)
    if owner is not None:
        raise SessionError(
            f"Session '{folder}' is being recorded by process {owner}: stop the recording "
            f"before deleting it."
        )
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        raise SessionError(f"Cannot delete session '{folder}': {exc.strerror or exc}.") from exc
    logger.info("Deleted session %s", folder)
