"""The learning benchmark: one fresh training process per run, greedy returns beside random
play, one table and one JSON line."""

from __future__ import annotations

import json

import pytest

from qmix import study


def test_seed_ranges():
    assert study.parse_seeds("0-2") == [0, 1, 2]
    assert study.parse_seeds("0,3,5-6") == [0, 3, 5, 6]


def test_random_play_on_two_step_averages_its_payoffs():
    # uniform play: half the episodes in 2A (7), half in 2B (mean of [[0,1],[1,8]] = 2.5)
    assert study.random_return("two_step", {}, episodes=4000, seed=0) == pytest.approx(
        4.75, abs=0.15)


def test_a_study_of_two_step_reports_qmix_and_vdn(capsys):
    code = study.main(["--only", "two_step", "--seeds", "0", "--algos", "qmix,vdn", "--json",
                       "--jobs", "2"])
    assert code == 0
    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    rows = {row["algo"]: row for row in result["rows"]}
    assert rows["qmix"]["seeds"] == {"0": 8.0} and rows["vdn"]["seeds"] == {"0": 7.0}
    assert rows["qmix"]["random"] == pytest.approx(4.75, abs=0.5)
    assert all(run["eval_episodes"] >= 100 for run in result["runs"])
    table = "\n".join(out[:-1])
    assert "| two_step | qmix | 8.00 |" in table and "| two_step | vdn | 7.00 |" in table
