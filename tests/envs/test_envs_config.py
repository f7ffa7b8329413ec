"""Registry and config validation: every bad value fails with a message naming its field."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import envs
from envs.foraging import ForagingConfig
from envs.pursuit import PursuitConfig
from envs.two_step import TwoStepConfig

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("pursuit", {"grid_size": 2}, "pursuit.grid_size must be >= 3, got 2"),
    ("pursuit", {"grid_size": -4}, "pursuit.grid_size"),
    ("pursuit", {"grid_size": 6.0}, "pursuit.grid_size"),
    ("pursuit", {"n_agents": 0}, "pursuit.n_agents"),
    ("pursuit", {"n_agents": True}, "pursuit.n_agents"),
    ("pursuit", {"n_prey": -1}, "pursuit.n_prey"),
    ("pursuit", {"episode_limit": 0}, "pursuit.episode_limit"),
    ("pursuit", {"view_radius": 0}, "pursuit.view_radius"),
    ("pursuit", {"catch_agents_required": 0}, "pursuit.catch_agents_required"),
    ("pursuit", {"catch_agents_required": 5, "n_agents": 6}, "pursuit.catch_agents_required"),
    ("pursuit", {"catch_agents_required": 3, "n_agents": 2}, "pursuit.catch_agents_required"),
    ("pursuit", {"capture_reward": -1.0}, "pursuit.capture_reward"),
    ("pursuit", {"capture_reward": float("nan")}, "pursuit.capture_reward"),
    ("pursuit", {"miscoordination_penalty": -0.5}, "pursuit.miscoordination_penalty"),
    ("pursuit", {"step_cost": -1}, "pursuit.step_cost"),
    ("pursuit", {"prey_move_prob": 1.5}, "pursuit.prey_move_prob"),
    ("pursuit", {"prey_move_prob": "often"}, "pursuit.prey_move_prob"),
    ("pursuit", {"grid_size": 5, "n_agents": 30}, "grid too small: 5x5 grid"),
    ("pursuit", {"walls": ["...", "...", "..."]}, "pursuit.walls"),
    ("pursuit", {"walls": "......"}, "pursuit.walls"),
    ("pursuit", {"grid_size": 3, "walls": ["..x", "...", "..."]}, "pursuit.walls"),
    ("pursuit", {"grid_size": 3, "walls": ["###", "#.#", "###"]}, "grid too small"),
    ("pursuit", {"grid_size": 3, "n_agents": 2, "n_prey": 1,
                 "walls": [".#.", "###", ".#."]}, "pursuit.walls"),
    ("foraging", {"grid_size": 2}, "foraging.grid_size"),
    ("foraging", {"n_agents": 0}, "foraging.n_agents"),
    ("foraging", {"n_food": 0}, "foraging.n_food"),
    ("foraging", {"max_agent_level": 0}, "foraging.max_agent_level"),
    ("foraging", {"n_coop_food": -1}, "foraging.n_coop_food"),
    ("foraging", {"n_coop_food": 4}, "foraging.n_coop_food"),
    ("foraging", {"n_agents": 1}, "foraging.n_coop_food"),
    ("foraging", {"episode_limit": -3}, "foraging.episode_limit"),
    ("foraging", {"view_radius": 0}, "foraging.view_radius"),
    ("foraging", {"n_food": 9}, "foraging.n_food"),
    ("foraging", {"grid_size": 3, "n_food": 1, "n_agents": 9}, "grid too small"),
    ("two_step", {"payoff_2a": float("inf")}, "two_step.payoff_2a"),
    ("two_step", {"payoff_2b": [[0, 1], [1]]}, "two_step.payoff_2b"),
    ("two_step", {"payoff_2b": [[0, 1], [1, "eight"]]}, "two_step.payoff_2b[1][1]"),
]


@pytest.mark.parametrize(("name", "overrides", "message"), BAD_VALUES)
def test_bad_config_names_the_field(name: str, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        envs.make(name, **overrides)
    config = dataclasses.replace(envs.default_config(name), **overrides)
    with pytest.raises(ValueError):
        config.validate()


def test_unknown_scenario_lists_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown scenario 'x'; choose one of: pursuit"):
        envs.make("x")
    with pytest.raises(ValueError, match="unknown scenario"):
        envs.default_config("nope")


def test_unknown_override_is_named() -> None:
    with pytest.raises(ValueError, match="'grid_szie'"):
        envs.make("pursuit", grid_szie=7)


@pytest.mark.parametrize("n_envs", [0, -2, 1.5, True])
def test_bad_n_envs(n_envs: Any) -> None:
    with pytest.raises(ValueError, match="n_envs"):
        envs.make("pursuit", n_envs=n_envs)


def test_registry_contents() -> None:
    names = envs.scenario_names()
    assert names[0] == envs.DEFAULT_SCENARIO == "pursuit"
    assert set(names) == {"pursuit", "foraging", "two_step"}
    assert isinstance(envs.default_config("pursuit"), PursuitConfig)
    assert isinstance(envs.default_config("foraging"), ForagingConfig)
    assert isinstance(envs.default_config("two_step"), TwoStepConfig)
    a = envs.default_config("pursuit")
    a.grid_size = 9
    assert envs.default_config("pursuit").grid_size == 6  # fresh instance each time
    for name in names:
        env = envs.make(name, n_envs=2)
        assert env.n_envs == 2 and env.info.name == name
        assert env.config == envs.default_config(name)
        envs.default_config(name).validate()


def test_overrides_reach_the_env() -> None:
    env = envs.make("pursuit", grid_size=8, n_agents=4, n_prey=3, view_radius=1)
    assert env.config.grid_size == 8
    assert env.info.n_agents == 4
    assert env.info.obs_dim == 3 * 9 + 2
    assert env.info.state_dim == 2 * 4 + 3 * 3
    assert env.reset(seed=0).obs.shape == (1, 4, 29)


def test_every_config_field_has_a_docstring() -> None:
    for name in envs.scenario_names():
        cls = type(envs.default_config(name))
        source = Path(sys.modules[cls.__module__].__file__).read_text()
        for field in dataclasses.fields(cls):
            anchor = f"    {field.name}: "
            after = source[source.index(anchor):].splitlines()[1].strip()
            assert after.startswith('"""'), f"{name}.{field.name} lacks a docstring"


def test_envs_imports_only_numpy() -> None:
    code = ("import sys, envs; envs.make('pursuit').reset(seed=0); "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('pygame', 'tensorflow', 'PySide6', 'keras', 'qmix', 'app')]; print(bad)")
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_bench_smoke() -> None:
    from envs.bench import measure

    assert measure("two_step", n_envs=2, seconds=0.01) > 0
