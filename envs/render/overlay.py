"""Recording frames: the world picture plus an optional Q overlay, and title cards, as RGB
arrays (qmix/record.py writes them to GIF / MP4).

The overlay is a panel beside the picture (below it for square or tall frames, at the right
for wide ones), so it never hides an agent: per agent its colour disc, the action it chose
with Q(o, a) of that action, and an *explored* badge when the ε coin flip chose it (then the
greedy action too); above them Q_tot of the chosen and of the greedy joint action, the
mixer's V(s), the step t and the return so far. Type is sized from the frame (a 320 px GIF
and a 1080 px video read alike), colours are the world theme's (assets/themes), agent
colours the picture's.

Plain data in (`OverlayData`), NumPy out: nothing here knows the engine's records (envs sits
below qmix); qmix/record.py turns a Snapshot into an `OverlayData`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pygame

from envs.render import paint, render
from envs.render.paint import Colour, RenderOptions


@dataclass
class AgentLine:
    """One agent's decision on the overlay."""

    action: str  # name of the chosen action
    q: float  # Q(o, chosen action)
    explored: bool = False  # the ε coin flip chose it
    greedy_action: str | None = None  # named when it differs from the chosen one


@dataclass
class OverlayData:
    """What the panel shows for one frame (plain data; qmix/record.py fills it)."""

    t: int
    episode_limit: int
    episode_return: float
    agents: list[AgentLine] = field(default_factory=list)  # empty: no decision to show
    q_tot_chosen: float | None = None
    q_tot_greedy: float | None = None
    v_s: float | None = None
    caption: str = ""  # e.g. "greedy episode 1 of 3 · pursuit · qmix"
    final: bool = False  # a terminal frame: the agents' lines are the decision that ended it
    status: str = ""  # "done" / "time up" at a terminal frame
    n_agents: int = 0  # agents of the world (0: len(agents)); keeps the layout of a
    # recording's frames the same when one has no decision to show


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    """`size` rounded up to even width and height (H.264 in yuv420p needs both even)."""
    width, height = paint.check_size(size)
    return width + width % 2, height + height % 2


def _num(value: float) -> str:
    """A panel number: two decimals at most, and never '-0.00'."""
    return paint.number(round(float(value), 2) + 0.0)


def to_rgb(surface: pygame.Surface) -> np.ndarray:
    """(H, W, 3) uint8 copy of a Surface."""
    width, height = surface.get_size()
    data = pygame.image.tobytes(surface, "RGB")
    return np.frombuffer(data, np.uint8).reshape(height, width, 3).copy()


_HEAD_SAMPLE = "t 25 / 25   time up  return -10.25"
_Q_SAMPLE = "Q_tot -10.25  ·  greedy -10.25  ·  V(s) -10.25"
"""Widest header texts: whether the Q line fits beside t and the return is decided once per
frame size from these, so the layout never jumps between the frames of a recording."""


@dataclass(frozen=True)
class PanelLayout:
    world: pygame.Rect  # where the world picture goes
    panel: pygame.Rect  # the panel's box
    row_h: float
    columns: int  # agent columns
    q_line: bool  # Q_tot, V(s) on a line of their own (else right of t and the return)


def _widest_row(inner_w: float) -> float:
    """The row height at which the widest Q line just fills `inner_w` pixels."""
    ref = 40.0
    return ref * inner_w / max(1, paint.font(round(ref * 0.58)).size(_Q_SAMPLE)[0])


def _fits_one_line(row_h: float, inner_w: float) -> bool:
    big = paint.font(round(row_h * 0.58))
    return big.size(_HEAD_SAMPLE)[0] + big.size(_Q_SAMPLE)[0] + row_h <= inner_w


def panel_layout(width: int, height: int, n_agents: int) -> PanelLayout:
    """Where the world and the panel go in a frame with an overlay: a panel at the right
    of wide frames (width >= 1.25 x height), else below; type sized from the frame."""
    n = max(1, n_agents)
    if width >= 1.25 * height:
        panel_w = round(width * 0.36)
        lines = 3 + n + 0.6  # caption, t and return, Q line, one per agent
        row_h = max(12.0, min(height * 0.85 / lines, _widest_row(panel_w * 0.86)))
        box = pygame.Rect(width - panel_w, 0, panel_w, min(height, round(row_h * lines)))
        box = box.inflate(-round(row_h * 0.4), -round(row_h * 0.4))
        box.top = max(box.top, round(row_h * 0.2))
        return PanelLayout(pygame.Rect(0, 0, width - panel_w, height), box, row_h, 1, True)
    base = min(width, height)
    row_h = max(12.0, base * 0.052)
    columns = 1 if n <= 3 or width < 1.3 * base else 2
    q_line = not _fits_one_line(row_h, width - 2 * row_h)
    rows = (3 if q_line else 2) + -(-n // columns)
    # the panel takes at most 42 % of the height: rows shrink (and type with them) beyond
    row_h = min(row_h, height * 0.42 / (rows + 0.6))
    panel_h = round(row_h * (rows + 0.6))
    box = pygame.Rect(0, height - panel_h, width, panel_h)
    box = box.inflate(-round(row_h * 0.35), -round(row_h * 0.3))
    return PanelLayout(pygame.Rect(0, 0, width, height - panel_h), box, row_h, columns, q_line)


def draw_frame(snapshot: dict[str, Any], size: tuple[int, int],
               options: RenderOptions | None = None,
               overlay: OverlayData | None = None) -> pygame.Surface:
    """A Surface of exactly `size`: the world (`envs.render.render`) and, with `overlay`,
    the Q panel beside it."""
    options = options if options is not None else RenderOptions()
    width, height = paint.check_size(size)
    if overlay is None:
        return render(snapshot, (width, height), options)
    theme = paint.THEMES[options.theme]
    with paint.DRAW_LOCK:
        lay = panel_layout(width, height, overlay.n_agents or len(overlay.agents))
        surf = pygame.Surface((width, height), 0, 32)
        surf.fill(theme["background"])
        if lay.world.width >= 8 and lay.world.height >= 8:
            surf.blit(render(snapshot, lay.world.size, options), lay.world.topleft)
        _draw_panel(surf, lay, overlay, theme)
    return surf


def _draw_panel(surf: pygame.Surface, lay: PanelLayout, data: OverlayData,
                theme: dict[str, Colour]) -> None:
    row_h, box, columns = lay.row_h, lay.panel, lay.columns
    pad = max(4.0, row_h * 0.3)
    pygame.draw.rect(surf, theme["box"], box, border_radius=max(2, round(row_h * 0.25)))
    big = paint.font(round(row_h * 0.58))
    small = paint.font(round(row_h * 0.46))
    left, right = box.left + pad, box.right - pad
    y = box.top + row_h * 0.55

    caption = data.caption or ""
    if data.final:
        caption = f"{caption} · " if caption else ""
        caption += "episode over: the decision that ended it"
    paint.text(surf, paint.fit_text(caption, small, right - left), small, theme["muted"],
               (left, y), anchor="w")
    y += row_h

    status = f"{data.status}  " if data.status else ""
    head_left = f"t {data.t} / {data.episode_limit}   {status}return " \
                f"{_num(data.episode_return)}"
    paint.text(surf, paint.fit_text(head_left, big, right - left), big,
               theme["accent"] if data.status else theme["text"], (left, y), anchor="w")
    q_parts = []
    if data.q_tot_chosen is not None:
        q_parts.append(f"Q_tot {_num(data.q_tot_chosen)}")
    if data.q_tot_greedy is not None:
        q_parts.append(f"greedy {_num(data.q_tot_greedy)}")
    if data.v_s is not None:
        q_parts.append(f"V(s) {_num(data.v_s)}")
    if lay.q_line:
        y += row_h
        q_text = paint.fit_text("  ·  ".join(q_parts), big, right - left)
        if q_text:
            paint.text(surf, q_text, big, theme["text"], (left, y), anchor="w")
    else:
        used = big.size(head_left)[0] + row_h * 0.8
        q_text = paint.fit_text("  ·  ".join(q_parts), big, max(0.0, right - left - used))
        if q_text:
            paint.text(surf, q_text, big, theme["text"], (right, y), anchor="e")
    y += row_h

    if not data.agents:
        paint.text(surf, "episode over" if data.status else "no decision on this frame",
                   small, theme["muted"], (left, y), anchor="w")
        return
    per_col = -(-len(data.agents) // columns)
    col_w = (right - left) / columns
    for i, agent in enumerate(data.agents):
        col, row = divmod(i, per_col)
        x0 = left + col * col_w
        cy = y + row * row_h
        _agent_line(surf, i, agent, x0, x0 + col_w - pad, cy, row_h, big, small, theme)


def _agent_line(surf: pygame.Surface, index: int, agent: AgentLine, left: float,
                right: float, y: float, row_h: float, big: pygame.font.Font,
                small: pygame.font.Font, theme: dict[str, Colour]) -> None:
    radius = row_h * 0.36
    colour = paint.agent_colour(index)
    paint.disc(surf, (left + radius, y), radius, colour, theme["outline"],
               max(1.0, radius * 0.15))
    paint.text(surf, str(index), small, paint.contrast(colour), (left + radius, y))
    x = left + 2 * radius + row_h * 0.35
    gap = row_h * 0.4
    q_text = f"Q {_num(agent.q)}"
    q_w = big.size(q_text)[0]
    # the action and its Q always show (the action shortened only if it must); the badge
    # takes what room is left
    name = paint.fit_text(agent.action, big, max(0.0, right - x - q_w - gap))
    paint.text(surf, name, big, theme["text"], (x, y), anchor="w")
    x += big.size(name)[0] + gap
    paint.text(surf, q_text, big, theme["text"], (x, y), anchor="w")
    x += q_w + row_h * 0.45
    if agent.explored:
        room = max(0.0, right - x - row_h * 0.3)
        badge = "explored" + (f" (greedy {agent.greedy_action})" if agent.greedy_action
                              else "")
        if small.size(badge)[0] > room:
            badge = paint.fit_text("explored", small, room)
        if badge:
            paint.text(surf, badge, small, paint.contrast(theme["accent"]),
                       (x + row_h * 0.15, y), anchor="w", background=theme["accent"])


def title_card(lines: Sequence[str], size: tuple[int, int], theme: str = "dark"
               ) -> pygame.Surface:
    """A card between episodes: the first line large, the others smaller, centred."""
    width, height = paint.check_size(size)
    colours = paint.THEMES[theme]
    with paint.DRAW_LOCK:
        return _title_card(lines, width, height, colours)


def _title_card(lines: Sequence[str], width: int, height: int,
                colours: dict[str, Colour]) -> pygame.Surface:
    paint.ensure_font()
    surf = pygame.Surface((width, height), 0, 32)
    surf.fill(colours["background"])
    base = min(width, height)
    big = paint.font(round(base * 0.075))
    small = paint.font(round(base * 0.045))
    heights = [big.get_height()] + [small.get_height()] * (len(lines) - 1)
    y = (height - sum(h * 1.25 for h in heights)) / 2
    for i, line in enumerate(lines):
        font = big if i == 0 else small
        h = heights[i] * 1.25
        paint.text(surf, paint.fit_text(line, font, width * 0.92), font,
                   colours["accent"] if i == 0 else colours["text"], (width / 2, y + h / 2))
        y += h
    return surf
