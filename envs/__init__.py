"""QMIX Studio grid worlds: cooperative multi-agent scenarios with a vectorised, SMAC-style API.

NumPy only (pygame only inside `envs.render`, imported on demand), so `qmix` and headless
runs never pay for a display stack. Start with `make(DEFAULT_SCENARIO, n_envs=8)`.
"""

from envs.base import EnvInfo, TimeStep, VecEnv
from envs.placement import NoWhatIf, PlacementError, supports_whatif
from envs.registry import DEFAULT_SCENARIO, default_config, make, scenario_names

__all__ = [
    "DEFAULT_SCENARIO",
    "EnvInfo",
    "NoWhatIf",
    "PlacementError",
    "TimeStep",
    "VecEnv",
    "default_config",
    "make",
    "scenario_names",
    "supports_whatif",
]
