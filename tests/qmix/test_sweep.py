"""Multi-seed sweeps on Ray (qmix/sweep.py, sweep_ray.py, sweep_run.py), through the real
command line.

The reference: `sweep --scenario two_step --algo qmix,vdn --seeds 0-4` on a local Ray with 2
CPUs; QMIX reaches 8.0 and VDN 7.0 in every run, in two or more Ray worker processes at once.
A second study of two of the same runs (one at a time) is stopped with SIGINT, re-run,
killed with SIGKILL (the driver), and re-run to the end: its runs equal the reference's bit
for bit (weights digest, every metrics line), finished runs are never repeated, and its table
equals the reference's. Everything goes through `python main.py sweep ...`.
`--address` joins a second local Ray started with `ray start --head` (and stopped after).

Every Ray in these tests listens on the loopback address only
(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 makes Ray use 127.0.0.1 as the node address on Linux too)
and sends no usage statistics.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime

import pytest

from qmix import cli, report, study_files, sweep
from qmix.config import make_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEPS = 2000  # QMIX reaches 8 on every seed 0-4 by then (1,200 steps is not enough for seed 4)
ENV = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
       "TF_CPP_MIN_LOG_LEVEL": "2"}


def sweep_cmd(out, *args: str) -> list[str]:
    return [sys.executable, "main.py", "sweep", "--scenario", "two_step", "--steps",
            str(STEPS), "--out", str(out), *args]


def run_sweep(out, *args: str, env=None, timeout=420) -> subprocess.CompletedProcess:
    return subprocess.run(sweep_cmd(out, *args), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env or ENV)


def runs_of(out) -> dict[str, dict]:
    found = {}
    for name in sorted(os.listdir(out)) if os.path.isdir(out) else []:
        run = study_files.read_json(os.path.join(out, name, study_files.RUN_FILE))
        if run is not None:
            found[name] = run
    return found


def metrics_without_time(path) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "time"} for row in study_files.read_metrics(path)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "study"
    start = time.perf_counter()
    proc = run_sweep(out, "--algo", "qmix,vdn", "--seeds", "0-4", "--cpus", "2",
                     "--save-every", str(STEPS))
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"reference sweep: {time.perf_counter() - start:.1f} s")
    return out, proc


def test_two_step_sweep_qmix_8_vdn_7_in_concurrent_workers(reference):
    out, proc = reference
    runs = runs_of(out)
    assert len(runs) == 10
    for name, run in runs.items():
        assert run["status"] == "finished", (name, run.get("error"))
        assert run["eval_return"] == (8.0 if run["algo"] == "qmix" else 7.0), name
        assert run["eval_episodes"] >= 100 and run["env_steps"] >= STEPS
        assert set(run) >= {"pid", "host", "started", "finished", "eval_return"}
        rows = study_files.read_metrics(os.path.join(out, name, study_files.METRICS_FILE))
        assert [r["kind"] for r in rows][-1] == "final" and len(rows) >= 3
        steps = [r["env_steps"] for r in rows if r["kind"] == "eval"]
        assert steps == sorted(set(steps))  # one line per evaluation
        assert os.path.exists(os.path.join(out, name, study_files.CHECKPOINT_FILE))
    assert len({r["pid"] for r in runs.values()}) == 10  # a fresh process per run
    assert len({r["worker_pid"] for r in runs.values()}) >= 2  # at least two Ray workers
    spans = sorted((datetime.fromisoformat(r["started"]), datetime.fromisoformat(r["finished"]))
                   for r in runs.values())
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:])), "no two runs overlapped"
    # the table at the end of the sweep is the report's
    assert report.markdown(report.load_study(str(out))) in proc.stdout
    assert "| two_step | qmix | – | 5/5 | 8.000 | [8.000, 8.000] |" in proc.stdout
    assert "| two_step | vdn | – | 5/5 | 7.000 | [7.000, 7.000] |" in proc.stdout
    assert "sweep" in proc.stderr and "run/s" in proc.stderr  # the progress bar over runs
    log = (out / study_files.SWEEP_LOG).read_text()
    assert "finished, greedy return 8" in log and "finished, greedy return 7" in log


def test_running_a_finished_study_again_trains_nothing(reference):
    out, _ = reference
    before = runs_of(out)
    proc = run_sweep(out, "--algo", "qmix,vdn", "--seeds", "0-4", "--cpus", "2",
                     "--save-every", str(STEPS), timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "to train" not in proc.stderr  # no Ray was even started
    assert runs_of(out) == before


def _wait(predicate, timeout: float, what: str, proc=None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read()[-2000:] if proc.stderr else ""
            raise AssertionError(f"the process ended before {what}: {err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _mid_run(out) -> list[str]:
    """Runs in training with a checkpoint beyond step 0 (so a stop now loses something)."""
    found = []
    for name, run in runs_of(out).items():
        ckpt = os.path.join(out, name, study_files.CHECKPOINT_FILE)
        if run.get("status") == "running" and os.path.exists(ckpt):
            found.append(name)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _sigint_default() -> None:
    """In the child: Ctrl+C's default. A suite started in the background (`cmd &` in a
    script) runs with SIGINT ignored, its children inherit that, and Python then installs
    no KeyboardInterrupt handler: the sweep would never see the test's SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sigint_and_sigkill_then_resume_equal_an_uninterrupted_sweep(reference, tmp_path):
    ref_out, _ = reference
    out = tmp_path / "study"
    # one run at a time: the first is stopped mid-way by SIGINT, the second by SIGKILL
    args = ("--algo", "qmix,vdn", "--seeds", "0", "--cpus", "1", "--save-every", "400")

    def start():
        return subprocess.Popen(sweep_cmd(out, *args), cwd=ROOT, env=ENV, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, preexec_fn=_sigint_default)

    # 1. Ctrl+C while two runs are mid-way: they save and stop, the driver says how to resume
    proc = start()
    _wait(lambda: _mid_run(out), 240, "a run with a checkpoint", proc)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=180)
    assert proc.returncode == 130, stderr[-2000:]
    assert "run the same command again to resume" in stderr and "--seeds 0 " in stderr
    assert "Traceback" not in stderr
    after_sigint = runs_of(out)
    assert all(r["status"] in ("interrupted", "finished") for r in after_sigint.values())
    saved = [n for n, r in after_sigint.items() if r["status"] == "interrupted"]
    assert saved and all(after_sigint[n]["env_steps"] > 0 for n in saved)

    # 2. again, then SIGKILL of the driver once a run has finished and another is mid-way
    proc = start()
    _wait(lambda: any(r["status"] == "finished" for r in runs_of(out).values()) and
          _mid_run(out), 240, "a finished run and one mid-way", proc)
    finished_before_kill = {n: r for n, r in runs_of(out).items() if r["status"] == "finished"}
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    # Ray takes its workers down with the driver, and with them the training processes
    _wait(lambda: not any(_alive(r["pid"]) for r in runs_of(out).values()
                          if r["status"] == "running"), 90, "the orphaned runs to end")

    # 3. and once more, to the end
    final = subprocess.run(sweep_cmd(out, *args), cwd=ROOT, env=ENV, capture_output=True,
                           text=True, timeout=420)
    assert final.returncode == 0, final.stderr[-3000:]
    runs, ref = runs_of(out), runs_of(ref_out)
    assert len(runs) == 2 and finished_before_kill
    for name, run in finished_before_kill.items():
        assert runs[name] == run  # a finished run is never repeated
    resumed = [n for n, r in runs.items() if any(a.get("from_env_steps", 0) > 0
                                                 for a in r["attempts"])]
    assert resumed, "no run continued from a checkpoint"
    for name, run in runs.items():
        assert run["status"] == "finished"
        for key in ("eval_return", "env_steps", "episodes", "updates", "weights_sha256"):
            assert run[key] == ref[name][key], (name, key)
        # every evaluation once, none lost: the same lines as the uninterrupted run's
        assert (metrics_without_time(out / name / study_files.METRICS_FILE)
                == metrics_without_time(ref_out / name / study_files.METRICS_FILE)), name
    # the final table equals the one the uninterrupted sweep gives for these runs
    same = tmp_path / "reference-subset"
    for name in runs:
        shutil.copytree(ref_out / name, same / name)
    assert (report.markdown(report.load_study(str(out)))
            == report.markdown(report.load_study(str(same))))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_address_joins_an_existing_cluster_and_a_failing_run_does_not_stop_the_others(
        reference, tmp_path):
    """A second local Ray, reached by address; one run diverges (lr 1e30), the other is the
    reference's qmix seed 0 (lr 5e-3 is two_step's default) and equals it bit for bit."""
    assert make_config("two_step").lr == 0.005
    ref_out, _ = reference
    port = _free_port()
    # a token of this test's own for this test's cluster: nothing from ~/.ray is used
    env = {**ENV, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    temp = f"/tmp/qsw-{secrets.token_hex(3)}"  # short: Ray's socket paths have a length limit
    head_log = tmp_path / "ray-start.log"
    with open(head_log, "w") as log:
        head = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "ray"), "start", "--head", "--block",
             "--port", str(port), "--num-cpus", "2", "--include-dashboard=false",
             "--disable-usage-stats", "--temp-dir", temp],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait(lambda: "Ray runtime started" in head_log.read_text(), 120, "ray start --head",
              head)
        out = tmp_path / "study"
        proc = run_sweep(out, "--algo", "qmix", "--seeds", "0", "--set", "lr=0.005,1e30",
                         "--address", f"127.0.0.1:{port}", env=env)
        assert proc.returncode == 1, proc.stderr[-3000:]  # one run failed
        assert f"the Ray cluster at 127.0.0.1:{port}" in proc.stderr
    finally:
        head.terminate()  # `ray start --block` stops its cluster on SIGTERM
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
        shutil.rmtree(temp, ignore_errors=True)
    runs = runs_of(out)
    good, bad = runs["qmix-two_step-lr=0.005-seed0"], runs["qmix-two_step-lr=1e+30-seed0"]
    assert good["status"] == "finished" and bad["status"] == "failed"
    assert bad["error"].startswith("training diverged:") and "\n" not in bad["error"]
    ref = runs_of(ref_out)["qmix-two_step-seed0"]
    for key in ("eval_return", "env_steps", "updates", "weights_sha256"):
        assert good[key] == ref[key], key
    assert "| two_step | qmix | lr=1e+30 | 0/1 (1 failed) |" in proc.stdout
    assert "training diverged" in proc.stdout


# ============================================================================ bad input
def _main(argv) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:  # argparse
        return int(exc.code)


@pytest.mark.parametrize("args, needle", [
    (["--algo", "qmix,qmx"], "unknown algo 'qmx'"),
    (["--seeds", "5-2"], "--seeds"),
    (["--seeds", "a-b"], "--seeds"),
    (["--seeds", "-1"], "--seeds"),
    (["--seeds", ""], "--seeds"),
    (["--set", "lr=0.001,-1"], "lr"),
    (["--set", "lr=0.001,abc"], "lr"),
    (["--set", "batchsize=32"], "batch_size"),
    (["--set", "lr"], "NAME=VALUE"),
    (["--set", "lr=0.1,"], "empty value"),
    (["--set", "seed=1"], "--seeds"),
    (["--env", "payoff_2a=abc"], "payoff_2a"),
    (["--scenario", "nope"], "nope"),
    (["--steps", "0"], "--steps"),
    (["--cpus", "0"], "--cpus"),
    (["--address", "127.0.0.1:PORT"], "cannot reach a Ray cluster at 127.0.0.1:"),
    (["--address", "nonsense"], "--address must look like"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, needle):
    out = tmp_path / "study"
    args = [a.replace("PORT", str(_free_port())) for a in args]
    base = ["--scenario", "two_step"] if "--scenario" not in args else []
    assert _main(["sweep", *base, "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    assert needle in err
    assert not out.exists()  # nothing was started or written


def test_out_that_is_a_file_or_missing_is_one_line(tmp_path, capsys):
    path = tmp_path / "a-file"
    path.write_text("x")
    assert _main(["sweep", "--scenario", "two_step", "--out", str(path)]) == 2
    assert capsys.readouterr().err.strip() == f"error: --out {path} is a file, not a folder"
    assert _main(["sweep", "--scenario", "two_step"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "--out" in err and "\n" not in err


def test_a_run_folder_is_not_reused_for_other_numbers(tmp_path, capsys):
    out = tmp_path / "study"
    spec = {"scenario": "two_step", "algo": "qmix", "preset": None, "set": {}, "env": {},
            "seed": 0, "steps": 999, "final_eval_episodes": 128}
    spec["run_id"] = sweep.run_id(spec)
    os.makedirs(out / spec["run_id"])
    (out / spec["run_id"] / study_files.SPEC_FILE).write_text(json.dumps(spec))
    assert _main(["sweep", "--scenario", "two_step", "--algo", "qmix", "--seeds", "0",
                  "--steps", "2000", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "steps = 999" in err and "2000" in err and "\n" not in err


# ============================================================================ pieces
def test_value_lists_and_run_ids():
    assert sweep.split_values("0.001,5e-4") == ["0.001", "5e-4"]
    assert sweep.split_values('[1,2],{"a": 1, "b": 2},"x,y"') == [
        "[1,2]", '{"a": 1, "b": 2}', '"x,y"']
    assert sweep.parse_grid(["lr=0.001,5e-4", "share_params=true,False"], "--set") == [
        ("lr", [0.001, 0.0005]), ("share_params", [True, False])]
    with pytest.raises(ValueError, match="given twice"):
        sweep.parse_grid(["lr=1", "lr=2"], "--set")
    assert sweep.parse_seed_range("0-2,5,2") == [0, 1, 2, 5]
    spec = {"scenario": "pursuit", "algo": "vdn", "set": {"lr": 0.001}, "env": {"grid_size": 7},
            "seed": 3}
    assert sweep.run_id(spec) == "vdn-pursuit-lr=0.001-env.grid_size=7-seed3"
    odd = sweep.run_id({**spec, "scenario": "pz:my.mod:make", "set": {}, "env": {}})
    assert odd.startswith("vdn-pz_my.mod_make-") and odd.endswith("-seed3")
    assert odd != sweep.run_id({**spec, "scenario": "pz:my.mod_make", "set": {}, "env": {}})
