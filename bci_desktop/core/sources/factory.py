"""Open a source by the name a user types: a BrainFlow board or the simulated subject."""

from __future__ import annotations

from collections.abc import Sequence

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.montage.resolve import Montage
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
    if not value > 0 or value == float("inf"):
        raise ConfigError(
            f"Invalid value for the 'speed' parameter: expected a positive number or 'max', "
            f"but got {text!r}."
        )
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
    montage: Montage | str | Sequence[str] | None = None,
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
    montage : Montage, str, sequence of str or None
        Names of the EEG channels (``--montage``, or a saved montage): a preset
        (``"cyton"``, ``"muse"``) or 10-05 names. For the simulated subject any number of
        channels, its sources placed by scalp position; for a board exactly as many as it
        has EEG channels. ``None`` keeps the board's names (BrainFlow's, or its default
        placement).

    Raises
    ------
    ConfigError
        On an invalid option, montage or board.
    """
    if is_simulated(board):
        from bci_desktop.core.montage.resolve import parse_montage
        from bci_desktop.core.sources.simulated import (
            SYNTHETIC_MONTAGE,
            SimulatedSubject,
            SubjectProfile,
        )
        from bci_desktop.core.sources.simulated import montage as simulated_montage

        profile = SubjectProfile() if subject_seed is None else SubjectProfile(seed=subject_seed)
        if montage is not None and channels is not None:
            raise ConfigError(
                "Give either 'channels' (a number of channels) or 'montage' (their names) for "
                "the simulated subject, not both."
            )
        if montage is not None:
            names = parse_montage(montage).channels
        else:
            names = SYNTHETIC_MONTAGE if channels is None else simulated_montage(channels)
        return SimulatedSubject(
            script=script, speed=speed, channels=names, profile=profile, seed=seed
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
        board,
        params if params is not None else ConnectionParams(),
        config=tuple(board_config),
        montage=montage,
    )
