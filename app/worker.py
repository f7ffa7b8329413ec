"""The training worker: the only owner and user of the `Trainer`, on its own QThread.

Why it is built this way (FACTS.md, measured):
- TensorFlow is imported and called on this thread only, so the window is up before the
  2-6 s `import tensorflow` and a compiled update never stalls a paint.
- While `run()` loops, queued slot calls *on the worker* never execute. The GUI therefore
  steers it through a `queue.Queue` of commands plus `threading.Event` flags (`_play`,
  `_interrupt`), which the loop checks between env steps - that is what makes Pause stop
  training within one env step (plus the join of at most one rollout's updates).
- Results leave as `Frame`s (plain copies) through a signal connected to `@Slot` methods of
  GUI-thread objects, at most `MAX_FPS` per second and only when the GUI has consumed the
  previous frame (5,000 unthrottled emits took the GUI 3 s to drain).
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app import checkpoint_io
from qmix.config import Config
from qmix.types import Snapshot

MAX_FPS = 60.0
# At full speed the compiled inspection (per-agent Q, Q_tot, V(s), credit) is taken for at
# most this many frames per second; the others carry the frame and the decision only. Measured
# on 2 cores (pursuit, window open): inspecting every 60 Hz frame cut training to 64 % of
# headless and the view to 30 fps; at 12 Hz the numbers still change faster than anyone
# reads them. Paused, stepping and slow motion inspect every frame.
INSPECT_HZ = 12.0
PACING = True  # see TrainingWorker._pace_after
WATCH_STEPS_PER_S = 8.0  # Evaluate at full speed still shows the greedy episode, watchably

TrainerFactory = Callable[[Config], Any]


def default_trainer_factory(config: Config) -> Any:
    # Imported here, on the worker thread, never at module top: this is the TensorFlow import.
    from qmix.trainer import Trainer

    return Trainer(config)


def diverged(exc: BaseException) -> str:
    """The message for the trainer's non-finite loss check (FloatingPointError)."""
    return (f"Training diverged: {exc}. The run is paused; lower the learning rate in "
            "Settings and press Reset.")


@dataclass
class Frame:
    """One hand-over from worker to GUI: a snapshot plus the history points added since the
    previous frame (so long runs never resend their whole history)."""

    snapshot: Snapshot | None
    new_history: dict[str, list[tuple[int, float]]]
    history_reset: bool
    env_steps: int
    episodes: int
    updates: int
    running: bool
    inspected: bool = True  # False: a full-speed frame without the compiled inspection
    emitted_at: float = field(default_factory=time.perf_counter)


class _Interrupted(Exception):
    """Raised inside a watch callback to abandon a watched evaluation when the user pauses."""


class TrainingWorker(QObject):
    """Lives on a QThread; `run()` is its loop. Public methods other than `run` only touch
    thread-safe primitives and may be called from any thread."""

    frame_ready = Signal(object)  # Frame
    phase_changed = Signal(str, str)  # phase, detail ("starting", "paused", "running", ...)
    engine_ready = Signal(object)  # dict(config=Config, info=EnvInfo, loaded_from=str|None)
    training_failed = Signal(str)  # one human sentence; the run is paused
    notice = Signal(str)  # transient information ("buffer needs 32 episodes first")
    saved = Signal(str, int, int)  # path, env steps and updates of the saved run
    loaded = Signal(str)
    io_failed = Signal(str)
    # perf_counter() times at which a running loop stopped stepping, and at which the
    # background updates it had started were joined too (pause latency, both ends)
    stopped = Signal(float, float)

    def __init__(self, config: Config, trainer_factory: TrainerFactory | None = None,
                 load_path: str | None = None) -> None:
        super().__init__()
        self._config = config
        self._factory = trainer_factory or default_trainer_factory
        self._load_path = load_path
        self._commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._play = threading.Event()
        self._interrupt = threading.Event()
        self._quit = threading.Event()
        self._gui_ready = threading.Event()
        self._gui_ready.set()
        self.steps_per_s: float | None = None  # None: full speed
        self.trainer: Any = None  # touched by the worker thread only
        self._sent: dict[str, int] = {}
        self._history_reset = True
        self._last_emit = 0.0
        self._frame_due = 0.0  # when the next full-speed frame may be emitted
        self._last_inspect = 0.0
        self.last_stop_time = 0.0
        self.phase = "starting"
        # full-speed pacing state (see _pace_after)
        self._steps_in_rollout = 0
        self._rollout_steps = 0.0
        self._step_ema = 0.0
        self._update_ema = 0.0
        self._submitted_at: float | None = None
        self._pace_factor = 0.8
        self._finished_at: float | None = None
        self._count_lock = threading.Lock()
        self.commands_sent = 0
        self.commands_done = 0

    # ---- thread-safe API (called from the GUI thread) ----------------------------------
    def request(self, command: str, arg: Any = None) -> None:
        with self._count_lock:
            self.commands_sent += 1
        self._commands.put((command, arg))

    def is_idle(self) -> bool:
        """Every command sent so far has been carried out and the loop is not playing."""
        with self._count_lock:
            done = self.commands_done == self.commands_sent
        return done and not self._play.is_set()

    def play(self) -> None:
        self._interrupt.clear()
        self._play.set()
        self.request("play")

    def pause(self) -> None:
        # Clearing the flag directly (not only queueing) is what bounds Pause latency: the
        # loop checks it before every env step.
        self._play.clear()
        self._interrupt.set()
        self.request("pause")

    def is_playing(self) -> bool:
        return self._play.is_set()

    def frame_consumed(self) -> None:
        self._gui_ready.set()

    def quit(self) -> None:
        self._play.clear()
        self._interrupt.set()
        self._quit.set()
        self.request("quit")

    # ---- the loop (worker thread) ------------------------------------------------------
    @Slot()
    def run(self) -> None:
        self._set_phase("starting", "Starting TensorFlow…")
        if not self._build_initial():
            self._idle_until_quit_or_reset()
        next_step_at = time.perf_counter()
        while not self._quit.is_set():
            running = self._play.is_set() and self.trainer is not None
            if running:
                timeout = 0.0
                if self.steps_per_s is not None:
                    timeout = max(0.0, next_step_at - time.perf_counter())
            else:
                timeout = 0.1
            try:
                command, arg = self._commands.get(timeout=timeout) if timeout > 0 else \
                    self._commands.get_nowait()
            except queue.Empty:
                pass
            else:
                try:
                    self._handle(command, arg)
                finally:
                    with self._count_lock:
                        self.commands_done += 1
                continue
            if not (self._play.is_set() and self.trainer is not None):
                continue
            if self.steps_per_s is None:
                self._run_flat_out()
            else:
                self._train_steps(1, every_step_drawn=self.steps_per_s <= MAX_FPS)
                now = time.perf_counter()
                next_step_at = max(next_step_at + 1.0 / self.steps_per_s, now - 0.25)
            if not self._play.is_set() and self.phase == "running":
                self._stop_running()
        if self.trainer is not None:
            self._close_trainer()
        self._set_phase("stopped", "")
        QThread.currentThread().quit()  # end the thread's event loop: run() was its only job

    def _run_flat_out(self) -> None:
        """Train until the next frame is due (or a command arrives), then offer a frame."""
        deadline = self._frame_due
        ended = False
        first = True
        while (self._play.is_set() and self._commands.empty()
               and (first or time.perf_counter() < deadline)):
            first = False
            started = time.perf_counter()
            ok, ended = self._iterate()
            if not ok:
                return
            self._pace_after(ended, time.perf_counter() - started)
        if ended and self._play.is_set() and self._commands.empty():
            # A rollout just ended, so copy 0 shows a terminal frame with no decision to
            # inspect; one more step shows the next episode's first decision instead
            # (matters for short episodes: two_step ends every second step).
            ok, _ = self._iterate()
            if not ok:
                return
        self._emit_frame()

    def _pace_after(self, ended: bool, seconds: float) -> None:
        """Spread a rollout's env steps over the time its background updates take.

        With the trainer's `async_updates`, one rollout's gradient updates run on another
        thread while the next rollout acts, and that rollout's last step waits for them.
        Acting (~0.3 ms a step on pursuit) is far quicker than updating (~25 ms), so flat out
        the loop acted in a burst and then sat in that wait, where no frame can be taken:
        the view stuttered at ~38 fps. So while updates are running, and only then, the loop
        sleeps a little between steps, sized from the measured update time so that the
        rollout ends about when its predecessor's updates do. Training speed is set by the
        updates either way; the view advances evenly at display rate, and the sleeps hand
        the GIL and a core to the update thread and the GUI.
        """
        if not PACING:
            return
        now = time.perf_counter()
        if ended:
            if self._submitted_at is not None:  # the join at this rollout end waited for it
                self._observe_update(now - self._submitted_at)
                if seconds > 2 * self._step_ema + 0.0015:
                    self._pace_factor = min(0.95, self._pace_factor * 1.03)
            elif self._finished_at is not None and now - self._finished_at > 0.005:
                # The updates finished well before the rollout did: the update thread sat
                # idle, so the steps were paced too slowly. Sleeping and waking costs more
                # than the sleep under GIL contention, hence feedback rather than a formula.
                self._pace_factor = max(0.3, self._pace_factor * 0.93)
            self._finished_at = None
            self._submitted_at = now if self._updates_running() else None
            steps = max(1, self._steps_in_rollout + 1)
            self._rollout_steps = steps if not self._rollout_steps else \
                0.8 * self._rollout_steps + 0.2 * steps
            self._steps_in_rollout = 0
            return
        self._steps_in_rollout += 1
        self._step_ema = seconds if not self._step_ema else 0.9 * self._step_ema + 0.1 * seconds
        if self._submitted_at is None:
            return
        if not self._updates_running():
            self._observe_update(now - self._submitted_at)
            self._submitted_at = None
            self._finished_at = now
            return
        if self._update_ema and self._rollout_steps:
            target = self._pace_factor * self._update_ema / self._rollout_steps
            pause = min(target - self._step_ema, 1.0 / MAX_FPS)
            if pause > 0.0002:
                self._interrupt.wait(pause)

    def _observe_update(self, seconds: float) -> None:
        seconds = min(seconds, 0.5)  # an evaluation or a compile is not an update's pace
        self._update_ema = seconds if not self._update_ema else \
            0.8 * self._update_ema + 0.2 * seconds

    def _updates_running(self) -> bool:
        """True while the trainer's background updates (async_updates) are still running."""
        probe = getattr(self.trainer, "updates_in_flight", None)  # test fakes may lack it
        return bool(probe()) if callable(probe) else False

    def _iterate(self) -> tuple[bool, bool]:
        """One `train_iteration`; (no error, rollout ended)."""
        try:
            ended = bool(self.trainer.train_iteration())
        except FloatingPointError as exc:  # the trainer's NaN/inf loss check
            self._fail(diverged(exc))
            return False, False
        except Exception as exc:  # noqa: BLE001 - any training error pauses the run
            self._fail(f"Training stopped: {type(exc).__name__}: {exc}", exc)
            return False, False
        return True, ended

    def _train_steps(self, n: int, every_step_drawn: bool, emit: bool = True) -> bool:
        for _ in range(n):
            ok, _ = self._iterate()
            if not ok:
                return False
        if emit:
            self._emit_frame(force=every_step_drawn)
        return True

    def _handle(self, command: str, arg: Any) -> None:
        if command == "quit":
            return
        if command == "pause":
            self._interrupt.clear()
            if self.phase == "running":
                self._stop_running()
            return
        if command == "play":
            if self.trainer is None:
                self._play.clear()
                return
            if self._play.is_set():
                self._set_phase("running", "")
            return
        if command == "speed":
            self.steps_per_s = None if arg is None else float(arg)
            return
        if command == "reset":
            self._reset(arg)
            return
        if command == "load":
            self._load(arg)
            return
        if self.trainer is None:
            self.notice.emit("The engine is still starting.")
            return
        if command == "step_env":
            self._step_env()
        elif command == "step_episode":
            self._step_episode()
        elif command == "step_update":
            self._step_update()
        elif command == "evaluate":
            self._evaluate()
        elif command == "save":
            self._save(arg)

    # ---- manual steps --------------------------------------------------------------------
    def _guarded(self, label: str, fn: Callable[[], Any]) -> tuple[bool, Any]:
        try:
            result = fn()
        except _Interrupted:
            return False, None
        except FloatingPointError as exc:
            self._fail(diverged(exc))
            return False, None
        except Exception as exc:  # noqa: BLE001
            self._fail(f"{label} failed: {type(exc).__name__}: {exc}", exc)
            return False, None
        return True, result

    def _step_env(self) -> None:
        ok, _ = self._guarded("Step", self.trainer.env_step)
        if ok:
            self._set_phase("paused", "stepped one env step")
            self._emit_frame(force=True)

    def _step_episode(self) -> None:
        """Env steps until copy 0's rollout ends; drawn step by step in slow motion."""
        rate = self.steps_per_s if self.steps_per_s is not None else None
        self._set_phase("stepping", "playing one episode")
        limit = 10 * int(getattr(self.trainer.info, "episode_limit", 1000) or 1000) + 10
        for _ in range(limit):
            if self._interrupt.is_set() or self._quit.is_set():
                break
            ok, ended = self._guarded("Step episode", self.trainer.env_step)
            if not ok:
                return
            if rate is not None and rate <= MAX_FPS:
                self._emit_frame(force=True)
                self._sleep(1.0 / rate)
            else:
                self._emit_frame()
            if ended:
                break
        self._set_phase("paused", "stepped one episode")
        self._emit_frame(force=True)

    def _step_update(self) -> None:
        ok, metrics = self._guarded("Update", self.trainer.update)
        if not ok:
            return
        if metrics is None:
            need = getattr(self.trainer.config, "learning_starts", None) if hasattr(
                self.trainer, "config") else None
            self.notice.emit("No update yet: the replay buffer needs more episodes"
                             + (f" ({need})" if need else "") + ". Step episodes or Play.")
            self._set_phase("paused", "")
        else:
            loss = metrics.get("loss")
            detail = f"one update (loss {float(loss):.4g})" if loss is not None else "one update"
            self._set_phase("paused", detail)
        self._emit_frame(force=True)

    def _evaluate(self) -> None:
        self._set_phase("evaluating", "watching one greedy episode")
        rate = self.steps_per_s if self.steps_per_s is not None and self.steps_per_s <= MAX_FPS \
            else WATCH_STEPS_PER_S

        shown_end = [False]

        def watch(snapshot: Snapshot) -> None:
            if self._interrupt.is_set() or self._quit.is_set():
                raise _Interrupted
            frame = snapshot.frame or {}
            if frame.get("terminated") or frame.get("truncated"):
                # copy 0's episode is over; the other eval copies may still be running -
                # show the end once instead of a frozen picture for the rest of them
                if shown_end[0]:
                    return
                shown_end[0] = True
            self._emit_frame(force=True, snapshot=snapshot)
            self._sleep(1.0 / rate)

        ok, mean_return = self._guarded("Evaluation",
                                        lambda: self.trainer.evaluate(episodes=1, watch=watch))
        if ok:
            self._set_phase("paused", f"greedy return {float(mean_return):.3g}")
            self.notice.emit(f"Greedy episode return: {float(mean_return):.3g}")
        else:
            self._set_phase("paused", "")
        self._emit_frame(force=True)

    def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once for pause/quit."""
        self._interrupt.wait(timeout=max(0.0, seconds))

    # ---- runs, files ---------------------------------------------------------------------
    def _build_initial(self) -> bool:
        if self._load_path:
            try:
                trainer = checkpoint_io.load(self._load_path)
            except checkpoint_io.CheckpointLoadError as exc:
                self.io_failed.emit(str(exc))  # and start the default run instead
            else:
                self._adopt(trainer, self._load_path)
                return True
        try:
            trainer = self._factory(self._config)
        except Exception as exc:  # noqa: BLE001
            self._fail(f"Could not start the engine: {type(exc).__name__}: {exc}", exc)
            return False
        self._adopt(trainer, None)
        return True

    def _idle_until_quit_or_reset(self) -> None:
        while not self._quit.is_set() and self.trainer is None:
            try:
                command, arg = self._commands.get(timeout=0.1)
            except queue.Empty:
                continue
            if command in ("reset", "load"):
                self._handle(command, arg)
            with self._count_lock:
                self.commands_done += 1

    def _adopt(self, trainer: Any, loaded_from: str | None) -> None:
        if self.trainer is not None and self.trainer is not trainer:
            self._close_trainer()
        self.trainer = trainer
        self._sent = {}
        self._history_reset = True
        self._play.clear()
        self.engine_ready.emit({"config": trainer.config if hasattr(trainer, "config")
                                else self._config, "info": trainer.info,
                                "loaded_from": loaded_from,
                                "counters": (int(trainer.env_steps), int(trainer.updates))})
        self._set_phase("paused", "ready")
        self._emit_frame(force=True)

    def _reset(self, config: Config | None) -> None:
        self._play.clear()
        if config is not None:
            self._config = config
        self._set_phase("starting", "Building the networks…")
        try:
            trainer = self._factory(self._config)
        except Exception as exc:  # noqa: BLE001
            self._fail(f"Could not reset: {type(exc).__name__}: {exc}", exc)
            return
        self._adopt(trainer, None)

    def _save(self, arg: tuple[str, bool]) -> None:
        path, include_buffer = arg
        previous = self.phase
        self._set_phase("saving", path)
        try:
            checkpoint_io.save(self.trainer, path, include_buffer=include_buffer)
        except checkpoint_io.CheckpointSaveError as exc:
            self.io_failed.emit(str(exc))
        else:
            self.saved.emit(path, int(self.trainer.env_steps), int(self.trainer.updates))
        self._set_phase("running" if self._play.is_set() else
                        (previous if previous not in ("saving", "running") else "paused"), "")

    def _load(self, path: str) -> None:
        self._play.clear()
        previous = self.phase
        self._set_phase("loading", path)
        try:
            trainer = checkpoint_io.load(path)
        except checkpoint_io.CheckpointLoadError as exc:
            self.io_failed.emit(str(exc))
            self._set_phase("paused" if self.trainer is not None else previous, "")
            return
        self._adopt(trainer, path)
        self.loaded.emit(path)

    # ---- state out -----------------------------------------------------------------------
    def _settle(self) -> None:
        """Join gradient updates still running in the background (the trainer's
        `async_updates`), so counters and networks on screen are final while paused and a
        later Step-update adds exactly one."""
        finish = getattr(self.trainer, "finish_updates", None)
        if finish is None:
            return
        try:
            finish()
        except FloatingPointError as exc:
            self._fail(diverged(exc))
        except Exception as exc:  # noqa: BLE001
            self._fail(f"Training stopped: {type(exc).__name__}: {exc}", exc)

    def _close_trainer(self) -> None:
        close = getattr(self.trainer, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001 - it is being dropped anyway
                traceback.print_exc()

    def _stop_running(self) -> None:
        self.last_stop_time = time.perf_counter()
        self._settle()
        self.stopped.emit(self.last_stop_time, time.perf_counter())
        self._set_phase("paused", "")
        self._emit_frame(force=True)

    def _set_phase(self, phase: str, detail: str) -> None:
        self.phase = phase
        self.phase_changed.emit(phase, detail)

    def _fail(self, message: str, exc: BaseException | None = None) -> None:
        self._play.clear()
        if exc is not None:
            traceback.print_exception(exc)
        finish = getattr(self.trainer, "finish_updates", None)
        if finish is not None:
            try:  # leave no update in flight behind an error (its own error is this one)
                finish()
            except Exception:  # noqa: BLE001
                pass
        self._set_phase("error", message)
        self.training_failed.emit(message)

    def _emit_frame(self, force: bool = False, snapshot: Snapshot | None = None) -> None:
        now = time.perf_counter()
        if not force and (now < self._frame_due or not self._gui_ready.is_set()):
            return
        t = self.trainer
        if t is None:
            return
        since = now - self._last_inspect
        # The inspection is a TensorFlow call; made while a background update runs it waited
        # for the update's ops (measured: 10 ms median vs ~1 ms), so it waits for a gap.
        inspect = force or since >= 0.5 or (since >= 1.0 / INSPECT_HZ
                                             and not self._updates_running())
        if snapshot is None:
            try:
                snapshot = t.snapshot(inspect=inspect)
            except Exception as exc:  # noqa: BLE001
                self._fail(f"Inspection failed: {type(exc).__name__}: {exc}", exc)
                return
        new_history: dict[str, list[tuple[int, float]]] = {}
        for key, points in t.history.items():
            start = self._sent.get(key, 0)
            if len(points) > start:
                new_history[key] = list(points[start:])
                self._sent[key] = len(points)
        frame = Frame(snapshot=snapshot, new_history=new_history,
                      history_reset=self._history_reset, env_steps=int(t.env_steps),
                      episodes=int(t.episodes), updates=int(t.updates),
                      running=self._play.is_set(), inspected=inspect)
        self._history_reset = False
        self._last_emit = now
        # Frames are due on a fixed 1/MAX_FPS grid: at most MAX_FPS a second on average, and
        # a frame that came late (a long step) does not push every later one back - the next
        # may come sooner, with at most half a period of catch-up.
        self._frame_due = max(self._frame_due + 1.0 / MAX_FPS, now + 0.5 / MAX_FPS)
        if inspect:
            self._last_inspect = now
        self._gui_ready.clear()
        self.frame_ready.emit(frame)


class TrainingController(QObject):
    """GUI-side handle: owns the QThread and the worker, forwards commands, joins on close."""

    def __init__(self, config: Config, trainer_factory: TrainerFactory | None = None,
                 load_path: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("qmix-trainer")
        self.worker = TrainingWorker(config, trainer_factory, load_path)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.pause_requested_at = 0.0

    def start(self) -> None:
        self.thread.start()

    def play(self) -> None:
        self.worker.play()

    def pause(self) -> None:
        self.pause_requested_at = time.perf_counter()
        self.worker.pause()

    def step_env(self) -> None:
        self._pause_then("step_env")

    def step_episode(self) -> None:
        self._pause_then("step_episode")

    def step_update(self) -> None:
        self._pause_then("step_update")

    def evaluate(self) -> None:
        self._pause_then("evaluate")

    def reset(self, config: Config) -> None:
        self._pause_then("reset", config)

    def save(self, path: str, include_buffer: bool = False) -> None:
        # Taken between two env steps of a running loop; training continues afterwards.
        self.worker.request("save", (path, include_buffer))

    def load(self, path: str) -> None:
        self._pause_then("load", path)

    def set_speed(self, steps_per_s: float | None) -> None:
        self.worker.request("speed", steps_per_s)

    def _pause_then(self, command: str, arg: Any = None) -> None:
        # Step buttons while running pause first: the command runs after the loop stops.
        if self.worker.is_playing():
            self.pause()
        self.worker.request(command, arg)

    def shutdown(self, timeout_s: float = 1.0) -> bool:
        """Stop the worker and join its thread. True if it stopped within `timeout_s`."""
        if not self.thread.isRunning():
            return True
        self.worker.quit()
        self.thread.quit()  # ends the thread's event loop once run() has returned
        if self.thread.wait(int(timeout_s * 1000)):
            return True
        # Only possible while `import tensorflow` or a Trainer build is in progress (neither
        # can be interrupted); it checks the quit flag right after, so wait for that.
        return bool(self.thread.wait(30_000))
