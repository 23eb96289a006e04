"""Whether this user may run a thread at real-time priority (Linux), for tests."""

from __future__ import annotations

import subprocess
import sys

__all__ = ["realtime_allowed"]


def realtime_allowed() -> bool:
    """True if a fresh interpreter may switch to ``SCHED_FIFO`` 1 (root with
    CAP_SYS_NICE, or a user with a real-time limit)."""
    probe = "import os; os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))"
    return subprocess.run([sys.executable, "-c", probe], timeout=30).returncode == 0
