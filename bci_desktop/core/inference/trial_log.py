"""The registry's history of shadow trials: every trial's figures and decision, kept.

Each finished trial (promoted, discarded, stopped) is one JSON line in ``trials.jsonl``
beside the registry's ``index.json`` (:attr:`ModelRegistry.root
<bci_desktop.core.inference.registry.ModelRegistry.root>`), appended under an advisory
lock, so the command line and the window can both write. ``bci-desktop models list`` shows
each model's last trial; ``--json`` gives all of its fields. The newest
:data:`MAX_RECORDS` trials are kept. A damaged line is skipped with a warning, never fatal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.trial import (
    TrialDecision,
    TrialFigures,
    TrialThresholds,
    Verdict,
    decide,
)

try:  # advisory lock between the window's acquisition process and the CLI; POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["MAX_RECORDS", "TRIALS_FILE", "TrialLog", "TrialRecord"]

logger = logging.getLogger(__name__)

TRIALS_FILE = "trials.jsonl"
#: How many trials are kept (the oldest go first).
MAX_RECORDS = 200
_SCHEMA = "bci-desktop-trial/1"


@dataclass(frozen=True)
class TrialRecord:
    """One finished trial.

    Attributes
    ----------
    figures : TrialFigures
    thresholds : TrialThresholds
    decision : TrialDecision
        As judged when the trial ended.
    ended : str
        When it ended (ISO 8601, UTC).
    why_ended : str
        ``"10 min of stream done"``, ``"stopped by the user"``, ...
    source : str
        What streamed (e.g. ``"the simulated subject"``).
    """

    figures: TrialFigures
    thresholds: TrialThresholds
    decision: TrialDecision
    ended: str
    why_ended: str
    source: str = ""

    @classmethod
    def now(
        cls,
        figures: TrialFigures,
        thresholds: TrialThresholds,
        *,
        why_ended: str,
        source: str = "",
    ) -> TrialRecord:
        """A record of a trial ending now (the decision judged on ``figures``)."""
        return cls(
            figures,
            thresholds,
            decide(figures, thresholds),
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            why_ended,
            source,
        )

    @property
    def verdict(self) -> Verdict:
        """Promote or discard."""
        return self.decision.verdict

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of one line of the log."""
        return {
            "schema": _SCHEMA,
            "ended": self.ended,
            "why_ended": self.why_ended,
            "source": self.source,
            "verdict": self.decision.verdict.value,
            "checks": [{"check": text, "passed": ok} for text, ok in self.decision.checks],
            "thresholds": self.thresholds.to_dict(),
            "figures": self.figures.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: Any) -> TrialRecord:
        """From :meth:`to_dict`'s output.

        Raises
        ------
        ConfigError
            If it is not such a record.
        """
        if not isinstance(raw, dict) or raw.get("schema") != _SCHEMA:
            raise ConfigError("not a trial record")
        try:
            checks = tuple((str(c["check"]), bool(c["passed"])) for c in raw["checks"])
            decision = TrialDecision(Verdict(raw["verdict"]), checks)
            return cls(
                TrialFigures.from_dict(raw["figures"]),
                TrialThresholds.from_dict(raw["thresholds"]),
                decision,
                str(raw["ended"]),
                str(raw.get("why_ended", "")),
                str(raw.get("source", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"malformed trial record ({exc})") from exc

    def summary(self) -> str:
        """One line, e.g. ``"discard 2026-11-02: accuracy 46.0% vs 90.9% ..."``."""
        f = self.figures
        day = self.ended[:10]
        if f.candidate_accuracy is not None and f.active_accuracy is not None:
            figure = (
                f"accuracy {100 * f.candidate_accuracy:.1f}% vs {100 * f.active_accuracy:.1f}% "
                f"({f.active})"
            )
        elif f.agreement is not None:
            figure = f"agreement {100 * f.agreement:.1f}% with {f.active}"
        else:
            figure = "no comparison"
        stopped = f", stopped: {f.stopped}" if f.stopped else ""
        return f"{self.verdict.value} {day}: {figure}, {f.stream_s / 60:.1f} min{stopped}"


class TrialLog:
    """The trials file of a registry folder.

    Parameters
    ----------
    root : Path
        The registry's folder (:attr:`ModelRegistry.root`).
    """

    def __init__(self, root: str | Path) -> None:
        self.path = Path(root) / TRIALS_FILE

    def append(self, record: TrialRecord) -> None:
        """Keep ``record`` (and at most the :data:`MAX_RECORDS` newest).

        Raises
        ------
        OSError
            If the file cannot be written (a full disk).
        """
        line = json.dumps(record.to_dict(), allow_nan=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            lines = self._lines()
            if len(lines) > MAX_RECORDS:
                tmp = self.path.with_name(f".{TRIALS_FILE}.{os.getpid()}.tmp")
                tmp.write_text("".join(lines[-MAX_RECORDS:]), encoding="utf-8")
                os.replace(tmp, self.path)

    def records(self) -> list[TrialRecord]:
        """Every kept trial, oldest first (damaged lines skipped with a warning)."""
        out = []
        for n, line in enumerate(self._lines(), start=1):
            try:
                out.append(TrialRecord.from_dict(json.loads(line)))
            except (ValueError, ConfigError) as exc:
                logger.warning("Skipped line %d of %s: %s", n, self.path, exc)
        return out

    def latest_by_model(self) -> dict[str, TrialRecord]:
        """The last trial of each candidate, by ``name@version``."""
        return {r.figures.candidate: r for r in self.records()}

    def _lines(self) -> list[str]:
        try:
            with open(self.path, encoding="utf-8", errors="replace") as fh:
                return [line for line in fh if line.strip()]
        except FileNotFoundError:
            return []
        except OSError as exc:
            logger.warning("Cannot read the trial history %s: %s", self.path, exc)
            return []

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        with open(self.path.with_name(".trials.lock"), "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
