"""The two-step game's drawing ("two_step"): state 1 with its two arrows to 2A and 2B, each
state's payoff table, the agent tokens in the current state, the pending joint action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from envs.render import paint
from envs.render.paint import Colour, RenderOptions

@dataclass(frozen=True)
class SquareLayout:
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


def layout(size: tuple[int, int]) -> SquareLayout:
    width, height = size
    side = min(width, height) * 0.96
    return SquareLayout((width - side) / 2, (height - side) / 2, side)


# two_step geometry, in logical units of the square content area
BOXES = {0: (0.03, 0.36, 0.27, 0.64), 1: (0.43, 0.12, 0.97, 0.52),
         2: (0.43, 0.57, 0.97, 0.97)}
TOKEN_R = 0.042


def tokens(state: int) -> list[tuple[float, float]]:
    """Logical centres of the two agent tokens inside the current state's box."""
    x0, y0, x1, y1 = BOXES[state]
    if state == 0:
        cy = (y0 + y1) / 2 - 0.005
        return [((x0 + x1) / 2 - 0.055, cy), ((x0 + x1) / 2 + 0.055, cy)]
    cy = y0 + 0.05
    return [(x1 - 0.16, cy), (x1 - 0.06, cy)]


def draw(surf: pygame.Surface, snap: dict[str, Any], opts: RenderOptions,
         theme: dict[str, Colour]) -> None:
    lay = layout(surf.get_size())
    state = int(snap["state_index"])
    t = int(snap["t"])
    first = snap.get("first_actions")
    last = snap.get("last_actions")
    pending = None if opts.actions is None else [int(a) for a in np.asarray(opts.actions)]
    thick = lay.len(0.010)
    big = paint.font(lay.len(0.075))
    mid = paint.font(lay.len(0.050))
    small = paint.font(lay.len(0.040))
    # the header's labels follow the options' text size (at most 0.075: above the boxes)
    head = paint.font(min(paint.label_px(lay.len(0.050), opts), max(10, lay.len(0.075))))

    # header
    paint.text(surf, f"t {t} / {snap['episode_limit']}", head, theme["text"],
               lay.px(0.03, 0.045), anchor="w")
    status = "done  " if snap.get("terminated") else ""
    ret = float(snap.get("episode_return", 0.0))
    paint.text(surf, f"{status}return {ret:g}", head,
               theme["accent"] if status else theme["text"], lay.px(0.97, 0.045), anchor="e")

    # arrows from state 1 to 2A / 2B, labelled with agent 0's action
    taken = None if first is None else int(first[0])
    planned = pending[0] if (pending is not None and state == 0) else None
    for a, target in enumerate((1, 2)):
        x0, y0 = 0.275, 0.46 + 0.08 * a
        tx0, ty0, tx1, ty1 = BOXES[target]
        end = (tx0 - 0.005, (ty0 + ty1) / 2)
        hot = taken == a or planned == a
        colour = theme["accent"] if hot else theme["muted"]
        paint.arrow(surf, lay.px(x0, y0), lay.px(*end), (0.030 if hot else 0.020) * lay.side,
                    colour, theme["outline"])
        mid_u, mid_v = (x0 + end[0]) / 2, (y0 + end[1]) / 2
        paint.text(surf, f"a0={a}", small, paint.agent_colour(0), lay.px(mid_u, mid_v),
                   background=theme["background"])

    for s, (x0, y0, x1, y1) in BOXES.items():
        rect = lay.rect(x0, y0, x1, y1)
        current = s == state
        pygame.draw.rect(surf, theme["box"], rect, border_radius=lay.len(0.02))
        pygame.draw.rect(surf, theme["accent"] if current else theme["grid"], rect,
                         thick * (2 if current else 1), border_radius=lay.len(0.02))
        name = ("state 1", "2A", "2B")[s]
        if s == 0:
            paint.text(surf, name, mid, theme["text"], lay.px((x0 + x1) / 2, y0 + 0.06))
            paint.text(surf, "reward 0", small, theme["muted"], lay.px((x0 + x1) / 2, y1 - 0.05))
        else:
            paint.text(surf, name, big, theme["text"], lay.px(x0 + 0.025, y0 + 0.05), anchor="w")
            table = (np.full((2, 2), float(snap["payoff_2a"])) if s == 1
                     else np.asarray(snap["payoff_2b"], dtype=float))
            done_here = current and t >= 2 and last is not None
            plan_here = current and pending is not None and t < 2
            _draw_payoff_table(surf, lay, (x0, y0, x1, y1), table,
                               tuple(last) if done_here else None,
                               tuple(pending) if plan_here else None, theme)

    for i, (u, v) in enumerate(tokens(state)):
        centre = lay.px(u, v)
        paint.disc(surf, centre, TOKEN_R * lay.side, paint.agent_colour(i), theme["outline"],
                   max(2, lay.side * 0.006))
        paint.text(surf, str(i), mid, paint.contrast(paint.agent_colour(i)), centre)
        if opts.selected_agent == i:
            paint.ring(surf, centre, (TOKEN_R + 0.012) * lay.side, theme["text"],
                       max(3, lay.side * 0.008))


def _draw_payoff_table(surf: pygame.Surface, lay: SquareLayout,
                       box: tuple[float, float, float, float], table: np.ndarray,
                       last: tuple[int, ...] | None, pending: tuple[int, ...] | None,
                       theme: dict[str, Colour]) -> None:
    """2x2 payoff grid; row = agent 0's action, column = agent 1's. `last` cell is filled."""
    x0, y0, x1, y1 = box
    head_w, head_h = 0.11, 0.05
    tx0, ty0 = x0 + 0.03 + head_w, y0 + 0.10 + head_h
    cw = (x1 - 0.03 - tx0) / 2
    ch = (y1 - 0.02 - ty0) / 2
    small = paint.font(lay.len(0.036))
    num = paint.font(lay.len(0.070))
    for j in range(2):
        paint.text(surf, f"a1={j}", small, paint.agent_colour(1),
                   lay.px(tx0 + (j + 0.5) * cw, ty0 - 0.028))
    for i in range(2):
        paint.text(surf, f"a0={i}", small, paint.agent_colour(0),
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
            colour = paint.contrast(theme["accent"]) if is_last else theme["text"]
            paint.text(surf, f"{value:g}", num, colour, rect.center)


def agent_centres(snapshot: dict[str, Any], size: tuple[int, int],
                  opts: RenderOptions | None = None) -> tuple[np.ndarray, float]:
    """(2, 2) pixel centres of the agent tokens and their radius, as `draw` draws them
    (the labels' size, `opts`, moves nothing here)."""
    lay = layout(size)
    pts = [lay.px(u, v) for u, v in tokens(int(snapshot["state_index"]))]
    return np.array(pts, dtype=np.float64), TOKEN_R * lay.side


def hit_test(snapshot: dict[str, Any], size: tuple[int, int], x: int, y: int,
             opts: RenderOptions | None = None) -> int | None:
    return paint.nearest_disc(*agent_centres(snapshot, size), x, y)
