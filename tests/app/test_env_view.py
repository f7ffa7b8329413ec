"""The environment view (app/env_view.py): the pygame picture at the widget's own size, the
pending actions on it, clicks mapped back to agents."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from studio_helpers import spin

import envs
from app import scene
from app.env_view import EnvView
from app.theme import LIGHT


def test_draws_the_frame_at_its_size_and_maps_clicks_to_agents(qtbot):
    env = envs.make("pursuit")
    env.reset(seed=1)
    view = EnvView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    clicked = []
    view.agent_clicked.connect(clicked.append)
    view.set_frame(env.snapshot(0), np.array([1, 2, 5]))
    view.set_theme(LIGHT, 1.0)
    spin(0.1)
    assert view.paint_count >= 1 and view.drawn_kind == "pursuit"
    ratio = view.devicePixelRatioF()
    assert view._image.width() == int(500 * ratio) and view._image.height() == int(400 * ratio)
    target = next((x, y) for y in range(0, 400, 3) for x in range(0, 500, 3)
                  if scene.hit_test(view.frame, x * ratio, y * ratio, int(500 * ratio),
                                    int(400 * ratio)) == 2)
    QTest.mouseClick(view, Qt.LeftButton, Qt.NoModifier, QPoint(*target))
    QTest.mouseClick(view, Qt.LeftButton, Qt.NoModifier, QPoint(1, 1))
    assert clicked == [2, -1]
    view.set_overlay("Starting TensorFlow…")
    view.badge = "GREEDY EVALUATION"
    spin(0.05)
    assert view.overlay_text and view.fps() >= 0
