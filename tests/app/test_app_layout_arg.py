"""`./studio --layout FILE`: the app opens the world of a layout file (envs/layout.py), and a
bad file is one line."""

from __future__ import annotations

import pytest

from app.main import build_world, parse_args


def test_the_app_opens_the_world_of_a_layout_file(tmp_path):
    path = tmp_path / "cross.txt"
    path.write_text("A...A\n..#..\n.###.\n..#.P\nA....\n")
    config, env = build_world(parse_args(["--layout", str(path), "--seed", "3"]))
    assert config.scenario == "pursuit"
    assert config.scenario_kwargs["grid_size"] == 5 and config.scenario_kwargs["n_prey"] == 1
    assert env.snapshot(0)["walls"][2].tolist() == [False, True, True, True, False]
    config, _ = build_world(parse_args(["--layout", str(path), "--env", "n_prey=2"]))
    assert config.scenario_kwargs["n_prey"] == 2  # --env still overrides the file


def test_a_layout_for_another_world_is_one_line(tmp_path):
    path = tmp_path / "food.txt"
    path.write_text("A...F\n.....\n.....\n.....\nA....\n")
    with pytest.raises(ValueError, match="food.txt is a foraging layout, not a pursuit one"):
        build_world(parse_args(["--layout", str(path), "--scenario", "pursuit"]))
