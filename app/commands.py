"""What the GUI and the worker say to each other: `Command`s in, `Frame`s out.

In: a queue of `Command`s plus `threading.Event` flags (`CommandChannel`). Why not Qt's queued
slot calls: while the worker's loop runs, queued slot calls *on the worker* never execute
(docs/facts.md). So the GUI queues commands and sets flags that the loop checks between env
steps; clearing `playing` and setting `interrupt` directly (not only queueing a command) is
what makes Pause stop training within one env step.

Out: `Frame`s and `EngineReady`, plain copies the worker emits through Qt signals to
GUI-thread slots. Plain Python: no Qt, no TensorFlow (tests/app/test_commands.py).
"""

from __future__ import annotations

import enum
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from app.engine import Points
from qmix.config import Config
from qmix.types import Snapshot


class Command(enum.Enum):
    PLAY = "play"
    PAUSE = "pause"
    QUIT = "quit"
    SPEED = "speed"  # arg: env steps per second, None = full speed
    RESET = "reset"  # arg: the new run's Config (None: the current one)
    LOAD = "load"  # arg: path
    SAVE = "save"  # arg: (path, include_buffer)
    STEP_ENV = "step_env"
    STEP_EPISODE = "step_episode"
    STEP_UPDATE = "step_update"
    EVALUATE = "evaluate"
    TAKE_OVER = "take_over"  # arg: agent of copy 0 a person controls, None = release (app/manual.py)
    HUMAN_OPTIONS = "human_options"  # arg: {"others_greedy": bool, "to_buffer": bool}
    HUMAN_ACTION = "human_action"  # arg: the controlled agent's action (paused: one env step)
    WHATIF_MOVE = "whatif_move"  # arg: (kind, index, (row, col)); paused only (app/whatif.py)
    WHATIF_UNDO = "whatif_undo"
    WHATIF_END = "whatif_end"  # back to the real state
    EDITOR_APPLY = "editor_apply"  # arg: an envs.layout.Layout for the run (app/editor.py)
    VIEWS = "views"  # arg: {"value_map": (agent, kind) | None, "mixer": (i, j) | None}
    REPLAYS = "replays"  # answered by TrainingWorker.replays_ready: the kept episodes ([]: none)
    EPISODES = "episodes"  # arg: EpisodeRequest, answered through its future (an export)


NEEDS_A_RUN = frozenset({Command.STEP_ENV, Command.STEP_EPISODE, Command.STEP_UPDATE,
                         Command.EVALUATE, Command.SAVE, Command.TAKE_OVER,
                         Command.HUMAN_OPTIONS, Command.HUMAN_ACTION, Command.WHATIF_MOVE,
                         Command.WHATIF_UNDO, Command.WHATIF_END, Command.EDITOR_APPLY,
                         Command.VIEWS})
"""Commands that act on the run, refused (with a notice) while the engine is starting."""


class CommandChannel:
    """The GUI -> worker channel. Every method may be called from any thread."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Command, Any]] = queue.Queue()
        self.playing = threading.Event()  # the loop trains while this is set
        self.interrupt = threading.Event()  # wakes sleeps, abandons watched episodes
        self.quitting = threading.Event()
        self.gui_ready = threading.Event()  # the GUI drew the last frame
        self.gui_ready.set()
        self._lock = threading.Lock()
        self.sent = 0
        self.done = 0

    # ---- GUI side ------------------------------------------------------------------------
    def send(self, command: Command, arg: Any = None) -> None:
        with self._lock:
            self.sent += 1
        self._queue.put((command, arg))

    def play(self) -> None:
        self.interrupt.clear()
        self.playing.set()
        self.send(Command.PLAY)

    def pause(self) -> None:
        self.playing.clear()
        self.interrupt.set()
        self.send(Command.PAUSE)

    def quit(self) -> None:
        self.playing.clear()
        self.interrupt.set()
        self.quitting.set()
        self.send(Command.QUIT)

    def is_idle(self) -> bool:
        """Every command sent so far has been carried out and the loop is not playing."""
        with self._lock:
            done = self.done == self.sent
        return done and not self.playing.is_set()

    # ---- worker side ---------------------------------------------------------------------
    def next(self, timeout: float) -> tuple[Command, Any] | None:
        """The next command, waiting up to `timeout` s (0: don't wait); None if none came."""
        try:
            return self._queue.get(timeout=timeout) if timeout > 0 else \
                self._queue.get_nowait()
        except queue.Empty:
            return None

    def finished(self) -> None:
        """The command taken last has been carried out (or dropped)."""
        with self._lock:
            self.done += 1

    def empty(self) -> bool:
        return self._queue.empty()

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up at once for pause/quit."""
        self.interrupt.wait(timeout=max(0.0, seconds))


@dataclass
class Frame:
    """One hand-over from worker to GUI: a snapshot plus the curve points added since the
    previous frame (so long runs never resend their whole history)."""

    snapshot: Snapshot | None
    points: Points
    curves_reset: bool  # a new run: clear the plots before adding `points`
    env_steps: int
    episodes: int
    updates: int
    running: bool
    emitted_at: float = field(default_factory=time.perf_counter)


@dataclass
class EngineReady:
    """A run is ready (a new one, or one opened from `loaded_from`)."""

    config: Config
    info: Any
    loaded_from: str | None
    counters: tuple[int, int]  # env steps, updates


@dataclass
class EpisodeRequest:
    """Episodes for an export (File ▸ Export episode, app/export_dialog.py), asked of the
    worker because the trainer is its alone; answered, on the worker thread, with plain-data
    copies through `future`: (list of qmix.record.Episode, action names). `kind` "greedy":
    `count` fresh greedy episodes seeded by `seed` on the evaluation env (the run untouched);
    "last": the trainer's newest `count` stored episodes ([] where it keeps none)."""

    kind: str
    count: int = 1
    seed: int = 0
    future: Future = field(default_factory=Future)

    def fulfil(self, trainer: Any) -> None:
        if not self.future.set_running_or_notify_cancel():
            return  # the export was cancelled meanwhile
        try:
            if trainer is None:
                raise RuntimeError("the engine is still starting")
            from qmix.record import trainer_episodes

            self.future.set_result(trainer_episodes(trainer, self.kind, self.count,
                                                    self.seed))
        except Exception as exc:  # noqa: BLE001 - the exporter reports it in one line
            self.future.set_exception(exc)
