"""The QMIX paper's two-step game: every transition and payoff, checked against a hand table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import envs
from envs.two_step import TwoStepConfig, TwoStepVecEnv

# Hand-computed from Rashid et al. 2018, §5: agent 0's first action picks 2A (0) or 2B (1);
# 2A pays 7 for anything; 2B pays [[0, 1], [1, 8]] (row = agent 0, column = agent 1).
PAYOFF_2B = {(0, 0): 0.0, (0, 1): 1.0, (1, 0): 1.0, (1, 1): 8.0}
JOINT = list(itertools.product((0, 1), repeat=2))


def expected_episode(first: tuple[int, int], second: tuple[int, int]) -> tuple[int, float]:
    """(state index after step 1, reward of step 2) by hand."""
    if first[0] == 0:
        return 1, 7.0
    return 2, PAYOFF_2B[second]


def test_info_matches_the_paper() -> None:
    env = envs.make("two_step")
    info = env.info
    assert (info.n_agents, info.n_actions, info.obs_dim, info.state_dim) == (2, 2, 3, 3)
    assert info.episode_limit == 2
    assert info.solved_return == 8.0 and info.optimal_return == 8.0


def test_reset_is_state_one_with_everything_available() -> None:
    ts = envs.make("two_step", n_envs=3).reset(seed=0)
    assert ts.obs.shape == (3, 2, 3) and ts.obs.dtype == np.float32
    np.testing.assert_array_equal(ts.obs, np.tile([1.0, 0.0, 0.0], (3, 2, 1)))
    np.testing.assert_array_equal(ts.state, np.tile([1.0, 0.0, 0.0], (3, 1)))
    assert ts.avail_actions.all() and ts.avail_actions.dtype == bool
    assert (ts.reward == 0).all() and not ts.terminated.any() and not ts.truncated.any()
    assert ts.active.all()


@pytest.mark.parametrize("first", JOINT)
@pytest.mark.parametrize("second", JOINT)
def test_every_joint_action_pair(first: tuple[int, int], second: tuple[int, int]) -> None:
    env = envs.make("two_step")
    env.reset(seed=0)
    ts = env.step(np.array([first]))
    state, payoff = expected_episode(first, second)
    assert ts.reward[0] == 0.0
    assert not ts.terminated[0] and not ts.truncated[0]
    onehot = np.eye(3, dtype=np.float32)[state]
    np.testing.assert_array_equal(ts.state[0], onehot)
    np.testing.assert_array_equal(ts.obs[0], [onehot, onehot])
    ts = env.step(np.array([second]))
    assert ts.reward[0] == payoff
    assert ts.terminated[0] and not ts.truncated[0]
    assert env.episode_return[0] == payoff


def test_copies_play_independent_games() -> None:
    env = envs.make("two_step", n_envs=4)
    env.reset(seed=1)
    firsts = np.array(JOINT)
    env.step(firsts)
    seconds = np.array([[1, 1]] * 4)
    ts = env.step(seconds)
    expected = [expected_episode(tuple(f), (1, 1))[1] for f in firsts]
    np.testing.assert_array_equal(ts.reward, expected)


def test_true_joint_values_per_state() -> None:
    env = envs.make("two_step", n_envs=2)
    env.reset(seed=0)
    np.testing.assert_array_equal(env.true_joint_values(0), [[7, 7], [8, 8]])
    env.step(np.array([[0, 1], [1, 0]]))
    np.testing.assert_array_equal(env.true_joint_values(0), np.full((2, 2), 7.0))
    np.testing.assert_array_equal(env.true_joint_values(1), [[0, 1], [1, 8]])
    assert env.true_joint_values(1).shape == (2, 2)
    with pytest.raises(IndexError):
        env.true_joint_values(2)


def test_done_copies_stay_frozen() -> None:
    env = envs.make("two_step")
    env.reset(seed=0)
    env.step(np.array([[1, 0]]))
    done_ts = env.step(np.array([[1, 1]]))
    for pad in ([0, 0], [-1, -1], [7, 0]):  # done copies ignore even out-of-range padding
        ts = env.step(np.array([pad]))
        assert ts.reward[0] == 0.0 and ts.terminated[0] and not ts.truncated[0]
        np.testing.assert_array_equal(ts.obs, done_ts.obs)
    assert env.episode_return[0] == 8.0
    assert env.t[0] == 2


def test_custom_payoffs_move_the_optimum() -> None:
    env = TwoStepVecEnv(TwoStepConfig(payoff_2a=9.0, payoff_2b=((0, 1), (1, 8))))
    assert env.info.optimal_return == 9.0
    env.reset()
    np.testing.assert_array_equal(env.true_joint_values(), [[9, 9], [8, 8]])


def test_snapshot_is_plain_data() -> None:
    env = envs.make("two_step")
    env.reset(seed=0)
    env.step(np.array([[1, 0]]))
    snap = env.snapshot()
    assert snap["scenario"] == "two_step" and snap["state_index"] == 2
    assert snap["first_actions"] == (1, 0) and snap["last_actions"] == (1, 0)
    assert snap["t"] == 1 and snap["episode_limit"] == 2
