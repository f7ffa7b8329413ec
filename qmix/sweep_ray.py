"""The Ray driver of a study: start or join Ray, one task per unfinished run, progress, stop.

`drive` takes the planned runs (qmix/sweep.py), writes their spec.json and sweep.json
(`prepare`), submits one task per run that has not finished (`qmix.sweep_run.run_task`,
seed by seed: `submission_order`), logs every change to sweep.log (`Study`), asks the
running runs to save and stop on Ctrl+C (`_stop`), and prints the report at the end
(qmix/report.py).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from typing import Any

from qmix.userio import one_line
from qmix.study_files import (METRICS_FILE, RUN_FILE, SPEC_FILE, SWEEP_FILE, SWEEP_LOCK,
                              SWEEP_LOG, lock_holder, now, read_json, read_metrics, try_lock,
                              update_run, write_json)
from qmix.sweep_run import STOP_GRACE_S, run_task  # Ray sends run_task by reference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# spec fields that decide a run's numbers: a run folder must not be reused with others
RESULT_FIELDS = ("scenario", "algo", "seed", "preset", "set", "env", "steps",
                 "final_eval_episodes")


# ============================================================================ Ray
def _import_ray() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no telemetry calls home
    try:
        import ray
    except ImportError:
        raise ValueError("the sweep needs Ray: pip install '.[sweep]' (or "
                         ".venv/bin/pip install 'ray>=2.40,<3')") from None
    return ray


def check_address(address: str) -> None:
    """Fail fast, in one line, when nothing listens at a host:port address (Ray itself keeps
    retrying for a minute). 'auto' and addresses without a port are left to Ray."""
    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        if address != "auto":
            raise ValueError(f"--address must look like HOST:PORT (or auto, ray://HOST:PORT), "
                             f"got {address!r}")
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            pass
    except OSError as exc:
        raise ValueError(f"cannot reach a Ray cluster at {address}: {one_line(exc)}") from None


def connect(ray: Any, address: str | None, cpus: int, pythonpath: str) -> None:
    import logging

    runtime_env = {"env_vars": {"QMIX_TF_THREADS": "1", "PYTHONPATH": pythonpath}}
    kwargs = dict(runtime_env=runtime_env, log_to_driver=False, logging_level=logging.ERROR)
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            # "local": a new Ray of our own, even where RAY_ADDRESS is set or another Ray
            # runs on this machine (ray.init() would join that one)
            ray.init(address="local", num_cpus=cpus, include_dashboard=False, **kwargs)
    except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ...
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        hint = ""
        if address and not os.environ.get("RAY_AUTH_MODE"):
            hint = (" (a cluster with token authentication, `ray start`'s default, also needs "
                    "RAY_AUTH_MODE=token and its token in RAY_AUTH_TOKEN or ~/.ray/auth_token)")
        raise ValueError(f"cannot start or join {where}: {one_line(exc)}{hint}") from None



# ============================================================================ the driver
class Study:
    """The driver's view of DIR: its runs, their states, the log."""

    def __init__(self, out: str, specs: list[dict[str, Any]]) -> None:
        self.out = out
        self.specs = specs
        self.log_fh = open(os.path.join(out, SWEEP_LOG), "a")
        self.seen: dict[str, tuple[Any, ...]] = {}

    def dir(self, spec: dict[str, Any]) -> str:
        return os.path.join(self.out, spec["run_id"])

    def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        return read_json(os.path.join(self.dir(spec), RUN_FILE)) or {}

    def log(self, text: str) -> None:
        self.log_fh.write(f"{now()} {text}\n")
        self.log_fh.flush()

    def poll(self, spec: dict[str, Any]) -> None:
        """Log what changed in one run: started, progress (a new evaluation), ended."""
        run = self.run(spec)
        metrics = read_metrics(os.path.join(self.dir(spec), METRICS_FILE))
        last = metrics[-1] if metrics else None
        key = (run.get("status"), len(run.get("attempts", [])),
               last["env_steps"] if last else None)
        if self.seen.get(spec["run_id"]) == key:
            return
        self.seen[spec["run_id"]] = key
        rid, status = spec["run_id"], run.get("status")
        if status == "running" and last:
            self.log(f"{rid}: {last['env_steps']}/{spec['steps']} env steps, greedy return "
                     f"{last['eval_return']:.4g}")
        elif status == "running":
            self.log(f"{rid}: running, pid {run.get('pid')} on {run.get('host')}")
        elif status == "finished":
            self.log(f"{rid}: finished, greedy return {run.get('eval_return'):.4g} "
                     f"({run.get('eval_episodes')} episodes), {run.get('wall_s')} s")
        elif status in ("failed", "interrupted"):
            self.log(f"{rid}: {status}" + (f": {run.get('error')}" if run.get("error") else
                                          f" at {run.get('env_steps')} env steps"))

    def close(self) -> None:
        self.log_fh.close()


def prepare(out: str, specs: list[dict[str, Any]], command: str) -> None:
    """Write spec.json of every run (checking an existing one asks for the same numbers)
    and sweep.json: the study's runs in grid order and the commands that made it."""
    for spec in specs:
        run_dir = os.path.join(out, spec["run_id"])
        path = os.path.join(run_dir, SPEC_FILE)
        old = read_json(path)
        if old is not None:
            differ = [k for k in RESULT_FIELDS if old.get(k) != spec.get(k)]
            if differ:
                k = differ[0]
                raise ValueError(
                    f"{run_dir} already holds this run with {k} = {old.get(k)!r}, this "
                    f"command asks for {spec.get(k)!r}; use another --out, or the same {k}")
            continue
        os.makedirs(run_dir, exist_ok=True)
        write_json(path, spec)
    sweep_path = os.path.join(out, SWEEP_FILE)
    sweep = read_json(sweep_path) or {"format": 1, "created": now(), "runs": [],
                                      "commands": []}
    known = set(sweep["runs"])
    sweep["runs"] += [s["run_id"] for s in specs if s["run_id"] not in known]
    if command not in sweep["commands"]:
        sweep["commands"].append(command)
    sweep["command"] = command
    write_json(sweep_path, sweep)


def resume_hint(command: str) -> str:
    return f"run the same command again to resume:\n  {command}"


def drive(args: argparse.Namespace, specs: list[dict[str, Any]], command: str) -> int:
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    sweep_lock = try_lock(os.path.join(out, SWEEP_LOCK))
    if sweep_lock is None:
        raise ValueError(f"another sweep (pid {lock_holder(os.path.join(out, SWEEP_LOCK))}) "
                         f"is running in {out}")
    prepare(out, specs, command)
    study = Study(out, specs)
    try:
        return _drive(args, study, command)
    finally:
        study.close()
        os.close(sweep_lock)


def _drive(args: argparse.Namespace, study: Study, command: str) -> int:
    specs = study.specs
    todo = [s for s in specs if study.run(s).get("status") != "finished"]
    n_done = len(specs) - len(todo)
    study.log(f"sweep: {len(specs)} runs, {n_done} already finished; {command}")
    if todo:
        ray = _import_ray()
        pythonpath = os.pathsep.join(p for p in (os.getcwd(), ROOT,
                                                 os.environ.get("PYTHONPATH")) if p)
        where = f"the Ray cluster at {args.address}" if args.address else (
            f"a local Ray with {args.cpus} CPUs")
        print(f"sweep: {len(todo)} of {len(specs)} runs to train on {where} "
              f"(log: {os.path.join(study.out, SWEEP_LOG)})", file=sys.stderr, flush=True)
        try:
            connect(ray, args.address, args.cpus, pythonpath)
            code = _run_all(ray, study, todo, n_done, command, pythonpath)
        finally:
            ray.shutdown()
        if code:
            return code
    from qmix import report

    data = report.load_study(study.out)
    print(report.markdown(data))
    try:
        report.write_files(data, study.out)
    except (ImportError, ValueError, OSError) as exc:  # e.g. no matplotlib: the table stands
        print(f"warning: the report files were not written: {one_line(exc)}", file=sys.stderr)
    statuses = [study.run(s).get("status") for s in specs]
    unfinished = [st for st in statuses if st != "finished"]
    if unfinished:  # failed, or stopped from outside (a signal to the training process)
        failed = unfinished.count("failed")
        print(f"{len(unfinished)} of {len(specs)} runs did not finish ({failed} failed: "
              f"their errors are in the table and in DIR/<run-id>/run.json); "
              f"{resume_hint(command)}", file=sys.stderr)
        return 1
    print(f"report: {os.path.join(study.out, 'report.md')}, "
          f"{os.path.join(study.out, 'report.png')}", file=sys.stderr)
    return 0


def submission_order(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Seed by seed, every configuration of a seed before the next seed: a study stopped
    half-way has as many seeds of each configuration (give or take one)."""
    seeds = list(dict.fromkeys(s["seed"] for s in specs))
    return sorted(specs, key=lambda s: seeds.index(s["seed"]))  # stable: grid order within


def _run_all(ray: Any, study: Study, todo: list[dict[str, Any]], n_done: int, command: str,
             pythonpath: str) -> int:
    from tqdm import tqdm

    task = ray.remote(num_cpus=1, max_retries=1)(run_task)
    pending = {task.remote(study.dir(s), pythonpath): s for s in submission_order(todo)}
    bar = tqdm(total=len(study.specs), initial=n_done, unit="run", desc="sweep",
               file=sys.stderr, dynamic_ncols=True)
    failed, shown = 0, (-1, -1)
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=len(pending), timeout=1.0)
            for ref in done:
                spec = pending.pop(ref)
                try:
                    ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - a lost worker, a dead node
                    run = study.run(spec)
                    if run.get("status") != "finished":
                        update_run(study.dir(spec), status="failed",
                                   error=f"the Ray task failed: {one_line(exc)}")
                run = study.run(spec)
                study.poll(spec)
                if run.get("status") == "finished":
                    bar.update(1)
                else:
                    failed += 1
                    bar.write(f"{spec['run_id']}: {run.get('status')}: {run.get('error')}")
            for spec in pending.values():
                study.poll(spec)
            running = sum(1 for s in pending.values() if study.run(s).get("status") == "running")
            if (running, failed) != shown:
                shown = (running, failed)
                bar.set_postfix(running=running, failed=failed)
    except KeyboardInterrupt:
        bar.close()
        return _stop(ray, study, pending, command)
    bar.close()
    return 0


def _stop(ray: Any, study: Study, pending: dict[Any, dict[str, Any]], command: str) -> int:
    """Ctrl+C: ask every running run to save and stop (ray.cancel raises KeyboardInterrupt in
    its task, which passes SIGTERM on), wait for the saves, then say how to resume."""
    print("\nstopping: the running runs save their progress (Ctrl+C again to stop at once) ...",
          file=sys.stderr, flush=True)
    study.log("interrupted: stopping the running runs")
    try:
        for ref in pending:
            ray.cancel(ref)
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline:
            running = [s for s in pending.values() if study.run(s).get("status") == "running"]
            if not running:
                break
            time.sleep(0.25)
    except KeyboardInterrupt:
        pass
    for spec in pending.values():
        study.poll(spec)
    runs = [study.run(s) for s in study.specs]
    finished = sum(1 for r in runs if r.get("status") == "finished")
    saved = sum(1 for r in runs if r.get("status") == "interrupted")
    print(f"interrupted: {finished} of {len(runs)} runs finished, {saved} saved mid-run; "
          f"{resume_hint(command)}", file=sys.stderr, flush=True)
    return 130
