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
    kind = drawing_kind(snapshot)
    if kind == "two_step":
        _draw_two_step(surf, snapshot, options, theme)
    elif kind == "vectors":
        _draw_vectors(surf, snapshot, options, theme)
    else:
        _draw_grid_world(surf, snapshot, options, theme)
    return surf


DRAWINGS = ("pursuit", "foraging", "grid", "two_step", "vectors")
"""The drawings `render` knows. A snapshot names its drawing in its "render" field; without
one, the drawing is named after its "scenario" (the built-in scenarios). "pursuit",
"foraging" and "grid" are the grid world (with prey, food, walls where the snapshot has
them); "two_step" is the matrix game; "vectors" is any world without a picture of its own:
the env's own `render()` image when the snapshot carries one, else one row per agent with
its observation vector, its action and its reward."""


def drawing_kind(snapshot: dict[str, Any]) -> str:
    """The drawing `render` uses for `snapshot` (one of DRAWINGS); ValueError if none fits."""
    kind = snapshot.get("render") or snapshot.get("scenario")
    if kind not in DRAWINGS:
        raise ValueError(f"don't know how to draw render kind {kind!r} (scenario "
                         f"{snapshot.get('scenario')!r}); known drawings: "
                         f"{', '.join(DRAWINGS)}")
    return str(kind)


def hit_test(snapshot: dict[str, Any], size: tuple[int, int], x: int, y: int) -> int | None:
    """Index of the agent drawn at pixel (x, y) of a `render(snapshot, size)` frame, or None."""
    _check_size(size)
    if drawing_kind(snapshot) == "vectors":
        lay = _vector_layout(snapshot, size)
        for i in range(lay.rows if lay.image is None else 0):
            if lay.row_rect(i).collidepoint(x, y):
                return i
        return None
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
    kind = drawing_kind(snapshot)
    if kind == "vectors":
        lay = _vector_layout(snapshot, size)
        if lay.image is not None:  # the env's own picture: no agent positions known
            return np.zeros((0, 2)), 0.0
        pts = [lay.disc_centre(i) for i in range(lay.rows)]
        return np.array(pts, dtype=np.float64).reshape(-1, 2), lay.disc_r
    if kind == "two_step":
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
    _draw_status_line(surf, snap, theme, font, lay.left, lay.left + lay.cell * lay.cols, y)


def _draw_status_line(surf: pygame.Surface, snap: dict[str, Any], theme: dict[str, Colour],
                      font: pygame.font.Font, left: float, right: float, y: float) -> None:
    """'t 3 / 25' at the left, '[done] return 1.5' at the right, centred on height y."""
    _text(surf, f"t {snap['t']} / {snap['episode_limit']}", font, theme["text"], (left, y),
          anchor="w")
    status = ""
    if snap.get("terminated"):
        status = "done  "
    elif snap.get("truncated"):
        status = "time up  "
    ret_text = _number(snap.get("episode_return", 0.0))
    _text(surf, f"{status}return {ret_text}", font,
          theme["accent"] if status else theme["text"], (right, y), anchor="e")


# --------------------------------------------------------------------------- vectors -----
# Colour map of the observation strips: viridis (perceptually uniform, colour-blind safe,
# reads in greyscale and on a washed-out projector), sampled at 9 stops.
_VIRIDIS = np.array([(68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142),
                     (33, 144, 141), (39, 173, 129), (92, 200, 99), (170, 220, 50),
                     (253, 231, 37)], dtype=np.float64)


def _colour_map(t: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (any shape) -> uint8 RGB (shape + (3,)) along viridis."""
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0), 0.0, 1.0)
    pos = t * (len(_VIRIDIS) - 1)
    lo = np.floor(pos).astype(np.int64).clip(0, len(_VIRIDIS) - 2)
    frac = (pos - lo)[..., None]
    rgb = _VIRIDIS[lo] * (1 - frac) + _VIRIDIS[lo + 1] * frac
    return np.round(rgb).astype(np.uint8)


@dataclass(frozen=True)
class _VectorLayout:
    """Where the 'vectors' drawing puts things; shared by render and hit_test.

    Without an image: a header (t, return), one two-line row per agent (disc, name, status,
    action and reward on top; the observation strip below), and a footer with the colour
    scale. With an image: the header and the image, scaled to fit."""

    left: float
    width: float
    header_top: float
    header_h: float
    top: float  # first row (or the image area)
    row_h: float
    rows: int
    footer_top: float
    footer_h: float
    image: tuple[int, int, int, int] | None  # (x, y, w, h) of the scaled picture
    side: float  # the frame's shorter side

    def row_rect(self, i: int) -> pygame.Rect:
        gap = 0.12 * self.row_h
        return pygame.Rect(round(self.left), round(self.top + i * self.row_h + gap / 2),
                           round(self.width), max(1, round(self.row_h - gap)))

    @property
    def line_h(self) -> float:
        """Height of a row's text line (the strip gets most of the rest)."""
        return 0.88 * self.row_h * 0.52

    @property
    def disc_r(self) -> float:
        return min(0.36 * self.line_h, 0.8 * self.font_px)

    def disc_centre(self, i: int) -> tuple[float, float]:
        rect = self.row_rect(i)
        pad = self.pad
        return rect.left + 1.6 * pad + self.disc_r, rect.top + pad * 0.6 + self.line_h / 2

    def text_left(self, i: int) -> float:
        """Where a row's name and its observation strip start (right of the disc)."""
        return self.disc_centre(i)[0] + self.disc_r + self.pad

    def strip_rect(self, i: int) -> pygame.Rect:
        rect, pad = self.row_rect(i), self.pad
        top = rect.top + pad * 0.6 + self.line_h + pad * 0.3
        left = self.text_left(i)
        return pygame.Rect(round(left), round(top), max(1, round(rect.right - pad - left)),
                           max(1, round(rect.bottom - pad * 0.7 - top)))

    @property
    def pad(self) -> float:
        return max(3.0, 0.18 * self.line_h)

    @property
    def font_px(self) -> int:
        """Row text size: as large as the row allows, capped so a 2-agent world's rows do
        not shout; never below what a projector at the back of a room shows."""
        return round(max(9.0, min(0.60 * self.line_h, 0.052 * self.side)))


def _image_array(snap: dict[str, Any]) -> np.ndarray | None:
    image = snap.get("image")
    if image is None:
        return None
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] < 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        return None
    return arr


def _vector_layout(snap: dict[str, Any], size: tuple[int, int]) -> _VectorLayout:
    width, height = size
    side = min(width, height)
    margin = max(4.0, 0.025 * side)
    header_h = max(18.0, 0.075 * side)
    left, content_w = margin, max(width - 2 * margin, 1.0)
    image = _image_array(snap)
    if image is not None:
        ih, iw = image.shape[:2]
        avail_h = max(height - 2 * margin - header_h, 1.0)
        scale = min(content_w / iw, avail_h / ih)
        w, h = max(1, round(iw * scale)), max(1, round(ih * scale))
        header_top = (height - h - header_h) / 2
        x = round((width - w) / 2)
        return _VectorLayout(left=x, width=w, header_top=header_top, header_h=header_h,
                             top=header_top + header_h, row_h=0.0, rows=0,
                             footer_top=header_top + header_h + h, footer_h=0.0,
                             image=(x, round(header_top + header_h), w, h), side=side)
    rows = max(1, int(snap.get("n_agents", len(np.asarray(snap.get("obs", [[0]]))))))
    footer_h = max(16.0, 0.06 * side)
    avail_h = max(height - 2 * margin - header_h - footer_h, 1.0)
    # Rows in proportion to the type (which is sized by the frame): 2 agents get generous
    # rows, not giant ones.
    row_h = min(avail_h / rows, 0.22 * side)
    block = header_h + rows * row_h + footer_h
    header_top = (height - block) / 2
    # Very wide frames: the strips need not span a cinema screen; keep rows readable.
    content_w = min(content_w, max(8.0 * row_h, 0.6 * width))
    left = (width - content_w) / 2
    top = header_top + header_h
    return _VectorLayout(left=left, width=content_w, header_top=header_top, header_h=header_h,
                         top=top, row_h=row_h, rows=rows, footer_top=top + rows * row_h,
                         footer_h=footer_h, image=None, side=side)


def _draw_vectors(surf: pygame.Surface, snap: dict[str, Any], opts: RenderOptions,
                  theme: dict[str, Colour]) -> None:
    lay = _vector_layout(snap, surf.get_size())
    header_font = _font(max(10, round(lay.header_h * 0.62)))
    _draw_status_line(surf, snap, theme, header_font, lay.left, lay.left + lay.width,
                      lay.header_top + lay.header_h * 0.45)
    if lay.image is not None:
        _draw_env_image(surf, _image_array(snap), lay.image)  # type: ignore[arg-type]
        return

    obs = np.asarray(snap.get("obs", np.zeros((lay.rows, 0))), dtype=np.float64)
    obs = obs.reshape(lay.rows, -1) if obs.size else np.zeros((lay.rows, 0))
    active = np.asarray(snap.get("active", np.ones(lay.rows, bool)), dtype=bool).reshape(-1)
    rewards = np.asarray(snap.get("agent_rewards", np.zeros(lay.rows)),
                         dtype=np.float64).reshape(-1)
    names = [str(n) for n in snap.get("agent_names", [])]
    action_names = tuple(str(a) for a in snap.get("action_names", ()))
    last = snap.get("last_actions")
    pending = None if opts.actions is None else np.asarray(opts.actions).reshape(-1)

    # One scale per frame, over the agents still in the game (left agents' vectors are 0).
    shown = obs[active[: len(obs)]] if active[: len(obs)].any() else obs
    finite = shown[np.isfinite(shown)]
    vmin = float(finite.min()) if finite.size else 0.0
    vmax = float(finite.max()) if finite.size else 0.0
    span = vmax - vmin

    font = _font(lay.font_px)
    small = _font(max(8, round(lay.font_px * 0.72)))
    # "took": the action an agent executed last step; an agent that left earlier took none,
    # but on the step that ends the episode everyone marked inactive has just acted.
    over = bool(snap.get("terminated") or snap.get("truncated"))
    for i in range(lay.rows):
        is_active = bool(active[i]) if i < len(active) else True
        values = obs[i] if i < len(obs) else np.zeros(0)
        scaled = (values - vmin) / span if span > 0 else np.full(values.shape, 0.5)
        _draw_vector_row(
            surf, lay, i, names[i] if i < len(names) else f"agent {i}", is_active, values,
            scaled, float(rewards[i]) if i < len(rewards) else 0.0,
            _action_label(pending, i, action_names),
            _action_label(last, i, action_names) if is_active or over else None,
            opts.selected_agent == i, font, small, theme)

    # footer: the colour scale, with the frame's min and max
    y = lay.footer_top + lay.footer_h * 0.55
    bar_h = max(6, round(lay.footer_h * 0.38))
    bar_w = max(20, round(min(lay.width * 0.30, 12 * lay.footer_h)))
    lo_text, hi_text = f"min {_number(vmin)}", f"max {_number(vmax)}"
    caption = "observations, scaled to this frame"
    lo_w = small.size(lo_text)[0]
    x = lay.left
    _text(surf, lo_text, small, theme["muted"], (x, y), anchor="w")
    x += lo_w + small.get_height() * 0.4
    ramp = _colour_map(np.linspace(0.0, 1.0, 64))[None, :, :].repeat(2, axis=0)
    bar = pygame.transform.scale(pygame.surfarray.make_surface(ramp.swapaxes(0, 1)),
                                 (bar_w, bar_h))
    surf.blit(bar, (round(x), round(y - bar_h / 2)))
    x += bar_w + small.get_height() * 0.4
    _text(surf, hi_text, small, theme["muted"], (x, y), anchor="w")
    x += small.size(hi_text)[0] + small.get_height() * 0.8
    if x + small.size(caption)[0] <= lay.left + lay.width:
        _text(surf, caption, small, theme["muted"], (lay.left + lay.width, y), anchor="e")


def _action_label(actions: Any, i: int, names: tuple[str, ...]) -> str | None:
    if actions is None:
        return None
    arr = np.asarray(actions).reshape(-1)
    if i >= len(arr):
        return None
    a = int(arr[i])
    return names[a] if 0 <= a < len(names) else f"a{a}"


def _draw_vector_row(surf: pygame.Surface, lay: _VectorLayout, i: int, name: str,
                     is_active: bool, values: np.ndarray, scaled: np.ndarray, reward: float,
                     pending: str | None, took: str | None, selected: bool,
                     font: pygame.font.Font, small: pygame.font.Font,
                     theme: dict[str, Colour]) -> None:
    rect = lay.row_rect(i)
    radius = max(2, round(rect.height * 0.08))
    pygame.draw.rect(surf, theme["box"], rect, border_radius=radius)
    if selected:
        pygame.draw.rect(surf, theme["text"], rect, max(2, round(lay.line_h * 0.06)),
                         border_radius=radius)
    pad = lay.pad
    colour = agent_colour(i)
    text_colour = theme["text"] if is_active else theme["muted"]
    cx, cy = lay.disc_centre(i)
    r = lay.disc_r
    _disc(surf, (cx, cy), r, colour if is_active else theme["grid"], theme["outline"],
          max(2, r * 0.12))
    _text(surf, str(i), _font(max(7, round(r * 1.15))),
          _contrast(colour) if is_active else theme["text"], (cx, cy))
    if selected:
        _ring(surf, (cx, cy), r * 1.22, theme["text"], max(2, r * 0.16))

    # The text line, by priority when the row is narrow: reward, name, status, the next
    # action (a filled pill in the agent's colour), the action taken last step.
    name_left = lay.text_left(i)
    right = rect.right - pad
    gap = small.get_height() * 0.6
    reward_text = f"r {'+' if reward > 0 else ''}{_number(reward)}"
    reward_colour = theme["accent"] if reward != 0 and math.isfinite(reward) else theme["muted"]
    status = "" if is_active else "left"
    status_w = small.size(status)[0] + 2 * gap if status else 0
    name_min = min(font.size(name)[0], font.size(name[:7] + "…")[0])
    room = right - name_left - font.size(reward_text)[0] - gap - name_min - status_w
    pill_label = font.render(pending, True, _contrast(colour)) \
        if pending is not None and is_active else None
    pill_w = 0.0
    if pill_label is not None:
        pill_w = pill_label.get_width() + font.get_height() * 0.5 + small.size("next")[0] + gap
        if pill_w > room:
            pill_label, pill_w = None, 0.0
    room -= pill_w
    took_text = f"took {took}" if took is not None else ""
    if took_text and small.size(took_text)[0] + gap > room:
        took_text = ""

    _text(surf, reward_text, font, reward_colour, (right, cy), anchor="e")
    right -= font.size(reward_text)[0] + gap
    if pill_label is not None:
        pill = pill_label.get_rect()
        pill.inflate_ip(round(font.get_height() * 0.5), round(font.get_height() * 0.16))
        pill.midright = (round(right), round(cy))
        pygame.draw.rect(surf, colour, pill, border_radius=pill.height // 3)
        pygame.draw.rect(surf, theme["outline"], pill, max(1, round(pill.height * 0.06)),
                         border_radius=pill.height // 3)
        surf.blit(pill_label, pill_label.get_rect(center=pill.center))
        right = pill.left - small.get_height() * 0.3
        _text(surf, "next", small, theme["muted"], (right, cy), anchor="e")
        right -= small.size("next")[0] + gap
    if took_text:
        _text(surf, took_text, small, theme["muted"], (right, cy), anchor="e")
        right -= small.size(took_text)[0] + gap
    shown = _fit_text(name, font, max(0.0, right - name_left - status_w))
    if shown:
        _text(surf, shown, font, text_colour, (name_left, cy), anchor="w")
    if status:
        x = name_left + (font.size(shown)[0] if shown else 0) + gap
        label = small.render(status, True, theme["background"])
        pill = label.get_rect()
        pill.inflate_ip(round(small.get_height() * 0.5), 0)
        pill.midleft = (round(x), round(cy))
        pygame.draw.rect(surf, theme["muted"], pill, border_radius=pill.height // 3)
        surf.blit(label, label.get_rect(center=pill.center))

    _draw_strip(surf, lay.strip_rect(i), values, scaled, is_active, small, theme)


def _draw_strip(surf: pygame.Surface, rect: pygame.Rect, values: np.ndarray,
                scaled: np.ndarray, is_active: bool, font: pygame.font.Font,
                theme: dict[str, Colour]) -> None:
    """One cell per observation entry, coloured by its scaled value; long vectors wrap onto
    several lines; the values are printed in the cells when every one of them fits."""
    d = int(values.size)
    if d == 0:
        _text(surf, "no observation", font, theme["muted"], rect.midleft, anchor="w")
        return
    min_cell = 4.0
    lines = int(min(max(1, math.ceil(d * min_cell / rect.width)),
                    max(1, rect.height // 3)))
    per_line = math.ceil(d / lines)
    colours = np.zeros((lines * per_line, 3), np.uint8)
    colours[:] = theme["floor"]
    colours[:d] = _colour_map(scaled)
    if not is_active:  # left the game: its (zeroed) vector is shown faded
        colours[:d] = (0.35 * colours[:d] + 0.65 * np.array(theme["box"])).astype(np.uint8)
    grid = colours.reshape(lines, per_line, 3)
    small = pygame.surfarray.make_surface(np.ascontiguousarray(grid.swapaxes(0, 1)))
    surf.blit(pygame.transform.scale(small, rect.size), rect.topleft)
    cell_w = rect.width / per_line
    cell_h = rect.height / lines
    if cell_w >= 6:  # cell borders, so that neighbouring equal values still read as cells
        w = max(1, round(min(cell_w, cell_h) * 0.06))
        for k in range(1, per_line):
            x = round(rect.left + k * cell_w)
            pygame.draw.line(surf, theme["box"], (x, rect.top), (x, rect.bottom - 1), w)
        for k in range(1, lines):
            y = round(rect.top + k * cell_h)
            pygame.draw.line(surf, theme["box"], (rect.left, y), (rect.right - 1, y), w)
    if lines == 1 and is_active:
        labels = [_number(float(v), short=True) for v in values]
        num = _font(max(7, round(min(cell_h * 0.5, font.get_height() * 0.8))))
        if max(num.size(t)[0] for t in labels) <= cell_w * 0.86 and num.get_height() <= cell_h:
            for k, label in enumerate(labels):
                centre = (rect.left + (k + 0.5) * cell_w, rect.centery)
                _text(surf, label, num, _contrast(tuple(int(c) for c in grid[0, k])), centre)
    pygame.draw.rect(surf, theme["grid"], rect, 1)


def _draw_env_image(surf: pygame.Surface, image: np.ndarray,
                    target: tuple[int, int, int, int]) -> None:
    """The env's own rgb_array picture, scaled to `target` (aspect kept by the layout)."""
    rgb = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    picture = pygame.surfarray.make_surface(rgb.swapaxes(0, 1))
    x, y, w, h = target
    if (w, h) != picture.get_size():
        upscale = w >= 2 * picture.get_width()
        picture = (pygame.transform.scale(picture, (w, h)) if upscale  # crisp pixel art
                   else pygame.transform.smoothscale(picture, (w, h)))
    surf.blit(picture, (x, y))


def _fit_text(text: str, font: pygame.font.Font, width: float) -> str:
    """`text`, shortened with an ellipsis until it fits `width` pixels ('' if nothing fits)."""
    if font.size(text)[0] <= width:
        return text
    for n in range(len(text) - 1, 0, -1):
        short = text[:n] + "…"
        if font.size(short)[0] <= width:
            return short
    return ""


def _number(value: Any, short: bool = False) -> str:
    """A number for a label: whole numbers without decimals, others with two (or two
    significant digits when `short`); '–' for NaN/inf."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    if v == round(v) and abs(v) < 1e6:
        return f"{round(v)}"
    if short:
        return f"{v:.2g}" if abs(v) < 1 else f"{v:.1f}" if abs(v) < 100 else f"{v:.3g}"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:g}"


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
