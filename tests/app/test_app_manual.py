"""Manual control in the real window (app/manual.py): T takes over the selected agent, the
arrow keys and 1-9 play it (one env step per key while paused), the banner says so, the
Right arrow moves instead of stepping, G / B set the options, T releases. On pursuit with
the real Trainer; every wait is for the worker, not for time."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import close_window, make_window, trainer, wait_idle

from qmix.config import make_config


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    w = make_window(tmp_path_factory.mktemp("manual"),
                    make_config("pursuit", n_envs=2, seed=2))
    wait_idle(w)
    yield w
    close_window(w)


def press(window, key):
    QTest.keyClick(window, key)
    wait_idle(window)


def test_keys_take_over_play_and_release_an_agent(window):
    t = trainer(window)
    press(window, Qt.Key_A)
    press(window, Qt.Key_A)  # agent 1 selected
    assert window.selected_agent == 1
    press(window, Qt.Key_T)
    assert t.human.agent == 1 and window.manual.agent == 1
    assert window.manual.banner.isVisible()
    assert "You control agent 1" in window.manual.banner.text()
    assert "kept out of the replay buffer" in window.manual.banner.text()
    steps = t.env_steps
    dec = window.last_frame.snapshot.decision
    avail = dec.avail_actions[1]
    key, action = next((k, a) for k, a in ((Qt.Key_Right, 4), (Qt.Key_Left, 3),
                                           (Qt.Key_Up, 1), (Qt.Key_Down, 2)) if avail[a])
    press(window, key)  # paused: one env step with agent 1 taking that move
    assert t.env_steps == steps + t.config.n_envs  # Right is a move now, exactly one step
    assert t._rollout is None or t._rollout.human or t.human.episodes_kept_out
    step = window.last_frame.snapshot.human_step
    assert step is not None and int(step.chosen_actions[1]) == action
    assert "your last step: <b>" + t.info.action_names[action] in window.manual.banner.text()
    press(window, Qt.Key_1)  # action 1 = "stay"
    assert int(window.last_frame.snapshot.human_step.chosen_actions[1]) == 0
    press(window, Qt.Key_B)
    assert t.human.to_buffer and "go into the replay buffer" in window.manual.banner.text()
    press(window, Qt.Key_B)
    assert not t.human.to_buffer
    press(window, Qt.Key_G)
    assert t.human.others_greedy
    dec = window.last_frame.snapshot.decision
    others = [i for i in range(t.info.n_agents) if i != 1]
    assert np.array_equal(dec.actions[others], dec.greedy_actions[others])
    press(window, Qt.Key_G)
    press(window, Qt.Key_T)  # released
    assert t.human.agent is None and not window.manual.banner.isVisible()
    steps = t.env_steps
    press(window, Qt.Key_Right)  # Step again
    assert t.env_steps == steps + t.config.n_envs


def test_an_unavailable_action_is_one_line_in_the_status_bar(window):
    t = trainer(window)
    press(window, Qt.Key_T)
    assert t.human.agent is not None
    agent = t.human.agent
    dec = window.last_frame.snapshot.decision
    steps = t.env_steps
    # an action the agent does not have (the engine's check, as for a wall or the edge)
    from app.commands import Command

    window.controller.worker.request(Command.HUMAN_ACTION, 17)
    wait_idle(window)
    assert f"agent {agent} has no action 17" in window.status.left_text()
    assert t.env_steps == steps
    press(window, Qt.Key_9)  # pursuit has 6 actions
    assert "has no action for 9" in window.status.left_text()
    assert t.env_steps == steps
    press(window, Qt.Key_T)
    assert t.human.agent is None
