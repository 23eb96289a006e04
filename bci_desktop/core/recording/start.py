"""Where a recording starts, checked before any file is opened: a new session folder with
its metadata (:func:`new_session`), or a session whose recorder died and that the stream
may go on into (:func:`session_to_continue`).

New folders are 0700 and named after their start time only (:func:`make_session_folder`);
:func:`remove_new_folder` takes one away again when its files cannot be created.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bci_desktop.core.atomic import PRIVATE_DIR_MODE
from bci_desktop.core.recording.errors import RecordingError, describe_os_error
from bci_desktop.core.recording.layout import session_layout, session_meta
from bci_desktop.core.recording.recovery import lock_owner
from bci_desktop.core.recording.session import (
    META_FILE,
    STATUS_RECORDING,
    SessionError,
    SessionMeta,
    read_meta,
)
from bci_desktop.core.stream import StreamInfo

logger = logging.getLogger(__name__)

__all__ = [
    "SessionStart",
    "make_session_folder",
    "new_session",
    "remove_new_folder",
    "session_to_continue",
]


@dataclass(frozen=True)
class SessionStart:
    """The folder a recording goes into, its metadata, and whether its frames are
    BrainFlow's ``board_data`` (see :func:`~.layout.session_layout`)."""

    folder: Path
    meta: SessionMeta
    board: bool


def new_session(
    data_dir_or_folder: str | os.PathLike[str] | None,
    info: StreamInfo,
    *,
    subject: str,
    notes: str,
    filters: dict[str, Any] | None,
    model: dict[str, Any] | None,
    layout_board_id: int | None,
    name: str | None,
) -> SessionStart:
    """Make the folder of a new session for ``info``'s stream and fill its metadata.

    The arguments are :meth:`SessionRecorder.create
    <bci_desktop.core.recording.recorder.SessionRecorder.create>`'s.

    Raises
    ------
    SessionError
        If ``data_dir_or_folder`` is already a session folder.
    RecordingError
        If the folder cannot be created (the message says why).
    """
    if data_dir_or_folder is None:
        from bci_desktop.core.recording.catalog import data_dir

        sessions_dir = data_dir()
    else:
        sessions_dir = Path(data_dir_or_folder)
    if (sessions_dir / META_FILE).exists():
        raise SessionError(
            f"'{sessions_dir}' is already a session folder: give the folder that holds "
            f"sessions (a new session folder is made inside it)."
        )
    started_at = datetime.now().astimezone()
    layout = session_layout(info)
    board_layout = bool(layout.pop("board"))
    if layout_board_id is None and board_layout:
        layout_board_id = info.layout_board
    try:
        folder = make_session_folder(sessions_dir, started_at, name)
    except OSError as exc:
        raise RecordingError(
            f"Cannot start recording: {describe_os_error(exc)} while creating a session "
            f"folder in {sessions_dir}. Choose a writable folder with free space."
        ) from exc
    meta = session_meta(
        info,
        layout,
        started_at=started_at,
        subject=subject,
        notes=notes,
        filters=filters,
        model=model,
        layout_board_id=layout_board_id if board_layout else None,
        pid=os.getpid(),
    )
    return SessionStart(folder, meta, board_layout)


def session_to_continue(folder: str | os.PathLike[str], info: StreamInfo) -> SessionStart:
    """The session in ``folder``, checked to be one whose recorder died and that
    ``info``'s stream fits (see :meth:`SessionRecorder.resume
    <bci_desktop.core.recording.recorder.SessionRecorder.resume>`).

    Raises
    ------
    SessionError
        If the folder is not a session being recorded, another live process records
        it, or its rows or rate differ from ``info``'s.
    """
    folder = Path(folder)
    meta = read_meta(folder)
    if meta.status != STATUS_RECORDING:
        raise SessionError(f"Cannot continue '{folder}': its recording was finished.")
    owner = lock_owner(folder)
    if owner is not None and owner != os.getpid():
        raise SessionError(f"Cannot continue '{folder}': process {owner} records it.")
    layout = session_layout(info)
    board = bool(layout.pop("board"))
    if tuple(layout["rows"]) != tuple(meta.rows) or meta.sample_rate != info.sample_rate:
        raise SessionError(
            f"Cannot continue '{folder}': the stream now has other channels or another "
            "rate than the recording."
        )
    return SessionStart(folder, meta, board)


def make_session_folder(sessions_dir: Path, started_at: datetime, name: str | None) -> Path:
    """A new session folder, 0700, named after its start time only: the subject id stays
    in ``session.json`` (folder names show in file browsers, backups and the log).

    ``sessions_dir`` is made first if missing; ``name`` is an exact name instead (it must
    not exist)."""
    sessions_dir.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if name is not None:
        folder = sessions_dir / name
        folder.mkdir(mode=PRIVATE_DIR_MODE)
        return folder
    base = started_at.strftime("%Y%m%d-%H%M%S")
    for i in range(1, 10_000):
        folder = sessions_dir / (base if i == 1 else f"{base}-{i}")
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(errno.EEXIST, "too many sessions with the same name", str(base))


def remove_new_folder(folder: Path) -> None:
    """Remove a session folder that failed to start (it holds only this recorder's files)."""
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        logger.error("Could not remove the unfinished session folder %s: %s", folder, exc)
