"""The learning-curve plots never raise on what a run can send: no solved threshold, NaN and
infinite points, values whose span overflows."""

from __future__ import annotations

import math

from studio_helpers import spin


def test_plots_take_no_threshold_and_non_finite_points(qtbot):
    from app.plots import PlotsPanel

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    for value in (None, math.inf, -math.inf, math.nan):
        panel.set_solved_return(value)
        assert panel.solved_line is None and panel.solved_value is None
    panel.extend({
        "eval_return": [(100, 0.5), (200, math.nan), (300, math.inf), (400, 0.75)],
        "loss": [(10, math.inf), (20, 1.0), (math.nan, 2.0), (40, 0.5)],
        "q_tot": [(5, math.nan)],  # nothing finite at all
        "grad_norm": [(5, 1e308), (6, -1e308)],  # finite, but their span is not
    })
    assert panel.redraw()
    spin(0.05)
    assert panel.series["eval_return"].n == 2 and panel.series["eval_return"].dropped == 2
    assert panel.series["loss"].n == 2 and panel.series["q_tot"].n == 0
    for key, plot in panel.plots.items():
        (x0, x1), (y0, y1) = plot.viewRange()
        assert all(math.isfinite(v) for v in (x0, x1, y0, y1)), key
    panel.set_solved_return(8.0)  # a threshold still draws its line
    assert panel.solved_line is not None and panel.solved_line.value() == 8.0
    panel.set_solved_return(None)
    assert panel.solved_line is None


def test_one_plot_per_curve_of_CURVES_titled_as_it_says(qtbot):
    from app.plots import COMPACT, PlotsPanel
    from qmix.types import CURVES

    panel = PlotsPanel()
    qtbot.addWidget(panel)
    assert list(panel.plots) == [c.name for c in CURVES] == list(panel.series)
    for curve in CURVES:
        assert curve.title in panel.plots[curve.name].titleLabel.text, curve.name
    noisy = {c.name for c in CURVES if c.hook in ("on_episode_end", "on_update")}
    assert set(panel.smooth) == noisy
    panel.extend({c.name: [(10, 0.5), (20, 0.75)] for c in CURVES})
    assert panel.redraw() and all(s.n == 2 for s in panel.series.values())
    panel.set_compact(True)
    assert {k for k, plot in panel.plots.items() if plot.isVisible()} == set(COMPACT)
    panel.set_compact(False)
    assert all(plot.isVisible() for plot in panel.plots.values())
