"""The inspector's shared helpers (app/drawing.py)."""

from __future__ import annotations

import math

from PySide6.QtGui import QColor

from app.drawing import fmt, ink_for, mix


def test_numbers_on_screen():
    assert fmt(None) == fmt(math.nan) == fmt(math.inf) == "–"
    assert fmt(-0.001) == "0.00" and fmt(7.986) == "7.99" and fmt(123.45) == "123.5"


def test_colour_helpers():
    assert mix(QColor("#000000"), QColor("#ffffff"), 0.5).name() == "#808080"
    assert mix(QColor("#000000"), QColor("#ffffff"), 2.0).name() == "#ffffff"
    assert ink_for(QColor("#ffffff")).name() == "#111111"
    assert ink_for(QColor("#000000")).name() == "#ffffff"
