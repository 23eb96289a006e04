"""Run untrusted model files in a child process with a time and memory limit.

Validating a model means running it (its test vector, a few probes, the latency
measurement), and an ONNX graph can do anything a program can with time and memory: a
``Loop`` of 10^12 steps, a ``ConstantOfShape`` of a terabyte. :func:`validate_isolated`
runs :func:`~bci_desktop.core.inference.validation.validate_model_bytes`, the one validation
of the app (the registry's import and activation and :meth:`EmotionModel.load
<bci_desktop.core.inference.model.EmotionModel.load>` all come here), in a fresh Python
process whose address space (``RLIMIT_AS``) and CPU time (``RLIMIT_CPU``) are capped, and
kills it when it outlives the wall-clock limit. A model that hits a limit is refused with
the reason; the app's own process opens a model only after it passed here.

The child gets the file's bytes on stdin and answers with JSON on stdout (never a pickle:
nothing that ran an untrusted graph can hand the app an object to unpickle). It imports
numpy, onnxruntime and the validation code only (about 0.4 s); a loader's verdict on the
same bytes is reused within a process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import subprocess
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_TIME_LIMIT_S",
    "child_command",
    "validate_isolated",
]

#: Wall-clock seconds a validation may take, the child's start included.
DEFAULT_TIME_LIMIT_S = 6.0
#: Address space of the child (bytes): the interpreter with numpy and onnxruntime takes
#: about 0.3 GB of it; the model gets the rest, plus four times its file size.
DEFAULT_MEMORY_LIMIT = 1 << 30
#: Largest answer read from the child (a window model's metadata holds its test window).
_MAX_ANSWER = 256 << 20
#: First argument that turns a frozen (PyInstaller) app into the checking child.
CHILD_ARG = "--bci-desktop-model-check"
_MEMO_SIZE = 64
_memo: OrderedDict[str, Any] = OrderedDict()  # SHA-256 -> a passing report
_memo_lock = threading.Lock()


def child_command(memory_limit: int, cpu_seconds: int) -> list[str]:
    """The command line of a checking child."""
    limits = [str(int(memory_limit)), str(int(cpu_seconds))]
    if getattr(sys, "frozen", False):  # a stand-alone app: its own executable checks
        return [sys.executable, CHILD_ARG, *limits]
    return [sys.executable, "-P", "-m", "bci_desktop.core.inference.sandbox", *limits]


def validate_isolated(
    data: bytes,
    path: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    latency_budget_ms: float | None = None,
    runs: int = 200,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    memory_limit: int | None = None,
) -> Any:
    """:func:`validate_model_bytes` in a child process with a time and memory limit.

    Parameters
    ----------
    data : bytes
        The model file's bytes.
    path : path-like
        Names the file in messages.
    sha256 : str or None
        SHA-256 of ``data`` (computed when ``None``).
    latency_budget_ms, runs
        As for :func:`validate_model_bytes`.
    time_limit_s : float
        Wall-clock seconds before the child is killed.
    memory_limit : int or None
        Address-space limit of the child in bytes; ``None``: :data:`DEFAULT_MEMORY_LIMIT`
        plus four times the file size.

    Returns
    -------
    ValidationReport
        As :func:`validate_model_bytes` returns it, or a refusal naming the limit the model
        hit (or how the child ended). A load's check (``runs=0``) of bytes that passed before
        in this process reuses that verdict (without latency figures).
    """
    path = Path(path)
    sha = sha256 or hashlib.sha256(data).hexdigest()
    if runs == 0 and latency_budget_ms is None:
        with _memo_lock:
            if sha in _memo:
                _memo.move_to_end(sha)
                return dataclasses.replace(_memo[sha], path=path, p99_ms=None, p50_ms=None, runs=0)
    limit = memory_limit if memory_limit is not None else DEFAULT_MEMORY_LIMIT + 4 * len(data)
    report = _run_child(data, path, sha, latency_budget_ms, runs, time_limit_s, limit)
    if report.ok and latency_budget_ms is None:  # a later load of these bytes needs no child
        with _memo_lock:
            _memo[sha] = report
            while len(_memo) > _MEMO_SIZE:
                _memo.popitem(last=False)
    return report


def _refusal(path: Path, sha: str, reason: str) -> Any:
    from bci_desktop.core.inference.validation import ValidationReport

    logger.info("Model %s refused: %s", path.name, reason)
    return ValidationReport(path, False, (reason,), sha256=sha)


def _run_child(
    data: bytes,
    path: Path,
    sha: str,
    budget: float | None,
    runs: int,
    time_limit_s: float,
    memory_limit: int,
) -> Any:
    from bci_desktop.core.jsonsafe import dumps_strict

    header = dumps_strict({"path": str(path), "sha256": sha, "budget": budget, "runs": runs})
    command = child_command(memory_limit, max(1, int(time_limit_s) + 1))
    try:
        done = subprocess.run(
            command,
            input=header.encode("utf-8") + b"\n" + data,
            capture_output=True,
            timeout=time_limit_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _refusal(path, sha, _time_reason(time_limit_s))
    except OSError as exc:
        return _refusal(path, sha, f"the process that checks models cannot start ({exc})")
    if done.stderr:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        logger.debug("Model check of %s said on stderr: %s", path.name, " | ".join(tail))
    if done.returncode != 0 or not done.stdout:
        return _refusal(path, sha, _death_reason(done.returncode, time_limit_s, memory_limit))
    return _parse_answer(done.stdout, path, sha)


def _parse_answer(raw: bytes, path: Path, sha: str) -> Any:
    from bci_desktop.core import jsonsafe
    from bci_desktop.core.errors import ModelError
    from bci_desktop.core.inference.metadata import ModelMetadata
    from bci_desktop.core.inference.validation import ValidationReport

    try:
        if len(raw) > _MAX_ANSWER:
            raise ValueError("the answer is too large")
        answer = jsonsafe.loads(raw)
        meta = answer.get("metadata")
        metadata = None if meta is None else ModelMetadata.from_dict(meta)
        return ValidationReport(
            path=path,
            ok=bool(answer["ok"]),
            reasons=tuple(str(r) for r in answer["reasons"]),
            metadata=metadata,
            sha256=sha,
            p99_ms=answer.get("p99_ms"),
            p50_ms=answer.get("p50_ms"),
            budget_ms=answer.get("budget_ms"),
            runs=int(answer.get("runs") or 0),
        )
    except (ValueError, TypeError, KeyError, AttributeError, ModelError) as exc:
        return _refusal(path, sha, f"the model check gave an unreadable answer ({exc})")


def _time_reason(limit: float) -> str:
    return (
        f"running its checks took longer than {limit:g} s (a graph that runs this long "
        "cannot classify in real time, or never ends); it was stopped"
    )


def _death_reason(code: int, limit_s: float, memory: int) -> str:
    import signal

    def killed_by(*names: str) -> bool:
        return any(hasattr(signal, n) and code == -getattr(signal, n) for n in names)

    if killed_by("SIGXCPU", "SIGKILL"):
        return _time_reason(limit_s)
    if code == 3 or killed_by("SIGABRT", "SIGSEGV", "SIGBUS"):
        # 3: MemoryError in Python; onnxruntime aborts (std::bad_alloc) when memory runs out
        return (
            f"running it needs more than {memory / 2**30:.1f} GB of memory (the limit for a "
            f"model), or it crashed the process that checks it (exit code {code})"
        )
    return f"the process that checks it ended without an answer (exit code {code})"


# -- the child ------------------------------------------------------------------------------
def child_main(argv: list[str]) -> int:
    """Entry point of the checking child: limits first, then validate what stdin holds.

    ``argv`` is ``[memory_limit_bytes, cpu_seconds]``. Exit codes: 0 an answer was written
    (the model may still be refused), 2 bad arguments, 3 out of memory.
    """
    try:
        memory, cpu = int(argv[0]), int(argv[1])
    except (IndexError, ValueError):
        sys.stderr.write("usage: sandbox MEMORY_BYTES CPU_SECONDS < header+model\n")
        return 2
    _limit(memory, cpu)
    try:
        return _check_stdin()
    except MemoryError:
        return 3


def _limit(memory: int, cpu: int) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: the parent's wall clock is the only limit
        logging.getLogger(__name__).debug("No resource limits on this platform")
        return
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _check_stdin() -> int:
    from bci_desktop.core import jsonsafe
    from bci_desktop.core.inference.validation import validate_model_bytes

    stream = sys.stdin.buffer
    header = jsonsafe.loads(stream.readline())
    data = stream.read()
    report = validate_model_bytes(
        data,
        header["path"],
        sha256=header["sha256"],
        latency_budget_ms=header["budget"],
        runs=int(header["runs"]),
    )
    answer = report.to_dict()
    answer["metadata"] = None if report.metadata is None else report.metadata.to_dict()
    sys.stdout.write(jsonsafe.dumps_strict(answer))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main(sys.argv[1:]))
