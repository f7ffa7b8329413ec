"""The "vectors" drawing, for any world without a picture of its own (a PettingZoo or
gymnasium env): the env's own `render()` image when the snapshot carries one, else one row per
agent with its observation vector as a colour strip, its next and last action and its reward,
and the frame's colour scale below."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pygame

from envs.render import paint
from envs.render.paint import Colour, RenderOptions

# Colour map of the observation strips: viridis (perceptually uniform, colour-blind safe,
# reads in greyscale and on a washed-out projector), sampled at 9 stops.
_VIRIDIS = np.array([(68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142),
                     (33, 144, 141), (39, 173, 129), (92, 200, 99), (170, 220, 50),
                     (253, 231, 37)], dtype=np.float64)


def colour_map(t: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (any shape) -> uint8 RGB (shape + (3,)) along viridis."""
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0), 0.0, 1.0)
    pos = t * (len(_VIRIDIS) - 1)
    lo = np.floor(pos).astype(np.int64).clip(0, len(_VIRIDIS) - 2)
    frac = (pos - lo)[..., None]
    rgb = _VIRIDIS[lo] * (1 - frac) + _VIRIDIS[lo + 1] * frac
    return np.round(rgb).astype(np.uint8)


@dataclass(frozen=True)
class VectorLayout:
    """Where the 'vectors' drawing puts things; shared by draw and hit_test.

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
    header_px: int = 10  # the header's label size (paint.label_px)

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


def layout(snap: dict[str, Any], size: tuple[int, int],
           opts: RenderOptions | None = None) -> VectorLayout:
    width, height = size
    side = min(width, height)
    margin = max(4.0, 0.025 * side)
    header_h = max(18.0, 0.075 * side)
    header_px = paint.label_px(header_h * 0.62, opts)
    header_h = max(header_h, header_px / 0.62)
    left, content_w = margin, max(width - 2 * margin, 1.0)
    image = _image_array(snap)
    if image is not None:
        ih, iw = image.shape[:2]
        avail_h = max(height - 2 * margin - header_h, 1.0)
        scale = min(content_w / iw, avail_h / ih)
        w, h = max(1, round(iw * scale)), max(1, round(ih * scale))
        header_top = (height - h - header_h) / 2
        x = round((width - w) / 2)
        return VectorLayout(left=x, width=w, header_top=header_top, header_h=header_h,
                            top=header_top + header_h, row_h=0.0, rows=0,
                            footer_top=header_top + header_h + h, footer_h=0.0,
                            image=(x, round(header_top + header_h), w, h), side=side,
                            header_px=header_px)
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
    return VectorLayout(left=left, width=content_w, header_top=header_top, header_h=header_h,
                        top=top, row_h=row_h, rows=rows, footer_top=top + rows * row_h,
                        footer_h=footer_h, image=None, side=side, header_px=header_px)


def draw(surf: pygame.Surface, snap: dict[str, Any], opts: RenderOptions,
         theme: dict[str, Colour]) -> None:
    lay = layout(snap, surf.get_size(), opts)
    header_font = paint.font(lay.header_px)
    paint.status_line(surf, snap, theme, header_font, lay.left, lay.left + lay.width,
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

    font = paint.font(lay.font_px)
    small = paint.font(max(8, round(lay.font_px * 0.72)))
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
    lo_text, hi_text = f"min {paint.number(vmin)}", f"max {paint.number(vmax)}"
    caption = "observations, scaled to this frame"
    lo_w = small.size(lo_text)[0]
    x = lay.left
    paint.text(surf, lo_text, small, theme["muted"], (x, y), anchor="w")
    x += lo_w + small.get_height() * 0.4
    ramp = colour_map(np.linspace(0.0, 1.0, 64))[None, :, :].repeat(2, axis=0)
    bar = pygame.transform.scale(pygame.surfarray.make_surface(ramp.swapaxes(0, 1)),
                                 (bar_w, bar_h))
    surf.blit(bar, (round(x), round(y - bar_h / 2)))
    x += bar_w + small.get_height() * 0.4
    paint.text(surf, hi_text, small, theme["muted"], (x, y), anchor="w")
    x += small.size(hi_text)[0] + small.get_height() * 0.8
    if x + small.size(caption)[0] <= lay.left + lay.width:
        paint.text(surf, caption, small, theme["muted"], (lay.left + lay.width, y), anchor="e")


def _action_label(actions: Any, i: int, names: tuple[str, ...]) -> str | None:
    if actions is None:
        return None
    arr = np.asarray(actions).reshape(-1)
    if i >= len(arr):
        return None
    a = int(arr[i])
    return names[a] if 0 <= a < len(names) else f"a{a}"


def _draw_vector_row(surf: pygame.Surface, lay: VectorLayout, i: int, name: str,
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
    colour = paint.agent_colour(i)
    text_colour = theme["text"] if is_active else theme["muted"]
    cx, cy = lay.disc_centre(i)
    r = lay.disc_r
    paint.disc(surf, (cx, cy), r, colour if is_active else theme["grid"], theme["outline"],
               max(2, r * 0.12))
    paint.text(surf, str(i), paint.font(max(7, round(r * 1.15))),
               paint.contrast(colour) if is_active else theme["text"], (cx, cy))
    if selected:
        paint.ring(surf, (cx, cy), r * 1.22, theme["text"], max(2, r * 0.16))

    # The text line, by priority when the row is narrow: reward, name, status, the next
    # action (a filled pill in the agent's colour), the action taken last step.
    name_left = lay.text_left(i)
    right = rect.right - pad
    gap = small.get_height() * 0.6
    reward_text = f"r {'+' if reward > 0 else ''}{paint.number(reward)}"
    reward_colour = theme["accent"] if reward != 0 and math.isfinite(reward) else theme["muted"]
    status = "" if is_active else "left"
    status_w = small.size(status)[0] + 2 * gap if status else 0
    name_min = min(font.size(name)[0], font.size(name[:7] + "…")[0])
    room = right - name_left - font.size(reward_text)[0] - gap - name_min - status_w
    pill_label = font.render(pending, True, paint.contrast(colour)) \
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

    paint.text(surf, reward_text, font, reward_colour, (right, cy), anchor="e")
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
        paint.text(surf, "next", small, theme["muted"], (right, cy), anchor="e")
        right -= small.size("next")[0] + gap
    if took_text:
        paint.text(surf, took_text, small, theme["muted"], (right, cy), anchor="e")
        right -= small.size(took_text)[0] + gap
    shown = paint.fit_text(name, font, max(0.0, right - name_left - status_w))
    if shown:
        paint.text(surf, shown, font, text_colour, (name_left, cy), anchor="w")
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
        paint.text(surf, "no observation", font, theme["muted"], rect.midleft, anchor="w")
        return
    min_cell = 4.0
    lines = int(min(max(1, math.ceil(d * min_cell / rect.width)),
                    max(1, rect.height // 3)))
    per_line = math.ceil(d / lines)
    colours = np.zeros((lines * per_line, 3), np.uint8)
    colours[:] = theme["floor"]
    colours[:d] = colour_map(scaled)
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
        labels = [paint.number(float(v), short=True) for v in values]
        num = paint.font(max(7, round(min(cell_h * 0.5, font.get_height() * 0.8))))
        if max(num.size(t)[0] for t in labels) <= cell_w * 0.86 and num.get_height() <= cell_h:
            for k, label in enumerate(labels):
                centre = (rect.left + (k + 0.5) * cell_w, rect.centery)
                ink = paint.contrast(tuple(int(c) for c in grid[0, k]))
                paint.text(surf, label, num, ink, centre)
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


def agent_centres(snapshot: dict[str, Any], size: tuple[int, int],
                  opts: RenderOptions | None = None) -> tuple[np.ndarray, float]:
    """(N, 2) pixel centres of the row discs and their radius (none under an env's image)."""
    lay = layout(snapshot, size, opts)
    if lay.image is not None:  # the env's own picture: no agent positions known
        return np.zeros((0, 2)), 0.0
    pts = [lay.disc_centre(i) for i in range(lay.rows)]
    return np.array(pts, dtype=np.float64).reshape(-1, 2), lay.disc_r


def hit_test(snapshot: dict[str, Any], size: tuple[int, int], x: int, y: int,
             opts: RenderOptions | None = None) -> int | None:
    """The agent whose row holds pixel (x, y)."""
    lay = layout(snapshot, size, opts)
    for i in range(lay.rows if lay.image is None else 0):
        if lay.row_rect(i).collidepoint(x, y):
            return i
    return None
