"""The replay scrubber (app/replay_bar.py) in the real window on the real Trainer: Ctrl+R
pauses and lists the kept episodes, `,` `.` Home End move the shown step, and the picture and
the inspector show exactly the recorded step (the one `inspect --episode N --json` prints);
any run control returns to the live frame."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import close_window, make_window, trainer, wait_idle, wait_until

from app.drawing import fmt
from qmix import cli
from qmix.config import make_config


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    config = make_config("two_step", n_envs=2, batch_size=4, learning_starts=4,
                         buffer_size=16, eval_episodes=2)
    window = make_window(tmp_path_factory.mktemp("replay"), config)
    wait_idle(window)
    for _ in range(3):
        window.controller.step_episode()
        wait_idle(window)
    window.controller.evaluate()
    wait_idle(window)
    yield window
    close_window(window)


def press(window, key, modifier=Qt.NoModifier):
    QTest.keyClick(window, key, modifier)


def enter(window):
    if not window.replay.active:
        press(window, Qt.Key_R, Qt.ControlModifier)
    wait_until(lambda: window.replay.active, 20, "replay to start")


def assert_shows(window, snap):
    """Picture and inspector are of `snap` (a terminal frame: the decision that ended it)."""
    assert window.view.frame is snap.frame
    assert window.inspector.snapshot is snap
    insp = snap.inspection if snap.decision is not None else snap.last_inspection
    assert window.inspector.shown["q_chosen"] == fmt(insp.q_tot_chosen)
    assert window.inspector.shown["q_greedy"] == fmt(insp.q_tot_greedy)
    assert window.inspector.shown["v"] == fmt(insp.v_s)
    assert f"t = {insp.t}" in window.inspector.decision_label.text()


def test_scrubbing_moves_the_shown_step_and_the_inspector_follows(window):
    kept = trainer(window).replays
    enter(window)
    box = window.replay.bar.episodes
    assert window.replay.bar.isVisible()
    assert [box.itemText(i) for i in range(box.count())] == [e.title for e in reversed(kept)]
    assert box.itemText(0).startswith("eval 0 · return")
    window.replay.select(box.count() - 1)  # the oldest: a training episode
    episode = window.replay.episode
    assert episode.kind == "train" and window.view.badge.startswith("REPLAY · TRAIN EP")
    assert window.replay.t == 0
    assert_shows(window, episode.steps[0])
    press(window, Qt.Key_Period)
    assert window.replay.t == 1 and window.replay.bar.slider.value() == 1
    assert_shows(window, episode.steps[1])
    press(window, Qt.Key_Comma)
    assert_shows(window, episode.steps[0])
    press(window, Qt.Key_End)
    assert window.replay.t == episode.length
    assert_shows(window, episode.steps[-1])
    press(window, Qt.Key_Period)  # past the end: stays
    assert window.replay.t == episode.length
    press(window, Qt.Key_Home)
    assert_shows(window, episode.steps[0])
    window.replay.bar.slider.setValue(1)  # dragging the slider
    assert_shows(window, episode.steps[1])


def test_the_shown_steps_are_what_inspect_episode_prints(window, tmp_path, capsys):
    enter(window)
    path = tmp_path / "run.h5"
    window.controller.save(str(path))
    wait_idle(window)
    box = window.replay.bar.episodes
    for index in (0, box.count() - 1):
        window.replay.select(index)
        n = box.count() - 1 - index  # the box lists the file's episodes newest first
        assert cli.main(["inspect", str(path), "--episode", str(n), "--json"]) == 0
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert len(lines) == window.replay.episode.length
        for line in lines:
            window.replay.show_step(line["t"])
            insp = window.inspector.snapshot.inspection
            dec = window.inspector.snapshot.decision
            assert (line["kind"], line["number"]) == (window.replay.episode.kind,
                                                      window.replay.episode.number)
            assert line["obs"] == dec.obs.tolist() and line["actions"] == dec.actions.tolist()
            assert (line["q_tot_chosen"], line["q_tot_greedy"], line["v_s"]) == \
                (insp.q_tot_chosen, insp.q_tot_greedy, insp.v_s)
            assert line["agent_qs"] == insp.agent_qs.tolist()
            assert line["credit"] == insp.credit.tolist()


def test_a_run_control_or_ctrl_r_returns_to_the_live_frame(window):
    enter(window)
    replayed = window.inspector.snapshot
    assert window.controller.worker.is_playing() is False
    press(window, Qt.Key_R, Qt.ControlModifier)
    assert not window.replay.active and not window.replay.bar.isVisible()
    assert window.inspector.snapshot is window.last_frame.snapshot is not replayed
    enter(window)
    steps = trainer(window).env_steps
    press(window, Qt.Key_N)  # Step: the run moves on, and the picture follows it again
    assert not window.replay.active
    wait_idle(window)
    assert trainer(window).env_steps > steps
    assert window.inspector.snapshot is window.last_frame.snapshot
    press(window, Qt.Key_Period)  # the step keys do nothing outside replay
    assert not window.replay.active
