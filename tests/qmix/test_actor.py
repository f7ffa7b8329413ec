"""Exploration coin flips and the epsilon schedule (NumPy only)."""

from __future__ import annotations

import numpy as np
import pytest

from qmix.actor import epsilon_at, explore
from qmix.config import Config


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
