"""Callbacks are the one seam between the trainer and its watchers: every event reaches every
callback, a hook can stop training (at a rollout boundary), and the CLI's watchers work."""

from __future__ import annotations

import numpy as np

from qmix import checkpoint
from qmix.callbacks import Callback, CallbackList, PeriodicSave
from qmix.config import make_config
from qmix.trainer import Trainer
from qmix.types import CURVES


class Recorder(Callback):
    def __init__(self) -> None:
        self.steps = self.episodes = self.rollouts = self.updates = 0
        self.evals: list[float] = []

    def on_step(self, trainer):
        self.steps += 1

    def on_episode_end(self, trainer, returns):
        self.episodes += len(returns)

    def on_rollout_end(self, trainer):
        self.rollouts += 1

    def on_update(self, trainer, metrics):
        assert set(metrics) >= {"loss", "q_tot", "grad_norm"}
        self.updates += 1

    def on_evaluate(self, trainer, mean_return):
        self.evals.append(mean_return)


def _two_step(**overrides) -> Trainer:
    return Trainer(make_config("two_step", eval_interval=200, **overrides))


def test_every_event_reaches_every_callback_of_a_list():
    a, b = Recorder(), Recorder()
    trainer = _two_step()
    trainer.add_callback(CallbackList([a, b]))
    trainer.train(1000)
    trainer.close()
    for rec in (a, b):
        assert rec.episodes == trainer.episodes
        assert rec.updates == trainer.updates > 0
        assert rec.rollouts * 8 == trainer.episodes  # 8 copies per rollout
        assert rec.steps == 2 * rec.rollouts  # two_step: two env steps per episode
        assert rec.evals == [v for _, v in trainer.history["eval_return"]]


def test_a_hook_returning_false_stops_training_at_the_end_of_a_rollout():
    class StopAfterUpdates(Callback):
        def on_update(self, trainer, metrics):
            return trainer.updates < 5

    trainer = Trainer(make_config("pursuit", n_envs=2, batch_size=4, learning_starts=4,
                                  env_steps_per_update=10, async_updates=False))
    trainer.train(10**6, callbacks=[StopAfterUpdates()])
    assert trainer.stop_requested and 5 <= trainer.updates < 40
    assert trainer._rollout is None  # stopped between rollouts: a save now resumes exactly
    # a callback given to one train() call watches that call only
    assert all(not isinstance(cb, StopAfterUpdates) for cb in trainer.callbacks.callbacks)


def test_until_solved_stops_when_a_confirmed_evaluation_solves():
    trainer = _two_step(algo="qmix", seed=0)
    trainer.train(4000, until_solved=True)
    assert trainer.solved and trainer.env_steps < 4000
    assert len(trainer.last_eval_returns) == trainer.config.solve_eval_episodes


def test_periodic_saves_through_a_callback(tmp_path):
    path = tmp_path / "run.h5"
    trainer = _two_step()
    trainer.train(480, callbacks=[PeriodicSave(str(path), every=160)])
    trainer.close()
    saved = checkpoint.read_checkpoint(path)
    assert 320 <= saved["counters"]["env_steps"] <= 480


def test_curve_names_are_the_history_names():
    trainer = _two_step()
    assert list(trainer.history) == [c.name for c in CURVES]
    trainer.train(400)
    for curve in CURVES:
        rows = np.asarray(trainer.history[curve.name])
        assert rows.size, curve.name
