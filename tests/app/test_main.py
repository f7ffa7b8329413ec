"""`main.py [--scenario NAME] [--env NAME=VALUE ...]` (app/main.py): every scenario the CLI
trains opens, a bad one is one line on stderr and exit status 2, and the report file is strict
JSON; nothing in app/ imports TensorFlow (the window is up before it); presentation mode and
the light theme from the command line.

No module-scoped window here: `run_app` runs Qt's event loop until its window is the last
one closed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import QSettings

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


def test_main_py_without_a_display_says_so_in_one_line():
    """Qt would abort (SIGABRT) after a misleading line about libxcb-cursor0."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "main.py", "--scenario", "two_step"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the app needs a display"), out.stderr
    assert "xvfb-run" in lines[0] and "train" in lines[0]


def test_no_display_is_none_with_a_display_or_a_platform_plugin():
    from app.main import no_display

    assert no_display({"DISPLAY": ":0"}) is None  # this machine has the plugin's libraries
    assert no_display({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert no_display({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert "needs a display" in no_display({})  # the project's platform is Linux
    assert "needs a display" in no_display({"QT_QPA_PLATFORM": "xcb",
                                            "WAYLAND_DISPLAY": "wayland-0"})


def test_a_missing_library_of_qts_x11_plugin_is_named_with_its_package():
    from app.main import no_display

    def missing(soname):
        def load(path):
            assert path.endswith("libqxcb.so")
            raise OSError(f"{soname}: cannot open shared object file: No such file or directory")
        return load

    line = no_display({"DISPLAY": ":0"}, load=missing("libxkbcommon-x11.so.0"))
    assert line.startswith("Qt's X11 plugin cannot load: libxkbcommon-x11.so.0 is missing")
    assert "libxkbcommon-x11-0" in line and "\n" not in line
    line = no_display({"DISPLAY": ":0"}, load=missing("libfoo.so.9"))
    assert "libfoo.so.9 cannot be loaded" in line


def test_run_app_opens_a_pz_world_and_reports_strict_json(qapp, monkeypatch, tmp_path):
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


def test_app_modules_do_not_import_tensorflow():
    # every module of the app (app.window, app.worker, app.inspector, app.plots, ...)
    code = ("import importlib, pkgutil, sys, app; "
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(app.__path__, "
            "'app.')]; print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_run_app_rejects_an_unknown_scenario(qapp, capsys):
    from app.main import run_app

    assert run_app(["--scenario", "no_such_world"]) == 2
    assert "no_such_world" in capsys.readouterr().err


def test_run_app_opens_in_presentation_mode_and_quits_cleanly(qapp, monkeypatch, tmp_path):
    from app.main import run_app

    monkeypatch.setenv("QMIX_STUDIO_QUIT_AFTER", "1.0")
    # keep the app's recent-files/autosave settings out of the real user config
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path))
    started = time.perf_counter()
    try:
        assert run_app(["--scenario", "two_step", "--theme", "light", "--presentation"]) == 0
    finally:
        QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope,
                          os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")))
    assert time.perf_counter() - started < 60


def test_run_app_opens_a_study_folder_on_the_study_page(qapp, monkeypatch, tmp_path):
    from study_helpers import make_study

    from app.main import run_app

    study = str(tmp_path / "study")
    make_study(study)
    report = tmp_path / "report.json"
    monkeypatch.setenv("QMIX_STUDIO_QUIT_AFTER", "1.0")
    monkeypatch.setenv("QMIX_STUDIO_REPORT", str(report))
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path))
    try:
        assert run_app(["--scenario", "two_step"], load_path=study) == 0
    finally:
        QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope,
                          os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")))
    data = json.loads(report.read_text())
    assert data["study"] == study and data["exit_code"] == 0 and data["error"] is None


def test_run_app_refuses_a_folder_that_is_no_study(qapp, capsys, tmp_path):
    from app.main import run_app

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "sweep.json").write_text("{}")  # a sweep.json but no runs
    assert run_app([], load_path=str(broken)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "holds no runs" in err and err.count("\n") == 1
