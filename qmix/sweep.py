"""Multi-seed studies on Ray: a grid of headless trainings, resumable, one folder per run.

    ./studio sweep --scenario S --algo qmix,vdn --seeds 0-9 [--set K=V1,V2 ...]
                   [--env K=V1,V2 ...] [--steps N] --out DIR [--address ADDRESS]
    ./studio report DIR [--json]               (qmix/report.py)

The cross product of the algorithms, every --set / --env value list and the seeds is a grid of
runs; each run is one Ray task (one CPU). Without --address a local Ray is started on this
machine (as many runs at once as there are cores, `--cpus` to change that); with --address
the same code joins an existing Ray cluster (`ray start --head` prints the address). The
nodes must see DIR and run this project's code at the same paths (a shared folder and the
same install), and a cluster with token authentication needs its token in the environment.

Each task starts one fresh training process (`python -m qmix.sweep _run RUN_DIR`) -- never
TensorFlow inside a long-lived Ray worker -- on one TensorFlow thread (QMIX_TF_THREADS=1).
It dies with its worker (Linux: PR_SET_PDEATHSIG, plus a parent check every rollout) after
saving its progress. A run's folder `DIR/<run-id>/` holds:

    spec.json       what to train (scenario, algo, seed, overrides, steps, ...), written once
    run.json        status (running | interrupted | failed | finished), pid (the training
                    process), worker_pid (the Ray worker), host, started, finished (ISO 8601
                    times), eval_return (the final greedy return over --final-eval-episodes),
                    env_steps, episodes, updates, error (one line), weights_sha256,
                    attempts (one entry per process that worked on the run)
    metrics.jsonl   one JSON line per greedy evaluation while it trains ("kind": "eval"),
                    the last one the final evaluation ("kind": "final")
    checkpoint.h5   the whole run with its replay buffer, saved every --save-every env steps,
                    on a stop request and at the end of training (qmix/checkpoint/)
    train.log       the training process's own output

Resuming: running the same command again skips finished runs and continues every other one
from its checkpoint (from scratch if it had none). Saves are taken between `Trainer.train`
calls -- at the end of a whole training iteration, where a resumed run continues bit for bit
(a save inside `on_rollout_end`, as `PeriodicSave` does, lands before that iteration's
sampling and evaluation and does not) -- and the metrics file is cut back to the checkpoint's
env step on resume, so no point is lost or written twice and the final numbers equal those
of an uninterrupted run. A run that failed is retried the same way. Ctrl+C asks the running
runs to save and stop, and prints the command that resumes.
"""

# This module (the docstring above is also `--help`): the command line and the grid of runs.
# The study folder's files: qmix/study_files.py; one run in its own process (what
# `_run RUN_DIR` does): qmix/sweep_run.py; the Ray driver: qmix/sweep_ray.py.

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import re
import shlex
import sys
from typing import Any, Sequence

from qmix.userio import one_line, parse_assignments
from qmix.config import ALGOS
from qmix.study import FINAL_EVAL_EPISODES, parse_seeds
from qmix.sweep_ray import check_address, drive, resume_hint
from qmix.sweep_run import config_of, run_one

DEFAULT_SAVE_EVERY = 50_000  # env steps between checkpoints (each also saves the buffer)
# config fields the sweep sets itself: --set must not fight over them
RESERVED = {"scenario": "--scenario", "algo": "--algo", "seed": "--seeds",
            "total_env_steps": "--steps", "scenario_kwargs": "--env"}


# ============================================================================ the grid
def split_values(text: str) -> list[str]:
    """'0.001,0.0005' -> ['0.001', '0.0005']; commas inside [], {} or quotes do not split
    ('[1,2],[3]' -> ['[1,2]', '[3]'])."""
    parts, depth, quote, current = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def parse_grid(items: Sequence[str], what: str) -> list[tuple[str, list[Any]]]:
    """['lr=0.001,0.0005', 'batch_size=32'] -> [('lr', [0.001, 0.0005]), ('batch_size', [32])]
    Values are parsed as `train --set` parses them (JSON, Python's True/False/None, text)."""
    grid: list[tuple[str, list[Any]]] = []
    for item in items:
        if "=" not in item:
            raise ValueError(f"{what} expects NAME=VALUE[,VALUE...], got {item!r}")
        key, values = item.split("=", 1)
        key = key.strip()
        if not key:
            raise ValueError(f"{what} expects NAME=VALUE[,VALUE...], got {item!r}")
        if any(k == key for k, _ in grid):
            raise ValueError(f"{what} {key} is given twice; list its values once: "
                             f"{what} {key}=V1,V2")
        parts = split_values(values)
        if any(not p.strip() for p in parts):
            raise ValueError(f"{what} {key} has an empty value in {values!r}")
        parsed = [parse_assignments([f"{key}={p}"], what)[key] for p in parts]
        grid.append((key, parsed))
    return grid


def parse_algos(text: str) -> list[str]:
    algos = [a.strip() for a in text.split(",")]
    for algo in algos:
        if algo not in ALGOS:
            raise ValueError(f"unknown algo {algo!r} in --algo {text!r}; choose from "
                             f"{', '.join(ALGOS)}")
    return list(dict.fromkeys(algos))


def parse_seed_range(text: str) -> list[int]:
    """study.parse_seeds ('0-9', '0,3,5'), checked: no empty or backward range, no negative."""
    try:
        seeds = parse_seeds(text)
    except ValueError:
        seeds = []
    parts = [p.partition("-") for p in text.split(",")]
    backward = any(hi and int(hi) < int(lo) for lo, _, hi in parts
                   if lo.strip().isdigit() and hi.strip().isdigit())
    if not seeds or backward or any(s < 0 for s in seeds):
        raise ValueError(f"--seeds must look like 0-9 or 0,3,5 (non-negative, low-high), "
                         f"got {text!r}")
    return list(dict.fromkeys(seeds))


def _slug(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text


def run_id(spec: dict[str, Any]) -> str:
    """A readable folder name: algo-scenario[-key=value...]-seedN; a short hash is added when
    characters had to be replaced or the name cut, so two configs never share a folder."""
    parts = [spec["algo"], spec["scenario"]]
    if spec.get("preset"):
        parts.append(f"preset={spec['preset']}")
    parts += [f"{k}={_slug(v)}" for k, v in spec["set"].items()]
    parts += [f"env.{k}={_slug(v)}" for k, v in spec["env"].items()]
    raw = "-".join(parts)
    name = re.sub(r"[^A-Za-z0-9._=+-]", "_", raw)
    if name != raw or len(name) > 80:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
        name = f"{name[:80]}-{digest}"
    return f"{name}-seed{spec['seed']}"


def plan_runs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every run of the grid, validated (a bad value is a ValueError before anything runs)."""
    import envs

    algos = parse_algos(args.algo)
    seeds = parse_seed_range(args.seeds)
    set_grid = parse_grid(args.set, "--set")
    env_grid = parse_grid(args.env, "--env")
    for key, _ in set_grid:
        if key in RESERVED:
            raise ValueError(f"--set {key} is chosen by the sweep itself; use {RESERVED[key]}")
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    if args.final_eval_episodes < 1:
        raise ValueError(f"--final-eval-episodes must be >= 1, got {args.final_eval_episodes}")
    if args.save_every < 1:
        raise ValueError(f"--save-every must be >= 1, got {args.save_every}")
    scenario = args.scenario
    specs, checked_envs = [], set()
    set_combos = list(itertools.product(*[v for _, v in set_grid]))
    env_combos = list(itertools.product(*[v for _, v in env_grid]))
    for algo in algos:
        for set_values in set_combos:
            for env_values in env_combos:
                spec: dict[str, Any] = {
                    "scenario": scenario, "algo": algo, "preset": args.preset,
                    "set": {k: v for (k, _), v in zip(set_grid, set_values)},
                    "env": {k: v for (k, _), v in zip(env_grid, env_values)},
                    "seed": seeds[0], "steps": args.steps,
                    "final_eval_episodes": args.final_eval_episodes,
                    "save_every": args.save_every,
                }
                config = config_of(spec)  # raises ValueError naming the field
                config.validate()
                spec["steps"] = config.total_env_steps
                spec["eval_interval"] = config.eval_interval
                key = json.dumps([scenario, spec["env"]], sort_keys=True)
                if key not in checked_envs:  # a bad --env value fails here, not in every run
                    envs.make(scenario, n_envs=1, **spec["env"])
                    checked_envs.add(key)
                for seed in seeds:
                    one = {**spec, "seed": seed}
                    one["run_id"] = run_id(one)
                    specs.append(one)
    return specs


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (as every CLI error here)
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="./studio sweep", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="pursuit",
                        help="as for train: a built-in scenario, pz:... or gym:... "
                             "(default pursuit)")
    parser.add_argument("--algo", default="qmix", help="comma-separated: qmix,vdn,iql")
    parser.add_argument("--seeds", default="0-9", help="0-9 or 0,3,5 (default 0-9)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2",
                        help="config values to sweep over (repeatable; values as for "
                             "train --set)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=V1,V2",
                        help="scenario values to sweep over (repeatable)")
    parser.add_argument("--preset", default=None, help="as for train")
    parser.add_argument("--steps", type=int, default=None,
                        help="env steps per run (default: the scenario's total_env_steps)")
    parser.add_argument("--final-eval-episodes", type=int, default=FINAL_EVAL_EPISODES,
                        metavar="N", help=f"greedy episodes of each run's final evaluation "
                                          f"(default {FINAL_EVAL_EPISODES})")
    parser.add_argument("--save-every", type=int, default=DEFAULT_SAVE_EVERY, metavar="STEPS",
                        help=f"checkpoint every STEPS env steps (default {DEFAULT_SAVE_EVERY})")
    parser.add_argument("--out", required=True, metavar="DIR", help="the study folder")
    parser.add_argument("--address", default=None,
                        help="join this Ray cluster (HOST:PORT as `ray start --head` prints "
                             "it, or auto) instead of starting a local Ray")
    parser.add_argument("--cpus", type=int, default=None,
                        help="CPUs of the local Ray = runs at once (default: all cores)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_run"]:  # the training process of one run (started by a Ray task)
        if len(argv) != 2:
            print("error: usage: python -m qmix.sweep _run RUN_DIR", file=sys.stderr)
            return 2
        return run_one(argv[1])
    args = build_parser().parse_args(argv)
    command = shlex.join(["./studio", "sweep", *argv])
    try:
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise ValueError(f"--out {args.out} is a file, not a folder")
        if args.address and args.cpus is not None:
            raise ValueError("--cpus sizes the local Ray; a cluster given by --address "
                             "brings its own CPUs")
        if args.cpus is None:
            args.cpus = os.cpu_count() or 1
        if args.cpus < 1:
            raise ValueError(f"--cpus must be >= 1, got {args.cpus}")
        specs = plan_runs(args)
        if args.address:
            check_address(args.address)
        return drive(args, specs, command)
    except KeyboardInterrupt:
        print(f"interrupted; {resume_hint(command)}", file=sys.stderr)
        return 130
    except (ValueError, OSError, KeyError, TypeError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
