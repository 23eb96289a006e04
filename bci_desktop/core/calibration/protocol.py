"""A calibration protocol: a versioned JSON file, reusable across people.

See docs/calibration.md for the format. In short::

    {
      "format": "bci-desktop-calibration-protocol/1",
      "name": "Four states, recall",
      "states": [
        {"name": "calm"},
        {"name": "happy", "stimuli": ["stimuli/happy"]},
        {"name": "focused", "instructions": "...", "valence": "any", "arousal": "high"}
      ],
      "blocks_per_state": 3, "block_s": 30, "rest_s": 10, "prepare_s": 8, "image_s": 6,
      "order": "random", "seed": null, "self_report": true
    }

Every problem of a file is listed at once, each naming the key; unknown keys are refused
(a typo must not silently fall back to a default). Stimulus paths are relative to the
protocol file's folder (or absolute); :mod:`bci_desktop.core.calibration.stimuli` finds and
checks the files.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bci_desktop.core import jsonsafe
from bci_desktop.core.affect import CIRCUMPLEX, Sign
from bci_desktop.core.atomic import write_atomic
from bci_desktop.core.calibration.instructions import KEEP_STILL, built_in
from bci_desktop.core.calibration.order import Order, block_order
from bci_desktop.core.errors import ConfigError, InputFileError
from bci_desktop.core.regular_files import read_regular

__all__ = [
    "FORMAT",
    "MAX_PROTOCOL_BYTES",
    "CalibrationProtocol",
    "ProtocolError",
    "StateInduction",
    "default_protocol",
]

FORMAT = "bci-desktop-calibration-protocol/1"
#: The format of a recording's ``calibration.json`` (:mod:`.record`), which holds a protocol.
RECORDED_FORMAT = "bci-desktop-calibration/1"
#: Largest protocol file read.
MAX_PROTOCOL_BYTES = 1 << 20
#: What a state's name may be (it becomes a class of the personal model).
STATE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _+-]{0,31}$")
_SIDES = {"high": Sign.HIGH, "low": Sign.LOW, "any": None}
_STATE_KEYS = ("name", "instructions", "cue", "stimuli", "valence", "arousal")
_KEYS = (
    "format",
    "name",
    "description",
    "states",
    "blocks_per_state",
    "block_s",
    "rest_s",
    "prepare_s",
    "image_s",
    "order",
    "seed",
    "self_report",
)
_MAX_TEXT = 2000
_MAX_STIMULI = 200
MAX_SEED = 2**31 - 1


class ProtocolError(InputFileError):
    """A protocol file that cannot be used; the message lists every problem."""


@dataclass(frozen=True)
class StateInduction:
    """One state of a protocol and how it is induced.

    Parameters
    ----------
    name : str
        The state (a class of the personal model).
    instructions : str
        Shown in large type before and during its blocks; ``""``: the built-in recall
        instructions (calm, happy, sad, stressed only).
    cue : str
        A short line shown with images; ``""``: the built-in one, else the name.
    stimuli : tuple of str
        Files or folders of images, audio and video shown during its blocks (relative to
        the protocol's folder, or absolute).
    valence, arousal : Sign or None
        Where a self-report of this state should fall (``None``: either side). Default:
        the state's quadrant for the four built-in states, ``None`` for others.
    """

    name: str
    instructions: str = ""
    cue: str = ""
    stimuli: tuple[str, ...] = ()
    valence: Sign | None = None
    arousal: Sign | None = None

    @classmethod
    def of(cls, name: str, **kwargs: Any) -> StateInduction:
        """A state with the built-in expectations of its quadrant (if it has one)."""
        sides = CIRCUMPLEX.get(name.strip().lower(), (None, None))
        kwargs.setdefault("valence", sides[0])
        kwargs.setdefault("arousal", sides[1])
        return cls(name, **kwargs)

    @property
    def shown_instructions(self) -> str:
        """The instructions shown (built-in if none given), with the keep-still line."""
        text = self.instructions.strip()
        if not text:
            found = built_in(self.name)
            text = found.instructions if found is not None else ""
        return f"{text}\n\n{KEEP_STILL}" if text else KEEP_STILL

    @property
    def shown_cue(self) -> str:
        """The short line shown with images."""
        if self.cue.strip():
            return self.cue.strip()
        found = built_in(self.name)
        return found.cue if found is not None else self.name

    @property
    def has_induction(self) -> bool:
        """True when something induces it: instructions (given or built in) or stimuli."""
        return bool(self.instructions.strip() or built_in(self.name) or self.stimuli)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (defaults left out)."""
        out: dict[str, Any] = {"name": self.name}
        if self.instructions:
            out["instructions"] = self.instructions
        if self.cue:
            out["cue"] = self.cue
        if self.stimuli:
            out["stimuli"] = list(self.stimuli)
        sides = CIRCUMPLEX.get(self.name.strip().lower(), (None, None))
        for key, value, default in (
            ("valence", self.valence, sides[0]),
            ("arousal", self.arousal, sides[1]),
        ):
            if value != default:
                out[key] = "any" if value is None else value.name.lower()
        return out


@dataclass(frozen=True)
class CalibrationProtocol:
    """What a calibration shows, in which order, for how long (see the module docstring).

    Parameters
    ----------
    states : tuple of StateInduction
        At least two states with distinct names.
    blocks_per_state : int
        Blocks of each state (at least 2: cross-validation holds whole blocks out).
    block_s, rest_s, prepare_s : float
        Length of a block, of the rest (fixation cross) after each, and of the instructions
        shown before each (seconds of stream).
    image_s : float
        How long each image is shown during a block.
    order : Order
        Shuffled by ``seed`` or counterbalanced (:mod:`bci_desktop.core.calibration.order`).
    seed : int or None
        ``None``: drawn when the calibration starts (and saved with the recording).
    self_report : bool
        Ask for valence and arousal after every block.
    name, description : str
        Shown to the user and kept in the model's card.
    base_dir : Path or None
        Where relative stimulus paths start (the protocol file's folder); not saved.
    """

    states: tuple[StateInduction, ...]
    blocks_per_state: int = 3
    block_s: float = 30.0
    rest_s: float = 10.0
    prepare_s: float = 8.0
    image_s: float = 6.0
    order: Order = Order.RANDOM
    seed: int | None = None
    self_report: bool = True
    name: str = "Four states, recall"
    description: str = ""
    base_dir: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        problems = _problems({f.name: getattr(self, f.name) for f in fields(self)})
        if problems:
            raise ConfigError("Invalid calibration protocol: " + " ".join(problems))

    # -- reading -----------------------------------------------------------------------------
    @property
    def state_names(self) -> tuple[str, ...]:
        """The states, in the protocol's order (markers number them from 1)."""
        return tuple(s.name for s in self.states)

    def state(self, name: str) -> StateInduction:
        """The state called ``name``."""
        for s in self.states:
            if s.name == name:
                return s
        raise ConfigError(f"The protocol has no state {name!r}.")

    @property
    def n_blocks(self) -> int:
        """Number of blocks."""
        return self.blocks_per_state * len(self.states)

    @property
    def duration_s(self) -> float:
        """Stream time of every block, instruction and rest (self-reports not counted)."""
        n = self.n_blocks
        return n * (self.prepare_s + self.block_s) + max(n - 1, 0) * self.rest_s

    def with_seed(self, seed: int) -> CalibrationProtocol:
        """The same protocol with its order fixed by ``seed``."""
        return replace(self, seed=int(seed))

    def block_order(self) -> tuple[str, ...]:
        """The state of every block (the seed must be set: :meth:`with_seed`)."""
        if self.seed is None:
            raise ConfigError("The protocol's order is drawn when it starts: set a seed.")
        return block_order(self.state_names, self.blocks_per_state, self.order, self.seed)

    def resolve(self, path: str) -> Path:
        """A stimulus path as given, made absolute from :attr:`base_dir`."""
        p = Path(path).expanduser()
        if not p.is_absolute() and self.base_dir is not None:
            p = self.base_dir / p
        return p

    # -- JSON --------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the file's layout)."""
        return {
            "format": FORMAT,
            "name": self.name,
            "description": self.description,
            "states": [s.to_dict() for s in self.states],
            "blocks_per_state": self.blocks_per_state,
            "block_s": self.block_s,
            "rest_s": self.rest_s,
            "prepare_s": self.prepare_s,
            "image_s": self.image_s,
            "order": self.order.value,
            "seed": self.seed,
            "self_report": self.self_report,
        }

    def to_json(self) -> str:
        """Indented JSON text."""
        return jsonsafe.dumps_strict(self.to_dict(), indent=2) + "\n"

    def save(self, path: str | Path, *, overwrite: bool = True) -> Path:
        """Write the protocol to ``path`` (atomically).

        Raises
        ------
        ConfigError
            If it cannot be written (the message says why).
        """
        target = Path(path).expanduser()
        try:
            write_atomic(target, self.to_json(), overwrite=overwrite)
        except FileExistsError as exc:
            raise ConfigError(f"'{target}' already exists.") from exc
        except OSError as exc:
            raise ConfigError(
                f"Cannot save the protocol to '{target}': {exc.strerror or exc}."
            ) from exc
        return target

    @classmethod
    def from_dict(
        cls, raw: Any, *, base_dir: Path | None = None, where: str = ""
    ) -> CalibrationProtocol:
        """Validate and build; :class:`ProtocolError` lists every problem."""
        at = f"{where}: " if where else ""
        if not isinstance(raw, dict):
            raise ProtocolError(f"{at}a calibration protocol is a JSON object.")
        problems: list[str] = []
        fmt = raw.get("format")
        if fmt != FORMAT:
            problems.append(f"'format' must be {FORMAT!r} (got {fmt!r}).")
        unknown = sorted(str(k) for k in raw if k not in _KEYS)
        if unknown:
            problems.append(
                f"unknown key(s) {', '.join(repr(k) for k in unknown)}; allowed keys are "
                f"{', '.join(_KEYS)}."
            )
        states = _read_states(raw.get("states"), problems)
        kwargs: dict[str, Any] = {}
        for key, kind in (
            ("blocks_per_state", int),
            ("block_s", float),
            ("rest_s", float),
            ("prepare_s", float),
            ("image_s", float),
            ("seed", int),
        ):
            if key in raw and not (key == "seed" and raw[key] is None):
                value = _number(raw[key], whole=kind is int)
                if value is None:
                    problems.append(f"'{key}' must be a {'whole ' if kind is int else ''}number "
                                    f"in range, got {_shown(raw[key])}.")  # fmt: skip
                else:
                    kwargs[key] = value
        if "order" in raw:
            try:
                kwargs["order"] = Order(raw["order"])
            except ValueError:
                problems.append(
                    f"'order' must be 'random' or 'counterbalanced', got {raw['order']!r}."
                )
        for key in ("name", "description"):
            if key in raw:
                if not isinstance(raw[key], str) or len(raw[key]) > _MAX_TEXT:
                    problems.append(f"'{key}' must be a text of at most {_MAX_TEXT} characters.")
                else:
                    kwargs[key] = raw[key]
        if "self_report" in raw:
            if not isinstance(raw["self_report"], bool):
                problems.append(
                    f"'self_report' must be true or false, got {raw['self_report']!r}."
                )
            else:
                kwargs["self_report"] = raw["self_report"]
        defaults = {f.name: f.default for f in fields(cls) if f.name != "states"}
        problems += _problems(
            {**defaults, "states": states, **kwargs}, checked_states=bool(states)
        )
        if problems:
            raise ProtocolError(f"{at}invalid calibration protocol: " + " ".join(problems))
        return cls(states=states, base_dir=base_dir, **kwargs)

    @classmethod
    def load(cls, path: str | Path) -> CalibrationProtocol:
        """Read a protocol file (or a recording's ``calibration.json``: its protocol, with
        the seed cleared so the next person gets an order of their own).

        Raises
        ------
        ProtocolError
            If it cannot be read or is invalid (every problem listed, the file named).
        """
        p = Path(path).expanduser()
        try:
            data = read_regular(p, max_bytes=MAX_PROTOCOL_BYTES)
            raw = jsonsafe.loads(data.decode("utf-8"), finite=True)
        except FileNotFoundError:
            raise ProtocolError(f"The protocol file '{p}' does not exist.") from None
        except OSError as exc:
            raise ProtocolError(
                f"Cannot read the protocol file '{p}': {exc.strerror or exc}."
            ) from exc
        except (UnicodeDecodeError, jsonsafe.JSONInputError, ValueError) as exc:
            raise ProtocolError(f"'{p}' is not a JSON protocol file: {exc}.") from exc
        base = p.resolve().parent
        if isinstance(raw, dict) and raw.get("format") == RECORDED_FORMAT:
            # a recording's calibration.json: its protocol, with a new order for a new person
            stored = raw.get("base_dir")
            base = Path(stored) if isinstance(stored, str) else base
            raw = raw.get("protocol")
            if isinstance(raw, dict):
                raw = {**raw, "seed": None}
        return cls.from_dict(raw, base_dir=base, where=str(p))


def _number(value: Any, *, whole: bool) -> int | float | None:
    """``value`` as an int (``whole``) or a finite float, ``None`` when it is not one (text,
    a bool, a number beyond double range)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    if not math.isfinite(number) or (whole and not number.is_integer()):
        return None
    return int(value) if whole else number


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def default_protocol(
    states: tuple[str, ...] = ("calm", "happy", "sad", "stressed"),
) -> CalibrationProtocol:
    """The built-in protocol: recall and imagery for each state, 3 blocks of 30 s each."""
    return CalibrationProtocol(tuple(StateInduction.of(s) for s in states))


def _read_states(raw: Any, problems: list[str]) -> tuple[StateInduction, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append('\'states\' must be a list of states, e.g. [{"name": "calm"}, ...].')
        return ()
    out = []
    for i, item in enumerate(raw[:64], start=1):
        where = f"state {i}"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            problems.append(f"{where} must be an object with a 'name'.")
            continue
        unknown = sorted(str(k) for k in item if k not in _STATE_KEYS)
        if unknown:
            problems.append(
                f"{where}: unknown key(s) {', '.join(repr(k) for k in unknown)}; allowed are "
                f"{', '.join(_STATE_KEYS)}."
            )
        name = item.get("name")
        if not isinstance(name, str):
            problems.append(f"{where} needs a 'name' (text).")
            continue
        kwargs: dict[str, Any] = {}
        for key in ("instructions", "cue"):
            value = item.get(key, "")
            if not isinstance(value, str) or len(value) > _MAX_TEXT:
                problems.append(
                    f"{where} ({name}): '{key}' must be a text of at most {_MAX_TEXT} characters."
                )
            else:
                kwargs[key] = value
        stimuli = item.get("stimuli", [])
        if isinstance(stimuli, str):
            stimuli = [stimuli]
        if (
            not isinstance(stimuli, list)
            or len(stimuli) > _MAX_STIMULI
            or not all(isinstance(s, str) and 0 < len(s) <= 4096 for s in stimuli)
        ):
            problems.append(
                f"{where} ({name}): 'stimuli' must be a list of at most {_MAX_STIMULI} file or "
                "folder paths."
            )
        else:
            kwargs["stimuli"] = tuple(stimuli)
        for key in ("valence", "arousal"):
            if key in item:
                if item[key] not in _SIDES:
                    problems.append(
                        f"{where} ({name}): '{key}' must be 'high', 'low' or 'any', got "
                        f"{item[key]!r}."
                    )
                else:
                    kwargs[key] = _SIDES[item[key]]
        out.append(StateInduction.of(name, **kwargs))
    if len(raw) > 64:
        problems.append("'states' holds more than 64 states.")
    return tuple(out)


def _problems(v: dict[str, Any], *, checked_states: bool = True) -> list[str]:
    """Everything wrong with a protocol's values (empty: nothing)."""
    out: list[str] = []
    states = v["states"]
    names = [s.name for s in states]
    if checked_states and len(names) < 2:
        out.append("it needs at least two states.")
    bad = [n for n in names if not STATE_NAME.match(n)]
    if bad:
        out.append(
            f"state names must start with a letter and hold at most 32 letters, digits, "
            f"spaces, '_', '+' or '-': {', '.join(repr(n) for n in bad)}."
        )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        out.append(f"states named twice: {', '.join(dupes)}.")
    bare = [s.name for s in states if not s.has_induction]
    if bare:
        out.append(
            f"no way to induce {', '.join(repr(n) for n in bare)}: give each of them "
            "'instructions' or 'stimuli' (built-in instructions exist for calm, happy, sad "
            "and stressed only)."
        )
    blocks = v["blocks_per_state"]
    if not (isinstance(blocks, int) and not isinstance(blocks, bool) and 2 <= blocks <= 50):
        out.append(
            "'blocks_per_state' must be 2 to 50 (cross-validation holds whole blocks out, "
            f"so every state needs two or more), got {blocks!r}."
        )
    for key, lo, hi in (
        ("block_s", 5.0, 600.0),
        ("rest_s", 0.0, 600.0),
        ("prepare_s", 0.0, 120.0),
        ("image_s", 1.0, 600.0),
    ):
        x = v[key]
        if not (isinstance(x, int | float) and math.isfinite(x) and lo <= x <= hi):
            out.append(f"'{key}' must be {lo:g} to {hi:g} seconds, got {x!r}.")
    seed = v["seed"]
    if seed is not None and not (isinstance(seed, int) and 0 <= seed <= MAX_SEED):
        out.append(f"'seed' must be a whole number from 0 to {MAX_SEED} or null, got {seed!r}.")
    if not isinstance(v["order"], Order):
        out.append(f"'order' must be random or counterbalanced, got {v['order']!r}.")
    return out
