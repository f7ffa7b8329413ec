"""Rendering: right size, not blank, both themes, and clicks map back to the drawn agents."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs import render as r
from envs.render import grid_world, vectors

pygame = pytest.importorskip("pygame")

SIZES = [(640, 640), (900, 500), (300, 720)]


def snapshots() -> dict[str, dict]:
    out = {}
    for name in envs.scenario_names():
        env = envs.make(name)
        ts = env.reset(seed=2)
        rng = np.random.default_rng(0)
        steps = 1 if name == "two_step" else 3
        for _ in range(steps):
            ts = env.step((rng.random(ts.avail_actions.shape) * ts.avail_actions).argmax(-1))
        out[name] = env.snapshot()
    return out


SNAPS = snapshots()


def distinct_colours(surface: "pygame.Surface") -> int:
    pixels = pygame.surfarray.array3d(surface).reshape(-1, 3)
    return len(np.unique(pixels[::7], axis=0))


@pytest.mark.parametrize("name", list(SNAPS))
@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("size", SIZES)
def test_render_size_and_content(name: str, theme: str, size: tuple[int, int]) -> None:
    opts = r.RenderOptions(theme=theme, show_view_radius=True, selected_agent=0,
                           actions=np.arange(SNAPS[name]["n_agents"]) % 6)
    surf = r.render(SNAPS[name], size, opts)
    assert isinstance(surf, pygame.Surface)
    assert surf.get_size() == size
    assert surf.get_bitsize() == 32
    assert distinct_colours(surf) >= 6  # floor, lines, agents, items, text ...
    assert not pygame.display.get_init()  # never opened a display


def test_default_options_and_themes_differ() -> None:
    dark = r.render(SNAPS["pursuit"])
    light = r.render(SNAPS["pursuit"], options=r.RenderOptions(theme="light"))
    assert dark.get_size() == (640, 640)
    assert dark.get_at((2, 2)) != light.get_at((2, 2))


@pytest.mark.parametrize("name", list(SNAPS))
@pytest.mark.parametrize("size", SIZES)
def test_hit_test_finds_each_agent_where_it_is_drawn(name: str, size: tuple[int, int]) -> None:
    snap = SNAPS[name]
    surf = r.render(snap, size)
    centres, radius = r.agent_centres(snap, size)
    assert len(centres) == snap["n_agents"]
    for i, (x, y) in enumerate(centres):
        assert r.hit_test(snap, size, round(x), round(y)) == i
        # the disc really is there: a pixel inside it, clear of the id digit, has its colour
        px = surf.get_at((round(x - 0.75 * radius), round(y)))[:3]
        assert tuple(px) == r.agent_colour(i)


@pytest.mark.parametrize("name", ["pursuit", "foraging"])
def test_hit_test_misses_empty_cells_and_margins(name: str) -> None:
    snap = SNAPS[name]
    size = (640, 640)
    lay = grid_world.layout(snap, size)
    occupied = {tuple(p) for p in np.asarray(snap["agents"]).tolist()}
    empty = next((row, col) for row in range(lay.rows) for col in range(lay.cols)
                 if (row, col) not in occupied)
    x, y = lay.centre(*empty)
    assert r.hit_test(snap, size, round(x), round(y)) is None
    assert r.hit_test(snap, size, 0, 0) is None


def test_two_step_misses_outside_tokens() -> None:
    assert r.hit_test(SNAPS["two_step"], (640, 640), 5, 635) is None


def test_walls_capture_flash_and_levels_draw() -> None:
    env = envs.make("pursuit", prey_move_prob=0.0,
                    walls=["......", ".#....", "......", "......", "....#.", "......"])
    env.reset(seed=0)
    env.set_layout(0, [[2, 1], [1, 2], [5, 5]], [[2, 2], [0, 5]])
    env.step(np.array([[5, 5, 0]]))
    snap = env.snapshot()
    assert snap["captured_now"][0]
    for theme in ("dark", "light"):
        surf = r.render(snap, (500, 500), r.RenderOptions(theme=theme))
        assert distinct_colours(surf) >= 6


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="theme"):
        r.render(SNAPS["pursuit"], options=r.RenderOptions(theme="neon"))
    with pytest.raises(ValueError, match="size"):
        r.render(SNAPS["pursuit"], (0, 100))
    with pytest.raises(ValueError, match="scenario"):
        r.render({"scenario": "mystery"})


def test_palette_is_distinct() -> None:
    assert len(set(r.AGENT_COLOURS)) == len(r.AGENT_COLOURS) >= 7
    assert r.agent_colour(7) == r.agent_colour(0)


# ---- the drawing is named, not guessed -------------------------------------------------
FAKE = "pz:tests.envs.fake_parallel_env:make_env"


def test_built_in_drawings_are_named_by_scenario_or_render_field() -> None:
    for name, snap in SNAPS.items():
        assert r.drawing_kind(snap) == name
        # the same picture whether or not the snapshot names its drawing
        named = dict(snap, render=name)
        assert r.drawing_kind(named) == name
        assert r.render(named, (320, 240)).get_view("1").raw == \
            r.render(snap, (320, 240)).get_view("1").raw
    # a grid-world snapshot that names the generic grid drawing
    assert r.drawing_kind(dict(SNAPS["pursuit"], render="grid")) == "grid"
    r.render(dict(SNAPS["foraging"], render="grid"), (200, 200))
    with pytest.raises(ValueError, match="render kind 'sketch'"):
        r.render(dict(SNAPS["pursuit"], render="sketch"))


def vector_snapshot(steps: int = 1, **overrides) -> dict:
    env = envs.make(FAKE, episode_limit=30)
    env.reset(seed=3)
    for _ in range(steps):
        env.step(np.ones((1, 2), np.int64))  # both stay: nobody meets
    snap = env.snapshot()
    snap.update(overrides)
    return snap


def test_foreign_snapshot_asks_for_the_vector_view() -> None:
    snap = vector_snapshot()
    assert snap["render"] == "vectors" and r.drawing_kind(snap) == "vectors"
    assert snap["image"] is None and snap["obs"].shape == (2, 5)


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("size", SIZES + [(1400, 400)])
def test_vector_view_draws_every_agent_row(theme: str, size: tuple[int, int]) -> None:
    snap = vector_snapshot()
    opts = r.RenderOptions(theme=theme, selected_agent=1, actions=np.array([2, 0]))
    surf = r.render(snap, size, opts)
    assert surf.get_size() == size and surf.get_bitsize() == 32
    assert distinct_colours(surf) >= 6
    centres, radius = r.agent_centres(snap, size)
    assert len(centres) == 2 and radius > 0
    for i, (x, y) in enumerate(centres):
        assert r.hit_test(snap, size, round(x), round(y)) == i
        px = surf.get_at((round(x - 0.75 * radius), round(y)))[:3]
        assert tuple(px) == r.agent_colour(i)  # the agent's disc, in its colour
    assert r.hit_test(snap, size, 0, 0) is None
    assert not pygame.display.get_init()


def test_vector_view_strip_colours_follow_the_values() -> None:
    snap = vector_snapshot(obs=np.array([[0, 0, 0, 0, 0], [0, 0, 0, 0, 4]], np.float32))
    size = (800, 600)
    surf = r.render(snap, size)
    lay = vectors.layout(snap, size)
    strip = lay.strip_rect(1)
    cell = strip.width / 5
    # the last cell holds the frame's maximum (top of the colour map), the others its minimum
    top = tuple(int(v) for v in vectors.colour_map(np.array(1.0)))
    bottom = tuple(int(v) for v in vectors.colour_map(np.array(0.0)))
    assert tuple(surf.get_at((strip.right - 6, strip.top + 4))[:3]) == top
    assert tuple(surf.get_at((round(strip.left + 0.2 * cell), strip.top + 4))[:3]) == bottom
    assert tuple(surf.get_at((strip.right - 6, lay.strip_rect(0).top + 4))[:3]) == bottom


def test_vector_view_survives_odd_values() -> None:
    n = 9
    snap = vector_snapshot(
        n_agents=n, agent_names=[f"a-very-long-agent-name-{i}" for i in range(n)],
        active=np.arange(n) % 3 != 0,
        obs=np.where(np.arange(n * 300).reshape(n, 300) % 7 == 0, np.nan,
                     np.arange(n * 300).reshape(n, 300) * 1e4).astype(np.float32),
        agent_rewards=np.array([np.inf, -np.inf, np.nan] + [0.25] * (n - 3), np.float32),
        last_actions=tuple(range(n)), episode_return=float("nan"), truncated=True)
    for size in [(640, 640), (240, 200), (1600, 300)]:
        surf = r.render(snap, size, r.RenderOptions(actions=np.arange(n) + 7))
        assert distinct_colours(surf) >= 6
    flat = vector_snapshot(obs=np.zeros((2, 0), np.float32))  # no observation at all
    r.render(flat, (400, 300))
    same = vector_snapshot(obs=np.full((2, 5), 3.0, np.float32))  # zero range
    r.render(same, (400, 300))


def test_vector_view_shows_the_envs_own_picture_scaled_to_fit() -> None:
    image = np.zeros((60, 120, 3), np.uint8)
    image[:, :60] = (200, 30, 30)
    image[:, 60:] = (30, 200, 30)
    snap = vector_snapshot(image=image)
    size = (900, 700)
    surf = r.render(snap, size)
    lay = vectors.layout(snap, size)
    x, y, w, h = lay.image
    assert abs(w / h - 2.0) < 0.05 and w >= 0.9 * 900  # aspect kept, as wide as fits
    assert tuple(surf.get_at((x + w // 4, y + h // 2))[:3]) == (200, 30, 30)
    assert tuple(surf.get_at((x + 3 * w // 4, y + h // 2))[:3]) == (30, 200, 30)
    assert r.hit_test(snap, size, x + w // 4, y + h // 2) is None  # no agent positions known


def _header_text_height(surface: "pygame.Surface", lay: "grid_world.Layout",
                        colour: tuple[int, int, int]) -> int:
    """Rows of the header strip holding pixels of the label colour: the text's height."""
    pixels = pygame.surfarray.array3d(surface).transpose(1, 0, 2)  # (H, W, 3)
    top, bottom = int(lay.header_top), int(lay.header_top + lay.header_h)
    strip = pixels[top:bottom, int(lay.left): int(lay.left + lay.cell * lay.cols)]
    rows = (np.abs(strip.astype(int) - np.array(colour)).sum(-1) < 40).any(axis=1)
    return int(rows.sum())


def test_label_size_follows_the_text_scale_and_minimum() -> None:
    """Presentation mode passes a text scale (and every view the window's own text size as
    a minimum): the t / return labels are drawn bigger, in pixels, and clicks still land."""
    snap = SNAPS["pursuit"]
    text = r.THEMES["dark"]["text"]
    size = (560, 600)
    heights = []
    for opts in (r.RenderOptions(), r.RenderOptions(text_scale=1.45)):
        lay = grid_world.layout(snap, size, opts)
        heights.append(_header_text_height(r.render(snap, size, opts), lay, text))
    assert heights[1] >= 1.3 * heights[0] > 0
    small = (300, 300)  # a narrow picture: the minimum keeps the labels readable
    plain = grid_world.layout(snap, small, r.RenderOptions())
    least = grid_world.layout(snap, small, r.RenderOptions(min_text_px=26))
    assert plain.header_px < 26 <= least.header_px
    assert least.header_h >= least.header_px / 0.62  # the strip grows with its text
    for name in ("pursuit", "two_step", "vectors"):
        frame = SNAPS[name] if name in SNAPS else _foreign_snapshot()
        opts = r.RenderOptions(text_scale=1.45, min_text_px=30)
        centres, _ = r.agent_centres(frame, (640, 480), opts)
        for k, (x, y) in enumerate(centres):
            assert r.hit_test(frame, (640, 480), int(x), int(y), opts) == k


def _foreign_snapshot() -> dict:
    return {"scenario": "pz:x", "render": "vectors", "t": 2, "episode_limit": 9,
            "episode_return": 1.0, "n_agents": 2, "obs": np.zeros((2, 4)),
            "agent_names": ["a", "b"]}
