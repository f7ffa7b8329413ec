"""Exploration coin flips, the epsilon schedule and the episode buffer (NumPy only)."""

from __future__ import annotations

import numpy as np
import pytest

from envs.base import EnvInfo
from qmix.actor import epsilon_at, explore
from qmix.buffer import EpisodeBuffer
from qmix.config import Config

INFO = EnvInfo(name="tiny", n_agents=3, n_actions=4, obs_dim=2, state_dim=2, episode_limit=3,
               action_names=("a", "b", "c", "d"), solved_return=1.0, optimal_return=None)


def test_epsilon_coin_flips_are_independent_per_agent_and_env():
    rng = np.random.default_rng(0)
    c, n, a = 4000, 3, 4
    q = np.zeros((c, n, a))
    q[..., 2] = 1.0  # greedy action is 2 everywhere
    avail = np.ones((c, n, a), bool)
    _, _, explored = explore(q, avail, 0.5, rng)
    assert explored.mean() == pytest.approx(0.5, abs=0.03)
    # one shared flip would make every agent of a copy agree; independent flips agree with
    # probability 0.5**3 + 0.5**3 = 0.25
    all_agree = (explored.all(axis=1) | (~explored).all(axis=1)).mean()
    assert all_agree == pytest.approx(0.25, abs=0.03)
    corr = np.corrcoef(explored[:, 0], explored[:, 1])[0, 1]
    assert abs(corr) < 0.06
    # and copies differ from each other
    assert 0.4 < explored[:, 0].mean() < 0.6


def test_exploration_only_picks_available_actions():
    rng = np.random.default_rng(1)
    c, n, a = 500, 3, 4
    q = rng.normal(size=(c, n, a))
    avail = rng.random((c, n, a)) < 0.5
    avail[..., 3] = True
    for eps in (0.0, 0.3, 1.0):
        actions, greedy, _ = explore(q, avail, eps, rng)
        assert np.take_along_axis(avail, actions[..., None], -1).all()
        assert np.take_along_axis(avail, greedy[..., None], -1).all()
    # greedy is the argmax among available actions
    expected = np.where(avail, q, -np.inf).argmax(-1)
    np.testing.assert_array_equal(greedy, expected)
    # with eps = 1 every available action is drawn about equally often
    q1 = np.zeros((20000, 1, 4))
    av1 = np.ones((20000, 1, 4), bool)
    av1[..., 0] = False
    acts, _, _ = explore(q1, av1, 1.0, rng)
    counts = np.bincount(acts.ravel(), minlength=4) / acts.size
    np.testing.assert_allclose(counts, [0, 1 / 3, 1 / 3, 1 / 3], atol=0.02)


def test_epsilon_schedules():
    lin = Config(eps_start=1.0, eps_finish=0.1, eps_anneal_steps=100)
    assert epsilon_at(lin, 0) == pytest.approx(1.0)
    assert epsilon_at(lin, 50) == pytest.approx(0.55)
    assert epsilon_at(lin, 100) == pytest.approx(0.1)
    assert epsilon_at(lin, 10_000) == pytest.approx(0.1)
    exp = Config(eps_start=1.0, eps_finish=0.01, eps_anneal_steps=100, eps_schedule="exp")
    assert epsilon_at(exp, 50) == pytest.approx(0.1)
    assert epsilon_at(exp, 100) == pytest.approx(0.01)


def _episodes(start: int, count: int) -> dict[str, np.ndarray]:
    buf = EpisodeBuffer(1, INFO)
    out = {}
    for key, arr in buf.data.items():
        shape = (count, *arr.shape[1:])
        out[key] = (np.arange(start, start + count).reshape(-1, *[1] * (len(shape) - 1))
                    * np.ones(shape)).astype(arr.dtype)
    return out


def test_buffer_wraps_around_overwriting_the_oldest():
    buf = EpisodeBuffer(5, INFO)
    before = buf.nbytes
    buf.insert(_episodes(1, 3))
    assert (buf.size, buf.pos) == (3, 3)
    buf.insert(_episodes(4, 3))  # episodes 4, 5, 6: 6 overwrites slot 0 (episode 1)
    assert (buf.size, buf.pos) == (5, 1)
    np.testing.assert_array_equal(buf.data["reward"][:, 0], [6, 2, 3, 4, 5])
    assert buf.nbytes == before  # preallocated: memory never grows


def test_buffer_samples_stored_episodes_without_replacement():
    buf = EpisodeBuffer(10, INFO)
    buf.insert(_episodes(1, 6))
    rng = np.random.default_rng(0)
    assert not buf.can_sample(7)
    with pytest.raises(ValueError):
        buf.sample(7, rng)
    batch = buf.sample(6, rng)
    ids = sorted(batch["reward"][:, 0].tolist())
    assert ids == [1, 2, 3, 4, 5, 6]
    # the sample is a copy: changing it leaves the buffer alone
    batch["reward"][:] = -1
    assert (buf.data["reward"][:6] > 0).all()


def test_config_rejects_bad_values_naming_the_field():
    for field, value in [("lr", -1.0), ("batch_size", 0), ("algo", "coma"), ("gamma", 1.5),
                         ("eps_schedule", "cosine"), ("optimizer", "sgd")]:
        with pytest.raises(ValueError, match=field):
            Config.from_dict({field: value})
    with pytest.raises(ValueError, match="unknown config field 'learning_rate'"):
        Config.from_dict({"learning_rate": 0.1})
    with pytest.raises(ValueError, match="buffer_size"):
        Config.from_dict({"batch_size": 64, "buffer_size": 32})
