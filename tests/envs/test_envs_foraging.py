"""Level-based foraging: the collection rule, reward normalisation, solvable layouts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import envs
from envs.foraging import ForagingVecEnv, max_food_capacity

Sampler = Callable[[np.ndarray, np.random.Generator], np.ndarray]

STAY, UP, DOWN, LEFT, RIGHT, LOAD = range(6)


def forage(n_envs: int = 1, **overrides: Any) -> ForagingVecEnv:
    env = envs.make("foraging", n_envs=n_envs, **overrides)
    assert isinstance(env, ForagingVecEnv)
    env.reset(seed=0)
    return env


def acts(*rows: list[int]) -> np.ndarray:
    return np.array(rows, dtype=np.int64)


# food 0 (level 2) at (3, 3); food 1 (level 1) at (6, 6); food 2 (level 3) at (1, 6)
FOOD = [[3, 3], [6, 6], [1, 6]]
FOOD_LEVELS = [2, 1, 3]


def test_defaults_and_dims() -> None:
    info = envs.make("foraging").info
    assert info.n_agents == 3 and info.n_actions == 6 and info.episode_limit == 50
    assert info.action_names[-1] == "load"
    assert info.obs_dim == 3 * 25 + 3 == 78
    assert info.state_dim == 3 * 3 + 3 * 3 == 18
    assert info.optimal_return == 1.0 and info.solved_return == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("levels", "loaders", "collected"),
    [
        ([1, 1, 1], [LOAD, STAY, STAY], False),  # level 1 alone < food level 2
        ([1, 1, 1], [LOAD, LOAD, STAY], True),  # 1 + 1 >= 2
        ([2, 1, 1], [LOAD, STAY, STAY], True),  # level 2 alone suffices
        ([1, 1, 2], [LOAD, STAY, LOAD], False),  # agent 2 is not adjacent: does not count
        ([1, 2, 1], [STAY, STAY, STAY], False),  # adjacent but nobody loads
    ],
)
def test_collection_needs_level_sum_of_adjacent_loaders(levels: list[int], loaders: list[int],
                                                        collected: bool) -> None:
    env = forage()
    # agents 0 (3, 2) and 1 (2, 3) flank food 0; agent 2 far away at (7, 0)
    ts = env.set_layout(0, [[3, 2], [2, 3], [7, 0]], levels, FOOD, FOOD_LEVELS)
    assert ts.avail_actions[0, :, LOAD].tolist() == [True, True, False]
    ts = env.step(acts(loaders))
    assert bool(env.snapshot()["collected_now"][0]) == collected
    assert ts.reward[0] == pytest.approx(2 / 6 if collected else 0.0)


def test_collecting_everything_returns_exactly_one() -> None:
    env = forage()
    env.set_layout(0, [[3, 2], [2, 3], [6, 5]], [2, 1, 1], FOOD, FOOD_LEVELS)
    rewards = [env.step(acts([LOAD, STAY, LOAD])).reward[0]]  # food 0 (by 0) and 1 (by 2)
    # walk agents 0 and 1 next to food 2 at (1, 6): agent 1 to (1, 5), agent 0 to (2, 6)
    for step in ([UP, UP, STAY], [RIGHT, RIGHT, STAY], [RIGHT, RIGHT, STAY],
                 [RIGHT, STAY, STAY], [RIGHT, STAY, STAY]):
        rewards.append(env.step(acts(step)).reward[0])
    snap = env.snapshot()
    assert snap["agents"][:2].tolist() == [[2, 6], [1, 5]]
    ts = env.step(acts([LOAD, LOAD, STAY]))  # levels 2 + 1 >= 3
    rewards.append(ts.reward[0])
    assert sum(rewards) == pytest.approx(1.0, abs=1e-6)
    assert ts.terminated[0] and not ts.truncated[0]
    np.testing.assert_allclose(rewards[0], (2 + 1) / 6, rtol=1e-6)


def test_random_episodes_that_collect_everything_sum_to_one(random_available: Sampler) -> None:
    env = envs.make("foraging", n_envs=16, grid_size=5, n_food=1, n_coop_food=0)
    rng = np.random.default_rng(0)
    finished = 0
    for episode in range(4):
        ts = env.reset(seed=episode)
        while not env.done.all():
            ts = env.step(random_available(ts.avail_actions, rng))
        returns = env.episode_return
        np.testing.assert_allclose(returns[ts.terminated], 1.0, atol=1e-5)
        assert (returns[~ts.terminated] < 1.0).all()
        finished += int(ts.terminated.sum())
    assert finished > 0


def test_moves_into_food_and_off_grid_are_masked() -> None:
    env = forage()
    ts = env.set_layout(0, [[3, 2], [0, 0], [7, 7]], [1, 1, 1], FOOD, FOOD_LEVELS)
    assert not ts.avail_actions[0, 0, RIGHT]  # food 0 at (3, 3)
    assert ts.avail_actions[0, 1].tolist() == [True, False, True, False, True, False]
    assert ts.avail_actions[0, 2].tolist() == [True, True, False, True, False, False]
    env.step(acts([RIGHT, UP, DOWN]))  # all masked: no-ops
    np.testing.assert_array_equal(env.snapshot()["agents"], [[3, 2], [0, 0], [7, 7]])


def test_observation_layout() -> None:
    env = forage(max_agent_level=2)
    ts = env.set_layout(0, [[3, 2], [2, 3], [7, 0]], [2, 1, 1], FOOD, FOOD_LEVELS)
    obs = ts.obs[0, 0]  # agent 0 at (3, 2): patch rows 1..5, cols 0..4
    oob, agents, food = (obs[k * 25:(k + 1) * 25].reshape(5, 5) for k in range(3))
    assert oob.sum() == 0
    assert agents[2, 2] == 0.0  # itself not marked
    assert agents[1, 3] == pytest.approx(1 / 2)  # agent 1 (level 1) at (-1, +1)
    max_food = 2 * 3  # max_agent_level * min(4, n_agents)
    assert food[2, 3] == pytest.approx(2 / max_food)  # food 0 at (0, +1)
    assert obs[75] == pytest.approx(1.0)  # own level 2 / 2
    np.testing.assert_allclose(obs[76:], [3 / 7, 2 / 7])
    assert ts.obs[0, 2, :25].reshape(5, 5)[3:, :].sum() == 10  # (7, 0): 2 rows below...
    assert ts.obs[0, 2, :25].reshape(5, 5)[:, :2].sum() == 10  # ...and 2 cols left: off-grid


def test_state_zeroes_collected_food() -> None:
    env = forage()
    env.set_layout(0, [[3, 2], [2, 3], [7, 0]], [2, 1, 1], FOOD, FOOD_LEVELS)
    ts = env.step(acts([LOAD, STAY, STAY]))
    food_pos = ts.state[0, 9:15].reshape(3, 2)
    food_lvl = ts.state[0, 15:]
    assert food_pos[0].tolist() == [0, 0] and food_lvl[0] == 0
    assert food_lvl[1] == pytest.approx(1 / 6) and food_lvl[2] == pytest.approx(3 / 6)


@pytest.mark.parametrize("overrides", [{}, {"n_agents": 2, "n_food": 4, "max_agent_level": 3,
                                             "n_coop_food": 2},
                                       {"grid_size": 5, "n_agents": 4, "n_food": 1}])
def test_random_layouts_are_solvable(overrides: dict[str, Any]) -> None:
    env = envs.make("foraging", n_envs=64, **overrides)
    cfg = env.config
    for seed in range(3):
        env.reset(seed=seed)
        for c in range(env.n_envs):
            snap = env.snapshot(c)
            levels = snap["agent_levels"]
            food, food_levels = snap["food"], snap["food_levels"]
            assert ((levels >= 1) & (levels <= cfg.max_agent_level)).all()
            # every food item can be collected by the strongest agents that fit around it
            assert (food_levels <= np.sort(levels)[::-1][:4].sum()).all()
            assert (food_levels >= 1).all()
            assert (food_levels > levels.max()).sum() >= cfg.n_coop_food
            # interior cells: all four neighbours exist ...
            assert ((food >= 1) & (food <= cfg.grid_size - 2)).all()
            # ... and no other food in the 3x3 neighbourhood, so all four stay free
            gaps = np.abs(food[:, None, :] - food[None, :, :]).max(axis=2)
            assert (gaps[~np.eye(len(food), dtype=bool)] >= 2).all()
            cells = {tuple(p) for p in np.concatenate([snap["agents"], food]).tolist()}
            assert len(cells) == cfg.n_agents + cfg.n_food


def test_food_capacity_bound() -> None:
    assert max_food_capacity(8) == 4
    assert max_food_capacity(3) == 1
    with pytest.raises(ValueError, match="n_food"):
        envs.make("foraging", grid_size=8, n_food=5)


def test_seeded_layouts_are_deterministic_and_copies_differ() -> None:
    a = envs.make("foraging", n_envs=4)
    b = envs.make("foraging", n_envs=4)
    sa, sb = a.reset(seed=3).state, b.reset(seed=3).state
    np.testing.assert_array_equal(sa, sb)
    assert len({row.tobytes() for row in sa}) == 4
    assert not np.array_equal(a.reset(seed=4).state, sa)
