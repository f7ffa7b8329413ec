"""Engine benchmark: `python -m qmix.bench` (or `python main.py bench`). Prints numbers.

Measures, on the machine it runs on:
  - first compiled update ready (from process start, TensorFlow import included)
  - update time for the GRU QMIX reference sizes (32 episodes x 26 and x 50 steps, 3 agents,
    GRU 64, mixer embed 32): eager vs tf.function vs tf.function + XLA, and first-call time
  - env steps/s acting alone, and end-to-end while training (8 envs, one update per rollout
    of 8 envs x 26 steps) on the default scenario
  - wall-clock time to solve the default scenario, per seed (`--solve-seeds`)
  - peak RSS
Targets (issue 2): <= 12 ms/update at 32x26, <= 25 ms at 32x50, >= 12x eager; >= 16,000 env
steps/s end-to-end; first update <= 5 s; RSS <= 1.0 GB; default scenario solved <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

T0 = time.perf_counter()


def machine() -> str:
    cpu = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem_gb:.0f} GB, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return 1000.0 * times[len(times) // 2]


def bench_updates(tf, quick: bool) -> dict:
    import numpy as np

    from envs import EnvInfo
    from qmix.config import Config
    from qmix.learner import Learner

    out = {}
    for steps in (26, 50):
        info = EnvInfo(name="bench", n_agents=3, n_actions=6, obs_dim=77, state_dim=14,
                       episode_limit=steps - 1, action_names=tuple("abcdef"),
                       solved_return=0.0, optimal_return=None)
        rng = np.random.default_rng(0)
        b, t1, n, a = 32, steps, 3, 6
        batch = {
            "obs": rng.normal(size=(b, t1, n, 77)).astype(np.float32),
            "state": rng.normal(size=(b, t1, 14)).astype(np.float32),
            "avail_actions": np.ones((b, t1, n, a), bool),
            "actions": rng.integers(0, a, size=(b, t1, n)).astype(np.int32),
            "reward": rng.normal(size=(b, t1)).astype(np.float32),
            "terminated": np.zeros((b, t1), np.float32),
            "filled": np.ones((b, t1), np.float32),
            "active": np.ones((b, t1, n), np.float32),
        }
        row = {}
        for mode in ("eager", "compiled", "xla"):
            cfg = Config(hidden_dim=64, mixing_embed_dim=32, hypernet_embed=64, batch_size=32,
                         jit_compile=(mode == "xla"))
            learner = Learner(cfg, info, np.random.default_rng(1))
            args = [tf.constant(batch[k]) for k in ("obs", "state", "avail_actions", "actions",
                                                    "reward", "terminated", "filled",
                                                    "active")]
            if mode == "eager":
                fn = lambda: learner._update_impl(*args)  # noqa: E731
                fn()
                row["eager_ms"] = _median_ms(fn, 3 if quick else 5)
                continue
            t = time.perf_counter()
            learner._update(*args)["loss"].numpy()
            row[f"{mode}_first_call_s"] = time.perf_counter() - t
            fn = lambda: learner._update(*args)["loss"].numpy()  # noqa: E731
            row[f"{mode}_ms"] = _median_ms(fn, 15 if quick else 50)
        row["speedup_vs_eager"] = row["eager_ms"] / min(row["compiled_ms"], row["xla_ms"])
        out[f"32x{steps}"] = row
    return out


def bench_env_and_training(quick: bool) -> dict:
    from qmix.config import make_config
    from qmix.trainer import Trainer

    cfg = make_config("pursuit", n_envs=8, updates_per_rollout=1, eval_interval=10**9)
    trainer = Trainer(cfg)
    steps = 20_000 if quick else 60_000
    t = time.perf_counter()
    start = trainer.env_steps
    while trainer.env_steps - start < steps:
        trainer.env_step()
    acting = (trainer.env_steps - start) / (time.perf_counter() - t)
    # fill the buffer, compile, then time training end-to-end
    while not trainer.ready_to_update():
        trainer.env_step()
    trainer.update()
    t = time.perf_counter()
    start, start_updates = trainer.env_steps, trainer.updates
    while trainer.env_steps - start < steps:
        trainer.train_iteration()
    wall = time.perf_counter() - t
    return {"acting_env_steps_per_s": acting,
            "training_env_steps_per_s": (trainer.env_steps - start) / wall,
            "training_updates_per_s": (trainer.updates - start_updates) / wall,
            "env_steps_per_update": (trainer.env_steps - start)
            / max(trainer.updates - start_updates, 1)}


def bench_solve(seeds: int, budget_s: float) -> list[dict]:
    """Each seed in a fresh process, timed from process start (imports included)."""
    results = []
    for seed in range(seeds):
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "main.py", "train", "--scenario", "pursuit", "--seed", str(seed),
             "--until-solved", "--json", "--quiet", "--steps", "2000000"],
            capture_output=True, text=True, timeout=budget_s * 4,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        wall = time.perf_counter() - t
        line = (proc.stdout.strip().splitlines() or ["{}"])[-1]
        data = json.loads(line) if line.startswith("{") else {"error": proc.stderr[-300:]}
        data["process_wall_s"] = round(wall, 1)
        results.append(data)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qmix.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--solve-seeds", type=int, default=5,
                        help="seeds for the time-to-solve measurement (0 skips it)")
    args = parser.parse_args(argv)

    from qmix.config import make_config
    from qmix.trainer import Trainer, configure_tensorflow

    tf = configure_tensorflow()
    print(f"machine: {machine()}; TensorFlow {tf.__version__}, 1 TF thread", flush=True)
    # first compiled update from process start, on the default scenario
    trainer = Trainer(make_config("pursuit"))
    while not trainer.ready_to_update():
        trainer.env_step()
    trainer.update()
    print(f"first update ready: {time.perf_counter() - T0:.2f} s after process start "
          "(TensorFlow import, env, networks, 32 episodes collected, trace+compile)",
          flush=True)
    del trainer

    for size, row in bench_updates(tf, args.quick).items():
        print(f"update {size} (3 agents, GRU 64, embed 32): eager {row['eager_ms']:.1f} ms | "
              f"tf.function {row['compiled_ms']:.1f} ms (first call "
              f"{row['compiled_first_call_s']:.2f} s) | XLA {row['xla_ms']:.1f} ms (first call "
              f"{row['xla_first_call_s']:.2f} s) | {row['speedup_vs_eager']:.1f}x eager",
              flush=True)
    env = bench_env_and_training(args.quick)
    print(f"pursuit, 8 envs: acting alone {env['acting_env_steps_per_s']:,.0f} env steps/s; "
          f"training end-to-end {env['training_env_steps_per_s']:,.0f} env steps/s "
          f"({env['training_updates_per_s']:.1f} updates/s, "
          f"{env['env_steps_per_update']:.0f} env steps per update)", flush=True)
    print(f"peak RSS (this benchmark process, several learners alive): {peak_rss_mb():.0f} MB",
          flush=True)
    if args.solve_seeds:
        results = bench_solve(args.solve_seeds, 60.0)
        solved = 0
        for seed, r in enumerate(results):
            ok = bool(r.get("solved")) and r["process_wall_s"] <= 60.0
            solved += ok
            print(f"solve pursuit seed {seed}: solved={r.get('solved')} eval={r.get('eval_return')}"
                  f" env_steps={r.get('env_steps')} train wall {r.get('wall_s')} s, process "
                  f"{r['process_wall_s']} s{'' if ok else '  <-- over 60 s or unsolved'}",
                  flush=True)
        print(f"pursuit solved within 60 s in {solved}/{len(results)} seeds", flush=True)
        child_rss = max(r.get("peak_rss_mb", float("nan")) for r in results)
        print(f"peak RSS of a training process (largest solve run): {child_rss:.0f} MB",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
