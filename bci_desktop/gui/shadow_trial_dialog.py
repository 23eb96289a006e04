"""The Try in shadow dialog: choose, watch the live comparison, promote or discard."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QPainter, QPaintEvent
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.errors import BCIError
from bci_desktop.core.inference.model_choice import fits_channels
from bci_desktop.core.inference.trial import (
    CONFIDENCE_BINS,
    TrialDecision,
    TrialFigures,
    TrialRequest,
    TrialThresholds,
    Verdict,
)
from bci_desktop.core.session import StreamState, TrialEnded, TrialStatus

if TYPE_CHECKING:
    from bci_desktop.gui.shadow_trial import ShadowTrialLauncher

__all__ = ["ROWS", "ShadowTrialDialog"]

logger = logging.getLogger(__name__)

#: The comparison's rows, in order.
ROWS = (
    "Hops compared",
    "Agreement with the model in use",
    "Accuracy",
    "Withheld",
    "Latency p50",
    "Latency p99",
    "Mean confidence",
    "Drift (mean, alarm)",
)
CANDIDATE_COLOUR, ACTIVE_COLOUR = "#1c7ed6", "#868e96"


class _Histograms(QWidget):
    """The two confidence distributions, side by side per tenth (candidate blue)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.candidate: tuple[int, ...] = ()
        self.active: tuple[int, ...] = ()
        self.setMinimumHeight(70)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(
            "Confidence of each model's predictions, in tenths from 0 (left) to 1 (right): "
            "candidate in blue, the model in use in grey"
        )

    def set_counts(self, candidate: tuple[int, ...], active: tuple[int, ...]) -> None:
        self.candidate, self.active = candidate, active
        self.update()

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        w, h = self.width(), self.height()
        text_h = p.fontMetrics().height()
        top = max(h - text_h - 4, 10)
        peak = max([*self.candidate, *self.active, 1])
        slot = w / CONFIDENCE_BINS
        for i in range(CONFIDENCE_BINS):
            for j, (counts, colour) in enumerate(
                ((self.candidate, CANDIDATE_COLOUR), (self.active, ACTIVE_COLOUR))
            ):
                n = counts[i] if i < len(counts) else 0
                bar = top * n / peak
                x = i * slot + 2 + j * (slot - 4) / 2
                p.fillRect(QRectF(x, top - bar, (slot - 4) / 2, bar), QColor(colour))
        p.setPen(self.palette().windowText().color())
        p.drawText(0, top + 2, w, text_h, int(Qt.AlignmentFlag.AlignLeft), "confidence 0")
        p.drawText(0, top + 2, w, text_h, int(Qt.AlignmentFlag.AlignRight), "1")
        p.end()


class ShadowTrialDialog(QDialog):
    """Non-modal dialog of one shadow trial at a time.

    Attributes tests can read
    -------------------------
    status_text : str
    verdict_text : str
    checks_text : str
    figures : TrialFigures or None
    """

    def __init__(self, launcher: ShadowTrialLauncher, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.launcher = launcher
        self.setWindowTitle("Try a model in shadow")
        self.setModal(False)
        self.figures: TrialFigures | None = None
        self.decision: TrialDecision | None = None
        self._ended = False
        self._candidates: list[str] = []

        intro = QLabel(
            "The candidate runs on the same live windows beside the model in use, unseen: "
            "its predictions are compared, never shown as the state. At the end, promote it "
            "(it becomes the active model) or discard it. Every trial is kept in the model "
            "history."
        )
        intro.setWordWrap(True)
        self.candidate_box = QComboBox()
        self.candidate_box.setToolTip("Models of the registry with the same classes")
        self.minutes_box = QDoubleSpinBox()
        self.minutes_box.setRange(1.0, 240.0)
        self.minutes_box.setDecimals(1)
        self.minutes_box.setValue(10.0)
        self.minutes_box.setSuffix(" min")
        self.in_use_label = QLabel("")
        choose = QFormLayout()
        choose.addRow("Model in use", self.in_use_label)
        choose.addRow("Candidate", self.candidate_box)
        choose.addRow("Length", self.minutes_box)

        self.threshold_boxes = self._threshold_boxes()
        rules = QGroupBox("Promote only if")
        rules_form = QFormLayout(rules)
        for label, box in self.threshold_boxes.values():
            rules_form.addRow(label, box)

        self.start_button = QPushButton("Start trial")
        self.start_button.clicked.connect(self.start_trial)
        self.stop_button = QPushButton("Stop now")
        self.stop_button.clicked.connect(lambda _=False: self.launcher.stop())
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setMinimumHeight(4 * self.status.fontMetrics().height())

        self.table = QTableWidget(len(ROWS), 2)
        self.table.setHorizontalHeaderLabels(["Candidate", "In use"])
        self.table.setVerticalHeaderLabels(list(ROWS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(self.table.verticalHeader().length() + 40)
        self.truth_note = QLabel("")
        self.truth_note.setWordWrap(True)
        self.histograms = _Histograms()
        self.verdict = QLabel("")
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.verdict.setFont(font)
        self.checks = QLabel("")
        self.checks.setWordWrap(True)
        self.checks.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.checks.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.checks.setMinimumHeight(8 * self.checks.fontMetrics().height())
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.promote_button = QPushButton("Promote")
        self.promote_button.setToolTip("Make the candidate the active model, now")
        self.promote_button.clicked.connect(self.promote)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Keep the model in use")
        self.discard_button.clicked.connect(self.discard)
        close = QPushButton("Close")
        close.clicked.connect(self.close)

        left = QVBoxLayout()
        left.addWidget(intro)
        left.addLayout(choose)
        left.addWidget(rules)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        left.addLayout(buttons)
        left.addWidget(self.status)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.table)
        right.addWidget(self.truth_note)
        right.addWidget(self.histograms)
        right.addWidget(self.verdict)
        right.addWidget(self.checks)
        right.addStretch(1)
        decide_row = QHBoxLayout()
        decide_row.addStretch(1)
        decide_row.addWidget(self.promote_button)
        decide_row.addWidget(self.discard_button)
        decide_row.addWidget(close)
        right.addLayout(decide_row)
        columns = QHBoxLayout(self)
        columns.addLayout(left, 2)
        columns.addLayout(right, 3)
        self.resize(1000, 560)
        self._show_figures(None, None)
        self._enable()

    # -- texts for tests and users --------------------------------------------------------
    @property
    def status_text(self) -> str:
        return self.status.text()

    @property
    def verdict_text(self) -> str:
        return self.verdict.text()

    @property
    def checks_text(self) -> str:
        return self.checks.text()

    def rows(self) -> dict[str, tuple[str, str]]:
        """The comparison as shown: row name -> (candidate, in use)."""
        out = {}
        for r, name in enumerate(ROWS):
            cells = [self.table.item(r, c) for c in range(2)]
            out[name] = tuple("" if c is None else c.text() for c in cells)
        return out

    # -- choosing -------------------------------------------------------------------------
    def _threshold_boxes(self) -> dict[str, tuple[str, Any]]:
        th = TrialThresholds()

        def spin(value: int) -> QSpinBox:
            box = QSpinBox()
            box.setRange(1, 1_000_000)
            box.setValue(value)
            box.setSuffix(" hops")
            return box

        def share(value: float, suffix: str) -> QDoubleSpinBox:
            box = QDoubleSpinBox()
            box.setRange(0.0, 100.0)
            box.setDecimals(1)
            box.setValue(100 * value)
            box.setSuffix(suffix)
            return box

        boxes = {
            "min_compared": ("compared at least", spin(th.min_compared)),
            "max_accuracy_loss": (
                "accuracy lower by at most",
                share(th.max_accuracy_loss, " points"),
            ),
            "min_agreement": ("without a truth, agreement ≥", share(th.min_agreement, " %")),
            "max_withheld_increase": (
                "withheld higher by at most",
                share(th.max_withheld_increase, " points"),
            ),
            "max_drift_alarm_share": (
                "drift alarm on at most",
                share(th.max_drift_alarm_share, " % of predictions"),
            ),
        }
        tips = {
            "min_compared": "Hops where both models gave a label (4 per second)",
            "max_accuracy_loss": "Against the simulated subject's truth or calibration labels",
            "min_agreement": "With no truth known, nothing shows the candidate is better",
            "max_withheld_increase": "More withheld windows than the model in use",
            "max_drift_alarm_share": "The candidate's own drift alarm",
        }
        for key, (_, box) in boxes.items():
            box.setToolTip(tips[key])
        return boxes

    def thresholds(self) -> TrialThresholds:
        """The thresholds as set in the dialog."""
        b = {k: box for k, (_, box) in self.threshold_boxes.items()}
        return TrialThresholds(
            min_compared=int(b["min_compared"].value()),
            max_accuracy_loss=b["max_accuracy_loss"].value() / 100,
            min_agreement=b["min_agreement"].value() / 100,
            max_withheld_increase=b["max_withheld_increase"].value() / 100,
            max_drift_alarm_share=b["max_drift_alarm_share"].value() / 100,
        )

    def in_use(self) -> str:
        """The model the stream uses (else the registry's active one)."""
        models = self.launcher.models
        return models.live_label() or models.stream_model or models.known_active_label

    def reload(self) -> None:
        """List the candidates: registry models with the classes of the model in use."""
        in_use = self.in_use()
        self.in_use_label.setText(in_use)
        try:
            entries = self.launcher.models.entries()
        except BCIError as exc:
            self.say(f"The model registry cannot be read: {exc}")
            entries = []
        classes = next((set(e.classes) for e in entries if e.label == in_use), None)
        current = self.candidate_box.currentText()
        stream = self.launcher.window_.live.channel_names
        self._candidates = [
            e.label
            for e in entries
            if e.label != in_use
            and (classes is None or set(e.classes) == classes)
            and (not stream or fits_channels(e, stream))
        ]
        self.candidate_box.clear()
        self.candidate_box.addItems(self._candidates)
        if current in self._candidates:
            self.candidate_box.setCurrentText(current)
        if not self._candidates:
            self.say(
                f"No other model predicts the classes of {in_use} from this stream's "
                "channels: import one (Models > Manage models…) to try it."
            )
        self._enable()

    def start_trial(self) -> None:
        """Start the trial of the chosen candidate."""
        ref = self.candidate_box.currentText()
        if not ref:
            self.say("Choose a candidate first.")
            return
        try:
            request = TrialRequest(ref, float(self.minutes_box.value()), self.thresholds())
        except BCIError as exc:
            self.say(str(exc))
            return
        if self.launcher.start(request):
            self._ended = False
            self.figures = self.decision = None
            self._show_figures(None, None)
            self.say(f"Starting the trial of {ref}…")
        self._enable()

    # -- the trial ----------------------------------------------------------------------
    def show_trial(self, message: TrialStatus | TrialEnded) -> None:
        """A trial's figures (live) or its end."""
        if isinstance(message, TrialStatus):
            self._ended = False
            f = message.figures
            length = "" if message.minutes is None else f" of {message.minutes:g}"
            self.say(f"Running: {f.stream_s / 60:.1f}{length} min of stream.")
            self._show_figures(f, message.decision, final=False)
        else:
            record = message.record
            self._ended = True
            self.say(
                f"Ended ({record.why_ended}). The figures are kept in the model history."
                + (f" {message.saved_error}." if message.saved_error else "")
            )
            self._show_figures(record.figures, record.decision, final=True)
        self._enable()

    def stream_state_changed(self, state: StreamState) -> None:
        if not state.live and self.launcher.running:
            self.say("The stream stopped: the trial ends with it.")
        self._enable()

    def say(self, text: str) -> None:
        """Show one line of status."""
        self.status.setText(text)

    def promote(self) -> None:
        """Activate the candidate (validated again) and switch the stream to it."""
        figures = self.figures
        if figures is None:
            return
        label = figures.candidate
        self.say(f"Promoting {label}: validating it again…")
        self.promote_button.setEnabled(False)

        def done(entry: Any, error: BaseException | None) -> None:
            if error is not None:
                self.say(f"{label} was not promoted: {error}")
            else:
                self.say(f"Promoted: {label} is the active model now (Roll back undoes it).")
            self.reload()

        self.launcher.models.activate(label, done)

    def discard(self) -> None:
        """Keep the model in use."""
        if self.figures is not None:
            self.say(f"Discarded {self.figures.candidate}; {self.figures.active} stays in use.")
        self._ended = False
        self.figures = self.decision = None
        self._show_figures(None, None)
        self._enable()

    # -- drawing ------------------------------------------------------------------------
    def _show_figures(
        self, f: TrialFigures | None, decision: TrialDecision | None, *, final: bool = False
    ) -> None:
        self.figures, self.decision = f, decision
        if f is None:
            for r in range(len(ROWS)):
                for c in range(2):
                    self.table.setItem(r, c, QTableWidgetItem("–"))
            self.histograms.set_counts((), ())
            self.truth_note.setText("")
            self.verdict.setText("")
            self.checks.setText("")
            return
        values = {
            "Hops compared": (f"{f.compared} of {f.hops}", ""),
            "Agreement with the model in use": (_pct(f.agreement), ""),
            "Accuracy": (_pct(f.candidate_accuracy), _pct(f.active_accuracy)),
            "Withheld": (_pct(f.candidate_withheld), _pct(f.active_withheld)),
            "Latency p50": (_ms(f.candidate_p50_ms), _ms(f.active_p50_ms)),
            "Latency p99": (
                f"{_ms(f.candidate_p99_ms)} (budget {f.candidate_budget_ms:g} ms)",
                _ms(f.active_p99_ms),
            ),
            "Mean confidence": (_num(f.candidate_confidence), _num(f.active_confidence)),
            "Drift (mean, alarm)": (
                "–"
                if f.candidate_drift is None
                else f"{f.candidate_drift:.2f}, {_pct(f.candidate_drift_alarm_share)}",
                "",
            ),
        }
        for r, name in enumerate(ROWS):
            for c, text in enumerate(values[name]):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.histograms.set_counts(f.candidate_histogram, f.active_histogram)
        self.truth_note.setText(
            f"Accuracy against the {f.truth_source}, over {f.labelled} hops."
            if f.truth_source
            else "No truth known (no simulated subject, no calibration block): accuracy "
            "cannot be measured; agreement decides."
        )
        if decision is not None:
            word = decision.verdict.value.upper()
            self.verdict.setText(f"Decision: {word}" if final else f"Decision so far: {word}")
            colour = "#2b8a3e" if decision.verdict is Verdict.PROMOTE else "#c92a2a"
            self.verdict.setStyleSheet(f"QLabel {{ color: {colour}; }}")
            self.checks.setText(
                "\n".join(f"{'✓' if ok else '✗'} {text}" for text, ok in decision.checks)
            )
        if f.stopped:
            self.checks.setText(self.checks.text() + f"\nStopped: {f.stopped}")

    def _enable(self) -> None:
        live = self.launcher.window_.stream_state.live
        running = self.launcher.running
        self.start_button.setEnabled(live and not running and bool(self._candidates))
        self.stop_button.setEnabled(running)
        for _, box in self.threshold_boxes.values():
            box.setEnabled(not running)
        self.candidate_box.setEnabled(not running)
        self.minutes_box.setEnabled(not running)
        promote = (
            self._ended and self.decision is not None and self.decision.verdict is Verdict.PROMOTE
        )
        self.promote_button.setEnabled(promote)
        self.discard_button.setEnabled(self._ended)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} ms"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
