"""The 10-05 electrode system: which labels are electrode positions, and which name one.

The 10-05 system (Oostenveld & Praamstra 2001) extends the 10-20 and 10-10 systems to 345
scalp positions; :data:`POSITIONS` holds them with the spelling MNE-Python's
``standard_1005`` montage uses (``Fp1``, ``AFz``, ``FCC3h`` ...), plus the 10-20 sites
``O9``/``O10``, the nasion ``Nz``, the ear lobes ``A1``/``A2`` and the mastoids ``M1``/``M2``.

Old 10-20 names of four temporal sites name the same positions as their 10-10 successors:
``T3`` = ``T7``, ``T4`` = ``T8``, ``T5`` = ``P7``, ``T6`` = ``P8``. Everything that compares
channels (a model's channels with a stream's, a montage's duplicates, the simulator's
geometry) goes through :func:`position`, so the two names of one position are one.

Labels that are not positions (``X1``, ``EXG3``, ``AUX1``, ``EMG1``, ``ECG``, ``EOG2``) are
allowed in a montage for channels that are not on the scalp: :func:`is_non_scalp_label`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = [
    "OLD_NAMES",
    "POSITIONS",
    "homologous_pairs",
    "homologue",
    "is_frontal",
    "is_non_scalp_label",
    "is_position",
    "position",
    "side",
    "spelling",
]

#: Old 10-20 names and the 10-10 names of the same positions.
OLD_NAMES: dict[str, str] = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}

# Rows from front to back. Each: (prefix, columns, prefix used for columns 7-10 or None).
# "full" rows have columns 1..10 and z; the others only 1, z, 2.
_FULL = tuple(range(1, 11))
_ROWS: tuple[tuple[str, tuple[int, ...], str | None], ...] = (
    ("Fp", (1, 2), None),
    ("AFp", _FULL, None),
    ("AF", _FULL, None),
    ("AFF", _FULL, None),
    ("F", _FULL, None),
    ("FFC", _FULL, "FFT"),
    ("FC", _FULL, "FT"),
    ("FCC", _FULL, "FTT"),
    ("C", _FULL, "T"),
    ("CCP", _FULL, "TTP"),
    ("CP", _FULL, "TP"),
    ("CPP", _FULL, "TPP"),
    ("P", _FULL, None),
    ("PPO", _FULL, None),
    ("PO", _FULL, None),
    ("POO", _FULL, None),
    ("O", (1, 2), None),
    ("OI", (1, 2), None),
    ("I", (1, 2), None),
)
_EXTRA = ("O9", "O10", "Nz", "A1", "A2", "M1", "M2")


def _build() -> tuple[str, ...]:
    names: list[str] = []
    for prefix, columns, lateral in _ROWS:
        for col in columns:
            stem = lateral if lateral is not None and col >= 7 else prefix
            names.append(f"{stem}{col}")
        names.append(f"{prefix}z")
        for col in columns:
            stem = lateral if lateral is not None and col >= 7 else prefix
            names.append(f"{stem}{col}h")
    return (*names, *_EXTRA, *OLD_NAMES)


#: Every position name (the 10-05 system, O9/O10, Nz, A1/A2, M1/M2 and the old T3-T6).
POSITIONS: tuple[str, ...] = _build()

_SPELLING: dict[str, str] = {n.lower(): n for n in POSITIONS}
_MODERN: dict[str, str] = {old.lower(): new for old, new in OLD_NAMES.items()}
_NON_SCALP = re.compile(r"^(x|exg|aux|emg|ecg|eog)\s?\d{0,3}$", re.IGNORECASE)
_PARTS = re.compile(r"^([A-Za-z]+?)(z|\d{1,2})(h?)$")
_FRONTAL_ROWS = frozenset({"fp", "afp", "af", "aff", "f", "ffc", "fft"})
_SIDE_PAIRS = {"a1": "a2", "m1": "m2"}


def spelling(name: str) -> str | None:
    """The usual spelling of a position name (``"FP1"`` -> ``"Fp1"``, ``"t3"`` -> ``"T3"``).

    Returns ``None`` when ``name`` is not a position (surrounding spaces are ignored).
    """
    return _SPELLING.get(str(name).strip().lower())


def position(name: str) -> str | None:
    """The position a name stands for, in its 10-10 / 10-05 spelling.

    ``"t3"`` and ``"T7"`` both give ``"T7"``; ``"fcz"`` gives ``"FCz"``; a label that is not
    a position gives ``None``.
    """
    spelled = spelling(name)
    if spelled is None:
        return None
    return OLD_NAMES.get(spelled, spelled)


def is_position(name: str) -> bool:
    """True if ``name`` is a 10-05 position (any case, old names included)."""
    return spelling(name) is not None


def is_non_scalp_label(name: str) -> bool:
    """True for labels of channels that are not on the scalp: ``X1``, ``EXG3``, ``AUX``..."""
    return bool(_NON_SCALP.match(str(name).strip()))


def _split(modern: str) -> tuple[str, str, str] | None:
    match = _PARTS.match(modern)
    return None if match is None else (match.group(1), match.group(2), match.group(3))


def side(name: str) -> int:
    """-1 for a left position (odd number), +1 right (even), 0 midline or not a position."""
    modern = position(name)
    if modern is None:
        return 0
    key = modern.lower()
    if key in _SIDE_PAIRS:
        return -1
    if key in _SIDE_PAIRS.values():
        return 1
    parts = _split(modern)
    if parts is None or parts[1] == "z":
        return 0
    return -1 if int(parts[1]) % 2 else 1


def homologue(name: str) -> str | None:
    """The mirror position on the other hemisphere (``F3`` -> ``F4``, ``T3`` -> ``T8``).

    ``None`` for midline positions (``Fz``) and labels that are not positions.
    """
    modern = position(name)
    if modern is None:
        return None
    key = modern.lower()
    for left, right in _SIDE_PAIRS.items():
        if key in (left, right):
            return spelling(right if key == left else left)
    parts = _split(modern)
    if parts is None or parts[1] == "z":
        return None
    stem, col, half = parts
    number = int(col)
    mirror = number + 1 if number % 2 else number - 1
    return position(f"{stem}{mirror}{half}")


def is_frontal(name: str) -> bool:
    """True for frontal positions: rows Fp, AFp, AF, AFF, F, FFC/FFT (F7/F8 included)."""
    modern = position(name)
    parts = None if modern is None else _split(modern)
    return parts is not None and parts[0].lower() in _FRONTAL_ROWS


def homologous_pairs(names: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Left-right pairs of mirror positions present in ``names``, as ``(left, right)``.

    The names are returned as given (``("T3", "T4")`` stays so); pairs are in the order of
    their left channel in ``names``.
    """
    given: Sequence[str] = list(names)
    by_position = {}
    for n in given:
        p = position(n)
        if p is not None:
            by_position.setdefault(p, n)
    pairs = []
    for n in given:
        p = position(n)
        if p is None or side(p) != -1 or by_position.get(p) != n:
            continue
        mirror = homologue(p)
        if mirror is not None and mirror in by_position:
            pairs.append((n, by_position[mirror]))
    return tuple(pairs)
