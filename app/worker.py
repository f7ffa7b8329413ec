"""The training worker: the only owner and user of the `Trainer`, on its own QThread.

Why it is built this way (docs/facts.md, measured):
- TensorFlow is imported and called on this thread only, so the window is up before the
  2-6 s `import tensorflow` and a compiled update never stalls a paint.
- While `run()` loops, queued slot calls *on the worker* never execute: the GUI steers it
  through a `CommandChannel` (app/commands.py), checked between env steps - that is what makes
  Pause stop training within one env step (plus the join of at most one rollout's updates).
- Results leave as `Frame`s (plain copies) through a signal connected to `@Slot` methods of
  GUI-thread objects, paced by app/pacing.py. Curve points come from the trainer's callbacks
  (`CurveCollector`, app/engine.py).

Every error of the engine goes through one funnel, `_attempt` with `failure_message`: a
training error pauses the run with a red banner (phase ERROR), a file error is one line and
leaves the run as it was.

Why ~470 lines (over the project's ~450): one command loop over one Trainer - its commands,
phases and single error funnel read best together; pacing (app/pacing.py), the command
protocol (app/commands.py) and the curves (app/engine.py) already live elsewhere, and the
commands of manual control, what-if, views and the editor are handlers in their own files
(app/manual.py, app/whatif.py, app/views.py, app/editor.py), added to this loop's table.
"""

from __future__ import annotations

import enum
import os
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app import editor, manual, views, whatif
from app.commands import NEEDS_A_RUN, Command, CommandChannel, EngineReady, Frame
from app.engine import CurveCollector, TrainerFactory, TrainerLike, default_trainer_factory
from app.pacing import (FrameClock, StepClock, UpdatePacer, draws_every_step, watch_rate)
from qmix.userio import one_line
from qmix.config import Config
from qmix.types import Snapshot

PACING = True  # see app.pacing.UpdatePacer
T = TypeVar("T")


class Phase(enum.StrEnum):
    """What the worker is doing; the window shows it and enables controls by it."""

    STARTING = "starting"
    PAUSED = "paused"
    RUNNING = "running"
    STEPPING = "stepping"
    EVALUATING = "evaluating"
    SAVING = "saving"
    LOADING = "loading"
    ERROR = "error"
    STOPPED = "stopped"


MOVING = (Phase.RUNNING, Phase.STEPPING, Phase.EVALUATING)
"""Phases in which frames keep coming (the status bar's fps means something)."""


def failure_message(what: str, exc: BaseException) -> str:
    """The one sentence the user sees for an engine error (`what`: e.g. "Step failed")."""
    if isinstance(exc, FloatingPointError):  # the trainer's NaN/inf loss check
        return (f"Training diverged: {exc}. The run is paused; lower the learning rate in "
                "Settings and press Reset.")
    from qmix.checkpoint.errors import CheckpointError  # no h5py at start-up

    if isinstance(exc, CheckpointError):  # already one line naming the file and the problem
        return one_line(exc)
    return f"{what}: {type(exc).__name__}: {one_line(exc)}"


class _Interrupted(Exception):
    """Raised inside a watch callback to abandon a watched evaluation when the user pauses."""


class TrainingWorker(QObject):
    """Lives on a QThread; `run()` is its loop. Public methods other than `run` only touch the
    command channel and may be called from any thread."""

    frame_ready = Signal(object)  # Frame
    phase_changed = Signal(object, str)  # Phase, detail
    engine_ready = Signal(object)  # EngineReady
    training_failed = Signal(str)  # one human sentence; the run is paused
    notice = Signal(str)  # transient information ("buffer needs 32 episodes first")
    saved = Signal(str, int, int)  # path, env steps and updates of the saved run
    loaded = Signal(str)
    io_failed = Signal(str)
    # perf_counter() times at which a running loop stopped stepping, and at which the
    # background updates it had started were joined too (pause latency, both ends)
    stopped = Signal(float, float)
    replays_ready = Signal(object)  # list[ReplayEpisode]: a copy of the run's kept episodes

    def __init__(self, config: Config, trainer_factory: TrainerFactory | None = None,
                 load_path: str | None = None) -> None:
        super().__init__()
        self._config = config
        self._factory = trainer_factory or default_trainer_factory
        self._load_path = load_path
        self.commands = CommandChannel()
        self.steps_per_s: float | None = None  # None: full speed
        self.trainer: TrainerLike | None = None  # touched by the worker thread only
        self.phase = Phase.STARTING
        self.last_stop_time = 0.0
        self._curves = CurveCollector()
        self._curves_reset = True
        self._frames = FrameClock()
        self._pacer = UpdatePacer(enabled=PACING)
        self._handlers: dict[Command, Callable[[Any], None]] = {
            Command.QUIT: lambda _: None, Command.PAUSE: self._on_pause,
            Command.PLAY: self._on_play, Command.SPEED: self._on_speed,
            Command.RESET: self._reset, Command.LOAD: self._load,
            Command.STEP_ENV: self._step_env, Command.STEP_EPISODE: self._step_episode,
            Command.STEP_UPDATE: self._step_update, Command.EVALUATE: self._evaluate,
            Command.SAVE: self._save, Command.REPLAYS: self._replays,
            Command.EPISODES: lambda request: request.fulfil(self.trainer),  # an export
        }
        self._handlers.update(manual.handlers(self))  # take over an agent (app/manual.py)
        self._handlers.update(whatif.handlers(self))  # what-if drag (app/whatif.py)
        self._handlers.update(editor.handlers(self))  # world editor (app/editor.py)
        self._handlers.update(views.handlers(self))  # value map, mixer surface (app/views.py)

    # ---- thread-safe API (called from the GUI thread) ----------------------------------
    def request(self, command: Command, arg: Any = None) -> None:
        self.commands.send(command, arg)

    def is_idle(self) -> bool:
        """Every command sent so far has been carried out and the loop is not playing."""
        return self.commands.is_idle()

    def play(self) -> None:
        self.commands.play()

    def pause(self) -> None:
        self.commands.pause()

    def is_playing(self) -> bool:
        return self.commands.playing.is_set()

    def frame_consumed(self) -> None:
        self.commands.gui_ready.set()

    def quit(self) -> None:
        self.commands.quit()

    # ---- the loop (worker thread) ------------------------------------------------------
    @Slot()
    def run(self) -> None:
        ch = self.commands
        self._set_phase(Phase.STARTING, "Starting TensorFlow…")
        if not self._build_initial():
            self._idle_until_quit_or_reset()
        clock = StepClock()
        while not ch.quitting.is_set():
            if ch.playing.is_set() and self.trainer is not None:
                timeout = 0.0 if self.steps_per_s is None else clock.wait_s(time.perf_counter())
            else:
                timeout = 0.1
            item = ch.next(timeout)
            if item is not None:
                try:
                    self._handle(*item)
                finally:
                    ch.finished()
                continue
            if not (ch.playing.is_set() and self.trainer is not None):
                continue
            if self.steps_per_s is None:
                self._run_flat_out()
            elif self._iterate()[0]:
                self._emit_frame(force=draws_every_step(self.steps_per_s))
                clock.stepped(time.perf_counter(), self.steps_per_s)
            if not ch.playing.is_set() and self.phase is Phase.RUNNING:
                self._stop_running()
        if self.trainer is not None:
            self._close_trainer()
        self._set_phase(Phase.STOPPED, "")
        QThread.currentThread().quit()  # end the thread's event loop: run() was its only job

    def _run_flat_out(self) -> None:
        """Train until the next frame is due (or a command arrives), then offer a frame."""
        ch, trainer = self.commands, self.trainer
        assert trainer is not None
        deadline = self._frames.due
        ended = False
        first = True
        while ch.playing.is_set() and ch.empty() and (first or time.perf_counter() < deadline):
            first = False
            started = time.perf_counter()
            ok, ended = self._iterate()
            if not ok:
                return
            pause = self._pacer.after_step(ended, time.perf_counter() - started,
                                           trainer.updates_in_flight)
            if pause > 0:
                ch.wait(pause)
        if ended and ch.playing.is_set() and ch.empty():
            # A rollout just ended, so copy 0 shows a terminal frame with no decision to
            # inspect; one more step shows the next episode's first decision instead
            # (matters for short episodes: two_step ends every second step).
            if not self._iterate()[0]:
                return
        self._emit_frame()

    def _iterate(self) -> tuple[bool, bool]:
        """One `train_iteration`; (no error, rollout ended)."""
        assert self.trainer is not None
        ok, ended = self._attempt("Training stopped", self.trainer.train_iteration)
        return ok, bool(ended)

    def _handle(self, command: Command, arg: Any) -> None:
        if command in NEEDS_A_RUN and self.trainer is None:
            self.notice.emit("The engine is still starting.")
            return
        self._handlers[command](arg)

    def _on_pause(self, _arg: Any) -> None:
        self.commands.interrupt.clear()
        if self.phase is Phase.RUNNING:
            self._stop_running()

    def _on_play(self, _arg: Any) -> None:
        if self.trainer is None:
            self.commands.playing.clear()
        elif self.commands.playing.is_set():
            self._set_phase(Phase.RUNNING, "")

    def _on_speed(self, steps_per_s: float | None) -> None:
        self.steps_per_s = None if steps_per_s is None else float(steps_per_s)

    # ---- the error funnel ----------------------------------------------------------------
    def _attempt(self, what: str, fn: Callable[[], T],
                 on_error: Callable[[str], Any] | None = None) -> tuple[bool, T | None]:
        """`fn()`; on an error its message goes to `on_error` (a file error) or pauses the run
        (`_fail`: everything else). (no error, result)"""
        try:
            return True, fn()
        except _Interrupted:
            return False, None
        except Exception as exc:  # noqa: BLE001 - any engine error: a message, never a crash
            message = failure_message(what, exc)
            if on_error is not None:
                on_error(message)
            else:
                self._fail(message, exc)
            return False, None

    def _fail(self, message: str, exc: BaseException | None = None) -> None:
        self.commands.playing.clear()
        if exc is not None and not isinstance(exc, FloatingPointError):
            traceback.print_exception(exc)
        if self.trainer is not None:
            try:  # leave no update in flight behind an error (its own error is this one)
                self.trainer.finish_updates()
            except Exception:  # noqa: BLE001
                pass
        self._set_phase(Phase.ERROR, message)
        self.training_failed.emit(message)

    # ---- manual steps --------------------------------------------------------------------
    def _step_env(self, _arg: Any = None) -> None:
        assert self.trainer is not None
        if self._attempt("Step failed", self.trainer.env_step)[0]:
            self._set_phase(Phase.PAUSED, "stepped one env step")
            self._emit_frame(force=True)

    def _step_episode(self, _arg: Any = None) -> None:
        """Env steps until the current rollout ends, drawn step by step in slow motion, and
        stopped by Pause within the current step.

        This is `Trainer.run_episode` drawn step by step: that loop cannot show a step (its
        `on_step` hook fires before the next decision exists) nor stop early (it ignores a
        hook's False), so the worker steps `env_step` itself until the trainer can
        (docs/architecture.md, "Open seam")."""
        trainer, ch = self.trainer, self.commands
        assert trainer is not None
        slow = draws_every_step(self.steps_per_s)
        self._set_phase(Phase.STEPPING, "playing one episode")
        while not (ch.interrupt.is_set() or ch.quitting.is_set()):
            ok, ended = self._attempt("Step episode failed", trainer.env_step)
            if not ok:
                return
            self._emit_frame(force=slow)
            if slow:
                ch.wait(1.0 / self.steps_per_s)  # type: ignore[operator]
            if ended:
                break
        self._set_phase(Phase.PAUSED, "stepped one episode")
        self._emit_frame(force=True)

    def _step_update(self, _arg: Any = None) -> None:
        trainer = self.trainer
        assert trainer is not None
        ok, metrics = self._attempt("Update failed", trainer.update)
        if not ok:
            return
        if metrics is None:
            need = trainer.config.learning_starts
            self.notice.emit("No update yet: the replay buffer needs more episodes"
                             + (f" ({need})" if need else "") + ". Step episodes or Play.")
            self._set_phase(Phase.PAUSED, "")
        else:
            loss = metrics.get("loss")
            detail = f"one update (loss {float(loss):.4g})" if loss is not None else "one update"
            self._set_phase(Phase.PAUSED, detail)
        self._emit_frame(force=True)

    def _evaluate(self, _arg: Any = None) -> None:
        trainer, ch = self.trainer, self.commands
        assert trainer is not None
        self._set_phase(Phase.EVALUATING, "watching one greedy episode")
        rate = watch_rate(self.steps_per_s)
        shown_end = [False]

        def watch(snapshot: Snapshot) -> None:
            if ch.interrupt.is_set() or ch.quitting.is_set():
                raise _Interrupted
            frame = snapshot.frame or {}
            if frame.get("terminated") or frame.get("truncated"):
                # copy 0's episode is over; the other eval copies may still be running -
                # show the end once instead of a frozen picture for the rest of them
                if shown_end[0]:
                    return
                shown_end[0] = True
            self._emit_frame(force=True, snapshot=snapshot)
            ch.wait(1.0 / rate)

        ok, mean_return = self._attempt("Evaluation failed",
                                        lambda: trainer.evaluate(episodes=1, watch=watch))
        if ok:
            self._set_phase(Phase.PAUSED, f"greedy return {float(mean_return):.3g}")
            self.notice.emit(f"Greedy episode return: {float(mean_return):.3g}")
        else:
            self._set_phase(Phase.PAUSED, "")
        self._emit_frame(force=True)

    def _replays(self, _arg: Any = None) -> None:
        """The kept episodes (qmix/replay.py), deep-copied here: the GUI gets plain data."""
        import copy

        trainer = self.trainer
        ok, replays = self._attempt("Replay failed",
                                    lambda: copy.deepcopy(list(getattr(trainer, "replays", []))))
        self.replays_ready.emit(replays if ok else [])

    # ---- runs, files ---------------------------------------------------------------------
    def _build_initial(self) -> bool:
        if self._load_path and self._open(self._load_path):
            return True  # a bad file was reported: start the default run instead
        ok, trainer = self._attempt("Could not start the engine",
                                    lambda: self._factory(self._config))
        if ok:
            self._adopt(trainer, None)  # type: ignore[arg-type]
        return ok

    def _idle_until_quit_or_reset(self) -> None:
        while not self.commands.quitting.is_set() and self.trainer is None:
            item = self.commands.next(0.1)
            if item is None:
                continue
            if item[0] in (Command.RESET, Command.LOAD):
                self._handle(*item)
            self.commands.finished()

    def _adopt(self, trainer: TrainerLike, loaded_from: str | None) -> None:
        if self.trainer is not None and self.trainer is not trainer:
            self._close_trainer()
        self.trainer = trainer
        trainer.add_callback(self._curves)
        self._curves.start(trainer.history)
        self._curves_reset = True
        self.commands.playing.clear()
        self.engine_ready.emit(EngineReady(
            config=trainer.config, info=trainer.info, loaded_from=loaded_from,
            counters=(int(trainer.env_steps), int(trainer.updates))))
        self._set_phase(Phase.PAUSED, "ready")
        self._emit_frame(force=True)

    def _reset(self, config: Config | None) -> None:
        self.commands.playing.clear()
        if config is not None:
            self._config = config
        self._set_phase(Phase.STARTING, "Building the networks…")
        ok, trainer = self._attempt("Could not reset", lambda: self._factory(self._config))
        if ok:
            self._adopt(trainer, None)  # type: ignore[arg-type]

    def _open(self, path: str) -> bool:
        """Adopt the run saved in `path` (a fresh Trainer: the file may be of another world,
        and the current run must stay intact if it is bad). False (and a message) if not."""
        from qmix.checkpoint import trainer_from_checkpoint

        ok, trainer = self._attempt(f"Could not open {os.path.basename(path)}",
                                    lambda: trainer_from_checkpoint(path),
                                    on_error=self.io_failed.emit)
        if ok:
            self._adopt(trainer, path)  # type: ignore[arg-type]
        return ok

    def _load(self, path: str) -> None:
        self.commands.playing.clear()
        previous = self.phase
        self._set_phase(Phase.LOADING, path)
        if self._open(path):
            self.loaded.emit(path)
        else:
            self._set_phase(Phase.PAUSED if self.trainer is not None else previous, "")

    def _save(self, arg: tuple[str, bool]) -> None:
        """Taken between two env steps of a running loop; training continues afterwards."""
        from qmix.checkpoint import save_checkpoint

        path, include_buffer = arg
        trainer = self.trainer
        assert trainer is not None
        previous = self.phase
        self._set_phase(Phase.SAVING, path)
        ok, _ = self._attempt(f"Could not save {os.path.basename(path)}",
                              lambda: save_checkpoint(trainer, path,
                                                      include_buffer=include_buffer),
                              on_error=self.io_failed.emit)
        if ok:
            self.saved.emit(path, int(trainer.env_steps), int(trainer.updates))
        if self.commands.playing.is_set():
            self._set_phase(Phase.RUNNING, "")
        else:
            self._set_phase(previous if previous not in (Phase.SAVING, Phase.RUNNING)
                            else Phase.PAUSED, "")

    # ---- state out -----------------------------------------------------------------------
    def _close_trainer(self) -> None:
        assert self.trainer is not None
        try:
            self.trainer.close()
        except Exception:  # noqa: BLE001 - it is being dropped anyway
            traceback.print_exc()

    def _stop_running(self) -> None:
        """Pause: join gradient updates still running in the background (`async_updates`),
        so counters and networks on screen are final and a later Step-update adds one."""
        assert self.trainer is not None
        self.last_stop_time = time.perf_counter()
        self._attempt("Training stopped", self.trainer.finish_updates)
        self.stopped.emit(self.last_stop_time, time.perf_counter())
        self._set_phase(Phase.PAUSED, "")
        self._emit_frame(force=True)

    def _set_phase(self, phase: Phase, detail: str) -> None:
        self.phase = phase
        self.phase_changed.emit(phase, detail)

    def _emit_frame(self, force: bool = False, snapshot: Snapshot | None = None) -> None:
        now = time.perf_counter()
        t = self.trainer
        if t is None or not self._frames.may_emit(now, self.commands.gui_ready.is_set(), force):
            return
        if snapshot is None:
            # Every frame carries the inspection of exactly its own decision, from the weights
            # that made it (NumPy, ~0.2 ms: qmix/inspection.py says why not the compiled one)
            ok, snapshot = self._attempt("Inspection failed", lambda: t.snapshot(inspect=True))
            if not ok:
                return
        frame = Frame(snapshot=snapshot, points=self._curves.take(),
                      curves_reset=self._curves_reset, env_steps=int(t.env_steps),
                      episodes=int(t.episodes), updates=int(t.updates),
                      running=self.commands.playing.is_set())
        self._curves_reset = False
        self._frames.emitted(now)
        self.commands.gui_ready.clear()
        self.frame_ready.emit(frame)
