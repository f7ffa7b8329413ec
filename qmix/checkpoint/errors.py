"""The one error a checkpoint operation raises, and how its message is kept to one line."""

from __future__ import annotations


class CheckpointError(ValueError):
    """A checkpoint could not be saved or loaded. The message is one user-facing line naming
    what is wrong; the live run and any earlier file are unchanged."""


def one_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (HDF5 errors span many)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
