"""The value-map overlay (envs/render/value_overlay.py): each cell with a value is painted its
colour on the viridis scale of the map's own range, cells without one keep the floor, the
real cell is outlined and the legend sits in the header."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

import envs
from envs.render import RenderOptions, render
from envs.render.grid_world import layout
from envs.render.paint import THEMES
from envs.render.value_overlay import OverlaySpec, value_range
from envs.render.vectors import colour_map

SIZE = (480, 520)


def frame():
    env = envs.make("pursuit", n_envs=1)
    env.reset(seed=0)
    env.set_layout(0, [[0, 0], [5, 5], [2, 3]], [[4, 1], [1, 4]])
    return env.snapshot(0)


def pixel(surf, lay, r, c, fx=0.12, fy=0.12):
    """A pixel near a cell's top-left corner: away from the discs, numbers and grid lines."""
    x = int(lay.left + (c + fx) * lay.cell)
    y = int(lay.top + (r + fy) * lay.cell)
    return tuple(surf.get_at((x, y)))[:3]


def test_cells_take_their_value_colour_and_nan_cells_keep_the_floor():
    snap = frame()
    values = np.arange(36, dtype=np.float64).reshape(6, 6) / 10 - 1.0
    values[3, 3] = np.nan  # "cannot stand here"
    values[4, 1] = np.nan
    surf = render(snap, SIZE, RenderOptions(value_map=OverlaySpec(values, "Q_tot", (0, 0), 0)))
    lay = layout(snap, SIZE)
    lo, hi = value_range(values)
    assert (lo, hi) == (-1.0, 2.5)
    for r, c in ((0, 3), (2, 0), (5, 0), (1, 1)):
        want = tuple(int(v) for v in colour_map((values[r, c] - lo) / (hi - lo)))
        got = pixel(surf, lay, r, c)
        assert max(abs(a - b) for a, b in zip(got, want)) <= 2, (r, c, got, want)
    assert pixel(surf, lay, 3, 3) == THEMES["dark"]["floor"]
    # the real cell is outlined (agent 0's colour at its edge), the header carries a legend
    plain = render(snap, SIZE)
    edge = (int(lay.left + 0.02 * lay.cell), int(lay.top + 0.5 * lay.cell))
    assert surf.get_at(edge) != plain.get_at(edge)
    header = pygame.surfarray.array3d(surf)[:, int(lay.header_top):int(lay.top)]
    plain_header = pygame.surfarray.array3d(plain)[:, int(lay.header_top):int(lay.top)]
    assert (header != plain_header).any()


def test_a_flat_map_still_draws_and_a_wrong_shape_is_refused():
    snap = frame()
    render(snap, SIZE, RenderOptions(value_map=OverlaySpec(np.full((6, 6), 0.5), "V(s)")))
    assert value_range(np.full((2, 2), np.nan)) == (0.0, 1.0)
    with pytest.raises(ValueError, match="must be \\(rows, cols\\) = \\(6, 6\\)"):
        render(snap, SIZE, RenderOptions(value_map=OverlaySpec(np.zeros((5, 6)))))
