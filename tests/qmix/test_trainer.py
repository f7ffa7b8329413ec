"""The Trainer: determinism, snapshots and inspection, CLI behaviour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qmix import cli
from qmix.config import make_config
from qmix.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]


def small(scenario: str = "two_step", **kw):
    return make_config(scenario, **kw)


def weights(trainer: Trainer) -> dict[str, np.ndarray]:
    trainer.finish_updates()  # a background round may still be writing the variables
    return {k: v.numpy() for k, v in trainer.learner.named_variables().items()}


def run_updates(trainer: Trainer, n: int) -> None:
    while trainer.updates < n:
        trainer.train_iteration()


def test_same_seed_same_run_bit_for_bit():
    a, b = Trainer(small(seed=3)), Trainer(small(seed=3))
    run_updates(a, 6)
    run_updates(b, 6)
    assert a.env_steps == b.env_steps and a.episodes == b.episodes
    wa, wb = weights(a), weights(b)
    for key in wa:
        assert np.array_equal(wa[key], wb[key]), key
    c = Trainer(small(seed=4))
    run_updates(c, 6)
    assert not np.array_equal(weights(c)["online/agent/fc1/w"], wa["online/agent/fc1/w"])


def test_pursuit_rollouts_fill_the_buffer_with_masked_padding():
    trainer = Trainer(small("pursuit", n_envs=4, buffer_size=64, batch_size=4,
                            learning_starts=4))
    trainer.run_episode()
    buf = trainer.buffer
    assert buf.size == 4
    filled = buf.data["filled"][:4]
    lengths = filled.sum(1)
    # filled is a prefix of ones: the steps that happened, then padding
    for row, n in zip(filled, lengths):
        assert row[: int(n)].all() and not row[int(n):].any()
    assert trainer.env_steps == int(lengths.sum())
    # the stored obs of consecutive steps differ (no aliasing of the env's live buffers)
    assert not np.array_equal(buf.data["obs"][0, 0], buf.data["obs"][0, 1]) or lengths[0] < 2
    assert trainer.update() is not None and trainer.updates == 1


def test_update_is_refused_until_the_buffer_has_a_batch():
    trainer = Trainer(small(learning_starts=64, batch_size=32))
    assert trainer.update() is None
    assert trainer.updates == 0


@pytest.mark.parametrize("algo", ["qmix", "vdn", "iql"])
def test_snapshot_inspection_agrees_with_the_actor(algo):
    trainer = Trainer(small("pursuit", algo=algo, n_envs=2, batch_size=4, learning_starts=4,
                            buffer_size=16))
    for _ in range(3):
        trainer.run_episode()
        trainer.update()
    trainer.env_step()
    snap = trainer.snapshot()
    dec, ins = snap.decision, snap.inspection
    assert dec is not None and ins is not None
    np.testing.assert_allclose(ins.agent_qs, dec.agent_qs, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(ins.greedy_actions, dec.greedy_actions)
    np.testing.assert_array_equal(ins.chosen_actions, dec.actions)
    assert ins.agent_qs.shape == (trainer.info.n_agents, trainer.info.n_actions)
    if algo == "qmix":
        assert (ins.credit >= 0).all()
    else:
        np.testing.assert_allclose(ins.credit, 1.0)  # a sum weighs every agent by one
        chosen = ins.agent_qs[np.arange(len(dec.actions)), dec.actions].sum()
        assert ins.q_tot_chosen == pytest.approx(float(chosen), rel=1e-5, abs=1e-5)
    greedy_q = ins.agent_qs[np.arange(len(dec.actions)), ins.greedy_actions]
    if algo != "qmix":
        assert ins.q_tot_greedy == pytest.approx(float(greedy_q.sum()), rel=1e-5, abs=1e-5)
    assert snap.frame["scenario"] == "pursuit"
    assert snap.env_steps == trainer.env_steps and snap.updates == trainer.updates


def test_two_agent_table_holds_q_tot_of_every_joint_action():
    trainer = Trainer(small())
    run_updates(trainer, 4)
    trainer.env_step() if trainer.pending_decision() is None else None
    snap = trainer.snapshot()
    ins = snap.inspection
    assert ins is not None and ins.q_tot_table is not None
    a0, a1 = snap.decision.actions
    assert ins.q_tot_table[a0, a1] == pytest.approx(ins.q_tot_chosen, rel=1e-5, abs=1e-5)
    g0, g1 = ins.greedy_actions
    assert ins.q_tot_table[g0, g1] == pytest.approx(ins.q_tot_greedy, rel=1e-5, abs=1e-5)
    # monotonic mixing: the greedy joint action is the table's maximum
    assert ins.q_tot_greedy == pytest.approx(ins.q_tot_table.max(), rel=1e-5, abs=1e-5)


def test_learned_qmix_values_the_optimal_joint_action_at_eight():
    trainer = Trainer(small(seed=0))
    trainer.train(trainer.config.total_env_steps)
    seen = []
    trainer.evaluate(episodes=1, watch=seen.append)
    assert trainer.last_eval == pytest.approx(8.0)
    second = [s for s in seen if s.t == 1 and s.inspection is not None][0]
    assert second.frame["state_name"] == "2B" if "state_name" in second.frame else True
    table = second.inspection.q_tot_table
    assert abs(table[1, 1] - 8.0) < 0.5
    assert abs(second.inspection.q_tot_greedy - 8.0) < 0.5
    np.testing.assert_allclose(second.true_joint_values, [[0, 1], [1, 8]])


def _cli_json(capsys, *args: str) -> dict:
    code = cli.main(["train", *args, "--json", "--quiet"])
    assert code == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize("algo,expected", [("qmix", 8.0), ("vdn", 7.0)])
def test_two_step_through_the_cli_every_seed(capsys, algo, expected):
    """QMIX paper §5: QMIX learns the optimal 8, VDN cannot represent it and settles at 7."""
    returns = []
    for seed in range(10):
        out = _cli_json(capsys, "--scenario", "two_step", "--algo", algo, "--seed", str(seed))
        returns.append(out["eval_return"])
        assert out["env_steps"] <= 4_000 and out["updates"] > 0
        assert set(out) >= {"eval_return", "env_steps", "updates", "wall_s", "solved"}
    assert returns == [expected] * 10


def test_cli_bad_input_is_one_line_error(capsys):
    assert cli.main(["train", "--scenario", "nope", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "nope" in err and "\n" not in err
    assert cli.main(["train", "--set", "lr=-1", "--quiet"]) == 2
    assert "lr" in capsys.readouterr().err
    assert cli.main(["train", "--scenario", "pursuit", "--env", "grid_size=2", "--quiet"]) == 2
    assert "grid_size" in capsys.readouterr().err


def test_main_py_train_runs_headless_and_prints_json(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, "main.py", "train", "--scenario", "two_step", "--steps", "800",
         "--json", "--logdir", str(tmp_path / "tb")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["env_steps"] >= 800 and result["updates"] > 0
    assert "step" in proc.stderr  # the progress bar
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))
    help_out = subprocess.run([sys.executable, "main.py", "train", "--help"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert help_out.returncode == 0 and "td_lambda" in help_out.stdout


@pytest.mark.parametrize("async_updates", [True, False])
def test_state_dict_resume_matches_an_uninterrupted_run(async_updates):
    cfg = small("pursuit", n_envs=2, batch_size=4, learning_starts=4, buffer_size=32,
                async_updates=async_updates, seed=5, eval_interval=60)
    straight = Trainer(cfg)
    run_updates(straight, 4)
    state = straight.state_dict(include_buffer=True)  # saving must not perturb the run
    run_updates(straight, 9)
    resumed = Trainer(cfg)
    resumed.load_state_dict(state)
    run_updates(resumed, 9)
    assert resumed.env_steps == straight.env_steps
    wa, wb = weights(straight), weights(resumed)
    for key in wa:
        assert np.array_equal(wa[key], wb[key]), key
    assert resumed.history["loss"] == straight.history["loss"]
    assert resumed.history["eval_return"] == straight.history["eval_return"]


def test_qmix_solves_the_default_pursuit_scenario_within_a_step_budget(capsys):
    """The default scenario is the demo: QMIX must solve it (greedy return >= 18 of 20)."""
    out = _cli_json(capsys, "--scenario", "pursuit", "--seed", "0", "--until-solved",
                    "--steps", "200000")
    assert out["solved"] and out["eval_return"] >= 18.0
    assert out["env_steps"] <= 200_000


def test_qmix_learns_level_based_foraging_well_above_random_play(capsys):
    """The field's benchmark, through gym:, with the default settings: nothing tuned to it."""
    from qmix.study import random_return

    scenario = "gym:lbforaging:Foraging-8x8-2p-2f-v3"
    out = _cli_json(capsys, "--scenario", scenario, "--seed", "0", "--steps", "150000",
                    "--final-eval-episodes", "128")
    random = random_return(scenario, {}, episodes=320)  # ~0.2: random walkers load some food
    assert out["eval_episodes"] == 128 and out["env_steps"] <= 150_000 + 400
    assert out["eval_return"] >= max(0.3, 1.5 * random), (out["eval_return"], random)


def test_a_users_parallel_env_trains_through_the_cli(capsys):
    out = _cli_json(capsys, "--scenario", "pz:tests.envs.fake_parallel_env:make_env",
                    "--env", "episode_limit=10", "--steps", "6000",
                    "--set", "eps_anneal_steps=3000", "--set", "target_update_interval=50",
                    "--set", "updates_per_rollout=2")
    assert out["eval_return"] == pytest.approx(1.0)  # the greedy pair always meets


def test_tensorflow_loads_without_keras_and_keras_still_loads_after():
    code = ("import sys\nfrom qmix.trainer import configure_tensorflow\n"
            "tf = configure_tensorflow()\nprint('keras' in sys.modules)\n"
            "print(float(tf.function(lambda a: tf.reduce_sum(a))(tf.ones([3]))))\n"
            "import keras\nprint(tf.keras.layers.Dense.__name__)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["False", "3.0", "Dense"]
