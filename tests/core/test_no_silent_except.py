"""No ``except`` clause in the app swallows an error silently.

Every handler under ``bci_desktop/`` is read from the source (``ast``) and must:

- name what it catches (no bare ``except:``);
- do something: a body of only ``pass`` or ``...`` is refused whatever it catches;
- when it catches broadly (``Exception``, ``BaseException``), re-raise, log, show it
  (a Qt signal's ``emit``), or use the caught exception (to pass it on or word a message).

Narrow handlers that turn an expected outcome into a value (``ValueError`` from parsing a
date into ``None``, ``FileNotFoundError`` into "no settings yet") are allowed; the
error-swallowing shapes the reliability issue forbids are not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bci_desktop

PACKAGE = Path(bci_desktop.__file__).parent
BROAD = {"Exception", "BaseException"}
REPORTING_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "log", "emit"}


def _handlers() -> list[tuple[str, ast.ExceptHandler]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(PACKAGE.parent)
        found += [
            (f"{rel}:{n.lineno}", n) for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)
        ]
    return found


def _caught(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return {"<bare>"}
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "?") for n in nodes}


def _reports(handler: ast.ExceptHandler) -> bool:
    for node in ast.walk(handler):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Name) and handler.name and node.id == handler.name:
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in REPORTING_CALLS:
                return True
    return False


def _does_nothing(handler: ast.ExceptHandler) -> bool:
    return all(
        isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        for s in handler.body
    )


HANDLERS = _handlers()


def test_the_package_has_handlers_to_check() -> None:
    assert len(HANDLERS) > 100  # the walk found the app's code, not an empty folder


def _problem(where: str, handler: ast.ExceptHandler) -> str | None:
    caught = _caught(handler)
    what = f"'except {', '.join(sorted(caught))}'"
    if "<bare>" in caught:
        return f"{where}: bare 'except:' catches everything; say what"
    if _does_nothing(handler):
        return f"{where}: {what} does nothing"
    if caught & BROAD and not _reports(handler):
        return f"{where}: {what} neither re-raises, logs, emits nor uses the exception"
    return None


def test_no_handler_swallows_an_error_silently() -> None:
    problems = [p for where, h in HANDLERS if (p := _problem(where, h)) is not None]
    assert problems == []


def test_the_checks_catch_what_they_forbid() -> None:
    """The rules reject the shapes they are for (so a passing run means something)."""
    src = """
try: f()
except: g()
try: f()
except ValueError: pass
try: f()
except Exception: x = 1
try: f()
except Exception as exc: logger.error("failed: %s", exc)
"""
    bare, empty, broad, fine = [
        n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ExceptHandler)
    ]
    assert _caught(bare) == {"<bare>"}
    assert _does_nothing(empty)
    assert _caught(broad) == {"Exception"} and not _reports(broad)
    assert _reports(fine) and not _does_nothing(fine)
