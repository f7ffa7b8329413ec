"""The app opens every scenario the CLI trains: a user's PettingZoo world (`pz:`) with `--env`
values, drawn honestly by the vector view; Reset, the combo boxes and a saved run keep that
world; a world without a solved threshold plots without a solved line (the command line:
test_app_main.py; plots on their own: test_plots.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import (close_window, make_window, spin, trainer, wait_idle,
                            wait_new_run, wait_until)

FAKE = "pz:tests.envs.fake_parallel_env:make_env"


@pytest.fixture(scope="module")
def foreign(qapp, tmp_path_factory):
    """A window opened as `main.py --scenario pz:... --env episode_limit=12 --env
    'kwargs={"leave_at": 3}'` would open it (same parsing, same first frame)."""
    from app.main import build_world, parse_args

    args = parse_args(["--scenario", FAKE, "--env", "episode_limit=12",
                       "--env", 'kwargs={"leave_at": 3}', "--seed", "4"])
    config, env = build_world(args)
    window = make_window(tmp_path_factory.mktemp("foreign"), config, first_env=env)
    yield window
    close_window(window)


@pytest.fixture
def paused(foreign):
    foreign.pause()
    wait_idle(foreign)
    foreign.banner.hide()
    return foreign


def test_opens_a_pz_world_with_env_values_and_draws_the_vector_view(paused):
    t = trainer(paused)
    assert t.config.scenario == FAKE and t.config.seed == 4
    assert t.config.scenario_kwargs == {"episode_limit": 12, "kwargs": {"leave_at": 3}}
    assert t.info.episode_limit == 12 and t.info.solved_return is None
    paints = paused.view.paint_count
    paused.controller.step_env()
    wait_idle(paused)
    spin(0.1)
    assert paused.view.paint_count > paints
    frame = paused.view.frame
    assert frame["scenario"] == FAKE and frame["render"] == "vectors"
    assert paused.view.drawn_kind == "vectors"
    assert frame["agent_names"] == ["a", "b"] and frame["obs"].shape == (2, 5)
    # the pending decision is handed to the picture ("next" in the vector view)
    decision = paused.last_frame.snapshot.decision
    assert decision is not None
    np.testing.assert_array_equal(paused.view.actions, decision.actions)
    # the scenario box shows this world as an item of its own, the header a short name
    combo = paused.picker.scenario_combo
    assert combo.currentData() == FAKE and combo.currentText() == FAKE
    assert "fake_parallel_env:make_env" in paused.view_info.text()
    assert FAKE in paused.windowTitle()


def test_clicking_an_agent_row_selects_it(paused):
    from PySide6.QtCore import QPoint

    from app import scene

    view = paused.view
    w, h = view.width(), view.height()
    target = next(((x, y) for y in range(0, h, 4) for x in range(0, w, 4)
                   if scene.hit_test(view.frame, x, y, w, h) == 1), None)
    assert target is not None, "agent 1's row is not drawn anywhere"
    QTest.mouseClick(view, Qt.LeftButton, Qt.NoModifier, QPoint(*target))
    assert paused.selected_agent == 1 and view.selected_agent == 1
    QTest.mouseClick(view, Qt.LeftButton, Qt.NoModifier, QPoint(2, 2))
    assert paused.selected_agent is None


def test_a_world_without_solved_threshold_plots_without_a_solved_line(paused):
    assert paused.plots.solved_line is None and paused.plots.solved_value is None
    paused.play()
    t = trainer(paused)
    wait_until(lambda: t.updates >= 3, 90, "a few updates")
    paused.pause()
    wait_idle(paused)
    paused.controller.evaluate()
    wait_idle(paused)
    paused.plots.redraw()
    assert paused.plots.series["loss"].n > 0
    for key, plot in paused.plots.plots.items():
        (x0, x1), (y0, y1) = plot.viewRange()
        assert all(math.isfinite(v) for v in (x0, x1, y0, y1)), key
    assert paused.plots.solved_line is None
    assert paused.last_error is None and not paused.banner.isVisible()


def test_reset_keeps_the_world_and_its_env_values(paused):
    old = trainer(paused)
    paused.controller.step_episode()
    wait_idle(paused)
    QTest.keyClick(paused, Qt.Key_R)
    wait_new_run(paused, old)
    t = trainer(paused)
    assert t.config.scenario == FAKE and t.env_steps == 0
    assert t.config.scenario_kwargs == {"episode_limit": 12, "kwargs": {"leave_at": 3}}
    assert paused.picker.scenario_combo.currentData() == FAKE
    assert paused.view.frame["scenario"] == FAKE and paused.view.drawn_kind == "vectors"


def test_algorithm_box_changes_only_the_algorithm(paused):
    old = trainer(paused)
    combo = paused.picker.algo_combo
    combo.setCurrentIndex(combo.findData("vdn"))
    combo.activated.emit(combo.currentIndex())
    wait_new_run(paused, old)
    t = trainer(paused)
    assert t.config.algo == "vdn" and t.config.scenario == FAKE
    assert t.config.scenario_kwargs == {"episode_limit": 12, "kwargs": {"leave_at": 3}}
    combo.setCurrentIndex(combo.findData("qmix"))
    combo.activated.emit(combo.currentIndex())
    wait_new_run(paused, t)
    assert trainer(paused).config.algo == "qmix"


def test_scenario_box_switches_away_and_back_to_the_same_world(paused):
    combo = paused.picker.scenario_combo
    old = trainer(paused)
    combo.setCurrentIndex(combo.findData("two_step"))
    combo.activated.emit(combo.currentIndex())
    wait_new_run(paused, old)
    assert trainer(paused).info.name == "two_step"
    assert combo.findData(FAKE) >= 0  # the user's world stays in the list
    # choosing the current item again starts nothing
    current = trainer(paused)
    combo.activated.emit(combo.currentIndex())
    spin(0.3)
    assert trainer(paused) is current
    combo.setCurrentIndex(combo.findData(FAKE))
    combo.activated.emit(combo.currentIndex())
    wait_new_run(paused, current)
    t = trainer(paused)
    assert t.config.scenario == FAKE
    assert t.config.scenario_kwargs == {"episode_limit": 12, "kwargs": {"leave_at": 3}}


def test_a_saved_foreign_run_reopens_and_reset_keeps_it(paused, qapp, tmp_path):
    path = str(tmp_path / "fake.h5")
    for _ in range(3):
        paused.controller.step_episode()
        wait_idle(paused)
    paused.controller.save(path)
    wait_until(lambda: paused.session.path == path, 30, "the save")
    wait_idle(paused)
    # a window that started on another world opens the file
    other = make_window(tmp_path / "other")
    try:
        old = trainer(other)
        other.session.open_path(path)
        wait_new_run(other, old)
        assert trainer(other).config.scenario == FAKE
        assert other.picker.scenario_combo.currentData() == FAKE
        assert other.view.drawn_kind == "vectors"
        loaded = trainer(other)
        QTest.keyClick(other, Qt.Key_R)
        wait_new_run(other, loaded)
        t = trainer(other)
        assert t.config.scenario == FAKE and t.env_steps == 0
        assert t.config.scenario_kwargs == {"episode_limit": 12, "kwargs": {"leave_at": 3}}
    finally:
        close_window(other)
