"""What the app needs from the engine, and how it listens to it.

- `TrainerLike`: the part of `qmix.trainer.Trainer` the worker calls (a `typing.Protocol`:
  a test's stand-in must have all of it; nothing is probed with getattr).
- `CurveCollector`: the worker's `qmix.callbacks.Callback`. It takes the learning-curve
  points of `qmix.types.CURVES` from the hooks they are recorded at (episode ends, updates,
  evaluations, rollout ends) and hands them to the next frame; nothing diffs
  `trainer.history`.

No TensorFlow here: the Trainer is built by `default_trainer_factory`, on the worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from qmix.callbacks import Callback
from qmix.config import Config
from qmix.types import CURVES, Curve, Snapshot

Points = dict[str, list[tuple[int, float]]]  # curve name -> (env step, value) points


class TrainerLike(Protocol):
    """The trainer as the worker uses it (qmix/trainer.py documents each member)."""

    config: Config
    info: Any  # envs.EnvInfo: name, n_agents, action_names, solved_return, ...
    env_steps: int
    episodes: int
    history: Points

    @property
    def updates(self) -> int: ...

    def add_callback(self, callback: Callback) -> None: ...

    def train_iteration(self) -> bool: ...

    def env_step(self) -> bool: ...

    def run_episode(self) -> list[float]: ...

    def update(self) -> dict[str, float] | None: ...

    def evaluate(self, episodes: int | None = None,
                 watch: Callable[[Snapshot], None] | None = None,
                 confirm_solved: bool = False) -> float: ...

    def snapshot(self, inspect: bool = True) -> Snapshot: ...

    def updates_in_flight(self) -> bool: ...

    def finish_updates(self) -> None: ...

    def close(self) -> None: ...


TrainerFactory = Callable[[Config], TrainerLike]


def default_trainer_factory(config: Config) -> TrainerLike:
    # Imported here, on the worker thread, never at module top: this is the TensorFlow import.
    from qmix.trainer import Trainer

    return Trainer(config)


def _curve_values(curve: Curve, trainer: Any, event: Any) -> list[float]:
    """The values a curve gains from one event of its hook: every finished episode's return,
    the update's metric of the curve's name, the evaluation's mean return; a curve recorded
    at a rollout end (ε) is the trainer's own value of that name."""
    if curve.hook == "on_episode_end":
        return [float(r) for r in event]
    if curve.hook == "on_update":
        return [float(event[curve.name])]
    if curve.hook == "on_evaluate":
        return [float(event)]
    return [float(getattr(trainer, curve.name))]


class CurveCollector(Callback):
    """Curve points since the last `take()`, gathered on the trainer's thread (the worker's:
    the trainer calls its hooks there, also for updates that ran in the background)."""

    def __init__(self) -> None:
        self._by_hook: dict[str, tuple[Curve, ...]] = {}
        for curve in CURVES:
            self._by_hook[curve.hook] = self._by_hook.get(curve.hook, ()) + (curve,)
        self._points: Points = {}
        self.episodes_ended = 0  # episode ends seen since the collector was added

    def start(self, history: Points) -> None:
        """Begin a run: its history so far (a run opened from a file has one) is the first
        batch of points, then only what the hooks add."""
        self._points = {c.name: list(history.get(c.name, ())) for c in CURVES}
        self.episodes_ended = 0

    def take(self) -> Points:
        """The points gathered since the previous call (curves without new points left out)."""
        points = {name: pts for name, pts in self._points.items() if pts}
        self._points = {}
        return points

    def _record(self, hook: str, trainer: Any, event: Any = None) -> None:
        for curve in self._by_hook.get(hook, ()):
            values = _curve_values(curve, trainer, event)
            self._points.setdefault(curve.name, []).extend(
                (int(trainer.env_steps), v) for v in values)

    def on_episode_end(self, trainer: Any, returns: list[float]) -> None:
        self.episodes_ended += len(returns)
        self._record("on_episode_end", trainer, returns)

    def on_rollout_end(self, trainer: Any) -> None:
        self._record("on_rollout_end", trainer)

    def on_update(self, trainer: Any, metrics: dict[str, float]) -> None:
        self._record("on_update", trainer, metrics)

    def on_evaluate(self, trainer: Any, mean_return: float) -> None:
        self._record("on_evaluate", trainer, mean_return)


class StepWatch(Callback):
    """Calls `on_step` after every env step while one is set (the worker draws the
    step-episode command's slow motion with it); its return value goes to the trainer."""

    def __init__(self) -> None:
        self.on_step_fn: Callable[[], bool | None] | None = None

    def on_step(self, trainer: Any) -> bool | None:
        fn = self.on_step_fn
        return None if fn is None else fn()
