"""What the user types and reads (qmix/userio.py): NAME=VALUE parsing, strict JSON, one line."""

from __future__ import annotations

import json
import math

import pytest

from qmix.userio import dumps, json_safe, one_line, parse_assignments


def test_assignments_parse_json_python_words_and_plain_text():
    got = parse_assignments(["lr=1e-3", "double_q=true", "share_params=False", "x=None",
                             "dims=[1, 2]", "kw={\"a\": 1}", "name=pursuit", "eq=a=b"], "--set")
    assert got == {"lr": 1e-3, "double_q": True, "share_params": False, "x": None,
                   "dims": [1, 2], "kw": {"a": 1}, "name": "pursuit", "eq": "a=b"}


def test_an_assignment_without_equals_names_the_option():
    with pytest.raises(ValueError, match=r"--env expects NAME=VALUE, got 'grid_size'"):
        parse_assignments(["grid_size"], "--env")


def test_json_is_strict_non_finite_numbers_become_null():
    value = {"a": math.inf, "b": [1.0, -math.inf, {"c": math.nan}], "d": (2, 3), "e": "x"}
    text = dumps(value)
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text) == {"a": None, "b": [1.0, None, {"c": None}], "d": [2, 3], "e": "x"}
    assert json_safe(1.5) == 1.5


def test_one_line_keeps_the_first_non_empty_line_or_names_the_type():
    assert one_line(ValueError("\n  first line  \nsecond")) == "first line"
    assert one_line(KeyError()) == "KeyError"
