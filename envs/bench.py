"""Environment throughput: `python -m envs.bench [--copies 8] [--seconds 2]`.

Why it exists: the design budget is >= 40,000 copy-steps/s for pursuit with 8 copies on a
2-core laptop (observations and masks included), so rollouts never starve the learner.
This measures exactly that loop -- random *available* actions, auto-reset when every copy
is done -- for each scenario, with nothing but NumPy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from envs.registry import make, scenario_names


def measure(name: str, n_envs: int = 8, seconds: float = 2.0, seed: int = 0) -> float:
    """Copy-steps per second of scenario `name` under uniformly random available actions."""
    env = make(name, n_envs=n_envs)
    rng = np.random.default_rng(seed)
    ts = env.reset(seed=seed)
    steps = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(100):  # check the clock rarely: it is not free either
            scores = rng.random(ts.avail_actions.shape) * ts.avail_actions  # (C, N, A)
            ts = env.step(scores.argmax(axis=-1))
            steps += 1
            if env.done.all():
                ts = env.reset()
        if time.perf_counter() >= deadline:
            break
    return steps * n_envs / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    """Print copy-steps/s for every registered scenario."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8, help="env copies stepped together")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per scenario")
    args = parser.parse_args(argv)
    for name in scenario_names():
        rate = measure(name, args.copies, args.seconds)
        print(f"{name:10s} {args.copies:3d} copies  {rate:10,.0f} copy-steps/s")


if __name__ == "__main__":
    main()
