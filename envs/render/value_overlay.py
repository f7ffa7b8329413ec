"""The value-map overlay of the grid-world drawing: a per-cell value array as a heat map under
the agents and items, each cell's value printed, the agent's real cell outlined and a colour
legend (low .. high) in the header's middle. `RenderOptions.value_map` (an `OverlaySpec`)
turns it on; `qmix/whatif.py` `WhatIf.value_map` computes the values.

Cells without a value (NaN: walls, cells taken by others) keep the plain floor, so "could
not stand there" reads differently from "worth little".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from envs.render import paint
from envs.render.paint import Colour
from envs.render.vectors import colour_map


@dataclass(frozen=True)
class OverlaySpec:
    """A value map to draw: values (H, W) with NaN where there is none, its name for the
    legend ("Q_tot", "V(s)", "max Q"), and the cell (row, col) to outline (the agent's real
    cell) with the colour to outline it in (the agent's)."""

    values: np.ndarray
    label: str = "Q_tot"
    cell: tuple[int, int] | None = None
    agent: int | None = None


def value_range(values: np.ndarray) -> tuple[float, float]:
    """(lo, hi) of the finite values, widened to a unit span when they are all the same."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def draw_cells(surf: pygame.Surface, lay: Any, spec: OverlaySpec,
               cell_rect: Any) -> None:
    """The heat cells and their numbers (under the grid lines, agents and items)."""
    values = np.asarray(spec.values, dtype=np.float64)
    if values.shape != (lay.rows, lay.cols):
        raise ValueError(f"a value map must be (rows, cols) = ({lay.rows}, {lay.cols}), got "
                         f"{values.shape}")
    lo, hi = value_range(values)
    rgb = colour_map((values - lo) / (hi - lo))  # (H, W, 3)
    small = paint.font(max(7, round(lay.cell * 0.19)))
    for (r, c), v in np.ndenumerate(values):
        if not np.isfinite(v):
            continue
        rect = cell_rect(lay, int(r), int(c))
        colour = tuple(int(x) for x in rgb[r, c])
        pygame.draw.rect(surf, colour, rect)
        # the number in the cell's lower band, where agents and items leave room
        paint.text(surf, paint.number(v, short=True), small, paint.contrast(colour),
                   (rect.centerx, rect.bottom - lay.cell * 0.13))


def draw_marks(surf: pygame.Surface, lay: Any, spec: OverlaySpec, theme: dict[str, Colour],
               cell_rect: Any, snap: dict[str, Any] | None = None) -> None:
    """The real cell's outline and the legend (over everything else)."""
    if spec.cell is not None:
        rect = cell_rect(lay, int(spec.cell[0]), int(spec.cell[1]))
        colour = theme["accent"] if spec.agent is None else paint.agent_colour(spec.agent)
        w = max(3, round(lay.cell * 0.08))
        pygame.draw.rect(surf, theme["outline"], rect.inflate(w, w), w + 2)
        pygame.draw.rect(surf, colour, rect.inflate(w // 2, w // 2), w)
    _draw_legend(surf, lay, spec, theme, snap)


def _header_widths(lay: Any, snap: dict[str, Any] | None) -> tuple[float, float]:
    """Pixel widths of the header's own left ('t 3 / 25') and right ('return 1.5') texts."""
    if snap is None:
        return 0.0, 0.0
    font = paint.font(max(10, round(lay.header_h * 0.62)))
    status = "done  " if snap.get("terminated") else "time up  " if snap.get("truncated") else ""
    left = f"t {snap.get('t', 0)} / {snap.get('episode_limit', 0)}"
    right = f"{status}return {paint.number(snap.get('episode_return', 0.0))}"
    return float(font.size(left)[0]), float(font.size(right)[0])


def _draw_legend(surf: pygame.Surface, lay: Any, spec: OverlaySpec,
                 theme: dict[str, Colour], snap: dict[str, Any] | None = None) -> None:
    """'label lo [bar] hi' in the header strip, between its own texts (smaller if needed)."""
    lo, hi = value_range(np.asarray(spec.values, dtype=np.float64))
    grid_w = lay.cell * lay.cols
    left_w, right_w = _header_widths(lay, snap)
    pad = lay.header_h * 0.4
    room_left, room_right = lay.left + left_w + pad, lay.left + grid_w - right_w - pad
    left_text = f"{spec.label} {paint.number(lo, short=True)}"
    right_text = paint.number(hi, short=True)
    for scale in (0.45, 0.38, 0.32, 0.27):
        font = paint.font(max(7, round(lay.header_h * scale)))
        bar_h = max(5, round(lay.header_h * scale * 0.9))
        gap = max(3, round(bar_h * 0.45))
        lw, rw = font.size(left_text)[0], font.size(right_text)[0]
        bar_w = max(16, round(min(grid_w * 0.22, room_right - room_left - lw - rw - 2 * gap)))
        total = lw + gap + bar_w + gap + rw
        if total <= room_right - room_left:
            break
    cy = lay.header_top + lay.header_h * 0.45
    x0 = max(room_left, (room_left + room_right) / 2 - total / 2)
    paint.text(surf, left_text, font, theme["text"], (x0, cy), anchor="w")
    bx = round(x0 + lw + gap)
    ramp = colour_map(np.linspace(0.0, 1.0, bar_w))  # (bar_w, 3)
    strip = pygame.surfarray.make_surface(np.repeat(ramp[:, None, :], bar_h, axis=1))
    surf.blit(strip, (bx, round(cy - bar_h / 2)))
    pygame.draw.rect(surf, theme["outline"], pygame.Rect(bx, round(cy - bar_h / 2), bar_w,
                                                         bar_h), 1)
    paint.text(surf, right_text, font, theme["text"], (bx + bar_w + gap, cy), anchor="w")
