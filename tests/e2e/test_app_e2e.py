"""End to end: the real `python main.py` in a real X server (Xvfb), as a user would start it.

Play is pressed through the test hook QMIX_STUDIO_AUTOPLAY=1 (xdotool is not assumed);
progress is read from the app's QMIX_STUDIO_REPORT file; the screenshot is ImageMagick's
`import -window root`; the app is closed with SIGTERM, which it handles like the close button.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
XVFB_DEPS = "apt-get install xvfb imagemagick libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"


def free_display() -> int:
    for n in range(99, 199):
        if not os.path.exists(f"/tmp/.X{n}-lock") and \
                not os.path.exists(f"/tmp/.X11-unix/X{n}"):
            return n
    raise RuntimeError("no free X display number in :99..:198")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    # On a developer's machine without Xvfb the e2e tests are skipped with the reason; in CI
    # (.ci/run installs both) a missing tool is a failure, never a silent skip.
    missing = pytest.fail if os.environ.get("CI") else pytest.skip
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        missing(f"Xvfb is not installed, so no real window can be opened ({XVFB_DEPS}; "
                ".ci/run installs it)")
    if shutil.which("import") is None:
        missing(f"ImageMagick's `import` is missing, so no screenshot ({XVFB_DEPS})")
    n = free_display()
    proc = subprocess.Popen([xvfb, f":{n}", "-screen", "0", "1600x1000x24", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 15
    while not os.path.exists(f"/tmp/.X11-unix/X{n}"):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"Xvfb :{n} did not start")
        time.sleep(0.05)
    yield f":{n}"
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


def app_env(display: str, report: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM",)}
    # recent files and autosave settings go to a throwaway config folder
    env.update(DISPLAY=display, QMIX_STUDIO_REPORT=str(report),
               XDG_CONFIG_HOME=str(report.parent / "config"), **extra)
    return env


def read_report(report: Path) -> dict:
    try:
        return json.loads(report.read_text())
    except (OSError, ValueError):
        return {}


def wait_for(report: Path, proc: subprocess.Popen, predicate, timeout: float) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        data = read_report(report)
        if data and predicate(data):
            return data
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            pytest.fail(f"the app exited early with {proc.returncode}: {out[-2000:]}")
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"timed out; last report: {read_report(report)}")


def distinct_colours(png: Path) -> int:
    out = subprocess.run(["identify", "-format", "%k", str(png)], capture_output=True,
                         text=True, timeout=60)
    return int(out.stdout.strip() or 0)


def screenshot(display: str, png: Path) -> None:
    subprocess.run(["import", "-window", "root", str(png)], check=True, timeout=60,
                   env=dict(os.environ, DISPLAY=display))


def stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"the app did not close on SIGTERM: {out[-2000:]}")
    return proc.returncode, out


def test_main_py_trains_two_step_in_a_real_window(display, tmp_path):
    report = tmp_path / "report.json"
    proc = subprocess.Popen([sys.executable, "main.py", "--scenario", "two_step"], cwd=ROOT,
                            env=app_env(display, report, QMIX_STUDIO_AUTOPLAY="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    data = wait_for(report, proc, lambda d: d.get("updates", 0) >= 100, timeout=120)
    assert data["launch_to_visible_s"] < 10  # the bench reports the real figure (~1 s)
    assert data["scenario"] == "two_step" and data["phase"] == "running"
    time.sleep(1.0)
    png = tmp_path / "app.png"
    screenshot(display, png)
    colours = distinct_colours(png)
    assert colours > 200, f"screenshot looks blank: {colours} colours"
    code, out = stop(proc)
    assert code == 0, out[-2000:]
    final = read_report(report)
    assert final["exit_code"] == 0 and final["error"] is None
    assert final["env_steps"] > data["env_steps"] and final["paints"] > 20
    assert final["shutdown_s"] is not None and final["shutdown_s"] < 1.0
    keep = os.environ.get("QMIX_STUDIO_E2E_SCREENSHOT")
    if keep:
        shutil.copy(png, keep)


def test_main_py_opens_a_saved_run(display, tmp_path):
    run = tmp_path / "run.h5"
    train = subprocess.run([sys.executable, "main.py", "train", "--scenario", "two_step",
                            "--steps", "400", "--save", str(run)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stderr[-2000:]
    report = tmp_path / "report.json"
    proc = subprocess.Popen([sys.executable, "main.py", str(run)], cwd=ROOT,
                            env=app_env(display, report), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    data = wait_for(report, proc, lambda d: d.get("env_steps", 0) >= 400, timeout=120)
    assert data["scenario"] == "two_step" and data["error"] is None
    code, out = stop(proc)
    assert code == 0, out[-2000:]


def test_main_py_trains_a_users_pettingzoo_world_in_a_real_window(display, tmp_path):
    """`--scenario pz:MODULE:FACTORY --env ...`: the app opens a world it has no drawing of,
    shows it as the vector view, trains it, and its report is strict JSON."""
    scenario = "pz:tests.envs.fake_parallel_env:make_env"
    report = tmp_path / "report.json"
    proc = subprocess.Popen([sys.executable, "main.py", "--scenario", scenario,
                             "--env", "episode_limit=15", "--env", 'kwargs={"leave_at": 4}'],
                            cwd=ROOT, env=app_env(display, report, QMIX_STUDIO_AUTOPLAY="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    data = wait_for(report, proc, lambda d: d.get("updates", 0) >= 20, timeout=120)
    assert data["scenario"] == scenario and data["phase"] == "running"
    assert data["drawing"] == "vectors" and data["paints"] > 0
    time.sleep(1.0)
    png = tmp_path / "pz.png"
    screenshot(display, png)
    assert distinct_colours(png) > 200
    code, out = stop(proc)
    assert code == 0, out[-2000:]

    def refuse(name):
        raise AssertionError(f"{name} in the report")

    final = json.loads(report.read_text(), parse_constant=refuse)  # no NaN / Infinity
    assert final["exit_code"] == 0 and final["error"] is None
    assert final["drawing"] == "vectors" and final["env_steps"] > data["env_steps"]
    assert "Traceback" not in out, out[-2000:]


def test_main_py_refuses_a_bad_world_before_opening_a_window(display, tmp_path):
    report = tmp_path / "report.json"
    for argv in (["--scenario", "nope"],
                 ["--scenario", "pz:tests.envs.fake_parallel_env:make_env",
                  "--env", "episode_limit=-3"]):
        out = subprocess.run([sys.executable, "main.py", *argv], cwd=ROOT,
                             env=app_env(display, report), capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert not report.exists()  # no window was opened
