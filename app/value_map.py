"""The value-map mode of the picture: on/off (M), which value it shows (Shift+M cycles
Q_tot -> V(s) -> the agent's own max Q) and the overlay to draw for the selected agent.
Plain Python: the numbers are `qmix/whatif.py` `WhatIf.value_map`'s, the drawing is
`envs/render/value_overlay.py`'s.

What a viewer should see: for the selected agent, every cell it could stand on coloured by
what the team's value (Q_tot of the greedy joint action) would be if it stood there, the
others and its GRU memory unchanged, with its real cell outlined; bright cells are where the
learned values say it would rather be (next to a prey a partner is also next to, once QMIX
has learned to coordinate captures).
"""

from __future__ import annotations

from typing import Any

from envs.render.value_overlay import OverlaySpec
from qmix.whatif import VALUE_KINDS

LABELS = {"q_tot": "Q_tot", "v": "V(s)", "q_max": "max Q"}
"""The legend's name of each value kind."""


class ValueMapMode:
    """Whether the value map is shown and which value; `overlay` builds what to draw."""

    def __init__(self) -> None:
        self.on = False
        self.kind = VALUE_KINDS[0]

    def toggle(self) -> bool:
        self.on = not self.on
        return self.on

    def cycle(self) -> str:
        """The next value kind (and the map on, since asking for one means wanting it)."""
        self.kind = VALUE_KINDS[(VALUE_KINDS.index(self.kind) + 1) % len(VALUE_KINDS)]
        self.on = True
        return self.kind

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    def overlay(self, whatif: Any, agent: int | None) -> OverlaySpec | None:
        """The overlay of `agent` (default 0) in `whatif`'s state, or None while off."""
        if not self.on or whatif is None:
            return None
        agent = 0 if agent is None else int(agent)
        return OverlaySpec(whatif.value_map(agent, self.kind), self.label,
                           whatif.agent_cell(agent), agent)

    def describe(self, agent: int | None) -> str:
        """One status line: what the picture shows now."""
        if not self.on:
            return "value map off (M)"
        return (f"value map of agent {0 if agent is None else agent}: {self.label} if it stood "
                f"on each cell (Shift+M: next value)")

