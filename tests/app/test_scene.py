"""The app's seam to envs.render (app/scene.py): a picture for every frame (a text card when
the renderer fails), the renderer's agent colours and background."""

from __future__ import annotations

import envs
from app import scene
from envs import render


def test_a_frame_the_renderer_cannot_draw_becomes_a_text_card():
    surface, kind = scene.draw({"scenario": "mystery", "t": 3, "episode_return": 1.5}, 320, 200,
                               None, "dark")
    assert kind == scene.TEXT_CARD and surface.get_size() == (320, 200)


def test_a_scenario_is_drawn_by_its_drawing():
    env = envs.make("two_step")
    env.reset(seed=0)
    surface, kind = scene.draw(env.snapshot(0), 400, 300, 0, "light")
    assert kind == "two_step" and surface.get_size() == (400, 300)
    assert scene.hit_test(env.snapshot(0), 0, 0, 400, 300) is None


def test_colours_come_from_the_renderer():
    assert scene.agent_colours()[:3] == [tuple(c) for c in render.AGENT_COLOURS[:3]]
    assert scene.background("dark") == "#111319"


def test_cells_are_where_the_picture_draws_them_with_presentation_sized_labels():
    # bigger labels make a taller header, which moves the grid: a click must still land on
    # the cell drawn under it (what-if drag, the world editor)
    env = envs.make("pursuit")
    env.reset(seed=1)
    frame = env.snapshot(0)
    for sizes in ((1.0, 0.0), (1.45, 0.0), (1.45, 40.0)):
        for agent, (row, col) in enumerate(frame["agents"]):
            x, y = scene.cell_origin(frame, (row, col), 500, 420, *sizes)
            half = scene.cell_size(frame, 500, 420, *sizes) / 2
            assert scene.cell_at(frame, x + half, y + half, 500, 420, *sizes) == (row, col)
            assert scene.hit_test(frame, x + half, y + half, 500, 420, *sizes) == agent
    big = scene.cell_origin(frame, (0, 0), 500, 420, 1.45, 40.0)
    assert big[1] > scene.cell_origin(frame, (0, 0), 500, 420)[1]  # the grid did move down
