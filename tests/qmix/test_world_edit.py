"""The world editor's engine side (qmix/world_edit.py) and `--layout FILE`: an edited world
that fits the networks is trained on from the next step, one that does not is refused in one
line and the run is untouched."""

from __future__ import annotations

import json

import numpy as np
import pytest

from envs.layout import Layout, LayoutError
from qmix import checkpoint, cli
from qmix.config import make_config
from qmix.trainer import Trainer
from qmix.world_edit import apply_layout, check_fits, layout_of


def free_cell(layout: Layout) -> tuple[int, int]:
    taken = {tuple(x) for x in np.concatenate([layout.agents, layout.items])}
    return next((int(r), int(c)) for r, c in np.argwhere(~layout.walls)
                if (r, c) not in taken)


@pytest.fixture(scope="module")
def run() -> Trainer:
    trainer = Trainer(make_config("pursuit", n_envs=2, batch_size=4, learning_starts=4,
                                  buffer_size=16, async_updates=False, seed=2))
    for _ in range(3):
        trainer.run_episode()
        trainer.update()
    trainer.env_step()
    return trainer


def test_walls_keep_the_networks_and_the_run_trains_on_the_edited_world(run, tmp_path):
    counters = (run.env_steps, run.episodes, run.updates)
    weights = {k: v.numpy().copy() for k, v in run.learner.named_variables().items()}
    buffer = {k: v.copy() for k, v in run.buffer.data.items()}
    layout = layout_of(run)
    assert len(layout.agents) == 3 and layout.size == 6
    cell = free_cell(layout)
    layout = layout.edited("wall", cell)
    apply_layout(run, layout)
    assert (run.env_steps, run.episodes, run.updates) == counters
    for k, v in run.learner.named_variables().items():
        np.testing.assert_array_equal(v.numpy(), weights[k])
    for k, v in run.buffer.data.items():
        np.testing.assert_array_equal(v, buffer[k])
    assert run.config.scenario_kwargs["walls"][cell[0]][cell[1]] == "#"
    run.run_episode()  # the next rollout is on the edited world
    assert run.snapshot().frame["walls"][cell] and run.env_steps > counters[0]
    pos = run.env.positions(0)["agents"]
    assert not run.env.snapshot(0)["walls"][pos[:, 0], pos[:, 1]].any()
    path = tmp_path / "edited.h5"
    checkpoint.save_checkpoint(run, path)
    again = checkpoint.trainer_from_checkpoint(path)  # reopens on the edited world
    assert again.env.snapshot(0)["walls"][cell]
    again.close()


def test_a_prey_more_needs_a_new_run_and_changes_nothing(run):
    env, config = run.env, run.config
    layout = layout_of(run)
    more = layout.edited("item", free_cell(layout))
    with pytest.raises(LayoutError, match="^a new run is needed: the networks were built for "
                                          "state size 12, the edited world has 15$"):
        apply_layout(run, more)
    assert run.env is env and run.config is config
    with pytest.raises(LayoutError, match="this run is pursuit, the layout is foraging"):
        check_fits(run, Layout("foraging", np.zeros((8, 8), bool)))


def test_train_and_inspect_take_a_layout_file(tmp_path, capsys):
    path = tmp_path / "pillars.txt"
    path.write_text("; pillars, 4 agents\nA.....A\n.#.#.#.\n...P...\n.#.#.#.\n...P...\n"
                    ".#.#.#.\nA.....A\n")
    save = tmp_path / "run.h5"
    assert cli.main(["train", "--layout", str(path), "--steps", "60", "--quiet", "--json",
                     "--save", str(save), "--set", "n_envs=2", "--set", "eval_episodes=2",
                     "--set", "batch_size=4", "--set", "learning_starts=4"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["scenario"] == "pursuit"
    kwargs = checkpoint.read_config(str(save))["scenario_kwargs"]
    assert kwargs["grid_size"] == 7 and kwargs["n_agents"] == 4 and kwargs["n_prey"] == 2
    assert kwargs["walls"][1] == ".#.#.#."
    assert cli.main(["train", "--layout", str(path), "--scenario", "foraging",
                     "--steps", "10", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {path.name} is a pursuit layout, not a foraging one"
    assert cli.main(["train", "--layout", str(tmp_path / "none.txt"), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read layout none.txt")
