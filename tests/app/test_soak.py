"""The soak command (app/soak.py), short: a command budget through the real window,
offscreen, in its own process; the JSON line says what was done and that nothing hung."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_short_soak_drives_the_window_and_reports(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "app.soak", "--scenario", "two_step", "--commands", "40",
         "--seed", "3", "--interval-ms", "60", "--dialog-ms", "100", "--sample-s", "1",
         "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("commands", "rss_start_mb", "rss_end_mb", "growth_after_warmup_pct",
                "crashed"):
        assert key in result, key
    assert result["commands"] == 40
    assert result["crashed"] is False and result["hung"] is False and result["errors"] == 0
    assert sum(result["by_command"].values()) == 40
    assert result["rss_end_mb"] > result["rss_start_mb"] > 0
    assert result["samples"] >= 2
    assert "soak" in proc.stderr  # RSS over time, one line a sample


def test_bad_budget_is_one_line_and_status_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "app.soak", "--commands", "0"], cwd=ROOT,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: --commands must be > 0, got 0"]


def test_growth_is_the_trend_not_the_last_sample():
    from app.soak import trend_growth_pct

    times = [float(t) for t in range(100)]
    flat = [900.0 + (40.0 if t % 7 in (5, 6) else 0.0) for t in range(100)]  # swings, no leak
    flat[-1] = 940.0  # the last sample lands on a swing: +4.4 % end to end
    assert abs(trend_growth_pct(times, flat)) < 1.0
    leak = [900.0 + 0.9 * t for t in range(100)]  # +89.1 MB over the span: 9.9 %
    assert abs(trend_growth_pct(times, leak) - 9.9) < 0.01
    assert trend_growth_pct([0.0, 1.0], [100.0, 110.0]) == 10.0  # two samples: end points
