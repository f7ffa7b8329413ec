"""What-if drag in the real window (app/whatif.py): drag an agent to a free cell and the
picture and inspector show the moved state; a refused drop is one line and snaps back;
Ctrl+Z undoes, Esc leaves, a step leaves first; Shift+arrow moves the selected agent from
the keyboard. Afterwards the trainer is bit-for-bit what it was. Pursuit, real Trainer."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from studio_helpers import cell_point, close_window, make_window, trainer, wait_idle

from qmix.config import make_config


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    w = make_window(tmp_path_factory.mktemp("whatif"), make_config("pursuit", n_envs=2, seed=4))
    wait_idle(w)
    QTest.keyClick(w, Qt.Key_N)  # a step into the episode: a hidden state, last actions
    wait_idle(w)
    yield w
    close_window(w)


def fingerprint(t) -> dict:
    """Everything of the run a what-if could touch, copied."""
    ro = t._rollout
    out = {f"env{c}/{k}": np.array(v, copy=True) for c in range(t.config.n_envs)
           for k, v in t.env.copy_state(c).items() if v is not None}
    out.update(rng=repr(t.rng.bit_generator.state), eval_rng=repr(t.eval_rng.bit_generator.state),
               env_steps=t.env_steps, episodes=t.episodes, updates=t.updates,
               buffer=t.buffer.size, hidden=ro.hidden.copy(), obs=ro.data["obs"].copy(),
               actions=ro.pending["actions"].copy(), q=ro.pending["q"].copy(),
               norm=repr(t.obs_norm.state_dict()), actor={k: v.copy() for k, v in t.actor.w.items()})
    return out


def same(a: dict, b: dict) -> bool:
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, dict):
            if not all(np.array_equal(x[k], y[k]) for k in x):
                return False
        elif not np.array_equal(x, y):
            return False
    return a.keys() == b.keys()


def pixel(window, cell) -> QPoint:
    """The widget position of the centre of `cell` in the picture."""
    return cell_point(window, cell)


def drag(window, start, end) -> None:
    view = window.view
    QTest.mousePress(view, Qt.LeftButton, Qt.NoModifier, pixel(window, start))
    QTest.mouseMove(view, pixel(window, end))
    QTest.mouseRelease(view, Qt.LeftButton, Qt.NoModifier, pixel(window, end))
    wait_idle(window)


def cells(frame, key="agents"):
    return [tuple(int(v) for v in rc) for rc in np.asarray(frame[key]).reshape(-1, 2)]


def test_drag_undo_leave_and_the_run_is_untouched(window):
    t = trainer(window)
    before = fingerprint(t)
    frame = window.last_frame.snapshot.frame
    start = cells(frame)[0]
    free = [tuple(int(v) for v in rc) for rc in t.env.standable_cells(0, "agent", 0)
            if tuple(rc) != start]
    target = free[-1]
    q_before = window.last_frame.snapshot.inspection.q_tot_greedy
    drag(window, start, target)
    snap = window.last_frame.snapshot
    assert snap.whatif and cells(snap.frame)[0] == target
    assert window.inspector.snapshot is snap  # the inspector shows the moved state's numbers
    assert "WHAT-IF" in window.view.badge
    assert snap.inspection.q_tot_greedy != q_before  # recomputed for the moved state
    # onto another agent: refused, one line, the agent stays where it was
    other = cells(snap.frame)[1]
    drag(window, target, other)
    assert "taken by" in window.status.left_text()
    assert cells(window.last_frame.snapshot.frame)[0] == target
    QTest.keyClick(window, Qt.Key_Z, Qt.ControlModifier)  # undo: back at the start
    wait_idle(window)
    snap = window.last_frame.snapshot
    assert snap.whatif and cells(snap.frame)[0] == start
    QTest.keyClick(window, Qt.Key_Escape)  # leave: the run's own frame again
    wait_idle(window)
    assert not window.last_frame.snapshot.whatif and window.whatif.active is False
    assert window.last_frame.snapshot.inspection.q_tot_greedy == q_before
    assert same(before, fingerprint(t))


def test_keyboard_nudge_then_a_step_leaves_the_whatif_first(window):
    t = trainer(window)
    before = fingerprint(t)
    frame = window.last_frame.snapshot.frame
    moves = {Qt.Key_Up: (-1, 0), Qt.Key_Down: (1, 0), Qt.Key_Left: (0, -1),
             Qt.Key_Right: (0, 1)}
    found = None
    for agent in range(t.info.n_agents):
        r, c = cells(frame)[agent]
        free = {tuple(int(v) for v in rc) for rc in t.env.standable_cells(0, "agent", agent)}
        for key, (dr, dc) in moves.items():
            if (r + dr, c + dc) in free:
                found = agent, key, (r + dr, c + dc)
                break
        if found:
            break
    assert found is not None, "every agent boxed in"
    agent, key, target = found
    window.select_agent(agent)
    QTest.keyClick(window, key, Qt.ShiftModifier)
    wait_idle(window)
    snap = window.last_frame.snapshot
    assert snap.whatif and cells(snap.frame)[agent] == target
    steps = t.env_steps
    real = {k: v for k, v in before.items()}
    assert same(real, fingerprint(t))  # the what-if wrote nothing into the run
    QTest.keyClick(window, Qt.Key_N)  # a step: the what-if ends first, the real state steps
    wait_idle(window)
    assert not window.last_frame.snapshot.whatif and window.controller.worker.whatif is None
    assert t.env_steps == steps + t.config.n_envs
    assert np.array_equal(t._rollout.data["obs"][:, :2], before["obs"][:, :2])  # real history
