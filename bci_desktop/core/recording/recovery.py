"""Find sessions whose recording process died, and finish them.

A recording that was killed leaves ``status: "recording"`` in ``session.json`` and a
``recording.lock`` whose process is gone (or no lock at all). :func:`recover` makes such a
folder whole: it cuts a partial last sample frame and a cut last line of the side files,
notes a ``recovered`` event, and marks the session ``recovered`` with its end time and
sample count.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np

from bci_desktop.core.recording.session import (
    EVENTS_FILE,
    LOCK_FILE,
    MARKERS_FILE,
    META_FILE,
    PREDICTIONS_FILE,
    SAMPLES_FILE,
    STATUS_RECORDING,
    STATUS_RECOVERED,
    SessionError,
    SessionMeta,
    read_meta,
    write_json_atomic,
)

logger = logging.getLogger(__name__)

__all__ = [
    "drop_partial_line",
    "find_interrupted",
    "lock_owner",
    "lock_text",
    "pid_alive",
    "recover",
    "truncate_partial_frame",
]


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """State letter and start time (clock ticks since boot) of a process, from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) "; field 3 on
    try:
        return fields[0], int(fields[19])  # state (field 3), starttime (field 22)
    except (IndexError, ValueError):
        return None


def lock_text(pid: int | None = None) -> str:
    """What ``recording.lock`` holds: the pid, then (on Linux) the process start time.

    The start time, in clock ticks since boot, tells a live recorder from another program
    that got the same pid after the recorder died; it does not move with the wall clock.
    """
    pid = os.getpid() if pid is None else pid
    stat = _proc_stat(pid)
    return f"{pid}\n" if stat is None else f"{pid}\n{stat[1]}\n"


def pid_alive(pid: int, *, start_ticks: int | None = None) -> bool:
    """True if process ``pid`` runs (and, with ``start_ticks``, is the one that started then).

    A zombie counts as dead, and so does a process whose start time differs from
    ``start_ticks`` (the pid was reused after the recorder died), where /proc tells.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    stat = _proc_stat(pid)
    if stat is None:
        return True
    state, started = stat
    if state in ("Z", "X"):
        return False
    return start_ticks is None or started == start_ticks


def lock_owner(folder: str | os.PathLike[str]) -> int | None:
    """The pid of the live process recording ``folder``, or None (no lock, or a stale one)."""
    path = Path(folder) / LOCK_FILE
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("Cannot read %s: %s", path, exc)
        return None
    parts = text.split()
    try:
        pid = int(parts[0])
        ticks = int(parts[1]) if len(parts) > 1 else None
    except (IndexError, ValueError):
        logger.warning("%s holds no pid (%r): taken as stale", path, text[:40])
        return None
    return pid if pid_alive(pid, start_ticks=ticks) else None


def truncate_partial_frame(path: str | os.PathLike[str], frame_bytes: int) -> tuple[int, int]:
    """Cut a partial last frame off a samples file; return (whole frames, bytes dropped)."""
    path = Path(path)
    if not path.is_file():
        return 0, 0
    size = path.stat().st_size
    extra = size % frame_bytes
    if extra:
        os.truncate(path, size - extra)
    return size // frame_bytes, extra


def drop_partial_line(path: str | os.PathLike[str]) -> int:
    """Cut a last line that lacks its newline (a write cut by a crash); return bytes cut."""
    path = Path(path)
    if not path.is_file():
        return 0
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        pos = size
        block = 4096
        while pos > 0:
            start = max(0, pos - block)
            fh.seek(start)
            data = fh.read(pos - start)
            if pos == size and data.endswith(b"\n"):
                return 0
            nl = data.rfind(b"\n")
            if nl >= 0:
                keep = start + nl + 1
                break
            pos = start
        else:
            keep = 0
    os.truncate(path, keep)
    return size - keep


def find_interrupted(sessions_dir: str | os.PathLike[str]) -> list[Path]:
    """Session folders left ``recording`` by a process that is gone (sorted by name)."""
    root = Path(sessions_dir)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if not (folder / META_FILE).is_file():
            continue
        try:
            meta = read_meta(folder)
        except SessionError as exc:
            logger.warning("Skipping a broken session folder: %s", exc)
            continue
        if meta.status == STATUS_RECORDING and lock_owner(folder) is None:
            found.append(folder)
    return found


def _ended(meta: SessionMeta, folder: Path, last_t: float | None) -> tuple[float, str]:
    """When the recording ended (UNIX time, ISO 8601 in the start's time zone).

    The last sample's timestamp when it is a wall-clock time (BrainFlow, the simulated
    subject), else the modification time of the samples file.
    """
    try:
        started = datetime.fromisoformat(meta.started)
    except ValueError:
        started = datetime.now()
    if started.tzinfo is None:
        started = started.astimezone()
    if (
        last_t is not None
        and math.isfinite(last_t)
        and started.timestamp() - 60 <= last_t <= time.time() + 60
    ):
        when = last_t
    else:
        path = folder / SAMPLES_FILE
        when = (path if path.is_file() else folder / META_FILE).stat().st_mtime
    return when, datetime.fromtimestamp(when, tz=started.tzinfo).isoformat(timespec="milliseconds")


def _note_and_mark(folder: Path, event: dict, new: SessionMeta) -> None:
    """Append the ``recovered`` event, then write the new metadata; all or nothing.

    If either write fails (a full disk), the events file is cut back to its former size, so
    a later retry notes the event once, and the metadata stays as it was (its temporary
    file is removed by the atomic write).
    """
    events = folder / EVENTS_FILE
    before = events.stat().st_size if events.is_file() else None
    try:
        with open(events, "ab") as fh:
            fh.write((json.dumps(event) + "\n").encode("ascii"))
            fh.flush()
            os.fsync(fh.fileno())
        write_json_atomic(folder / META_FILE, new.to_dict())
    except OSError:
        try:
            if before is None:
                events.unlink(missing_ok=True)
            else:
                os.truncate(events, before)
        except OSError as exc:
            logger.error("Could not take the recovered event back out of %s: %s", events, exc)
        raise


def recover(folder: str | os.PathLike[str]) -> SessionMeta:
    """Finish a session whose recording process died; return its new metadata.

    Cuts a partial last frame and cut last lines, notes a ``recovered`` event, sets the
    status ``recovered`` with ``ended`` (time of the last sample) and ``n_samples``, and
    removes the stale lock. A session that is already finished is returned as it is.

    Raises
    ------
    SessionError
        If ``folder`` is not a readable session, is still being recorded by a live
        process, or cannot be written.
    """
    folder = Path(folder)
    meta = read_meta(folder)
    owner = lock_owner(folder)
    if owner is not None:
        raise SessionError(
            f"Session '{folder}' is still being recorded by process {owner}: stop that "
            f"recording first."
        )
    lock = folder / LOCK_FILE
    try:
        if meta.status != STATUS_RECORDING:
            lock.unlink(missing_ok=True)
            return meta
        frame_bytes = 8 * len(meta.rows)
        samples = folder / SAMPLES_FILE
        n, dropped = truncate_partial_frame(samples, frame_bytes)
        cut = {
            name: drop_partial_line(folder / name)
            for name in (MARKERS_FILE, PREDICTIONS_FILE, EVENTS_FILE)
        }
        last_t = None
        if n:
            last = np.fromfile(samples, dtype="<f8", count=len(meta.rows),
                               offset=(n - 1) * frame_bytes)  # fmt: skip
            last_t = float(last[meta.timestamp_row])
        when, ended = _ended(meta, folder, last_t)
        seconds = n / meta.sample_rate
        parts = [f"interrupted recording finished: {n} samples ({seconds:.1f} s) kept"]
        if dropped:
            parts.append(f"a partial last frame of {dropped} bytes dropped")
        parts += [f"a cut last line of {name} dropped" for name, c in cut.items() if c]
        event = {
            "t": last_t if last_t is not None and math.isfinite(last_t) else when,
            "sample": max(n - 1, 0),  # on the last sample kept, where exports find it
            "kind": "recovered",
            "detail": "; ".join(parts),
        }
        new = replace(meta, status=STATUS_RECOVERED, ended=ended, n_samples=n)
        _note_and_mark(folder, event, new)
        lock.unlink(missing_ok=True)
    except OSError as exc:
        raise SessionError(
            f"Cannot finish the interrupted session '{folder}': {exc.strerror or exc}. Free "
            f"some space or fix the folder's permissions, then try again."
        ) from exc
    logger.info("Recovered %s: %s", folder, event["detail"])
    return new
