"""Which model a stream gets: the user's choice, else the best validated model it fits.

:func:`choose_model` takes a stream's channel names and the registry's entries (shipped and
user models compete alike) and returns a :class:`ModelChoice`:

1. an explicit choice of the user (``--model``, a model the user activated) stays on top,
   even when it does not fit the montage (then its predictions are withheld, and the choice
   says why and which models would fit);
2. otherwise, among the models for the task whose channels the stream has (old and new
   names of a position are one), the one with the highest *validated* accuracy: held-out
   accuracy for the shipped models, cross-validated accuracy for calibrated ones. A model
   with no measured accuracy is never picked automatically. Ties go to the model that uses
   more of the stream's channels, then to the label, so the choice is stable;
3. when none fits, no model, and a reason a user can act on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.channels import normalize_channel_name
from bci_desktop.core.inference.registry import ModelEntry

__all__ = ["Candidate", "ModelChoice", "choose_model", "fits_channels", "validated_accuracy"]

logger = logging.getLogger(__name__)

_UNNAMED = re.compile(r"^(eeg|ch|channel)?\s*\d+$", re.IGNORECASE)
_WHAT_TO_DO = (
    "Name the channels where the electrodes really are (the montage), or calibrate a "
    "personal model."
)


def validated_accuracy(metrics: Mapping[str, Any]) -> tuple[float, str] | None:
    """The accuracy a model's metadata says was measured on data it was not trained on.

    Returns ``(accuracy, kind)``, kind ``"held-out"`` or ``"cross-validated"``, or ``None``
    when the model reports none (or reports something that is not a number in [0, 1]), or
    when its calibration found it no better than chance.
    """
    if not isinstance(metrics, Mapping):
        return None
    if metrics.get("better_than_chance") is False:
        return None  # a calibration judged no better than chance is never picked by itself
    found: list[tuple[object, str]] = []
    heldout = metrics.get("heldout")
    if isinstance(heldout, Mapping):
        found.append((heldout.get("accuracy"), "held-out"))
    found.append((metrics.get("holdout_accuracy"), "held-out"))
    found.append((metrics.get("cv_accuracy"), "cross-validated"))
    for value, kind in found:
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
            return float(value), kind
    return None


@dataclass(frozen=True)
class Candidate:
    """One model considered for a stream.

    Attributes
    ----------
    entry : ModelEntry
        The registry's entry.
    channels : tuple of str
        The channels it needs (empty: any EEG channels, as BrainFlow's built-in models).
    missing : tuple of str
        Those the stream lacks.
    accuracy : float or None
        Its validated accuracy, ``None`` when it reports none.
    accuracy_kind : str
        ``"held-out"``, ``"cross-validated"`` or ``""``.
    """

    entry: ModelEntry
    channels: tuple[str, ...]
    missing: tuple[str, ...]
    accuracy: float | None
    accuracy_kind: str = ""

    @property
    def fits(self) -> bool:
        """True when the stream has every channel the model needs."""
        return not self.missing

    def describe(self) -> str:
        """``"emotion-muse@1.0.0 (held-out 87.2%)"``."""
        if self.accuracy is None:
            return f"{self.entry.label} (no measured accuracy)"
        return f"{self.entry.label} ({self.accuracy_kind} {100 * self.accuracy:.1f}%)"


@dataclass(frozen=True)
class ModelChoice:
    """The model a stream gets, and why.

    Attributes
    ----------
    entry : ModelEntry or None
        The model to load; ``None`` when none fits and the user chose none.
    reason : str
        One or two sentences a user can read: why this model, or why none.
    explicit : bool
        True when it is the user's own choice (kept even if it does not fit).
    fits : bool
        True when the stream has every channel of ``entry``.
    missing : tuple of str
        Channels of ``entry`` the stream lacks (non-empty only for an explicit choice).
    candidates : tuple of Candidate
        Every model of the task considered, best first.
    """

    entry: ModelEntry | None
    reason: str
    explicit: bool = False
    fits: bool = False
    missing: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()

    @property
    def label(self) -> str | None:
        """``name@version`` of the chosen model, ``None`` when there is none."""
        return None if self.entry is None else self.entry.label

    @property
    def best_fit(self) -> Candidate | None:
        """The best validated model that fits, whatever the user chose."""
        return next((c for c in self.candidates if c.fits and c.accuracy is not None), None)


def _channels_of(entry: ModelEntry) -> tuple[str, ...]:
    """The entry's channels; for a user model indexed without them, read from its file."""
    if entry.channels or entry.source == "brainflow" or entry.path is None:
        return tuple(entry.channels)
    from bci_desktop.core.inference.validation import open_session, read_metadata, read_model_bytes

    try:
        data, _ = read_model_bytes(entry.path)
        return tuple(read_metadata(open_session(data, entry.path), entry.path).recipe.channels)
    except ModelError as exc:
        logger.warning("Cannot read the channels of model %s: %s", entry.label, exc)
        return ()


def _candidate(entry: ModelEntry, have: set[str], n_stream: int) -> Candidate:
    channels = _channels_of(entry)
    if entry.source == "brainflow":  # averages every EEG channel: fits any named stream
        missing: tuple[str, ...] = () if n_stream else ("any EEG channel",)
    elif not channels:
        missing = ("its channels (unreadable)",)
    else:
        missing = tuple(c for c in channels if normalize_channel_name(c) not in have)
    measured = validated_accuracy(entry.metrics)
    accuracy, kind = measured if measured is not None else (None, "")
    return Candidate(entry, channels, missing, accuracy, kind)


def fits_channels(entry: ModelEntry, channel_names: Sequence[str]) -> bool:
    """True when a stream with ``channel_names`` has every channel ``entry`` reads (old and
    new names of a position are one; BrainFlow's models fit any stream with an EEG
    channel)."""
    have = {normalize_channel_name(c) for c in channel_names}
    return _candidate(entry, have, len(channel_names)).fits


def _rank_key(c: Candidate) -> tuple:
    return (
        not c.fits,
        c.accuracy is None,
        -(c.accuracy or 0.0),
        -len(c.channels),
        len(c.missing),
        c.entry.label,
    )


def _find(entries: Sequence[ModelEntry], ref: str) -> ModelEntry | None:
    ref = ref.strip()
    exact = [e for e in entries if e.label == ref]
    if exact:
        return exact[0]
    named = [e for e in entries if e.name == ref]
    if not named:
        return None
    return max(named, key=lambda e: _natural(e.version))


def _natural(version: str) -> tuple[tuple[int, int | str], ...]:
    """``1.10`` after ``1.9`` (the registry's order of versions)."""
    parts = re.split(r"(\d+)", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def _list(names: Iterable[str], limit: int = 6) -> str:
    names = list(names)
    head = ", ".join(names[:limit])
    return head + (f" and {len(names) - limit} more" if len(names) > limit else "")


def choose_model(
    channel_names: Sequence[str],
    entries: Iterable[ModelEntry],
    *,
    preferred: str | None = None,
    task: str = "emotion",
) -> ModelChoice:
    """Pick the model for a stream.

    Parameters
    ----------
    channel_names : sequence of str
        The stream's EEG channel names (``StreamInfo.channel_names``).
    entries : iterable of ModelEntry
        The registry's models (``ModelRegistry().list()``): shipped, user and built-in.
    preferred : str or None
        The user's explicit choice, ``"name"`` or ``"name@version"``; it wins if it is among
        ``entries``, fitting or not.
    task : str
        Only models of this task compete (``"emotion"``; BrainFlow's ``"mindfulness"`` ...).

    Returns
    -------
    ModelChoice
    """
    all_entries = list(entries)
    have = {normalize_channel_name(c) for c in channel_names}
    n_stream = len(channel_names)
    pool = [e for e in all_entries if e.task == task]
    ranked = tuple(sorted((_candidate(e, have, n_stream) for e in pool), key=_rank_key))
    # Window (network) models run only when chosen: they cost more per inference than the
    # feature models, for an accuracy measured on the simulated subject alone.
    best = next(
        (
            c
            for c in ranked
            if c.fits and c.accuracy is not None and c.entry.input_kind != "window"
        ),
        None,
    )
    note = ""
    if preferred:
        chosen = _find(all_entries, preferred)
        if chosen is not None:
            return _explicit(chosen, have, n_stream, ranked, best)
        note = f"Your choice '{preferred}' is not among the models; "
    if best is not None:
        montage = _list(channel_names)
        reason = (
            f"{note}{best.entry.label}: the best validated {task} model for {montage} "
            f"({best.accuracy_kind} accuracy {100 * best.accuracy:.1f}%)."
        )
        return ModelChoice(best.entry, reason, fits=True, candidates=ranked)
    return ModelChoice(None, note + _none_fits(channel_names, ranked, task), candidates=ranked)


def _explicit(
    entry: ModelEntry,
    have: set[str],
    n_stream: int,
    ranked: tuple[Candidate, ...],
    best: Candidate | None,
) -> ModelChoice:
    mine = next((c for c in ranked if c.entry == entry), None) or _candidate(entry, have, n_stream)
    if mine.fits:
        return ModelChoice(
            entry, f"{entry.label}: your choice.", explicit=True, fits=True, candidates=ranked
        )
    other = f" {best.describe()} fits this montage." if best is not None else ""
    reason = (
        f"{entry.label}: your choice, but it needs {_list(mine.missing)}, which this stream "
        f"lacks: its predictions are withheld.{other}"
    )
    return ModelChoice(
        entry, reason, explicit=True, fits=False, missing=mine.missing, candidates=ranked
    )


def _none_fits(channel_names: Sequence[str], ranked: tuple[Candidate, ...], task: str) -> str:
    if not channel_names:
        return "The stream has no EEG channels: no model can run."
    if all(_UNNAMED.match(c.strip()) for c in channel_names):
        return (
            f"No {task} model fits: the channels have no electrode names ({_list(channel_names)})."
            " Name them where the electrodes are (the montage) to get predictions."
        )
    unvalidated = [c for c in ranked if c.fits and c.accuracy is None]
    if unvalidated:
        return (
            f"No validated {task} model fits {_list(channel_names)}; "
            f"{unvalidated[0].entry.label} fits but reports no measured accuracy: choose it "
            "yourself to use it."
        )
    closest = min(
        (c for c in ranked if c.channels),
        key=lambda c: (len(c.missing), c.entry.label),
        default=None,
    )
    if closest is None:
        return f"No {task} model is available. {_WHAT_TO_DO}"
    return (
        f"No {task} model fits {_list(channel_names)}: the closest, {closest.entry.label}, "
        f"needs {_list(closest.missing)}. {_WHAT_TO_DO}"
    )
