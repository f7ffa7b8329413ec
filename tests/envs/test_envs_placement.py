"""What-if placement (envs/placement.py): a copy's state read and written back bit-for-bit,
validated moves that leave the world as it was when refused, observations recomputed from
the moved positions, and a clear refusal from worlds without placement."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.placement import NoWhatIf, PlacementError

GRIDS = [("pursuit", {}), ("foraging", {}),
         ("pursuit", {"grid_size": 7, "walls": [".......", ".#.#.#.", ".......", ".#.#.#.",
                                                ".......", ".#.#.#.", "......."]})]


def stepped(name: str, kw: dict, n_envs: int = 3, steps: int = 4, seed: int = 5):
    env = envs.make(name, n_envs=n_envs, **kw)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        env.step(rng.integers(0, env.info.n_actions, size=(n_envs, env.info.n_agents)))
    return env


def all_arrays(env) -> dict:
    """Every ndarray attribute of the env (deep copies) and its generators' states."""
    out = {k: np.array(v, copy=True) for k, v in vars(env).items() if isinstance(v, np.ndarray)}
    out["rngs"] = [r.bit_generator.state for r in env._rngs]
    return out


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if key == "rngs":
            assert a[key] == b[key]
        else:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("name,kw", GRIDS)
def test_copy_fields_name_every_per_copy_array(name, kw):
    # n_envs 3 matches no other dimension of these worlds: an array with a leading axis of 3
    # is per-copy, and must be in copy_fields unless it is constant or scratch space
    env = stepped(name, kw)
    constant_or_scratch = {"_rows", "_blocked_tiled", "_planes"}
    per_copy = {k for k, v in vars(env).items()
                if isinstance(v, np.ndarray) and v.shape[:1] == (3,)}
    assert per_copy - constant_or_scratch <= set(env.copy_fields)
    assert set(env.copy_fields) <= per_copy


@pytest.mark.parametrize("name,kw", GRIDS)
def test_set_copy_state_restores_bit_for_bit_and_leaves_rngs_and_other_copies(name, kw):
    env = stepped(name, kw)
    before = all_arrays(env)
    saved = env.copy_state(1)
    env.move(1, "agent", 0, tuple(env.standable_cells(1, "agent", 0)[-1]))
    env.set_copy_state(1, saved)
    assert_same(all_arrays(env), before)
    # a deep copy: editing the env afterwards does not reach the saved state
    pos = saved["_agent_pos"].copy()
    env.move(1, "agent", 0, tuple(env.standable_cells(1, "agent", 0)[0]))
    np.testing.assert_array_equal(saved["_agent_pos"], pos)


@pytest.mark.parametrize("name,kw", GRIDS)
def test_a_clone_continues_exactly_like_its_copy(name, kw):
    env = stepped(name, kw, n_envs=3)
    before = all_arrays(env)
    clone = env.clone_copy(2)
    assert_same(all_arrays(env), before)
    np.testing.assert_array_equal(clone.observe(0)[0], env.observe(2)[0])
    np.testing.assert_array_equal(clone.observe(0)[1], env.observe(2)[1])
    rng = np.random.default_rng(1)
    for _ in range(6):  # same actions, same world (prey randomness is part of the copy)
        acts = rng.integers(0, env.info.n_actions, size=(3, env.info.n_agents))
        ts, tc = env.step(acts), clone.step(acts[2:3])
        np.testing.assert_array_equal(ts.obs[2], tc.obs[0])
        np.testing.assert_array_equal(ts.reward[2], tc.reward[0])


@pytest.mark.parametrize("name,kw", GRIDS)
def test_move_recomputes_obs_state_and_avail(name, kw):
    env = stepped(name, kw, steps=0)
    target = tuple(env.standable_cells(0, "agent", 1)[0])
    env.move(0, "agent", 1, target)
    obs, state, avail = env.observe(0)
    np.testing.assert_array_equal(env.positions(0)["agents"][1], target)
    h, w = env.config.grid_size, env.config.grid_size
    expect = np.array([target[0] / (h - 1), target[1] / (w - 1)], np.float32)
    np.testing.assert_array_equal(obs[1, -2:], expect)  # own normalised (row, col)
    np.testing.assert_array_equal(state[2:4], expect)  # the state's agent 1 (row, col)
    # the same as a world laid out that way from the start
    ref = envs.make(name, n_envs=1, **kw)
    ref.reset(seed=0)
    ref.set_copy_state(0, env.copy_state(0))
    ref_obs, ref_state, ref_avail = ref.observe(0)
    np.testing.assert_array_equal(obs, ref_obs)
    np.testing.assert_array_equal(avail, ref_avail)
    # availability follows the new cell: a move is open iff its target is free
    free = {tuple(c) for c in env.standable_cells(0, "agent", 1)} - {target}
    for action, (dr, dc) in enumerate([(-1, 0), (1, 0), (0, -1), (0, 1)], start=1):
        assert avail[1, action] == ((target[0] + dr, target[1] + dc) in free)


def test_refusals_are_one_line_and_leave_the_world_as_it_was():
    env = stepped(*GRIDS[2], steps=2)
    pos = env.positions(0)
    agents, prey = pos["agents"], pos["items"]
    before = all_arrays(env)
    cases = {
        (1, 1): "is a wall",
        tuple(agents[1]): "is taken by agent 1",
        tuple(prey[0]): "is taken by prey 0",
        (7, 0): "outside the 7x7 grid",
        (-1, 3): "outside the 7x7 grid",
    }
    for cell, words in cases.items():
        with pytest.raises(PlacementError, match=words) as err:
            env.move(0, "agent", 0, cell)
        assert "\n" not in str(err.value)
        assert_same(all_arrays(env), before)
    with pytest.raises(PlacementError, match="there is no agent 3"):
        env.move(0, "agent", 3, (0, 0))
    with pytest.raises(PlacementError, match="kind must be 'agent' or 'prey'"):
        env.move(0, "food", 0, (0, 0))
    with pytest.raises(PlacementError, match="is taken by agent 0"):
        env.move(0, "prey", 1, tuple(agents[0]))
    env.move(0, "agent", 0, tuple(agents[0]))  # onto its own cell: allowed, nothing changes
    assert_same(all_arrays(env), before)


def test_a_gone_item_cannot_be_moved_and_blocks_nothing():
    env = envs.make("pursuit", n_envs=1)
    env.reset(seed=0)
    env.set_layout(0, [[0, 0], [0, 1], [0, 2]], [[3, 3], [5, 5]], prey_alive=[True, False])
    with pytest.raises(PlacementError, match="prey 1 is gone"):
        env.move(0, "prey", 1, (2, 2))
    assert len(env.standable_cells(0, "prey", 1)) == 0
    cells = {tuple(c) for c in env.standable_cells(0, "agent", 0)}
    assert (5, 5) in cells and (3, 3) not in cells and (0, 1) not in cells and (0, 0) in cells
    env.move(0, "agent", 0, (5, 5))  # where the captured prey was last seen
    env.move(0, "item", 0, (4, 4))  # "item" names the world's items too


def test_foraging_names_its_items_food():
    env = envs.make("foraging", n_envs=1)
    env.reset(seed=2)
    cell = tuple(env.standable_cells(0, "food", 0)[0])
    env.move(0, "food", 0, cell)
    np.testing.assert_array_equal(env.snapshot(0)["food"][0], cell)


@pytest.mark.parametrize("name", ["two_step"])
def test_worlds_without_placement_say_so(name):
    env = envs.make(name, n_envs=1)
    env.reset(seed=0)
    assert not envs.supports_whatif(env)
    for call in (lambda: env.copy_state(0), lambda: env.move(0, "agent", 0, (0, 0)),
                 lambda: env.observe(0), lambda: env.standable_cells(0, "agent", 0),
                 lambda: env.set_copy_state(0, {})):
        with pytest.raises(NoWhatIf, match="no what-if for this world \\(two_step\\)"):
            call()
