"""Start-up before TensorFlow, errors that pause the run, closing, quitting with unsaved work."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from studio_helpers import close_window, make_window, spin, wait_idle, wait_until

from app.worker import Phase
from qmix.config import make_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_app_modules_do_not_import_tensorflow():
    # every module of the app (app.window, app.worker, app.inspector, app.plots, ...)
    code = ("import importlib, pkgutil, sys, app; "
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(app.__path__, "
            "'app.')]; print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_window_shows_the_scenario_before_the_engine_exists(qapp, tmp_path):
    from app.window import MainWindow

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    window = MainWindow(make_config("two_step"), settings=settings)
    window.show()
    spin(0.1)
    try:
        assert window.view.frame is not None and window.view.frame["scenario"] == "two_step"
        assert window.view.overlay_text == "Starting TensorFlow…"
        assert window.view.paint_count >= 1
        assert "Starting TensorFlow" in window.inspector.decision_label.text()
        window.play()  # pressed before the engine is ready: plays as soon as it is
        assert window.acts["play"].isChecked()
    finally:
        close_window(window)  # never started: closes at once


def test_closing_stops_a_training_worker_within_a_second(qapp, tmp_path):
    window = make_window(tmp_path)
    window.play()
    # Past the first update's tf.function tracing (seconds, cannot be interrupted): from then
    # on an update takes milliseconds.
    wait_until(lambda: window.last_frame.updates >= 20, 60, "steady training")
    spin(0.3)
    thread = window.controller.thread
    started = time.perf_counter()
    QTest.keyClick(window, Qt.Key_Q, Qt.ControlModifier)  # Quit
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0 and window.controller.shutdown_seconds < 1.0
    assert thread.isFinished() and not window.isVisible()
    window.deleteLater()
    spin(0.05)


def failing_factory(*, nan: bool = False, after: int = 3):
    """The real Trainer whose learner breaks after `after` updates (exception or NaN loss)."""

    def factory(config):
        from qmix.trainer import Trainer

        t = Trainer(config)
        real = t.learner.update
        calls = [0]

        def update(batch):
            calls[0] += 1
            if calls[0] > after:
                if not nan:
                    raise RuntimeError("injected failure in the learner")
                return {**real(batch), "loss": math.nan}
            return real(batch)

        t.learner.update = update
        return t

    return factory


def check_error_pauses_and_app_stays_usable(window, expected: str) -> None:
    window.play()
    wait_until(lambda: window.banner.isVisible(), 60, "the error banner")
    assert expected in window.banner.label.text()
    assert window.phase is Phase.ERROR
    assert not window.controller.worker.is_playing()
    assert not window.acts["play"].isChecked()
    wait_idle(window)
    t = window.controller.worker.trainer
    steps = t.env_steps
    window.step_env()  # the app is still usable
    wait_idle(window)
    assert t.env_steps > steps
    window.banner.hide()
    window.step_update()  # the broken learner fails again: a message, not a crash
    wait_until(lambda: window.banner.isVisible(), 30, "the second banner")


def test_an_exception_in_training_pauses_and_shows_a_message(qapp, tmp_path):
    window = make_window(tmp_path, trainer_factory=failing_factory())
    try:
        check_error_pauses_and_app_stays_usable(window, "injected failure")
    finally:
        close_window(window)


def test_a_nan_loss_pauses_and_says_training_diverged(qapp, tmp_path):
    window = make_window(tmp_path, trainer_factory=failing_factory(nan=True))
    try:
        check_error_pauses_and_app_stays_usable(window, "diverged")
    finally:
        close_window(window)


def test_quitting_with_unsaved_progress_asks_first(qapp, tmp_path, monkeypatch):
    window = make_window(tmp_path)
    window.session.confirm = True
    window.step_episode()
    wait_idle(window)
    assert window.session.is_dirty()
    answers = [QMessageBox.Cancel, QMessageBox.Discard]
    asked = []

    def question(*args, **kwargs):
        asked.append(args[2] if len(args) > 2 else "")
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    window.close()
    assert window.isVisible() and window.controller.thread.isRunning()  # cancelled
    window.close()
    assert not window.isVisible() and window.controller.thread.isFinished()
    assert len(asked) == 2 and "Save" in asked[0]
    window.deleteLater()
    spin(0.05)


def test_run_app_rejects_an_unknown_scenario(qapp, capsys):
    from app.main import run_app

    assert run_app(["--scenario", "no_such_world"]) == 2
    assert "no_such_world" in capsys.readouterr().err


def test_run_app_opens_in_presentation_mode_and_quits_cleanly(qapp, monkeypatch, tmp_path):
    from app.main import run_app

    monkeypatch.setenv("QMIX_STUDIO_QUIT_AFTER", "1.0")
    # keep the app's recent-files/autosave settings out of the real user config
    QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope, str(tmp_path))
    started = time.perf_counter()
    try:
        assert run_app(["--scenario", "two_step", "--theme", "light", "--presentation"]) == 0
    finally:
        QSettings.setPath(QSettings.NativeFormat, QSettings.UserScope,
                          os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")))
    assert time.perf_counter() - started < 60
