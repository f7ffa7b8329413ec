"""Small helpers shared by the inspector's painted widgets: how a number is shown, colour
blending, readable ink on a coloured background."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor


def fmt(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    digits = 1 if abs(value) >= 100 else 2
    return f"{round(float(value), digits) + 0.0:.{digits}f}"  # + 0.0: no "-0.00"


def mix(a: QColor, b: QColor, t: float) -> QColor:
    t = float(min(1.0, max(0.0, t)))
    return QColor(round(a.red() + (b.red() - a.red()) * t),
                  round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


def ink_for(bg: QColor) -> QColor:
    luminance = 0.299 * bg.red() + 0.587 * bg.green() + 0.114 * bg.blue()
    return QColor("#111111") if luminance > 150 else QColor("#ffffff")
