"""Learning benchmark: do the *default* settings learn, on our worlds and on the field's?

    python -m qmix.study [--json] [--seeds 0-2] [--algos qmix,vdn] [--only NAME ...]
    ./studio study ...

Every run is a fresh `main.py train` process with the default settings: nothing is tuned per
environment; a benchmark entry may only fix the env's own episode limit and how per-agent
rewards make the team reward (sum/mean), the two things a user must say about a foreign env.
Each run ends with a greedy evaluation of >= 100 episodes. Beside it stands the return of
uniform random play (over the available actions) on the same env, so "learns" means "clearly
above random". The table goes into the README with the machine it ran on.

Entries: the three built-in scenarios (trained until solved, within their own step budget:
wall time is then time-to-solve) and Level-Based Foraging (`lbforaging`, through
`gym:lbforaging:...`) on three standard tasks with fixed budgets. `target` is what the
project promises for the entry (README, "Benchmarks").
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FINAL_EVAL_EPISODES = 128  # >= 100 greedy episodes, a multiple of the default 8 env copies
RANDOM_EPISODES = 320


@dataclass(frozen=True)
class Entry:
    name: str
    scenario: str
    steps: int | None  # None: the scenario's own total_env_steps
    until_solved: bool = False
    env: dict[str, Any] = field(default_factory=dict)
    target: str = ""


ENTRIES = (
    Entry("two_step", "two_step", None, until_solved=False,
          target="QMIX 8, VDN 7 (the QMIX paper's Table 2)"),
    Entry("pursuit", "pursuit", None, until_solved=True, target="solved (>= 18) within 60 s"),
    Entry("foraging", "foraging", None, until_solved=True, target="solved (>= 0.9)"),
    Entry("lbf-5x5-2p-1f-coop", "gym:lbforaging:Foraging-5x5-2p-1f-coop-v3", 300_000,
          target=">= 0.5 within 300k"),
    Entry("lbf-8x8-2p-2f", "gym:lbforaging:Foraging-8x8-2p-2f-v3", 300_000,
          target=">= 0.6 within 300k"),
    Entry("lbf-8x8-2p-2f-coop", "gym:lbforaging:Foraging-8x8-2p-2f-coop-v3", 1_000_000,
          target=">= 0.5 within 1M (2 of 3 seeds)"),
)


def random_return(scenario: str, env_kwargs: dict[str, Any], episodes: int = RANDOM_EPISODES,
                  seed: int = 12345) -> float:
    """Mean team return of uniform random play over the available actions."""
    import envs

    copies = 8
    env = envs.make(scenario, n_envs=copies, **env_kwargs)
    rng = np.random.default_rng(seed)
    returns: list[float] = []
    for _ in range(math.ceil(episodes / copies)):
        ts = env.reset(seed=int(rng.integers(2**31 - 1)))
        while not env.done.all():
            keys = np.where(ts.avail_actions, rng.random(ts.avail_actions.shape), -1.0)
            ts = env.step(keys.argmax(-1))
        returns.extend(env.episode_return.tolist())
    return float(np.mean(returns[:episodes]))


def _train(entry: Entry, algo: str, seed: int, steps_scale: float) -> dict[str, Any]:
    cmd = [sys.executable, os.path.join(ROOT, "main.py"), "train", "--scenario", entry.scenario,
           "--algo", algo, "--seed", str(seed), "--json", "--quiet",
           "--final-eval-episodes", str(FINAL_EVAL_EPISODES)]
    if entry.steps is not None or steps_scale != 1.0:
        steps = entry.steps
        if steps is None:
            from qmix.config import make_config

            steps = make_config(entry.scenario).total_env_steps
        cmd += ["--steps", str(max(1, int(steps * steps_scale)))]
    if entry.until_solved:
        cmd.append("--until-solved")
    for key, value in entry.env.items():
        cmd += ["--env", f"{key}={json.dumps(value)}"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "QMIX_TF_THREADS": "1"})
    wall = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        error = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {"entry": entry.name, "algo": algo, "seed": seed, "error": error,
                "process_wall_s": round(wall, 1)}
    result = json.loads(lines[-1])
    result.update(entry=entry.name, process_wall_s=round(wall, 1))
    return result


def parse_seeds(text: str) -> list[int]:
    """'0-2' -> [0, 1, 2]; '0,3,5' -> [0, 3, 5]."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi) + 1) if hi else [int(lo)])
    return seeds


def summarise(runs: list[dict[str, Any]], randoms: dict[str, float]) -> list[dict[str, Any]]:
    rows = []
    for entry in ENTRIES:
        for algo in sorted({r["algo"] for r in runs if r["entry"] == entry.name}):
            mine = [r for r in runs if r["entry"] == entry.name and r["algo"] == algo]
            done = [r for r in mine if "error" not in r]
            returns = [r["eval_return"] for r in done]
            rows.append({
                "entry": entry.name, "scenario": entry.scenario, "algo": algo,
                "seeds": {str(r["seed"]): r.get("eval_return") for r in mine},
                "mean": float(np.mean(returns)) if returns else None,
                "random": randoms.get(entry.name),
                "env_steps": [r["env_steps"] for r in done],
                "wall_s": [r["process_wall_s"] for r in done],
                "errors": [r["error"] for r in mine if "error" in r],
                "target": entry.target,
            })
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    out = ["| entry | algo | greedy return per seed | mean | random | env steps | wall s "
           "| target |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        seeds = ", ".join("err" if v is None else f"{v:.2f}" for v in row["seeds"].values())
        steps = ", ".join(f"{s / 1000:.0f}k" for s in row["env_steps"])
        wall = ", ".join(f"{w:.0f}" for w in row["wall_s"])
        mean = "-" if row["mean"] is None else f"{row['mean']:.2f}"
        rnd = "-" if row["random"] is None else f"{row['random']:.3f}"
        out.append(f"| {row['entry']} | {row['algo']} | {seeds} | {mean} | {rnd} | {steps} | "
                   f"{wall} | {row['target']} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qmix.study", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0-2", help="seeds, e.g. 0-2 or 0,3 (default 0-2)")
    parser.add_argument("--algos", default="qmix,vdn", help="comma-separated (default qmix,vdn)")
    parser.add_argument("--only", nargs="*", default=None, metavar="ENTRY",
                        help=f"entries to run (default all: {', '.join(e.name for e in ENTRIES)})")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                        help="trainings at once (each uses ~2 cores: acting + updates)")
    parser.add_argument("--steps-scale", type=float, default=1.0,
                        help="multiply every step budget (a quick smoke run: 0.01)")
    parser.add_argument("--json", action="store_true", help="one JSON line at the end")
    args = parser.parse_args(argv)
    known = {e.name for e in ENTRIES}
    if args.only is not None and set(args.only) - known:
        parser.error(f"unknown entry {sorted(set(args.only) - known)[0]!r}; choose from "
                     f"{', '.join(sorted(known))}")
    entries = [e for e in ENTRIES if args.only is None or e.name in args.only]
    try:
        seeds, algos = parse_seeds(args.seeds), [a for a in args.algos.split(",") if a]
    except ValueError:
        parser.error(f"--seeds must look like 0-2 or 0,3, got {args.seeds!r}")
    from qmix.bench import machine

    print(f"machine: {machine()}", file=sys.stderr, flush=True)
    jobs = [(e, a, s) for e in entries for a in algos for s in seeds]
    start = time.perf_counter()
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [pool.submit(_train, e, a, s, args.steps_scale) for e, a, s in jobs]
        randoms = {e.name: random_return(e.scenario, e.env) for e in entries}
        runs = []
        for (e, a, s), fut in zip(jobs, futures):
            run = fut.result()
            runs.append(run)
            what = run.get("error") or f"greedy {run['eval_return']:.3f}"
            print(f"{e.name} {a} seed {s}: {what} ({run['process_wall_s']} s)",
                  file=sys.stderr, flush=True)
    rows = summarise(runs, randoms)
    print(table(rows))
    if args.json:
        print(json.dumps({"machine": machine(), "wall_s": round(time.perf_counter() - start, 1),
                          "rows": rows, "runs": runs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
