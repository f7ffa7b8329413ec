"""`main.py inspect run.h5 --episode N [--json]`: the lines are the recorded steps (what the
window showed), the summary lists the kept episodes, a bad N is one line and status 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qmix import cli
from qmix.checkpoint import save_checkpoint
from qmix.config import make_config
from qmix.trainer import Trainer


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    trainer = Trainer(make_config("two_step", seed=2, n_envs=2, batch_size=4, learning_starts=4,
                                  buffer_size=16, eval_episodes=2, eval_interval=8))
    while trainer.updates < 3:
        trainer.train_iteration()
    path = tmp_path_factory.mktemp("replay") / "run.h5"
    save_checkpoint(trainer, path)
    return str(path), trainer.replays


def test_episode_json_lines_are_the_recorded_steps(saved, capsys):
    path, replays = saved
    for n in (0, len(replays) - 1):
        assert cli.main(["inspect", path, "--episode", str(n), "--json"]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        episode = replays[n]
        assert len(lines) == episode.length
        for t, (line, snap) in enumerate(zip(lines, episode.steps)):
            dec, ins = snap.decision, snap.inspection
            assert (line["episode"], line["kind"], line["number"], line["t"]) == \
                (n, episode.kind, episode.number, t)
            assert line["obs"] == dec.obs.tolist() and line["state"] == dec.state.tolist()
            assert line["avail_actions"] == dec.avail_actions.tolist()
            assert line["actions"] == dec.actions.tolist()
            assert np.array_equal(np.float32(line["agent_qs"]), ins.agent_qs)
            assert (line["q_tot_chosen"], line["q_tot_greedy"], line["v_s"]) == \
                (ins.q_tot_chosen, ins.q_tot_greedy, ins.v_s)
            assert np.array_equal(np.float32(line["credit"]), ins.credit)
            assert line["reward"] == episode.rewards[t]
    assert {replays[0].kind, replays[-1].kind} == {"train", "eval"}


def test_summary_lists_the_kept_episodes_and_the_table_reads(saved, capsys):
    path, replays = saved
    assert cli.main(["inspect", path]) == 0
    rows = json.loads(capsys.readouterr().out)["replays"]
    assert [(r["episode"], r["kind"], r["number"], r["steps"]) for r in rows] == \
        [(i, e.kind, e.number, e.length) for i, e in enumerate(replays)]
    assert rows[0]["title"] == replays[0].title
    assert cli.main(["inspect", path, "--episode", "0"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith(replays[0].title) and "Q_tot" in table[1]
    assert len(table) == 3 + replays[0].length


@pytest.mark.parametrize("n", ["999", "-1"])
def test_a_bad_episode_number_is_one_line_and_status_2(saved, capsys, n):
    path, replays = saved
    assert cli.main(["inspect", path, "--episode", n]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert f"no replay episode {n}" in err and f"0 to {len(replays) - 1}" in err
