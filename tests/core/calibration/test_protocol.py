"""The calibration protocol file: versioned, every problem named, hostile files refused."""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bci_desktop.core.affect import STATES, Sign
from bci_desktop.core.calibration.instructions import KEEP_STILL
from bci_desktop.core.calibration.order import Order, block_order, williams_rows
from bci_desktop.core.calibration.protocol import (
    FORMAT,
    CalibrationProtocol,
    ProtocolError,
    StateInduction,
    default_protocol,
)
from bci_desktop.core.errors import ConfigError


def _write(path: Path, raw) -> Path:
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_the_default_protocol_saves_and_loads_back_unchanged(tmp_path: Path) -> None:
    p = default_protocol().with_seed(42)
    path = p.save(tmp_path / "protocol.json")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    raw = json.loads(path.read_text())
    assert raw["format"] == FORMAT and raw["seed"] == 42
    assert [s["name"] for s in raw["states"]] == list(STATES)
    back = CalibrationProtocol.load(path)
    assert back == p and back.base_dir == tmp_path
    assert back.block_order() == p.block_order()
    assert p.duration_s == 12 * (8 + 30) + 11 * 10


def test_built_in_states_have_recall_instructions_and_their_quadrant() -> None:
    p = default_protocol()
    for s in p.states:
        assert "Remember" in s.shown_instructions and KEEP_STILL in s.shown_instructions
        assert s.shown_cue.startswith("Feel")
    happy = p.state("happy")
    assert (happy.valence, happy.arousal) == (Sign.HIGH, Sign.HIGH)
    custom = StateInduction.of("focused", instructions="Count the dots.")
    assert (custom.valence, custom.arousal) == (None, None) and custom.shown_cue == "focused"


def test_every_problem_of_a_file_is_named_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bad.json",
        {
            "format": FORMAT,
            "states": [{"name": "calm"}, {"name": "focused"}, {"name": "calm", "colour": "red"}],
            "blocks_per_state": 1,
            "block_s": 2,
            "order": "alphabetical",
            "blokcs": 3,
        },
    )
    with pytest.raises(ProtocolError) as info:
        CalibrationProtocol.load(path)
    text = str(info.value)
    assert str(path) in text
    for expected in (
        "'blokcs'",
        "'colour'",
        "'order' must be 'random' or 'counterbalanced'",
        "states named twice: calm",
        "no way to induce 'focused'",
        "'blocks_per_state' must be 2 to 50",
        "'block_s' must be 5 to 600 seconds",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(
    ("content", "match"),
    [
        pytest.param(
            b'{"format": "bci-desktop-calibration-protocol/2", "states": []}',
            "'format' must be",
            id="other-version",
        ),
        pytest.param(b"not json", "is not a JSON protocol file", id="not-json"),
        pytest.param(b"[" * 100_000, "is not a JSON protocol file", id="deep"),
        pytest.param(b'{"block_s": NaN}', "is not a JSON protocol file", id="nan"),
        pytest.param(b"\xff\xfe", "is not a JSON protocol file", id="not-utf8"),
        pytest.param(b"[1, 2]", "a calibration protocol is a JSON object", id="list"),
    ],
)
def test_files_that_are_not_protocols_are_refused(tmp_path: Path, content: bytes, match: str):
    path = tmp_path / "p.json"
    path.write_bytes(content)
    with pytest.raises(ProtocolError, match=match):
        CalibrationProtocol.load(path)


@pytest.mark.parametrize("value", [10**400, -(10**400), 2**63, "3", True, 2.5])
@pytest.mark.parametrize("key", ["seed", "blocks_per_state", "block_s"])
def test_numbers_out_of_any_range_are_refused_in_one_line(key: str, value) -> None:
    if key == "block_s" and value == 2.5:
        value = 1e300
    with pytest.raises(ProtocolError, match=f"'{key}' must be"):
        CalibrationProtocol.from_dict({"format": FORMAT, "states": ["calm", "sad"], key: value})


def test_hostile_paths_are_refused_without_blocking(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="does not exist"):
        CalibrationProtocol.load(tmp_path / "missing.json")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(ProtocolError, match="not a regular file"):
        CalibrationProtocol.load(fifo)
    with pytest.raises(ProtocolError, match="a folder"):
        CalibrationProtocol.load(tmp_path)
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(2 << 20)  # sparse: nothing is allocated, nothing is read
    with pytest.raises(ProtocolError, match="larger than"):
        CalibrationProtocol.load(big)


def test_values_are_checked_when_built_in_python_too() -> None:
    with pytest.raises(ConfigError, match="at least two states"):
        CalibrationProtocol((StateInduction.of("calm"),))
    with pytest.raises(ConfigError, match="state names must start with a letter"):
        CalibrationProtocol((StateInduction.of("calm"), StateInduction.of("2 happy")))
    with pytest.raises(ConfigError, match="'seed' must be"):
        replace(default_protocol(), seed=-1)
    with pytest.raises(ConfigError, match="set a seed"):
        default_protocol().block_order()


def test_random_order_goes_in_rounds_without_repeats_and_follows_its_seed() -> None:
    for seed in range(30):
        order = block_order(STATES, 5, Order.RANDOM, seed)
        rounds = [order[i : i + 4] for i in range(0, 20, 4)]
        assert all(sorted(r) == sorted(STATES) for r in rounds)
        assert all(a != b for a, b in itertools.pairwise(order)), order
        assert order == block_order(STATES, 5, Order.RANDOM, seed)
    assert block_order(STATES, 5, Order.RANDOM, 1) != block_order(STATES, 5, Order.RANDOM, 2)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_counterbalanced_order_is_a_balanced_latin_square(n: int) -> None:
    rows = williams_rows(n)
    assert len(rows) == (n if n % 2 == 0 else 2 * n)
    for position in range(n):  # every condition once at every position (per n rows)
        assert sorted(r[position] for r in rows[:n]) == list(range(n))
    pairs = [p for r in rows for p in itertools.pairwise(r)]
    counts = {p: pairs.count(p) for p in set(pairs)}
    assert len(counts) == n * (n - 1) and len(set(counts.values())) == 1  # every pair alike
    states = [f"s{i}" for i in range(n)]
    order = block_order(states, len(rows), Order.COUNTERBALANCED, seed=1)
    assert order[:n] == tuple(states[i] for i in rows[1])  # the seed picks the first row


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    ["format", "states", "blocks_per_state", "block_s", "rest_s", "order", "seed", "name",
     "self_report", "image_s", "prepare_s"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _json, max_size=8), st.booleans())
def test_any_json_is_a_protocol_or_one_clear_refusal(raw, with_format) -> None:
    if with_format:
        raw = {**raw, "format": FORMAT}
    try:
        protocol = CalibrationProtocol.from_dict(raw)
    except ProtocolError as exc:
        assert str(exc).startswith("invalid calibration protocol: ") and "\n" not in str(exc)
    else:
        assert CalibrationProtocol.from_dict(protocol.to_dict()) == protocol
