"""The mixer surface view (app/mixer_surface.py): the image holds the surface (agent i along
x), one contour per level inside its range, the current point where the what-if says."""

from __future__ import annotations

import numpy as np

from app.mixer_surface import MixerSurfaceView, contour_levels


def test_the_view_draws_the_surface_its_contours_and_the_point(qapp):
    view = MixerSurfaceView()
    view.resize(400, 360)
    q_i, q_j = np.linspace(-1.0, 2.0, 7), np.linspace(0.0, 1.0, 5)
    grid = np.tanh(q_i[:, None] + 2 * q_j[None, :])  # monotone in both
    view.set_surface(grid, q_i, q_j, (0.5, 0.25, 0.8), 0, 2, "qmix")
    np.testing.assert_array_equal(view.image.image, grid.T)  # row-major: rows = agent j
    assert len(view.contours) == len(contour_levels(grid)) == 9
    assert all(c.parentItem() is view.image for c in view.contours)
    xs, ys = view.point.getData()
    assert (xs[0], ys[0]) == (0.5, 0.25)
    rect = view.image.mapRectToParent(view.image.boundingRect())
    assert abs(rect.left() - (-1.25)) < 1e-9 and abs(rect.right() - 2.25) < 1e-9
    assert "monotonic" in view.caption.text() and "agents 0 and 2" in view.caption.text()
    view.set_surface(np.zeros((3, 3)), q_i[:3], q_j[:3], None, 1, 0, "vdn")  # flat, no point
    assert view.contours == [] and len(view.point.getData()[0]) == 0
    assert "a plane" in view.caption.text()
    view.grab()  # paints without error
    view.deleteLater()
