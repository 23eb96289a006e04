"""Bounded JSON in, strict JSON out (issue 12, items 9 and 14), and text safe to print
(item 12)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bci_desktop.core import jsonsafe
from bci_desktop.core.prediction import Prediction
from bci_desktop.core.terminal import printable


def _strict(text: str):
    """Parse as a strict parser (JavaScript's JSON.parse) would: no NaN, no Infinity."""

    def refuse(name: str):
        raise ValueError(f"non-standard token {name}")

    return json.loads(text, parse_constant=refuse)


def test_deep_json_is_refused_with_a_message_not_a_recursion_error():
    for levels in (65, 1_000, 100_000):
        with pytest.raises(jsonsafe.JSONInputError, match="nested deeper than 64 levels"):
            jsonsafe.loads("[" * levels + "]" * levels)
    assert jsonsafe.loads("[" * 64 + "]" * 64) is not None
    assert jsonsafe.depth({"a": [1, {"b": []}]}) == 4 and jsonsafe.depth(5) == 0


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_refused_where_real_numbers_are_required(token):
    text = '{"sample_rate": ' + token + "}"
    with pytest.raises(jsonsafe.JSONInputError, match=r"not a real number|beyond the range"):
        jsonsafe.loads(text, finite=True)
    assert "sample_rate" in jsonsafe.loads(text)  # our own files may hold them (read as is)


def test_bad_json_is_one_clear_error():
    for text in ("{", "", "\xff", "[1,]", "1" * 5000):
        with pytest.raises(jsonsafe.JSONInputError, match="not valid JSON"):
            jsonsafe.loads(text)
    with pytest.raises(jsonsafe.JSONInputError, match="not UTF-8"):
        jsonsafe.loads(b"\xff\xfe")


def test_prediction_json_is_strict_with_null_for_non_finite_numbers():
    p = Prediction(t=math.nan, index=3, classes=("calm", "happy"), label=None,
                   probabilities=(math.nan, math.inf), confidence=None, latency_ms=0.25,
                   withheld="Model 'x' gave no probabilities", truth=None)  # fmt: skip
    text = jsonsafe.prediction_json(p)
    record = _strict(text)
    assert record["t"] is None and record["probabilities"] == {"calm": None, "happy": None}
    assert record["index"] == 3 and record["withheld"].startswith("Model")
    assert "\n" not in text
    assert _strict(jsonsafe.prediction_json(p.to_dict())) == record


def test_dumps_strict_turns_numpy_into_plain_json():
    value = {"a": np.float32(1.5), "b": np.int64(3), "c": np.array([1.0, np.nan]), "d": (1, 2)}
    assert _strict(jsonsafe.dumps_strict(value)) == {"a": 1.5, "b": 3, "c": [1.0, None],
                                                      "d": [1, 2]}  # fmt: skip


def test_printable_escapes_what_a_terminal_would_obey():
    evil = "\x1b[2J\x1b[31mred\nforged\trow\r\x07\u202etxt.exe\u2028"
    shown = printable(evil)
    assert not any(ord(c) < 32 or c in "\x7f\u202e\u2028" for c in shown)
    assert shown == "\\x1b[2J\\x1b[31mred\\nforged\\trow\\r\\x07\\u202etxt.exe\\u2028"
    assert printable("Zoë, C:\\data") == "Zoë, C:\\data"  # ordinary text is untouched
    assert printable("a" * 50, limit=10) == "a" * 9 + "…"
    assert printable(None) == ""
