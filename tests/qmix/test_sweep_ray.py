"""The Ray driver of a study (qmix/sweep_ray.py), piece by piece; the driver as a whole runs
through the real command line in test_sweep.py."""

from __future__ import annotations

from qmix import sweep_ray


def test_runs_are_submitted_seed_by_seed():
    specs = [{"algo": a, "seed": s} for a in ("qmix", "vdn", "iql") for s in (3, 1, 2)]
    order = [(s["seed"], s["algo"]) for s in sweep_ray.submission_order(specs)]
    assert order == [(3, "qmix"), (3, "vdn"), (3, "iql"), (1, "qmix"), (1, "vdn"),
                     (1, "iql"), (2, "qmix"), (2, "vdn"), (2, "iql")]
