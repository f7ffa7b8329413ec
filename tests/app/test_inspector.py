"""The inspector shows exactly the engine's inspection of the step on screen: every frame the
window receives, at full speed too, holds the picture and the inspection of the same env
copy, step and decision, and the inspector renders that decision (never another step's
numbers); after U, Open and N it shows the current decision or says there is none yet."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QObject, Slot
from studio_helpers import close_window, make_window, spin, trainer, wait_idle, wait_until

from app.inspector import fmt
from app.pacing import SPEEDS
from qmix.config import make_config


def step_to_a_decision(window):
    """Step env until copy 0 has a decision pending (two_step: t = 0 or 1)."""
    for _ in range(4):
        window.controller.step_env()
        wait_idle(window)
        if window.last_frame.snapshot.decision is not None:
            return window.last_frame.snapshot
    raise AssertionError("no decision on screen after 4 steps")


def test_inspector_numbers_equal_the_engines_inspection(paused):
    shown = step_to_a_decision(paused)
    # The worker is idle: ask the engine directly for the inspection of the step on screen.
    engine = trainer(paused).snapshot(inspect=True).inspection
    insp = shown.inspection
    for field in ("agent_qs", "credit", "q_tot_table"):
        np.testing.assert_allclose(getattr(insp, field), getattr(engine, field), rtol=1e-5,
                                   atol=1e-6)
    for field in ("q_tot_chosen", "q_tot_greedy", "v_s"):
        assert np.isclose(getattr(insp, field), getattr(engine, field), rtol=1e-5, atol=1e-6)
    panel = paused.inspector
    assert panel.shown["q_chosen"] == fmt(engine.q_tot_chosen)
    assert panel.shown["q_greedy"] == fmt(engine.q_tot_greedy)
    assert panel.shown["v"] == fmt(engine.v_s)
    assert panel.tile_q_chosen.value.text() == fmt(engine.q_tot_chosen)
    assert panel.tile_v.value.text() == fmt(engine.v_s)
    assert panel.shown["eps"] == fmt(shown.decision.epsilon)
    bars = panel.bars
    np.testing.assert_allclose(bars.agent_qs, engine.agent_qs, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bars.chosen, engine.chosen_actions)
    np.testing.assert_array_equal(bars.greedy, engine.greedy_actions)
    np.testing.assert_array_equal(bars.avail, engine.avail_actions)
    np.testing.assert_allclose(bars.credit, engine.credit, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bars.explored, shown.decision.explored)


def test_two_agent_table_shows_learned_q_tot_beside_the_true_payoff(paused):
    shown = step_to_a_decision(paused)
    table = paused.inspector.table
    assert table.isVisible()
    engine = trainer(paused).snapshot(inspect=True)
    np.testing.assert_allclose(table.learned, engine.inspection.q_tot_table, rtol=1e-5)
    np.testing.assert_array_equal(table.truth, engine.true_joint_values)
    assert table.chosen == tuple(int(a) for a in engine.inspection.chosen_actions)
    assert table.greedy == tuple(int(a) for a in engine.inspection.greedy_actions)
    assert table.state_name == shown.frame["state_name"]
    image = table.grab().toImage()
    assert image.width() > 100 and image.height() > 50


def test_terminal_frame_keeps_the_last_decision_on_screen(paused):
    shown = step_to_a_decision(paused)
    while paused.last_frame.snapshot.decision is not None:
        paused.controller.step_env()
        wait_idle(paused)
    panel = paused.inspector
    assert "Episode over" in panel.decision_label.text()
    assert panel.snapshot_with_decision is not None
    assert panel.shown["q_chosen"] != "–"
    assert panel.bars.agent_qs is not None
    del shown


def test_greedy_evaluation_frames_are_marked(paused):
    seen = []
    worker = paused.controller.worker
    from PySide6.QtCore import Qt

    worker.frame_ready.connect(lambda f: seen.append(f.snapshot), Qt.DirectConnection)
    try:
        paused.controller.evaluate()
        wait_idle(paused, timeout=30)
    finally:
        worker.frame_ready.disconnect()
        worker.frame_ready.connect(paused.on_frame)
    evaluating = [s for s in seen if s is not None and s.evaluating]
    assert evaluating
    with_decision = [s for s in evaluating if s.decision is not None]
    assert with_decision and all(s.decision.epsilon == 0.0 for s in with_decision)
    assert all(np.array_equal(s.decision.actions, s.decision.greedy_actions)
               for s in with_decision)


class FrameChecker(QObject):
    """Connected to the worker's frames after the window: checks, on the GUI thread right
    after `MainWindow.on_frame` drew each frame, that the picture and the inspector show the
    same decision and that the inspector's bars, badges and header say what it is."""

    def __init__(self, window) -> None:
        super().__init__()
        self.window = window
        self.with_decision = 0
        self.terminal = 0
        self.explored = 0  # frames in which some agent explored
        self.differs = 0  # frames in which some agent's chosen action is not its greedy one
        self.failures: list[str] = []
        window.controller.worker.frame_ready.connect(self.check)

    def detach(self) -> None:
        self.window.controller.worker.frame_ready.disconnect(self.check)

    @Slot(object)
    def check(self, frame) -> None:
        try:
            self._check(frame)
        except AssertionError as exc:  # collected: an exception in a slot would be lost
            self.failures.append(f"frame at env step {frame.env_steps}: {exc}")

    def _check(self, frame) -> None:
        w, snap = self.window, frame.snapshot
        panel, bars = w.inspector, w.inspector.bars
        assert w.last_frame is frame and w.view.frame is snap.frame, "picture of another frame"
        assert panel.snapshot is snap, "inspector of another frame"
        counts = w.status.labels  # the status bar's counters are this frame's too
        assert counts["updates"].text() == f"updates {frame.updates:,}", counts["updates"].text()
        assert counts["env_steps"].text() == f"env steps {frame.env_steps:,}"
        text = panel.decision_label.text()
        t = snap.frame["t"]
        dec, insp = snap.decision, snap.inspection
        if dec is None:
            self.terminal += 1
            assert snap.inspection is None
            last = snap.last_decision
            if snap.frame.get("terminated") or snap.frame.get("truncated"):
                assert text.startswith(f"Episode over at t = {t} ·"), text
            else:
                assert text.startswith("No decision yet"), text
            if last is None:
                assert bars.agent_qs is None and panel.shown["q_chosen"] == "–"
                return
            assert last.t == snap.last_inspection.t == t - 1, (last.t, t)
            assert f"the decision at t = {last.t} that ended it" in text, text
            dec, insp = last, snap.last_inspection
        else:
            self.with_decision += 1
            assert insp is not None, "a decision without its inspection"
            assert insp.t == dec.t == t == snap.t, (insp.t, dec.t, t)
            assert insp.env_copy == dec.env_copy == 0
            assert insp.weights == "acting" and insp.weights_updates == dec.weights_updates
            assert dec.weights_updates <= frame.updates, (dec.weights_updates, frame.updates)
            assert text.startswith(f"Step t = {t} ·"), text
            explored = [str(i) for i in np.flatnonzero(dec.explored)]
            if explored:
                self.explored += 1
                assert ", ".join(explored) + " explored (random action)" in text, text
            else:
                assert "every agent acts greedily" in text, text
        # the bars are this decision's: chosen (filled), greedy (star), explored (badge)
        np.testing.assert_array_equal(bars.chosen, dec.actions)
        np.testing.assert_array_equal(bars.greedy, dec.greedy_actions)
        np.testing.assert_array_equal(bars.explored, dec.explored)
        np.testing.assert_array_equal(insp.chosen_actions, dec.actions)
        np.testing.assert_array_equal(insp.greedy_actions, dec.greedy_actions)
        np.testing.assert_allclose(bars.agent_qs, dec.agent_qs, rtol=1e-6, atol=1e-7)
        differs = dec.actions != dec.greedy_actions
        self.differs += bool(differs.any())
        assert not (differs & ~dec.explored).any(), "chosen is not greedy, yet not explored"
        assert panel.shown["q_chosen"] == fmt(insp.q_tot_chosen)
        assert panel.shown["v"] == fmt(insp.v_s)
        if insp.q_tot_table is not None:
            assert panel.table.state_name == snap.frame["state_name"]
            assert panel.table.chosen == tuple(int(a) for a in dec.actions)


def check_frames_at_full_speed(window, seconds: float) -> FrameChecker:
    window.set_speed_index(len(SPEEDS) - 1)
    wait_until(lambda: window.controller.worker.steps_per_s is None, 5, "full speed")
    checker = FrameChecker(window)
    try:
        steps = trainer(window).env_steps
        window.play()
        spin(seconds)
        # a budget of steps and frames, not of wall-clock time: on a busy machine fewer of both
        # fit into `seconds`, so keep playing (and checking every frame) until there were 50
        # env steps and 10 painted decisions, some explored and some not greedy
        wait_until(lambda: (trainer(window).env_steps > steps + 50
                            and checker.with_decision > 10 and checker.explored > 0
                            and checker.differs > 0), 300,
                   "50 env steps and 10 painted decisions, some explored")
        window.pause()
        wait_idle(window)
        spin(0.1)
    finally:
        checker.detach()
    assert not checker.failures, "\n".join(checker.failures[:5])
    assert trainer(window).env_steps > steps + 50
    return checker


def test_every_frame_at_full_speed_shows_its_own_decisions_inspection(paused):
    index = paused.speed_control.slider.value()
    try:
        checker = check_frames_at_full_speed(paused, 4.0)
    finally:
        paused.set_speed_index(index)
    assert checker.with_decision > 10  # up to 60 a second; fewer on a loaded machine
    assert checker.explored > 0 and checker.differs > 0


@pytest.fixture(scope="module")
def pursuit(qapp, tmp_path_factory):
    """A small pursuit run with several env copies whose episodes end at different steps."""
    config = make_config("pursuit", n_envs=4, hidden_dim=16, batch_size=4,
                         learning_starts=4, buffer_size=64, mixing_embed_dim=8,
                         hypernet_embed=16, scenario_kwargs={"grid_size": 4, "n_prey": 1,
                                                            "catch_agents_required": 1})
    window = make_window(tmp_path_factory.mktemp("pursuit"), config)
    yield window
    close_window(window)


def test_pursuit_at_full_speed_every_frame_is_consistent(pursuit):
    checker = check_frames_at_full_speed(pursuit, 4.0)
    assert checker.with_decision > 10 and checker.explored > 0 and checker.differs > 0


def test_step_while_other_copies_run_says_copy_0_waits(pursuit):
    pursuit.pause()
    wait_idle(pursuit)
    t = trainer(pursuit)
    for _ in range(300):
        pursuit.controller.step_env()
        wait_idle(pursuit)
        snap = pursuit.last_frame.snapshot
        if snap.decision is None and snap.copies_running > 0:
            break
    else:
        raise AssertionError("copy 0 never finished before the other copies")
    text = pursuit.inspector.decision_label.text()
    waiting = snap.copies_running
    assert text.startswith(f"Episode over at t = {snap.frame['t']} ·"), text
    assert f"waiting for {waiting} other env cop" in text, text
    assert "OTHER COP" in pursuit.view.badge
    assert snap.last_decision.t == snap.frame["t"] - 1
    np.testing.assert_array_equal(pursuit.inspector.bars.chosen, snap.last_decision.actions)
    steps = t.env_steps
    pursuit.controller.step_env()  # N steps the other copies: the counters move, ...
    wait_idle(pursuit)
    assert t.env_steps > steps and pursuit.last_frame.env_steps == t.env_steps
    snap = pursuit.last_frame.snapshot
    assert pursuit.inspector.snapshot is snap  # ... and the inspector follows every step
    if snap.decision is None and snap.copies_running:
        assert f"waiting for {snap.copies_running} other env cop" in \
            pursuit.inspector.decision_label.text()


def step_to_episode_end(window):
    for _ in range(30):
        if window.last_frame.snapshot.decision is None:
            return window.last_frame.snapshot
        window.controller.step_env()
        wait_idle(window)
    raise AssertionError("no episode end")


def test_update_at_an_episode_end_says_whose_weights_are_shown(paused):
    t = trainer(paused)
    while not t.ready_to_update():
        paused.controller.step_episode()
        wait_idle(paused)
    step_to_a_decision(paused)  # made with the weights of every update taken in so far
    end = step_to_episode_end(paused)
    before = t.updates
    assert end.last_decision.weights_updates == before
    paused.controller.step_update()
    wait_idle(paused)
    assert t.updates == before + 1
    snap = paused.last_frame.snapshot
    assert snap.updates == before + 1 and paused.inspector.snapshot is snap
    text = paused.inspector.decision_label.text()
    assert "no decision yet: the next step starts the next episode" in text, text
    assert f"acting weights, update {before} (1 update since" in text, text
    paused.controller.step_env()  # the next decision is made with the updated weights
    wait_idle(paused)
    snap = paused.last_frame.snapshot
    assert snap.decision is not None and snap.decision.weights_updates == before + 1
    text = paused.inspector.decision_label.text()
    assert text.startswith(f"Step t = {snap.frame['t']} ·"), text
    assert text.endswith(f"acting weights, update {before + 1}"), text


def test_opening_a_run_leaves_nothing_of_the_previous_run_on_screen(paused, tmp_path):
    end = step_to_episode_end(paused)  # the inspector shows the last decision's numbers
    assert paused.inspector.bars.agent_qs is not None and end.last_decision is not None
    path = str(tmp_path / "run.h5")
    paused.controller.save(path)
    wait_idle(paused)
    old = trainer(paused)
    paused.controller.load(path)
    wait_until(lambda: trainer(paused) is not old, 60, "the opened run")
    wait_idle(paused)
    snap = paused.last_frame.snapshot
    assert snap.decision is None and snap.last_decision is None
    panel = paused.inspector
    assert panel.snapshot is snap
    assert panel.decision_label.text().startswith("No decision yet"), \
        panel.decision_label.text()
    assert panel.bars.agent_qs is None and panel.shown["q_chosen"] == "–"
    assert not panel.table.isVisible()
    paused.controller.step_env()  # the first decision of the opened run
    wait_idle(paused)
    snap = paused.last_frame.snapshot
    assert snap.decision is not None and panel.snapshot_with_decision is snap
    assert panel.decision_label.text().startswith(f"Step t = {snap.frame['t']} ·")


def test_reset_shows_the_new_runs_first_decision(paused):
    old = trainer(paused)
    paused.reset_run()
    wait_until(lambda: trainer(paused) is not old and paused.controller.engine_ready, 60,
               "the new run")
    wait_idle(paused)
    snap = paused.last_frame.snapshot
    assert snap.decision is not None and snap.decision.t == 0 and snap.updates == 0
    assert paused.inspector.snapshot is snap
    assert paused.inspector.decision_label.text().startswith("Step t = 0 ·")
    assert paused.inspector.decision_label.text().endswith("acting weights, update 0")
