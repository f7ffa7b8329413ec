"""Exact comparison of replay records (Snapshots, Decisions, Inspections, render frames)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


def assert_same(a: Any, b: Any, where: str = "") -> None:
    """a and b hold the same values of the same types (arrays: same dtype, shape and bits)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), f"{where}: array vs {type(b).__name__}"
        assert a.dtype == b.dtype and a.shape == b.shape, \
            f"{where}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"{where}: values differ"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), f"{where}: keys differ"
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{where}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert type(a) is type(b) or (isinstance(a, float) and isinstance(b, float)), \
            f"{where}: {type(a).__name__} vs {type(b).__name__}"
        assert a == b or (a != a and b != b), f"{where}: {a!r} vs {b!r}"


def assert_same_episodes(a: list, b: list) -> None:
    assert [(e.kind, e.number, e.env_steps) for e in a] == \
        [(e.kind, e.number, e.env_steps) for e in b]
    for x, y in zip(a, b):
        assert_same(x, y, x.title)
