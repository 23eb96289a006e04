"""The order of a calibration's blocks: shuffled with a seed, or counterbalanced.

Both go in *rounds*: each round shows every state once, so a state's blocks are spread over
the whole session (fatigue and electrode drift then hit every state alike) and every state
has as many blocks as there are rounds.

- ``random``: each round is shuffled with the seed; a round never starts with the state the
  previous round ended with (no two blocks of one state in a row).
- ``counterbalanced``: the rounds follow the rows of a balanced Latin square (Williams
  design): over as many rounds as states (twice as many for an odd number of states) every
  state appears once at every position and follows every other state exactly once, so
  order and carry-over effects are balanced. The seed picks the starting row: give each
  person a different seed (e.g. their number) to balance across people too.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence

__all__ = ["Order", "block_order", "williams_rows"]


class Order(enum.Enum):
    """How the blocks are ordered."""

    RANDOM = "random"
    COUNTERBALANCED = "counterbalanced"


def williams_rows(n: int) -> list[list[int]]:
    """The rows of a balanced Latin square for ``n`` conditions (``2n`` rows when ``n`` is
    odd: each row and its mirror image)."""
    if n < 1:
        return []
    first = _williams_first_row(n)
    rows = [[(c + r) % n for c in first] for r in range(n)]
    if n % 2:
        rows += [list(reversed(row)) for row in rows]
    return rows


def _williams_first_row(n: int) -> list[int]:
    """0, 1, n-1, 2, n-2, 3, ... (the classic construction)."""
    row = [0]
    up, down = 1, n - 1
    while len(row) < n:
        row.append(up)
        up += 1
        if len(row) < n:
            row.append(down)
            down -= 1
    return row


def block_order(states: Sequence[str], rounds: int, order: Order, seed: int) -> tuple[str, ...]:
    """The state of every block: ``rounds`` rounds of ``states``."""
    names = list(states)
    if order is Order.COUNTERBALANCED:
        rows = williams_rows(len(names))
        start = seed % len(rows)
        return tuple(names[i] for r in range(rounds) for i in rows[(start + r) % len(rows)])
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(rounds):
        chunk = names[:]
        rng.shuffle(chunk)
        if out and len(chunk) > 1 and chunk[0] == out[-1]:
            swap = rng.randrange(1, len(chunk))
            chunk[0], chunk[swap] = chunk[swap], chunk[0]
        out.extend(chunk)
    return tuple(out)
