"""The world editor in the real window (app/editor.py): W, the tools on Ctrl+1..4 and
clicks on cells, refusals in one line, Ctrl+Enter applying a world that fits (the run keeps
training on it) and one that does not (a new run is needed, and the button starts it), save
and load of a layout file. Pursuit, real Trainer; waits are for the worker only."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog
from studio_helpers import (cell_point, close_window, make_window, trainer, wait_idle,
                            wait_new_run)

from qmix.config import make_config


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    w = make_window(tmp_path_factory.mktemp("editor"), make_config("pursuit", n_envs=2, seed=3))
    wait_idle(w)
    yield w
    close_window(w)


def click(window, cell) -> None:
    QTest.mouseClick(window.view, Qt.LeftButton, Qt.NoModifier, cell_point(window, cell))


def free_cells(layout):
    taken = {tuple(c) for c in np.concatenate([layout.agents, layout.items])}
    return [(r, c) for r in range(layout.size) for c in range(layout.size)
            if not layout.walls[r, c] and (r, c) not in taken]


def test_paint_a_wall_apply_it_and_keep_training(window, tmp_path, monkeypatch):
    t = trainer(window)
    QTest.keyClick(window, Qt.Key_W)
    ed = window.editor
    assert ed.active and ed.bar.isVisible() and window.view.badge == "WORLD EDITOR"
    QTest.keyClick(window, Qt.Key_1, Qt.ControlModifier)  # wall tool
    assert ed.tool == "wall"
    cell = free_cells(ed.layout)[0]
    click(window, cell)
    assert ed.layout.walls[cell] and window.view.frame["walls"][cell]
    agent_cell = tuple(int(v) for v in ed.layout.agents[0])
    click(window, agent_cell)  # a wall on an agent: refused, nothing changes
    assert "Refused" in ed.message and not ed.layout.walls[agent_cell]
    path = tmp_path / "walled.txt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))
    QTest.keyClick(window, Qt.Key_L, Qt.ControlModifier | Qt.ShiftModifier)
    assert path.read_text().count("#") >= 1
    steps, updates = t.env_steps, t.updates
    QTest.keyClick(window, Qt.Key_Return, Qt.ControlModifier)
    wait_idle(window)
    assert ed.message.startswith("The run keeps training on the edited world"), ed.message
    assert not ed.active  # closed on the run's new episode on the edited world
    assert window.last_frame.snapshot.frame["walls"][cell] and window.view.badge == ""
    assert t.env.snapshot(0)["walls"][cell]  # the run's own world has the wall
    assert t.config.scenario_kwargs["walls"][cell[0]][cell[1]] == "#"
    assert window.config.scenario_kwargs == t.config.scenario_kwargs  # Reset keeps it
    assert (t.env_steps, t.updates) == (steps, updates)
    assert not ed.bar.isVisible()
    QTest.keyClick(window, Qt.Key_N)
    wait_idle(window)
    assert t.env_steps == steps + t.config.n_envs
    assert window.last_frame.snapshot.frame["walls"][cell]
    # loading the saved file into the editor gives the same walls back
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(path), "")))
    QTest.keyClick(window, Qt.Key_L, Qt.ControlModifier)
    assert ed.active and ed.layout.walls[cell]
    QTest.keyClick(window, Qt.Key_W)


def test_one_prey_more_needs_a_new_run_and_the_button_starts_it(window):
    t = trainer(window)
    QTest.keyClick(window, Qt.Key_W)
    ed = window.editor
    QTest.keyClick(window, Qt.Key_4, Qt.ControlModifier)  # add prey
    prey = len(ed.layout.items)
    click(window, free_cells(ed.layout)[-1])
    assert len(ed.layout.items) == prey + 1
    QTest.keyClick(window, Qt.Key_Return, Qt.ControlModifier)
    wait_idle(window)
    assert ed.message.startswith("A new run is needed"), ed.message
    assert "state size" in ed.message and ed.new_run_button.isVisible()
    assert len(t.env.snapshot(0)["prey"]) == prey  # the run is untouched
    ed.new_run_button.click()
    wait_new_run(window, t)
    new = trainer(window)
    assert new is not t and new.config.scenario_kwargs["n_prey"] == prey + 1
    assert len(new.env.snapshot(0)["prey"]) == prey + 1 and not ed.active


def test_a_captured_prey_still_counts_so_the_world_still_fits(window):
    t = trainer(window)
    frame = dict(window.last_frame.snapshot.frame)
    frame["prey_alive"] = np.array([False] + [True] * (len(frame["prey"]) - 1))
    window.view.set_frame(frame)  # a frame just after a capture
    QTest.keyClick(window, Qt.Key_W)
    ed = window.editor
    assert ed.active and len(ed.layout.items) == len(frame["prey"])
    QTest.keyClick(window, Qt.Key_Return, Qt.ControlModifier)
    wait_idle(window)
    assert ed.message.startswith("The run keeps training"), ed.message
    assert trainer(window) is t
