"""The study page (app/study_view.py) on a synthetic study folder (study_helpers.py): it shows
every configuration - table rows with load_study's numbers, a mean curve with its 95% band and
a legend entry each, the axis labels, the partial note -, re-reads the folder on a background
thread only when a file changed (a new metrics line, a run finishing), keeps the last good read
when the folder goes away; in the window: File ▸ Open Study and F3, a folder that is no study,
presentation mode and themes; double-clicking a seed opens its checkpoint as File ▸ Open does
(the window's run changes; unsaved progress is asked about first) and Save never writes into
the study."""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from study_helpers import STEPS, add_metrics, finish, make_study
from studio_helpers import (bare_window, close_window, make_window, spin, trainer, wait_idle,
                            wait_new_run, wait_until)

import app.session as session_module
import app.study_view as study_view
from app.modal import CANCEL
from app.study import fmt
from app.study_view import StudyView
from app.theme import THEMES
from qmix.config import make_config
from qmix.report import load_study

PARTIAL = "vdn-two_step-lr=0.01-seed1"


@pytest.fixture
def study(tmp_path):
    root = str(tmp_path / "study")
    return root, make_study(root)


@pytest.fixture
def view(qapp):
    view = StudyView(interval_ms=50)
    view.resize(1200, 800)
    view.show()
    yield view
    view.shutdown()
    view.close()
    view.deleteLater()
    spin(0.02)


def rows(view):
    table = view.table
    return [[table.topLevelItem(i).text(c) for c in range(table.columnCount())]
            for i in range(table.topLevelItemCount())]


def double_click(view, run_id):
    """What a mouse sends: a click (press, release), then the second press as a double
    click (QTest's double click alone leaves out the first press an item view needs)."""
    item = view.run_item(run_id)
    item.parent().setExpanded(True)
    view.table.scrollToItem(item)
    centre = view.table.visualItemRect(item).center()
    QTest.mouseClick(view.table.viewport(), Qt.LeftButton, Qt.NoModifier, centre)
    QTest.mouseDClick(view.table.viewport(), Qt.LeftButton, Qt.NoModifier, centre)


def legend_labels(view):
    return [label.text for _, label in view.legend.items]


def test_the_view_shows_every_configuration(view, study):
    root, _ = study
    view.open(root)
    expected = load_study(root)
    qmix, vdn = expected["configs"]
    assert rows(view) == [
        ["two_step · qmix", "2/2", fmt(qmix["mean"]), f"[{fmt(qmix['ci95'][0])}, "
         f"{fmt(qmix['ci95'][1])}]", "0: 7.000, 1: 8.000"],
        ["two_step · vdn (lr=0.01)", "1/2", "7.000", "[7.000, 7.000]", "0: 7.000"]]
    seeds = view.table.topLevelItem(1)
    assert [seeds.child(i).text(0) for i in range(seeds.childCount())] == ["seed 0", "seed 1"]
    assert seeds.child(1).text(1) == "interrupted" and seeds.child(1).text(2) == ""
    assert seeds.child(1).text(4) == "100 of 200 env steps"
    # one mean curve and one band per configuration, the report's numbers
    assert len(view.curves) == 2
    for c, (mean, low, high, band) in zip(expected["configs"], view.curves.values()):
        x, y = mean.getData()
        assert list(x) == c["curve"]["env_steps"] and np.allclose(y, c["curve"]["mean"])
        assert np.allclose(low.getData()[1], c["curve"]["low"])
        assert np.allclose(high.getData()[1], c["curve"]["high"])
        assert band.curves == [low, high] and not band.path().isEmpty()
    labels = legend_labels(view)
    assert labels[0].startswith("two_step · qmix — 2/2 seeds: 7.500")
    assert labels[1].startswith("two_step · vdn (lr=0.01) — 1/2 seeds: 7.000")
    plot = view.plot.getPlotItem()
    assert plot.getAxis("bottom").labelText == "env steps"
    assert plot.getAxis("left").labelText == "greedy return"
    assert view.solved_line is not None and view.solved_line.value() == 8.0
    assert view.note.text().startswith("Partial: 3 of 4 runs finished (1 interrupted)")
    assert "study" in view.title.text().lower() and os.path.basename(root) in view.title.text()


def test_a_new_metrics_line_refreshes_the_view_off_the_gui_thread(view, study, monkeypatch):
    root, dirs = study
    threads = []

    def recording_scan(*args, **kwargs):
        threads.append(threading.current_thread())
        return study_view_scan(*args, **kwargs)

    study_view_scan = study_view.scan
    monkeypatch.setattr(study_view, "scan", recording_scan)
    view.open(root)
    vdn_mean = list(view.curves.values())[1][0]
    assert list(vdn_mean.getData()[0]) == [100, 200]  # seed 0 only reached 200
    spin(0.5)  # ten polls of an unchanged folder: no re-read
    assert view.watcher.loads == 1 and threads
    assert all(t is not threading.main_thread() for t in threads)

    add_metrics(dirs[PARTIAL], 200, 5.0)
    partial_row = view.run_item(PARTIAL)
    wait_until(lambda: partial_row.text(4) == "200 of 200 env steps", 10, "the new line")
    assert view.watcher.loads == 2
    assert np.allclose(vdn_mean.getData()[1], load_study(root)["configs"][1]["curve"]["mean"])

    finish(dirs[PARTIAL], 9.0)
    wait_until(lambda: view.table.topLevelItem(1).text(1) == "2/2", 10, "the finished run")
    assert partial_row.text(1) == "finished" and partial_row.text(2) == "9.000"
    assert view.run_item(PARTIAL) is partial_row  # same rows, updated in place
    assert view.note.text() == "All 4 runs done: 4 finished."
    assert legend_labels(view)[1].startswith("two_step · vdn (lr=0.01) — 2/2 seeds: 8.000")


def test_a_run_whose_process_died_shows_as_stopped_without_any_file_change(view, study,
                                                                           monkeypatch):
    import fcntl
    import json

    root, dirs = study
    run_dir = dirs[PARTIAL]
    with open(os.path.join(run_dir, "run.json")) as fh:
        run = json.load(fh)
    run["status"] = "running"
    with open(os.path.join(run_dir, "run.json"), "w") as fh:
        json.dump(run, fh)
    lock = os.open(os.path.join(run_dir, ".lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as the training process holds it
    monkeypatch.setattr(study_view, "RECHECK_RUNNING_S", 0.2)
    view.open(root)
    row = view.run_item(PARTIAL)
    assert row.text(1) == "running"
    os.close(lock)  # the process is gone (SIGKILL): no file changes
    wait_until(lambda: row.text(1) == "stopped", 10, "the stopped run")
    assert "its process is gone" in row.text(4)


def test_a_study_that_goes_away_keeps_its_last_read(view, study):
    root, _ = study
    view.open(root)
    shutil.rmtree(root)
    wait_until(lambda: view.error is not None, 10, "the failed read")
    assert "Cannot read the study" in view.note.text() and "last good read" in view.note.text()
    assert len(rows(view)) == 2  # still shown


def test_double_clicking_a_run_without_a_checkpoint_says_so(view, study):
    root, _ = study
    view.open(root)
    said, asked = [], []
    view.notice.connect(said.append)
    view.run_requested.connect(asked.append)
    double_click(view, PARTIAL)
    assert asked == [] and said and "no checkpoint yet" in said[0]


# ---- in the window ------------------------------------------------------------------------
@pytest.fixture
def window(qapp, tmp_path):
    window = bare_window(tmp_path)
    window.resize(1400, 900)
    window.show()
    yield window
    close_window(window)


def test_open_study_and_f3_switch_between_study_and_run(window, study, monkeypatch):
    root, _ = study
    assert not window.acts["study"].isEnabled() and not window.showing_study()
    monkeypatch.setattr(window.study_view, "ask_path", lambda: root)
    window.acts["open_study"].trigger()
    assert window.showing_study() and window.acts["study"].isChecked()
    assert window.study_view.isVisible() and not window.main_split.isVisible()
    assert rows(window.study_view)[0][0] == "two_step · qmix"
    assert "study" in window.windowTitle() and root in window.windowTitle()
    QTest.keyClick(window, Qt.Key_F3)
    assert not window.showing_study() and window.main_split.isVisible()
    assert "study" not in window.windowTitle()
    QTest.keyClick(window, Qt.Key_F3)
    assert window.showing_study()
    window.study_view.back.click()
    assert not window.showing_study()


def test_a_folder_that_is_no_study_is_one_line_and_changes_nothing(window, study, tmp_path,
                                                                  monkeypatch):
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setattr(window.study_view, "ask_path", lambda: str(plain))
    window.open_study()
    assert window.banner.isVisible() and "no sweep.json" in window.banner.label.text()
    assert "\n" not in window.banner.label.text()
    assert not window.showing_study() and not window.study_view.is_open()
    root, _ = study
    assert window.open_study_folder(root)
    assert not window.banner.isVisible()
    assert not window.open_study_folder(str(tmp_path / "missing"))  # the open one stays
    assert window.study_view.is_open() and window.study_view.path == root


def test_presentation_and_themes_restyle_the_study(window, study):
    root, _ = study
    window.open_study_folder(root)
    view = window.study_view
    assert view.back.isVisibleTo(window) and view.hint.isVisibleTo(window)
    for name in ("dark", "light"):
        if window.theme_name != name:
            window.toggle_theme()
        theme = THEMES[name]
        assert view.plot.backgroundBrush().color().name() == theme.panel
        assert theme.warn in view.note.styleSheet()  # partial: in the warning colour
        assert view.legend.opts["labelTextColor"].name() == theme.text
    window.set_presentation(True)
    try:
        assert window.showing_study()
        assert not view.back.isVisibleTo(window) and not view.hint.isVisibleTo(window)
        mean = list(view.curves.values())[0][0]
        assert view.scale > 1.0 and mean.opts["pen"].widthF() == pytest.approx(2.5 * view.scale)
    finally:
        window.set_presentation(False)
    assert view.back.isVisibleTo(window) and view.scale == 1.0


# ---- opening a run of the study -----------------------------------------------------------
@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A real two_step checkpoint (the run the study's qmix seed 0 saved)."""
    from qmix.checkpoint import save_checkpoint
    from qmix.trainer import Trainer

    path = str(tmp_path_factory.mktemp("saved") / "checkpoint.h5")
    t = Trainer(make_config("two_step", seed=0, total_env_steps=STEPS, eval_interval=100))
    t.train(STEPS)
    save_checkpoint(t, path, include_buffer=True)
    steps = (t.env_steps, t.updates)
    t.close()
    return path, steps




def test_double_clicking_a_seed_opens_its_run_as_file_open_does(qapp, tmp_path, saved_run,
                                                                monkeypatch):
    path, (env_steps, updates) = saved_run
    root = str(tmp_path / "study")
    dirs = make_study(root, checkpoint=path)
    ckpt = os.path.join(dirs["qmix-two_step-seed0"], "checkpoint.h5")
    window = make_window(tmp_path)
    try:
        wait_idle(window)
        assert window.open_study_folder(root)
        old = trainer(window)
        double_click(window.study_view, "qmix-two_step-seed0")
        wait_new_run(window, old)
        t = trainer(window)
        assert (t.env_steps, t.updates) == (env_steps, updates)
        assert window.session.path == ckpt and not window.showing_study()
        assert "qmix-two_step-seed0" in window.windowTitle()

        # neither autosave nor Save writes into the study: Save asks for a new file
        before = os.stat(ckpt).st_mtime_ns
        window.controller.step_episode()
        wait_idle(window)
        assert window.session.is_dirty()
        window.session.autosave_timer.timeout.emit()  # as every N minutes
        spin(0.5)
        wait_idle(window)
        assert os.stat(ckpt).st_mtime_ns == before and window.session.is_dirty()
        copy = str(tmp_path / "copy.h5")
        monkeypatch.setattr(window.session, "ask_save_path", lambda: copy)
        QTest.keyClick(window, Qt.Key_S, Qt.ControlModifier)
        wait_until(lambda: window.session.path == copy, 30, "the save to a new file")
        assert os.path.exists(copy) and os.stat(ckpt).st_mtime_ns == before

        # unsaved progress: asked first; Cancel keeps the run and the study page
        window.controller.step_episode()
        wait_idle(window)
        assert window.session.is_dirty()
        window.session.confirm = True
        asked = []

        def question(parent, text, title=""):
            asked.append(text)
            return CANCEL

        monkeypatch.setattr(session_module, "ask_save_discard", question)
        QTest.keyClick(window, Qt.Key_F3)
        assert window.showing_study()
        current = trainer(window)
        double_click(window.study_view, "qmix-two_step-seed0")
        spin(0.3)
        assert asked and "unsaved progress" in asked[0]
        assert trainer(window) is current and window.showing_study()
        assert window.session.path == copy
    finally:
        close_window(window)
