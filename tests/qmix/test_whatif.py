"""What-if (qmix/whatif.py): moving things recomputes the decision through the acting
weights, the value map agrees with separate inspections, the mixer surface has QMIX's
monotone shape (VDN's plane), and nothing of the run changes, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from envs.placement import PlacementError
from qmix.config import make_config
from qmix.trainer import Trainer
from qmix.whatif import VALUE_KINDS, WhatIf, WhatIfError

PILLARS = [".......", ".#.#.#.", ".......", ".#.#.#.", ".......", ".#.#.#.", "......."]


def make(scenario: str = "pursuit", algo: str = "qmix", updates: int = 6, **env) -> Trainer:
    trainer = Trainer(make_config(scenario, algo=algo, n_envs=2, batch_size=4, learning_starts=4,
                                  buffer_size=16, async_updates=False, lr=3e-3, seed=3,
                                  scenario_kwargs=env))
    while trainer.updates < updates:
        trainer.run_episode()
        for _ in range(3):
            trainer.update()
    for _ in range(3):
        trainer.env_step()
    return trainer


@pytest.fixture(scope="module")
def qmix_run() -> Trainer:
    return make(grid_size=7, walls=PILLARS)


@pytest.fixture(scope="module")
def vdn_run() -> Trainer:
    return make(algo="vdn", updates=3)


def state_of(trainer: Trainer) -> dict:
    """Everything a what-if could conceivably touch, as deep copies."""
    ro = trainer._rollout
    out = {"state_dict": trainer.state_dict(include_buffer=True),
           "rollout": {k: v.copy() for k, v in ro.data.items()},
           "hidden": ro.hidden.copy(), "last": ro.last_actions.copy(), "t": ro.t,
           "returns": ro.returns.copy(), "done": ro.done.copy(),
           "ts": {k: v.copy() for k, v in vars(ro.ts).items()},
           "pending": {k: (v.copy() if isinstance(v, np.ndarray) else v)
                       for k, v in ro.pending.items() if k != "mixer"},
           "mixer": {k: v.copy() for k, v in trainer._acting_mixer.items()}}
    for name in ("env", "eval_env"):
        env = getattr(trainer, name)
        out[name] = {k: np.array(v, copy=True) for k, v in vars(env).items()
                     if isinstance(v, np.ndarray)}
        out[name + "_rngs"] = [r.bit_generator.state for r in env._rngs or ()]
    return out


def assert_equal_nested(a, b, path="") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            assert_equal_nested(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, (list, tuple)) and not isinstance(a, str):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_equal_nested(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
        assert np.asarray(a).dtype == np.asarray(b).dtype, path
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, path


def test_the_real_state_is_the_decision_on_screen(qmix_run):
    shown = qmix_run.snapshot().inspection
    wi = WhatIf.from_trainer(qmix_run)
    ins = wi.inspection()
    for field in ("agent_qs", "credit", "chosen_actions", "greedy_actions", "avail_actions"):
        np.testing.assert_array_equal(getattr(ins, field), getattr(shown, field), field)
    for field in ("q_tot_chosen", "q_tot_greedy", "v_s", "t", "weights_updates"):
        assert getattr(ins, field) == getattr(shown, field), field
    np.testing.assert_array_equal(wi.frame()["agents"], qmix_run.snapshot().frame["agents"])


def test_value_map_at_the_real_cell_is_the_shown_greedy_q_tot(qmix_run):
    shown = qmix_run.snapshot().inspection
    wi = WhatIf.from_trainer(qmix_run)
    for agent in range(qmix_run.info.n_agents):
        r, c = wi.agent_cell(agent)
        vm = wi.value_map(agent, "q_tot")
        assert vm.shape == (7, 7)
        assert abs(vm[r, c] - shown.q_tot_greedy) <= 1e-5
        assert abs(wi.value_map(agent, "v")[r, c] - shown.v_s) <= 1e-5
        own = shown.agent_qs[agent][shown.avail_actions[agent]].max()
        assert abs(wi.value_map(agent, "q_max")[r, c] - own) <= 1e-5
        # NaN exactly where it cannot stand: walls and the others' cells
        standable = {tuple(x) for x in wi.standable_cells("agent", agent)}
        for (row, col), value in np.ndenumerate(vm):
            assert np.isnan(value) == ((row, col) not in standable)
        assert np.isnan(vm[1, 1]) and np.isfinite(vm).sum() == len(standable)
    assert np.nanstd(wi.value_map(0)) > 0  # the cells really differ
    with pytest.raises(WhatIfError, match="one of q_tot, v, q_max"):
        wi.value_map(0, "q")


def test_each_value_map_entry_is_a_separate_inspection_of_the_moved_state(qmix_run):
    rng = np.random.default_rng(0)
    maps = WhatIf.from_trainer(qmix_run)
    for agent in range(qmix_run.info.n_agents):
        vm = {k: maps.value_map(agent, k) for k in VALUE_KINDS}
        cells = maps.standable_cells("agent", agent)
        for cell in cells[rng.choice(len(cells), 4, replace=False)]:
            separate = WhatIf.from_trainer(qmix_run)
            ins = separate.move("agent", agent, cell)
            r, c = cell
            assert abs(vm["q_tot"][r, c] - ins.q_tot_greedy) <= 1e-5
            assert abs(vm["v"][r, c] - ins.v_s) <= 1e-5
            assert abs(vm["q_max"][r, c]
                       - ins.agent_qs[agent][ins.avail_actions[agent]].max()) <= 1e-5
            if separate.is_real():  # its own cell: the run's decision, exploration and all
                continue
            # a moved state is greedy: nobody flips the run's exploration coin
            np.testing.assert_array_equal(ins.chosen_actions, ins.greedy_actions)
            assert ins.q_tot_chosen == ins.q_tot_greedy


def test_a_move_changes_what_everyone_sees_and_undo_brings_the_real_one_back(qmix_run):
    wi = WhatIf.from_trainer(qmix_run)
    real = wi.inspection()
    cell = wi.standable_cells("agent", 0)[0]
    moved = wi.move("agent", 0, cell)
    np.testing.assert_array_equal(wi.positions()["agents"][0], cell)
    assert not wi.is_real() and wi.can_undo
    assert not np.array_equal(moved.agent_qs[0], real.agent_qs[0])
    np.testing.assert_array_equal(wi.snapshot().frame["agents"][0], cell)
    assert wi.snapshot().inspection.q_tot_greedy == moved.q_tot_greedy
    prey = wi.standable_cells("prey", 1)[-1]
    wi.move("prey", 1, prey)
    back = wi.undo()
    np.testing.assert_array_equal(back.agent_qs, moved.agent_qs)
    back = wi.undo()
    assert wi.is_real() and not wi.can_undo
    np.testing.assert_array_equal(back.agent_qs, real.agent_qs)
    assert back.q_tot_chosen == real.q_tot_chosen
    wi.move("agent", 2, wi.standable_cells("agent", 2)[0])
    assert wi.restore().q_tot_greedy == real.q_tot_greedy and wi.is_real()


def test_refused_moves_leave_the_what_if_as_it_was(qmix_run):
    wi = WhatIf.from_trainer(qmix_run)
    cell = wi.standable_cells("agent", 0)[0]
    before = wi.move("agent", 0, cell)
    pos = wi.positions()
    for target, words in (((1, 1), "is a wall"), (tuple(pos["agents"][1]), "taken by agent 1"),
                          ((0, 7), "outside the 7x7 grid")):
        with pytest.raises(PlacementError, match=words):
            wi.move("agent", 0, target)
        after = wi.inspection()
        assert after.q_tot_greedy == before.q_tot_greedy
        np.testing.assert_array_equal(wi.positions()["agents"], pos["agents"])
    wi.undo()
    assert wi.is_real()  # the refused moves were not recorded


def test_what_if_never_changes_the_run(qmix_run):
    before = state_of(qmix_run)
    wi = WhatIf.from_trainer(qmix_run)
    for agent in range(3):
        wi.move("agent", agent, wi.standable_cells("agent", agent)[agent])
        wi.value_map(agent)
        wi.mixer_surface(agent, (agent + 1) % 3, k=9)
        wi.snapshot()
    wi.move("prey", 0, wi.standable_cells("prey", 0)[0])
    with pytest.raises(PlacementError):
        wi.move("agent", 0, (1, 1))
    wi.undo()
    wi.restore()
    wi.end()
    with pytest.raises(WhatIfError, match="has ended"):
        wi.move("agent", 0, (0, 0))
    assert_equal_nested(state_of(qmix_run), before)
    # and the run goes on exactly as one never paused for a what-if: its next decision is
    # drawn from the same generator state (compared through the state above)


@pytest.mark.parametrize("updates", [0, 6])
def test_qmix_surface_is_monotone_in_both_agents_at_every_state_tried(updates, qmix_run):
    trainer = qmix_run if updates else make(grid_size=7, walls=PILLARS, updates=0)
    rng = np.random.default_rng(updates)
    wi = WhatIf.from_trainer(trainer)
    n = trainer.info.n_agents
    curved = 0
    for trial in range(12):
        agent = int(rng.integers(n))
        cells = wi.standable_cells("agent", agent)
        wi.move("agent", agent, cells[rng.integers(len(cells))])
        i, j = rng.choice(n, 2, replace=False)
        grid, q_i, q_j = wi.mixer_surface(int(i), int(j), k=21)
        assert grid.shape == (21, 21) and np.all(np.diff(q_i) > 0) and np.all(np.diff(q_j) > 0)
        assert np.all(np.diff(grid, axis=0) >= 0), trial
        assert np.all(np.diff(grid, axis=1) >= 0), trial
        assert np.ptp(grid) > 0
        # the surface goes through the inspection's Q_tot at the chosen joint action
        qi, qj, q_tot = wi.mixer_point(int(i), int(j))
        ins = wi.inspection()
        assert ins.q_tot_chosen == q_tot
        base = ins.agent_qs[np.arange(n), ins.chosen_actions].astype(np.float64) / wi.sigma
        state = wi._cache["now"][2][3]
        assert abs(wi._mix64(base[None], state)[0] * wi.sigma - q_tot) <= 1e-5
        # not a plane: QMIX's surface bends somewhere (ELU and state-dependent weights)
        plane = grid[0, 0] + (grid[-1, 0] - grid[0, 0]) * np.linspace(0, 1, 21)[:, None] \
            + (grid[0, -1] - grid[0, 0]) * np.linspace(0, 1, 21)[None, :]
        curved += np.abs(grid - plane).max() > 1e-6 * max(1.0, np.abs(grid).max())
    assert curved > 0


def test_vdn_surface_is_a_plane_of_slope_one(vdn_run):
    wi = WhatIf.from_trainer(vdn_run)
    rng = np.random.default_rng(1)
    for _ in range(5):
        agent = int(rng.integers(3))
        cells = wi.standable_cells("agent", agent)
        wi.move("agent", agent, cells[rng.integers(len(cells))])
        grid, q_i, q_j = wi.mixer_surface(0, 2, k=11)
        expect = grid[0, 0] + (q_i - q_i[0])[:, None] + (q_j - q_j[0])[None, :]
        np.testing.assert_allclose(grid, expect, rtol=0, atol=1e-9 * max(1.0, np.abs(grid).max()))
        _, _, q_tot = wi.mixer_point(0, 2)
        assert wi.inspection().v_s == 0.0


def test_mixer_surface_arguments_are_checked(vdn_run):
    wi = WhatIf.from_trainer(vdn_run)
    with pytest.raises(WhatIfError, match="two different agents"):
        wi.mixer_surface(1, 1)
    with pytest.raises(WhatIfError, match="agent must be an int in 0..2"):
        wi.mixer_surface(0, 3)


def test_worlds_without_placement_and_terminal_frames_are_refused():
    trainer = Trainer(make_config("two_step", n_envs=1, async_updates=False))
    with pytest.raises(WhatIfError, match="no what-if for this world \\(two_step\\)"):
        WhatIf.from_trainer(trainer)
    trainer = Trainer(make_config("pursuit", n_envs=1, async_updates=False,
                                  scenario_kwargs={"episode_limit": 2}))
    trainer.env_step()
    trainer.env_step()  # the rollout ended: its terminal frame has no decision
    with pytest.raises(WhatIfError, match="no decision on screen"):
        WhatIf.from_trainer(trainer)


def test_foraging_value_map_and_iql_surface():
    trainer = make("foraging", algo="iql", updates=3)
    shown = trainer.snapshot().inspection
    wi = WhatIf.from_trainer(trainer)
    vm = wi.value_map(1)
    r, c = wi.agent_cell(1)
    assert abs(vm[r, c] - shown.q_tot_greedy) <= 1e-5
    cell = next(tuple(x) for x in wi.standable_cells("agent", 1) if tuple(x) != (r, c))
    assert abs(wi.move("agent", 1, cell).q_tot_greedy - vm[cell]) <= 1e-5
    food = wi.standable_cells("food", 0)[0]
    wi.move("food", 0, food)
    assert tuple(wi.frame()["food"][0]) == tuple(food)
    grid, q_i, q_j = wi.mixer_surface(0, 1, k=7)  # IQL's Q_tot is the sum: a plane
    expect = grid[0, 0] + (q_i - q_i[0])[:, None] + (q_j - q_j[0])[None, :]
    np.testing.assert_allclose(grid, expect, rtol=0, atol=1e-9 * max(1.0, np.abs(grid).max()))


def test_value_map_entries_match_the_compiled_inspection_of_the_moved_state(qmix_run):
    # acting and online weights are the same here (no update since the last refresh): the
    # NumPy what-if and the compiled Learner.inspect must agree to float32 rounding
    ro = qmix_run._rollout
    wi = WhatIf.from_trainer(qmix_run)
    vm = wi.value_map(0)
    for cell in wi.standable_cells("agent", 0)[::7]:
        ins = wi.move("agent", 0, cell)
        obs, state, avail = wi.env.observe(0)
        ref = qmix_run.inspect(obs, state, avail, ro.hidden[0], ro.last_actions[0],
                               ins.greedy_actions)
        np.testing.assert_array_equal(ref.greedy_actions, ins.greedy_actions)
        assert abs(ref.q_tot_chosen - vm[tuple(cell)]) <= 2e-5 * max(1.0, abs(ref.q_tot_chosen))
        np.testing.assert_allclose(ref.agent_qs, ins.agent_qs, rtol=2e-5, atol=2e-6)
        wi.undo()


def test_a_what_if_beside_a_background_round_of_updates_neither_waits_nor_takes_it_in():
    trainer = Trainer(make_config("pursuit", n_envs=2, batch_size=4, learning_starts=4,
                                  buffer_size=16, async_updates=True, seed=1))
    while trainer._inflight is None:
        trainer.train_iteration()
    trainer.env_step()
    inflight, updates = trainer._inflight, trainer.updates
    shown = trainer.snapshot().inspection
    wi = WhatIf.from_trainer(trainer)
    r, c = wi.agent_cell(0)
    assert abs(wi.value_map(0)[r, c] - shown.q_tot_greedy) <= 1e-5
    wi.move("agent", 0, wi.standable_cells("agent", 0)[0])
    assert trainer._inflight is inflight and trainer.updates == updates
    trainer.close()


def test_a_world_that_cannot_be_moved_still_has_its_mixer_surface():
    # two_step: nothing to drag, but the mixer's shape at the state on screen is the question
    trainer = make("two_step", updates=6)
    while trainer._rollout is not None:  # to the end of the rollout in flight
        trainer.env_step()
    trainer.env_step()  # step 1 of the next: state 2A or 2B, the mixer's weights depend on it
    wi = WhatIf.from_trainer(trainer, fixed_ok=True)
    assert wi.inspection().q_tot_chosen == pytest.approx(trainer.snapshot().inspection.q_tot_chosen,
                                                        abs=1e-5)
    grid, q_i, q_j = wi.mixer_surface(0, 1, k=15)
    assert np.all(np.diff(q_i) > 0) and np.all(np.diff(q_j) > 0)
    assert np.all(np.diff(grid, axis=0) >= 0) and np.all(np.diff(grid, axis=1) >= 0)
    qi, qj, q_tot = wi.mixer_point(0, 1)
    assert q_i[0] <= qi <= q_i[-1] and q_j[0] <= qj <= q_j[-1]
    with pytest.raises(ValueError, match="no what-if for this world \\(two_step\\)"):
        wi.move("agent", 0, (0, 0))
    with pytest.raises(WhatIfError, match="no what-if for this world"):
        wi.value_map(0)
    assert wi.is_real() and wi.frame()["scenario"] == "two_step"
