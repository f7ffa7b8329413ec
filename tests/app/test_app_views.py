"""The what-if views in the real window (app/views.py): M puts the selected agent's value map
on the picture (its real cell's entry is the inspector's greedy Q_tot), Shift+M cycles the
value, a drag recomputes it for the moved state, X shows the mixer surface; the run's
generators stay as they were. Pursuit, real Trainer; waits are for frames, not for time."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import close_window, make_window, trainer, wait_idle, wait_until

from app.commands import Command
from qmix.config import make_config


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    w = make_window(tmp_path_factory.mktemp("views"), make_config("pursuit", n_envs=2, seed=6))
    wait_idle(w)
    yield w
    close_window(w)


def settle(window):
    """Until the frame on screen carries the views it asked for (or asks for none)."""
    wait_idle(window)
    wait_until(lambda: not window.views.pending and window.controller.worker.is_idle(), 30,
               "the views")
    wait_idle(window)


def test_value_map_follows_the_state_on_screen(window):
    t = trainer(window)
    rng = repr(t.rng.bit_generator.state)
    QTest.keyClick(window, Qt.Key_M)
    settle(window)
    spec = window.view.value_overlay
    snap = window.last_frame.snapshot
    assert spec is not None and spec.label == "Q_tot" and spec.agent == 0
    cell = tuple(int(v) for v in snap.frame["agents"][0])
    assert spec.cell == cell and spec.values.shape == tuple(snap.frame["grid_shape"])
    assert spec.values[cell] == pytest.approx(snap.inspection.q_tot_greedy, abs=1e-5)
    assert window.view.paint_count > 0
    QTest.keyClick(window, Qt.Key_M, Qt.ShiftModifier)  # V(s)
    settle(window)
    assert window.view.value_overlay.label == "V(s)"
    # a what-if move: the map is recomputed for the moved state
    free = [tuple(int(v) for v in rc) for rc in t.env.standable_cells(0, "agent", 0)
            if tuple(rc) != cell]
    window.controller.worker.request(Command.WHATIF_MOVE, ("agent", 0, free[0]))
    settle(window)
    assert window.last_frame.snapshot.whatif and window.view.value_overlay.cell == free[0]
    QTest.keyClick(window, Qt.Key_Escape)
    settle(window)
    assert window.view.value_overlay.cell == cell
    QTest.keyClick(window, Qt.Key_M)  # off
    settle(window)
    assert window.view.value_overlay is None
    assert repr(t.rng.bit_generator.state) == rng  # nothing of the run was drawn


def test_mixer_surface_of_the_selected_and_the_next_agent(window):
    window.select_agent(1)
    QTest.keyClick(window, Qt.Key_X)
    settle(window)
    assert window.views.mixer_dock.isVisible()
    surface = window.views.mixer_view.surface
    assert surface is not None and (surface["i"], surface["j"]) == (1, 2)
    grid = surface["grid"]
    # QMIX: monotonic in both agents' Q (never lower to the right or upwards)
    assert (np.diff(grid, axis=0) >= 0).all() and (np.diff(grid, axis=1) >= 0).all()
    point = surface["point"]
    assert point[2] == pytest.approx(window.last_frame.snapshot.inspection.q_tot_chosen,
                                     abs=1e-5)
    QTest.keyClick(window, Qt.Key_N)  # a step: the surface follows the new state
    settle(window)
    assert window.views.mixer_view.surface is not surface
    QTest.keyClick(window, Qt.Key_X)
    assert not window.views.mixer_dock.isVisible()
