"""What to stream, said once: a typed source specification and the one rule that opens it.

A :data:`SourceSpec` is one of

- :class:`BoardSpec`: a BrainFlow board (the synthetic board, a headset, a playback file),
  with its connection fields;
- :class:`SimulatedSpec`: the app's simulated subject;
- :class:`ReplaySpec`: a recording (session folder, BrainFlow CSV, EDF/BDF, XDF) played again;
- :class:`LslSpec`: a Lab Streaming Layer stream (a lab's amplifier software, another app).

:func:`open_source` turns a spec into a :class:`~bci_desktop.core.sources.base.Source`, and
applies the one supervision rule: every *live* source (a board: a device that can stall or be
unplugged; an LSL stream: a sender that can stop) is wrapped in a
:class:`~bci_desktop.core.sources.supervised.SupervisedSource` unless the user refused
reconnection; the simulated subject and a replay are generated or read by the app itself
and are never supervised. An LSL stream's supervisor connects on the reading thread
(:class:`~bci_desktop.core.sources.reader_supervised.ReaderSupervisedSource`), where every
pylsl object of the session lives.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.lsl.clock import LslClock
from bci_desktop.core.lsl.discovery import LslDirectory, StreamQuery, is_lsl_board
from bci_desktop.core.montage.resolve import Montage
from bci_desktop.core.sources.base import Source
from bci_desktop.core.sources.boards import ConnectionParams
from bci_desktop.core.sources.factory import is_simulated, open_board, open_simulated
from bci_desktop.core.sources.lsl_source import RECONNECT_ANSWER_S, LslSource
from bci_desktop.core.sources.reader_supervised import ReaderSupervisedSource
from bci_desktop.core.sources.replay import ReplaySource
from bci_desktop.core.sources.supervised import SupervisedSource
from bci_desktop.core.validate import check_positive

__all__ = [
    "BoardSpec",
    "LslSpec",
    "OpenedSource",
    "ReplaySpec",
    "SimulatedSpec",
    "SourceOpener",
    "SourceSpec",
    "Supervision",
    "describe_spec",
    "open_source",
    "spec_for_board",
]


@dataclass(frozen=True)
class BoardSpec:
    """A BrainFlow board.

    Parameters
    ----------
    board : str or int
        Board name (``"synthetic"``, ``"cyton"``) or BrainFlow id.
    params : ConnectionParams
        BrainFlow's input parameters (serial port, MAC address, file, master board...).
    board_config : tuple of str
        Strings sent with BrainFlow's ``config_board`` after connecting.
    montage : Montage, str, tuple of str or None
        Names of the EEG channels (a preset or 10-05 names); ``None``: BrainFlow's, or the
        board's default placement (docs/montages.md).
    """

    board: str | int = "synthetic"
    params: ConnectionParams = field(default_factory=ConnectionParams)
    board_config: tuple[str, ...] = ()
    montage: Montage | str | tuple[str, ...] | None = None


@dataclass(frozen=True)
class SimulatedSpec:
    """The simulated subject (see docs/simulated-subject.md).

    Parameters
    ----------
    speed : float or None
        Times real time, ``None`` for as fast as possible.
    script : str or None
        States and durations, e.g. ``"calm:60,happy:60"``; ``None`` for the default script.
    channels : int or None
        Number of channels; ``None`` for the synthetic board's 16.
    seed : int
        Session seed.
    subject_seed : int or None
        Which person; ``None`` for the default one.
    montage : Montage, str, tuple of str or None
        Any montage (a preset or 10-05 names): the simulated sources are placed by scalp
        position; ``None``: the synthetic board's 16 channels (or ``channels``).
    responsive : bool
        False: a "non-responder", whose EEG carries no trace of the emotional state.

    The simulated subject follows its script until a calibration cues it: then its state
    follows the calibration's blocks (:meth:`StreamSession.cue`).
    """

    speed: float | None = 1.0
    script: str | None = None
    channels: int | None = None
    seed: int = 0
    subject_seed: int | None = None
    montage: Montage | str | tuple[str, ...] | None = None
    responsive: bool = True


@dataclass(frozen=True)
class ReplaySpec:
    """A recording played through the pipeline.

    Parameters
    ----------
    path : Path
        Session folder, BrainFlow CSV, EDF or BDF file.
    speed : float or None
        Times real time, ``None`` for as fast as possible.
    master_board : str or None
        Board layout of a BrainFlow CSV file (default synthetic).
    """

    path: Path
    speed: float | None = 1.0
    master_board: str | None = None


@dataclass(frozen=True)
class LslSpec:
    """A regularly sampled LSL stream (``--board lsl --lsl-stream NAME``).

    Parameters
    ----------
    query : StreamQuery
        Which stream (name, type, source id).
    wait_s : float
        How long the first connection waits for the stream to appear on the network.
    """

    query: StreamQuery
    wait_s: float = 5.0

    def __post_init__(self) -> None:
        check_positive("lsl-wait", self.wait_s, zero_ok=True, unit="seconds", maximum=600)


SourceSpec = BoardSpec | SimulatedSpec | ReplaySpec | LslSpec


@dataclass(frozen=True)
class Supervision:
    """How a live source is watched.

    Parameters
    ----------
    stall_timeout_s : float
        Seconds without samples that count as a lost signal.
    reconnect : bool
        Watch the stream and reconnect automatically (with backoff) when it is lost.
    """

    stall_timeout_s: float = 2.0
    reconnect: bool = True

    def __post_init__(self) -> None:
        check_positive("stall-timeout", self.stall_timeout_s, unit="seconds")


@dataclass
class OpenedSource:
    """A source made from a spec, with typed handles on what it can do beyond reading.

    Attributes
    ----------
    source : Source
        What the session reads.
    supervisor : SupervisedSource or None
        The same object as ``source`` when the source is supervised.
    replay : ReplaySource or None
        The same object as ``source`` when it replays a recording.
    clock : LslClock or None
        For an LSL stream: the mapping of LSL time to the stream's time stamps (the
        session's outlets and marker streams use the same one).
    """

    source: Source
    supervisor: SupervisedSource | None = None
    replay: ReplaySource | None = None
    clock: LslClock | None = None


#: Builds the source of a spec (injectable, so tests and benchmarks can stream their own; a
#: top-level function when the session runs in another process).
SourceOpener = Callable[[SourceSpec, Supervision], OpenedSource]


def spec_for_board(
    board: str | int,
    *,
    params: ConnectionParams | None = None,
    board_config: tuple[str, ...] = (),
    speed: float | None = 1.0,
    script: str | None = None,
    channels: int | None = None,
    seed: int = 0,
    subject_seed: int | None = None,
    montage: Montage | str | tuple[str, ...] | None = None,
    responsive: bool = True,
) -> SourceSpec:
    """The spec for what a user typed as ``--board`` (or chose in the window's board list).

    ``lsl`` followed by ``:`` and a stream (``lsl:name=EEG amp``, ``lsl:source_id=X``, the
    window's board list) is an LSL stream.

    Raises
    ------
    ConfigError
        If simulated-subject options are given for a board, or a speed for a live board.
    """
    if is_simulated(board):
        return SimulatedSpec(speed, script, channels, seed, subject_seed, montage, responsive)
    if speed != 1.0:
        raise ConfigError(
            "The 'speed' option applies to the simulated subject and to replay only; a live "
            f"board such as {board!r} streams in real time."
        )
    if script is not None or channels is not None or subject_seed is not None or not responsive:
        raise ConfigError(
            "The 'script', 'channels', 'subject-seed' and 'non-responder' options apply to "
            "the simulated subject only (board 'simulated')."
        )
    if is_lsl_board(board):
        return LslSpec(StreamQuery.parse(str(board)))
    return BoardSpec(
        board, params if params is not None else ConnectionParams(), board_config, montage
    )


def describe_spec(spec: SourceSpec) -> str:
    """What is being connected to, in words: "the simulated subject", "cyton"..."""
    if isinstance(spec, SimulatedSpec):
        return "the simulated subject"
    if isinstance(spec, ReplaySpec):
        return f"the recording {Path(spec.path).name}"
    if isinstance(spec, LslSpec):
        return spec.query.describe()
    return str(spec.board)


def open_source(spec: SourceSpec, supervision: Supervision | None = None) -> OpenedSource:
    """Build (not start) the source for ``spec``; boards are supervised unless refused.

    Raises
    ------
    BCIError
        ``ConfigError`` for a spec the app cannot use, ``SourceError`` for a recording that
        cannot be read.
    """
    supervision = supervision or Supervision()
    if isinstance(spec, SimulatedSpec):
        source = open_simulated(
            speed=spec.speed,
            script=spec.script,
            channels=spec.channels,
            seed=spec.seed,
            subject_seed=spec.subject_seed,
            montage=spec.montage,
            responsive=spec.responsive,
        )
        return OpenedSource(source)
    if isinstance(spec, ReplaySpec):
        replay = ReplaySource(spec.path, speed=spec.speed, master_board=spec.master_board)
        return OpenedSource(replay, replay=replay)
    if isinstance(spec, LslSpec):
        return _open_lsl(spec, supervision)
    return _open_board(spec, supervision)


def _open_lsl(spec: LslSpec, supervision: Supervision) -> OpenedSource:
    clock = LslClock()
    directory = LslDirectory()
    waits = [spec.wait_s]  # the first connection waits for the stream; reconnections do not

    def make() -> Source:
        if waits:
            return LslSource(spec.query, directory=directory, clock=clock, wait_s=waits.pop())
        return LslSource(spec.query, directory=directory, clock=clock, answer_s=RECONNECT_ANSWER_S)

    if not supervision.reconnect:
        return OpenedSource(make(), clock=clock)
    supervisor = ReaderSupervisedSource(make, stall_timeout_s=supervision.stall_timeout_s)
    return OpenedSource(supervisor, supervisor=supervisor, clock=clock)


def _is_file_board(board: str | int) -> bool:
    """BrainFlow's playback-file board reads a file: nothing to unplug or reconnect (a file
    that delivers nothing ends the stream instead of being retried for ever)."""
    from brainflow.board_shim import BoardIds

    from bci_desktop.core.sources.boards import resolve_board

    try:
        return resolve_board(board) == BoardIds.PLAYBACK_FILE_BOARD.value
    except ConfigError:
        return False  # an unknown board: opening it says so


def _open_board(spec: BoardSpec, supervision: Supervision) -> OpenedSource:
    def make() -> Source:
        return open_board(
            spec.board, params=spec.params, board_config=spec.board_config, montage=spec.montage
        )

    if not supervision.reconnect or _is_file_board(spec.board):
        return OpenedSource(make())
    port = spec.params.serial_port
    supervisor = SupervisedSource(
        make,
        stall_timeout_s=supervision.stall_timeout_s,
        device_present=(lambda: os.path.exists(port)) if port else None,
    )
    return OpenedSource(supervisor, supervisor=supervisor)
