"""Engine benchmark: `python -m qmix.bench [--quick] [--solve-seeds N] [--json]`.

Measures, on the machine it runs on (docs/performance.md explains every figure):
  - one compiled update at the reference sizes (32 episodes x 26 and x 50 steps, 3 agents,
    obs 77, state 14, 6 actions, GRU 64, mixer embed 32, hypernet 64): shared parameters,
    one network per agent, and XLA; medians over interleaved rounds
  - the matmul bound: this machine's own MatMul kernels at exactly the shapes of that update
    (forward and backward), timed in the same rounds, so `update / bound` means the same on
    any CPU (absolute times differ by ~1.5x between CPUs of the same class)
  - the first update after process start, in a fresh process (imports, env, networks,
    32 episodes collected, trace, first update)
  - env steps/s acting alone, and end-to-end while training (default scenario: pursuit, 8
    envs, one update per rollout, the update overlapping the next rollout on the other core)
  - peak RSS of a real training process: `main.py train` in a fresh process, its VmHWM read
    from /proc while it runs (a child's `ru_maxrss` can carry its parent's high-water mark)
  - wall-clock time to solve the default scenario, per seed, each in a fresh process
Targets (issue 8): per-agent / shared <= 1.5; update / matmul bound <= 1.3 at 32x26;
>= 24,000 env steps/s end-to-end; first update <= 3.5 s; training RSS <= 800 MB.

Why ~455 lines: the figures must be measured in one process, interleaved round by round (so
a busy neighbour hits update and bound alike); split across files, that shared schedule would
be harder to follow.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH_KEYS = ("obs", "state", "avail_actions", "actions", "reward", "terminated", "filled",
              "active")


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


def _load() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


# ---------------------------------------------------------------------- sizes and batches
def reference_sizes(tiny: bool = False) -> dict:
    if tiny:
        return dict(batch=4, n_agents=3, obs=7, state=5, actions=4, hidden=8, embed=4,
                    hypernet=6)
    return dict(batch=32, n_agents=3, obs=77, state=14, actions=6, hidden=64, embed=32,
                hypernet=64)


def make_learner(sizes: dict, steps: int, share: bool = True, xla: bool = False):
    """A Learner at the given sizes and a full random batch of `steps` slots (as tensors)."""
    import numpy as np
    import tensorflow as tf

    from envs import EnvInfo
    from qmix.config import Config
    from qmix.learner import Learner

    b, n, a = sizes["batch"], sizes["n_agents"], sizes["actions"]
    info = EnvInfo(name="bench", n_agents=n, n_actions=a, obs_dim=sizes["obs"],
                   state_dim=sizes["state"], episode_limit=steps - 1,
                   action_names=tuple(f"a{i}" for i in range(a)), solved_return=0.0,
                   optimal_return=None)
    cfg = Config(hidden_dim=sizes["hidden"], mixing_embed_dim=sizes["embed"],
                 hypernet_embed=sizes["hypernet"], batch_size=b, buffer_size=max(b, 32),
                 share_params=share, jit_compile=xla)
    learner = Learner(cfg, info, np.random.default_rng(1))
    rng = np.random.default_rng(0)
    batch = {
        "obs": rng.normal(size=(b, steps, n, sizes["obs"])).astype(np.float32),
        "state": rng.normal(size=(b, steps, sizes["state"])).astype(np.float32),
        "avail_actions": np.ones((b, steps, n, a), bool),
        "actions": rng.integers(0, a, size=(b, steps, n)).astype(np.int32),
        "reward": rng.normal(size=(b, steps)).astype(np.float32),
        "terminated": np.zeros((b, steps), np.float32),
        "filled": np.ones((b, steps), np.float32),
        "active": np.ones((b, steps, n), np.float32),
    }
    return learner, [tf.constant(batch[k]) for k in BATCH_KEYS]


def matmul_shapes(sizes: dict, steps: int) -> list[tuple[int, int, int, int, str]]:
    """Every matrix product of one QMIX update, as (batch, m, k, n, kind) for C = A @ B.

    The update of the paper's networks done the textbook way: online agent forward and
    reverse-mode backward (dX = dY W^T, dW = X^T dY; no dX for the network inputs), the GRU's
    recurrent product once per step on B*N rows, the target agent forward; the same for the
    online and the target mixer's hypernetworks on B*T rows; and the mixing itself,
    q (1 x N) |W1| (N x E) and hidden (1 x E) |W_f| (E x 1), one product per sample (kind
    "bmm", batch B*T). That is the set the issue's profile counted ("MatMul + BatchMatMul").
    """
    b, n, a = sizes["batch"], sizes["n_agents"], sizes["actions"]
    h, s, e, he = sizes["hidden"], sizes["state"], sizes["embed"], sizes["hypernet"]
    d = sizes["obs"] + n + a  # agent input: obs, one-hot id, one-hot last action
    rows, step_rows, mix_rows = b * steps * n, b * n, b * (steps - 1)
    out: list[tuple[int, int, int, int, str]] = []

    def layer(m: int, k: int, o: int, train: bool, dx: bool = True, count: int = 1) -> None:
        for _ in range(count):
            out.append((1, m, k, o, "fwd"))
            if train:
                out.append((1, m, k, o, "dw"))  # X^T dY: (k x m) @ (m x o)
                if dx:
                    out.append((1, m, k, o, "dx"))  # dY W^T: (m x o) @ (o x k)

    for train in (True, False):  # online (trained), target (forward only)
        layer(rows, d, h, train, dx=False)  # fc1
        layer(rows, h, 3 * h, train)  # GRU input projections, all steps at once
        layer(step_rows, h, 3 * h, train, count=steps)  # GRU recurrent product, per step
        layer(rows, h, a, train)  # fc2
        for k, o, dx in ((s, he, False), (he, n * e, True), (s, e, False), (s, he, False),
                         (he, e, True), (s, e, False), (e, 1, True)):
            layer(mix_rows, k, o, train, dx=dx)  # hypernetworks and V(s)
        for k, o in ((n, e), (e, 1)):  # the mixing products, per sample
            out.append((mix_rows, 1, k, o, "fwd"))
            if train:  # both operands need gradients: d(left) = dC B^T, d(right) = A^T dC
                out += [(mix_rows, 1, k, o, "dx"), (mix_rows, 1, k, o, "dw")]
    return out


def make_matmul_bound(shapes: list[tuple[int, int, int, int, str]]):
    """(with matmuls, sink only): compiled functions running those products with distinct
    operands each (no caching between them), and the same sink without the products."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)

    def var(batch: int, *shape: int) -> tf.Variable:
        shape = shape if batch == 1 else (batch, *shape)
        return tf.Variable(rng.standard_normal(shape, dtype=np.float32))

    operands = []
    for batch, m, k, o, kind in shapes:
        if kind == "fwd":
            operands.append((var(batch, m, k), var(batch, k, o), False, False))
        elif kind == "dw":
            operands.append((var(batch, m, k), var(batch, m, o), True, False))
        else:
            operands.append((var(batch, m, o), var(batch, k, o), False, True))

    # Each product feeds a 1-element slice into one sum: unused results would be pruned,
    # and a control dependency alone lets grappler drop a stateless op too.
    @tf.function
    def with_matmuls() -> tf.Tensor:
        return tf.add_n([tf.reduce_sum(tf.matmul(x, y, transpose_a=ta, transpose_b=tb)
                                       [..., :1, :1]) for x, y, ta, tb in operands])

    @tf.function
    def sink_only() -> tf.Tensor:  # the same slices and sum, minus the products
        return tf.add_n([tf.reduce_sum(x[..., :1, :1]) for x, _, _, _ in operands])

    return with_matmuls, sink_only


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def _time_ms(fn, repeats: int) -> tuple[float, float]:
    """Median wall-clock and median process CPU time of `fn`, in ms. CPU time leaves out the
    time another process held the core, so its ratios survive a busy machine better."""
    walls, cpus = [], []
    for _ in range(repeats):
        c, t = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return 1000.0 * _median(walls), 1000.0 * _median(cpus)


def bench_updates(quick: bool, tiny: bool) -> dict:
    """Update times and the matmul bound, interleaved round by round (a noisy, shared machine
    drifts; interleaving keeps the ratios honest), medians over rounds. With `tiny` the
    networks and batch shrink (the keys keep their names)."""
    sizes = reference_sizes(tiny)
    rounds, reps = (2, 3) if tiny else ((5, 10) if quick else (9, 15))
    cases = {"32x26": (26, True, False), "32x50": (50, True, False),
             "32x26_per_agent": (26, False, False), "32x26_xla": (26, True, True)}
    calls, out = {}, {}
    for name, (steps, share, xla) in cases.items():
        learner, args = make_learner(sizes, steps, share, xla)
        fn = (lambda lrn=learner, a=args: lrn._update(*a)["loss"].numpy())  # noqa: E731
        t = time.perf_counter()
        fn()
        out[f"first_call_s_{name}"] = round(time.perf_counter() - t, 3)
        calls[name] = fn
    bounds = {f"32x{steps}": matmul_shapes(sizes, steps) for steps in (26, 50)}
    bounds["32x26_dense"] = [sh for sh in bounds["32x26"] if sh[0] == 1]  # no per-sample ones
    for name, shapes in bounds.items():
        with_mm, sink = make_matmul_bound(shapes)
        calls[f"bound_{name}"] = lambda f=with_mm: f().numpy()  # noqa: E731
        calls[f"sink_{name}"] = lambda f=sink: f().numpy()  # noqa: E731
    for fn in calls.values():  # warm caches and allocator
        fn()
    walls: dict[str, list[float]] = {k: [] for k in calls}
    cpus: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(rounds):
        for name, fn in calls.items():
            wall, cpu = _time_ms(fn, reps)
            walls[name].append(wall)
            cpus[name].append(cpu)
    for clock, per_round in (("", walls), ("cpu_", cpus)):
        for name in bounds:
            bound = [w - s for w, s in zip(per_round[f"bound_{name}"],
                                           per_round[f"sink_{name}"])]
            out[f"matmul_bound_{clock}ms_{name}"] = _median(bound)
            ratios = [u / bd for u, bd in zip(per_round[name.replace("_dense", "")], bound)]
            out[f"update_over_bound_{clock}{name}"] = _median(ratios)
        for name in cases:
            out[f"update_{clock}ms_{name}"] = _median(per_round[name])
        out[f"per_agent_over_shared_{clock}32x26"] = _median(
            [p / s for p, s in zip(per_round["32x26_per_agent"], per_round["32x26"])])
    out["update_matmul_mflop_32x26"] = sum(
        2 * bt * m * k * o for bt, m, k, o, _ in bounds["32x26"]) / 1e6
    return out


# ---------------------------------------------------------------------- training figures
def bench_env_and_training(quick: bool, tiny: bool) -> dict:
    from qmix.config import make_config
    from qmix.trainer import Trainer

    extra = dict(batch_size=4, buffer_size=16, learning_starts=4, hidden_dim=8,
                 n_envs=2) if tiny else {}
    # One update per rollout of 8 episodes (the reference schedule), not the default
    # replay ratio: env_steps_per_update=0 hands the schedule to updates_per_rollout.
    cfg = make_config("pursuit", eval_interval=10**9,
                      **{"n_envs": 8, "updates_per_rollout": 1, "env_steps_per_update": 0,
                         **extra})
    trainer = Trainer(cfg)
    steps = 500 if tiny else (20_000 if quick else 60_000)
    t = time.perf_counter()
    start = trainer.env_steps
    while trainer.env_steps - start < steps:
        trainer.env_step()
    acting = (trainer.env_steps - start) / (time.perf_counter() - t)
    while not trainer.ready_to_update():  # fill the buffer and compile before timing
        trainer.env_step()
    trainer.update()
    warm = trainer.updates + 3  # the acting/update overlap in its steady state
    while trainer.updates < warm:
        trainer.train_iteration()
    t = time.perf_counter()
    start, start_updates = trainer.env_steps, trainer.updates
    while trainer.env_steps - start < steps:
        trainer.train_iteration()
    trainer.finish_updates()
    wall = time.perf_counter() - t
    trainer.close()
    return {"acting_env_steps_per_s": acting,
            "end_to_end_env_steps_per_s": (trainer.env_steps - start) / wall,
            "end_to_end_updates_per_s": (trainer.updates - start_updates) / wall,
            "env_steps_per_update": (trainer.env_steps - start)
            / max(trainer.updates - start_updates, 1)}


def run_tracked(cmd: list[str], timeout: float, until: str | None = None) -> dict:
    """Run `cmd` in a fresh process from the repository root: its wall time, last JSON stdout
    line and peak RSS (VmHWM of its own address space, polled every 20 ms). With `until`, the
    process is stopped at the first stdout line starting with that text (wall time to it)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:  # a file: a full stderr pipe would block it
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=err, text=True,
                                bufsize=1, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        lines: list[str] = []
        hit = threading.Event()
        wall = [float("nan")]

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))
                if until is not None and line.startswith(until) and not hit.is_set():
                    wall[0] = time.perf_counter() - t0
                    hit.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        peak_kb = 0
        while proc.poll() is None and time.perf_counter() - t0 < timeout and not hit.is_set():
            try:
                with open(f"/proc/{proc.pid}/status") as fh:
                    peak_kb = max([peak_kb] + [int(ln.split()[1]) for ln in fh
                                               if ln.startswith("VmHWM:")])
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(timeout=5)
        err.seek(0)
        stderr = err.read()
    if until is None:
        wall[0] = time.perf_counter() - t0
    last = next((ln for ln in reversed(lines) if ln.startswith("{")), "")
    return {"wall_s": wall[0], "peak_rss_mb": peak_kb / 1024.0, "returncode": proc.returncode,
            "result": json.loads(last) if last else {}, "stderr_tail": stderr[-400:]}


_FIRST_UPDATE_CHILD = """
from qmix.config import make_config
from qmix.trainer import Trainer
trainer = Trainer(make_config("pursuit"{extra}))
while not trainer.ready_to_update():
    trainer.env_step()
trainer.update()
print("first update done", flush=True)
"""


def bench_first_update(tiny: bool) -> float:
    """Seconds from spawning a fresh interpreter to its first finished update."""
    extra = ", batch_size=4, buffer_size=16, learning_starts=4, n_envs=2" if tiny else ""
    run = run_tracked([sys.executable, "-c", _FIRST_UPDATE_CHILD.format(extra=extra)],
                      timeout=120, until="first update done")
    return run["wall_s"]


def bench_train_rss(tiny: bool) -> dict:
    """Peak RSS of `main.py train` on the default scenario, run until the 5,000-episode replay
    buffer is full (it is preallocated with zeros, so its pages are touched as it fills)."""
    args = ["--steps", "400", "--set", "buffer_size=16", "--set", "batch_size=4",
            "--set", "learning_starts=4"] if tiny else ["--steps", "130000"]
    run = run_tracked([sys.executable, "main.py", "train", "--scenario", "pursuit", "--json",
                       "--quiet", "--set", "eval_interval=1000000000", *args], timeout=600)
    return {"train_peak_rss_mb": run["peak_rss_mb"], "train_wall_s": run["wall_s"],
            "train_env_steps": run["result"].get("env_steps")}


def bench_solve(seeds: int, budget_s: float) -> list[dict]:
    """Each seed in a fresh process, timed from process start (imports included)."""
    results = []
    for seed in range(seeds):
        run = run_tracked([sys.executable, "main.py", "train", "--scenario", "pursuit",
                           "--seed", str(seed), "--until-solved", "--json", "--quiet",
                           "--steps", "2000000"], timeout=budget_s * 4)
        data = dict(run["result"]) or {"error": run["stderr_tail"]}
        data["process_wall_s"] = round(run["wall_s"], 1)
        data["process_peak_rss_mb"] = round(run["peak_rss_mb"], 1)
        results.append(data)
    return results


def _finite_or_none(value):
    """JSON has no NaN: a figure that could not be measured becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    return value


# ---------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qmix.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--solve-seeds", type=int, default=None,
                        help="seeds for the time-to-solve measurement (default 5, with "
                             "--tiny 0; 0 skips it)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON line with every figure (and nothing else on "
                             "stdout)")
    parser.add_argument("--tiny", action="store_true",
                        help="tiny sizes and few steps: checks the benchmark runs (tests); "
                             "the figures mean nothing")
    args = parser.parse_args(argv)
    seeds = args.solve_seeds if args.solve_seeds is not None else (0 if args.tiny else 5)

    from qmix.trainer import configure_tensorflow

    say = (lambda *a, **k: None) if args.json else print  # noqa: E731
    tf = configure_tensorflow()
    out: dict = {"machine": machine(), "tensorflow": tf.__version__, "tf_threads": 1,
                 "load_avg_1m_start": _load(), "quick": args.quick, "tiny": args.tiny}
    say(f"machine: {out['machine']}; TensorFlow {tf.__version__}, 1 TF thread; load "
        f"average {out['load_avg_1m_start']}", flush=True)

    out["first_update_s"] = bench_first_update(args.tiny)
    say(f"first update: {out['first_update_s']:.2f} s after process start (fresh process: "
        "imports, env, networks, 32 episodes, trace, first update)", flush=True)

    out.update(bench_updates(args.quick, args.tiny))
    say(f"update 32x26 (3 agents, GRU 64, embed 32): {out['update_ms_32x26']:.2f} ms; "
        f"matmul bound {out['matmul_bound_ms_32x26']:.2f} ms "
        f"({out['update_matmul_mflop_32x26']:.0f} MFLOP); update / bound "
        f"{out['update_over_bound_32x26']:.2f} (dense layers only: bound "
        f"{out['matmul_bound_ms_32x26_dense']:.2f} ms, ratio "
        f"{out['update_over_bound_32x26_dense']:.2f})", flush=True)
    say(f"  by process CPU time (a busy machine steals wall time): update "
        f"{out['update_cpu_ms_32x26']:.2f} ms, bound {out['matmul_bound_cpu_ms_32x26']:.2f} ms, "
        f"update / bound {out['update_over_bound_cpu_32x26']:.2f}", flush=True)
    say(f"update 32x50: {out['update_ms_32x50']:.2f} ms; bound "
        f"{out['matmul_bound_ms_32x50']:.2f} ms; update / bound "
        f"{out['update_over_bound_32x50']:.2f}", flush=True)
    say(f"one network per agent, 32x26: {out['update_ms_32x26_per_agent']:.2f} ms "
        f"({out['per_agent_over_shared_32x26']:.2f}x shared); XLA: "
        f"{out['update_ms_32x26_xla']:.2f} ms (first call "
        f"{out['first_call_s_32x26_xla']:.1f} s)", flush=True)

    out.update(bench_env_and_training(args.quick, args.tiny))
    say(f"pursuit, 8 envs: acting alone {out['acting_env_steps_per_s']:,.0f} env steps/s; "
        f"end-to-end {out['end_to_end_env_steps_per_s']:,.0f} env steps/s "
        f"({out['end_to_end_updates_per_s']:.1f} updates/s, "
        f"{out['env_steps_per_update']:.0f} env steps per update)", flush=True)

    out.update(bench_train_rss(args.tiny))
    say(f"peak RSS of a training process (fresh `main.py train`, buffer filled): "
        f"{out['train_peak_rss_mb']:.0f} MB", flush=True)

    if seeds:
        results = bench_solve(seeds, 60.0)
        solved = 0
        for seed, r in enumerate(results):
            ok = bool(r.get("solved")) and r["process_wall_s"] <= 60.0
            solved += ok
            say(f"solve pursuit seed {seed}: solved={r.get('solved')} "
                f"eval={r.get('eval_return')} env_steps={r.get('env_steps')} process "
                f"{r['process_wall_s']} s, peak RSS {r['process_peak_rss_mb']:.0f} MB"
                f"{'' if ok else '  <-- over 60 s or unsolved'}", flush=True)
        say(f"pursuit solved within 60 s in {solved}/{len(results)} seeds", flush=True)
        out["solve"] = results
        out["solved_within_60s"] = solved
    out["load_avg_1m_end"] = _load()
    if args.json:
        print(json.dumps(_finite_or_none(out)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
