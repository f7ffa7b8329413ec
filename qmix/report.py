"""Study reports: the final greedy return per configuration with a bootstrap confidence
interval, and greedy-evaluation curves with a confidence band.

    ./studio report DIR [--json] [--png PATH]

DIR is a study folder written by `./studio sweep` (qmix/sweep.py). The report prints a
Markdown table (or, with --json, one strict-JSON object) and writes DIR/report.md,
DIR/report.json and DIR/report.png. It reads only files, so it works while the study is still
running: the numbers then cover the runs finished so far and the report says it is partial.

Statistics (per configuration = scenario + algorithm + overrides):
    per-seed value  the run's final greedy return (run.json `eval_return`: its final
                    evaluation over --final-eval-episodes greedy episodes, 128 by default)
    mean            the mean of the per-seed values of the finished runs
    ci95            95% percentile-bootstrap interval of that mean: with
                    x = the values in ascending seed order (n of them),
                    rng = numpy.random.default_rng(BOOTSTRAP_SEED)  (0),
                    idx = rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))  (10,000 x n),
                    ci95 = numpy.percentile(x[idx].mean(axis=1), [2.5, 97.5]);
                    `bootstrap_ci` below. One seed gives [x, x].

Curves: each run's greedy evaluations (metrics.jsonl; the final evaluation replaces a
periodic one at the same env step) are interpolated linearly onto the grid eval_interval,
2 * eval_interval, ..., steps; a run contributes to a grid point it has reached (within half
an eval interval of its first and last evaluation). At each point: the mean over the runs
there and the same bootstrap interval, and n, the number of runs behind it.

For the app: `load_study(path)` returns all of it as plain data (lists, dicts, floats, None):
see its docstring. Nothing here imports TensorFlow, Ray or Qt; matplotlib only for the PNG.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from typing import Any, Sequence

import numpy as np

from qmix.userio import dumps, one_line
from qmix.study_files import (CHECKPOINT_FILE, LOCK_FILE, METRICS_FILE, RUN_FILE, SPEC_FILE,
                              SWEEP_FILE, is_locked, read_json, read_metrics, write_json)

BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
REPORT_FILES = ("report.md", "report.json", "report.png")


def bootstrap_ci(values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES,
                 seed: int = BOOTSTRAP_SEED) -> tuple[float, float] | None:
    """95% percentile-bootstrap interval of the mean of `values` (None for no values)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(resamples, x.size))
    low, high = np.percentile(x[idx].mean(axis=1), [2.5, 97.5])
    return float(low), float(high)


def overrides_of(spec: dict[str, Any]) -> dict[str, Any]:
    """A run's overrides as one flat dict: config fields by name, scenario fields as
    `env.NAME`, a preset as `preset`."""
    out: dict[str, Any] = {}
    if spec.get("preset"):
        out["preset"] = spec["preset"]
    out.update(spec.get("set", {}))
    out.update({f"env.{k}": v for k, v in spec.get("env", {}).items()})
    return out


def label_of(config: dict[str, Any]) -> str:
    extra = ", ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}"
                      for k, v in config["overrides"].items())
    return config["algo"] + (f" ({extra})" if extra else "")


def _run_dirs(path: str) -> list[str]:
    """Run folders in grid order (sweep.json), then any others by name."""
    sweep = read_json(os.path.join(path, SWEEP_FILE)) or {}
    listed = [r for r in sweep.get("runs", []) if isinstance(r, str)]
    try:
        found = sorted(e for e in os.listdir(path)
                       if os.path.isfile(os.path.join(path, e, SPEC_FILE)))
    except OSError as exc:
        raise ValueError(f"cannot read the study folder {path}: {one_line(exc)}") from None
    present = set(found)
    order = [r for r in listed if r in present]
    return order + [r for r in found if r not in set(order)]


def _run_record(path: str, name: str) -> dict[str, Any]:
    run_dir = os.path.join(path, name)
    spec = read_json(os.path.join(run_dir, SPEC_FILE)) or {}
    run = read_json(os.path.join(run_dir, RUN_FILE))
    status = "pending" if run is None else run.get("status", "pending")
    if status == "running" and is_locked(os.path.join(run_dir, LOCK_FILE)) is False:
        status = "stopped"  # its process is gone without saying so (SIGKILL, power loss)
    points: dict[int, float] = {}
    rows = read_metrics(os.path.join(run_dir, METRICS_FILE))
    for row in rows:  # a final evaluation overrides a periodic one at the same step
        if row.get("eval_return") is not None:
            points[int(row["env_steps"])] = float(row["eval_return"])
    steps = sorted(points)
    run = run or {}
    ckpt = os.path.join(run_dir, CHECKPOINT_FILE)
    return {
        "run_id": name, "path": run_dir,
        "checkpoint": ckpt if os.path.exists(ckpt) else None,
        "scenario": spec.get("scenario"), "algo": spec.get("algo"),
        "overrides": overrides_of(spec), "seed": spec.get("seed"),
        "steps": spec.get("steps"), "eval_interval": spec.get("eval_interval"),
        "status": status,
        "eval_return": run.get("eval_return") if status == "finished" else None,
        "eval_episodes": run.get("eval_episodes"),
        "env_steps": rows[-1]["env_steps"] if rows else run.get("env_steps", 0),
        "error": run.get("error") if status == "failed" else None,
        "solved_return": run.get("solved_return"),
        "pid": run.get("pid"), "worker_pid": run.get("worker_pid"), "host": run.get("host"),
        "started": run.get("started"), "finished": run.get("finished"),
        "curve": {"env_steps": steps, "eval_return": [points[s] for s in steps]},
    }


def aggregate_curve(runs: list[dict[str, Any]], eval_interval: int | None,
                    steps: int | None) -> dict[str, list[Any]]:
    """Mean and 95% bootstrap band of the runs' evaluation curves on a common grid."""
    curves = [(np.asarray(r["curve"]["env_steps"], float),
               np.asarray(r["curve"]["eval_return"], float))
              for r in sorted(runs, key=lambda r: r["seed"]) if r["curve"]["env_steps"]]
    out: dict[str, list[Any]] = {"env_steps": [], "mean": [], "low": [], "high": [], "n": []}
    if not curves:
        return out
    interval = eval_interval or max(1, int(max(x[-1] for x, _ in curves) // 20))
    end = steps or int(max(x[-1] for x, _ in curves))
    grid = list(range(interval, end + 1, interval))
    if not grid or grid[-1] != end:
        grid.append(end)
    tol = interval / 2
    for g in grid:
        values = [float(np.interp(g, x, y)) for x, y in curves
                  if x[0] - tol <= g <= x[-1] + tol]
        if not values:
            continue
        low, high = bootstrap_ci(values)  # type: ignore[misc]
        out["env_steps"].append(g)
        out["mean"].append(float(np.mean(values)))
        out["low"].append(low)
        out["high"].append(high)
        out["n"].append(len(values))
    return out


def load_study(path: str) -> dict[str, Any]:
    """Read a study folder into plain data (the report's numbers; cheap enough to call again
    every second or two while the study runs). Raises ValueError when `path` is no study.

    Returns a dict:
        path            the folder
        command         the sweep command that made it (last one), or None
        partial         True while some run is neither finished nor failed
        counts          {"total", "finished", "failed", "running", "pending", "interrupted",
                         "stopped"}: runs by status ("stopped": run.json says running but no
                         process holds its lock any more)
        bootstrap       {"resamples": 10000, "seed": 0, "method": "percentile", "level": 0.95}
        solved_return   the scenario's solved threshold (None when unknown / none)
        configs         one dict per configuration, in grid order:
            scenario, algo, overrides ({"lr": 0.001, "env.grid_size": 7}), label
            seeds       {"<seed>": final greedy return} of its finished runs
            mean, ci95  mean over those seeds and its [low, high] interval (None without any)
            finished, failed, total   run counts
            errors      {"<seed>": one-line error} of its failed runs
            curve       {"env_steps": [...], "mean": [...], "low": [...], "high": [...],
                         "n": [...]}: the band to draw
            runs        one dict per run (seed order): run_id, path (its folder), checkpoint
                        (its .h5, or None: open it as a normal run), seed, status
                        (pending | running | interrupted | stopped | failed | finished),
                        eval_return, env_steps (latest), steps (target), error, pid, host,
                        started, finished, curve {"env_steps": [...], "eval_return": [...]}
    """
    path = os.path.abspath(path)
    if not os.path.exists(path):
        raise ValueError(f"no study at {path}")
    if not os.path.isdir(path):
        raise ValueError(f"{path} is a file, not a study folder")
    names = _run_dirs(path)
    if not names:
        raise ValueError(f"{path} holds no runs (no */{SPEC_FILE}): is it the --out folder "
                         "of ./studio sweep?")
    runs = [_run_record(path, name) for name in names]
    configs: dict[str, dict[str, Any]] = {}
    for run in runs:
        key = json.dumps([run["scenario"], run["algo"], run["overrides"]], sort_keys=True)
        configs.setdefault(key, {"scenario": run["scenario"], "algo": run["algo"],
                                 "overrides": run["overrides"], "runs": []})["runs"].append(run)
    out_configs = []
    for config in configs.values():
        mine = sorted(config.pop("runs"), key=lambda r: r["seed"])
        done = [r for r in mine if r["status"] == "finished" and r["eval_return"] is not None]
        values = [float(r["eval_return"]) for r in done]
        ci = bootstrap_ci(values)
        out_configs.append({
            **config, "label": label_of(config),
            "seeds": {str(r["seed"]): float(r["eval_return"]) for r in done},
            "mean": float(np.mean(values)) if values else None,
            "ci95": list(ci) if ci else None,
            "finished": len(done), "failed": sum(r["status"] == "failed" for r in mine),
            "total": len(mine),
            "errors": {str(r["seed"]): r["error"] for r in mine if r["status"] == "failed"},
            "curve": aggregate_curve(mine, mine[0]["eval_interval"], mine[0]["steps"]),
            "runs": mine,
        })
    counts = {k: 0 for k in ("total", "finished", "failed", "running", "pending",
                             "interrupted", "stopped")}
    for run in runs:
        counts["total"] += 1
        counts[run["status"]] = counts.get(run["status"], 0) + 1
    solved = [r["solved_return"] for r in runs if r["solved_return"] is not None]
    sweep = read_json(os.path.join(path, SWEEP_FILE)) or {}
    return {
        "path": path, "command": sweep.get("command"),
        "generated": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "partial": counts["finished"] + counts["failed"] < counts["total"],
        "counts": counts,
        "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED,
                      "method": "percentile", "level": 0.95},
        "solved_return": solved[0] if solved else None,
        "configs": out_configs,
    }


def fmt(value: float | None) -> str:
    """A return as the report prints it: 18.27, 7.000; "–" for none."""
    if value is None:
        return "–"
    return f"{value:.2f}" if abs(value) >= 10 else f"{value:.3f}"


def ci_text(ci: list[float] | None) -> str:
    return "–" if ci is None else f"[{fmt(ci[0])}, {fmt(ci[1])}]"


def seeds_text(config: dict[str, Any]) -> str:
    """Seeds finished of all: '7/10', '3/5 (1 failed)'."""
    text = f"{config['finished']}/{config['total']}"
    return text + (f" ({config['failed']} failed)" if config["failed"] else "")


def per_seed_text(config: dict[str, Any]) -> str:
    """'0: 18.79, 1: 16.72, 2: failed' over the runs that ended."""
    parts = []
    for run in config["runs"]:
        if run["status"] == "finished":
            parts.append(f"{run['seed']}: {fmt(run['eval_return'])}")
        elif run["status"] == "failed":
            parts.append(f"{run['seed']}: failed")
    return ", ".join(parts) or "–"


def status_line(study: dict[str, Any], markdown: bool = True) -> str:
    """One line over the table: how complete the study is and what the numbers cover."""
    c = study["counts"]
    if not study["partial"]:
        line = f"All {c['total']} runs done: {c['finished']} finished"
        return line + (f", {c['failed']} failed." if c["failed"] else ".")
    rest = ", ".join(f"{c[k]} {k}" for k in ("running", "interrupted", "stopped", "pending",
                                             "failed") if c.get(k))
    partial = "**Partial**" if markdown else "Partial"
    return (f"{partial}: {c['finished']} of {c['total']} runs finished ({rest}); "
            f"the numbers cover the finished runs only (as of {study['generated']}).")


def markdown(study: dict[str, Any]) -> str:
    """The report as Markdown: status line, table, how the numbers were made."""
    episodes = sorted({r["eval_episodes"] for c in study["configs"] for r in c["runs"]
                       if r["eval_episodes"]})
    lines = [status_line(study), "",
             "| scenario | algo | overrides | seeds | mean | 95% CI | per seed (final greedy "
             "return) |", "|---|---|---|---|---|---|---|"]
    for c in study["configs"]:
        over = ", ".join(f"{k}={v}" for k, v in c["overrides"].items()) or "–"
        lines.append(f"| {c['scenario']} | {c['algo']} | {over} | {seeds_text(c)} | "
                     f"{fmt(c['mean'])} | {ci_text(c['ci95'])} | {per_seed_text(c)} |")
    b = study["bootstrap"]
    each = ("/".join(str(e) for e in episodes) + " greedy episodes") if episodes else (
        "greedy episodes")
    lines += ["", f"Per seed: the run's final greedy return ({each}, after its last training "
                  f"step). Mean over seeds; 95% CI: percentile bootstrap of the mean, "
                  f"{b['resamples']:,} resamples, NumPy default_rng({b['seed']}) "
                  f"(qmix/report.py)."]
    errors = [(c, seed, err) for c in study["configs"] for seed, err in c["errors"].items()]
    if errors:
        lines += ["", "Failed runs:", ""]
        lines += [f"- {c['label']} seed {seed}: {err}" for c, seed, err in errors]
    return "\n".join(lines)


def figure(study: dict[str, Any]) -> Any:
    """Greedy-evaluation curves as a matplotlib Figure (Agg, no pyplot, no GUI backend): per
    configuration its mean and a 95% bootstrap band, axis labels, legend, solved line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    fig = Figure(figsize=(8, 4.8), dpi=120, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    scenarios = sorted({c["scenario"] for c in study["configs"]})
    for c in study["configs"]:
        curve = c["curve"]
        if not curve["env_steps"]:
            continue
        name = c["label"] if len(scenarios) == 1 else f"{c['scenario']}: {c['label']}"
        final = ("" if c["mean"] is None else
                 f": final {fmt(c['mean'])} [{fmt(c['ci95'][0])}, {fmt(c['ci95'][1])}]")
        line, = ax.plot(curve["env_steps"], curve["mean"], lw=1.8,
                        label=f"{name}, {c['finished']}/{c['total']} seeds{final}")
        ax.fill_between(curve["env_steps"], curve["low"], curve["high"],
                        color=line.get_color(), alpha=0.2, lw=0)
    if study["solved_return"] is not None:
        ax.axhline(study["solved_return"], color="0.4", ls="--", lw=1,
                   label=f"solved ({study['solved_return']:g})")
    ax.set_xlabel("env steps")
    ax.set_ylabel("greedy evaluation return")
    title = f"{', '.join(scenarios)}: mean and 95% bootstrap CI over seeds"
    if study["partial"]:
        c = study["counts"]
        title += f"\n(partial: {c['finished']} of {c['total']} runs finished)"
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{v / 1e6:g}M" if abs(v) >= 1e6 else f"{v / 1e3:g}k" if v else "0"))
    return fig


def write_png(study: dict[str, Any], path: str) -> None:
    """The curves of `figure(study)` as a PNG, written atomically."""
    from qmix.checkpoint.atomic import write_atomically

    fig = figure(study)

    def write(tmp: str) -> None:
        fig.savefig(tmp, format="png")

    write_atomically(path, write)


def write_files(study: dict[str, Any], folder: str, png: str | None = None) -> list[str]:
    """report.md, report.json and the PNG into `folder` (the PNG at `png` if given)."""
    from qmix.checkpoint.atomic import write_atomically

    md = markdown(study)
    title = f"# Study report: {os.path.basename(study['path'])}\n\n"
    command = f"Made by `{study['command']}`.\n\n" if study["command"] else ""

    def write_md(tmp: str) -> None:
        with open(tmp, "w") as fh:
            fh.write(title + command + md + "\n\n![curves](report.png)\n")

    written = []
    write_atomically(os.path.join(folder, "report.md"), write_md)
    write_json(os.path.join(folder, "report.json"), study)
    written += [os.path.join(folder, "report.md"), os.path.join(folder, "report.json")]
    png = png or os.path.join(folder, "report.png")
    write_png(study, png)
    written.append(png)
    return written


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        print(f"error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="./studio report", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", metavar="DIR", help="the study folder (sweep --out)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of the Markdown table")
    parser.add_argument("--png", default=None, metavar="PATH",
                        help="where to write the curves (default DIR/report.png)")
    parser.add_argument("--no-files", action="store_true",
                        help="only print; write no report files into DIR")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        study = load_study(args.dir)
    except (ValueError, OSError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    if args.json:
        print(dumps(study))
    else:
        print(markdown(study))
    if not args.no_files:
        try:
            written = write_files(study, study["path"], args.png)
        except (ValueError, OSError) as exc:  # e.g. a read-only study folder
            print(f"error: the report files could not be written: {one_line(exc)}",
                  file=sys.stderr)
            return 2
        print(f"wrote {', '.join(written)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
