"""The on-disk format of a study folder, shared by the sweep and its report.

File names (the folder layout is described in qmix/sweep.py's docstring, which is also
`./studio sweep --help`), JSON files read tolerantly and written atomically, the metrics
lines of a run, the per-run and per-study locks, and the timestamps written into them.
Readers: qmix/report.py (while a study runs, too), qmix/sweep_ray.py (the driver),
qmix/sweep_run.py (one run). Nothing here imports TensorFlow or Ray.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

from qmix.userio import dumps

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


def now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="microseconds")


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
