"""The next run (app/run_picker.py): Reset applies the run settings, bad settings are refused
with a message, the algorithm and scenario boxes start new runs; and what runs are called."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import spin, trainer, wait_idle, wait_new_run

from app.run_picker import RunPicker, scenario_label, view_header, window_title
from app.settings_panel import RunSettings
from qmix.config import make_config


def test_reset_key_applies_the_run_settings(paused):
    old = trainer(paused)
    paused.controller.step_episode()
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
    paused.controller.step_env()
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


def test_names_of_worlds_and_runs():
    assert scenario_label("two_step") == "two step"
    assert scenario_label("pz:tests.envs.fake_parallel_env:make_env") == \
        "fake_parallel_env:make_env"
    assert scenario_label("gym:lbforaging:Foraging-8x8-2p-2f-v3") == "Foraging-8x8-2p-2f-v3"
    config = make_config("two_step", algo="vdn")
    assert window_title(config, None, False) == "QMIX Studio — two_step · VDN — unsaved run"
    assert window_title(config, "/x/run.h5", True) == "QMIX Studio — two_step · VDN — run.h5 *"

    class Snap:
        last_eval, solved = 8.0, True

    assert view_header("two_step", "qmix", None, False, "#0f0") == "two step · QMIX"
    header = view_header("two_step", "qmix", Snap(), False, "#0f0")
    assert header.startswith("two step · QMIX  ·  greedy return 8.00") and "✓ solved" in header
    assert view_header("two_step", "qmix", Snap(), True, "#0f0").startswith("QMIX  ·  greedy 8")


def test_next_config_keeps_each_worlds_settings(qapp):
    panel = RunSettings()
    current = make_config("pursuit", scenario_kwargs={"grid_size": 7})
    panel.load(current)
    picker = RunPicker(current, panel)
    other = picker.next_config(current, "two_step")
    assert other.scenario == "two_step" and other.seed == current.seed
    picker.remember(other)
    back = picker.next_config(other, "pursuit")
    assert back.scenario_kwargs == {"grid_size": 7}  # the world as it last ran
    same = picker.next_config(current)  # Reset: this world, the panel's values
    assert same.scenario_kwargs == {"grid_size": 7} and same.hidden_dim == current.hidden_dim
    picker.sync(make_config("pz:tests.envs.fake_parallel_env:make_env"))
    assert picker.scenario() == "pz:tests.envs.fake_parallel_env:make_env"
    panel.editors["batch_size"].setValue(1024)
    with pytest.raises(ValueError, match="buffer_size"):
        picker.next_config(make_config("two_step"))
