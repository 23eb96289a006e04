"""Data passed from a source to the engine: what a stream is, and one chunk of it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ChannelInfo:
    """One channel of a stream as a user knows it.

    Parameters
    ----------
    name : str
        Electrode or sensor name, e.g. ``"F3"``.
    kind : str
        ``"eeg"``, ``"accel"``, ``"gyro"``, ``"battery"``, ``"timestamp"``, ``"marker"``,
        ``"other"`` ...
    unit : str
        Physical unit of the values, e.g. ``"uV"``.
    """

    name: str
    kind: str = "eeg"
    unit: str = "uV"


@dataclass(frozen=True)
class StreamInfo:
    """What a source delivers.

    Parameters
    ----------
    source_name : str
        Human name of the source, e.g. ``"Synthetic"`` or ``"Simulated subject"``.
    board_id : int | None
        BrainFlow board id, or ``None`` for sources that are not BrainFlow boards.
    sample_rate : float
        Samples per second of the EEG channels.
    eeg : tuple of ChannelInfo
        The EEG channels, in the row order of :attr:`Chunk.eeg`.
    board_rows : tuple of ChannelInfo
        Every row of :attr:`Chunk.board_data` (all of the board's channels, BrainFlow's
        layout), empty when the source has no such array.
    eeg_rows : tuple of int
        Row of each EEG channel inside ``board_data``.
    timestamp_row, marker_row : int | None
        Rows of the timestamp and marker channels inside ``board_data``.
    states : tuple of str
        Names of the true states the source can report (empty when it knows none).
    layout_board_id : int or None
        BrainFlow board whose row layout ``board_data`` follows: the master board of a
        playback-file or streaming board, else ``board_id`` (see :attr:`layout_board`).
    description : dict
        The board description as BrainFlow gives it (or the source's equivalent).
    """

    source_name: str
    board_id: int | None
    sample_rate: float
    eeg: tuple[ChannelInfo, ...]
    board_rows: tuple[ChannelInfo, ...] = ()
    eeg_rows: tuple[int, ...] = ()
    timestamp_row: int | None = None
    marker_row: int | None = None
    states: tuple[str, ...] = ()
    layout_board_id: int | None = None
    description: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def layout_board(self) -> int | None:
        """The BrainFlow board whose row layout the data follow (``None``: not BrainFlow's)."""
        return self.board_id if self.layout_board_id is None else self.layout_board_id

    @property
    def package_row(self) -> int | None:
        """Row of the board's package counter in ``board_data``, if it has one."""
        for i, row in enumerate(self.board_rows):
            if row.kind == "package_num":
                return i
        return None

    @property
    def channel_names(self) -> tuple[str, ...]:
        """Names of the EEG channels."""
        return tuple(c.name for c in self.eeg)

    @property
    def n_channels(self) -> int:
        """Number of EEG channels."""
        return len(self.eeg)


@dataclass(frozen=True)
class MarkerText:
    """The text of a marker that has one (from stimulus software: ``"face"``, ``"trial 3"``).

    Parameters
    ----------
    index : int
        The marker's sample within its chunk (:attr:`Chunk.markers` holds its value there).
    text : str
        What the sender said.
    """

    index: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """A block of consecutive samples, as read from a source.

    Parameters
    ----------
    eeg : ndarray, shape (n_channels, n_samples), float64
        EEG samples in microvolts.
    timestamps : ndarray, shape (n_samples,), float64
        Stream time of each sample in seconds (UNIX time for live boards).
    markers : ndarray, shape (n_samples,), float64
        Marker value at each sample, ``0`` where there is none.
    truth : ndarray, shape (n_samples,), int16, or None
        Index into :attr:`StreamInfo.states` of the true state at each sample, ``-1``
        where it is unknown; ``None`` when the source knows no truth.
    board_data : ndarray, shape (n_rows, n_samples), or None
        Every row of the board as BrainFlow returns it, for faithful recording.
    gap_before : bool
        True for the first chunk after the stream was interrupted (signal lost, device
        reconnected): consumers restart their filters instead of bridging the gap.
    marker_texts : tuple of MarkerText
        The text of the markers that have one (each also has its value in ``markers``).
    """

    eeg: np.ndarray
    timestamps: np.ndarray
    markers: np.ndarray
    truth: np.ndarray | None = None
    board_data: np.ndarray | None = None
    gap_before: bool = False
    marker_texts: tuple[MarkerText, ...] = ()

    @property
    def n_samples(self) -> int:
        """Number of samples in the chunk."""
        return int(self.eeg.shape[1])
