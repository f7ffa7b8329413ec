"""The run's file (app/session.py): save and open restore the run, a bad file is one line and
the run goes on, Save As and Open ask for a file, recent files, autosave, the unsaved-progress
flag, and quitting with unsaved progress asks first."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import (bare_window, close_window, make_window, spin, trainer, wait_idle,
                            wait_new_run, wait_until)

import app.session as session_module
from app.modal import CANCEL, DISCARD
from app.session import MAX_RECENT, read_saved_config


def test_save_then_open_restores_the_run(paused, tmp_path, monkeypatch):
    path = str(tmp_path / "run.h5")
    monkeypatch.setattr(paused.session, "ask_save_path", lambda: path)
    for _ in range(5):
        paused.controller.step_episode()
        wait_idle(paused)
    paused.controller.step_update()
    wait_idle(paused)
    saved = (trainer(paused).env_steps, trainer(paused).updates)
    QTest.keyClick(paused, Qt.Key_S, Qt.ControlModifier)  # no file yet: asks (Save As)
    wait_until(lambda: os.path.exists(path) and paused.session.path == path, 30, "the save")
    wait_idle(paused)
    assert not paused.session.is_dirty()
    assert "run.h5" in paused.windowTitle()
    assert os.path.abspath(path) in paused.session.recent_files()
    assert any(a.text() == "run.h5" for a in paused.session.recent_menu.actions())
    paused.controller.step_episode()
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
    paused.controller.step_env()  # still usable
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
    # a cancelled dialog
    monkeypatch.setattr(paused.session, "ask_open_path", lambda: asked.append(1))
    QTest.keyClick(paused, Qt.Key_O, Qt.ControlModifier)
    assert asked == [1] and trainer(paused) is not old


def test_quitting_with_unsaved_progress_asks_first(qapp, tmp_path, monkeypatch):
    window = make_window(tmp_path)
    window.session.confirm = True
    window.controller.step_episode()
    wait_idle(window)
    assert window.session.is_dirty()
    answers = [CANCEL, DISCARD]
    asked = []

    def question(parent, text, title="QMIX Studio"):
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(session_module, "ask_save_discard", question)
    window.close()
    assert window.isVisible() and window.controller.thread.isRunning()  # cancelled
    window.close()
    assert not window.isVisible() and window.controller.thread.isFinished()
    assert len(asked) == 2 and "Save" in asked[0]
    window.deleteLater()
    spin(0.05)


def test_recent_files_are_newest_first_unique_and_capped(qapp, tmp_path):
    window = bare_window(tmp_path)
    try:
        session = window.session
        for i in range(MAX_RECENT + 3):
            session.add_recent(str(tmp_path / f"run{i}.h5"))
        session.add_recent(str(tmp_path / "run4.h5"))
        files = session.recent_files()
        assert len(files) == MAX_RECENT and files[0] == os.path.abspath(tmp_path / "run4.h5")
        assert len(set(files)) == len(files)
        assert [a.text() for a in session.recent_menu.actions()][0] == "run4.h5"
    finally:
        close_window(window)


def test_autosave_choice_is_kept_in_the_settings(qapp, tmp_path):
    window = bare_window(tmp_path)
    try:
        session = window.session
        session.set_autosave(5)
        assert session.autosave_timer.isActive()
        assert session.autosave_timer.interval() == 5 * 60_000
        assert session.autosave_actions[5].isChecked()
        assert int(session.settings.value("autosave_minutes")) == 5
        session.set_autosave(0)
        assert not session.autosave_timer.isActive() and session.autosave_actions[0].isChecked()
    finally:
        close_window(window)


def test_unsaved_progress_and_the_title(qapp, tmp_path, monkeypatch):
    window = bare_window(tmp_path)
    try:
        session = window.session
        assert not session.is_dirty() and "unsaved run" in window.windowTitle()
        session.progress(100, 3)
        window._update_title()
        assert session.is_dirty() and window.windowTitle().endswith("*")
        session.new_run(str(tmp_path / "a.h5"), 100, 3)  # just opened: nothing unsaved
        assert not session.is_dirty() and "a.h5" in window.windowTitle()
        assert session.recent_files()[0] == os.path.abspath(tmp_path / "a.h5")
        session.confirm = True
        session.progress(200, 3)
        asked = []
        monkeypatch.setattr(session_module, "ask_save_discard",
                            lambda parent, text, title="": asked.append(text) or CANCEL)
        assert not session.confirm_discard("Start a new run") and asked
        session.confirm = False
        assert session.confirm_discard("Start a new run")
    finally:
        close_window(window)


def test_a_file_that_is_not_a_run_has_no_config(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"nope")
    assert read_saved_config(str(bad)) is None
    assert read_saved_config(str(tmp_path / "missing.h5")) is None
