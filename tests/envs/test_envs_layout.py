"""World layouts (envs/layout.py): the text file round-trips, the built-in layouts still read,
edits stay within the scenario's limits, and the fit check names what changed."""

from __future__ import annotations

import numpy as np
import pytest

import assets
import envs
from envs.layout import Layout, LayoutError, fit_problem
from envs.placement import PlacementError

ROOMS = """; two rooms
A...#....
....#....
..P......
....#...A
##.###.##
....#....
.P.......
....#..A.
....#....
"""


def test_a_layout_file_round_trips_and_sets_the_scenario(tmp_path):
    layout = Layout.from_text(ROOMS)
    assert layout.scenario == "pursuit" and layout.size == 9
    np.testing.assert_array_equal(layout.agents, [[0, 0], [3, 8], [7, 7]])  # row by row
    np.testing.assert_array_equal(layout.items, [[2, 2], [6, 1]])
    path = tmp_path / "rooms.txt"
    layout.write(path)
    again = Layout.read(path)
    np.testing.assert_array_equal(again.walls, layout.walls)
    np.testing.assert_array_equal(again.agents, layout.agents)
    np.testing.assert_array_equal(again.items, layout.items)
    settings = layout.settings()
    assert settings["grid_size"] == 9 and settings["n_agents"] == 3 and settings["n_prey"] == 2
    assert settings["walls"][4] == "##.###.##"
    env = envs.make("pursuit", n_envs=2, **settings)  # a valid world
    env.reset(seed=0)
    layout.place(env, 1)
    np.testing.assert_array_equal(env.positions(1)["agents"], layout.agents)
    np.testing.assert_array_equal(Layout.of_env(env, 1).items, layout.items)


@pytest.mark.parametrize("name", assets.layout_names())
def test_every_built_in_layout_reads_as_a_walls_only_pursuit_layout(name):
    text = assets.read_text("layouts", f"{name}.txt")
    layout = Layout.from_text(text)
    assert layout.scenario == "pursuit" and len(layout.agents) == len(layout.items) == 0
    assert layout.settings() == assets.layout_settings(name)
    layout.check()


@pytest.mark.parametrize("text, scenario, says", [
    ("A.P\n..F\n...\n", None, "mixes prey ('P') and food ('F')"),
    ("A..\n...\n", None, "must be square"),
    ("A.x\n...\n...\n", None, "may only contain"),
    ("A#.\n.F.\n...\n", None, "foraging has no walls"),
    ("A..\n.P.\n...\n", "foraging", "is a pursuit layout, not a foraging one"),
    (";\n\n", None, "has no grid rows"),
])
def test_bad_files_are_one_line(text, scenario, says):
    with pytest.raises(LayoutError, match=says.replace("(", "\\(").replace(")", "\\)")) as err:
        Layout.from_text(text, scenario)
    assert "\n" not in str(err.value)


def test_edits_are_validated_by_the_scenarios_own_limits():
    layout = Layout.from_text(ROOMS)
    walled = layout.edited("wall", (0, 1))
    assert walled.walls[0, 1] and not layout.walls[0, 1]  # a new layout; the old unchanged
    assert not walled.edited("erase", (0, 1)).walls[0, 1]
    more = layout.edited("item", (8, 8))
    assert len(more.items) == 3 and more.settings()["n_prey"] == 3
    fewer = layout.edited("erase", (2, 2))
    np.testing.assert_array_equal(fewer.items, [[6, 1]])
    assert len(layout.edited("agent", (8, 0)).agents) == 4
    with pytest.raises(LayoutError, match="is taken"):
        layout.edited("wall", (0, 0))
    with pytest.raises(LayoutError, match="is not free"):
        layout.edited("item", (0, 4))
    with pytest.raises(LayoutError, match="at least one prey"):
        fewer.edited("erase", (6, 1))
    with pytest.raises(LayoutError, match="outside the 9x9 grid"):
        layout.edited("wall", (9, 0))
    # the scenario's own checks: agents fewer than a capture needs, prey with nowhere to be
    crowded = Layout("pursuit", np.zeros((3, 3), bool), [[0, 0], [0, 1]], [[2, 2]])
    with pytest.raises(LayoutError, match="catch_agents_required"):
        crowded.edited("erase", (0, 1))
    boxed = Layout("pursuit", np.zeros((3, 3), bool), [[0, 0], [2, 2]], [[0, 2], [2, 0]])
    boxed = boxed.edited("wall", (0, 1)).edited("wall", (1, 0))
    with pytest.raises(LayoutError, match="walls leave only 1 cells with >= "
                                          "catch_agents_required"):
        boxed.edited("wall", (1, 2))


def test_foraging_layouts_have_food_and_no_walls():
    layout = Layout.from_text("A......F\n" + "........\n" * 3 + "...F....\n" + "........\n" * 2
                              + ".A....A.\n")
    assert layout.scenario == "foraging" and layout.item_name == "food"
    assert layout.settings() == {"grid_size": 8, "n_agents": 3, "n_food": 2}
    with pytest.raises(LayoutError, match="foraging has no walls"):
        layout.edited("wall", (3, 3))
    env = envs.make("foraging", n_envs=1, **layout.settings())
    env.reset(seed=1)
    layout.place(env)
    np.testing.assert_array_equal(env.snapshot(0)["food"], layout.items)
    with pytest.raises(PlacementError, match="the layout has 3 agents and 3 food"):
        layout.edited("item", (5, 5)).place(env)


def test_fit_problem_names_what_no_longer_fits():
    base = envs.make("pursuit").info
    assert fit_problem(base, envs.make("pursuit", grid_size=9,
                                       walls=assets.layout("pursuit_rooms")).info) is None
    assert fit_problem(base, envs.make("pursuit", n_prey=3).info) == (
        "a new run is needed: the networks were built for state size 12, the edited world "
        "has 15")
    assert "for agents 3, the edited world has 4" in fit_problem(base, envs.make(
        "pursuit", n_agents=4).info)


def test_a_layout_taken_after_a_capture_keeps_every_item():
    env = envs.make("pursuit", n_envs=1)
    env.reset(seed=0)
    env.set_layout(0, [[0, 0], [3, 3], [5, 5]], [[3, 3], [1, 1]], prey_alive=[False, True])
    layout = Layout.of_env(env)
    assert len(layout.items) == 2  # the captured prey still belongs to the world
    # its last cell (3, 3) is taken by agent 1: it goes on the first free cell
    np.testing.assert_array_equal(layout.items, [[0, 1], [1, 1]])
    assert layout.settings()["n_prey"] == 2
    env.set_layout(0, [[0, 0], [2, 2], [5, 5]], [[3, 3], [1, 1]], prey_alive=[False, True])
    np.testing.assert_array_equal(Layout.of_frame(env.snapshot(0)).items, [[3, 3], [1, 1]])
    with pytest.raises(LayoutError, match="no layout editor for this world \\(two_step\\)"):
        Layout.of_env(envs.make("two_step"))
