"""The headless CLI: every user error is one line on stderr and exit status 2, never a
traceback; JSON output is strict JSON (no Infinity/NaN)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from qmix import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAKE = "pz:tests.envs.fake_parallel_env"


def _error(capsys, *argv: str) -> str:
    code = cli.main(["train", "--quiet", "--steps", "50", *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("argv, says", [
    (["--set", "lr=abc"], "config.lr must be a finite number, got 'abc'"),
    (["--set", "hidden_dim=1.5"], "config.hidden_dim must be a whole number, got 1.5"),
    (["--set", "share_params=maybe"], "config.share_params must be true or false"),
    (["--set", "batch_size=abc"], "config.batch_size must be a whole number"),
    (["--set", "batchsize=32"], "unknown config field 'batchsize'; did you mean 'batch_size'?"),
    (["--set", "lr"], "--set expects NAME=VALUE"),
    (["--env", "grid_sise=7"], "did you mean 'grid_size'?"),
    (["--scenario", "nope"], "unknown scenario 'nope'"),
    (["--set", "buffer_size=100000000"], "GB of memory is available: lower buffer_size"),
])
def test_bad_settings_are_one_line_naming_the_field(capsys, argv, says):
    assert says in _error(capsys, *argv)


@pytest.mark.parametrize("factory, says", [
    ("make_not_an_env", "built a dict, not a PettingZoo ParallelEnv"),
    ("make_continuous", "only Discrete action spaces are supported"),
    ("make_multidiscrete", "only Discrete action spaces are supported"),
    ("make_raises", "failed to build: RuntimeError: the simulator licence server"),
    ("make_needs_args", "cannot be built without arguments"),
    ("nothing_here", "has no callable 'nothing_here'"),
])
def test_foreign_envs_that_do_not_fit_are_one_line(capsys, factory, says):
    assert says in _error(capsys, "--scenario", f"{FAKE}:{factory}")


def test_kwargs_the_env_rejects_are_one_line(capsys):
    line = _error(capsys, "--scenario", f"{FAKE}:make_env", "--env", 'kwargs={"colour": 1}')
    assert "cannot be built with kwargs {'colour': 1}" in line


def test_a_gym_env_that_does_not_exist_is_one_line(capsys):
    line = _error(capsys, "--scenario", "gym:lbforaging:Foraging-3x3-9p-9f-v3")
    assert "cannot make 'Foraging-3x3-9p-9f-v3'" in line


def test_python_style_booleans_are_accepted():
    args = cli.build_parser().parse_args(["train", "--set", "share_params=False"])
    assert cli.config_from_args(args).share_params is False


def test_json_has_no_infinity_for_a_world_without_solved_threshold(capsys):
    code = cli.main(["train", "--quiet", "--json", "--scenario", f"{FAKE}:make_env",
                     "--steps", "64", "--set", "n_envs=2", "--set", "batch_size=4",
                     "--set", "learning_starts=4", "--env", "episode_limit=8"])
    assert code == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON output: {line}")

    result = json.loads(line, parse_constant=refuse)
    assert result["solved_return"] is None and result["solved"] is False


def test_a_user_error_prints_no_traceback_from_a_real_process():
    proc = subprocess.run([sys.executable, "main.py", "train", "--set", "share_params=maybe"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: config.share_params must be true or false, got 'maybe'"]
