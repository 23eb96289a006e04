"""Make a source by the name a user types: a BrainFlow board or the simulated subject.

Which one, supervised or not, is decided once in :mod:`bci_desktop.core.session.spec`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.limits import MAX_SPEED
from bci_desktop.core.montage.resolve import Montage
from bci_desktop.core.sources.base import Source
from bci_desktop.core.validate import invalid

#: Name of the simulated subject on the command line and in the GUI.
SIMULATED = "simulated"


def parse_speed(text: str | float | None) -> float | None:
    """Parse ``--speed``: a positive number up to :data:`MAX_SPEED`, or ``max`` (``None``)."""
    if text is None:
        return 1.0
    if isinstance(text, str) and text.strip().lower() == "max":
        return None
    expected = f"a number above 0 and at most {MAX_SPEED:g} (times real time), or 'max'"
    try:
        value = float(text)
    except (TypeError, ValueError, OverflowError):
        raise invalid("speed", expected, text) from None
    if isinstance(text, bool) or not 0 < value <= MAX_SPEED:
        raise invalid("speed", expected, text)
    return value


def is_simulated(board: str | int) -> bool:
    """True if ``board`` names the simulated subject."""
    return isinstance(board, str) and board.strip().lower() in (SIMULATED, "simulated_subject")


def open_simulated(
    *,
    speed: float | None = 1.0,
    script: str | None = None,
    channels: int | None = None,
    seed: int = 0,
    subject_seed: int | None = None,
    montage: Montage | str | Sequence[str] | None = None,
    responsive: bool = True,
) -> Source:
    """Create (but do not start) the simulated subject.

    Parameters
    ----------
    speed : float or None
        Times real time, ``None`` for as fast as possible.
    script, channels, seed, subject_seed
        State script, channel count, session seed, person seed.
    montage : Montage, str, sequence of str or None
        Names of its channels (a preset such as ``"cyton"``, or 10-05 names): its sources
        are placed by scalp position. ``None``: the synthetic board's 16 (or ``channels``).
    responsive : bool
        False makes a "non-responder": a person whose EEG carries no trace of their
        emotional state (``SubjectProfile.state_effect`` 0), though they feel it and say so.

    Raises
    ------
    ConfigError
        If both ``channels`` and ``montage`` are given, or either is invalid.
    """
    from bci_desktop.core.montage.resolve import parse_montage
    from bci_desktop.core.sources.simulated import (
        SYNTHETIC_MONTAGE,
        SimulatedSubject,
        SubjectProfile,
    )
    from bci_desktop.core.sources.simulated import montage as simulated_montage

    profile = SubjectProfile() if subject_seed is None else SubjectProfile(seed=subject_seed)
    if not responsive:
        profile = SubjectProfile(seed=profile.seed, state_effect=0.0)
    if montage is not None and channels is not None:
        raise ConfigError(
            "Give either 'channels' (a number of channels) or 'montage' (their names) for "
            "the simulated subject, not both."
        )
    if montage is not None:
        names = parse_montage(montage).channels
    else:
        names = SYNTHETIC_MONTAGE if channels is None else simulated_montage(channels)
    return SimulatedSubject(script=script, speed=speed, channels=names, profile=profile, seed=seed)


def open_board(
    board: str | int = "synthetic",
    *,
    params: object | None = None,
    board_config: Sequence[str] = (),
    montage: Montage | str | Sequence[str] | None = None,
) -> Source:
    """Create (but do not start) a BrainFlow board by name or id.

    Parameters
    ----------
    board : str or int
        A BrainFlow board name or id.
    params : ConnectionParams or None
        BrainFlow connection fields.
    board_config : sequence of str
        Strings sent with BrainFlow's ``config_board`` after the session is prepared.
    montage : Montage, str, sequence of str or None
        Names of its EEG channels; ``None`` keeps BrainFlow's (or the board's default
        placement), see :func:`~bci_desktop.core.montage.resolve.board_montage`.
    """
    from bci_desktop.core.sources.boards import ConnectionParams
    from bci_desktop.core.sources.brainflow_source import BrainFlowSource

    return BrainFlowSource(
        board,
        params if params is not None else ConnectionParams(),
        config=tuple(board_config),
        montage=montage,
    )
