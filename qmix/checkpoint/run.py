"""Checkpoints and live runs: save a trainer, load a file into one, build one from a file,
summarise a file (`main.py inspect`)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from qmix.checkpoint.compat import check_compatible
from qmix.checkpoint.errors import CheckpointError, one_line as _one_line
from qmix.checkpoint.files import read_checkpoint, save_state
from qmix.memory import release_freed_memory

if TYPE_CHECKING:  # pragma: no cover
    from qmix.trainer import Trainer


def save_checkpoint(trainer: "Trainer", path: str | os.PathLike[str],
                    include_buffer: bool = False) -> None:
    """Save the whole run atomically. Best taken at a rollout boundary (the CLI does): the
    in-flight rollout is not saved, and a resumed run starts a fresh rollout. The state's
    copies are given back to the OS afterwards (qmix/memory.py: they stayed resident)."""
    try:
        save_state(trainer.state_dict(include_buffer=include_buffer), path)
    finally:
        release_freed_memory()


def load_into(trainer: "Trainer", path: str | os.PathLike[str]) -> None:
    """Load a checkpoint into a live trainer.

    Everything is read and checked against this trainer (scenario, algorithm, network shapes,
    replay capacity) before any variable is assigned; on any problem a CheckpointError is
    raised and the trainer is unchanged. A checkpoint without a replay buffer empties the
    trainer's buffer (the loaded run continues from what it saved, whatever ran before).
    """
    state = read_checkpoint(path)
    try:
        _load_state(trainer, state, os.path.basename(os.fspath(path)))
    finally:
        del state
        release_freed_memory()  # the file's arrays, copied in (qmix/memory.py)


def trainer_from_checkpoint(path: str | os.PathLike[str]) -> "Trainer":
    """Build a Trainer from the saved config, then load the run into it."""
    from qmix.config import Config

    state = read_checkpoint(path)
    name = os.path.basename(os.fspath(path))
    try:
        config = Config.from_dict(state["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{name} holds a config this version cannot use: "
                              f"{_one_line(exc)}") from None
    from qmix.trainer import Trainer  # imports TensorFlow

    try:
        trainer = Trainer(config)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{name} needs scenario {config.scenario!r} with "
                              f"{config.scenario_kwargs or 'default settings'}, which this "
                              f"version cannot build: {_one_line(exc)}") from None
    _load_state(trainer, state, name)
    return trainer


def _load_state(trainer: "Trainer", state: dict[str, Any], name: str) -> None:
    check_compatible(trainer, state, name)
    state = dict(state)
    if "buffer" not in state:
        state["buffer"] = {"size": 0, "pos": 0,
                           "data": {k: v[:0] for k, v in trainer.buffer.data.items()}}
    backup = trainer.state_dict(include_buffer=True)
    try:
        trainer.load_state_dict(state)
    except Exception as exc:  # noqa: BLE001 - validated above; never leave a half-loaded model
        trainer.load_state_dict(backup)
        raise CheckpointError(f"{name} could not be loaded: {_one_line(exc)}") from exc


def summarize(path: str | os.PathLike[str], with_step: bool = False) -> dict[str, Any]:
    """What a run is and how far it got, for `main.py inspect` and the GUI's Open dialog.

    with_step adds one step's inspection: the greedy first decision of a fresh evaluation
    episode (seeded with the run's seed), seen through the loaded networks (needs TensorFlow;
    the acting itself is the trainer's, `Trainer.first_greedy_step`).
    """
    from qmix.replay_cli import summary_rows

    state = read_checkpoint(path)
    config, info, meta = state["config"], state["info"], state["meta"]
    online = {k: v for k, v in state["variables"].items() if k.startswith("online/")}
    summary: dict[str, Any] = {
        "path": meta["path"],
        "file_size": meta["file_size"],
        "created": meta["created"],
        "format_version": meta["format_version"],
        "scenario": info["name"],
        "scenario_kwargs": config.get("scenario_kwargs", {}),
        "algo": config["algo"],
        "agent": config.get("agent"),
        "seed": config.get("seed"),
        **state["counters"],
        "epsilon": state["epsilon"],
        "last_eval": state["last_eval"],
        "solved": state["solved"],
        "solved_return": info["solved_return"],
        "optimal_return": info["optimal_return"],
        "last_metrics": state["last_metrics"],
        "parameters": int(sum(v.size for v in online.values())),
        "buffer_episodes": state["buffer"]["size"] if "buffer" in state else None,
        "replays": summary_rows(state.get("replays", [])),  # `inspect --episode N` prints one
    }
    if with_step:
        trainer = trainer_from_checkpoint(path)
        snap = trainer.first_greedy_step(seed=int(trainer.config.seed))
        summary["step"] = {"t": 0, "obs": snap.decision.obs.tolist(),
                           "state": snap.decision.state.tolist(),
                           "action_names": list(trainer.info.action_names),
                           "inspection": snap.inspection.to_json()}
    return summary
