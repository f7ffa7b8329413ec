"""The app's seam to `envs.render`: draw a frame at a pixel size, find the agent under a click.

Pygame is only used here (and only its offscreen Surface and font modules, which need no
display). Every scenario has a drawing (a wrapped PettingZoo or gymnasium env gets the
renderer's "vectors" view); should the renderer fail on a frame, a plain text card is shown
instead, so the app never fails because a picture is missing.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402

from envs import render as _render  # noqa: E402

_reported: set[str] = set()


TEXT_CARD = "text card"
"""The drawing kind of the fallback card (the renderer failed on a frame)."""


def draw(frame: dict[str, Any], width: int, height: int, selected: int | None, theme: str,
         actions: Any = None, show_view: bool = False, value_map: Any = None,
         text_scale: float = 1.0, min_text_px: float = 0.0) -> tuple[pygame.Surface, str]:
    """A width x height Surface showing `frame` (content centred, aspect ratio kept), and
    the name of the drawing that made it (`envs.render.drawing_kind`, or TEXT_CARD).

    `actions` (N,) are drawn as arrows/bursts: the decision about to be executed.
    `text_scale`, `min_text_px`: the labels' size (presentation mode's scale; at least the
    window's own text size, so a narrow picture keeps readable labels).
    """
    try:
        options = _render.RenderOptions(show_view_radius=show_view, actions=actions,
                                        selected_agent=selected, theme=theme,
                                        value_map=value_map, text_scale=text_scale,
                                        min_text_px=min_text_px)
        surface = _render.render(frame, size=(width, height), options=options)
        return surface, _render.drawing_kind(frame)
    except Exception as exc:  # noqa: BLE001 - a drawing bug must not take the app down
        key = f"{type(exc).__name__}: {exc}"
        if key not in _reported:  # once per distinct error, not 60 times a second
            _reported.add(key)
            import traceback

            traceback.print_exc()
    return _text_card(frame, width, height, theme), TEXT_CARD


def hit_test(frame: dict[str, Any], x: float, y: float, width: int, height: int,
             text_scale: float = 1.0, min_text_px: float = 0.0) -> int | None:
    """The agent drawn at surface pixel (x, y) of a width x height picture drawn with these
    label sizes (`draw`'s), or None."""
    try:
        options = _render.RenderOptions(text_scale=text_scale, min_text_px=min_text_px)
        return _render.hit_test(frame, (int(width), int(height)), int(x), int(y), options)
    except Exception:  # noqa: BLE001
        return None


def cell_at(frame: dict[str, Any], x: float, y: float, width: int, height: int,
            text_scale: float = 1.0, min_text_px: float = 0.0) -> tuple[int, int] | None:
    """The grid cell (row, col) at surface pixel (x, y) of a grid world's width x height
    picture, or None (outside the grid, or not a grid world)."""
    lay = _grid_layout(frame, width, height, text_scale, min_text_px)
    if lay is None:
        return None
    row, col = int((y - lay.top) // lay.cell), int((x - lay.left) // lay.cell)
    return (row, col) if 0 <= row < lay.rows and 0 <= col < lay.cols else None


def cell_origin(frame: dict[str, Any], cell: tuple[int, int], width: int, height: int,
                text_scale: float = 1.0, min_text_px: float = 0.0) -> tuple[float, float]:
    """Surface pixel of the top-left corner of `cell` in a grid world's picture."""
    lay = _grid_layout(frame, width, height, text_scale, min_text_px)
    assert lay is not None, "not a grid world"
    return lay.left + cell[1] * lay.cell, lay.top + cell[0] * lay.cell


def cell_size(frame: dict[str, Any], width: int, height: int, text_scale: float = 1.0,
              min_text_px: float = 0.0) -> float:
    """A grid cell's side in surface pixels (0 for a world without a grid)."""
    lay = _grid_layout(frame, width, height, text_scale, min_text_px)
    return 0.0 if lay is None else float(lay.cell)


def _grid_layout(frame: dict[str, Any], width: int, height: int, text_scale: float,
                 min_text_px: float) -> Any:
    """The grid's place in a picture drawn with these label sizes (`draw`'s: bigger labels
    make a taller header, which moves the grid)."""
    if "grid_shape" not in frame:
        return None
    from envs.render.grid_world import layout

    options = _render.RenderOptions(text_scale=text_scale, min_text_px=min_text_px)
    return layout(frame, (int(width), int(height)), options)


def agent_colours() -> list[tuple[int, int, int]]:
    """The colours the renderer gives agents 0, 1, 2, ... (the inspector uses the same)."""
    # same palette as the picture, so "agent 2" is the same colour in view and inspector
    return [tuple(int(v) for v in c[:3]) for c in _render.AGENT_COLOURS]


def background(theme: str) -> str:
    """The renderer's background colour as '#rrggbb' (the view's card blends into it)."""
    r, g, b = _render.THEMES[theme]["background"]
    return f"#{int(r):02x}{int(g):02x}{int(b):02x}"


_font: Any = None


def _text_card(frame: dict[str, Any], width: int, height: int, theme: str) -> pygame.Surface:
    global _font
    side = max(1, min(width, height))
    surface = pygame.Surface((max(1, width), max(1, height)), 0, 32)
    dark = theme == "dark"
    surface.fill((24, 27, 34) if dark else (255, 255, 255))
    if not pygame.font.get_init():
        pygame.font.init()
    if _font is None or _font[0] != side:
        _font = (side, pygame.font.Font(None, max(12, side // 16)))
    font = _font[1]
    colour = (238, 241, 247) if dark else (17, 21, 28)
    lines = [str(frame.get("scenario", "scenario")), f"t = {frame.get('t', 0)}",
             f"return = {frame.get('episode_return', 0.0):.2f}"]
    y = side // 3
    for line in lines:
        text = font.render(line, True, colour)
        surface.blit(text, ((width - text.get_width()) // 2, y + (height - side) // 2))
        y += text.get_height() + 8
    return surface
