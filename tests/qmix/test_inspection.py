"""The NumPy inspection (qmix/inspection.py) of the decision on screen: the same numbers as the
compiled `Learner.inspect` to float32 rounding when the acting and the online weights are
the same, the acting weights' numbers when a background round has changed the online ones,
and a terminal frame's decision is the one that ended the episode."""

from __future__ import annotations

import time

import numpy as np
import pytest

from qmix.config import make_config
from qmix.trainer import Trainer

FIELDS = ("agent_qs", "credit", "q_tot_chosen", "q_tot_greedy", "v_s")


def compiled(trainer: Trainer):
    """`Learner.inspect` of the pending decision of copy 0, through the online networks."""
    ro = trainer._rollout
    dec = trainer.pending_decision()
    return dec, trainer.inspect(dec.obs, dec.state, dec.avail_actions, ro.hidden[0],
                                ro.last_actions[0], dec.actions)


def trained(scenario: str, algo: str, **kw) -> Trainer:
    trainer = Trainer(make_config(scenario, algo=algo, n_envs=2, batch_size=4,
                                  learning_starts=4, buffer_size=16, async_updates=False,
                                  **kw))
    for _ in range(3):
        trainer.run_episode()
        trainer.update()
    trainer.env_step()
    return trainer


@pytest.mark.parametrize("scenario,algo", [("pursuit", "qmix"), ("two_step", "qmix"),
                                           ("pursuit", "vdn"), ("two_step", "iql")])
def test_numpy_inspection_equals_the_compiled_one_to_float32_rounding(scenario, algo):
    trainer = trained(scenario, algo)
    while trainer.pending_decision() is None:
        trainer.env_step()
    dec, ref = compiled(trainer)
    ins = trainer.snapshot().inspection
    assert ins.weights == "acting" and ins.t == dec.t == trainer._rollout.t
    assert ins.env_copy == 0 and ins.weights_updates == trainer.updates >= 2
    for field in FIELDS:
        np.testing.assert_allclose(getattr(ins, field), getattr(ref, field), rtol=2e-5,
                                   atol=2e-6, err_msg=field)
    np.testing.assert_array_equal(ins.greedy_actions, ref.greedy_actions)
    np.testing.assert_array_equal(ins.chosen_actions, ref.chosen_actions)
    if ref.q_tot_table is not None:
        np.testing.assert_allclose(ins.q_tot_table, ref.q_tot_table, rtol=2e-5, atol=2e-6)
    else:
        assert ins.q_tot_table is None


def test_the_inspection_shows_the_weights_that_decided_not_those_updated_since():
    trainer = trained("two_step", "qmix")
    while trainer.pending_decision() is None:
        trainer.env_step()
    before = trainer.snapshot().inspection
    n = trainer.updates
    trainer.update()  # the online (and future acting) weights change; this decision stays
    after = trainer.snapshot()
    assert after.updates == n + 1 and after.decision.weights_updates == n
    assert after.inspection.weights_updates == n
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(after.inspection, field), getattr(before, field))
    _, online = compiled(trainer)
    assert not np.allclose(online.agent_qs, after.inspection.agent_qs, rtol=1e-7, atol=0)


def test_a_terminal_frame_carries_the_decision_that_ended_the_episode():
    trainer = Trainer(make_config("two_step", n_envs=1))
    first = trainer.snapshot()
    assert first.decision.t == 0 and first.last_decision is None
    trainer.env_step()
    second = trainer.snapshot()
    assert trainer.env_step()  # two_step ends at t = 2: the rollout is over
    end = trainer.snapshot()
    assert end.decision is None and end.inspection is None and end.copies_running == 0
    assert end.last_decision.t == 1 == end.frame["t"] - 1
    np.testing.assert_array_equal(end.last_decision.actions, second.decision.actions)
    for field in FIELDS:
        np.testing.assert_array_equal(getattr(end.last_inspection, field),
                                      getattr(second.inspection, field))


def test_cost_per_frame_numpy_vs_compiled(capsys):
    """The measurement behind inspecting every frame (printed; bounds far from the figures)."""
    trainer = trained("pursuit", "qmix")
    while trainer.pending_decision() is None:
        trainer.env_step()
    compiled(trainer)  # trace once
    n = 200
    start = time.perf_counter()
    for _ in range(n):
        trainer.snapshot(inspect=True)
    numpy_s = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for _ in range(n):
        trainer.snapshot(inspect=False)
    bare_s = (time.perf_counter() - start) / n
    start = time.perf_counter()
    for _ in range(n):
        compiled(trainer)
    compiled_s = (time.perf_counter() - start) / n
    with capsys.disabled():
        print(f"\nsnapshot {bare_s * 1e6:.0f} us; + NumPy inspection "
              f"{(numpy_s - bare_s) * 1e6:.0f} us; compiled inspection {compiled_s * 1e6:.0f} us")
    assert numpy_s - bare_s < compiled_s
