"""What a user types and reads, shared by every command line (train, sweep, report, the app):
NAME=VALUE assignments, strict JSON lines, one-line errors. No other QMIX Studio import, so
any module may use it without an import circle."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from typing import Any


def _parse_value(text: str) -> Any:
    """A --set/--env value: JSON (1e-3, true, [1, 2], {"a": 1}), Python's True/False/None,
    else the text itself (the config's type check then names the field if it does not fit)."""
    python_words = {"True": True, "False": False, "None": None}
    if text.strip() in python_words:
        return python_words[text.strip()]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text

def parse_assignments(items: list[str], what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"{what} expects NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = _parse_value(value)
    return out

def json_safe(value: Any) -> Any:
    """Plain JSON: NaN and infinities become null (json.dumps would write `Infinity`, which
    is not JSON and which strict parsers reject)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value

def dumps(value: Any, **kwargs: Any) -> str:
    return json.dumps(json_safe(value), allow_nan=False, **kwargs)

def one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def exit_status(command: Callable[[], int]) -> int:
    """Run one CLI command: its exit status; a user's error (ValueError, OSError: a bad file,
    a wrong value, a full disk) is one line on stderr and 2, Ctrl+C 130, a diverged run 1."""
    try:
        return command()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as exc:  # CheckpointError is a ValueError
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except FloatingPointError as exc:  # a diverged run: not a crash, say what to try
        print(f"error: training diverged: {one_line(exc)}", file=sys.stderr)
        return 1
