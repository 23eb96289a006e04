"""Built-in inductions of the four states: autobiographical recall and imagery.

Nobody becomes "happy" on command. Emotion research induces states with films (SEED), music
videos (DEAP), pictures (IAPS) or by asking people to relive a moment of their own life
(autobiographical recall), then asks how they felt. These are the recall instructions the
app shows, in large type, before and during each block of a state; a protocol may replace
them or add stimuli of its own (:mod:`bci_desktop.core.calibration.protocol`).

Every instruction keeps the eyes open and on the screen and the body still: closing the
eyes raises posterior alpha far more than any emotion changes it, and movement adds
muscle artefacts, so a model would learn those instead.
"""

from __future__ import annotations

__all__ = ["BUILT_IN", "KEEP_STILL", "Induction", "built_in"]

#: Said with every instruction.
KEEP_STILL = "Keep your eyes open and on the screen, your face and body relaxed and still."


class Induction:
    """The words for one state: the full instructions and a short cue shown with images.

    Attributes
    ----------
    instructions : str
    cue : str
    """

    __slots__ = ("cue", "instructions")

    def __init__(self, instructions: str, cue: str) -> None:
        self.instructions = instructions
        self.cue = cue


BUILT_IN: dict[str, Induction] = {
    "calm": Induction(
        "Remember a time you felt calm and at ease: a quiet morning, a slow walk, resting "
        "somewhere you love. Picture where you were, what you saw and heard, the air on "
        "your skin. Let your breathing slow down and feel that calm again.",
        "Feel calm and at ease",
    ),
    "happy": Induction(
        "Remember a moment you felt really happy and full of energy: good news, a "
        "celebration, laughing with friends. Picture it in detail: where you were, who was "
        "there, what was said. Let the joy and excitement come back.",
        "Feel joyful and full of energy",
    ),
    "sad": Induction(
        "Remember a time you felt sad and low: a loss, a disappointment, saying goodbye. "
        "Picture where you were and what happened. Let the heaviness come back, without "
        "forcing it.",
        "Feel sad and low",
    ),
    "stressed": Induction(
        "Remember a time you felt stressed and tense: a deadline slipping, an argument, "
        "being late for something that mattered. Picture the situation and what was at "
        "stake. Let the pressure and tension come back.",
        "Feel tense and under pressure",
    ),
}


def built_in(state: str) -> Induction | None:
    """The built-in induction of ``state`` (case-insensitive), ``None`` for other states."""
    return BUILT_IN.get(state.strip().lower())
