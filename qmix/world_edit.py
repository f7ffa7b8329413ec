"""The world editor's engine side: switch a run to an edited layout when its networks still
fit the world, or say in one line that a new run is needed (envs/layout.py has the document,
its file format and the edits). No Qt, no TensorFlow import of its own.

What "fits" means: the same agents, actions, observation size, state size and episode limit
(`envs.layout.fit_problem`): the networks, the replay buffer and the normalisers are all sized
by those. In pursuit walls and grid size keep every one of them (obs is the view patch,
state is positions), so the run keeps training on the edited walls; a prey more or less
changes the state size, an agent more or less everything.

What switching does: the run's env and evaluation env are rebuilt with the layout's settings
(`Config.scenario_kwargs` records them, so a checkpoint saved afterwards reopens on the
edited world); the episodes in flight end without being stored (a rollout cannot be half
one world and half another), and the next step starts a new rollout there, from the
scenario's own random placement on the edited walls. Nothing else of the run changes:
counters, buffer, weights, normalisers, generators.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import envs
from envs.layout import Layout, LayoutError, fit_problem


def layout_of(trainer: Any) -> Layout:
    """The layout of the world on screen (copy 0 of the training env)."""
    return Layout.of_env(trainer.env, 0)


def check_fits(trainer: Any, layout: Layout) -> dict[str, Any]:
    """The scenario kwargs of `layout` for this run; LayoutError if the layout is invalid or
    the run's networks do not fit it ("a new run is needed: ...")."""
    config = trainer.config
    if config.scenario != layout.scenario:
        raise LayoutError(f"a new run is needed: this run is {config.scenario}, the layout "
                          f"is {layout.scenario}")
    kwargs = layout.settings(config.scenario_kwargs)
    layout.check(config.scenario_kwargs)
    probe = envs.make(config.scenario, n_envs=1, **kwargs)
    problem = fit_problem(trainer.info, probe.info)
    if problem is not None:
        raise LayoutError(problem)
    return kwargs


def apply_layout(trainer: Any, layout: Layout) -> None:
    """Switch the run to `layout` (see the module docstring); on LayoutError the run is
    untouched."""
    kwargs = check_fits(trainer, layout)
    config = trainer.config
    env = envs.make(config.scenario, n_envs=config.n_envs, **kwargs)
    eval_env = envs.make(config.scenario, n_envs=config.n_envs, **kwargs)
    trainer.config = dataclasses.replace(config, scenario_kwargs=kwargs)
    trainer.env, trainer.eval_env = env, eval_env
    trainer._rollout = None  # the episodes in flight end, unstored
    trainer._executed0 = None


def layout_settings(path: str, scenario: str | None, base: dict[str, Any] | None = None
                    ) -> tuple[str, dict[str, Any]]:
    """(scenario, scenario kwargs) for `--layout FILE`: the file's world (checked against
    `scenario` when one was named) and its settings over `base`."""
    layout = Layout.read(path, scenario if scenario in ("pursuit", "foraging") else None)
    if scenario is not None and scenario != layout.scenario:
        raise LayoutError(f"--layout {path} is a {layout.scenario} layout, but the scenario is "
                          f"{scenario}")
    layout.check(base)
    return layout.scenario, layout.settings(base)
