"""The inspector shows exactly the engine's inspection of the step on screen."""

from __future__ import annotations

import numpy as np
from studio_helpers import trainer, wait_idle

from app.inspector import fmt


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
