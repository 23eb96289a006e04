"""A scheduling group of its own for the acquisition process, so a hop is not cut short.

A hop (filter, features, inference, about 1 ms of CPU) is short and comes every 250 ms;
what makes its latency long on a busy machine is not the work but waiting for a CPU in
the middle of it, while the scheduler gives the core to the window's painting or a
CPU-heavy job (``benchmarks/window_latency.py``, docs/reliability.md).

:func:`own_scheduling_group` starts a session of its own, which on Linux with
*autogroup* (on by default in desktop kernels; it applies to processes in the root cpu
cgroup) is also a scheduling group of its own: the window's painting and the jobs
started from the same terminal or launcher no longer share one group's CPU with it, and
when it wakes for a hop it runs the hop through. It asks for no priority: any user may
do it, and the process's nice value and fair share are unchanged. Where autogroup does
not apply (a cpu cgroup per application, as some systemd desktops set up), it changes
nothing.
"""

from __future__ import annotations

import logging
import os

__all__ = ["own_scheduling_group"]

logger = logging.getLogger(__name__)


def own_scheduling_group() -> bool:
    """Start a session of its own (and so, on Linux with autogroup, a scheduling group).

    The terminal's signals no longer reach the process, which is as it should be for the
    acquisition process: Ctrl+C and a closed terminal are the window's to handle, and the
    process follows the window out. Returns whether a new session was started."""
    if not hasattr(os, "setsid"):
        return False
    try:
        os.setsid()
    except OSError as exc:  # already a session or group leader: it keeps the group it has
        logger.debug("No session of its own for the acquisition process: %s", exc)
        return False
    return True
