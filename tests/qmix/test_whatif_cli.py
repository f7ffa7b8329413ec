"""`main.py inspect run.h5 --value-map AGENT` / `--mixer-surface I,J` (qmix/whatif_cli.py): the
JSON the issue specifies, consistent with the run's own inspection, and one-line errors."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from qmix import checkpoint, cli
from qmix.config import make_config
from qmix.trainer import Trainer
from qmix.whatif import WhatIf

TWO_STEP = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "v1_two_step.h5")


def saved_run(path, algo: str) -> str:
    trainer = Trainer(make_config("pursuit", algo=algo, n_envs=2, batch_size=4,
                                  learning_starts=4, buffer_size=16, async_updates=False,
                                  lr=3e-3, seed=4))
    while trainer.updates < 6:
        trainer.run_episode()
        for _ in range(3):
            trainer.update()
    checkpoint.save_checkpoint(trainer, path)
    trainer.close()
    return str(path)


@pytest.fixture(scope="module")
def qmix_file(tmp_path_factory) -> str:
    return saved_run(tmp_path_factory.mktemp("wi") / "qmix.h5", "qmix")


@pytest.fixture(scope="module")
def vdn_file(tmp_path_factory) -> str:
    return saved_run(tmp_path_factory.mktemp("wi") / "vdn.h5", "vdn")


def run_json(capsys, *argv: str) -> dict:
    assert cli.main(["inspect", *argv, "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1  # one JSON object
    return json.loads(out[0])


def test_value_map_json_agrees_with_the_run_and_with_separate_inspections(capsys, qmix_file):
    out = run_json(capsys, qmix_file, "--value-map", "2", "--at-step", "3")
    grid = out["grid"]
    assert len(grid) == 6 and all(len(row) == 6 for row in grid)
    r, c = out["agent_cell"]
    assert abs(grid[r][c] - out["q_tot_greedy"]) <= 1e-5
    trainer = checkpoint.trainer_from_checkpoint(qmix_file)
    wi = WhatIf.from_greedy_episode(trainer, seed=trainer.config.seed, at_step=3)
    standable = {tuple(x) for x in wi.standable_cells("agent", 2)}
    for row in range(6):
        for col in range(6):
            assert (grid[row][col] is None) == ((row, col) not in standable)
    assert 6 * 6 - sum(v is None for g in grid for v in g) == len(standable)
    for cell in list(standable)[:5]:  # each entry is a separate inspection of the moved state
        separate = WhatIf.from_greedy_episode(trainer, seed=trainer.config.seed, at_step=3)
        ins = separate.move("agent", 2, cell)
        assert abs(grid[cell[0]][cell[1]] - ins.q_tot_greedy) <= 1e-5
    trainer.close()


def test_at_step_0_the_real_q_tot_is_the_compiled_inspection_of_inspect_step(capsys, qmix_file):
    out = run_json(capsys, qmix_file, "--value-map", "0")
    compiled = checkpoint.summarize(qmix_file, with_step=True)["step"]["inspection"]
    assert abs(out["q_tot_greedy"] - compiled["q_tot_greedy"]) <= 2e-5
    assert out["greedy_actions"] == compiled["greedy_actions"]
    r, c = out["agent_cell"]
    assert abs(out["grid"][r][c] - compiled["q_tot_greedy"]) <= 2e-5


def test_mixer_surface_json_is_monotone_for_qmix(capsys, qmix_file):
    for step in ("0", "4"):
        out = run_json(capsys, qmix_file, "--mixer-surface", "0,2", "--at-step", step,
                       "--resolution", "15")
        grid = np.array(out["grid"])
        assert out["algo"] == "qmix" and grid.shape == (15, 15)
        assert np.all(np.diff(out["q_i"]) > 0) and np.all(np.diff(out["q_j"]) > 0)
        assert np.all(np.diff(grid, axis=0) >= 0) and np.all(np.diff(grid, axis=1) >= 0)
        assert out["point"]["q_tot"] == pytest.approx(out["q_tot_greedy"], abs=1e-5)


def test_mixer_surface_json_is_a_slope_one_plane_for_vdn(capsys, vdn_file):
    out = run_json(capsys, vdn_file, "--mixer-surface", "1,0", "--resolution", "9")
    grid, q_i, q_j = np.array(out["grid"]), np.array(out["q_i"]), np.array(out["q_j"])
    assert out["algo"] == "vdn"
    expect = grid[0, 0] + (q_i - q_i[0])[:, None] + (q_j - q_j[0])[None, :]
    np.testing.assert_allclose(grid, expect, rtol=0, atol=1e-9)


@pytest.mark.parametrize("argv, says", [
    (["--value-map", "3"], "agent must be an int in 0..2, got 3"),
    (["--mixer-surface", "0"], "--mixer-surface expects two agent indices I,J"),
    (["--mixer-surface", "1,1"], "needs two different agents"),
    (["--value-map", "0", "--at-step", "400"], "choose an earlier --at-step"),
    (["--value-map", "0", "--mixer-surface", "0,1"], "not both"),
])
def test_bad_requests_are_one_line(capsys, qmix_file, argv, says):
    assert cli.main(["inspect", qmix_file, *argv, "--json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and says in err[0], err


def test_a_world_without_placement_says_so(capsys):
    assert cli.main(["inspect", TWO_STEP, "--value-map", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: no what-if for this world (two_step): only grid worlds (pursuit, "
                   "foraging) can have agents and items moved by hand")


def test_the_mixer_surface_of_a_world_without_placement(capsys):
    assert cli.main(["inspect", TWO_STEP, "--mixer-surface", "0,1", "--resolution", "9",
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    grid, q_i, q_j = (np.array(out[k]) for k in ("grid", "q_i", "q_j"))
    assert out["algo"] == "qmix" and grid.shape == (9, 9)
    assert np.all(np.diff(q_i) > 0) and np.all(np.diff(q_j) > 0)
    assert np.all(np.diff(grid, axis=0) >= 0) and np.all(np.diff(grid, axis=1) >= 0)
