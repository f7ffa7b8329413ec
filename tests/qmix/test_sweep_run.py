"""One run of a study (qmix/sweep_run.py), piece by piece; whole runs train through the real
command line in test_sweep.py."""

from __future__ import annotations

import json

from qmix import study_files, sweep_run


class _FakeTrainer:
    def __init__(self, env_steps, history):
        self.env_steps, self.history = env_steps, {"episode_return": history}


def test_resume_cuts_the_metrics_back_to_the_checkpoint(tmp_path):
    path = str(tmp_path / "metrics.jsonl")
    rows = [{"kind": "eval", "env_steps": s, "eval_return": float(s)} for s in (100, 200, 300)]
    with open(path, "w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
        fh.write(json.dumps({"kind": "final", "env_steps": 300, "eval_return": 1.0}) + "\n")
        fh.write('{"kind": "ev')  # killed mid-line
    log = sweep_run.MetricsLog(path, _FakeTrainer(250, [(50, 1.0), (150, 2.0), (240, 3.0)]))
    log.close()
    assert study_files.read_metrics(path) == rows[:2]  # up to the checkpoint at 250, nothing else
    assert log.seen == 2  # the episodes up to step 200 were averaged into earlier lines
