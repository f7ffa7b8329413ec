"""Bring your own environment: any PettingZoo-style `ParallelEnv` as a QMIX Studio scenario.

    python main.py train --scenario pz:my_package.my_module:make_env --env episode_limit=50

The scenario name `pz:<module>:<callable>` names a factory (called with the `kwargs` config
field, none by default) that returns a `ParallelEnv`: `possible_agents`, `reset(seed=...)`
-> (observations, infos), `step(actions)` -> (observations, rewards, terminations,
truncations, infos), `action_space(agent)` (Discrete) and, ideally, `state()`. The name is
self-describing, so checkpoints of such runs reload without extra registration. The module
must be importable: installed, or on PYTHONPATH (`./studio` runs from the project folder).

How PettingZoo maps onto the SMAC-style contract:
- obs: each agent's observation flattened (a dict observation uses its "observation" entry),
  zero-padded to the largest agent's size; state: `env.state()` flattened, or the
  concatenation of all observations when the env has no `state()`.
- avail_actions: an "action_mask" from the observation dict or the agent's info, else all of
  the agent's actions; agents with fewer actions than the largest get the rest masked.
- team reward: the mean (default, right for envs that hand every agent the shared reward) or
  the sum of the agents' rewards.
- **Truncation is not termination.** An agent whose `terminations` entry is true has left for
  good: from the next slot on it is inactive (zero obs, only action 0 available) and the learner
  neither trains nor bootstraps it. An agent whose `truncations` entry is true was cut off by a
  time limit: it stays active with the observation the env returned, so the learner bootstraps
  from it -- even though PettingZoo empties `env.agents` after that step. The episode is
  terminated when every acting agent terminated, truncated when any was truncated (or the step
  count reached `episode_limit` first).
NumPy only; PettingZoo itself is not imported here (the user's factory does that).
"""

from __future__ import annotations

import importlib
import math
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
    solved_return: float | None = None
    """greedy mean return that counts as solved (None: unknown, never solved)"""
    reward: str = "mean"
    """team reward from the agents' rewards: mean or sum"""

    def validate(self) -> None:
        if self.factory.count(":") != 1 or not all(self.factory.split(":")):
            raise ValueError(f"pz.factory must look like 'package.module:callable', "
                             f"got {self.factory!r}")
        _validate_common("pz", self)


def _validate_common(scope: str, config: Any, min_limit: int = 1) -> None:
    check_int(scope, "episode_limit", config.episode_limit, minimum=min_limit, maximum=100_000)
    if config.reward not in ("mean", "sum"):
        raise ValueError(f"{scope}.reward must be mean or sum, got {config.reward!r}")
    if not isinstance(config.kwargs, dict):
        raise ValueError(f"{scope}.kwargs must be a dict (JSON object), got {config.kwargs!r}")
    solved = config.solved_return
    if solved is not None and (isinstance(solved, bool) or not isinstance(solved, (int, float))
                               or not math.isfinite(solved)):
        raise ValueError(f"{scope}.solved_return must be a finite number or null, got "
                         f"{solved!r}")


def import_module(module_name: str, scenario: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r} for scenario {scenario}: {exc} (the "
                         "module must be installed or on PYTHONPATH)") from exc
    except Exception as exc:  # noqa: BLE001 - the user's module failed at import: say so
        raise ValueError(f"importing {module_name!r} for scenario {scenario} failed: "
                         f"{type(exc).__name__}: {_first_line(exc)}") from exc


def load_factory(spec: str) -> Callable[..., Any]:
    module_name, attr = spec.split(":")
    module = import_module(module_name, PREFIX + spec)
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ValueError(f"{module_name!r} has no callable {attr!r} (scenario pz:{spec})")
    return factory


def call_factory(factory: Callable[..., Any], kwargs: dict[str, Any], scenario: str) -> Any:
    """The user's factory, its failures as one line that names the scenario."""
    try:
        return factory(**kwargs)
    except TypeError as exc:
        given = f"with kwargs {kwargs}" if kwargs else "without arguments"
        raise ValueError(f"scenario {scenario} cannot be built {given}: {_first_line(exc)} "
                         "(pass arguments with --env 'kwargs={...}')") from exc
    except Exception as exc:  # noqa: BLE001 - anything the user's code raises
        raise ValueError(f"scenario {scenario} failed to build: {type(exc).__name__}: "
                         f"{_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def discrete_actions(space: Any, what: str) -> tuple[int, int]:
    """(n, start) of a Discrete action space; anything else is refused in one line."""
    n = getattr(space, "n", None)
    if n is None or hasattr(space, "nvec") or np.ndim(n) != 0:
        raise ValueError(f"{what} has action space {space!r}: only Discrete action spaces are "
                         "supported (QMIX picks one of finitely many actions per agent)")
    start = int(getattr(space, "start", 0))
    return int(n), start


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
    prefix = PREFIX
    render_kind = "vectors"

    def __init__(self, config: Any, n_envs: int = 1) -> None:
        super().__init__(config, n_envs)
        self.envs = [self._build_env() for _ in range(self.n_envs)]
        probe = self.envs[0]
        self._check_parallel_env(probe)
        self.agent_ids = list(probe.possible_agents)
        n = len(self.agent_ids)
        if n == 0:
            raise ValueError(f"scenario {self.scenario_name} has no agents (possible_agents "
                             "is empty)")
        spaces = [discrete_actions(probe.action_space(a), f"agent {a!r} of "
                                   f"{self.scenario_name}") for a in self.agent_ids]
        self._n_actions = [n_a for n_a, _ in spaces]
        self._action_start = np.array([start for _, start in spaces], np.int64)
        obs, _ = self._call("reset", probe.reset, seed=0)
        sizes = [_flat(obs[a]).size for a in obs if a in self.agent_ids]
        if not sizes:
            raise ValueError(f"scenario {self.scenario_name}: reset() returned no observation "
                             "for any of possible_agents")
        obs_dim = max(sizes)
        self._has_state = callable(getattr(probe, "state", None))
        state_dim = (_flat(self._call("state", probe.state)).size if self._has_state
                     else n * obs_dim)
        a_max = max(self._n_actions)
        self.info = EnvInfo(
            name=self.scenario_name, n_agents=n, n_actions=a_max, obs_dim=obs_dim,
            state_dim=state_dim, episode_limit=self._episode_limit(probe),
            action_names=self._action_names(probe, a_max),
            solved_return=self.config.solved_return, optimal_return=None)
        self._obs = np.zeros((self.n_envs, n, obs_dim), np.float32)
        self._state = np.zeros((self.n_envs, state_dim), np.float32)
        self._avail = np.zeros((self.n_envs, n, a_max), bool)
        self._active = np.zeros((self.n_envs, n), bool)
        self._rewards = np.zeros((self.n_envs, n), np.float32)  # last step, per agent

    # ------------------------------------------------------------ hooks for subclasses --
    @property
    def scenario_name(self) -> str:
        return self.prefix + self.config.factory

    def _build_env(self) -> Any:
        factory = load_factory(self.config.factory)
        return call_factory(factory, self.config.kwargs, self.scenario_name)

    def _episode_limit(self, probe: Any) -> int:
        return int(self.config.episode_limit)

    def _action_names(self, probe: Any, n_actions: int) -> tuple[str, ...]:
        return tuple(f"a{i}" for i in range(n_actions))

    def _team_reward(self, c: int, values: list[float]) -> float:
        """The team's reward from the acting agents' rewards (config.reward: mean or sum)."""
        if not values:
            return 0.0
        return float(np.mean(values) if self.config.reward == "mean" else np.sum(values))

    def _check_parallel_env(self, env: Any) -> None:
        missing = [name for name in ("possible_agents", "reset", "step", "action_space")
                   if not hasattr(env, name)]
        if missing:
            hint = (" (an AEC env: wrap it with pettingzoo.utils.aec_to_parallel)"
                    if hasattr(env, "agent_iter") else "")
            raise ValueError(f"scenario {self.scenario_name} built a {type(env).__name__}, "
                             f"not a PettingZoo ParallelEnv: it has no {missing[0]}{hint}")

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call into the user's env; its exceptions become one line naming the scenario."""
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - anything the user's env raises
            raise ValueError(f"scenario {self.scenario_name}: {what}() raised "
                             f"{type(exc).__name__}: {_first_line(exc)}") from exc

    # ------------------------------------------------------------ reading an env ---------
    def _read(self, c: int, obs: dict, infos: dict, alive: np.ndarray) -> None:
        """Copy one env's observations into slot c; `alive` (N,) says who is still in."""
        env, n_obs = self.envs[c], self.info.obs_dim
        self._obs[c] = 0.0
        self._avail[c] = False
        self._active[c] = alive
        for i, agent in enumerate(self.agent_ids):
            if not alive[i]:
                self._avail[c, i, 0] = True
                continue
            flat = _flat(obs[agent])[:n_obs]
            self._obs[c, i, : flat.size] = flat
            mask = _mask(obs[agent], infos.get(agent) if isinstance(infos, dict) else None)
            k = self._n_actions[i]
            self._avail[c, i, :k] = True if mask is None else mask[:k]
            if not self._avail[c, i].any():
                self._avail[c, i, 0] = True
        if self._has_state:
            state = _flat(self._call("state", env.state))[: self.info.state_dim]
            self._state[c] = 0.0
            self._state[c, : state.size] = state
        else:
            self._state[c] = self._obs[c].ravel()

    def reset(self, seed: int | None = None) -> TimeStep:
        rngs = self._begin_reset(seed)
        for c, env in enumerate(self.envs):
            obs, infos = self._call("reset", env.reset, seed=int(rngs[c].integers(2**31 - 1)))
            alive = np.array([a in obs for a in self.agent_ids])
            self._read(c, obs, infos, alive)
        self._rewards[:] = 0.0
        return self._timestep(np.zeros(self.n_envs, np.float32))

    def step(self, actions: np.ndarray) -> TimeStep:
        actions = self._check_actions(actions)
        live = ~self.done  # (C,) copies still in their episode
        reward = np.zeros(self.n_envs, np.float32)
        terminated_now = np.zeros(self.n_envs, bool)
        truncated_now = np.zeros(self.n_envs, bool)
        self._rewards[live] = 0.0
        for c in np.flatnonzero(live):
            env = self.envs[c]
            acting = self._active[c].copy()  # (N,)
            acts = {}
            for i in np.flatnonzero(acting):
                a = int(actions[c, i])
                # an unavailable action is executed as the first available one
                a = a if self._avail[c, i, a] else int(self._avail[c, i].argmax())
                acts[self.agent_ids[i]] = a + int(self._action_start[i])
            obs, rewards, terms, truncs, infos = self._call("step", env.step, acts)
            ids = [self.agent_ids[i] for i in np.flatnonzero(acting)]
            values = [float(rewards.get(a, 0.0)) for a in ids]
            self._rewards[c, acting] = values
            reward[c] = self._team_reward(c, values)
            still_in = getattr(env, "agents", None)
            cut = np.array([bool(truncs.get(a, False)) for a in self.agent_ids])
            # Left for good: terminated, no observation, or dropped from `agents` without a
            # truncation (which also empties `agents`, but is not leaving).
            gone = np.array([bool(terms.get(a, False)) or a not in obs
                             or (still_in is not None and a not in still_in and not cut[i])
                             for i, a in enumerate(self.agent_ids)])
            cut &= ~gone
            # Terminated agents leave; truncated ones stay active with their last real
            # observation so the learner bootstraps from it (not from PettingZoo's empty list).
            alive = ~gone
            self._read(c, obs, infos, alive)
            over = not (alive & ~cut).any() or not getattr(env, "agents", ids)
            if over:
                if cut[acting].any():
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
        """No grid to draw: the render kind "vectors" shows each agent's observation vector,
        last action and reward (and the env's own rgb_array picture when it offers one)."""
        c = self._check_copy(copy)
        snap = self._common_snapshot(c)
        snap.update(
            agent_names=[str(a) for a in self.agent_ids],
            active=self._active[c].copy(), obs=self._obs[c].copy(),
            agent_rewards=self._rewards[c].copy(), image=self._rgb_frame(c))
        return snap

    def _rgb_frame(self, c: int) -> np.ndarray | None:
        """The env's own picture when `render()` returns an (H, W, 3) array, else None."""
        env = self.envs[c]
        if getattr(env, "render_mode", None) != "rgb_array":
            return None
        try:
            frame = env.render()
        except Exception:  # noqa: BLE001 - a picture is optional; the vector view remains
            return None
        arr = np.asarray(frame) if frame is not None else None
        if arr is None or arr.ndim != 3 or arr.shape[2] not in (3, 4):
            return None
        return np.ascontiguousarray(arr[..., :3], dtype=np.uint8)
