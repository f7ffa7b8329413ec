"""One run of a study in its own process: from its spec to a finished, checkpointed run.

`run_task` is the body of a Ray task (qmix/sweep_ray.py submits it): it starts the training
process `python -m qmix.sweep _run RUN_DIR` (qmix/sweep.py hands `_run` to `run_one`) and
waits for it; `run_one` trains the run in RUN_DIR to its end, resuming from its checkpoint,
and keeps run.json and metrics.jsonl up to date (`MetricsLog`), stopping at the next save
when asked (`StopRequest`). `config_of` and `train_command` say what a spec trains.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from qmix.callbacks import Callback
from qmix.userio import dumps, one_line
from qmix.study_files import (CHECKPOINT_FILE, LOCK_FILE, METRICS_FILE, RUN_FILE, SPEC_FILE,
                              TRAIN_LOG, lock_holder, now, read_json, read_metrics, try_lock,
                              update_run, write_json)

EXIT_FINISHED, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 3
STOP_GRACE_S = 120.0  # how long a stopping run may take to save


# ============================================================================ a run's spec
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


# ============================================================================ the process
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


# ============================================================================ the Ray task
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
