"""A PettingZoo-style ParallelEnv trains through the same API as the built-in scenarios."""

from __future__ import annotations

import numpy as np
import pytest

import envs

NAME = "pz:tests.envs.fake_parallel_env:make_env"


def test_parallel_env_maps_onto_the_vectorised_contract():
    env = envs.make(NAME, n_envs=3, episode_limit=6)
    info = env.info
    assert (info.n_agents, info.n_actions, info.obs_dim, info.state_dim) == (2, 4, 5, 2)
    assert info.name == NAME
    ts = env.reset(seed=1)
    assert ts.obs.shape == (3, 2, 5) and ts.state.shape == (3, 2)
    # agent a has 3 actions (the 4th is padding), agent b's mask forbids its 4th
    assert ts.avail_actions[:, 0].tolist() == [[True, True, True, False]] * 3
    assert ts.avail_actions[:, 1].tolist() == [[True, True, True, False]] * 3
    assert ts.active.all()
    # a walks to b (b stays): they meet within 4 steps, shared reward 1 (mean), terminated
    total = np.zeros(3)
    for _ in range(6):
        ts = env.step(np.tile([[2, 1]], (3, 1)))
        total += ts.reward
    assert ts.terminated.all() and not ts.truncated.any()
    np.testing.assert_allclose(total, 1.0)


def test_agents_that_leave_become_inactive_and_limits_truncate():
    env = envs.make(NAME, n_envs=2, episode_limit=4, kwargs={"leave_at": 2})
    env.reset(seed=0)
    ts = env.step(np.array([[1, 1], [1, 1]]))
    assert ts.active.all()
    ts = env.step(np.array([[1, 1], [1, 1]]))
    assert not ts.active[:, 1].any() and ts.active[:, 0].all()
    assert ts.avail_actions[:, 1].tolist() == [[True, False, False, False]] * 2
    for _ in range(2):
        ts = env.step(np.array([[1, 1], [1, 1]]))
    assert ts.truncated.all() and not ts.terminated.any()


def test_bad_factories_are_clear_errors():
    with pytest.raises(ValueError, match="cannot import"):
        envs.make("pz:no_such_module_xyz:make", n_envs=1)
    with pytest.raises(ValueError, match="no callable"):
        envs.make("pz:tests.envs.fake_parallel_env:nothing", n_envs=1)
    with pytest.raises(ValueError, match="pz.factory"):
        envs.make("pz:missing_colon", n_envs=1)
    with pytest.raises(ValueError, match="pz.reward"):
        envs.make(NAME, reward="max")
