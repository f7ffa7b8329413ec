"""Shared drawing helpers of the renderer: colours, options, fonts, text and shapes.

Built for a projector: thick lines, big bold numbers, colour-blind-safe Okabe-Ito agent
colours with dark outlines (readable on both themes), shapes as well as colours telling
entities apart (agents = discs, prey = diamonds, food = rounded squares).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame
import pygame.gfxdraw

import assets

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

def _rgb(hex_colour: str) -> Colour:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


THEMES: dict[str, dict[str, Colour]] = {
    name: {key: _rgb(value) for key, value in assets.theme(name)["world"].items()}
    for name in assets.THEME_NAMES}
"""Theme colours (assets/themes/<name>.json, "world"); 'accent' marks highlights (current
state, chosen joint action, catches)."""

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
    value_map: Any = None
    """grid worlds: an `envs.render.value_overlay.OverlaySpec` to draw as a heat map (the
    what-if value map); None draws none"""
    text_scale: float = 1.0
    """multiplies the size of the labels (step, return, headers): presentation mode's type
    scale, so the picture's text grows with the rest of the window's"""
    min_text_px: float = 0.0
    """the labels are never smaller than this many pixels, however small the picture (the
    app passes its own text size: a narrow picture keeps readable labels)"""


def label_px(base: float, opts: RenderOptions | None) -> int:
    """The pixel size of a label the layout would make `base` px: scaled by the options'
    `text_scale`, at least their `min_text_px` (and never under 10 px)."""
    scale = 1.0 if opts is None else float(opts.text_scale)
    least = 0.0 if opts is None else float(opts.min_text_px)
    return max(10, round(max(base * scale, least)))

def agent_colour(index: int) -> Colour:
    """Colour of agent `index` (cycling through AGENT_COLOURS)."""
    return AGENT_COLOURS[index % len(AGENT_COLOURS)]


def status_line(surf: pygame.Surface, snap: dict[str, Any], theme: dict[str, Colour],
                font: pygame.font.Font, left: float, right: float, y: float) -> None:
    """'t 3 / 25' at the left, '[done] return 1.5' at the right, centred on height y."""
    text(surf, f"t {snap['t']} / {snap['episode_limit']}", font, theme["text"], (left, y),
         anchor="w")
    status = ""
    if snap.get("terminated"):
        status = "done  "
    elif snap.get("truncated"):
        status = "time up  "
    ret_text = number(snap.get("episode_return", 0.0))
    text(surf, f"{status}return {ret_text}", font,
         theme["accent"] if status else theme["text"], (right, y), anchor="e")


def fit_text(text: str, font: pygame.font.Font, width: float) -> str:
    """`text`, shortened with an ellipsis until it fits `width` pixels ('' if nothing fits)."""
    if font.size(text)[0] <= width:
        return text
    for n in range(len(text) - 1, 0, -1):
        short = text[:n] + "…"
        if font.size(short)[0] <= width:
            return short
    return ""


def number(value: Any, short: bool = False) -> str:
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


_FONTS: dict[int, pygame.font.Font] = {}

DRAW_LOCK = threading.RLock()
"""Held while a picture is drawn: the app's view (GUI thread) and an export (its own thread,
qmix/record.py) share the cached fonts, and one FreeType font is not safe to use from two
threads at once."""


def ensure_font() -> None:
    if not pygame.font.get_init():
        pygame.font.init()


def font(px: int) -> pygame.font.Font:
    """pygame's bundled bold sans at `px` pixels, cached (creating fonts is slow)."""
    px = int(max(6, min(px, 400)))
    font = _FONTS.get(px)
    if font is None:
        ensure_font()
        font = pygame.font.Font(None, round(px * 1.35))  # default font's cap height is small
        font.set_bold(True)
        _FONTS[px] = font
    return font


def text(surf: pygame.Surface, text: str, font: pygame.font.Font, colour: Colour,
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


def disc(surf: pygame.Surface, centre: tuple[float, float], radius: float, fill: Colour,
         outline: Colour, outline_w: float) -> None:
    """Anti-aliased filled disc with an outline ring `outline_w` pixels wide."""
    x, y, r = round(centre[0]), round(centre[1]), max(1, round(radius))
    w = max(0, round(outline_w))
    pygame.gfxdraw.filled_circle(surf, x, y, r, outline)
    pygame.gfxdraw.aacircle(surf, x, y, r, outline)
    inner = max(1, r - w)
    pygame.gfxdraw.filled_circle(surf, x, y, inner, fill)
    pygame.gfxdraw.aacircle(surf, x, y, inner, fill)


def ring(surf: pygame.Surface, centre: tuple[float, float], radius: float, colour: Colour,
         width: float) -> None:
    pygame.draw.circle(surf, colour, (round(centre[0]), round(centre[1])), round(radius),
                       max(1, round(width)))


def burst(surf: pygame.Surface, centre: tuple[float, float], r0: float, r1: float,
          colour: Colour, width: int, spokes: int) -> None:
    """Radiating spokes: the 'catch' / 'load' / 'captured' mark."""
    for k in range(spokes):
        ang = 2 * math.pi * (k + 0.5) / spokes
        dx, dy = math.cos(ang), math.sin(ang)
        pygame.draw.line(surf, colour, (centre[0] + dx * r0, centre[1] + dy * r0),
                         (centre[0] + dx * r1, centre[1] + dy * r1), width)


def arrow(surf: pygame.Surface, start: tuple[float, float], end: tuple[float, float],
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


def contrast(colour: Colour) -> Colour:
    """Black or white, whichever reads better on `colour` (WCAG relative luminance)."""
    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(colour[0]) + 0.7152 * lin(colour[1]) + 0.0722 * lin(colour[2])
    return (0, 0, 0) if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else (255, 255, 255)


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height), got {size!r}") from None
    if width < 1 or height < 1:
        raise ValueError(f"size must be positive, got {size!r}")
    return width, height


def nearest_disc(centres: np.ndarray, radius: float, x: int, y: int) -> int | None:
    """Index of the disc of `radius` around one of `centres` (N, 2) that holds pixel (x, y)."""
    if len(centres) == 0:
        return None
    dist = np.hypot(centres[:, 0] - x, centres[:, 1] - y)  # (N,)
    best = int(np.argmin(dist))
    return best if dist[best] <= radius + 1.0 else None
