"""Real-time priority for the acquisition process's hops (core/acquisition/scheduling.py),
asked for in a fresh interpreter as the acquisition process does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.realtime import realtime_allowed

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

_ASK = """
import logging, os, sys, time
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
from bci_desktop.core.acquisition.scheduling import ask_realtime_priority
refused = ask_realtime_priority(cpu_limit_s=0.05)
if refused is not None:
    print("refused:", refused)
    raise SystemExit(3)
print("policy", os.sched_getscheduler(0) & ~os.SCHED_RESET_ON_FORK)
"""
#: What the acquisition process does before it winds up (the test ends as it does).
_END = """
from bci_desktop.core.acquisition.scheduling import end_realtime_priority
end_realtime_priority()
print("ended", os.sched_getscheduler(0))
"""


def _run(code: str, *, unprivileged: bool = False) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter; ``unprivileged``: as a user with no real-time
    limit (most desktop users), root without the capability that overrides it."""
    command = [sys.executable, "-c", textwrap.dedent(code)]
    if unprivileged and os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-sys_nice", *command]

    def no_limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_RTPRIO, (0, 0))

    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=no_limit if unprivileged else None,
        cwd=os.getcwd(),
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )


def test_a_user_without_a_real_time_limit_is_told_why_and_keeps_normal_priority() -> None:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("root, and no setpriv to run without CAP_SYS_NICE")
    done = _run(_ASK, unprivileged=True)
    assert done.returncode == 3, done.stderr
    assert "real-time priority not allowed for this user" in done.stdout


def test_granted_real_time_priority_is_the_lowest_and_not_passed_on_to_new_threads() -> None:
    if not realtime_allowed():
        pytest.skip("this user may not have real-time priority (no RLIMIT_RTPRIO)")
    done = _run(
        _ASK
        + """
import threading
seen = []
t = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
t.start(); t.join()
print("thread", seen[0], "priority", os.sched_getparam(0).sched_priority)
"""
        + _END
    )
    assert done.returncode == 0, done.stderr
    assert f"policy {os.SCHED_FIFO}" in done.stdout
    assert f"thread {os.SCHED_OTHER} priority 1" in done.stdout
    assert f"ended {os.SCHED_OTHER}" in done.stdout, "and exits cleanly (returncode 0)"


def test_a_real_time_loop_that_never_pauses_goes_back_to_normal_priority() -> None:
    """A stuck loop must never hold a core: the kernel's RLIMIT_RTTIME signal (after
    0.05 s here) puts it back to normal scheduling, and the log says so."""
    if not realtime_allowed():
        pytest.skip("this user may not have real-time priority (no RLIMIT_RTPRIO)")
    done = _run(
        _ASK
        + """
end = time.thread_time() + 0.5
while time.thread_time() < end:
    pass  # no system call that blocks: the real-time time limit runs
print("after", os.sched_getscheduler(0))
"""
    )
    assert done.returncode == 0, done.stderr
    assert f"after {os.SCHED_OTHER}" in done.stdout
    assert "without a pause at real-time priority" in done.stderr
