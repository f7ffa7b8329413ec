"""Rendering: right size, not blank, both themes, and clicks map back to the drawn agents."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs import render as r

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
    centres, radius = r._agent_centres(snap, size)
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
    lay = r._grid_layout(snap, size)
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
