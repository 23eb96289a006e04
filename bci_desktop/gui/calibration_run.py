"""The calibration's run page: instructions, stimuli, the self-report, the fixation cross.

What it shows follows the :class:`~bci_desktop.core.calibration.run.View` the flow hands
it on every tick:

- instructions (before a block, and during a block without images or video): the state's
  name and its recall instructions in large type;
- a block with stimuli: each image full size on black with the state's short cue under
  it; a video drawn frame by frame; audio played while the instructions stay on screen;
- the self-report (:class:`~bci_desktop.gui.sam.RatingView`), which takes the focus;
- a rest: a neutral fixation cross on grey.

A line at the bottom says where the calibration is, with a countdown, the progress and
Cancel (Esc).
"""

from __future__ import annotations

import logging

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from bci_desktop.core.calibration.run import Step, View
from bci_desktop.core.calibration.stimuli import StimulusKind
from bci_desktop.gui.sam import RatingView
from bci_desktop.gui.stimulus_media import ImageView, MediaPlayer, VideoView

__all__ = ["FixationView", "InstructionView", "RunPage"]

logger = logging.getLogger(__name__)


def _clock(seconds: float) -> str:
    s = max(0, int(seconds + 0.999))
    return f"{s // 60}:{s % 60:02d}"


class FixationView(QWidget):
    """A neutral fixation cross on a mid-grey background."""

    def paintEvent(self, event: QPaintEvent) -> None:
        """Grey, a cross in the middle."""
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#808080"))
        size = max(24, min(self.width(), self.height()) // 12)
        thick = max(3, size // 8)
        cx, cy = self.width() // 2, self.height() // 2
        p.fillRect(cx - size // 2, cy - thick // 2, size, thick, QColor("#1a1a1a"))
        p.fillRect(cx - thick // 2, cy - size // 2, thick, size, QColor("#1a1a1a"))
        p.end()


class InstructionView(QWidget):
    """The state's name and its instructions in large type."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.state_label = QLabel()
        self.text_label = QLabel()
        self.note_label = QLabel()
        for label in (self.heading, self.state_label, self.text_label, self.note_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(60, 30, 60, 30)
        layout.addStretch(1)
        layout.addWidget(self.heading)
        layout.addWidget(self.state_label)
        layout.addSpacing(16)
        layout.addWidget(self.text_label)
        layout.addSpacing(12)
        layout.addWidget(self.note_label)
        layout.addStretch(1)
        self.scale(800)

    def scale(self, height: int) -> None:
        """Size the type for a page ``height`` pixels tall."""
        for label, share, bold in (
            (self.heading, 28, False),
            (self.state_label, 9, True),
            (self.text_label, 24, False),
            (self.note_label, 36, False),
        ):
            f = QFont(label.font())
            f.setPixelSize(max(14, height // share))
            f.setBold(bold)
            label.setFont(f)

    def show_text(self, heading: str, state: str, text: str, note: str = "") -> None:
        """Show these lines (unchanged ones are not set again)."""
        for label, value in (
            (self.heading, heading),
            (self.state_label, state),
            (self.text_label, text),
            (self.note_label, note),
        ):
            if label.text() != value:
                label.setText(value)


class RunPage(QWidget):
    """Shows the calibration's steps (see the module docstring).

    Signals
    -------
    clip_ended()
        The audio or video clip of the block ended (or could not play).
    rated(SelfReport)
        The person confirmed the self-report.

    Attributes tests can read
    -------------------------
    current : str
        What is on screen: ``"instructions"``, ``"image"``, ``"video"``, ``"rating"``,
        ``"fixation"`` or ``"waiting"``.
    instructions, image_view, video_view, rating, fixation : the views
    player : MediaPlayer
    progress : QProgressBar
    """

    clip_ended = pyqtSignal()
    rated = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calibration_run")
        self.instructions = InstructionView()
        self.image_view = ImageView()
        self.video_view = VideoView()
        self.rating = RatingView()
        self.fixation = FixationView()
        self.stack = QStackedWidget()
        self._views = {
            "instructions": self.instructions,
            "waiting": self.instructions,
            "image": self.image_view,
            "video": self.video_view,
            "rating": self.rating,
            "fixation": self.fixation,
        }
        for w in (self.instructions, self.image_view, self.video_view, self.rating, self.fixation):
            self.stack.addWidget(w)
        self.current = "waiting"
        self.player = MediaPlayer(self.video_view, self)
        self.player.ended.connect(self.clip_ended.emit)
        self.rating.submitted.connect(self.rated.emit)
        self._playing_serial = -1

        self.phase_label = QLabel()
        self.countdown_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p% of the blocks done")
        self.progress.setToolTip("Progress through all the blocks")
        self.cancel_button = QPushButton("Cancel (Esc)")
        self.cancel_button.setToolTip(
            "Stop the calibration; the recording is kept and can be resumed later"
        )
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(16, 6, 16, 8)
        bottom.addWidget(self.phase_label)
        bottom.addSpacing(16)
        bottom.addWidget(self.countdown_label)
        bottom.addSpacing(12)
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stack, 1)
        layout.addLayout(bottom)

    # -- reading -----------------------------------------------------------------------------
    @property
    def phase_text(self) -> str:
        """Where the calibration is ("Block 3 of 12 · happy")."""
        return self.phase_label.text()

    @property
    def countdown_text(self) -> str:
        """Time left in this step (m:ss), empty while waiting for a rating."""
        return self.countdown_label.text()

    @property
    def state_text(self) -> str:
        """The state's name in large type (instructions)."""
        return self.instructions.state_label.text()

    def scale_type(self, height: int) -> None:
        """Size the instructions for a page ``height`` pixels tall."""
        self.instructions.scale(height)

    # -- showing -----------------------------------------------------------------------------
    def _switch(self, name: str) -> None:
        if self.current != name:
            self.current = name
            self.stack.setCurrentWidget(self._views[name])
            if name == "rating":
                self.rating.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_waiting(self, text: str) -> None:
        """A message instead of a step (starting, saving)."""
        self.stop_media()
        self.instructions.show_text("", "", text)
        self.phase_label.setText("")
        self.countdown_label.setText("")
        self._switch("waiting")

    def stop_media(self) -> None:
        """Stop a clip that plays."""
        self.player.stop()
        self._playing_serial = -1

    def show_view(self, view: View) -> None:
        """Show the step ``view`` describes."""
        n, i = view.n_blocks, view.block
        state = view.state
        self.progress.setValue(round(1000 * view.progress))
        remaining = "" if view.remaining_s is None else _clock(view.remaining_s)
        self.countdown_label.setText(remaining)
        if view.step is not Step.BLOCK:
            self.stop_media()
        if view.step is Step.PREPARE:
            self.phase_label.setText(f"Block {i + 1} of {n} starts in {remaining}")
            self.instructions.show_text(
                f"Block {i + 1} of {n}: get ready", state.name, state.shown_instructions
            )
            self._switch("instructions")
        elif view.step is Step.BLOCK:
            self.phase_label.setText(f"Block {i + 1} of {n} · {state.name}")
            self._show_block(view)
        elif view.step is Step.RATING:
            self.phase_label.setText(f"Block {i + 1} of {n} · your rating")
            if self.current != "rating":
                self.rating.reset(self.rating.hint_label.text())
            self._switch("rating")
        elif view.step is Step.REST:
            self.phase_label.setText(f"Rest · next: {state.name}")
            self._switch("fixation")
        else:
            self.show_waiting("Done. Saving the recording…")

    def _show_block(self, view: View) -> None:
        stim = view.stimulus
        state = view.state
        if stim is not None and stim.kind is StimulusKind.IMAGE:
            if self.image_view.show_image(stim.path, state.shown_cue):
                self._switch("image")
                return
            stim = None  # undecodable after all: the instructions instead
        if stim is not None and view.shown != self._playing_serial:
            self._playing_serial = view.shown
            self.player.play(stim.path)
        if stim is not None and stim.kind is StimulusKind.VIDEO:
            self._switch("video")
            return
        note = f"♪ {stim.name}" if stim is not None else ""
        self.instructions.show_text("", state.name, state.shown_instructions, note)
        self._switch("instructions")
