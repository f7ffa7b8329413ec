"""Scenario registry: build any scenario by name with keyword overrides of its config.

Why a registry: the GUI's scenario menu, the CLI's `--scenario` flag and checkpoints (which
store the scenario name and its config as JSON) all need the same name -> (config, class)
mapping, and they must all fail the same, readable way on a typo.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from typing import Any

from envs.base import VecEnv
from envs import gym_env, parallel_env
from envs.foraging import ForagingConfig, ForagingVecEnv
from envs.gym_env import GymEnvConfig, GymVecEnv
from envs.parallel_env import ParallelEnvConfig, ParallelVecEnv
from envs.pursuit import PursuitConfig, PursuitVecEnv
from envs.two_step import TwoStepConfig, TwoStepVecEnv

DEFAULT_SCENARIO = "pursuit"
"""The scenario the app opens with: learns visibly within about a minute on a laptop CPU."""

_SCENARIOS: dict[str, tuple[Callable[[], Any], Callable[..., VecEnv]]] = {
    "pursuit": (PursuitConfig, PursuitVecEnv),
    "foraging": (ForagingConfig, ForagingVecEnv),
    "two_step": (TwoStepConfig, TwoStepVecEnv),
}


def scenario_names() -> list[str]:
    """Registered scenario names, default first (the order a menu should show them in)."""
    return list(_SCENARIOS)


def _lookup(name: str) -> tuple[Callable[[], Any], Callable[..., VecEnv]]:
    # A user's world: the name says how to build it, so checkpoints reload it by name.
    if name.startswith(parallel_env.PREFIX):
        factory = name[len(parallel_env.PREFIX):]
        return (lambda: ParallelEnvConfig(factory=factory)), ParallelVecEnv
    if name.startswith(gym_env.PREFIX):
        env = name[len(gym_env.PREFIX):]
        return (lambda: GymEnvConfig(env=env)), GymVecEnv
    if name not in _SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose one of: {', '.join(_SCENARIOS)}"
                         f", pz:MODULE:FACTORY (a PettingZoo ParallelEnv) or gym:MODULE:ENV_ID "
                         f"(a gymnasium multi-agent env)")
    return _SCENARIOS[name]


def default_config(name: str) -> Any:
    """A fresh instance of the scenario's config dataclass with its default values."""
    config_cls, _ = _lookup(name)
    return config_cls()


def make(name: str, n_envs: int = 1, **overrides: Any) -> VecEnv:
    """Build `n_envs` lock-stepped copies of scenario `name`, config fields overridden.

    Unknown scenario names and unknown override keys raise ValueError listing what is
    valid; the resulting config is validated (ValueError naming the bad field).
    """
    config_cls, env_cls = _lookup(name)
    config = config_cls()
    valid = [f.name for f in dataclasses.fields(config)]
    for key in overrides:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(f"unknown option {key!r} for scenario {name!r}; {hint}valid "
                             f"options: {', '.join(valid)}")
    config = dataclasses.replace(config, **overrides)
    config.validate()
    return env_cls(config, n_envs=n_envs)
