"""A study folder as the app sees it (app/study.py), as plain Python: which paths are studies,
the folder's fingerprint changes exactly when a file load_study reads changes (so the app
re-reads only then), what configurations and runs are called on screen (numbers straight
from load_study), and which files belong to a study. No Qt: tests/test_layering.py checks the module imports none."""

from __future__ import annotations

import os

import pytest
from study_helpers import add_metrics, finish, make_study

from app import study as s
from qmix.report import load_study


def test_a_path_is_a_study_a_run_or_an_error(tmp_path):
    make_study(str(tmp_path / "study"))
    assert s.classify(str(tmp_path / "study")) == "study"
    run = tmp_path / "run.h5"
    run.write_bytes(b"x")
    assert s.classify(str(run)) == "run"  # the worker says what is wrong with a bad file
    with pytest.raises(ValueError, match="no such file or folder"):
        s.classify(str(tmp_path / "missing"))
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match="not a study: it has no sweep.json"):
        s.classify(str(tmp_path / "plain"))
    with pytest.raises(ValueError, match="not a study folder"):
        s.open_study(str(run))
    assert s.open_study(str(tmp_path / "study"))["counts"]["total"] == 4


def test_the_fingerprint_changes_exactly_when_the_study_does(tmp_path):
    root = str(tmp_path / "study")
    dirs = make_study(root)
    first = s.fingerprint(root)
    assert first == s.fingerprint(root)
    prints, study, _ = s.scan(root, first)
    assert prints == first and study is None  # nothing changed: load_study is not called
    (tmp_path / "study" / "report.md").write_text("a report")  # not a file it reads
    (tmp_path / "study" / ".sweep.lock").write_text("1")
    assert s.fingerprint(root) == first
    add_metrics(dirs["vdn-two_step-lr=0.01-seed1"], 200, 5.0)
    second = s.fingerprint(root)
    assert second != first
    prints, study, seconds = s.scan(root, first)
    assert prints == second and study["configs"][1]["runs"][1]["env_steps"] == 200
    assert seconds > 0
    prints, study, _ = s.scan(root, second, force=True)  # forced: read even so
    assert study is not None


def test_names_and_numbers_come_from_load_study(tmp_path):
    root = str(tmp_path / "study")
    make_study(root)
    study = load_study(root)
    qmix, vdn = study["configs"]
    assert s.config_name(qmix) == "two_step · qmix"
    assert s.config_name(vdn) == "two_step · vdn (lr=0.01)"
    assert s.seeds_text(qmix) == "2/2" and s.seeds_text(vdn) == "1/2"
    assert s.per_seed_text(qmix) == "0: 7.000, 1: 8.000"
    assert s.per_seed_text(vdn) == "0: 7.000"
    assert s.fmt(qmix["mean"]) == "7.500" and s.fmt(18.2689) == "18.27" and s.fmt(None) == "–"
    assert s.ci_text(qmix["ci95"]) == f"[{s.fmt(qmix['ci95'][0])}, {s.fmt(qmix['ci95'][1])}]"
    assert s.legend_text(qmix) == f"two_step · qmix — 2/2 seeds: 7.500 {s.ci_text(qmix['ci95'])}"
    partial = vdn["runs"][1]
    assert partial["status"] == "interrupted"
    assert s.run_progress(partial) == "100 of 200 env steps"
    assert s.status_note(study).startswith("Partial: 3 of 4 runs finished (1 interrupted);")
    assert s.steps_text(100_073) == "100k" and s.steps_text(1_500_000) == "1.5M"
    finish(vdn["runs"][1]["path"], 9.0)
    assert s.status_note(load_study(root)) == "All 4 runs done: 4 finished."


def test_a_study_run_is_named_by_its_folder(tmp_path):
    root = str(tmp_path / "study")
    dirs = make_study(root)
    ckpt = os.path.join(dirs["qmix-two_step-seed0"], "checkpoint.h5")
    assert s.study_of_run(ckpt) == root
    assert s.file_label(ckpt) == os.path.join("qmix-two_step-seed0", "checkpoint.h5")
    assert s.study_of_run(str(tmp_path / "run.h5")) is None
    assert s.file_label(str(tmp_path / "run.h5")) == "run.h5"
    assert s.study_of_run(None) is None
