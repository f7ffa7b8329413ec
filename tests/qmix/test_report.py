"""Study reports (qmix/report.py) on study folders written by hand: the means and bootstrap
intervals recomputed from the per-seed values, the curves' common grid and band, partial
studies, strict JSON, the PNG, and one-line errors. No Ray, no TensorFlow."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from qmix import cli, report, study_files, sweep

STEPS, INTERVAL = 3000, 1000


def _write(path, data) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        json.dump(data, fh)


def make_run(study, algo, seed, status="finished", final=None, curve=(), set_=None,
             error=None, solved_return=None):
    """A run folder as the sweep writes it: spec.json, run.json, metrics.jsonl."""
    spec = {"scenario": "pursuit", "algo": algo, "preset": None, "set": set_ or {},
            "env": {}, "seed": seed, "steps": STEPS, "final_eval_episodes": 128,
            "save_every": 1000, "eval_interval": INTERVAL}
    spec["run_id"] = sweep.run_id(spec)
    run_dir = os.path.join(study, spec["run_id"])
    _write(os.path.join(run_dir, study_files.SPEC_FILE), spec)
    if status != "pending":
        run = {"run_id": spec["run_id"], "status": status, "pid": 1000 + seed, "host": "h",
               "started": "2026-01-01T00:00:00+00:00", "finished": None,
               "solved_return": solved_return}
        if status == "finished":
            run.update(eval_return=final, eval_episodes=128,
                       finished="2026-01-01T00:01:00+00:00")
        if error:
            run["error"] = error
        _write(os.path.join(run_dir, study_files.RUN_FILE), run)
    with open(os.path.join(run_dir, study_files.METRICS_FILE), "w") as fh:
        for step, value in curve:
            fh.write(json.dumps({"kind": "eval", "env_steps": step, "eval_return": value}) + "\n")
        if status == "finished":
            fh.write(json.dumps({"kind": "final", "env_steps": curve[-1][0] if curve else STEPS,
                                 "eval_return": final}) + "\n")
        fh.write('{"kind": "eval", "env_st')  # a half-written last line (a killed writer)
    return spec["run_id"], run_dir


def by_hand_ci(values):
    """The documented recipe, written out again."""
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(x), size=(10_000, len(x)))
    return list(np.percentile(x[idx].mean(axis=1), [2.5, 97.5]))


@pytest.fixture
def study(tmp_path):
    """pursuit, qmix seeds 0-3 finished and vdn seeds 0-2 (one failed), with curves."""
    root = str(tmp_path / "study")
    qmix = {0: 18.5, 1: 17.25, 2: 19.0, 3: 12.5}
    for seed, final in qmix.items():
        make_run(root, "qmix", seed, final=final, solved_return=18.0,
                 curve=[(1008 + seed, 2.0 + seed), (2016, 9.0 + seed), (3000 + 8 * seed, final)])
    make_run(root, "vdn", 0, final=11.0, curve=[(1000, 1.0), (2000, 5.0), (3000, 11.0)])
    make_run(root, "vdn", 1, final=13.5, curve=[(1000, 3.0), (2000, 6.0), (3000, 13.5)])
    make_run(root, "vdn", 2, status="failed", error="training diverged: boom",
             curve=[(1000, 0.0)])
    _write(os.path.join(root, study_files.SWEEP_FILE),
           {"runs": [f"qmix-pursuit-seed{s}" for s in range(4)] +
            [f"vdn-pursuit-seed{s}" for s in range(3)], "command": "./studio sweep ..."})
    return root, qmix


def test_means_and_intervals_recomputed_by_hand(study):
    root, qmix = study
    data = report.load_study(root)
    assert [c["algo"] for c in data["configs"]] == ["qmix", "vdn"]  # grid order
    q, v = data["configs"]
    assert q["seeds"] == {str(s): f for s, f in qmix.items()}
    assert q["mean"] == pytest.approx(np.mean(list(qmix.values())))
    assert q["ci95"] == pytest.approx(by_hand_ci([qmix[s] for s in sorted(qmix)]))
    assert q["ci95"][0] < q["mean"] < q["ci95"][1]
    assert (q["finished"], q["failed"], q["total"]) == (4, 0, 4)
    assert v["seeds"] == {"0": 11.0, "1": 13.5} and v["mean"] == pytest.approx(12.25)
    assert v["ci95"] == pytest.approx(by_hand_ci([11.0, 13.5]))
    assert (v["finished"], v["failed"], v["errors"]) == (2, 1, {"2": "training diverged: boom"})
    assert not data["partial"] and data["counts"]["failed"] == 1
    assert data["bootstrap"] == {"resamples": 10_000, "seed": 0, "method": "percentile",
                                 "level": 0.95}
    assert report.bootstrap_ci([5.0]) == (5.0, 5.0) and report.bootstrap_ci([]) is None


def test_curves_are_aligned_on_the_eval_grid_with_a_band(study):
    root, _ = study
    q = report.load_study(root)["configs"][0]
    curve = q["curve"]
    assert curve["env_steps"] == [1000, 2000, 3000] and curve["n"] == [4, 4, 4]
    runs = sorted(q["runs"], key=lambda r: r["seed"])
    for i, step in enumerate(curve["env_steps"]):
        values = [float(np.interp(step, r["curve"]["env_steps"], r["curve"]["eval_return"]))
                  for r in runs]
        assert curve["mean"][i] == pytest.approx(np.mean(values))
        assert [curve["low"][i], curve["high"][i]] == pytest.approx(by_hand_ci(values))
    # the final evaluation replaces a periodic one at the same step; half lines are skipped
    assert runs[0]["curve"]["eval_return"][-1] == 18.5
    vdn_failed = report.load_study(root)["configs"][1]["runs"][2]
    assert vdn_failed["curve"] == {"env_steps": [1000], "eval_return": [0.0]}
    assert report.load_study(root)["configs"][1]["curve"]["n"] == [3, 2, 2]


def test_json_is_strict_and_has_the_documented_shape(study, capsys):
    root, _ = study
    assert cli.main(["report", root, "--json", "--no-files"]) == 0
    out = capsys.readouterr().out.strip()
    assert "\n" not in out

    def no_constants(name):
        raise AssertionError(f"not strict JSON: {name}")

    data = json.loads(out, parse_constant=no_constants)
    for config in data["configs"]:
        assert set(config) >= {"scenario", "algo", "overrides", "seeds", "mean", "ci95",
                               "finished", "failed"}
        assert all(isinstance(k, str) and isinstance(v, float) for k, v in
                   config["seeds"].items())
    assert data["configs"][0]["runs"][0]["path"].startswith(root)


def test_markdown_table_png_and_files(study, capsys):
    root, qmix = study
    assert cli.main(["report", root]) == 0
    out = capsys.readouterr().out
    assert out.startswith("All 7 runs done: 6 finished, 1 failed.")
    row = next(line for line in out.splitlines() if line.startswith("| pursuit | qmix"))
    assert "4/4" in row and f"{np.mean(list(qmix.values())):.2f}" in row
    assert "0: 18.50, 1: 17.25, 2: 19.00, 3: 12.50" in row
    assert "2: failed" in next(line for line in out.splitlines() if "| vdn |" in line)
    assert "10,000 resamples" in out and "training diverged: boom" in out
    for name in report.REPORT_FILES:
        assert os.path.getsize(os.path.join(root, name)) > 0
    with open(os.path.join(root, "report.png"), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    with open(os.path.join(root, "report.md")) as fh:
        md = fh.read()
    assert "./studio sweep ..." in md and "![curves](report.png)" in md


def test_figure_has_labels_legend_and_one_band_per_config(study):
    root, _ = study
    fig = report.figure(report.load_study(root))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "env steps" and ax.get_ylabel() == "greedy evaluation return"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("qmix, 4/4 seeds: final") and legend[1].startswith("vdn")
    assert legend[-1] == "solved (18)"
    assert len(ax.collections) == 2  # the two bands
    assert "partial" not in ax.get_title()


def test_a_study_still_running_is_reported_as_partial(tmp_path, capsys):
    root = str(tmp_path / "running")
    make_run(root, "qmix", 0, final=8.0, curve=[(1000, 7.0), (2000, 8.0)])
    _, live = make_run(root, "qmix", 1, status="running", curve=[(1000, 7.0)])
    _, dead = make_run(root, "qmix", 2, status="running", curve=[(1000, 8.0)])
    make_run(root, "qmix", 3, status="pending")
    lock = study_files.try_lock(os.path.join(live, study_files.LOCK_FILE))  # its process is alive
    open(os.path.join(dead, study_files.LOCK_FILE), "w").close()  # nobody holds this one
    try:
        data = report.load_study(root)
    finally:
        os.close(lock)
    assert data["partial"]
    assert {r["seed"]: r["status"] for r in data["configs"][0]["runs"]} == {
        0: "finished", 1: "running", 2: "stopped", 3: "pending"}
    c = data["configs"][0]
    assert c["seeds"] == {"0": 8.0} and c["mean"] == 8.0 and c["finished"] == 1
    assert c["curve"]["n"][0] == 3  # three runs have reached 1000 steps
    text = report.markdown(data)
    assert text.startswith("**Partial**: 1 of 4 runs finished (1 running, 1 stopped, "
                           "1 pending)")
    assert "(partial: 1 of 4 runs finished)" in report.figure(data).axes[0].get_title()


@pytest.mark.parametrize("what", ["missing", "file", "empty"])
def test_not_a_study_is_one_line_and_exit_2(tmp_path, capsys, what):
    path = tmp_path / "x"
    if what == "file":
        path.write_text("hello")
    elif what == "empty":
        path.mkdir()
    assert cli.main(["report", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and str(path) in err
