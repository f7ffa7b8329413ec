"""Stand-ins for the GUI tests that need no TensorFlow: a trainer with the `TrainerLike`
protocol (app/engine.py) in plain Python, and GUI-thread slots that record what a worker
sends."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from studio_helpers import spin, wait_until

from app.commands import Frame
from app.worker import Phase
from qmix.callbacks import CallbackList
from qmix.types import CURVES, Snapshot


class FakeInfo:
    name = "fake"
    n_agents = 2
    action_names = ("a", "b")
    solved_return = None
    episode_limit = 3

class FakeTrainer:
    """The TrainerLike protocol (app/engine.py) in plain Python: an episode is 3 env steps,
    a rollout ends with one update; updates raise once `fail_after` is reached."""

    def __init__(self, config, fail_after: int | None = None) -> None:
        self.config = config
        self.info = FakeInfo()
        self.env_steps = self.episodes = self.updates = 0
        self.t = 0
        self.history = {c.name: [] for c in CURVES}
        self.callbacks = CallbackList()
        self.fail_after = fail_after
        self.closed = False

    def add_callback(self, callback) -> None:
        self.callbacks.append(callback)

    def env_step(self) -> bool:
        self.env_steps += 1
        self.t += 1
        self.callbacks.on_step(self)
        if self.t < 3:
            return False
        self.t = 0
        self.episodes += 1
        self.callbacks.on_episode_end(self, [float(self.episodes)])
        self.callbacks.on_rollout_end(self)
        return True

    def train_iteration(self) -> bool:
        ended = self.env_step()
        if ended:
            self.update()
        return ended

    def run_episode(self) -> list[float]:
        while not self.env_step():
            pass
        return [float(self.episodes)]

    def update(self):
        if self.fail_after is not None and self.updates >= self.fail_after:
            raise RuntimeError("injected")
        self.updates += 1
        metrics = {"loss": 1.0 / self.updates, "q_tot": 0.5, "grad_norm": 2.0, "td_abs": 0.1}
        self.callbacks.on_update(self, metrics)
        return metrics

    def evaluate(self, episodes=None, watch=None, confirm_solved=False) -> float:
        self.callbacks.on_evaluate(self, 1.5)
        return 1.5

    def snapshot(self, inspect: bool = True) -> Snapshot:
        return Snapshot(frame={"scenario": "fake", "t": self.t}, t=self.t, episode_return=0.0,
                        decision=None, inspection=None, true_joint_values=None,
                        env_steps=self.env_steps, episodes=self.episodes,
                        updates=self.updates, epsilon=0.5)

    def updates_in_flight(self) -> bool:
        return False

    def finish_updates(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    @property
    def epsilon(self) -> float:
        return 0.5

class Sink(QObject):
    """GUI-thread slots that keep what the worker sends."""

    def __init__(self, worker) -> None:
        super().__init__()
        self.frames: list[Frame] = []
        self.phases: list[Phase] = []
        self.notices: list[str] = []
        self.failures: list[str] = []
        self.worker = worker
        worker.frame_ready.connect(self.on_frame)
        worker.phase_changed.connect(self.on_phase)
        worker.notice.connect(self.on_notice)
        worker.training_failed.connect(self.on_failed)

    @Slot(object)
    def on_frame(self, frame) -> None:
        self.frames.append(frame)
        self.worker.frame_consumed()

    @Slot(object, str)
    def on_phase(self, phase, detail) -> None:
        self.phases.append(phase)

    @Slot(str)
    def on_notice(self, text) -> None:
        self.notices.append(text)

    @Slot(str)
    def on_failed(self, text) -> None:
        self.failures.append(text)

def idle(controller) -> None:
    wait_until(lambda: controller.worker.is_idle()
               and controller.worker.phase in (Phase.PAUSED, Phase.ERROR), 20, "idle")
    spin(0.05)
