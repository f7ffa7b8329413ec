"""Pursuit rules: joint captures, penalties, masks, movement, termination, determinism."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import envs
from envs.pursuit import PursuitVecEnv

Sampler = Callable[[np.ndarray, np.random.Generator], np.ndarray]

STAY, UP, DOWN, LEFT, RIGHT, CATCH = range(6)


def still_env(n_envs: int = 1, **overrides: Any) -> PursuitVecEnv:
    """Pursuit with motionless prey, so a test controls every position."""
    overrides.setdefault("prey_move_prob", 0.0)
    env = envs.make("pursuit", n_envs=n_envs, **overrides)
    assert isinstance(env, PursuitVecEnv)
    env.reset(seed=0)
    return env


def acts(*rows: list[int]) -> np.ndarray:
    return np.array(rows, dtype=np.int64)


def test_defaults_and_dims() -> None:
    env = envs.make("pursuit")
    info = env.info
    assert info.n_agents == 3 and info.n_actions == 6
    assert info.action_names == ("stay", "up", "down", "left", "right", "catch")
    assert info.obs_dim == 3 * 5 * 5 + 2 == 77
    assert info.state_dim == 2 * 3 + 3 * 2 == 12
    assert info.episode_limit == 25
    assert info.optimal_return == 20.0 and info.solved_return == pytest.approx(18.0)
    assert envs.DEFAULT_SCENARIO == "pursuit"


def test_capture_needs_two_agents_catching_together() -> None:
    env = still_env()
    # prey 0 at (2, 2) with agents 0 (2, 1) and 1 (1, 2) adjacent; prey 1 far away
    ts = env.set_layout(0, [[2, 1], [1, 2], [5, 5]], [[2, 2], [0, 5]])
    assert ts.avail_actions[0, 0, CATCH] and ts.avail_actions[0, 1, CATCH]
    assert not ts.avail_actions[0, 2, CATCH]
    ts = env.step(acts([CATCH, CATCH, STAY]))
    assert ts.reward[0] == pytest.approx(10.0)
    snap = env.snapshot()
    assert snap["prey_alive"].tolist() == [False, True]
    assert snap["captured_now"].tolist() == [True, False]
    # state: captured prey's position zeroed, its captured flag set
    np.testing.assert_array_equal(ts.state[0, 6:8], [0.0, 0.0])
    np.testing.assert_array_equal(ts.state[0, 10:], [1.0, 0.0])
    assert not ts.terminated[0]
    # the captured prey vanished from the observations: nobody may catch any more
    assert not ts.avail_actions[0, :, CATCH].any()
    assert ts.obs[0, :, 50:75].sum() == 0.0  # prey 1 at (0, 5) is out of everyone's sight


def test_single_catch_is_penalised_and_captures_nothing() -> None:
    env = still_env()
    env.set_layout(0, [[2, 1], [1, 2], [5, 5]], [[2, 2], [0, 5]])
    ts = env.step(acts([CATCH, STAY, STAY]))
    assert env.config.miscoordination_penalty == pytest.approx(0.2)  # the default
    assert ts.reward[0] == pytest.approx(-0.2)
    assert env.snapshot()["prey_alive"].tolist() == [True, True]
    assert env.snapshot()["failed_catch"].tolist() == [True, False, False]


def test_penalty_counts_each_failed_catcher_and_is_configurable() -> None:
    env = still_env(catch_agents_required=3, miscoordination_penalty=2.5)
    env.set_layout(0, [[2, 1], [1, 2], [5, 5]], [[2, 2], [0, 5]])
    ts = env.step(acts([CATCH, CATCH, STAY]))
    assert ts.reward[0] == pytest.approx(-5.0)
    assert env.snapshot()["prey_alive"].all()


def test_three_required_captures_with_three() -> None:
    env = still_env(catch_agents_required=3)
    env.set_layout(0, [[2, 1], [1, 2], [2, 3]], [[2, 2], [0, 5]])
    ts = env.step(acts([CATCH, CATCH, CATCH]))
    assert ts.reward[0] == pytest.approx(10.0)


def test_catch_when_not_adjacent_is_an_unpenalised_no_op() -> None:
    env = still_env()
    ts = env.set_layout(0, [[0, 0], [5, 0], [5, 5]], [[2, 2], [3, 3]])
    assert not ts.avail_actions[0, :, CATCH].any()
    ts = env.step(acts([CATCH, CATCH, CATCH]))
    assert ts.reward[0] == 0.0
    np.testing.assert_array_equal(env.snapshot()["agents"], [[0, 0], [5, 0], [5, 5]])


def test_step_cost_is_charged_every_step() -> None:
    env = still_env(step_cost=0.5)
    assert env.info.optimal_return is None
    assert env.info.solved_return == pytest.approx(18.0 - 25 * 0.5)
    env.set_layout(0, [[0, 0], [5, 0], [5, 5]], [[2, 2], [3, 3]])
    ts = env.step(acts([STAY, STAY, STAY]))
    assert ts.reward[0] == pytest.approx(-0.5)


def test_terminates_when_all_prey_captured() -> None:
    env = still_env(n_prey=2)
    # agents 0 and 1 flank prey 0 at (2, 2); agents 1 and 2 flank prey 1 at (0, 2)
    env.set_layout(0, [[2, 1], [1, 2], [0, 1]], [[2, 2], [0, 2]])
    ts = env.step(acts([CATCH, CATCH, CATCH]))
    assert ts.reward[0] == pytest.approx(20.0)
    assert ts.terminated[0] and not ts.truncated[0]
    assert ts.state[0, -2:].tolist() == [1.0, 1.0]


def test_truncates_at_episode_limit() -> None:
    env = still_env(episode_limit=4)
    env.set_layout(0, [[0, 0], [5, 0], [5, 5]], [[2, 2], [3, 3]])
    for t in range(1, 5):
        ts = env.step(acts([STAY, STAY, STAY]))
        assert ts.truncated[0] == (t == 4)
        assert not ts.terminated[0]
    assert env.t[0] == 4


def test_done_copies_are_frozen_while_others_play() -> None:
    env = still_env(n_envs=2, n_prey=1)
    env.set_layout(0, [[2, 1], [1, 2], [5, 5]], [[2, 2]])
    env.set_layout(1, [[0, 0], [5, 0], [5, 5]], [[2, 2]])
    done_ts = env.step(acts([CATCH, CATCH, STAY], [RIGHT, UP, UP]))
    assert done_ts.terminated.tolist() == [True, False]
    frozen = env.snapshot(0)
    for _ in range(3):
        ts = env.step(acts([-1, -1, -1], [DOWN, UP, LEFT]))  # a done copy's actions are ignored
        assert ts.reward[0] == 0.0 and ts.terminated[0] and not ts.truncated[0]
        np.testing.assert_array_equal(ts.obs[0], done_ts.obs[0])
        np.testing.assert_array_equal(ts.state[0], done_ts.state[0])
        np.testing.assert_array_equal(env.snapshot(0)["agents"], frozen["agents"])
    assert env.t.tolist() == [1, 4]
    assert env.snapshot(1)["agents"].tolist() != [[0, 0], [5, 0], [5, 5]]


def test_moves_off_grid_and_into_walls_are_unavailable_and_no_ops() -> None:
    walls = ["......", ".#....", "......", "......", "......", "......"]
    env = still_env(walls=walls)
    ts = env.set_layout(0, [[0, 0], [1, 2], [5, 5]], [[3, 3], [4, 1]])
    # agent 0 in the top-left corner: up and left leave the grid
    assert ts.avail_actions[0, 0].tolist() == [True, False, True, False, True, False]
    # agent 1 right of the wall at (1, 1): left is the wall
    assert ts.avail_actions[0, 1].tolist() == [True, True, True, False, True, False]
    # agent 2 bottom-right: down and right leave the grid
    assert ts.avail_actions[0, 2].tolist() == [True, True, False, True, False, False]
    # wall and out-of-bounds show in channel 0 of the observation (centre of a 5x5 patch = 12)
    assert ts.obs[0, 0, 0:5].tolist() == [1.0] * 5  # two rows above the corner: off-grid
    assert ts.obs[0, 1, 11] == 1.0  # the wall just left of agent 1
    ts = env.step(acts([UP, LEFT, RIGHT]))  # all unavailable: executed as "stay"
    np.testing.assert_array_equal(env.snapshot()["agents"], [[0, 0], [1, 2], [5, 5]])
    assert ts.reward[0] == 0.0


def test_moves_into_occupied_cells_are_masked_and_blocked() -> None:
    env = still_env()
    ts = env.set_layout(0, [[2, 2], [2, 3], [4, 4]], [[3, 4], [0, 0]])
    assert not ts.avail_actions[0, 0, RIGHT]  # agent 1 is there
    assert not ts.avail_actions[0, 1, LEFT]  # agent 0 is there
    assert not ts.avail_actions[0, 2, UP]  # the prey is there
    # executing the masked swap anyway: both stay (a cell occupied at the start blocks)
    env.step(acts([RIGHT, LEFT, UP]))
    np.testing.assert_array_equal(env.snapshot()["agents"], [[2, 2], [2, 3], [4, 4]])


def test_two_agents_into_one_cell_lower_index_wins() -> None:
    env = still_env()
    env.set_layout(0, [[2, 1], [2, 3], [5, 5]], [[0, 0], [0, 5]])
    env.step(acts([RIGHT, LEFT, STAY]))
    np.testing.assert_array_equal(env.snapshot()["agents"], [[2, 2], [2, 3], [5, 5]])


def test_following_into_a_vacated_cell_is_blocked() -> None:
    env = still_env()
    env.set_layout(0, [[2, 2], [2, 1], [5, 5]], [[0, 0], [0, 5]])
    env.step(acts([RIGHT, RIGHT, STAY]))
    np.testing.assert_array_equal(env.snapshot()["agents"], [[2, 3], [2, 1], [5, 5]])


def test_observation_layout() -> None:
    env = still_env()
    ts = env.set_layout(0, [[2, 2], [3, 4], [5, 5]], [[1, 1], [0, 4]])
    obs = ts.obs[0, 0]  # agent 0 at (2, 2), patch rows 0..4, cols 0..4
    walls, agents, prey = obs[0:25], obs[25:50], obs[50:75]
    assert walls.sum() == 0  # the whole patch is inside the grid
    assert agents[12] == 0.0  # itself is not marked
    assert agents.reshape(5, 5)[3, 4] == 1.0 and agents.sum() == 1.0  # agent 1 at (+1, +2)
    assert prey.reshape(5, 5)[1, 1] == 1.0 and prey.reshape(5, 5)[0, 4] == 1.0
    np.testing.assert_allclose(obs[75:], [2 / 5, 2 / 5])
    np.testing.assert_allclose(ts.state[0, :6], np.array([2, 2, 3, 4, 5, 5]) / 5)
    np.testing.assert_allclose(ts.state[0, 6:10], np.array([1, 1, 0, 4]) / 5)


def test_seeded_runs_are_deterministic(random_available: Sampler) -> None:
    def run(seed: int) -> list[np.ndarray]:
        env = envs.make("pursuit", n_envs=3, prey_move_prob=0.7)
        ts = env.reset(seed=seed)
        rng = np.random.default_rng(99)
        out = [ts.state]
        for _ in range(30):
            ts = env.step(random_available(ts.avail_actions, rng))
            out.append(ts.state)
            if env.done.all():
                ts = env.reset()
                out.append(ts.state)
        return out

    a, b, c = run(5), run(5), run(6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_copy_streams_do_not_depend_on_the_number_of_copies() -> None:
    one = envs.make("pursuit", n_envs=1, prey_move_prob=1.0)
    many = envs.make("pursuit", n_envs=4, prey_move_prob=1.0)
    ts1, ts4 = one.reset(seed=11), many.reset(seed=11)
    np.testing.assert_array_equal(ts1.state[0], ts4.state[0])
    for _ in range(10):
        ts1 = one.step(np.zeros((1, 3), dtype=int))
        ts4 = many.step(np.zeros((4, 3), dtype=int))
        np.testing.assert_array_equal(ts1.state[0], ts4.state[0])


def test_copies_have_independent_prey_motion() -> None:
    env = still_env(n_envs=2, prey_move_prob=1.0)
    layout = ([[0, 0], [0, 5], [5, 0]], [[2, 2], [3, 3]])
    env.set_layout(0, *layout)
    env.set_layout(1, *layout)
    paths: list[list[list[int]]] = [[], []]
    for _ in range(8):
        env.step(np.zeros((2, 3), dtype=int))
        for c in range(2):
            paths[c].append(env.snapshot(c)["prey"].tolist())
    assert paths[0] != paths[1]


def test_prey_never_enter_agents_or_walls() -> None:
    walls = ["......", "..#...", "..#...", "......", "...##.", "......"]
    env = envs.make("pursuit", n_envs=8, walls=walls, prey_move_prob=1.0)
    env.reset(seed=3)
    wall = np.array([[ch == "#" for ch in row] for row in walls])
    for _ in range(25):
        env.step(np.zeros((8, 3), dtype=int))
        for c in range(8):
            snap = env.snapshot(c)
            prey = snap["prey"][snap["prey_alive"]]
            cells = {tuple(p) for p in snap["agents"].tolist()} | {tuple(p) for p in prey}
            assert len(cells) == 3 + len(prey)
            assert not wall[prey[:, 0], prey[:, 1]].any()


def test_action_validation() -> None:
    env = envs.make("pursuit", n_envs=2)
    with pytest.raises(RuntimeError):
        env.step(np.zeros((2, 3), dtype=int))
    env.reset(seed=0)
    for bad in (np.zeros((3, 2), int), np.zeros(6, int), np.zeros((2, 3, 1), int)):
        with pytest.raises(ValueError, match="shape"):
            env.step(bad)
    with pytest.raises(ValueError):
        env.step(np.full((2, 3), 6))
    with pytest.raises(ValueError):
        env.step(np.full((2, 3), -1))
    with pytest.raises(ValueError):
        env.step(np.full((2, 3), 0.5))
    env.step(np.zeros((2, 3), dtype=np.int32))  # any integer dtype is fine
    env.step([[0, 0, 0], [1, 1, 1]])  # and nested lists


def test_timesteps_do_not_alias_each_other() -> None:
    env = envs.make("pursuit", prey_move_prob=1.0)
    ts0 = env.reset(seed=0)
    saved = {k: v.copy() for k, v in vars(ts0).items()}
    env.step(np.ones((1, 3), dtype=int))
    env.reset(seed=1)
    for key, value in saved.items():
        np.testing.assert_array_equal(getattr(ts0, key), value)


def test_snapshot_is_a_copy() -> None:
    env = envs.make("pursuit")
    env.reset(seed=0)
    snap = env.snapshot()
    before = snap["agents"].copy()
    snap["walls"][:] = True
    env.step(np.array([[1, 2, 3]]))
    np.testing.assert_array_equal(snap["agents"], before)
    assert not env.snapshot()["walls"].any()
    with pytest.raises(IndexError):
        env.snapshot(1)
