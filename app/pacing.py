"""Pacing and throttling of the training worker: plain Python, no Qt, no TensorFlow.

Every rule here decides *when* something happens, from clock readings the worker passes in;
the worker (`app/worker.py`) does the stepping, sleeping and emitting. Unit-tested with a fake
clock in `tests/app/test_pacing.py`. Measured on 2 cores (docs/facts.md, app/bench.py):

- Frames go to the GUI at most `MAX_FPS` a second, and only when the GUI drew the previous
  one: 5,000 unthrottled emits took the GUI 3 s to drain.
- No inspection throttle: every frame carries a NumPy inspection of its own decision (~0.2
  ms, qmix/inspection.py). The compiled one was throttled to 12 Hz (at 60 Hz it cut training
  to 64 % of headless), and the window then showed one step's picture beside an older step's
  numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SPEEDS: tuple[float | None, ...] = (1, 2, 4, 8, 15, 30, 60, 120, 250, 500, None)
"""The speed slider's stops, in env steps per second; None = flat out (view at display rate)."""
MAX_FPS = 60.0
WATCH_STEPS_PER_S = 8.0  # Evaluate at full speed still shows the greedy episode, watchably
CATCH_UP_S = 0.25  # slow motion: a late step may be made up for, but no more than this

Clock = Callable[[], float]


def draws_every_step(steps_per_s: float | None) -> bool:
    """Slow motion: at this speed every env step gets a frame of its own."""
    return steps_per_s is not None and steps_per_s <= MAX_FPS


def watch_rate(steps_per_s: float | None) -> float:
    """Steps per second of a watched greedy evaluation episode."""
    if steps_per_s is not None and draws_every_step(steps_per_s):
        return steps_per_s
    return WATCH_STEPS_PER_S


class FrameClock:
    """When the next frame may leave the worker.

    Frames are due on a fixed 1/MAX_FPS grid: at most MAX_FPS a second on average, and a
    frame that came late (a long step) does not push every later one back - the next may come
    sooner, with at most half a period of catch-up."""

    def __init__(self, max_fps: float = MAX_FPS) -> None:
        self.period = 1.0 / max_fps
        self.due = 0.0  # when the next full-speed frame may be emitted

    def may_emit(self, now: float, gui_ready: bool, force: bool = False) -> bool:
        return force or (now >= self.due and gui_ready)

    def emitted(self, now: float) -> None:
        self.due = max(self.due + self.period, now + 0.5 * self.period)


class StepClock:
    """Slow motion below full speed: one env step every 1/steps_per_s seconds."""

    def __init__(self, clock: Clock = time.perf_counter) -> None:
        self.next_step_at = clock()

    def wait_s(self, now: float) -> float:
        """How long to wait for commands before the next step is due."""
        return max(0.0, self.next_step_at - now)

    def stepped(self, now: float, steps_per_s: float) -> None:
        self.next_step_at = max(self.next_step_at + 1.0 / steps_per_s, now - CATCH_UP_S)


class UpdatePacer:
    """Spread a rollout's env steps over the time its background updates take.

    With the trainer's `async_updates`, one rollout's gradient updates run on another thread
    while the next rollout acts, and that rollout's last step waits for them. Acting (~0.3 ms
    a step on pursuit) is far quicker than updating (~25 ms), so flat out the loop acted in a
    burst and then sat in that wait, where no frame can be taken: the view stuttered at
    ~38 fps. So while updates are running, and only then, the loop sleeps a little between
    steps, sized from the measured update time so that the rollout ends about when its
    predecessor's updates do. Training speed is set by the updates either way; the view
    advances evenly at display rate, and the sleeps hand the GIL and a core to the update
    thread and the GUI.
    """

    def __init__(self, enabled: bool = True, clock: Clock = time.perf_counter) -> None:
        self.enabled = enabled
        self.clock = clock
        self.steps_in_rollout = 0
        self.rollout_steps = 0.0  # moving average of env steps (iterations) per rollout
        self.step_ema = 0.0  # seconds per env step
        self.update_ema = 0.0  # seconds per rollout's round of background updates
        self.submitted_at: float | None = None  # a round of updates started then, still running
        self.finished_at: float | None = None  # ... and finished then, before the rollout did
        self.pace_factor = 0.8

    def after_step(self, ended: bool, seconds: float,
                   updates_running: Callable[[], bool]) -> float:
        """A `train_iteration` took `seconds` (`ended`: it ended a rollout). Returns how long
        to sleep before the next one (0: none)."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        if ended:
            self._rollout_ended(now, seconds, updates_running)
            return 0.0
        self.steps_in_rollout += 1
        self.step_ema = seconds if not self.step_ema else 0.9 * self.step_ema + 0.1 * seconds
        if self.submitted_at is None:
            return 0.0
        if not updates_running():
            self._observe_update(now - self.submitted_at)
            self.submitted_at = None
            self.finished_at = now
            return 0.0
        if self.update_ema and self.rollout_steps:
            target = self.pace_factor * self.update_ema / self.rollout_steps
            pause = min(target - self.step_ema, 1.0 / MAX_FPS)
            if pause > 0.0002:
                return pause
        return 0.0

    def _rollout_ended(self, now: float, seconds: float,
                       updates_running: Callable[[], bool]) -> None:
        if self.submitted_at is not None:  # the join at this rollout end waited for it
            self._observe_update(now - self.submitted_at)
            if seconds > 2 * self.step_ema + 0.0015:
                self.pace_factor = min(0.95, self.pace_factor * 1.03)
        elif self.finished_at is not None and now - self.finished_at > 0.005:
            # The updates finished well before the rollout did: the update thread sat idle,
            # so the steps were paced too slowly. Sleeping and waking costs more than the
            # sleep under GIL contention, hence feedback rather than a formula.
            self.pace_factor = max(0.3, self.pace_factor * 0.93)
        self.finished_at = None
        self.submitted_at = now if updates_running() else None
        steps = max(1, self.steps_in_rollout + 1)
        self.rollout_steps = steps if not self.rollout_steps else \
            0.8 * self.rollout_steps + 0.2 * steps
        self.steps_in_rollout = 0

    def _observe_update(self, seconds: float) -> None:
        seconds = min(seconds, 0.5)  # an evaluation or a compile is not an update's pace
        self.update_ema = seconds if not self.update_ema else \
            0.8 * self.update_ema + 0.2 * seconds
