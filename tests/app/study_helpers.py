"""A small synthetic study folder, in the files `./studio sweep --out DIR` writes (qmix/sweep.py:
sweep.json; per run spec.json, run.json, metrics.jsonl and checkpoint.h5), for the app's study
tests. Written here with plain `json`, field by field as the sweep writes them, so the tests
read what a real study holds without running Ray."""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

SCENARIO = "two_step"
STEPS = 200
EVAL_INTERVAL = 100
FINAL_EPISODES = 128
SOLVED = 8.0


def run_id(algo: str, seed: int, overrides: dict[str, Any] | None = None) -> str:
    parts = [algo, SCENARIO] + [f"{k}={v}" for k, v in (overrides or {}).items()]
    return "-".join(parts) + f"-seed{seed}"


def _write(path: str, data: dict[str, Any]) -> None:
    with open(path, "w") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")


def spec_of(algo: str, seed: int, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"scenario": SCENARIO, "algo": algo, "preset": None, "set": dict(overrides or {}),
            "env": {}, "seed": seed, "steps": STEPS, "final_eval_episodes": FINAL_EPISODES,
            "save_every": 50_000, "eval_interval": EVAL_INTERVAL,
            "run_id": run_id(algo, seed, overrides)}


def metrics_line(env_steps: int, eval_return: float, kind: str = "eval") -> str:
    row = {"kind": kind, "env_steps": env_steps, "episodes": env_steps // 2,
           "updates": env_steps // 20, "eval_return": eval_return,
           "eval_episodes": FINAL_EPISODES if kind == "final" else 16,
           "solved": eval_return >= SOLVED, "epsilon": 0.5, "loss": 0.1,
           "episode_return": eval_return / 2, "time": 1_700_000_000.0 + env_steps}
    return json.dumps(row) + "\n"


def add_metrics(run_dir: str, env_steps: int, eval_return: float, kind: str = "eval") -> None:
    """One more line, as a training run appends it."""
    with open(os.path.join(run_dir, "metrics.jsonl"), "a") as fh:
        fh.write(metrics_line(env_steps, eval_return, kind))


def finish(run_dir: str, eval_return: float) -> None:
    """The run's final evaluation and its run.json as `finished` (as qmix/sweep.py ends one)."""
    add_metrics(run_dir, STEPS, eval_return, "final")
    with open(os.path.join(run_dir, "spec.json")) as fh:
        spec = json.load(fh)
    run = {k: spec[k] for k in ("run_id", "scenario", "algo", "seed", "set", "env", "preset",
                                "steps", "final_eval_episodes")}
    run.update(status="finished", pid=12345, worker_pid=12344, host="test",
               started="2026-12-01T12:00:00+00:00", finished="2026-12-01T12:01:00+00:00",
               error=None, train_command="./studio train ...", attempts=[],
               eval_return=eval_return, eval_episodes=FINAL_EPISODES, solved=eval_return >= SOLVED,
               solved_return=SOLVED, env_steps=STEPS, episodes=STEPS // 2,
               updates=STEPS // 20, weights_sha256="0" * 64, wall_s=60.0)
    _write(os.path.join(run_dir, "run.json"), run)


def interrupt(run_dir: str, env_steps: int) -> None:
    """run.json of a run stopped part-way (Ctrl+C on the sweep)."""
    with open(os.path.join(run_dir, "spec.json")) as fh:
        spec = json.load(fh)
    run = {"run_id": spec["run_id"], "scenario": SCENARIO, "algo": spec["algo"],
           "seed": spec["seed"], "set": spec["set"], "env": {}, "preset": None,
           "steps": STEPS, "final_eval_episodes": FINAL_EPISODES, "status": "interrupted",
           "pid": 12346, "worker_pid": 12344, "host": "test",
           "started": "2026-12-01T12:00:00+00:00", "finished": None, "error": None,
           "attempts": [], "env_steps": env_steps, "wall_s": 30.0}
    _write(os.path.join(run_dir, "run.json"), run)


def make_study(root: str, checkpoint: str | None = None) -> dict[str, str]:
    """A partial study of two_step: qmix seeds 0 and 1 finished (7.0 and 8.0), vdn (lr=0.01)
    seed 0 finished (7.0), vdn seed 1 interrupted after its first evaluation. `checkpoint`
    (a saved run) is copied in as qmix seed 0's checkpoint.h5. Returns run id -> folder."""
    os.makedirs(root, exist_ok=True)
    plan = [("qmix", 0, None), ("qmix", 1, None), ("vdn", 0, {"lr": 0.01}),
            ("vdn", 1, {"lr": 0.01})]
    dirs = {}
    for algo, seed, overrides in plan:
        spec = spec_of(algo, seed, overrides)
        run_dir = os.path.join(root, spec["run_id"])
        os.makedirs(run_dir)
        _write(os.path.join(run_dir, "spec.json"), spec)
        dirs[spec["run_id"]] = run_dir
    finals = {"qmix-two_step-seed0": 7.0, "qmix-two_step-seed1": 8.0,
              "vdn-two_step-lr=0.01-seed0": 7.0}
    for rid, final in finals.items():
        add_metrics(dirs[rid], 100, final - 2.0)
        add_metrics(dirs[rid], 200, final)
        finish(dirs[rid], final)
    partial = dirs["vdn-two_step-lr=0.01-seed1"]
    add_metrics(partial, 100, 3.0)
    interrupt(partial, 100)
    if checkpoint is not None:
        shutil.copyfile(checkpoint, os.path.join(dirs["qmix-two_step-seed0"], "checkpoint.h5"))
    command = (f"./studio sweep --scenario {SCENARIO} --algo qmix,vdn --seeds 0-1 "
               f"--steps {STEPS} --out {root}")
    _write(os.path.join(root, "sweep.json"),
           {"format": 1, "created": "2026-12-01T12:00:00+00:00", "runs": list(dirs),
            "commands": [command], "command": command})
    return dirs
