"""Draw a scenario snapshot onto an offscreen pygame Surface (and map clicks back to agents).

Why offscreen and snapshot-based: the GUI thread draws while the trainer thread keeps
stepping the environments, so rendering must never read live env internals -- it only
reads the plain-data dict that `VecEnv.snapshot()` copied. No window is ever opened:
`pygame.display` and `pygame.event` are never touched (they belong to the main thread and
to Qt here), only `pygame.font` is initialised, for text.

One module per drawing (`grid_world`, `two_step`, `vectors`: each has `draw`,
`agent_centres` and `hit_test`), shared helpers in `paint`. A snapshot names its drawing in
its "render" field (`DRAWINGS`). To draw a new kind of world: a module with those three
functions, and its name in `_DRAWINGS`.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from envs.render import grid_world, two_step, vectors  # noqa: E402
from envs.render.paint import (AGENT_COLOURS, DRAW_LOCK, THEMES, Colour,  # noqa: E402
                               RenderOptions, agent_colour, check_size, ensure_font)

__all__ = ["AGENT_COLOURS", "DRAWINGS", "THEMES", "Colour", "RenderOptions", "agent_centres",
           "agent_colour", "drawing_kind", "hit_test", "render"]

_DRAWINGS: dict[str, ModuleType] = {
    "pursuit": grid_world, "foraging": grid_world, "grid": grid_world,
    "two_step": two_step, "vectors": vectors,
}
DRAWINGS = tuple(_DRAWINGS)
"""The drawings `render` knows. A snapshot names its drawing in its "render" field; without
one, the drawing is named after its "scenario" (the built-in scenarios). "pursuit",
"foraging" and "grid" are the grid world (with prey, food, walls where the snapshot has
them); "two_step" is the matrix game; "vectors" is any world without a picture of its own:
the env's own `render()` image when the snapshot carries one, else one row per agent with
its observation vector, its action and its reward."""


def drawing_kind(snapshot: dict[str, Any]) -> str:
    """The drawing `render` uses for `snapshot` (one of DRAWINGS); ValueError if none fits."""
    kind = snapshot.get("render") or snapshot.get("scenario")
    if kind not in _DRAWINGS:
        raise ValueError(f"don't know how to draw render kind {kind!r} (scenario "
                         f"{snapshot.get('scenario')!r}); known drawings: "
                         f"{', '.join(DRAWINGS)}")
    return str(kind)


def render(snapshot: dict[str, Any], size: tuple[int, int] = (640, 640),
           options: RenderOptions | None = None) -> pygame.Surface:
    """Draw `snapshot` on a new 32-bit Surface of exactly `size`, content centred, aspect kept."""
    options = options if options is not None else RenderOptions()
    width, height = check_size(size)
    if options.theme not in THEMES:
        raise ValueError(f"theme must be one of {sorted(THEMES)}, got {options.theme!r}")
    theme = THEMES[options.theme]
    with DRAW_LOCK:  # the view and an export may draw at once (paint.DRAW_LOCK says why)
        ensure_font()
        surf = pygame.Surface((width, height), 0, 32)
        surf.fill(theme["background"])
        _DRAWINGS[drawing_kind(snapshot)].draw(surf, snapshot, options, theme)
    return surf


def hit_test(snapshot: dict[str, Any], size: tuple[int, int], x: int, y: int,
             options: RenderOptions | None = None) -> int | None:
    """Index of the agent drawn at pixel (x, y) of a `render(snapshot, size, options)` frame,
    or None (the options' label size moves the layout, so pass the same ones)."""
    check_size(size)
    return _DRAWINGS[drawing_kind(snapshot)].hit_test(snapshot, size, x, y, options)


def agent_centres(snapshot: dict[str, Any], size: tuple[int, int],
                  options: RenderOptions | None = None) -> tuple[np.ndarray, float]:
    """(N, 2) pixel centres of the agents' discs and their radius, as `render` draws them."""
    return _DRAWINGS[drawing_kind(snapshot)].agent_centres(snapshot, size, options)
