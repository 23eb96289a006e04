"""Open a source by the name a user types: a BrainFlow board or the simulated subject."""

from __future__ import annotations

from collections.abc import Sequence

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.limits import speed_problem
from bci_desktop.core.sources.base import Source

#: Name of the simulated subject on the command line and in the GUI.
SIMULATED = "simulated"


def parse_speed(text: str | float | None) -> float | None:
    """Parse ``--speed``: a positive number, or ``max`` (returned as ``None``)."""
    if text is None:
        return 1.0
    if isinstance(text, str) and text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ConfigError(
            f"Invalid value for the 'speed' parameter: expected a positive number or 'max', "
            f"but got {text!r}."
        ) from None
    problem = speed_problem(value)
    if problem is not None:
        raise ConfigError(f"Invalid value for the 'speed' parameter: {problem}.")
    return value


def is_simulated(board: str | int) -> bool:
    """True if ``board`` names the simulated subject."""
    return isinstance(board, str) and board.strip().lower() in (SIMULATED, "simulated_subject")


def open_source(
    board: str | int = "synthetic",
    *,
    params: object | None = None,
    board_config: Sequence[str] = (),
    speed: float | None = 1.0,
    script: str | None = None,
    channels: int | None = None,
    seed: int = 0,
    subject_seed: int | None = None,
) -> Source:
    """Create (but do not start) the source a user asked for.

    Parameters
    ----------
    board : str or int
        ``"simulated"`` for the simulated subject, else a BrainFlow board name or id.
    params : ConnectionParams or None
        BrainFlow connection fields.
    board_config : sequence of str
        Strings sent with BrainFlow's ``config_board`` after the session is prepared.
    speed : float or None
        Simulated subject only: times real time, ``None`` for as fast as possible.
    script, channels, seed, subject_seed
        Simulated subject only: state script, channel count, session seed, person seed.
    """
    if is_simulated(board):
        from bci_desktop.core.sources.simulated import (
            SYNTHETIC_MONTAGE,
            SimulatedSubject,
            SubjectProfile,
            montage,
        )

        profile = SubjectProfile() if subject_seed is None else SubjectProfile(seed=subject_seed)
        return SimulatedSubject(
            script=script,
            speed=speed,
            channels=SYNTHETIC_MONTAGE if channels is None else montage(channels),
            profile=profile,
            seed=seed,
        )
    if speed != 1.0:
        raise ConfigError(
            "The 'speed' option applies to the simulated subject and to replay only; a live "
            f"board such as {board!r} streams in real time."
        )
    if script is not None or channels is not None:
        raise ConfigError(
            "The 'script' and 'channels' options apply to the simulated subject only "
            "(--board simulated)."
        )
    from bci_desktop.core.sources.boards import ConnectionParams
    from bci_desktop.core.sources.brainflow_source import BrainFlowSource

    return BrainFlowSource(
        board, params if params is not None else ConnectionParams(), config=tuple(board_config)
    )
