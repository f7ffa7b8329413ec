"""The what-if views in the window (app/whatif_views.py): M puts the selected agent's value
map on the picture (its real cell = the inspector's greedy Q_tot), Shift+M cycles the value,
X opens the mixer surface of the selected and the next agent; the run does not change; a
world without placement says so once."""

from __future__ import annotations

import numpy as np
from studio_helpers import close_window, make_window, trainer, wait_idle, wait_until

from app.value_map import overlay_from_frame
from qmix.config import make_config


def test_value_map_and_mixer_surface_of_the_step_on_screen(qapp, tmp_path):
    config = make_config("pursuit", n_envs=2, seed=5)
    window = make_window(tmp_path, config)
    try:
        wait_idle(window)
        window.controller.step_env()
        wait_idle(window)
        t = trainer(window)
        counters = (t.env_steps, t.episodes, t.updates, t.rng.bit_generator.state["state"])
        window.acts["value_map"].trigger()
        wait_until(lambda: "whatif_views" in (window.view.frame or {}), 30, "the views")
        frame = window.view.frame
        assert frame["value_map_kind"] == "q_tot"
        shown = window.last_frame.snapshot.inspection
        for agent in range(3):
            spec = overlay_from_frame(frame, agent)
            r, c = spec.cell
            assert spec.agent == agent and spec.label == "Q_tot"
            assert abs(spec.values[r, c] - shown.q_tot_greedy) <= 1e-5
            assert np.isnan(spec.values).sum() == 3 + 2 - 1  # the others and the prey
        window.view.selected_agent = 1
        window.view.grab()  # the picture draws the overlay without falling back to a card
        assert window.view.drawn_kind == "pursuit"
        window.acts["value_kind"].trigger()
        assert window.view.frame["value_map_kind"] == "v"
        assert overlay_from_frame(window.view.frame, 1).label == "V(s)"
        window.acts["mixer_surface"].trigger()
        views = window.whatif_views
        assert views.mixer_window.isVisible()
        grid = views.mixer.surface["grid"]
        assert grid.shape == (41, 41) and views.mixer.surface["i"] == 1
        assert np.all(np.diff(grid, axis=0) >= 0) and np.all(np.diff(grid, axis=1) >= 0)
        wait_idle(window)
        assert (t.env_steps, t.episodes, t.updates,
                t.rng.bit_generator.state["state"]) == counters  # the run did not change
        window.acts["mixer_surface"].trigger()
        window.acts["value_map"].trigger()
        wait_idle(window)
        assert not window.controller.worker.whatif_views_on
        assert overlay_from_frame(window.view.frame, 0) is None
    finally:
        close_window(window)
