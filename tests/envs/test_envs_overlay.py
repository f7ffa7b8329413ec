"""The recording frames' overlay (envs/render/overlay.py): the panel sits beside the world,
never over it; the layout of a recording does not jump when a frame has no decision; sizes
for H.264 are rounded up to even."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.render import RenderOptions, render
from envs.render.overlay import (AgentLine, OverlayData, draw_frame, even_size, panel_layout,
                                 title_card, to_rgb)


def _snapshot(scenario: str = "pursuit") -> dict:
    env = envs.make(scenario, n_envs=1)
    env.reset(seed=0)
    return env.snapshot(0)


def _data(n: int, agents: bool = True, explored: bool = False) -> OverlayData:
    lines = [AgentLine(action="right", q=1.25, explored=explored,
                       greedy_action="stay" if explored else None) for _ in range(n)]
    return OverlayData(t=3, episode_limit=25, episode_return=10.0,
                       agents=lines if agents else [], q_tot_chosen=4.5, q_tot_greedy=5.0,
                       v_s=0.5, caption="greedy episode 1 of 1", n_agents=n)


@pytest.mark.parametrize("size", [(640, 640), (320, 240), (256, 320), (1280, 720),
                                  (1920, 1080), (480, 800)])
@pytest.mark.parametrize("n", [2, 3, 7])
def test_the_panel_sits_beside_the_world_inside_the_frame(size, n):
    width, height = size
    lay = panel_layout(width, height, n)
    frame = (0, 0, width, height)
    assert lay.world.clip(frame) == lay.world and lay.panel.clip(frame) == lay.panel
    assert not lay.world.colliderect(lay.panel)
    if width >= 1.25 * height:  # wide: the panel at the right, the world full height
        assert lay.panel.left >= lay.world.right and lay.world.height == height
    else:  # the panel below, at most 42 % of the height
        assert lay.panel.top >= lay.world.bottom and lay.world.width == width
        assert height - lay.world.height <= 0.42 * height + 2


def test_overlay_draws_the_world_in_its_rect_and_the_panel_beside_it():
    snap = _snapshot()
    size = (640, 640)
    lay = panel_layout(*size, 3)
    options = RenderOptions(actions=np.array([1, 2, 5]))
    frame = to_rgb(draw_frame(snap, size, options, _data(3, explored=True)))
    world = to_rgb(render(snap, lay.world.size, options))
    r = lay.world
    assert frame.shape == (640, 640, 3)
    assert np.array_equal(frame[r.top:r.bottom, r.left:r.right], world)
    panel = frame[lay.panel.top:lay.panel.bottom, lay.panel.left:lay.panel.right]
    assert len(np.unique(panel.reshape(-1, 3), axis=0)) > 20  # text, discs, badges
    # without an overlay: exactly the world at the whole size
    assert np.array_equal(to_rgb(draw_frame(snap, size, options)),
                          to_rgb(render(snap, size, options)))


def test_a_frame_without_a_decision_keeps_the_recordings_layout():
    snap = _snapshot()
    with_lines = to_rgb(draw_frame(snap, (480, 480), None, _data(3)))
    without = to_rgb(draw_frame(snap, (480, 480), None, _data(3, agents=False)))
    r = panel_layout(480, 480, 3).world
    assert np.array_equal(with_lines[r.top:r.bottom], without[r.top:r.bottom])
    assert not np.array_equal(with_lines, without)


def test_two_step_and_light_theme_draw_too():
    frame = to_rgb(draw_frame(_snapshot("two_step"), (400, 300),
                              RenderOptions(theme="light"), _data(2)))
    assert frame.shape == (300, 400, 3)


def test_sizes_round_up_to_even_and_cards_have_the_size_asked():
    assert even_size((641, 480)) == (642, 480)
    assert even_size((640, 481)) == (640, 482)
    assert even_size((640, 480)) == (640, 480)
    card = to_rgb(title_card(["Greedy episode 1 of 2", "return 18"], (322, 200)))
    assert card.shape == (200, 322, 3) and len(np.unique(card.reshape(-1, 3), axis=0)) > 2


def test_panel_numbers_have_two_decimals_at_most_and_no_negative_zero():
    from envs.render.overlay import _num

    assert [_num(v) for v in (-0.001, 0.126, -3.25, 8.0, 12.345)] == [
        "0", "0.13", "-3.25", "8", "12.35"]
