"""A study folder (`./studio sweep ... --out DIR`) as the app sees it, in plain Python (no Qt):
is a path a study, a saved run or neither; has the folder changed since the last look; what
the configurations and runs are called on screen; and which files belong to a study (the app
never writes into one).

The numbers come from `qmix.report.load_study` (the report's own statistics: per-seed finals,
mean, 95% bootstrap CI, curves with bands); nothing here computes any. The view that shows
them is app/study_view.py.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from qmix.report import ci_text, fmt, load_study, per_seed_text, seeds_text, status_line
from qmix.study_files import CHECKPOINT_FILE, METRICS_FILE, RUN_FILE, SPEC_FILE, SWEEP_FILE

POLL_MS = 2000  # how often the app looks at an open study's folder
RECHECK_RUNNING_S = 30.0  # while runs are "running", reread this often even without changes
RUN_FILES = (SPEC_FILE, RUN_FILE, METRICS_FILE, CHECKPOINT_FILE)  # what load_study reads


def classify(path: str) -> str:
    """What `path` is: "study" (a folder with a sweep.json) or "run" (a file: the worker
    checks it as a checkpoint); ValueError (one line) for a missing path or a folder that is
    no study."""
    if not os.path.exists(path):
        raise ValueError(f"no such file or folder: {path}")
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, SWEEP_FILE)):
            return "study"
        raise ValueError(f"{path} is a folder but not a study: it has no {SWEEP_FILE} (a study "
                         "is the --out folder of ./studio sweep)")
    return "run"


def open_study(path: str) -> dict[str, Any]:
    """The study in `path` read once (load_study's data); ValueError when it is none."""
    if classify(path) != "study":
        raise ValueError(f"{path} is a file, not a study folder")
    return load_study(path)


def fingerprint(path: str) -> tuple[tuple[str, int, int], ...]:
    """(name, modification time, size) of every file load_study reads: sweep.json and each run
    folder's spec.json, run.json, metrics.jsonl and checkpoint.h5. The same fingerprint, the
    same study - except a run whose process died without a word (no file changes when its
    lock is released: see RECHECK_RUNNING_S)."""
    entries: list[tuple[str, int, int]] = []

    def add(file: str, name: str) -> None:
        try:
            st = os.stat(file)
        except OSError:
            return
        entries.append((name, st.st_mtime_ns, st.st_size))

    add(os.path.join(path, SWEEP_FILE), SWEEP_FILE)
    try:
        with os.scandir(path) as it:
            runs = sorted(e.name for e in it if not e.name.startswith(".") and e.is_dir())
    except OSError:
        runs = []
    for run in runs:
        for file in RUN_FILES:
            add(os.path.join(path, run, file), f"{run}/{file}")
    return tuple(entries)


def scan(path: str, previous: tuple | None, force: bool = False
         ) -> tuple[tuple, dict[str, Any] | None, float]:
    """(fingerprint, the study re-read or None when nothing changed, seconds load_study took).
    Runs on a background thread of the app; raises what load_study raises."""
    now = fingerprint(path)
    if now == previous and not force:
        return now, None, 0.0
    started = time.perf_counter()
    study = load_study(path)
    return now, study, time.perf_counter() - started


def has_running(study: dict[str, Any] | None) -> bool:
    return bool(study) and study["counts"].get("running", 0) > 0


# ---- names and numbers on screen --------------------------------------------------------
def steps_text(steps: int | float | None) -> str:
    """Env steps as 20k / 1.5M (as the plots' axes)."""
    if steps is None:
        return "–"
    if abs(steps) >= 1e6:
        return f"{steps / 1e6:.3g}M"
    if abs(steps) >= 1e3:
        return f"{steps / 1e3:.0f}k"
    return f"{steps:g}"


def config_key(config: dict[str, Any]) -> str:
    """What tells two configurations apart (as load_study groups the runs)."""
    return json.dumps([config["scenario"], config["algo"], config["overrides"]],
                      sort_keys=True)


def config_name(config: dict[str, Any]) -> str:
    """Scenario, algorithm and overrides: 'pursuit · qmix (lr=0.001, env.grid_size=7)'."""
    return f"{config['scenario']} · {config['label']}"


def legend_text(config: dict[str, Any]) -> str:
    """The curve's legend entry: name, seeds, final mean and CI."""
    text = f"{config_name(config)} — {config['finished']}/{config['total']} seeds"
    if config["mean"] is not None:
        text += f": {fmt(config['mean'])} {ci_text(config['ci95'])}"
    return text


def run_progress(run: dict[str, Any]) -> str:
    """Where a run stands: '100k of 100k env steps', 'failed: ...', 'not started'."""
    status, steps, target = run["status"], run.get("env_steps") or 0, run.get("steps")
    if status == "failed":
        return f"failed: {run.get('error') or 'see its train.log'}"
    if status == "pending" and not steps:
        return "not started"
    text = f"{steps_text(steps)} of {steps_text(target)} env steps"
    if status == "stopped":
        text += " (its process is gone; the sweep command resumes it)"
    return text


def status_note(study: dict[str, Any]) -> str:
    """One line over the table: how complete the study is (the report's own line)."""
    return status_line(study, markdown=False)


# ---- the app never writes into a study ---------------------------------------------------
def study_of_run(path: str | None) -> str | None:
    """The study folder if `path` is one of its runs' checkpoints (DIR/<run-id>/checkpoint.h5
    beside a spec.json, under a sweep.json), else None."""
    if not path:
        return None
    run_dir = os.path.dirname(os.path.abspath(path))
    study = os.path.dirname(run_dir)
    if (os.path.basename(path) == CHECKPOINT_FILE
            and os.path.isfile(os.path.join(run_dir, SPEC_FILE))
            and os.path.isfile(os.path.join(study, SWEEP_FILE))):
        return study
    return None


def file_label(path: str) -> str:
    """How a run's file is named on screen: 'run.h5'; a study's run by its folder,
    'qmix-pursuit-seed3/checkpoint.h5' (every run of a study has the same file name)."""
    if study_of_run(path) is not None:
        return os.path.join(os.path.basename(os.path.dirname(os.path.abspath(path))),
                            os.path.basename(path))
    return os.path.basename(path)
