"""Scheduling for the acquisition process, so a hop is not cut short on a busy machine.

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

That is not enough when a CPU-heavy job runs in a group of its own (started from another
terminal): three groups then share two cores, and the window's painting still cuts hops
(docs/reliability.md). :func:`ask_realtime_priority` asks for the lowest real-time
priority (``SCHED_FIFO`` 1: ahead of every normal thread, behind every other real-time
one, such as an audio server) for the thread that runs the hops, where the user may have
it: root, or a user with a real-time limit (``RLIMIT_RTPRIO``, as the ``audio`` or
``realtime`` groups of many distributions give). Measured: p99 1.01x of headless with the
load apart, against 3.1x without. Threads the process starts later (a driver's, the
model runtime's) do not inherit it (``SCHED_RESET_ON_FORK``), and a thread that runs for
:data:`REALTIME_CPU_LIMIT_S` without pausing (a stuck loop) is put back to normal
scheduling by the kernel's ``RLIMIT_RTTIME`` signal (and ended after
:data:`REALTIME_KILL_S` if stuck in native code), so it can never hold a core.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys

__all__ = [
    "REALTIME_CPU_LIMIT_S",
    "ask_realtime_priority",
    "end_realtime_priority",
    "own_scheduling_group",
]

logger = logging.getLogger(__name__)

#: The real-time priority asked for: the lowest there is.
REALTIME_PRIORITY = 1
#: CPU time (s) a real-time thread may use without pausing before it is put back to
#: normal scheduling (a hop takes about a millisecond; the loop pauses every few).
REALTIME_CPU_LIMIT_S = 0.5
#: ... and before the kernel ends the process, if it is stuck in a native call where the
#: handler that would put it back cannot run (the window then restarts it as after a crash).
REALTIME_KILL_S = 5.0


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


def ask_realtime_priority(cpu_limit_s: float = REALTIME_CPU_LIMIT_S) -> str | None:
    """Run the calling thread at the lowest real-time priority, if this user may.

    Call it from the main thread (it installs a ``SIGXCPU`` handler). Returns ``None``
    when granted, else why not (one line for the log). A thread that then uses
    ``cpu_limit_s`` of CPU time without a pause gets ``SIGXCPU`` from the kernel and goes
    back to normal scheduling, with a warning.
    """
    if not sys.platform.startswith("linux"):
        return "real-time priority is only asked for on Linux"
    import resource

    try:
        os.sched_setscheduler(
            0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK, os.sched_param(REALTIME_PRIORITY)
        )
    except OSError as exc:  # EPERM: no real-time limit for this user (the usual case)
        return f"real-time priority not allowed for this user ({exc.strerror})"
    _, hard = resource.getrlimit(resource.RLIMIT_RTTIME)
    kill_us = round(max(REALTIME_KILL_S, cpu_limit_s) * 1e6)
    if hard != resource.RLIM_INFINITY:
        kill_us = min(kill_us, hard)
    limit_us = min(max(1, round(cpu_limit_s * 1e6)), kill_us)
    signal.signal(signal.SIGXCPU, functools.partial(_back_to_normal, cpu_limit_s))
    resource.setrlimit(resource.RLIMIT_RTTIME, (limit_us, kill_us))
    return None


def end_realtime_priority() -> None:
    """Back to normal scheduling before the process winds up: the interpreter's shutdown
    (which puts the default ``SIGXCPU`` action back, and that ends the process) is not
    the loop's work."""
    if not sys.platform.startswith("linux"):
        return
    if os.sched_getscheduler(0) & ~os.SCHED_RESET_ON_FORK != os.SCHED_OTHER:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def _back_to_normal(cpu_limit_s: float, signum: int, frame: object) -> None:
    """``SIGXCPU``: the real-time thread ran too long without a pause; normal from now."""
    end_realtime_priority()
    signal.signal(signal.SIGXCPU, signal.SIG_IGN)
    logger.warning(
        "The acquisition process ran for over %g s without a pause at real-time priority; "
        "it goes on at normal priority.",
        cpu_limit_s,
    )
