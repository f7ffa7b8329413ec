"""Runs: reset with new hyperparameters, switch algorithm and scenario, save and open."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import spin, wait_idle, wait_until


def trainer(window):
    return window.controller.worker.trainer


def wait_new_run(window, old):
    wait_until(lambda: trainer(window) is not old and window.info is not None
               and window.last_frame is not None, 90, "the new run")
    wait_idle(window)


def test_reset_key_applies_the_run_settings(paused):
    old = trainer(paused)
    paused.step_episode()
    wait_idle(paused)
    panel = paused.settings_panel
    panel.editors["hidden_dim"].setValue(24)
    panel.editors["lr"].setValue(0.002)
    assert panel.is_pending()
    assert panel.apply_button.property("pending") == "true"
    QTest.keyClick(paused, Qt.Key_R)
    wait_new_run(paused, old)
    t = trainer(paused)
    assert t.config.hidden_dim == 24 and t.config.lr == pytest.approx(0.002)
    assert t.env_steps == 0 and t.updates == 0
    assert paused.plots.series["episode_return"].n == 0
    assert not panel.is_pending()


def test_invalid_settings_are_refused_with_a_message(paused):
    old = trainer(paused)
    paused.settings_panel.editors["batch_size"].setValue(1024)  # two_step's buffer holds 512
    paused.reset_run()
    assert paused.banner.isVisible()
    assert "buffer_size" in paused.banner.label.text()
    spin(0.2)
    assert trainer(paused) is old
    paused.settings_panel.editors["batch_size"].setValue(32)
    paused.banner.hide()


def test_algorithm_combo_starts_a_vdn_run(paused):
    old = trainer(paused)
    combo = paused.picker.algo_combo
    combo.setCurrentIndex(combo.findData("vdn"))
    combo.activated.emit(combo.currentIndex())
    wait_new_run(paused, old)
    assert trainer(paused).config.algo == "vdn"
    assert "VDN" in paused.windowTitle()
    paused.step_env()
    wait_idle(paused)
    insp = paused.last_frame.snapshot.inspection
    # VDN: Q_tot = sum of agent Qs, so V(s) = 0 and every agent's credit dQ_tot/dQ_a = 1
    assert paused.inspector.shown["v"] == "0.00"
    np.testing.assert_allclose(insp.credit, 1.0, atol=1e-5)
    combo.setCurrentIndex(combo.findData("qmix"))
    combo.activated.emit(combo.currentIndex())
    wait_new_run(paused, trainer(paused))
    assert trainer(paused).config.algo == "qmix"


def test_scenario_combo_switches_the_scenario(paused):
    old = trainer(paused)
    combo = paused.picker.scenario_combo
    other = next(name for name in (combo.itemText(i) for i in range(combo.count()))
                 if name != "two_step")
    combo.setCurrentIndex(combo.findText(other))
    combo.activated.emit(combo.currentIndex())
    # the new scenario's first frame is drawn before its engine is built
    assert paused.view.frame["scenario"] == other
    wait_new_run(paused, old)
    assert trainer(paused).info.name == other
    assert not paused.inspector.table.isVisible() or trainer(paused).info.n_agents == 2
    combo.setCurrentIndex(combo.findText("two_step"))
    combo.activated.emit(combo.currentIndex())
    wait_new_run(paused, trainer(paused))
    assert trainer(paused).info.name == "two_step"


def test_save_then_open_restores_the_run(paused, tmp_path, monkeypatch):
    path = str(tmp_path / "run.h5")
    monkeypatch.setattr(paused.session, "ask_save_path", lambda: path)
    for _ in range(5):
        paused.step_episode()
        wait_idle(paused)
    paused.step_update()
    wait_idle(paused)
    saved = (trainer(paused).env_steps, trainer(paused).updates)
    QTest.keyClick(paused, Qt.Key_S, Qt.ControlModifier)  # no file yet: asks (Save As)
    wait_until(lambda: os.path.exists(path) and paused.session.path == path, 30, "the save")
    wait_idle(paused)
    assert not paused.session.is_dirty()
    assert "run.h5" in paused.windowTitle()
    assert os.path.abspath(path) in paused.session.recent_files()
    assert any(a.text() == "run.h5" for a in paused.session.recent_menu.actions())
    paused.step_episode()
    wait_idle(paused)
    assert paused.session.is_dirty() and paused.windowTitle().endswith("*")
    old = trainer(paused)
    paused.session.open_path(path)
    wait_new_run(paused, old)
    t = trainer(paused)
    assert (t.env_steps, t.updates) == saved
    assert paused.last_frame.env_steps == saved[0]
    assert paused.plots.series["loss"].n == len(t.history["loss"]) > 0
    assert not paused.session.is_dirty()


def test_opening_a_bad_file_shows_a_message_and_keeps_the_run(paused, tmp_path):
    bad = tmp_path / "garbage.h5"
    bad.write_bytes(b"this is not an HDF5 file" * 10)
    old = trainer(paused)
    steps = old.env_steps
    paused.session.open_path(str(bad))
    wait_until(lambda: paused.banner.isVisible(), 30, "the error banner")
    assert "garbage.h5" in paused.banner.label.text()
    assert "\n" not in paused.banner.label.text().strip()
    wait_idle(paused)
    assert trainer(paused) is old and old.env_steps == steps
    paused.step_env()  # still usable
    wait_idle(paused)
    assert old.env_steps > steps


def test_save_as_and_open_shortcuts_ask_for_a_file(paused, tmp_path, monkeypatch):
    first, second = str(tmp_path / "a.h5"), str(tmp_path / "b.h5")
    monkeypatch.setattr(paused.session, "ask_save_path", lambda: first)
    QTest.keyClick(paused, Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)
    wait_until(lambda: paused.session.path == first, 30, "Save As")
    monkeypatch.setattr(paused.session, "ask_save_path", lambda: second)
    QTest.keyClick(paused, Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)
    wait_until(lambda: paused.session.path == second, 30, "the second Save As")
    assert os.path.exists(first) and os.path.exists(second)
    assert paused.session.recent_files()[:2] == [os.path.abspath(second), os.path.abspath(first)]
    old = trainer(paused)
    monkeypatch.setattr(paused.session, "ask_open_path", lambda: first)
    QTest.keyClick(paused, Qt.Key_O, Qt.ControlModifier)
    wait_new_run(paused, old)
    assert paused.session.path == first
    asked = []
    monkeypatch.setattr(paused.session, "ask_open_path", lambda: asked.append(1))  # cancelled dialog
    QTest.keyClick(paused, Qt.Key_O, Qt.ControlModifier)
    assert asked == [1] and trainer(paused) is not old
