"""The GUI's handle on the training thread: owns the QThread and its `TrainingWorker`.

Runs on the GUI thread. It forwards the window's commands (a step while running pauses
first), remembers a Play pressed before the engine is up, owns the GUI-thread garbage
collector's freeze/unfreeze around runs (app/collector.py says why), measures Pause and
Close latency (app/bench.py reports them), and joins the thread on close.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.collector import GuiThreadCollector
from app.commands import Command, EngineReady
from app.engine import TrainerFactory
from app.worker import TrainingWorker
from qmix.config import Config


class TrainingController(QObject):
    """`playing_changed(bool)`: training was asked for (or to wait for the engine) / stopped;
    the Play button shows it (the worker's phase confirms it)."""

    playing_changed = Signal(bool)

    def __init__(self, config: Config, trainer_factory: TrainerFactory | None = None,
                 load_path: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.collector = GuiThreadCollector(self)  # cyclic GC on this thread only (why: there)
        self.thread = QThread()
        self.thread.setObjectName("qmix-trainer")
        self.worker = TrainingWorker(config, trainer_factory, load_path)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        # @Slot methods of this GUI-thread object (a plain function would run on the worker)
        self.worker.engine_ready.connect(self._on_engine_ready)
        self.worker.training_failed.connect(self._on_training_failed)
        self.worker.stopped.connect(self._on_stopped)
        self.engine_ready = False  # the current run's Trainer exists
        self.play_when_ready = False  # Play was pressed before it did
        self.pause_requested_at = 0.0
        self.pause_latencies: list[float] = []  # Pause -> the loop stopped stepping (s)
        self.settle_latencies: list[float] = []  # ... and its background updates joined
        self.shutdown_seconds: float | None = None

    def start(self) -> None:
        self.thread.start()

    # ---- play state ----------------------------------------------------------------------
    def wants_play(self) -> bool:
        """Training, or about to as soon as the engine is up."""
        return self.worker.is_playing() or self.play_when_ready

    def play(self) -> None:
        """Train; before the engine is up, as soon as it is."""
        if self.engine_ready:
            self.worker.play()
        else:
            self.play_when_ready = True
        self.playing_changed.emit(True)

    def pause(self) -> None:
        self.play_when_ready = False
        self.pause_requested_at = time.perf_counter()
        self.worker.pause()
        self.playing_changed.emit(False)

    # ---- commands ------------------------------------------------------------------------
    def step_env(self) -> None:
        self._pause_then(Command.STEP_ENV)

    def step_episode(self) -> None:
        self._pause_then(Command.STEP_EPISODE)

    def step_update(self) -> None:
        self._pause_then(Command.STEP_UPDATE)

    def evaluate(self) -> None:
        self._pause_then(Command.EVALUATE)

    def reset(self, config: Config) -> None:
        self.collector.unfreeze()  # so the run being replaced can be collected
        self.engine_ready = False
        self._pause_then(Command.RESET, config)

    def load(self, path: str) -> None:
        self.collector.unfreeze()
        self._pause_then(Command.LOAD, path)

    def save(self, path: str, include_buffer: bool = False) -> None:
        # Taken between two env steps of a running loop; training continues afterwards.
        self.worker.request(Command.SAVE, (path, include_buffer))

    def request_replays(self) -> None:
        """The run's kept episodes, as a copy through the worker's `replays_ready` signal."""
        self.worker.request(Command.REPLAYS)

    def set_speed(self, steps_per_s: float | None) -> None:
        self.worker.request(Command.SPEED, steps_per_s)

    def _pause_then(self, command: Command, arg: Any = None) -> None:
        # Step buttons while running pause first: the command runs after the loop stops.
        self.play_when_ready = False
        if self.worker.is_playing():
            self.pause()
        self.worker.request(command, arg)
        self.playing_changed.emit(False)

    # ---- worker -> here ------------------------------------------------------------------
    @Slot(object)
    def _on_engine_ready(self, _ready: EngineReady) -> None:
        self.engine_ready = True
        self.collector.freeze()  # the new run's long-lived objects leave the GC scans
        if self.play_when_ready:
            self.play_when_ready = False
            self.worker.play()

    @Slot(str)
    def _on_training_failed(self, _message: str) -> None:
        self.play_when_ready = False

    @Slot(float, float)
    def _on_stopped(self, stopped_at: float, settled_at: float) -> None:
        asked = self.pause_requested_at
        if asked and stopped_at >= asked:
            self.pause_latencies.append(stopped_at - asked)
            self.settle_latencies.append(settled_at - asked)
            self.pause_requested_at = 0.0

    # ---- closing -------------------------------------------------------------------------
    def shutdown(self, timeout_s: float = 1.0) -> bool:
        """Stop the worker and join its thread. True if it stopped within `timeout_s`."""
        started = time.perf_counter()
        try:
            return self._join(timeout_s)
        finally:
            self.shutdown_seconds = time.perf_counter() - started
            self.collector.stop()

    def _join(self, timeout_s: float) -> bool:
        if not self.thread.isRunning():
            return True
        self.worker.quit()
        self.thread.quit()  # ends the thread's event loop once run() has returned
        if self.thread.wait(int(timeout_s * 1000)):
            return True
        # Only possible while `import tensorflow` or a Trainer build is in progress (neither
        # can be interrupted); it checks the quit flag right after, so wait for that.
        return bool(self.thread.wait(30_000))
