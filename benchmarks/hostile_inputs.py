"""Every bad input of issue 12, through the command line, one process each.

Builds the hostile files (EDF headers that lie, FIFOs, symlinks to ``/dev/zero``, models
that loop, emit NaN or declare absurd numbers, JSON nested 100,000 deep, sessions with
escape sequences in their names), mounts small tmpfs file systems for the full-disk and
read-only cases (root only; skipped with the reason otherwise), runs ``bci-desktop`` on each
in a fresh process and prints a Markdown table:

    item | input | exit | first line of stderr | s | peak MB | verdict

A case passes when nothing printed a traceback or a Python warning, it ran at most 10 s,
its peak resident memory (``wait4``'s ``ru_maxrss``, the process and the children it
waited for) stayed under 1 GB, a bad input ended with the expected non-zero exit code
(never 0), and the case's own check holds (the file is not there, nothing was lost ...).
Cases marked "phase 2" needed the streaming layer's refactor (issue 9); since it landed they
count like every other case.

Usage::

    python benchmarks/hostile_inputs.py [--only SUBSTRING] [--keep DIR]

Exit code 0 when every case passes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

LIMIT_S = 10.0
KILL_S = 15.0
LIMIT_MB = 1000.0


@dataclass
class Result:
    """What one run gave."""

    exit: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    problems: list[str] = field(default_factory=list)

    @property
    def first_line(self) -> str:
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        return lines[0] if lines else ""


# The measuring process: a child's ru_maxrss starts at the high-water mark of the process
# that forked it (Linux carries it over fork and exec), so the commands are started by a
# small Python process launched before this script imports numpy and friends; it runs one
# command per line of JSON on stdin and answers with exit code, seconds and wait4's peak.
_SPAWNER = r"""
import json, os, signal, subprocess, sys, threading, time
for line in sys.stdin:
    job = json.loads(line)
    with open(job["stdout"], "wb") as out, open(job["stderr"], "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(job["argv"], stdout=out, stderr=err, env=job["env"],
                                cwd=job["cwd"], stdin=subprocess.DEVNULL,
                                start_new_session=True)
        killed = threading.Event()
        def kill():
            killed.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(job["kill_s"], kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        seconds = time.perf_counter() - t0
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "seconds": seconds,
                      "maxrss_kb": usage.ru_maxrss, "killed": killed.is_set()}), flush=True)
"""


class Spawner:
    """The small process that starts each command and measures it."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SPAWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip

    def run(self, argv: list[str], env: dict[str, str], cwd: Path) -> Result:
        """Run ``argv``; wall time and peak memory from ``wait4``; killed after KILL_S."""
        with tempfile.TemporaryDirectory() as tmp:
            out, err = Path(tmp) / "out", Path(tmp) / "err"
            job = {"argv": argv, "env": env, "cwd": str(cwd), "stdout": str(out),
                   "stderr": str(err), "kill_s": KILL_S}  # fmt: skip
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.write(json.dumps(job) + "\n")
            self._proc.stdin.flush()
            answer = json.loads(self._proc.stdout.readline())
            result = Result(
                exit=None if answer["killed"] else answer["exit"],
                stdout=out.read_bytes().decode("utf-8", "replace"),
                stderr=err.read_bytes().decode("utf-8", "replace"),
                seconds=answer["seconds"],
                peak_mb=answer["maxrss_kb"] / 1024,
            )
        if answer["killed"]:
            result.problems.append(f"killed after {KILL_S:g} s")
        return result

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(10)


def judge(case: Any, result: Result) -> None:
    """Fill ``result.problems`` with every rule the run broke."""
    if "Traceback" in result.stderr:
        result.problems.append("traceback")
    if "Warning:" in result.stderr:
        result.problems.append("a Python warning on stderr")
    if result.seconds > LIMIT_S:
        result.problems.append(f"{result.seconds:.1f} s > {LIMIT_S:g} s")
    if result.peak_mb > LIMIT_MB:
        result.problems.append(f"peak {result.peak_mb:.0f} MB > {LIMIT_MB:g} MB")
    if case.expect_exit is not None and result.exit != case.expect_exit:
        result.problems.append(f"exit {result.exit}, expected {case.expect_exit}")
    if case.expect_exit is None and result.exit == 0:
        result.problems.append("exit 0 for a failure")
    if case.check is not None and result.exit is not None:
        try:
            problem = case.check(result)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problem = f"its check could not run ({type(exc).__name__}: {exc})"
        if problem:
            result.problems.append(problem)


def cell(text: str, limit: int = 90) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="run the cases whose name holds this")
    parser.add_argument("--keep", default=None, help="build the inputs here and keep them")
    args = parser.parse_args(argv)
    spawner = Spawner()  # first, while this process is small
    from hostile_cases import build_cases

    with ExitStack() as stack:
        stack.callback(spawner.close)
        if args.keep:
            work = Path(args.keep)
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hostile-")))
        env = dict(os.environ)
        env.update(
            BCI_DESKTOP_DATA_DIR=str(work / "data"),
            BCI_DESKTOP_LOG_DIR=str(work / "log"),
            BCI_DESKTOP_CONFIG_DIR=str(work / "config"),
            PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            PYTHONWARNINGS="default",  # a warning that leaks must show, not hide
        )
        t0 = time.perf_counter()
        cases = build_cases(work, env, stack)
        setup_s = time.perf_counter() - t0
        rows, failed, phase2_failed, skipped = [], 0, 0, 0
        for case in cases:
            if args.only and args.only not in case.name:
                continue
            if case.skip:
                skipped += 1
                rows.append(
                    f"| {case.item} | {cell(case.name, 60)} | - | skipped: {cell(case.skip)} "
                    "| - | - | SKIP |"
                )
                continue
            if case.before is not None:
                case.before()
            result = spawner.run(case.argv, {**env, **case.env}, work)
            judge(case, result)
            ok = not result.problems
            verdict = "ok" if ok else "FAIL: " + "; ".join(result.problems)
            if case.phase2:
                verdict = "ok (phase 2)" if ok else "phase 2: " + "; ".join(result.problems)
                phase2_failed += not ok
            else:
                failed += not ok
            rows.append(
                f"| {case.item} | {cell(case.name, 60)} | {result.exit} | "
                f"{cell(result.first_line) or '(nothing)'} | {result.seconds:.2f} | "
                f"{result.peak_mb:.0f} | {cell(verdict, 120)} |"
            )
            print(f"{case.name}: {verdict}", file=sys.stderr, flush=True)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; inputs built in "
        f"{setup_s:.1f} s; limits: {LIMIT_S:g} s, {LIMIT_MB:g} MB peak resident\n"
    )
    print("| item | input | exit | first line of stderr | s | peak MB | verdict |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    counted = len(rows) - skipped
    print(
        f"\n{counted - failed - phase2_failed} of {counted} cases pass; {failed} fail; "
        f"{phase2_failed} phase-2 cases fail; {skipped} skipped."
    )
    return 1 if failed or phase2_failed else 0


if __name__ == "__main__":
    if shutil.which("bci-desktop") is None and not (ROOT / "bci_desktop").is_dir():
        sys.exit("bci-desktop is not installed")
    raise SystemExit(main())
