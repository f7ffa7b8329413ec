"""Draw a scenario snapshot onto an offscreen pygame Surface (and map clicks back to agents).

Why offscreen and snapshot-based: the GUI thread draws while the trainer thread keeps
stepping the environments, so rendering must never read live env internals -- it only
reads the plain-data dict that `VecEnv.snapshot()` copied. No window is ever opened:
`pygame.display` and `pygame.event` are never touched (they belong to the main thread and
to Qt here), only `pygame.font` is initialised, for text.

Built for a projector: thick lines, big bold numbers, colour-blind-safe Okabe-Ito agent
colours with dark outlines (readable on both themes), shapes as well as colours telling
entities apart (agents = discs, prey = diamonds, food = rounded squares).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pygame.gfxdraw  # noqa: E402

Colour = tuple[int, int, int]

AGENT_COLOURS: list[Colour] = [
    (230, 159, 0),  # orange
    (86, 180, 233),  # sky blue
    (0, 158, 115),  # bluish green
    (240, 228, 66),  # yellow
    (0, 114, 178),  # blue
    (213, 94, 0),  # vermillion
    (204, 121, 167),  # reddish purple
]
"""Okabe-Ito palette (minus black): distinguishable under the common colour-vision
deficiencies; agent i gets AGENT_COLOURS[i % 7] and its id number is drawn on it too."""

THEMES: dict[str, dict[str, Colour]] = {
    "dark": {
        "background": (17, 19, 25), "floor": (36, 40, 51), "grid": (66, 72, 90),
        "wall": (112, 118, 138), "wall_edge": (70, 75, 92), "text": (242, 242, 246),
        "muted": (150, 156, 172), "outline": (8, 8, 12), "prey": (250, 250, 250),
        "prey_edge": (10, 10, 14), "food": (232, 220, 190), "food_text": (25, 22, 16),
        "accent": (255, 214, 10), "bad": (255, 90, 80), "box": (30, 34, 44),
    },
    "light": {
        "background": (236, 236, 232), "floor": (255, 255, 255), "grid": (176, 178, 186),
        "wall": (96, 100, 112), "wall_edge": (52, 56, 66), "text": (20, 22, 28),
        "muted": (110, 114, 126), "outline": (20, 20, 26), "prey": (28, 28, 34),
        "prey_edge": (250, 250, 250), "food": (122, 96, 58), "food_text": (255, 255, 255),
        "accent": (200, 40, 120), "bad": (200, 30, 30), "box": (248, 248, 246),
    },
}
"""Theme colours; 'accent' marks highlights (current state, chosen joint action, catches)."""

ARROWS = {1: (0, -1), 2: (0, 1), 3: (-1, 0), 4: (1, 0)}
"""Screen direction (dx, dy) of the move actions up/down/left/right (action ids 1-4)."""


@dataclass
class RenderOptions:
    """What to draw on top of the world itself."""

    show_view_radius: bool = False
    """shade each agent's field of view (only the selected agent's when one is selected)"""
    actions: np.ndarray | None = None
    """(N,) actions to draw as arrows (moves) or bursts (catch/load); None draws none"""
    selected_agent: int | None = None
    """agent to highlight with a ring"""
    theme: str = "dark"
    """'dark' or 'light'"""


# --------------------------------------------------------------------------- public API --
def render(snapshot: dict[str, Any], size: tuple[int, int] = (640, 640),
           options: RenderOptions | None = None) -> pygame.Surface:
    """Draw `snapshot` on a new 32-bit Surface of exactly `size`, content centred, aspect kept."""
    options = options if options is not None else RenderOptions()
    width, height = _check_size(size)
    if options.theme not in THEMES:
        raise ValueError(f"theme must be one of {sorted(THEMES)}, got {options.theme!r}")
    theme = THEMES[options.theme]
    _ensure_font()
    surf = pygame.Surface((width, height), 0, 32)
    surf.fill(theme["background"])
    scenario = snapshot.get("scenario")
    if scenario == "two_step":
        _draw_two_step(surf, snapshot, options, theme)
    elif "grid_shape" in snapshot:
        _draw_grid_world(surf, snapshot, options, theme)
    else:
        raise ValueError(f"don't know how to draw scenario {scenario!r}")
    return surf


def hit_test(snapshot: dict[str, Any], size: tuple[int, int], x: int, y: int) -> int | None:
    """Index of the agent drawn at pixel (x, y) of a `render(snapshot, size)` frame, or None."""
    _check_size(size)
    centres, radius = _agent_centres(snapshot, size)
    if len(centres) == 0:
        return None
    dist = np.hypot(centres[:, 0] - x, centres[:, 1] - y)  # (N,)
    best = int(np.argmin(dist))
    return best if dist[best] <= radius + 1.0 else None


def agent_colour(index: int) -> Colour:
    """Colour of agent `index` (cycling through AGENT_COLOURS)."""
    return AGENT_COLOURS[index % len(AGENT_COLOURS)]


# --------------------------------------------------------------------------- layout ------
@dataclass(frozen=True)
class _GridLayout:
    """Where a grid world lands in the frame; shared by render and hit_test."""

    left: float
    top: float  # top of the grid (the header strip sits above it)
    cell: float
    rows: int
    cols: int
    header_top: float
    header_h: float

    def centre(self, row: float, col: float) -> tuple[float, float]:
        """Pixel centre of cell (row, col)."""
        return self.left + (col + 0.5) * self.cell, self.top + (row + 0.5) * self.cell


def _grid_layout(snapshot: dict[str, Any], size: tuple[int, int]) -> _GridLayout:
    width, height = size
    rows, cols = (int(v) for v in snapshot["grid_shape"])
    margin = max(4.0, 0.025 * min(width, height))
    header_h = max(18.0, 0.075 * min(width, height))
    avail_w = max(width - 2 * margin, 1.0)
    avail_h = max(height - 2 * margin - header_h, 1.0)
    cell = min(avail_w / cols, avail_h / rows)
    grid_w, grid_h = cell * cols, cell * rows
    left = (width - grid_w) / 2
    header_top = (height - grid_h - header_h) / 2
    return _GridLayout(left=left, top=header_top + header_h, cell=cell, rows=rows, cols=cols,
                       header_top=header_top, header_h=header_h)


@dataclass(frozen=True)
class _SquareLayout:
    """A square content area of side `side` (two_step uses 0..1 logical units inside it)."""

    left: float
    top: float
    side: float

    def px(self, u: float, v: float) -> tuple[int, int]:
        return round(self.left + u * self.side), round(self.top + v * self.side)

    def rect(self, u0: float, v0: float, u1: float, v1: float) -> pygame.Rect:
        x0, y0 = self.px(u0, v0)
        x1, y1 = self.px(u1, v1)
        return pygame.Rect(x0, y0, max(x1 - x0, 1), max(y1 - y0, 1))

    def len(self, u: float) -> int:
        return max(1, round(u * self.side))


def _square_layout(size: tuple[int, int]) -> _SquareLayout:
    width, height = size
    side = min(width, height) * 0.96
    return _SquareLayout((width - side) / 2, (height - side) / 2, side)


# two_step geometry, in logical units of the square content area
_TS_BOXES = {0: (0.03, 0.36, 0.27, 0.64), 1: (0.43, 0.12, 0.97, 0.52),
             2: (0.43, 0.57, 0.97, 0.97)}
_TS_TOKEN_R = 0.042


def _two_step_tokens(state: int) -> list[tuple[float, float]]:
    """Logical centres of the two agent tokens inside the current state's box."""
    x0, y0, x1, y1 = _TS_BOXES[state]
    if state == 0:
        cy = (y0 + y1) / 2 - 0.005
        return [((x0 + x1) / 2 - 0.055, cy), ((x0 + x1) / 2 + 0.055, cy)]
    cy = y0 + 0.05
    return [(x1 - 0.16, cy), (x1 - 0.06, cy)]


def _agent_centres(snapshot: dict[str, Any], size: tuple[int, int]
                   ) -> tuple[np.ndarray, float]:
    """(N, 2) pixel centres of the agent discs and their radius, as `render` draws them."""
    if snapshot.get("scenario") == "two_step":
        lay = _square_layout(size)
        pts = [lay.px(u, v) for u, v in _two_step_tokens(int(snapshot["state_index"]))]
        return np.array(pts, dtype=np.float64), _TS_TOKEN_R * lay.side
    lay = _grid_layout(snapshot, size)
    agents = np.asarray(snapshot["agents"], dtype=np.float64).reshape(-1, 2)  # (N, 2)
    xs = lay.left + (agents[:, 1] + 0.5) * lay.cell
    ys = lay.top + (agents[:, 0] + 0.5) * lay.cell
    return np.stack([xs, ys], axis=1), 0.40 * lay.cell


# --------------------------------------------------------------------------- grid worlds -
def _draw_grid_world(surf: pygame.Surface, snap: dict[str, Any], opts: RenderOptions,
                     theme: dict[str, Colour]) -> None:
    lay = _grid_layout(snap, surf.get_size())
    cell = lay.cell
    grid_rect = pygame.Rect(round(lay.left), round(lay.top), round(cell * lay.cols),
                            round(cell * lay.rows))
    pygame.draw.rect(surf, theme["floor"], grid_rect)

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
        colour = agent_colour(i)
        if actions is not None and i < len(actions):
            _draw_action(surf, lay, (cx, cy), int(actions[i]), names, colour, theme)
        _disc(surf, (cx, cy), 0.40 * cell, colour, theme["outline"], max(2, cell * 0.05))
        _text(surf, str(i), _font(max(8, round(cell * 0.50))), _contrast(colour), (cx, cy))
        if selected == i:
            _ring(surf, (cx, cy), 0.49 * cell, theme["text"], max(3, cell * 0.07))
        if levels is not None:
            _draw_level_badge(surf, (cx, cy), cell, int(levels[i]), theme)
        if failed is not None and bool(failed[i]):
            _draw_cross(surf, (cx - 0.30 * cell, cy - 0.30 * cell), 0.13 * cell, theme)

    _draw_header(surf, lay, snap, theme)


def _cell_rect(lay: _GridLayout, r: int, c: int) -> pygame.Rect:
    x0 = round(lay.left + c * lay.cell)
    y0 = round(lay.top + r * lay.cell)
    x1 = round(lay.left + (c + 1) * lay.cell)
    y1 = round(lay.top + (r + 1) * lay.cell)
    return pygame.Rect(x0, y0, x1 - x0, y1 - y0)


def _draw_view_squares(surf: pygame.Surface, lay: _GridLayout, agents: np.ndarray,
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
        colour = agent_colour(i)
        patch = pygame.Surface(rect.size, 0, 32)
        patch.fill(colour)
        patch.set_alpha(46)  # whole-surface alpha: several times cheaper than per-pixel
        surf.blit(patch, rect.topleft)
        pygame.draw.rect(surf, colour, rect, border)


def _draw_pursuit_items(surf: pygame.Surface, lay: _GridLayout, snap: dict[str, Any],
                        theme: dict[str, Colour]) -> None:
    prey = np.asarray(snap["prey"], dtype=np.int64).reshape(-1, 2)
    alive = np.asarray(snap.get("prey_alive", np.ones(len(prey), bool)), dtype=bool)
    just = np.asarray(snap.get("captured_now", np.zeros(len(prey), bool)), dtype=bool)
    cell = lay.cell
    for k, (r, c) in enumerate(prey):
        cx, cy = lay.centre(int(r), int(c))
        if alive[k]:
            h = 0.38 * cell
            pts = [(cx, cy - h), (cx + h, cy), (cx, cy + h), (cx - h, cy)]
            pygame.draw.polygon(surf, theme["prey"], pts)
            pygame.draw.polygon(surf, theme["prey_edge"], pts, max(2, round(cell * 0.05)))
        elif just[k]:
            _burst(surf, (cx, cy), 0.22 * cell, 0.46 * cell, theme["accent"],
                   max(3, round(cell * 0.07)), 8)


def _draw_food(surf: pygame.Surface, lay: _GridLayout, snap: dict[str, Any],
               theme: dict[str, Colour]) -> None:
    food = np.asarray(snap["food"], dtype=np.int64).reshape(-1, 2)
    levels = np.asarray(snap["food_levels"]).reshape(-1)
    alive = np.asarray(snap.get("food_alive", np.ones(len(food), bool)), dtype=bool)
    just = np.asarray(snap.get("collected_now", np.zeros(len(food), bool)), dtype=bool)
    cell = lay.cell
    for k, (r, c) in enumerate(food):
        cx, cy = lay.centre(int(r), int(c))
        if alive[k]:
            side = 0.72 * cell
            rect = pygame.Rect(0, 0, round(side), round(side))
            rect.center = (round(cx), round(cy))
            radius = max(2, round(cell * 0.12))
            pygame.draw.rect(surf, theme["food"], rect, border_radius=radius)
            pygame.draw.rect(surf, theme["outline"], rect, max(2, round(cell * 0.045)),
                             border_radius=radius)
            _text(surf, str(int(levels[k])), _font(max(8, round(cell * 0.48))),
                  theme["food_text"], (cx, cy))
        elif just[k]:
            _burst(surf, (cx, cy), 0.22 * cell, 0.46 * cell, theme["accent"],
                   max(3, round(cell * 0.07)), 8)


def _draw_level_badge(surf: pygame.Surface, centre: tuple[float, float], cell: float,
                      level: int, theme: dict[str, Colour]) -> None:
    """Agent level (foraging) in a small dark badge at the disc's lower right."""
    bx, by = centre[0] + 0.30 * cell, centre[1] + 0.30 * cell
    _disc(surf, (bx, by), 0.20 * cell, (20, 20, 26), (255, 255, 255), max(1, cell * 0.03))
    _text(surf, str(level), _font(max(8, round(cell * 0.30))), (255, 255, 255), (bx, by))


def _draw_cross(surf: pygame.Surface, centre: tuple[float, float], half: float,
                theme: dict[str, Colour]) -> None:
    """Red X: this agent's catch went unanswered last step (it paid the penalty)."""
    cx, cy = centre
    w = max(3, round(half * 0.55))
    _disc(surf, (cx, cy), half * 1.25, theme["outline"], theme["outline"], 0)
    pygame.draw.line(surf, theme["bad"], (cx - half * 0.7, cy - half * 0.7),
                     (cx + half * 0.7, cy + half * 0.7), w)
    pygame.draw.line(surf, theme["bad"], (cx - half * 0.7, cy + half * 0.7),
                     (cx + half * 0.7, cy - half * 0.7), w)


def _draw_action(surf: pygame.Surface, lay: _GridLayout, centre: tuple[float, float],
                 action: int, names: tuple[str, ...], colour: Colour,
                 theme: dict[str, Colour]) -> None:
    """Arrow for a move, a burst for catch/load; nothing for stay."""
    cell = lay.cell
    if action in ARROWS:
        dx, dy = ARROWS[action]
        start = (centre[0] + dx * 0.30 * cell, centre[1] + dy * 0.30 * cell)
        end = (centre[0] + dx * 1.02 * cell, centre[1] + dy * 1.02 * cell)
        _arrow(surf, start, end, 0.21 * cell, colour, theme["outline"])
    elif 0 <= action < len(names) and names[action] in ("catch", "load"):
        _burst(surf, centre, 0.44 * cell, 0.62 * cell, theme["accent"],
               max(3, round(cell * 0.075)), 8)


def _draw_header(surf: pygame.Surface, lay: _GridLayout, snap: dict[str, Any],
                 theme: dict[str, Colour]) -> None:
    font = _font(max(10, round(lay.header_h * 0.62)))
    y = lay.header_top + lay.header_h * 0.45
    left = lay.left
    right = lay.left + lay.cell * lay.cols
    _text(surf, f"t {snap['t']} / {snap['episode_limit']}", font, theme["text"], (left, y),
          anchor="w")
    status = ""
    if snap.get("terminated"):
        status = "done  "
    elif snap.get("truncated"):
        status = "time up  "
    ret = float(snap.get("episode_return", 0.0))
    ret_text = f"{ret:.2f}" if abs(ret) < 10 and ret != round(ret) else f"{ret:g}"
    _text(surf, f"{status}return {ret_text}", font,
          theme["accent"] if status else theme["text"], (right, y), anchor="e")


# --------------------------------------------------------------------------- two_step ----
def _draw_two_step(surf: pygame.Surface, snap: dict[str, Any], opts: RenderOptions,
                   theme: dict[str, Colour]) -> None:
    lay = _square_layout(surf.get_size())
    state = int(snap["state_index"])
    t = int(snap["t"])
    first = snap.get("first_actions")
    last = snap.get("last_actions")
    pending = None if opts.actions is None else [int(a) for a in np.asarray(opts.actions)]
    thick = lay.len(0.010)
    big = _font(lay.len(0.075))
    mid = _font(lay.len(0.050))
    small = _font(lay.len(0.040))

    # header
    _text(surf, f"t {t} / {snap['episode_limit']}", mid, theme["text"], lay.px(0.03, 0.045),
          anchor="w")
    status = "done  " if snap.get("terminated") else ""
    ret = float(snap.get("episode_return", 0.0))
    _text(surf, f"{status}return {ret:g}", mid, theme["accent"] if status else theme["text"],
          lay.px(0.97, 0.045), anchor="e")

    # arrows from state 1 to 2A / 2B, labelled with agent 0's action
    taken = None if first is None else int(first[0])
    planned = pending[0] if (pending is not None and state == 0) else None
    for a, target in enumerate((1, 2)):
        x0, y0 = 0.275, 0.46 + 0.08 * a
        tx0, ty0, tx1, ty1 = _TS_BOXES[target]
        end = (tx0 - 0.005, (ty0 + ty1) / 2)
        hot = taken == a or planned == a
        colour = theme["accent"] if hot else theme["muted"]
        _arrow(surf, lay.px(x0, y0), lay.px(*end), (0.030 if hot else 0.020) * lay.side,
               colour, theme["outline"])
        mid_u, mid_v = (x0 + end[0]) / 2, (y0 + end[1]) / 2
        _text(surf, f"a0={a}", small, agent_colour(0), lay.px(mid_u, mid_v),
              background=theme["background"])

    for s, (x0, y0, x1, y1) in _TS_BOXES.items():
        rect = lay.rect(x0, y0, x1, y1)
        current = s == state
        pygame.draw.rect(surf, theme["box"], rect, border_radius=lay.len(0.02))
        pygame.draw.rect(surf, theme["accent"] if current else theme["grid"], rect,
                         thick * (2 if current else 1), border_radius=lay.len(0.02))
        name = ("state 1", "2A", "2B")[s]
        if s == 0:
            _text(surf, name, mid, theme["text"], lay.px((x0 + x1) / 2, y0 + 0.06))
            _text(surf, "reward 0", small, theme["muted"], lay.px((x0 + x1) / 2, y1 - 0.05))
        else:
            _text(surf, name, big, theme["text"], lay.px(x0 + 0.025, y0 + 0.05), anchor="w")
            table = (np.full((2, 2), float(snap["payoff_2a"])) if s == 1
                     else np.asarray(snap["payoff_2b"], dtype=float))
            done_here = current and t >= 2 and last is not None
            plan_here = current and pending is not None and t < 2
            _draw_payoff_table(surf, lay, (x0, y0, x1, y1), table,
                               tuple(last) if done_here else None,
                               tuple(pending) if plan_here else None, theme)

    for i, (u, v) in enumerate(_two_step_tokens(state)):
        centre = lay.px(u, v)
        _disc(surf, centre, _TS_TOKEN_R * lay.side, agent_colour(i), theme["outline"],
              max(2, lay.side * 0.006))
        _text(surf, str(i), mid, _contrast(agent_colour(i)), centre)
        if opts.selected_agent == i:
            _ring(surf, centre, (_TS_TOKEN_R + 0.012) * lay.side, theme["text"],
                  max(3, lay.side * 0.008))


def _draw_payoff_table(surf: pygame.Surface, lay: _SquareLayout,
                       box: tuple[float, float, float, float], table: np.ndarray,
                       last: tuple[int, ...] | None, pending: tuple[int, ...] | None,
                       theme: dict[str, Colour]) -> None:
    """2x2 payoff grid; row = agent 0's action, column = agent 1's. `last` cell is filled."""
    x0, y0, x1, y1 = box
    head_w, head_h = 0.11, 0.05
    tx0, ty0 = x0 + 0.03 + head_w, y0 + 0.10 + head_h
    cw = (x1 - 0.03 - tx0) / 2
    ch = (y1 - 0.02 - ty0) / 2
    small = _font(lay.len(0.036))
    num = _font(lay.len(0.070))
    for j in range(2):
        _text(surf, f"a1={j}", small, agent_colour(1), lay.px(tx0 + (j + 0.5) * cw, ty0 - 0.028))
    for i in range(2):
        _text(surf, f"a0={i}", small, agent_colour(0),
              lay.px(x0 + 0.03 + head_w / 2, ty0 + (i + 0.5) * ch))
        for j in range(2):
            rect = lay.rect(tx0 + j * cw, ty0 + i * ch, tx0 + (j + 1) * cw, ty0 + (i + 1) * ch)
            is_last = last is not None and (last[0], last[1]) == (i, j)
            if is_last:
                pygame.draw.rect(surf, theme["accent"], rect)
            pygame.draw.rect(surf, theme["grid"], rect, lay.len(0.006))
            if pending is not None and (pending[0], pending[1]) == (i, j):
                pygame.draw.rect(surf, theme["accent"], rect.inflate(-lay.len(0.01),
                                                                    -lay.len(0.01)),
                                 lay.len(0.010))
            value = float(table[i, j])
            colour = _contrast(theme["accent"]) if is_last else theme["text"]
            _text(surf, f"{value:g}", num, colour, rect.center)


# --------------------------------------------------------------------------- primitives --
_FONTS: dict[int, pygame.font.Font] = {}


def _ensure_font() -> None:
    if not pygame.font.get_init():
        pygame.font.init()


def _font(px: int) -> pygame.font.Font:
    """pygame's bundled bold sans at `px` pixels, cached (creating fonts is slow)."""
    px = int(max(6, min(px, 400)))
    font = _FONTS.get(px)
    if font is None:
        _ensure_font()
        font = pygame.font.Font(None, round(px * 1.35))  # default font's cap height is small
        font.set_bold(True)
        _FONTS[px] = font
    return font


def _text(surf: pygame.Surface, text: str, font: pygame.font.Font, colour: Colour,
          at: tuple[float, float], anchor: str = "center",
          background: Colour | None = None) -> None:
    img = font.render(text, True, colour)
    rect = img.get_rect()
    pos = (round(at[0]), round(at[1]))
    if anchor == "w":
        rect.midleft = pos
    elif anchor == "e":
        rect.midright = pos
    else:
        rect.center = pos
    if background is not None:
        pad = max(2, rect.height // 6)
        pygame.draw.rect(surf, background, rect.inflate(2 * pad, pad),
                         border_radius=rect.height // 3)
    surf.blit(img, rect)


def _disc(surf: pygame.Surface, centre: tuple[float, float], radius: float, fill: Colour,
          outline: Colour, outline_w: float) -> None:
    """Anti-aliased filled disc with an outline ring `outline_w` pixels wide."""
    x, y, r = round(centre[0]), round(centre[1]), max(1, round(radius))
    w = max(0, round(outline_w))
    pygame.gfxdraw.filled_circle(surf, x, y, r, outline)
    pygame.gfxdraw.aacircle(surf, x, y, r, outline)
    inner = max(1, r - w)
    pygame.gfxdraw.filled_circle(surf, x, y, inner, fill)
    pygame.gfxdraw.aacircle(surf, x, y, inner, fill)


def _ring(surf: pygame.Surface, centre: tuple[float, float], radius: float, colour: Colour,
          width: float) -> None:
    pygame.draw.circle(surf, colour, (round(centre[0]), round(centre[1])), round(radius),
                       max(1, round(width)))


def _burst(surf: pygame.Surface, centre: tuple[float, float], r0: float, r1: float,
           colour: Colour, width: int, spokes: int) -> None:
    """Radiating spokes: the 'catch' / 'load' / 'captured' mark."""
    for k in range(spokes):
        ang = 2 * math.pi * (k + 0.5) / spokes
        dx, dy = math.cos(ang), math.sin(ang)
        pygame.draw.line(surf, colour, (centre[0] + dx * r0, centre[1] + dy * r0),
                         (centre[0] + dx * r1, centre[1] + dy * r1), width)


def _arrow(surf: pygame.Surface, start: tuple[float, float], end: tuple[float, float],
           width: float, colour: Colour, outline: Colour) -> None:
    """Filled arrow polygon from `start` to `end` with a dark outline (visible on any floor)."""
    sx, sy = start
    ex, ey = end
    length = math.hypot(ex - sx, ey - sy)
    if length < 1:
        return
    ux, uy = (ex - sx) / length, (ey - sy) / length
    px, py = -uy, ux
    head = min(length * 0.55, width * 2.2)
    hw = width * 1.25
    sw = width * 0.45
    bx, by = ex - ux * head, ey - uy * head
    pts = [(sx + px * sw, sy + py * sw), (bx + px * sw, by + py * sw),
           (bx + px * hw, by + py * hw), (ex, ey), (bx - px * hw, by - py * hw),
           (bx - px * sw, by - py * sw), (sx - px * sw, sy - py * sw)]
    pygame.draw.polygon(surf, colour, pts)
    pygame.draw.polygon(surf, outline, pts, max(1, round(width * 0.18)))


def _contrast(colour: Colour) -> Colour:
    """Black or white, whichever reads better on `colour` (WCAG relative luminance)."""
    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(colour[0]) + 0.7152 * lin(colour[1]) + 0.0722 * lin(colour[2])
    return (0, 0, 0) if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else (255, 255, 255)


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height), got {size!r}") from None
    if width < 1 or height < 1:
        raise ValueError(f"size must be positive, got {size!r}")
    return width, height
