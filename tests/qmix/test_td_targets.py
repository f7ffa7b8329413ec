"""TD targets at an episode's end, computed by hand and by the learner, for the four ways an
episode (or an agent) can end: terminated, truncated by the env, truncated by episode_limit,
one agent leaving early.

The world is `CorridorEnv` (tests/envs/fake_parallel_env.py), a PettingZoo ParallelEnv that
plays by PettingZoo's rules: every step pays each agent 1; truncation empties `agents`. The
hand computation is VDN's target with both networks run in NumPy over the recorded episode:
B_t = sum over agents active at t+1 of Q'_i(o_{t+1}, argmax_a Q_i(o_{t+1}, a)), then
y_t = r_t + gamma (1 - terminated_t) B_t (one-step), or with lambda the backward recursion
y_t = r_t + gamma (1 - terminated_t) [(1 - lambda) B_t + lambda y_{t+1}] whose last step
bootstraps with B only. Rewards are in the learner's units (divided by the reward scale).
"""

from __future__ import annotations

import numpy as np
import pytest

from qmix.actor import NumpyAgent
from qmix.config import make_config
from qmix.trainer import Trainer

SCENARIO = "pz:tests.envs.fake_parallel_env:make_corridor"
GAMMA = 0.9


def _episode(td_lambda: float = 0.0, **env) -> tuple[Trainer, dict[str, np.ndarray], int]:
    """Train a little (so Q is not ~0 everywhere), then record one fresh episode."""
    cfg = make_config(SCENARIO, algo="vdn", td_lambda=td_lambda, n_envs=1, batch_size=4,
                      learning_starts=4,
                      buffer_size=64, gamma=GAMMA, hidden_dim=8, async_updates=False,
                      env_steps_per_update=2, eps_anneal_steps=0, eps_finish=0.5,
                      target_update_interval=3, scenario_kwargs=env)
    trainer = Trainer(cfg)
    while trainer.updates < 12:
        trainer.train_iteration()
    trainer.run_episode()  # the rollout under test, newest in the buffer
    slot = (trainer.buffer.pos - 1) % trainer.buffer.capacity
    raw = {k: v[slot: slot + 1].copy() for k, v in trainer.buffer.data.items()}
    length = int(raw["filled"][0].sum())
    return trainer, raw, length


def _hand_targets(trainer: Trainer, raw: dict[str, np.ndarray], length: int) -> np.ndarray:
    """(length,) VDN targets from NumPy forward passes of the online and target agents."""
    learner = trainer.learner
    named = learner.named_variables()
    online = NumpyAgent(trainer.config, trainer.info.n_agents, trainer.info.n_actions)
    online.set_weights({k[len("online/agent/"):]: v.numpy() for k, v in named.items()
                        if k.startswith("online/agent/")})
    target = NumpyAgent(trainer.config, trainer.info.n_agents, trainer.info.n_actions)
    target.set_weights({k[len("target/agent/"):]: v.numpy() for k, v in named.items()
                        if k.startswith("target/agent/")})
    obs = trainer.obs_norm(raw["obs"][0])  # (T1, N, O)
    actions = raw["actions"][0]
    n, h = trainer.info.n_agents, trainer.config.hidden_dim
    h_on, h_tg = np.zeros((1, n, h), np.float32), np.zeros((1, n, h), np.float32)
    q_on, q_tg = [], []
    last = np.full((1, n), -1)
    for t in range(length + 1):
        q, h_on = online.forward(online.inputs(obs[t][None], last), h_on)
        qt, h_tg = target.forward(target.inputs(obs[t][None], last), h_tg)
        q_on.append(q[0])
        q_tg.append(qt[0])
        last = actions[t][None]
    bootstrap = np.zeros(length)  # Q'_tot(s_{t+1}) of the online net's greedy joint action
    for t in range(length):
        avail = raw["avail_actions"][0, t + 1]
        best = np.where(avail, q_on[t + 1], -np.inf).argmax(-1)  # (N,) online picks
        bootstrap[t] = (q_tg[t + 1][np.arange(n), best] * raw["active"][0, t + 1]).sum()
    lam = trainer.config.td_lambda
    y = np.zeros(length)
    for t in reversed(range(length)):  # lambda-return; the last step bootstraps only
        reward = raw["reward"][0, t] / trainer.reward_scale  # in the learner's units
        follow = lam * y[t + 1] if t + 1 < length else 0.0
        mix = bootstrap[t] if t + 1 == length else (1 - lam) * bootstrap[t] + follow
        y[t] = reward + GAMMA * (1.0 - raw["terminated"][0, t]) * mix
    return y


def _learner_targets(trainer: Trainer, raw: dict[str, np.ndarray], length: int) -> np.ndarray:
    batch = trainer.prepare_batch(raw)
    # the learner sees rewards divided by the run's reward scale (scale_rewards)
    np.testing.assert_allclose(batch["reward"][0, :length],
                               raw["reward"][0, :length] / trainer.reward_scale, rtol=1e-6)
    return np.asarray(trainer.learner.td_targets(batch))[0, :length, 0]


@pytest.mark.parametrize("td_lambda", [0.0, 0.6])
@pytest.mark.parametrize("case, env, length", [
    ("terminated", {"kwargs": {"end_at": 3, "max_cycles": 50}, "episode_limit": 10}, 3),
    ("truncated by the env", {"kwargs": {"max_cycles": 4}, "episode_limit": 10}, 4),
    ("truncated by episode_limit", {"kwargs": {"max_cycles": 50}, "episode_limit": 3}, 3),
    ("one agent leaves early",
     {"kwargs": {"c_leaves_at": 2, "max_cycles": 5}, "episode_limit": 10}, 5),
])
def test_td_target_at_the_end_of_an_episode_matches_a_hand_computation(case, env, length,
                                                                      td_lambda):
    trainer, raw, got_length = _episode(td_lambda, **env)
    assert got_length == length
    last = length - 1
    terminated = raw["terminated"][0, :length]
    if case == "terminated":
        assert terminated[last] == 1.0 and terminated[:last].sum() == 0
    else:  # a time limit or an agent leaving is not the end of the team's future
        assert terminated.sum() == 0
    active = raw["active"][0]
    if case == "one agent leaves early":
        # c terminated on step 2: inactive from slot 2 on, a and b bootstrap to the end
        assert active[:2, 2].all() and not active[2: length + 1, 2].any()
        assert active[: length + 1, :2].all()
    elif case != "terminated":
        # PettingZoo emptied `agents` on truncation; the last observations are kept anyway
        assert active[length].all()
        assert (raw["obs"][0, length, :, 0] == length).all()
    hand = _hand_targets(trainer, raw, length)
    np.testing.assert_allclose(_learner_targets(trainer, raw, length), hand, rtol=1e-5,
                               atol=1e-5)
    reward = raw["reward"][0, last] / trainer.reward_scale
    if case == "terminated":
        assert hand[last] == pytest.approx(reward)  # no bootstrap
    else:
        assert hand[last] != pytest.approx(reward)  # bootstraps
