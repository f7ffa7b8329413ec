"""Small validators shared by the scenario configs.

Why a helper: every config error must name the offending field ("pursuit.grid_size must be
>= 3, got 2") so a typo in a GUI form or a CLI flag is fixed in seconds, and writing that
message by hand in every `validate()` invites inconsistency.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def check_int(scope: str, name: str, value: Any, minimum: int | None = None,
              maximum: int | None = None) -> None:
    """Raise ValueError unless `value` is an integer (not a bool) within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{scope}.{name} must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{scope}.{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{scope}.{name} must be <= {maximum}, got {value}")


def check_float(scope: str, name: str, value: Any, minimum: float | None = None,
                maximum: float | None = None) -> None:
    """Raise ValueError unless `value` is a finite real number within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{scope}.{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{scope}.{name} must be finite, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{scope}.{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{scope}.{name} must be <= {maximum}, got {value}")
