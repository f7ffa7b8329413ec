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


def same(a, b) -> bool:
    """Equal values (arrays by value and dtype), recursively through dataclasses and dicts."""
    import dataclasses

    import numpy as np

    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    return a == b


def test_the_replay_is_what_the_window_showed_live(window):
    """Step an episode with N, keeping what the inspector showed at each step; the replay of
    that episode shows the very same snapshots (the Step key never shows a t = 0 frame: it
    starts the next episode and steps it)."""
    if window.replay.active:
        window.replay.leave()
    window.controller.step_episode()  # to the end of the rollout in flight
    wait_idle(window)
    shown = []
    while True:
        press(window, Qt.Key_N)
        wait_idle(window)
        shown.append(window.inspector.snapshot)
        if shown[-1].decision is None:
            break
    enter(window)
    episode = window.replay.episode  # the newest: the one just stepped
    assert episode.kind == "train" and episode.number == trainer(window).episodes
    assert [s.t for s in shown] == list(range(1, episode.length + 1))
    for snap in shown:
        window.replay.show_step(snap.t)
        assert same(window.inspector.snapshot, snap), f"t={snap.t}"
        assert window.inspector.shown["q_chosen"] == fmt(
            (snap.inspection or snap.last_inspection).q_tot_chosen)
