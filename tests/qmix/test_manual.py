"""Manual control (qmix/manual.py, Trainer.take_over / human_act): the person's action is
taken, checked against what the agent may do, inspected as the joint action actually taken,
and the person's episodes stay out of the replay buffer unless asked for."""

from __future__ import annotations

import numpy as np
import pytest

from qmix.config import make_config
from qmix.manual import HumanActionError, action_for_key, check_action, idle_action
from qmix.trainer import Trainer


def pursuit(**kw) -> Trainer:
    return Trainer(make_config("pursuit", n_envs=3, seed=1, **kw))


def play_rollout(trainer: Trainer, act: bool = True) -> list[int]:
    """Step until the rollout ends, the person taking the last available action at every
    step of copy 0 (`act` False: pressing nothing); the actions taken."""
    taken = []
    while True:
        dec = trainer.pending_decision()
        if act and dec is not None and trainer.human.agent is not None:
            action = int(np.flatnonzero(dec.avail_actions[trainer.human.agent])[-1])
            trainer.human_act(action)
            taken.append(action)
        if trainer.env_step():
            return taken


def test_keys_and_idle_action_follow_the_scenario_names():
    names = ("stay", "up", "down", "left", "right", "catch")
    assert action_for_key("up", names) == 1 and action_for_key("Right", names) == 4
    assert action_for_key("6", names) == 5 and action_for_key("7", names) is None
    assert action_for_key("up", ("action 0", "action 1")) is None
    avail = np.ones(6, bool)
    assert idle_action(names, avail, 3) == 0
    assert idle_action(("action 0", "action 1"), np.ones(2, bool), 1) == 1  # no stay: policy
    with pytest.raises(HumanActionError, match="cannot take 'up' now"):
        check_action(1, 2, np.array([1, 0, 1, 1, 1, 1], bool), names)
    with pytest.raises(HumanActionError, match="has no action 9"):
        check_action(9, 0, avail, names)


def test_the_persons_episodes_stay_out_of_the_buffer_by_default():
    trainer = pursuit()
    trainer.take_over(1)
    play_rollout(trainer)
    assert trainer.buffer.size == 2  # copies 1 and 2 only
    assert trainer.human.episodes_kept_out == 1
    kept = trainer.buffer.data
    filled = kept["filled"][:2].sum(1)
    assert trainer.env_steps > int(filled.sum())  # copy 0's steps counted, not stored
    trainer.take_over(None)
    play_rollout(trainer, act=False)
    assert trainer.buffer.size == 5  # released: the whole rollout goes in again


def test_the_toggle_puts_them_in_and_they_hold_the_persons_actions():
    trainer = pursuit()
    trainer.take_over(0)
    trainer.set_human_options(to_buffer=True)
    taken = play_rollout(trainer)
    assert trainer.buffer.size == 3 and trainer.human.episodes_kept_in == 1
    d = trainer.buffer.data
    steps = int(d["filled"][0].sum())
    assert steps == len(taken) > 0 and list(d["actions"][0, :steps, 0]) == taken
    assert set(taken) != {0}  # not only "stay": the person's own moves


def test_the_inspection_is_of_the_joint_action_taken_with_the_persons_action():
    trainer = pursuit()
    trainer.set_human_options(others_greedy=True)
    trainer.take_over(2)
    before = trainer.snapshot()
    greedy = before.decision.greedy_actions
    # the person picks an action the agent would not: one of the available non-greedy ones
    avail = before.decision.avail_actions[2]
    mine = int(next(a for a in np.flatnonzero(avail) if a != greedy[2]))
    trainer.human_act(mine)
    snap = trainer.snapshot()
    joint = greedy.copy()
    joint[2] = mine
    assert list(snap.decision.actions) == list(joint)  # others greedy, the person's action
    assert snap.decision.greedy_actions[2] == greedy[2]  # what it would have chosen
    insp = snap.inspection
    assert list(insp.chosen_actions) == list(joint)
    # Q_tot of that joint action: the compiled inspection through the online networks (the
    # same weights as the acting ones before any update) agrees
    ro = trainer._rollout
    online = trainer.inspect(ro.ts.obs[0], ro.ts.state[0], ro.ts.avail_actions[0],
                             ro.hidden[0], ro.last_actions[0], joint)
    assert insp.q_tot_chosen == pytest.approx(online.q_tot_chosen, rel=1e-4, abs=1e-5)
    assert insp.q_tot_greedy == pytest.approx(online.q_tot_greedy, rel=1e-4, abs=1e-5)
    trainer.env_step()
    step = trainer.snapshot().human_step
    assert step is not None and list(step.chosen_actions) == list(joint)
    assert step.q_tot_chosen == pytest.approx(insp.q_tot_chosen)


def test_an_unavailable_action_is_refused_and_nothing_changes():
    trainer = pursuit()
    trainer.take_over(0)
    with pytest.raises(ValueError, match="no action 17"):
        trainer.human_act(17)
    with pytest.raises(ValueError, match="there is no agent 9"):
        trainer.take_over(9)
    assert trainer.env_steps == 0


def test_without_a_key_the_agent_stays_and_the_others_keep_their_policy():
    a, b = pursuit(), pursuit()  # same seed: b is the run without a person
    a.take_over(1)
    for _ in range(3):
        pa, pb = a.pending_decision(), b.pending_decision()
        assert pa.actions[1] == 0  # "stay": nobody pressed a key
        assert np.array_equal(np.delete(pa.actions, 1), np.delete(pb.actions, 1))
        a.env_step()
        b.env_step()
    # the other copies are the policy's alone, exactly as in the run without a person
    ra, rb = a._rollout, b._rollout
    assert np.array_equal(ra.data["actions"][1:], rb.data["actions"][1:])
