"""The benchmark runs end to end and prints one JSON line with every promised figure (tiny
sizes: what is checked is that it tells something, not how fast anything is)."""

from __future__ import annotations

import json
import math

from qmix import bench

PROMISED = ("update_ms_32x26", "update_ms_32x50", "update_ms_32x26_per_agent",
            "update_ms_32x26_xla", "first_update_s", "end_to_end_env_steps_per_s",
            "acting_env_steps_per_s", "train_peak_rss_mb", "matmul_bound_ms_32x26")


def test_json_line_has_every_figure_finite(capsys):
    assert bench.main(["--tiny", "--quick", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1  # --json prints that line and nothing else
    out = json.loads(lines[0])
    for key in PROMISED:
        assert isinstance(out[key], (int, float)) and math.isfinite(out[key]), key
        assert out[key] > 0, key
    assert out["machine"] and "cores" in out["machine"]
    # RSS is that of a fresh training process, not of this (much larger) test process
    assert 100 < out["train_peak_rss_mb"] < 4000


def test_matmul_shapes_count_the_reference_update():
    shapes = bench.matmul_shapes(bench.reference_sizes(), 26)
    mflop = sum(2 * b * m * k * n for b, m, k, n, _ in shapes) / 1e6
    assert 600 < mflop < 700  # ~647 MFLOP for one update at 32 x 26 (docs/performance.md)
    recurrent = [s for s in shapes if s[:4] == (1, 96, 64, 192)]
    assert len(recurrent) == 26 * 4  # online forward, dX, dW; target forward
    per_sample = [s for s in shapes if s[0] == 32 * 25]
    assert len(per_sample) == 2 * 3 + 2  # online: forward and both gradients; target: forward
