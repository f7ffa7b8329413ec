"""The worker (app/worker.py): one error funnel - an exception or a NaN loss pauses the run
with one sentence and the app stays usable, a file error is one line and the run goes on -,
the Phase it reports, the curve points it hands out through the trainer's callbacks, and its
command loop on a stand-in trainer (no TensorFlow: the TrainerLike protocol is all it needs).
"""

from __future__ import annotations

import math

import pytest
from fakes import FakeTrainer, Sink, idle
from studio_helpers import close_window, make_window, spin, wait_idle, wait_until

from app.controller import TrainingController
from app.worker import Phase, failure_message
from qmix.checkpoint.errors import CheckpointError
from qmix.config import make_config


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
    window.controller.step_env()  # the app is still usable
    wait_idle(window)
    assert t.env_steps > steps
    window.banner.hide()
    window.controller.step_update()  # the broken learner fails again: a message, not a crash
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


def test_one_message_for_every_kind_of_error():
    assert failure_message("Step failed", FloatingPointError("update 3 produced a non-finite "
                                                              "loss (nan)")).startswith(
        "Training diverged: update 3 produced a non-finite loss (nan). The run is paused")
    assert failure_message("Could not open a.h5", CheckpointError("a.h5 is damaged: x")) == \
        "a.h5 is damaged: x"
    message = failure_message("Update failed", RuntimeError("first line\n  second line"))
    assert message == "Update failed: RuntimeError: first line"


def test_phases_are_an_enum_the_window_shows():
    from app.statusbar import PHASE_TEXT

    assert set(PHASE_TEXT) == set(Phase)
    assert Phase.RUNNING == "running" and Phase("paused") is Phase.PAUSED


# ---- the command loop on a stand-in trainer (tests/app/fakes.py) --------------------------
@pytest.fixture
def fake(qapp):
    made = []

    def factory(config):
        made.append(FakeTrainer(config))
        return made[-1]

    controller = TrainingController(make_config("two_step"), factory)
    sink = Sink(controller.worker)
    controller.start()
    wait_until(lambda: controller.worker.trainer is not None and sink.frames, 20, "the fake")
    yield controller, sink, made
    controller.shutdown()


def points(sink, name):
    return [p for frame in sink.frames for p in frame.points.get(name, [])]


def test_curve_points_come_from_the_trainers_callbacks(fake):
    controller, sink, made = fake
    controller.step_episode()
    idle(controller)
    controller.step_update()
    idle(controller)
    controller.evaluate()
    idle(controller)
    t = made[0]
    assert sink.frames[0].curves_reset and not sink.frames[-1].curves_reset
    assert points(sink, "episode_return") == [(3, 1.0)]
    assert points(sink, "epsilon") == [(3, 0.5)]
    assert points(sink, "loss") == [(3, 1.0)] and t.updates == 1
    assert points(sink, "eval_return") == [(3, 1.5)]
    assert sink.frames[-1].env_steps == t.env_steps == 3


def test_step_episode_plays_until_the_rollout_ends_then_pauses(fake):
    controller, sink, made = fake
    controller.step_env()
    idle(controller)
    assert made[0].env_steps == 1 and sink.phases[-1] is Phase.PAUSED
    controller.step_episode()
    idle(controller)
    assert made[0].env_steps == 3 and made[0].t == 0  # finished the episode, not one more
    assert Phase.STEPPING in sink.phases and sink.phases[-1] is Phase.PAUSED


def test_play_and_pause_through_the_channel(fake):
    controller, sink, made = fake
    controller.play()
    wait_until(lambda: controller.worker.phase is Phase.RUNNING, 10, "running")
    wait_until(lambda: made[0].env_steps > 30, 10, "progress")
    controller.pause()
    idle(controller)
    steps = made[0].env_steps
    spin(0.2)
    assert made[0].env_steps == steps and not controller.worker.is_playing()
    assert controller.pause_latencies  # measured from Pause to the loop standing still


def test_an_error_goes_through_the_funnel_once(qapp):
    controller = TrainingController(make_config("two_step"),
                                    lambda config: FakeTrainer(config, fail_after=0))
    sink = Sink(controller.worker)
    controller.start()
    try:
        wait_until(lambda: controller.worker.trainer is not None, 20, "the fake")
        controller.play()
        wait_until(lambda: sink.failures, 20, "the failure")
        idle(controller)
        assert sink.failures == ["Training stopped: RuntimeError: injected"]
        assert controller.worker.phase is Phase.ERROR and not controller.worker.is_playing()
    finally:
        controller.shutdown()


def test_without_a_run_only_reset_and_open_are_carried_out(qapp):
    calls = []

    def factory(config):
        calls.append(config)
        if len(calls) == 1:
            raise RuntimeError("no licence")
        return FakeTrainer(config)

    controller = TrainingController(make_config("two_step"), factory)
    sink = Sink(controller.worker)
    controller.start()
    try:
        wait_until(lambda: sink.failures, 20, "the failed start")
        assert sink.failures == ["Could not start the engine: RuntimeError: no licence"]
        controller.step_env()  # no run: dropped
        controller.reset(make_config("two_step"))
        wait_until(lambda: controller.worker.trainer is not None, 20, "the new run")
        idle(controller)
        assert controller.worker.trainer.env_steps == 0 and controller.engine_ready
        controller.step_env()
        idle(controller)
        assert controller.worker.trainer.env_steps == 1
    finally:
        controller.shutdown()