"""Property tests: random *available* actions on random configs and seeds never break the
invariants every learner relies on (shapes, dtypes, bounds, masks, frozen done copies)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import envs
from envs.base import TimeStep, VecEnv

PROPS = settings(max_examples=25, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def sample_available(avail: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    scores = rng.random(avail.shape) * avail + avail * 1e-9
    return scores.argmax(axis=-1)


@st.composite
def pursuit_configs(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(3, 8))
    walls = None
    if draw(st.booleans()):
        rows = draw(st.lists(st.lists(st.sampled_from(".#.."), min_size=size, max_size=size),
                             min_size=size, max_size=size))
        walls = ["".join(r) for r in rows]
    return {
        "grid_size": size,
        "n_agents": draw(st.integers(1, 4)),
        "n_prey": draw(st.integers(1, 3)),
        "walls": walls,
        "episode_limit": draw(st.integers(1, 30)),
        "view_radius": draw(st.integers(1, 3)),
        "catch_agents_required": draw(st.integers(1, 2)),
        "miscoordination_penalty": draw(st.floats(0, 5)),
        "step_cost": draw(st.floats(0, 1)),
        "prey_move_prob": draw(st.floats(0, 1)),
    }


@st.composite
def foraging_configs(draw: st.DrawFn) -> dict[str, Any]:
    size = draw(st.integers(3, 9))
    cap = max(1, -(-(size - 2) ** 2 // 9))
    n_agents = draw(st.integers(1, 4))
    n_food = draw(st.integers(1, cap))
    return {
        "grid_size": size,
        "n_agents": n_agents,
        "n_food": n_food,
        "max_agent_level": draw(st.integers(1, 3)),
        "n_coop_food": 0 if n_agents == 1 else draw(st.integers(0, n_food)),
        "episode_limit": draw(st.integers(1, 60)),
        "view_radius": draw(st.integers(1, 3)),
    }


def check_timestep(env: VecEnv, ts: TimeStep) -> None:
    info, c = env.info, env.n_envs
    assert ts.obs.shape == (c, info.n_agents, info.obs_dim) and ts.obs.dtype == np.float32
    assert ts.state.shape == (c, info.state_dim) and ts.state.dtype == np.float32
    assert ts.avail_actions.shape == (c, info.n_agents, info.n_actions)
    assert ts.avail_actions.dtype == bool
    assert ts.reward.shape == (c,) and ts.reward.dtype == np.float32
    for flags in (ts.terminated, ts.truncated):
        assert flags.shape == (c,) and flags.dtype == bool
    assert ts.active.shape == (c, info.n_agents) and ts.active.dtype == bool and ts.active.all()
    assert np.isfinite(ts.obs).all() and np.isfinite(ts.state).all()
    assert ts.obs.min() >= 0.0 and ts.obs.max() <= 1.0  # documented bounds: [0, 1]
    assert ts.state.min() >= 0.0 and ts.state.max() <= 1.0
    assert ts.avail_actions.any(axis=2).all()  # every agent can always do something
    assert not (ts.terminated & ts.truncated).any()


def check_grid(env: VecEnv, walls: np.ndarray | None) -> None:
    for c in range(env.n_envs):
        snap = env.snapshot(c)
        h, w = snap["grid_shape"]
        cells = [snap["agents"]]
        if "prey" in snap:
            cells.append(snap["prey"][snap["prey_alive"]])
        if "food" in snap:
            cells.append(snap["food"][snap["food_alive"]])
        pos = np.concatenate(cells)
        assert ((pos >= 0) & (pos < (h, w))).all()
        if walls is not None:
            assert not walls[pos[:, 0], pos[:, 1]].any()
        assert len({tuple(p) for p in pos.tolist()}) == len(pos)  # no shared cells
        assert 0 <= snap["t"] <= snap["episode_limit"]


def run_random(env: VecEnv, seed: int, steps: int, reward_bounds: tuple[float, float],
               walls: np.ndarray | None = None) -> None:
    rng = np.random.default_rng(seed)
    ts = env.reset(seed=seed)
    check_timestep(env, ts)
    assert (ts.reward == 0).all()
    lo, hi = reward_bounds
    for _ in range(steps):
        was_done = env.done.copy()
        before = ts
        ts = env.step(sample_available(ts.avail_actions, rng))
        check_timestep(env, ts)
        if walls is not None or env.info.name != "two_step":
            check_grid(env, walls)
        assert (ts.reward >= lo - 1e-5).all() and (ts.reward <= hi + 1e-5).all()
        done = ts.terminated | ts.truncated
        assert done[was_done].all()  # done copies stay done ...
        assert (ts.reward[was_done] == 0).all()  # ... earn nothing ...
        np.testing.assert_array_equal(ts.obs[was_done], before.obs[was_done])  # ... and freeze
        np.testing.assert_array_equal(ts.state[was_done], before.state[was_done])
        assert (env.t <= env.info.episode_limit).all()
        truncated_now = ts.truncated & ~was_done
        assert (env.t[truncated_now] == env.info.episode_limit).all()
        if env.done.all():
            ts = env.reset()
            check_timestep(env, ts)


@PROPS
@given(cfg=pursuit_configs(), seed=st.integers(0, 2**31 - 1), n_envs=st.integers(1, 4))
def test_pursuit_invariants(cfg: dict[str, Any], seed: int, n_envs: int) -> None:
    try:
        env = envs.make("pursuit", n_envs=n_envs, **cfg)
    except ValueError:
        return  # random wall maps may leave too little room: validation's job, tested elsewhere
    c = env.config
    lo = -(c.n_agents * c.miscoordination_penalty + c.step_cost)
    hi = c.n_prey * c.capture_reward
    run_random(env, seed, 40, (lo, hi), walls=c.wall_array())


@PROPS
@given(cfg=foraging_configs(), seed=st.integers(0, 2**31 - 1), n_envs=st.integers(1, 4))
def test_foraging_invariants(cfg: dict[str, Any], seed: int, n_envs: int) -> None:
    env = envs.make("foraging", n_envs=n_envs, **cfg)
    run_random(env, seed, 60, (0.0, 1.0), walls=np.zeros((cfg["grid_size"],) * 2, bool))
    assert (env.episode_return <= 1.0 + 1e-5).all()


@PROPS
@given(seed=st.integers(0, 2**31 - 1), n_envs=st.integers(1, 6),
       payoff=st.floats(-10, 10), table=st.lists(st.floats(-10, 10), min_size=4, max_size=4))
def test_two_step_invariants(seed: int, n_envs: int, payoff: float, table: list[float]) -> None:
    env = envs.make("two_step", n_envs=n_envs, payoff_2a=payoff,
                    payoff_2b=((table[0], table[1]), (table[2], table[3])))
    lo, hi = min([payoff, *table, 0.0]), max([payoff, *table, 0.0])
    run_random(env, seed, 7, (lo, hi))
    q = env.true_joint_values(0)
    assert q is not None and q.shape == (2, 2) and q.max() <= env.info.optimal_return + 1e-6


@PROPS
@given(seed=st.integers(0, 2**31 - 1))
def test_every_scenario_ignores_unavailable_actions(seed: int) -> None:
    """Choosing masked actions on purpose must never crash or break an invariant."""
    rng = np.random.default_rng(seed)
    for name in envs.scenario_names():
        env = envs.make(name, n_envs=3)
        ts = env.reset(seed=seed)
        for _ in range(15):
            masked = ~ts.avail_actions
            # pick among the *unavailable* actions wherever an agent has any
            choose_from = np.where(masked.any(-1, keepdims=True), masked, True)
            ts = env.step(sample_available(choose_from, rng))
            check_timestep(env, ts)
