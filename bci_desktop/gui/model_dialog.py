"""The model manager dialog: the registry's models as a table, and the actions on them.

Opened by Models > Manage models… (:mod:`bci_desktop.gui.model_manager`). Slow work runs in
the manager's background thread; the dialog shows a busy bar, one status line, and a report
area with the last validation report or refusal, every reason listed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PyQt6.QtCore import QTimer
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.errors import BCIError
from bci_desktop.core.inference.registry import ModelEntry, ModelValidationError
from bci_desktop.core.inference.validation import ValidationReport
from bci_desktop.gui.wording import in_window_words

if TYPE_CHECKING:
    from bci_desktop.gui.model_manager import ModelManager

__all__ = ["COLUMNS", "ModelManagerDialog", "accuracy_text", "refusal_text"]

#: Columns of the model table.
COLUMNS = ("Model", "Active", "Source", "Classes", "Accuracy", "p99 latency")
_FILE_FILTER = "ONNX models (*.onnx);;All files (*)"


def accuracy_text(entry: ModelEntry) -> str:
    """The accuracy a model's metadata reports, with how it was measured."""
    metrics = entry.metrics or {}
    heldout = metrics.get("heldout")
    if isinstance(heldout, dict) and isinstance(heldout.get("accuracy"), int | float):
        return f"{100 * heldout['accuracy']:.1f}% (held out)"
    balanced, chance, p = (
        metrics.get(k) for k in ("cv_balanced_accuracy", "chance_level", "p_value")
    )
    if all(isinstance(v, int | float) for v in (balanced, chance, p)):  # a personal model
        verdict = "" if metrics.get("better_than_chance") else ", NOT better than chance"
        return f"{100 * balanced:.1f}% balanced (chance {100 * chance:.0f}%, p = {p:.2g}{verdict})"
    cv = metrics.get("cv_accuracy")
    if isinstance(cv, int | float):
        return f"{100 * cv:.1f}% (cross-validated)"
    return "–"


def refusal_text(what: str, error: BaseException, active: str) -> str:
    """What the dialog says when a model is refused: every reason, and what stays active."""
    lines = [f"Refused: {what}.", f"The active model is unchanged: {active}."]
    if isinstance(error, ModelValidationError):
        lines.append("Reasons:")
        lines += [f"  • {r}" for r in error.report.reasons]
    else:
        lines.append(f"Reason: {error}")
    return "\n".join(lines)


class ModelManagerDialog(QDialog):
    """The model table and its actions.

    Attributes tests can read
    -------------------------
    table : QTableWidget
        One row per model (:data:`COLUMNS`); the Active column says "active".
    status_text : str
        One line: what is happening or what just happened.
    report_text : str
        The last validation report or refusal, every reason listed.
    import_button, validate_button, activate_button, rollback_button : QPushButton
    """

    def __init__(self, manager: ModelManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self.setWindowTitle("Models")
        self.setObjectName("model_manager")
        self.resize(980, 520)
        self._labels: list[str] = []

        intro = QLabel(
            "Models are validated before they are imported or activated; a model that fails "
            "any check is refused with every reason, and the active model stays active. "
            "Activating a model while streaming switches the stream to it at once, without "
            "reconnecting: the next prediction comes from the new model."
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for i in range(len(COLUMNS)):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Classes"), QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _=None: self.activate_selected())

        self.import_button = self._button(
            "Import…", "Validate an ONNX model file and copy it into your models", self._import
        )
        self.validate_button = self._button(
            "Validate…", "Check a model file against the model contract without importing it",
            self._validate,
        )  # fmt: skip
        self.activate_button = self._button(
            "Activate", "Use the selected model (now, if streaming)", self.activate_selected
        )
        self.rollback_button = self._button(
            "Roll back", "Activate the previously active model again", self.rollback
        )
        close = self._button("Close", "Close this window", self.close)
        buttons = QHBoxLayout()
        for b in (self.import_button, self.validate_button, self.activate_button):
            buttons.addWidget(b)
        buttons.addWidget(self.rollback_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        status_row = QHBoxLayout()
        status_row.addWidget(self.progress)
        status_row.addWidget(self.status_label, 1)
        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText("Validation reports and refusals appear here.")
        self.report_view.setMaximumHeight(150)
        self.report_view.setToolTip("The last validation report or refusal, every reason listed")

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(status_row)
        layout.addWidget(self.report_view)
        manager.runner.busy_changed.connect(self._busy)
        manager.active_changed.connect(lambda _e: self.reload())
        self._watch = QTimer(self)  # confirms a live switch once a prediction carries it
        self._watch.setInterval(250)
        self._watch.timeout.connect(self._check_live)
        self._switch_to = ""

    def _button(self, text: str, tip: str, slot: Callable[[], Any]) -> QPushButton:
        b = QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(lambda _=False: slot())
        return b

    # -- state -----------------------------------------------------------------------------
    @property
    def status_text(self) -> str:
        """The one-line status under the buttons."""
        return self.status_label.text()

    @property
    def report_text(self) -> str:
        """The report area's text."""
        return self.report_view.toPlainText()

    def rows(self) -> list[dict[str, str]]:
        """The table as text, one dict per row (column name -> cell text)."""
        t = self.table
        return [
            {c: (t.item(r, i).text() if t.item(r, i) else "") for i, c in enumerate(COLUMNS)}
            for r in range(t.rowCount())
        ]

    def selected_ref(self) -> str | None:
        """``name@version`` of the selected row."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._labels[rows[0].row()]

    def select(self, label: str) -> bool:
        """Select the row of ``label``; False if it is not listed."""
        if label not in self._labels:
            return False
        self.table.selectRow(self._labels.index(label))
        return True

    def reload(self) -> None:
        """Read the registry again and redraw the table (keeps the selection)."""
        keep = self.selected_ref()
        try:
            entries = self.manager.entries()
        except BCIError as exc:
            self._say(f"Cannot read the model registry: {exc}")
            entries = []
        self.manager.measure_latency(entries, lambda _r, _e: self.reload())
        self._labels = [e.label for e in entries]
        t = self.table
        t.setRowCount(len(entries))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, e in enumerate(entries):
            p99 = self._p99_text(e)
            cells = (
                e.label,
                "active" if e.active else "",
                e.source,
                ", ".join(e.classes),
                accuracy_text(e),
                f"{p99} (budget {e.latency_budget_ms:g} ms)",
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if e.active:
                    item.setFont(bold)
                tip = e.description or e.label
                if e.path is not None:
                    tip += f"\n{e.path}"
                item.setToolTip(tip)
                t.setItem(r, c, item)
        if keep is not None:
            self.select(keep)
        self._update_buttons()

    def _p99_text(self, e: ModelEntry) -> str:
        if e.source == "brainflow":
            return "measured live"
        p99 = self.manager.p99_ms(e)
        if p99 is not None:
            return f"{p99:.3f} ms"
        return "measuring…" if e.sha256 in self.manager.measured else "not measured"

    def _update_buttons(self) -> None:
        busy = self.manager.runner.busy
        ref = self.selected_ref()
        active = self.manager.known_active_label
        self.import_button.setEnabled(not busy)
        self.validate_button.setEnabled(not busy)
        self.activate_button.setEnabled(not busy and ref is not None and ref != active)
        try:
            history = self.manager.registry.history()
        except BCIError:
            history = []
        self.rollback_button.setEnabled(not busy and bool(history))
        self.rollback_button.setToolTip(
            f"Activate {history[-1]} again (the previously active model)"
            if history
            else "No previous model to roll back to"
        )

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self._update_buttons()

    def _say(self, text: str) -> None:
        self.status_label.setText(in_window_words(text))

    def _report(self, text: str) -> None:
        self.report_view.setPlainText(text)

    # -- actions ---------------------------------------------------------------------------
    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a model", "", _FILE_FILTER)
        if path:
            self.import_path(path)

    def _validate(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Validate a model file", "", _FILE_FILTER)
        if path:
            self.validate_path(path)

    def import_path(self, path: str | Path) -> None:
        """Validate and import ``path`` in the background; show the outcome."""
        name = Path(path).name
        self._say(f"Importing {name}: validating it and timing {self.manager.registry.runs} runs…")
        self.manager.import_file(path, lambda e, err: self._imported(name, e, err))
        self._update_buttons()

    def _imported(self, name: str, entry: Any, error: BaseException | None) -> None:
        if error is not None:
            text = refusal_text(f"{name} was not imported", error, self.manager.active_label())
            self._say(f"{name} was refused; the active model is unchanged.")
            self._report(text)
        else:
            assert isinstance(entry, ModelEntry)
            self._say(f"Imported {entry.label}. Select it and press Activate to use it.")
            self._report(
                f"{entry.label}: valid, imported from {name}\n  sha256 {entry.sha256}\n"
                f"  stored as {entry.path}"
            )
        self.reload()
        if entry is not None and error is None:
            self.select(entry.label)

    def validate_path(self, path: str | Path) -> None:
        """Validate ``path`` in the background (nothing is imported); show the report."""
        name = Path(path).name
        self._say(f"Validating {name}: timing {self.manager.registry.runs} runs…")
        self.manager.validate_file(path, lambda rep, err: self._validated(name, rep, err))
        self._update_buttons()

    def _validated(self, name: str, report: Any, error: BaseException | None) -> None:
        if error is not None:
            self._say(f"{name} could not be validated: {error}")
            self._report(str(error))
            return
        assert isinstance(report, ValidationReport)
        self._say(f"{name} is {'valid' if report.ok else 'not valid'} (nothing was imported).")
        self._report(report.summary())

    def activate_selected(self) -> None:
        """Activate the selected model (validated again first)."""
        ref = self.selected_ref()
        if ref is None:
            self._say("Select a model first.")
            return
        self._say(f"Activating {ref}: validating it again…")
        self.manager.activate(ref, lambda e, err: self._switched(ref, e, err))
        self._update_buttons()

    def rollback(self) -> None:
        """Activate the previously active model."""
        self._say("Rolling back to the previous model…")
        self.manager.rollback(lambda e, err: self._switched("the previous model", e, err))
        self._update_buttons()

    def _switched(self, what: str, entry: Any, error: BaseException | None) -> None:
        if error is not None:
            self._say(f"{what} was not activated; the active model is unchanged.")
            self._report(refusal_text(f"{what} was not activated", error, self._active_now()))
            self.reload()
            return
        assert isinstance(entry, ModelEntry)
        streaming = self.manager.window_.stream_state.active
        if streaming:
            self._switch_to = entry.label
            self._say(f"{entry.label} is active; switching the live stream to it…")
            self._watch.start()
        else:
            self._say(f"{entry.label} is active; it will be used when you connect.")
        self._report("")
        self.reload()

    def _active_now(self) -> str:
        return self.manager.active_label()

    def _check_live(self) -> None:
        live = self.manager.live_label()
        if live == self._switch_to or not self.manager.window_.stream_state.active:
            self._watch.stop()
            if live == self._switch_to:
                self._say(f"{self._switch_to} is active; the live stream uses it now.")
