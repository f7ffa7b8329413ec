"""The value-map mode (app/value_map.py): M toggles, Shift+M cycles Q_tot -> V(s) -> max Q,
and the overlay is the what-if's map of the selected agent with its real cell."""

from __future__ import annotations

import numpy as np

from app.value_map import ValueMapMode


class FakeWhatIf:
    def __init__(self) -> None:
        self.asked: list[tuple[int, str]] = []

    def value_map(self, agent: int, what: str) -> np.ndarray:
        self.asked.append((agent, what))
        return np.full((3, 3), float(agent))

    def agent_cell(self, agent: int) -> tuple[int, int]:
        return agent, 2


def test_toggle_cycle_and_overlay():
    mode, wi = ValueMapMode(), FakeWhatIf()
    assert mode.overlay(wi, 1) is None and "off" in mode.describe(1)
    assert mode.toggle() is True
    spec = mode.overlay(wi, 1)
    assert spec.label == "Q_tot" and spec.cell == (1, 2) and spec.agent == 1
    np.testing.assert_array_equal(spec.values, np.ones((3, 3)))
    assert [mode.cycle(), mode.cycle(), mode.cycle()] == ["v", "q_max", "q_tot"]
    mode.toggle()
    assert mode.cycle() == "v" and mode.on  # asking for a value turns the map on
    assert mode.overlay(wi, None).agent == 0 and wi.asked[-1] == (0, "v")
    assert "V(s) if it stood on each cell" in mode.describe(2)
    assert mode.overlay(None, 0) is None
