"""Pacing and throttling (app/pacing.py) as plain Python, on a fake clock: no Qt, no
TensorFlow (tests/test_layering.py checks the module imports neither)."""

from __future__ import annotations

import pytest

from app.pacing import (MAX_FPS, SPEEDS, WATCH_STEPS_PER_S, FrameClock, StepClock,
                        UpdatePacer, draws_every_step, watch_rate)


def test_slow_motion_draws_every_step_up_to_the_display_rate():
    assert SPEEDS[-1] is None and list(SPEEDS[:-1]) == sorted(SPEEDS[:-1])
    assert draws_every_step(1) and draws_every_step(MAX_FPS)
    assert not draws_every_step(120) and not draws_every_step(None)
    assert watch_rate(2) == 2 and watch_rate(None) == WATCH_STEPS_PER_S
    assert watch_rate(500) == WATCH_STEPS_PER_S  # a greedy episode stays watchable


def test_frames_keep_a_fixed_grid_with_half_a_period_of_catch_up():
    clock = FrameClock()
    period = 1 / MAX_FPS
    assert clock.may_emit(0.0, gui_ready=True)
    clock.emitted(0.0)
    assert not clock.may_emit(0.5 * period, gui_ready=True)  # too soon
    assert clock.may_emit(0.5 * period, gui_ready=True, force=True)  # a forced frame goes out
    assert not clock.may_emit(period, gui_ready=False)  # the GUI has not drawn the last one
    assert clock.may_emit(period, gui_ready=True)
    clock.emitted(10 * period)  # a long step: late
    assert clock.due == pytest.approx(10.5 * period)  # the next may come sooner, not at once
    clock.emitted(clock.due)
    assert clock.due == pytest.approx(11.5 * period)  # back on the grid


def test_slow_motion_clock_catches_up_at_most_a_quarter_second():
    now = [100.0]
    clock = StepClock(lambda: now[0])
    assert clock.wait_s(100.0) == 0.0
    clock.stepped(100.0, 4)
    assert clock.wait_s(100.0) == pytest.approx(0.25)
    clock.stepped(110.0, 4)  # a long stall: no burst of 40 make-up steps
    assert clock.next_step_at == pytest.approx(109.75)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def rollout(pacer: UpdatePacer, clock: Clock, steps: int, step_s: float,
            running: list[bool]) -> list[float]:
    """Feed a rollout of `steps` env steps; the pauses the pacer asked for."""
    pauses = []
    for _ in range(steps - 1):
        clock.t += step_s
        pause = pacer.after_step(False, step_s, lambda: running[0])
        clock.t += pause
        pauses.append(pause)
    clock.t += step_s
    pacer.after_step(True, step_s, lambda: running[0])
    return pauses


def test_steps_are_spread_over_the_background_updates_and_only_while_they_run():
    clock = Clock()
    pacer = UpdatePacer(clock=clock)
    running = [True]
    rollout(pacer, clock, 25, 0.0003, running)  # first rollout: updates start at its end
    assert pacer.submitted_at is not None
    clock.t += 0.025  # the join at the next rollout end measures the update time
    rollout(pacer, clock, 25, 0.0003, running)
    assert pacer.update_ema > 0.02
    pauses = rollout(pacer, clock, 25, 0.0003, running)
    assert max(pauses) > 0 and max(pauses) <= 1 / MAX_FPS  # paced, never a frame's worth
    running[0] = False  # updates done: no more sleeping
    assert rollout(pacer, clock, 25, 0.0003, running)[1:] == [0.0] * 23


def test_pacing_feedback_stays_in_bounds_and_can_be_switched_off():
    clock = Clock()
    pacer = UpdatePacer(clock=clock)
    running = [True]
    for _ in range(200):  # the update thread always waits: pace faster and faster ...
        rollout(pacer, clock, 5, 0.0003, running)
        running[0] = not running[0]
    assert 0.3 <= pacer.pace_factor <= 0.95
    off = UpdatePacer(enabled=False, clock=clock)
    assert off.after_step(False, 0.001, lambda: True) == 0.0 and off.steps_in_rollout == 0
