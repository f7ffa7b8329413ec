"""The command (app/launcher.py; `qmix-studio` when installed, `main.py` here): headless
commands never import Qt, the app's --help needs no display, main.py is only a shim."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBE = ("import sys; from app.launcher import main; code = main({argv!r}); "
         "print(); print(code, any(m.split('.')[0] == 'PySide6' for m in sys.modules))")


def run(argv, **env):
    return subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": ROOT, **env})


def test_train_runs_headless_without_qt(tmp_path):
    out = run(["train", "--scenario", "two_step", "--steps", "100", "--json"])
    assert out.returncode == 0, out.stderr[-2000:]
    *report, verdict = out.stdout.strip().splitlines()
    assert verdict == "0 False"
    assert json.loads(report[0])["scenario"] == "two_step"


def test_inspect_error_is_one_line_without_qt(tmp_path):
    out = run(["inspect", str(tmp_path / "missing.h5")])
    assert out.stdout.strip().splitlines()[-1] == "2 False"
    assert out.stderr.strip().startswith("error: ") and out.stderr.strip().count("\n") == 0


def test_help_needs_no_display():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "main.py", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=env)
    assert out.returncode == 0 and "--scenario" in out.stdout and "--presentation" in out.stdout


def test_every_command_of_the_cli_runs_headless():
    import argparse

    from app.launcher import HEADLESS
    from qmix.cli import build_parser

    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) <= set(HEADLESS)


def test_main_py_is_a_shim():
    with open(os.path.join(ROOT, "main.py"), encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    assert len(lines) <= 5 and any("app.launcher" in line for line in lines)


def test_a_path_that_is_no_run_or_study_is_one_line_exit_2_without_qt(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.txt").write_text("not a study")
    for path, expected in ((tmp_path / "missing", "no such file or folder"),
                           (plain, "not a study: it has no sweep.json")):
        out = run([str(path)])
        assert out.stdout.strip().splitlines()[-1] == "2 False", out.stderr  # before Qt
        err = out.stderr.strip()
        assert err.startswith("error: ") and expected in err and str(path) in err, err
        assert err.count("\n") == 0 and "Traceback" not in err
    main_py = subprocess.run([sys.executable, "main.py", str(plain)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert main_py.returncode == 2 and main_py.stderr.startswith("error: ")
    assert main_py.stderr.count("\n") == 1
