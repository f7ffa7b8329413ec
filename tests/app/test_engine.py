"""What the app needs from the engine (app/engine.py): the curve points of `CURVES` come from
the trainer's callbacks, exactly the points the trainer keeps in its history - no diffing."""

from __future__ import annotations

from typing import get_type_hints

from app.engine import CurveCollector, TrainerLike
from qmix.config import make_config
from qmix.types import CURVES


class Fake:
    env_steps = 40
    epsilon = 0.25


def test_each_curve_gains_points_at_its_hook():
    collector = CurveCollector()
    collector.start({"loss": [(1, 2.0)]})  # a run opened from a file brings its history
    t = Fake()
    collector.on_episode_end(t, [1.0, 3.0])
    collector.on_rollout_end(t)
    collector.on_update(t, {"loss": 0.5, "q_tot": 1.5, "grad_norm": 2.5, "td_abs": 0.1})
    collector.on_evaluate(t, 7.0)
    points = collector.take()
    assert set(points) == {c.name for c in CURVES}
    assert points["episode_return"] == [(40, 1.0), (40, 3.0)]
    assert points["epsilon"] == [(40, 0.25)]
    assert points["loss"] == [(1, 2.0), (40, 0.5)]
    assert points["q_tot"] == [(40, 1.5)] and points["grad_norm"] == [(40, 2.5)]
    assert points["eval_return"] == [(40, 7.0)]
    assert collector.episodes_ended == 2
    assert collector.take() == {}  # handed out once


def test_the_points_are_the_trainers_history():
    from qmix.trainer import Trainer

    trainer = Trainer(make_config("two_step", eval_interval=100))
    collector = CurveCollector()
    trainer.add_callback(collector)
    collector.start(trainer.history)
    got: dict[str, list] = {}
    for _ in range(3):
        trainer.train(trainer.env_steps + 160)
        for name, pts in collector.take().items():
            got.setdefault(name, []).extend(pts)
    trainer.close()  # takes in the last background updates: their points come too
    for name, pts in collector.take().items():
        got.setdefault(name, []).extend(pts)
    for curve in CURVES:
        assert got.get(curve.name, []) == [tuple(p) for p in trainer.history[curve.name]], \
            curve.name
        assert trainer.history[curve.name], curve.name


def test_the_protocol_is_what_the_trainer_offers():
    from qmix.trainer import Trainer

    members = [m for m in vars(TrainerLike) if not m.startswith("_")]
    members += list(get_type_hints(TrainerLike))
    for name in members:
        assert hasattr(Trainer, name) or name in get_type_hints(TrainerLike), name
    for name in ("train_iteration", "env_step", "run_episode", "update", "evaluate",
                 "snapshot", "updates_in_flight", "finish_updates", "close", "add_callback"):
        assert callable(getattr(Trainer, name)), name
