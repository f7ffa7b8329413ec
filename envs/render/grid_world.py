"""The grid-world drawing ("pursuit", "foraging", "grid"): floor, walls, prey, food, agents
with their pending actions, and a header with the step and the episode's return.

A snapshot may carry any of `walls`, `prey` (+ `prey_alive`, `captured_now`), `food`
(+ `food_levels`, `food_alive`, `collected_now`), `agent_levels`, `failed_catch` and
`view_radius`; what it carries is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from envs.render import paint, value_overlay
from envs.render.paint import Colour, RenderOptions

ARROWS = {1: (0, -1), 2: (0, 1), 3: (-1, 0), 4: (1, 0)}
"""Screen direction (dx, dy) of the move actions up/down/left/right (action ids 1-4)."""


@dataclass(frozen=True)
class Layout:
    """Where a grid world lands in the frame; shared by draw and hit_test."""

    left: float
    top: float  # top of the grid (the header strip sits above it)
    cell: float
    rows: int
    cols: int
    header_top: float
    header_h: float
    header_px: int = 10  # the header's label size (paint.label_px)

    def centre(self, row: float, col: float) -> tuple[float, float]:
        """Pixel centre of cell (row, col)."""
        return self.left + (col + 0.5) * self.cell, self.top + (row + 0.5) * self.cell


def layout(snapshot: dict[str, Any], size: tuple[int, int],
           opts: RenderOptions | None = None) -> Layout:
    width, height = size
    rows, cols = (int(v) for v in snapshot["grid_shape"])
    margin = max(4.0, 0.025 * min(width, height))
    header_h = max(18.0, 0.075 * min(width, height))
    header_px = paint.label_px(header_h * 0.62, opts)
    header_h = max(header_h, header_px / 0.62)  # bigger labels: a taller strip, not clipped
    avail_w = max(width - 2 * margin, 1.0)
    avail_h = max(height - 2 * margin - header_h, 1.0)
    cell = min(avail_w / cols, avail_h / rows)
    grid_w, grid_h = cell * cols, cell * rows
    left = (width - grid_w) / 2
    header_top = (height - grid_h - header_h) / 2
    return Layout(left=left, top=header_top + header_h, cell=cell, rows=rows, cols=cols,
                  header_top=header_top, header_h=header_h, header_px=header_px)


def draw(surf: pygame.Surface, snap: dict[str, Any], opts: RenderOptions,
         theme: dict[str, Colour]) -> None:
    lay = layout(snap, surf.get_size(), opts)
    cell = lay.cell
    grid_rect = pygame.Rect(round(lay.left), round(lay.top), round(cell * lay.cols),
                            round(cell * lay.rows))
    pygame.draw.rect(surf, theme["floor"], grid_rect)
    if opts.value_map is not None:  # the what-if value map, under everything (value_overlay)
        value_overlay.draw_cells(surf, lay, opts.value_map, _cell_rect)

    walls = np.asarray(snap.get("walls", np.zeros((lay.rows, lay.cols), bool)), dtype=bool)
    hatch_w = max(1, round(cell * 0.05))
    for r, c in zip(*np.nonzero(walls)):
        rect = _cell_rect(lay, int(r), int(c))
        pygame.draw.rect(surf, theme["wall"], rect)
        # diagonal hatching: reads as "solid" even in greyscale or on a washed-out projector
        for k in (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75):
            x0, y0 = rect.left + k * rect.width, rect.top
            x1, y1 = rect.left, rect.top + k * rect.height
            seg = rect.clipline((x0, y0), (x1, y1))
            if seg:
                pygame.draw.line(surf, theme["wall_edge"], seg[0], seg[1], hatch_w)

    line_w = max(1, round(cell * 0.035))
    for i in range(lay.rows + 1):
        y = round(lay.top + i * cell)
        pygame.draw.line(surf, theme["grid"], (grid_rect.left, y), (grid_rect.right, y), line_w)
    for j in range(lay.cols + 1):
        x = round(lay.left + j * cell)
        pygame.draw.line(surf, theme["grid"], (x, grid_rect.top), (x, grid_rect.bottom), line_w)
    pygame.draw.rect(surf, theme["grid"], grid_rect.inflate(line_w, line_w), max(2, line_w * 2))

    agents = np.asarray(snap["agents"], dtype=np.int64).reshape(-1, 2)  # (N, 2)
    n_agents = len(agents)
    selected = opts.selected_agent if opts.selected_agent is not None and \
        0 <= opts.selected_agent < n_agents else None

    if opts.show_view_radius and "view_radius" in snap:
        _draw_view_squares(surf, lay, agents, int(snap["view_radius"]), selected, grid_rect)

    if snap.get("scenario") == "pursuit" or "prey" in snap:
        _draw_pursuit_items(surf, lay, snap, theme)
    if "food" in snap:
        _draw_food(surf, lay, snap, theme)

    actions = None if opts.actions is None else np.asarray(opts.actions).reshape(-1)
    names = tuple(snap.get("action_names", ()))
    levels = snap.get("agent_levels")
    failed = snap.get("failed_catch")
    for i, (r, c) in enumerate(agents):
        cx, cy = lay.centre(int(r), int(c))
        colour = paint.agent_colour(i)
        if actions is not None and i < len(actions):
            _draw_action(surf, lay, (cx, cy), int(actions[i]), names, colour, theme)
        paint.disc(surf, (cx, cy), 0.40 * cell, colour, theme["outline"], max(2, cell * 0.05))
        paint.text(surf, str(i), paint.font(max(8, round(cell * 0.50))), paint.contrast(colour),
                   (cx, cy))
        if selected == i:
            paint.ring(surf, (cx, cy), 0.49 * cell, theme["text"], max(3, cell * 0.07))
        if levels is not None:
            _draw_level_badge(surf, (cx, cy), cell, int(levels[i]), theme)
        if failed is not None and bool(failed[i]):
            _draw_cross(surf, (cx - 0.30 * cell, cy - 0.30 * cell), 0.13 * cell, theme)

    _draw_header(surf, lay, snap, theme)
    if opts.value_map is not None:
        value_overlay.draw_marks(surf, lay, opts.value_map, theme, _cell_rect, snap)


def _cell_rect(lay: Layout, r: int, c: int) -> pygame.Rect:
    x0 = round(lay.left + c * lay.cell)
    y0 = round(lay.top + r * lay.cell)
    x1 = round(lay.left + (c + 1) * lay.cell)
    y1 = round(lay.top + (r + 1) * lay.cell)
    return pygame.Rect(x0, y0, x1 - x0, y1 - y0)


def _draw_view_squares(surf: pygame.Surface, lay: Layout, agents: np.ndarray,
                       radius: int, selected: int | None, clip: pygame.Rect) -> None:
    """Translucent field-of-view squares; one small surface-alpha patch each (a full-frame
    per-pixel-alpha overlay cost more than the whole rest of the frame)."""
    which = [selected] if selected is not None else range(len(agents))
    border = max(2, round(lay.cell * 0.05))
    for i in which:
        r, c = (int(v) for v in agents[i])
        x0 = round(lay.left + (c - radius) * lay.cell)
        y0 = round(lay.top + (r - radius) * lay.cell)
        side = round((2 * radius + 1) * lay.cell)
        rect = pygame.Rect(x0, y0, side, side).clip(clip)
        if rect.width <= 0 or rect.height <= 0:
            continue
        colour = paint.agent_colour(i)
        patch = pygame.Surface(rect.size, 0, 32)
        patch.fill(colour)
        patch.set_alpha(46)  # whole-surface alpha: several times cheaper than per-pixel
        surf.blit(patch, rect.topleft)
        pygame.draw.rect(surf, colour, rect, border)


def _draw_items(surf: pygame.Surface, lay: Layout, snap: dict[str, Any],
                theme: dict[str, Colour], key: str, alive_key: str, gone_now_key: str,
                draw_alive: Any) -> None:
    """The items at `snap[key]` (K, 2 cells): each live one by `draw_alive(k, cx, cy)`, one
    that went this very step (captured, collected) as a burst."""
    cells = np.asarray(snap[key], dtype=np.int64).reshape(-1, 2)
    alive = np.asarray(snap.get(alive_key, np.ones(len(cells), bool)), dtype=bool)
    gone_now = np.asarray(snap.get(gone_now_key, np.zeros(len(cells), bool)), dtype=bool)
    cell = lay.cell
    for k, (r, c) in enumerate(cells):
        cx, cy = lay.centre(int(r), int(c))
        if alive[k]:
            draw_alive(k, cx, cy)
        elif gone_now[k]:
            paint.burst(surf, (cx, cy), 0.22 * cell, 0.46 * cell, theme["accent"],
                        max(3, round(cell * 0.07)), 8)


def _draw_pursuit_items(surf: pygame.Surface, lay: Layout, snap: dict[str, Any],
                        theme: dict[str, Colour]) -> None:
    cell = lay.cell

    def prey(_k: int, cx: float, cy: float) -> None:  # a diamond
        h = 0.38 * cell
        pts = [(cx, cy - h), (cx + h, cy), (cx, cy + h), (cx - h, cy)]
        pygame.draw.polygon(surf, theme["prey"], pts)
        pygame.draw.polygon(surf, theme["prey_edge"], pts, max(2, round(cell * 0.05)))

    _draw_items(surf, lay, snap, theme, "prey", "prey_alive", "captured_now", prey)


def _draw_food(surf: pygame.Surface, lay: Layout, snap: dict[str, Any],
               theme: dict[str, Colour]) -> None:
    levels = np.asarray(snap["food_levels"]).reshape(-1)
    cell = lay.cell

    def food(k: int, cx: float, cy: float) -> None:  # a rounded square with its level
        side = 0.72 * cell
        rect = pygame.Rect(0, 0, round(side), round(side))
        rect.center = (round(cx), round(cy))
        radius = max(2, round(cell * 0.12))
        pygame.draw.rect(surf, theme["food"], rect, border_radius=radius)
        pygame.draw.rect(surf, theme["outline"], rect, max(2, round(cell * 0.045)),
                         border_radius=radius)
        paint.text(surf, str(int(levels[k])), paint.font(max(8, round(cell * 0.48))),
                   theme["food_text"], (cx, cy))

    _draw_items(surf, lay, snap, theme, "food", "food_alive", "collected_now", food)


def _draw_level_badge(surf: pygame.Surface, centre: tuple[float, float], cell: float,
                      level: int, theme: dict[str, Colour]) -> None:
    """Agent level (foraging) in a small dark badge at the disc's lower right."""
    bx, by = centre[0] + 0.30 * cell, centre[1] + 0.30 * cell
    paint.disc(surf, (bx, by), 0.20 * cell, (20, 20, 26), (255, 255, 255), max(1, cell * 0.03))
    paint.text(surf, str(level), paint.font(max(8, round(cell * 0.30))), (255, 255, 255), (bx, by))


def _draw_cross(surf: pygame.Surface, centre: tuple[float, float], half: float,
                theme: dict[str, Colour]) -> None:
    """Red X: this agent's catch went unanswered last step (it paid the penalty)."""
    cx, cy = centre
    w = max(3, round(half * 0.55))
    paint.disc(surf, (cx, cy), half * 1.25, theme["outline"], theme["outline"], 0)
    pygame.draw.line(surf, theme["bad"], (cx - half * 0.7, cy - half * 0.7),
                     (cx + half * 0.7, cy + half * 0.7), w)
    pygame.draw.line(surf, theme["bad"], (cx - half * 0.7, cy + half * 0.7),
                     (cx + half * 0.7, cy - half * 0.7), w)


def _draw_action(surf: pygame.Surface, lay: Layout, centre: tuple[float, float],
                 action: int, names: tuple[str, ...], colour: Colour,
                 theme: dict[str, Colour]) -> None:
    """Arrow for a move, a burst for catch/load; nothing for stay."""
    cell = lay.cell
    if action in ARROWS:
        dx, dy = ARROWS[action]
        start = (centre[0] + dx * 0.30 * cell, centre[1] + dy * 0.30 * cell)
        end = (centre[0] + dx * 1.02 * cell, centre[1] + dy * 1.02 * cell)
        paint.arrow(surf, start, end, 0.21 * cell, colour, theme["outline"])
    elif 0 <= action < len(names) and names[action] in ("catch", "load"):
        paint.burst(surf, centre, 0.44 * cell, 0.62 * cell, theme["accent"],
                    max(3, round(cell * 0.075)), 8)


def _draw_header(surf: pygame.Surface, lay: Layout, snap: dict[str, Any],
                 theme: dict[str, Colour]) -> None:
    font = paint.font(lay.header_px)
    y = lay.header_top + lay.header_h * 0.45
    paint.status_line(surf, snap, theme, font, lay.left, lay.left + lay.cell * lay.cols, y)


def agent_centres(snapshot: dict[str, Any], size: tuple[int, int],
                  opts: RenderOptions | None = None) -> tuple[np.ndarray, float]:
    """(N, 2) pixel centres of the agent discs and their radius, as `draw` draws them."""
    lay = layout(snapshot, size, opts)
    agents = np.asarray(snapshot["agents"], dtype=np.float64).reshape(-1, 2)  # (N, 2)
    xs = lay.left + (agents[:, 1] + 0.5) * lay.cell
    ys = lay.top + (agents[:, 0] + 0.5) * lay.cell
    return np.stack([xs, ys], axis=1), 0.40 * lay.cell


def hit_test(snapshot: dict[str, Any], size: tuple[int, int], x: int, y: int,
             opts: RenderOptions | None = None) -> int | None:
    return paint.nearest_disc(*agent_centres(snapshot, size, opts), x, y)
