"""`main.py [--scenario NAME] [--env NAME=VALUE ...]`: every scenario the CLI trains opens, a
bad one is one line on stderr and exit status 2, and the report file is strict JSON.

No module-scoped window here: `run_app` runs Qt's event loop until its window is the last
one closed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

FAKE = "pz:tests.envs.fake_parallel_env:make_env"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("argv, expected", [
    (["--scenario", "nope"], "error: unknown scenario 'nope'"),
    (["--scenario", FAKE, "--env", "episode_limit=abc"], "episode_limit"),
    (["--scenario", FAKE, "--env", "no_such_field=1"], "no_such_field"),
    (["--scenario", FAKE, "--env", "episode_limit"], "--env expects NAME=VALUE"),
    (["--scenario", "pz:tests.envs.fake_parallel_env:make_raises"], "licence server"),
    (["--scenario", "pz:tests.envs.fake_parallel_env:make_continuous"], "Discrete"),
    (["--scenario", "gym:lbforaging:Foraging-8x8-2p-2f-v3", "--env", "kwargs={\"bad\": 1}"],
     "bad"),
    (["--seed", "x"], "--seed"),
])
def test_run_app_refuses_a_bad_world_in_one_line(qapp, capsys, argv, expected):
    from app.main import run_app

    assert run_app(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err, err
    assert err.count("\n") == 1 and "Traceback" not in err, err


def test_main_py_refuses_a_bad_scenario_in_one_line():
    for argv in (["--scenario", "nope"], ["--scenario", FAKE, "--env", "reward=median"]):
        out = subprocess.run([sys.executable, "main.py", *argv], cwd=ROOT, capture_output=True,
                             text=True, timeout=120,
                             env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr


def test_run_app_opens_a_pz_world_and_reports_strict_json(qapp, monkeypatch, tmp_path):
    from PySide6.QtCore import QSettings

    from app.main import run_app

    report = tmp_path / "report.json"
    monkeypatch.setenv("QMIX_STUDIO_QUIT_AFTER", "1.5")
    monkeypatch.setenv("QMIX_STUDIO_REPORT", str(report))
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path))
    try:
        assert run_app(["--scenario", FAKE, "--env", "episode_limit=9"]) == 0
    finally:
        QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope,
                          os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")))

    def refuse(name):
        raise AssertionError(f"{name} in the report")

    data = json.loads(report.read_text(), parse_constant=refuse)
    assert data["scenario"] == FAKE and data["drawing"] == "vectors"
    assert data["exit_code"] == 0 and data["paints"] > 0
