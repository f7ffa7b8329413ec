"""The thread controller (app/controller.py): a Play pressed before the engine is up starts
training once it is, steps pause first, and closing joins a training worker within a second."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from fakes import FakeTrainer, Sink, idle
from studio_helpers import make_window, spin, wait_until

from app.controller import TrainingController
from app.worker import Phase
from qmix.config import make_config


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


def test_play_before_the_engine_is_up_starts_training_when_it_is(qapp):
    go = threading.Event()

    def slow_factory(config):
        go.wait(10)
        return FakeTrainer(config)

    controller = TrainingController(make_config("two_step"), slow_factory)
    sink = Sink(controller.worker)
    controller.start()
    try:
        controller.play()
        assert controller.wants_play() and not controller.engine_ready
        assert not controller.worker.is_playing()
        go.set()
        wait_until(lambda: controller.worker.phase is Phase.RUNNING, 20, "training")
        assert controller.engine_ready and not controller.play_when_ready
        controller.step_env()  # a step while training pauses first
        idle(controller)
        assert not controller.wants_play() and sink.phases[-1] is Phase.PAUSED
    finally:
        controller.shutdown()


def test_a_step_cancels_a_play_that_waits_for_the_engine(qapp):
    go = threading.Event()
    controller = TrainingController(make_config("two_step"),
                                    lambda config: (go.wait(10), FakeTrainer(config))[1])
    controller.start()
    try:
        controller.play()
        controller.step_env()
        assert not controller.wants_play()
        go.set()
        wait_until(lambda: controller.worker.trainer is not None, 20, "the fake")
        idle(controller)
        assert controller.worker.trainer.env_steps == 1 and not controller.worker.is_playing()
    finally:
        controller.shutdown()


def test_shutdown_of_a_thread_never_started_is_immediate(qapp):
    controller = TrainingController(make_config("two_step"))
    started = time.perf_counter()
    assert controller.shutdown(timeout_s=1.0)
    assert time.perf_counter() - started < 0.5 and controller.shutdown_seconds is not None
