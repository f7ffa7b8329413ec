"""Gymnasium multi-agent envs in EPyMARL's convention, e.g. Level-Based Foraging and RWARE:

    python main.py train --scenario gym:lbforaging:Foraging-8x8-2p-2f-coop-v3

`gym:<MODULE>:<ENV_ID>` imports MODULE (which registers its envs) and calls
`gymnasium.make(ENV_ID, **kwargs)`. The convention (EPyMARL's "gymma" envs): Tuple observation
and action spaces with one entry per agent, a reward list with one entry per agent, and a
single `done` that also fires at the time limit. Each env is adapted to the PettingZoo
`ParallelEnv` interface (`GymAsParallel`) and then read exactly like a `pz:` scenario
(`envs/parallel_env.py`): one path, one set of truncation rules.

- **Time limits are truncation.** lbforaging 2.0.0 reports its 50-step limit as `terminated`
  (its `truncated` is always False). A done on the env's own `max_episode_steps` is treated as
  truncation: the learner bootstraps there. (If the task is completed on exactly that step it
  is bootstrapped too: the env does not say which happened; the error is one step's target.)
  Where the env does set `truncated` (gymnasium's TimeLimit), that is used as is.
- **State**: the env's `state()` (or `get_state()`) when the unwrapped env has one; else the
  concatenation of all agents' observations (EPyMARL does the same; most of these envs have no
  global state).
- **Team reward**: the sum of the per-agent rewards by default (LBF splits each item's value
  among the agents that loaded it, so the sum is the team's score; a solved episode is 1.0);
  `--env reward=mean` for envs that hand every agent the shared reward. A scalar reward is the
  team reward as it is.
- **Reproducible resets**: lbforaging 2.0.0's `reset(seed)` depends on where the players stood
  at the end of the previous episode (stale positions take part in its spawn checks), so the
  same seed could give a different layout after an earlier episode. Clearing `position` of
  the unwrapped env's `players` before each reset makes a seeded reset depend on the seed
  alone; envs without `players` are untouched.

gymnasium is imported only when such a scenario is built.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from envs.parallel_env import (ParallelVecEnv, _first_line, _validate_common, discrete_actions,
                               import_module)

PREFIX = "gym:"


@dataclass
class GymEnvConfig:
    """How to build and read a gymnasium multi-agent env."""

    env: str = ""
    """'MODULE:ENV_ID' (set from the scenario name)"""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """keyword arguments for gymnasium.make"""
    episode_limit: int = 0
    """max steps per episode; 0: the env's own max_episode_steps (100 if it declares none)"""
    solved_return: float | None = None
    """greedy mean return that counts as solved (None: unknown, never solved)"""
    reward: str = "sum"
    """team reward from a per-agent reward list: sum (EPyMARL's default) or mean"""

    def validate(self) -> None:
        if self.env.count(":") != 1 or not all(self.env.split(":")):
            raise ValueError(f"gym.env must look like 'module:EnvId-v0', got {self.env!r}")
        _validate_common("gym", self, min_limit=0)


def env_time_limit(env: Any) -> int | None:
    """The env's own step limit, from its spec or the attribute EPyMARL's envs use."""
    spec = getattr(env, "spec", None)
    limit = getattr(spec, "max_episode_steps", None)
    if limit is None:
        unwrapped = getattr(env, "unwrapped", env)
        for name in ("max_episode_steps", "_max_episode_steps", "max_steps"):
            value = getattr(unwrapped, name, None)
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                limit = int(value)
                break
    return int(limit) if limit else None


class GymAsParallel:
    """One gymnasium multi-agent env seen through the PettingZoo ParallelEnv interface."""

    def __init__(self, env: Any, scenario: str) -> None:
        self.env, self.scenario = env, scenario
        spaces = getattr(env.action_space, "spaces", None)
        if not isinstance(spaces, (tuple, list)) or not spaces:
            raise ValueError(f"{scenario} has action space {env.action_space!r}: expected a "
                             "Tuple with one Discrete space per agent (EPyMARL's convention)")
        for i, space in enumerate(spaces):
            discrete_actions(space, f"agent {i} of {scenario}")
        self._spaces = list(spaces)
        self.possible_agents = [f"agent_{i}" for i in range(len(spaces))]
        self.agents: list[str] = []
        self.time_limit = env_time_limit(env)
        self._t = 0
        unwrapped = getattr(env, "unwrapped", env)
        state_fn = getattr(unwrapped, "state", None) or getattr(unwrapped, "get_state", None)
        self.state = state_fn if callable(state_fn) else None
        self.render_mode = getattr(env, "render_mode", None)

    def action_space(self, agent: str) -> Any:
        return self._spaces[self.possible_agents.index(agent)]

    def _per_agent(self, values: Any) -> list[Any]:
        if isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray)
                                                 and values.ndim == 1):
            if len(values) != len(self.possible_agents):
                raise ValueError(f"{self.scenario} returned {len(values)} entries for "
                                 f"{len(self.possible_agents)} agents")
            return list(values)
        return [values] * len(self.possible_agents)

    def reset(self, seed: int | None = None, options: dict | None = None):
        for player in getattr(getattr(self.env, "unwrapped", self.env), "players", ()) or ():
            if hasattr(player, "position"):
                player.position = None  # see the module docstring: lbforaging's stale spawns
        obs, info = self.env.reset(seed=seed)
        self._t = 0
        self.agents = list(self.possible_agents)
        per_agent = self._per_agent(obs)
        return ({a: o for a, o in zip(self.agents, per_agent)},
                {a: info if isinstance(info, dict) else {} for a in self.agents})

    def step(self, actions: dict[str, int]):
        self._t += 1
        joint = tuple(int(actions.get(a, 0)) for a in self.possible_agents)
        obs, reward, terminated, truncated, info = self.env.step(joint)
        agents = self.possible_agents
        obs_d = dict(zip(agents, self._per_agent(obs)))
        if isinstance(reward, (list, tuple, np.ndarray)):
            rewards = dict(zip(agents, (float(r) for r in self._per_agent(reward))))
            self.team_reward = None
        else:
            rewards = {a: float(reward) for a in agents}
            self.team_reward = float(reward)
        terms = [bool(t) for t in self._per_agent(terminated)]
        truncs = [bool(t) for t in self._per_agent(truncated)]
        at_limit = self.time_limit is not None and self._t >= self.time_limit
        if at_limit:  # a done at the env's own time limit is a truncation (module docstring)
            truncs = [tr or te for tr, te in zip(truncs, terms)]
            terms = [False] * len(terms)
        term_d, trunc_d = dict(zip(agents, terms)), dict(zip(agents, truncs))
        if all(term_d[a] or trunc_d[a] for a in agents):
            self.agents = []
        infos = {a: info if isinstance(info, dict) else {} for a in agents}
        return obs_d, rewards, term_d, trunc_d, infos

    def render(self) -> Any:
        return self.env.render()


class GymVecEnv(ParallelVecEnv):
    """C copies of a gymnasium multi-agent env, read through `GymAsParallel`."""

    config: GymEnvConfig  # type: ignore[assignment]
    prefix = PREFIX

    @property
    def scenario_name(self) -> str:
        return self.prefix + self.config.env

    def _build_env(self) -> Any:
        module_name, env_id = self.config.env.split(":")
        import_module("gymnasium", self.scenario_name)
        import gymnasium

        import_module(module_name, self.scenario_name)
        try:
            env = gymnasium.make(env_id, disable_env_checker=True, **self.config.kwargs)
        except TypeError as exc:
            raise ValueError(f"scenario {self.scenario_name} rejects kwargs "
                             f"{self.config.kwargs}: {_first_line(exc)}") from exc
        except Exception as exc:  # noqa: BLE001 - unknown id, bad version, env's own errors
            raise ValueError(f"cannot make {env_id!r} for scenario {self.scenario_name}: "
                             f"{type(exc).__name__}: {_first_line(exc)}") from exc
        return GymAsParallel(env, self.scenario_name)

    def _episode_limit(self, probe: Any) -> int:
        if self.config.episode_limit:
            return int(self.config.episode_limit)
        return probe.time_limit or 100

    def _action_names(self, probe: Any, n_actions: int) -> tuple[str, ...]:
        """`action_names` or `get_action_meanings()` of the env, or the members of an
        `Action` enum in its module (lbforaging has one), else a0, a1, ..."""
        unwrapped = getattr(probe.env, "unwrapped", probe.env)
        names = getattr(unwrapped, "action_names", None)
        if names is None and callable(getattr(unwrapped, "get_action_meanings", None)):
            names = unwrapped.get_action_meanings()
        if names is None:
            enum = getattr(sys.modules.get(type(unwrapped).__module__), "Action", None)
            if isinstance(enum, type) and issubclass(enum, Enum):
                names = [member.name.lower() for member in enum]
        if isinstance(names, (list, tuple)) and len(names) == n_actions:
            return tuple(str(n) for n in names)
        return super()._action_names(probe, n_actions)

    def _team_reward(self, c: int, values: list[float]) -> float:
        scalar = getattr(self.envs[c], "team_reward", None)
        return super()._team_reward(c, values) if scalar is None else scalar
