"""gym:MODULE:ENV_ID: gymnasium multi-agent envs in EPyMARL's convention (tests/envs/
fake_gym_env.py), and the field's benchmarks lbforaging and rware, through the same API."""

from __future__ import annotations

import numpy as np
import pytest

import envs

MEET = "gym:tests.envs.fake_gym_env:FakeMeet-v0"


def _play(env, joint, steps):
    ts = None
    for _ in range(steps):
        ts = env.step(np.tile(joint, (env.n_envs, 1)))
    return ts


def test_a_gym_env_maps_onto_the_vectorised_contract():
    env = envs.make(MEET, n_envs=2)
    info = env.info
    assert (info.n_agents, info.n_actions, info.obs_dim) == (2, 3, 2)
    assert info.state_dim == 4  # no state(): the concatenated observations
    assert info.episode_limit == 6  # the env's own max_episode_steps
    assert info.solved_return is None
    ts = env.reset(seed=3)
    np.testing.assert_array_equal(ts.state, ts.obs.reshape(2, -1))
    ts = _play(env, [2, 1], 4)  # agent 0 walks to agent 1, who stays: they meet
    assert ts.terminated.all() and not ts.truncated.any()
    np.testing.assert_allclose(env.episode_return, 1.0)  # the team reward is the sum


def test_a_done_at_the_time_limit_is_a_truncation_with_the_last_observation_kept():
    env = envs.make(MEET, n_envs=1)
    env.reset(seed=0)
    ts = _play(env, [0, 2], 6)  # both walk away: the episode ends only by the time limit
    assert ts.truncated.all() and not ts.terminated.any()
    assert ts.active.all()  # both agents bootstrap from this observation
    np.testing.assert_array_equal(ts.obs[0], [[0, 4], [4, 0]])


def test_a_limit_of_our_own_truncates_first():
    env = envs.make(MEET, n_envs=1, episode_limit=2)
    env.reset(seed=0)
    ts = _play(env, [0, 2], 2)
    assert ts.truncated.all() and not ts.terminated.any()


def test_a_scalar_reward_is_the_team_reward_as_it_is():
    env = envs.make("gym:tests.envs.fake_gym_env:FakeScalar-v0", n_envs=1)
    env.reset(seed=3)
    _play(env, [2, 1], 4)
    assert env.episode_return[0] == pytest.approx(1.0)


@pytest.mark.parametrize("name, says", [
    ("gym:tests.envs.fake_gym_env:FakeBox-v0", "only Discrete action spaces are supported"),
    ("gym:tests.envs.fake_gym_env:NoSuchEnv-v0", "cannot make 'NoSuchEnv-v0'"),
    ("gym:no_such_module_xyz:Env-v0", "cannot import 'no_such_module_xyz'"),
    ("gym:no_colon", "gym.env must look like"),
])
def test_gym_envs_that_do_not_fit_are_one_line(name, says):
    with pytest.raises(ValueError, match=says):
        envs.make(name)


def test_rejected_kwargs_are_one_line():
    with pytest.raises(ValueError, match="rejects kwargs"):
        envs.make(MEET, kwargs={"colour": "red"})


LBF = "gym:lbforaging:Foraging-8x8-2p-2f-v3"


def test_lbforaging_through_gym_has_its_layout_and_names():
    env = envs.make(LBF, n_envs=2)
    info = env.info
    assert (info.n_agents, info.n_actions, info.obs_dim, info.state_dim) == (2, 6, 12, 24)
    assert info.episode_limit == 50
    assert info.action_names == ("none", "north", "south", "west", "east", "load")
    ts = env.reset(seed=0)
    assert ts.obs.max() > 1  # raw coordinates: what the normaliser is for


def test_lbforaging_resets_are_reproducible_after_earlier_episodes():
    played, fresh = envs.make(LBF, n_envs=1), envs.make(LBF, n_envs=1)
    played.reset(seed=5)
    rng = np.random.default_rng(0)
    for _ in range(30):
        played.step(rng.integers(0, 6, size=(1, 2)))
    np.testing.assert_array_equal(played.reset(seed=7).obs, fresh.reset(seed=7).obs)


def test_lbforaging_time_limit_is_truncation():
    env = envs.make(LBF, n_envs=1)
    env.reset(seed=1)
    ts = None
    for _ in range(50):
        ts = env.step(np.zeros((1, 2), np.int64))  # standing still never collects anything
    assert ts.truncated.all() and not ts.terminated.any() and ts.active.all()


def test_rware_through_gym():
    env = envs.make("gym:rware:rware-tiny-2ag-v2", n_envs=1, episode_limit=20)
    info = env.info
    assert info.n_agents == 2 and info.n_actions == 5
    assert info.action_names[:2] == ("noop", "forward")
    env.reset(seed=0)
    ts = None
    for _ in range(20):
        ts = env.step(np.zeros((1, 2), np.int64))
    assert ts.truncated.all()
