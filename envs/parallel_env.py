"""Bring your own environment: any PettingZoo-style `ParallelEnv` as a QMIX Studio scenario.

    python main.py train --scenario pz:my_package.my_module:make_env --env episode_limit=50

The scenario name `pz:<module>:<callable>` names a zero-argument factory (or one taking the
`kwargs` config field) that returns a `ParallelEnv`: `possible_agents`, `reset(seed=...)`
-> (observations, infos), `step(actions)` -> (observations, rewards, terminations,
truncations, infos), `action_space(agent).n` (discrete actions) and, ideally, `state()`. The
name is self-describing, so checkpoints of such runs reload without extra registration.

How PettingZoo maps onto the SMAC-style contract:
- obs: each agent's observation flattened (a dict observation uses its "observation" entry),
  zero-padded to the largest agent's size; state: `env.state()` flattened, or the
  concatenation of all observations when the env has no `state()`.
- avail_actions: an "action_mask" from the observation dict or the agent's info, else all of
  the agent's actions; agents with fewer actions than the largest get the rest masked.
- an agent that has left `env.agents` is inactive (`active` False, zero obs, only action 0).
- team reward: the mean (default, right for envs that hand every agent the shared reward) or
  the sum of the agents' rewards.
- terminated when every agent terminated; truncated when any was truncated or the step
  count reaches `episode_limit` first.
NumPy only; PettingZoo itself is not imported here (the user's factory does that).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from envs._checks import check_int
from envs.base import EnvInfo, TimeStep, VecEnv

PREFIX = "pz:"


@dataclass
class ParallelEnvConfig:
    """How to build and read a user's ParallelEnv."""

    factory: str = ""
    """'module:callable' returning a PettingZoo ParallelEnv (set from the scenario name)"""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """keyword arguments for the factory"""
    episode_limit: int = 100
    """max steps per episode (the episode is truncated there)"""
    solved_return: float = float("inf")
    """greedy mean return that counts as solved (unknown for foreign envs: never by default)"""
    reward: str = "mean"
    """team reward from the agents' rewards: mean or sum"""

    def validate(self) -> None:
        if self.factory.count(":") != 1 or not all(self.factory.split(":")):
            raise ValueError(f"pz.factory must look like 'package.module:callable', "
                             f"got {self.factory!r}")
        check_int("pz", "episode_limit", self.episode_limit, minimum=1, maximum=100_000)
        if self.reward not in ("mean", "sum"):
            raise ValueError(f"pz.reward must be mean or sum, got {self.reward!r}")
        if not isinstance(self.kwargs, dict):
            raise ValueError(f"pz.kwargs must be a dict, got {self.kwargs!r}")


def load_factory(spec: str) -> Callable[..., Any]:
    module_name, attr = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r} for scenario pz:{spec}: {exc}") from exc
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ValueError(f"{module_name!r} has no callable {attr!r} (scenario pz:{spec})")
    return factory


def _flat(x: Any) -> np.ndarray:
    if isinstance(x, dict):
        x = x.get("observation", np.zeros(0))
    return np.asarray(x, dtype=np.float32).ravel()


def _mask(obs: Any, info: Any) -> np.ndarray | None:
    for source in (obs, info):
        if isinstance(source, dict) and "action_mask" in source:
            return np.asarray(source["action_mask"], dtype=bool).ravel()
    return None


class ParallelVecEnv(VecEnv):
    """C copies of a user's ParallelEnv, stepped in lock-step."""

    config: ParallelEnvConfig

    def __init__(self, config: ParallelEnvConfig, n_envs: int = 1) -> None:
        super().__init__(config, n_envs)
        factory = load_factory(config.factory)
        self.envs = [factory(**config.kwargs) for _ in range(self.n_envs)]
        probe = self.envs[0]
        self.agent_ids = list(probe.possible_agents)
        n = len(self.agent_ids)
        self._n_actions = [int(probe.action_space(a).n) for a in self.agent_ids]
        obs, infos = probe.reset(seed=0)
        obs_dim = max(_flat(obs[a]).size for a in obs)
        self._has_state = callable(getattr(probe, "state", None))
        state_dim = (_flat(probe.state()).size if self._has_state else n * obs_dim)
        a_max = max(self._n_actions)
        self.info = EnvInfo(
            name=PREFIX + config.factory, n_agents=n, n_actions=a_max, obs_dim=obs_dim,
            state_dim=state_dim, episode_limit=config.episode_limit,
            action_names=tuple(f"a{i}" for i in range(a_max)),
            solved_return=config.solved_return, optimal_return=None)
        self._obs = np.zeros((self.n_envs, n, obs_dim), np.float32)
        self._state = np.zeros((self.n_envs, state_dim), np.float32)
        self._avail = np.zeros((self.n_envs, n, a_max), bool)
        self._active = np.zeros((self.n_envs, n), bool)

    def _read(self, c: int, obs: dict, infos: dict) -> None:
        env, n_obs = self.envs[c], self.info.obs_dim
        self._obs[c] = 0.0
        self._avail[c] = False
        for i, agent in enumerate(self.agent_ids):
            alive = agent in obs and agent in getattr(env, "agents", self.agent_ids)
            self._active[c, i] = alive
            if not alive:
                self._avail[c, i, 0] = True
                continue
            flat = _flat(obs[agent])[:n_obs]
            self._obs[c, i, : flat.size] = flat
            mask = _mask(obs[agent], infos.get(agent))
            k = self._n_actions[i]
            self._avail[c, i, :k] = True if mask is None else mask[:k]
            if not self._avail[c, i].any():
                self._avail[c, i, 0] = True
        if self._has_state:
            state = _flat(env.state())[: self.info.state_dim]
            self._state[c, : state.size] = state
        else:
            self._state[c] = self._obs[c].ravel()

    def reset(self, seed: int | None = None) -> TimeStep:
        rngs = self._begin_reset(seed)
        for c, env in enumerate(self.envs):
            obs, infos = env.reset(seed=int(rngs[c].integers(2**31 - 1)))
            self._read(c, obs, infos)
        return self._timestep(np.zeros(self.n_envs, np.float32))

    def step(self, actions: np.ndarray) -> TimeStep:
        actions = self._check_actions(actions)
        live = ~self.done  # (C,) copies still in their episode
        reward = np.zeros(self.n_envs, np.float32)
        terminated_now = np.zeros(self.n_envs, bool)
        truncated_now = np.zeros(self.n_envs, bool)
        for c in np.flatnonzero(live):
            env = self.envs[c]
            acting = [a for i, a in enumerate(self.agent_ids) if self._active[c, i]]
            acts = {}
            for i, agent in enumerate(self.agent_ids):
                if agent in acting:
                    a = int(actions[c, i])
                    # an unavailable action is executed as the first available one
                    acts[agent] = a if self._avail[c, i, a] else int(self._avail[c, i].argmax())
            obs, rewards, terms, truncs, infos = env.step(acts)
            values = [float(rewards.get(a, 0.0)) for a in acting]
            if values:
                reward[c] = np.mean(values) if self.config.reward == "mean" else np.sum(values)
            self._read(c, obs, infos)
            if all(terms.get(a, False) or truncs.get(a, False) for a in acting) or not getattr(
                    env, "agents", acting):
                if any(truncs.get(a, False) for a in acting):
                    truncated_now[c] = True
                else:
                    terminated_now[c] = True
        reward = self._finish_step(actions, live, reward, terminated_now)
        self._truncated |= live & truncated_now & ~self._terminated
        return self._timestep(reward)

    def _timestep(self, reward: np.ndarray) -> TimeStep:
        return TimeStep(obs=self._obs.copy(), state=self._state.copy(),
                        avail_actions=self._avail.copy(), reward=reward.astype(np.float32),
                        terminated=self._terminated.copy(), truncated=self._truncated.copy(),
                        active=self._active.copy())

    def snapshot(self, copy: int = 0) -> dict[str, Any]:
        """Counters only: a foreign env has no grid to draw (the app shows a text card)."""
        snap = self._common_snapshot(copy)
        snap["active"] = self._active[self._check_copy(copy)].copy()
        return snap
