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

from __future__ import annotations

import argparse
import datetime
import hashlib
import itertools
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Sequence

from qmix.callbacks import Callback
from qmix.cli import dumps, one_line, parse_assignments
from qmix.config import ALGOS
from qmix.study import FINAL_EVAL_EPISODES, parse_seeds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The study folder (read back by qmix/report.py)
SWEEP_FILE = "sweep.json"
SWEEP_LOG = "sweep.log"
SPEC_FILE = "spec.json"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_FILE = "checkpoint.h5"
TRAIN_LOG = "train.log"
LOCK_FILE = ".lock"
SWEEP_LOCK = ".sweep.lock"

DEFAULT_SAVE_EVERY = 50_000  # env steps between checkpoints (each also saves the buffer)
# config fields the sweep sets itself: --set must not fight over them
RESERVED = {"scenario": "--scenario", "algo": "--algo", "seed": "--seeds",
            "total_env_steps": "--steps", "scenario_kwargs": "--env"}
# spec fields that decide a run's numbers: a run folder must not be reused with others
RESULT_FIELDS = ("scenario", "algo", "seed", "preset", "set", "env", "steps",
                 "final_eval_episodes")
EXIT_FINISHED, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 3
STOP_GRACE_S = 120.0  # how long a stopping run may take to save


def now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="microseconds")


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


def config_of(spec: dict[str, Any]) -> Any:
    """The run's Config: what `main.py train` builds from the same flags."""
    from qmix.config import make_config

    overrides = dict(spec["set"])
    overrides["seed"] = spec["seed"]
    if spec.get("steps") is not None:
        overrides["total_env_steps"] = spec["steps"]
    if spec["env"]:
        overrides["scenario_kwargs"] = dict(spec["env"])
    return make_config(spec["scenario"], algo=spec["algo"], preset=spec.get("preset"),
                       **overrides)


def train_command(spec: dict[str, Any]) -> list[str]:
    """The single `train` command that gives the same final numbers (without the sweep's
    checkpoints and metrics file)."""
    cmd = ["./studio", "train", "--scenario", spec["scenario"], "--algo", spec["algo"],
           "--seed", str(spec["seed"]), "--steps", str(spec["steps"]),
           "--final-eval-episodes", str(spec["final_eval_episodes"])]
    if spec.get("preset"):
        cmd += ["--preset", spec["preset"]]
    for key, value in spec["set"].items():
        cmd += ["--set", f"{key}={json.dumps(value)}"]
    for key, value in spec["env"].items():
        cmd += ["--env", f"{key}={json.dumps(value)}"]
    return cmd


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


# ============================================================================ files
def read_json(path: str) -> dict[str, Any] | None:
    """A JSON file, or None when it is missing or (being) damaged."""
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: str, data: dict[str, Any]) -> None:
    """Atomically (temporary file, fsync, rename): a reader never sees half a file."""
    from qmix.checkpoint.atomic import write_atomically

    text = dumps(data, indent=1, sort_keys=False) + "\n"

    def write(tmp: str) -> None:
        with open(tmp, "w") as fh:
            fh.write(text)

    write_atomically(path, write)


def update_run(run_dir: str, **fields: Any) -> dict[str, Any]:
    run = read_json(os.path.join(run_dir, RUN_FILE)) or {}
    run.update(fields)
    write_json(os.path.join(run_dir, RUN_FILE), run)
    return run


def read_metrics(path: str) -> list[dict[str, Any]]:
    """The metrics lines of a run; a half-written last line (a killed writer) is skipped."""
    rows = []
    try:
        with open(path) as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict) and "env_steps" in row:
                    rows.append(row)
    except OSError:
        pass
    return rows


try:  # POSIX advisory locks: released by the kernel when their process dies (even SIGKILL)
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None  # type: ignore[assignment]


def try_lock(path: str) -> int | None:
    """An exclusive lock on `path` (the file descriptor), or None if another process holds
    it. The holder's pid is written into the file."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is None:  # pragma: no cover
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def lock_holder(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read().strip() or "?"
    except OSError:
        return "?"


def is_locked(path: str) -> bool | None:
    """True if a process holds the lock at `path`, False if none does, None if unknown."""
    if fcntl is None or not os.path.exists(path):  # pragma: no cover
        return None if fcntl is None else False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing releases a lock we took
    return False


# ============================================================================ one run
class MetricsLog(Callback):
    """Appends one JSON line per greedy evaluation to the run's metrics file.

    A line: kind ("eval", or "final" for the final evaluation), env_steps, episodes, updates,
    eval_return, eval_episodes, solved, epsilon, loss (the last update's), episode_return (mean
    training return of the episodes since the previous line), time (Unix seconds). On resume
    the file is first cut back to the lines at or before the checkpoint's env step (the run
    repeats exactly what came after, so nothing is lost or doubled)."""

    def __init__(self, path: str, trainer: Any) -> None:
        self.path = path
        self.final = False
        kept = [r for r in read_metrics(path)
                if r.get("kind") == "eval" and r["env_steps"] <= trainer.env_steps]
        text = "".join(dumps(r) + "\n" for r in kept)
        from qmix.checkpoint.atomic import write_atomically

        def write(tmp: str) -> None:
            with open(tmp, "w") as fh:
                fh.write(text)

        write_atomically(path, write)
        self.last_step = kept[-1]["env_steps"] if kept else -1
        episodes = trainer.history["episode_return"]
        self.seen = sum(1 for step, _ in episodes if step <= self.last_step)
        self.fh = open(path, "a")

    def on_evaluate(self, trainer: Any, mean_return: float) -> None:
        episodes = trainer.history["episode_return"][self.seen:]
        self.seen = len(trainer.history["episode_return"])
        row = {
            "kind": "final" if self.final else "eval", "env_steps": trainer.env_steps,
            "episodes": trainer.episodes, "updates": trainer.updates,
            "eval_return": float(mean_return), "eval_episodes": len(trainer.last_eval_returns),
            "solved": bool(trainer.solved), "epsilon": float(trainer.epsilon),
            "loss": trainer.last_metrics.get("loss"),
            "episode_return": (sum(r for _, r in episodes) / len(episodes)) if episodes else None,
            "time": round(time.time(), 3),
        }
        self.fh.write(dumps(row) + "\n")
        self.fh.flush()
        self.last_step = trainer.env_steps
        print(f"{row['kind']} at {trainer.env_steps} env steps: greedy return "
              f"{mean_return:.4g} ({row['eval_episodes']} episodes)", flush=True)

    def sync(self) -> None:
        """On disk before a checkpoint names this step (a later resume relies on it)."""
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


class StopRequest(Callback):
    """Ends training at the next rollout boundary once asked (a signal) or once the process
    that started this one is gone (a dead Ray worker)."""

    def __init__(self) -> None:
        self.requested: str | None = None
        self.parent = os.getppid()

    def on_rollout_end(self, trainer: Any) -> bool | None:
        if self.requested is None and os.getppid() != self.parent:
            self.requested = "its Ray worker is gone"
        return False if self.requested else None


def weights_digest(trainer: Any) -> str:
    """SHA-256 over the online and target networks (names sorted): equal iff bit-equal."""
    digest = hashlib.sha256()
    for name, var in sorted(trainer.learner.named_variables().items()):
        digest.update(name.encode())
        digest.update(var.numpy().tobytes())
    return digest.hexdigest()


def run_one(run_dir: str) -> int:
    """Train (or continue) the run in `run_dir` to its end. Exit status 0 finished, 1 failed
    (run.json says why), 3 stopped by a signal after saving."""
    run_dir = os.path.abspath(run_dir)
    spec = read_json(os.path.join(run_dir, SPEC_FILE))
    if spec is None:
        print(f"error: {run_dir} has no readable {SPEC_FILE}", file=sys.stderr)
        return 2
    stop = StopRequest()
    phase = {"name": "starting"}

    def on_signal(signum: int, frame: Any) -> None:
        if phase["name"] == "starting":
            raise KeyboardInterrupt
        stop.requested = signal.Signals(signum).name

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    lock_path = os.path.join(run_dir, LOCK_FILE)
    deadline = time.monotonic() + STOP_GRACE_S
    try:
        lock = try_lock(lock_path)
        while lock is None:  # an earlier process of this run may still be saving
            if time.monotonic() > deadline:
                print(f"error: run {spec['run_id']} is being trained by another process "
                      f"(pid {lock_holder(lock_path)})", file=sys.stderr)
                return EXIT_FAILED
            time.sleep(0.5)
            lock = try_lock(lock_path)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED

    started = time.perf_counter()
    run = read_json(os.path.join(run_dir, RUN_FILE)) or {}
    attempt = {"pid": os.getpid(), "worker_pid": os.getppid(), "host": socket.gethostname(),
               "node_id": os.environ.get("QMIX_SWEEP_NODE_ID"), "started": now()}
    identity = {k: spec[k] for k in ("run_id", "scenario", "algo", "seed", "set", "env",
                                     "preset", "steps", "final_eval_episodes")}
    run.update(identity, status="running", pid=attempt["pid"],
               worker_pid=attempt["worker_pid"], host=attempt["host"],
               started=run.get("started") or attempt["started"], finished=None,
               error=None, train_command=shlex.join(train_command(spec)))
    earlier = run.get("attempts", [])
    if earlier and "outcome" not in earlier[-1]:  # its process died without a word
        earlier[-1]["outcome"] = "killed"
    run["attempts"] = [*earlier, attempt]
    write_json(os.path.join(run_dir, RUN_FILE), run)

    def end_attempt(status: str, **fields: Any) -> None:
        attempt.update(ended=now(), outcome=status,
                       wall_s=round(time.perf_counter() - started, 3))
        run.update(fields, status=status)
        run["attempts"][-1] = attempt
        run["wall_s"] = round(sum(a.get("wall_s", 0.0) for a in run["attempts"]), 3)
        write_json(os.path.join(run_dir, RUN_FILE), run)

    log = None
    try:
        from qmix import checkpoint

        config = config_of(spec)
        from qmix.trainer import Trainer  # TensorFlow import happens here

        trainer = Trainer(config)
        ckpt = os.path.join(run_dir, CHECKPOINT_FILE)
        if os.path.exists(ckpt):
            checkpoint.load_into(trainer, ckpt)
        attempt["from_env_steps"] = trainer.env_steps
        write_json(os.path.join(run_dir, RUN_FILE), run)
        print(f"{spec['run_id']}: pid {os.getpid()} on {attempt['host']}, "
              f"{'resumed at' if trainer.env_steps else 'starting at'} {trainer.env_steps} of "
              f"{spec['steps']} env steps", flush=True)
        log = MetricsLog(os.path.join(run_dir, METRICS_FILE), trainer)
        trainer.add_callback(log)
        trainer.add_callback(stop)
        phase["name"] = "training"
        total, every = spec["steps"], spec["save_every"]
        while trainer.env_steps < total:
            # train() returns at the end of a whole iteration: the one exact resume point
            trainer.train(min(total, (trainer.env_steps // every + 1) * every))
            log.sync()
            checkpoint.save_checkpoint(trainer, ckpt, include_buffer=True)
            if stop.requested and trainer.env_steps < total:
                attempt["to_env_steps"] = trainer.env_steps
                trainer.close()
                print(f"stopped ({stop.requested}) at {trainer.env_steps} env steps; "
                      "saved", flush=True)
                end_attempt("interrupted", env_steps=trainer.env_steps)
                return EXIT_INTERRUPTED
        phase["name"] = "final"  # a stop request now waits for the few seconds left
        log.final = True
        trainer.evaluate(episodes=spec["final_eval_episodes"])
        eval_return, eval_episodes = trainer.last_eval, len(trainer.last_eval_returns)
        trainer.close()  # takes in the last background updates
        attempt["to_env_steps"] = trainer.env_steps
        end_attempt("finished", finished=now(), eval_return=eval_return,
                    eval_episodes=eval_episodes, solved=trainer.solved,
                    solved_return=trainer.info.solved_return, env_steps=trainer.env_steps,
                    episodes=trainer.episodes, updates=trainer.updates,
                    weights_sha256=weights_digest(trainer))
        print(f"finished: greedy return {eval_return:.4g} over {eval_episodes} episodes",
              flush=True)
        return EXIT_FINISHED
    except KeyboardInterrupt:
        end_attempt("interrupted")
        return EXIT_INTERRUPTED
    except FloatingPointError as exc:
        message = f"training diverged: {one_line(exc)}"
        print(f"error: {message}", flush=True)
        end_attempt("failed", error=message)
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - any failure is one line in run.json
        import traceback

        traceback.print_exc()
        end_attempt("failed", error=one_line(exc))
        return EXIT_FAILED
    finally:
        if log is not None:
            log.close()
        os.close(lock)


# ============================================================================ Ray side
def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: SIGTERM this process when the Ray worker that started it dies."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_task(run_dir: str, pythonpath: str) -> dict[str, Any]:
    """Body of one Ray task (runs in a Ray worker): a fresh training process for one run."""
    env = {**os.environ, "QMIX_TF_THREADS": "1", "OMP_NUM_THREADS": "1",
           "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, env.get("PYTHONPATH")) if p)
    try:
        import ray

        env["QMIX_SWEEP_NODE_ID"] = ray.get_runtime_context().get_node_id()
    except Exception:  # noqa: BLE001 - only informative
        pass
    cmd = [sys.executable, "-m", "qmix.sweep", "_run", run_dir]
    with open(os.path.join(run_dir, TRAIN_LOG), "ab") as out:
        proc = subprocess.Popen(
            cmd, cwd=run_dir, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        try:
            # poll, not wait(): ray.cancel raises KeyboardInterrupt only between bytecodes,
            # and a blocking waitpid would hold it off until the run ends
            while (code := proc.poll()) is None:
                time.sleep(0.2)
        except BaseException:  # ray.cancel (KeyboardInterrupt) or shutdown: save, then stop
            proc.terminate()
            try:
                code = proc.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            raise
    if code not in (EXIT_FINISHED, EXIT_FAILED, EXIT_INTERRUPTED):
        run = read_json(os.path.join(run_dir, RUN_FILE)) or {}
        if run.get("status") in (None, "running"):
            why = (f"killed by {signal.Signals(-code).name}" if code < 0 and
                   -code in signal.Signals._value2member_map_ else f"exit status {code}")
            update_run(run_dir, status="failed",
                       error=f"the training process died ({why}); see {TRAIN_LOG}")
    return {"run_dir": run_dir, "code": code, "worker_pid": os.getpid()}


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


def _resume_hint(command: str) -> str:
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
              f"{_resume_hint(command)}", file=sys.stderr)
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

    from qmix.sweep import run_task as body  # by reference, also under `python -m qmix.sweep`

    task = ray.remote(num_cpus=1, max_retries=1)(body)
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
          f"{_resume_hint(command)}", file=sys.stderr, flush=True)
    return 130


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
        print(f"interrupted; {_resume_hint(command)}", file=sys.stderr)
        return 130
    except (ValueError, OSError, KeyError, TypeError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
