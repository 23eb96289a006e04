"""The calibration's last steps: train in the background, show the verdict, activate.

:class:`TrainingFlow` runs :func:`~bci_desktop.core.calibration.train.train_personal_model`
off the GUI thread (the permutation test reports its progress), shows the outcome on the
result page, and activates the model only when it is better than chance or the user said
to activate it anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QObject, pyqtSignal

from bci_desktop.core.calibration.train import LabelSource, TrainReport
from bci_desktop.core.inference.registry import user_models_dir
from bci_desktop.gui.background import BackgroundRunner
from bci_desktop.gui.calibration_result import ResultPage

if TYPE_CHECKING:
    from bci_desktop.gui.model_manager import ModelManager

__all__ = ["TrainingFlow"]

logger = logging.getLogger(__name__)


class TrainingFlow(QObject):
    """Training, verdict and activation of a personal model.

    Signals
    -------
    finished(object)
        Training ended: the TrainReport (whatever the verdict), or ``None`` when it failed.

    Attributes
    ----------
    report : TrainReport or None
        The last training's outcome.
    busy : bool
        True while training.
    """

    finished = pyqtSignal(object)
    _progress = pyqtSignal(int, int)  # emitted from the training thread

    def __init__(
        self,
        page: ResultPage,
        manager: ModelManager,
        tell: Callable[[str], None],
        live: Callable[[], bool],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.page = page
        self.manager = manager
        self._tell = tell
        self._live = live
        self.report: TrainReport | None = None
        self.busy = False
        self.failed = False
        self._sessions: list[Path] = []
        self._runner = BackgroundRunner("bci-calibration", self)
        self._progress.connect(self.page.show_progress)

    def train(
        self,
        sessions: list[Path],
        subject: str,
        source: LabelSource,
        leave_out: tuple[str, ...],
    ) -> None:
        """Train on ``sessions`` in the background; the result page shows the outcome."""
        from bci_desktop.core.calibration.train import train_personal_model

        self.busy, self.failed, self.report = True, False, None
        self._sessions = list(sessions)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = user_models_dir() / f"personal-{subject}-{stamp}.onnx"
        self.page.show_training(self._sessions)
        self._tell(f"Training on {', '.join(p.name for p in sessions)}…")

        def work() -> TrainReport:
            out.parent.mkdir(parents=True, exist_ok=True)
            return train_personal_model(
                sessions,
                out,
                name=f"personal-{subject}",
                version=stamp,
                label_source=source,
                leave_out=leave_out,
                subject=subject,
                progress=lambda done, total: self._progress.emit(done, total),
            )

        self._runner.submit(work, self._done)

    def _done(self, report: Any, error: BaseException | None) -> None:
        self.busy = False
        if error is not None:
            self.failed = True
            self._tell(f"Training failed: {error} The recordings are kept.")
            self.page.show_failure(f"Training failed: {error} The recordings are kept.")
            self.finished.emit(None)
            return
        assert isinstance(report, TrainReport)
        self.report = report
        self.page.show_report(report, self._sessions)
        self._tell(f"Trained {report.metadata.label}: {report.verdict.sentence()}")
        logger.info("Calibration trained:\n%s", report.summary())
        self.finished.emit(report)

    def activate(self) -> bool:
        """Import the model and make it active, if allowed (better than chance, or the
        user's override); False when refused."""
        report = self.report
        if report is None or not self.page.may_activate:
            return False
        self.page.show_activating(report.metadata.label)
        self.manager.import_and_activate(report.path, self._activated)
        return True

    def _activated(self, entry: Any, error: BaseException | None) -> None:
        if error is not None:
            text = f"Not activated: {error} The active model is unchanged."
        else:
            text = f"{entry.label} is active" + (
                "; the live stream switches to it now." if self._live() else "."
            )
        self._tell(text)
        self.page.show_activated(text, error is None)
