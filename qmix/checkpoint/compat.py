"""The one compatibility check: does a saved state fit a live trainer? Called before a file
is loaded into a run (`qmix.checkpoint.load_into`) and by `Trainer.load_state_dict` itself, so
no two places disagree about what fits. Every mismatch is one line naming it (and, for network
shapes, the config fields behind them, e.g. "hidden_dim 64 vs 32")."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

import numpy as np

from qmix.checkpoint.errors import CheckpointError
from qmix.checkpoint.format import to_json

if TYPE_CHECKING:  # pragma: no cover
    from qmix.trainer import Trainer

ARCHITECTURE_FIELDS = ("algo", "agent", "hidden_dim", "share_params", "obs_agent_id",
                       "obs_last_action", "mixing_embed_dim", "hypernet_embed", "optimizer")


def check_compatible(trainer: "Trainer", state: dict[str, Any], name: str = "checkpoint"
                     ) -> None:
    """Raise CheckpointError naming the first way `state` does not fit `trainer`."""
    saved_cfg, cfg = state["config"], trainer.config.to_dict()
    if saved_cfg["scenario"] != cfg["scenario"]:
        raise CheckpointError(f"{name} is a run of scenario {saved_cfg['scenario']!r}, but "
                              f"this run is scenario {cfg['scenario']!r}")
    saved_kwargs = _normal(saved_cfg.get("scenario_kwargs", {}))
    kwargs = _normal(cfg.get("scenario_kwargs", {}))
    if saved_kwargs != kwargs:
        key = sorted(k for k in set(saved_kwargs) | set(kwargs)
                     if saved_kwargs.get(k, "default") != kwargs.get(k, "default"))[0]
        raise CheckpointError(
            f"{name} has {cfg['scenario']} setting {key} = "
            f"{saved_kwargs.get(key, '(default)')}, but this run has "
            f"{kwargs.get(key, '(default)')}")
    info = _normal(dataclasses.asdict(trainer.info))
    saved_info = _normal(state["info"])
    for key in ("name", "n_agents", "n_actions", "obs_dim", "state_dim", "episode_limit"):
        if saved_info.get(key) != info.get(key):
            raise CheckpointError(f"{name} was saved with scenario {key} "
                                  f"{saved_info.get(key)}, but this run's scenario has "
                                  f"{info.get(key)}")
    if saved_cfg.get("algo") != cfg["algo"]:
        raise CheckpointError(f"{name} was trained with algo {saved_cfg.get('algo')!r}, but "
                              f"this run uses {cfg['algo']!r}")

    hint = ", ".join(f"{k} {saved_cfg.get(k)!r} vs {cfg[k]!r}" for k in ARCHITECTURE_FIELDS
                     if k in saved_cfg and saved_cfg[k] != cfg[k])
    hint = f" (checkpoint vs this run: {hint})" if hint else ""
    shapes = trainer.variable_shapes()
    live = trainer.learner.named_variables()
    saved = state["variables"]
    # The learner's variables are required. The rest (the NumPy actor's copy of the agent
    # weights, "actor/...") may be absent -- the trainer then refreshes them from the learner
    # -- but never half there.
    optional = [key for key in shapes if key not in live]
    required = [key for key in shapes if key in live or any(k in saved for k in optional)]
    for key in required:
        if key not in saved:
            raise CheckpointError(f"{name} lacks variable {key} that this run has{hint}")
    for key in saved:
        if key not in shapes:
            raise CheckpointError(f"{name} has variable {key} that this run does not{hint}")
    for key, shape in shapes.items():
        if key in saved and tuple(saved[key].shape) != tuple(shape):
            raise CheckpointError(f"network shapes differ: variable {key} is "
                                  f"{tuple(saved[key].shape)} in {name} but {tuple(shape)} "
                                  f"in this run{hint}")
    for key, var in live.items():
        if not np.can_cast(saved[key].dtype, var.dtype.as_numpy_dtype, "same_kind"):
            raise CheckpointError(f"variable {key} has dtype {saved[key].dtype} in {name}, "
                                  f"expected {var.dtype.name}")

    for key in ("train", "eval"):
        want = (trainer.rng if key == "train" else trainer.eval_rng).bit_generator.state
        if state["rng"][key].get("bit_generator") != want["bit_generator"]:
            raise CheckpointError(f"{name} has a {state['rng'][key].get('bit_generator')} "
                                  f"{key} RNG; this run uses {want['bit_generator']}")
    for key in trainer.history:
        if key not in state["history"]:
            raise CheckpointError(f"{name} is incomplete: it has no history/{key} dataset")
    if np.shape(state["reward_stats"]) != np.shape(trainer.reward_stats):
        raise CheckpointError(f"{name} has reward_stats of shape "
                              f"{np.shape(state['reward_stats'])}, expected "
                              f"{np.shape(trainer.reward_stats)}")

    if trainer.config.normalize_inputs:
        saved_norm = state.get("normalizer", {})
        for input_name, dim in (("obs", trainer.info.obs_dim), ("state", trainer.info.state_dim)):
            if input_name not in saved_norm:
                raise CheckpointError(f"{name} has no normalizer/{input_name} statistics, but "
                                      "this run normalises its inputs (normalize_inputs)")
            shape = np.shape(saved_norm[input_name]["lo"])
            if shape != (dim,) or np.shape(saved_norm[input_name]["hi"]) != (dim,):
                raise CheckpointError(f"{name} has normalizer/{input_name} statistics of shape "
                                      f"{shape}, but this run's {input_name} has {dim} features")

    if "buffer" in state:
        buf, live = state["buffer"], trainer.buffer
        if buf["size"] > live.capacity:
            raise CheckpointError(
                f"{name} holds {buf['size']} replay episodes, more than this run's buffer "
                f"capacity of {live.capacity} (buffer_size)")
        for key, arr in live.data.items():
            if key not in buf["data"]:
                raise CheckpointError(f"{name} is incomplete: its buffer has no {key}")
            got = buf["data"][key]
            if got.shape[1:] != arr.shape[1:]:
                raise CheckpointError(f"replay buffer {key} has episodes of shape "
                                      f"{got.shape[1:]} in {name} but {arr.shape[1:]} here")


def _normal(value: Any) -> Any:
    """JSON round trip: tuples become lists, so saved and live values compare equal."""
    return json.loads(to_json(value))
