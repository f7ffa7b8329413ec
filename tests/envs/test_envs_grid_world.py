"""The grid-world base carries a scenario that writes only its rules.

`Flags` is defined here as a newcomer would write one: a config, a placement rule, an
interact rule ("touch" a flag 4-adjacent to you: +1, the flag goes), the rest of the state and
its snapshot keys. Everything else -- moves, masks, observation patches, TimeSteps, done
flags, snapshots -- must come from `GridWorldVecEnv` and keep its documented contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from envs._checks import check_int
from envs._grid import MOVE_NAMES
from envs.base import TimeStep
from envs.grid_world import INTERACT, GridWorldVecEnv


@dataclass
class FlagsConfig:
    grid_size: int = 5
    n_agents: int = 2
    n_flags: int = 2
    episode_limit: int = 20
    view_radius: int = 1

    def validate(self) -> None:
        for name in ("grid_size", "n_agents", "n_flags", "episode_limit", "view_radius"):
            check_int("flags", name, getattr(self, name), minimum=1)


class FlagsVecEnv(GridWorldVecEnv):
    render_kind = "flags"
    config: FlagsConfig

    def __init__(self, config: FlagsConfig | None = None, n_envs: int = 1) -> None:
        super().__init__(config if config is not None else FlagsConfig(), n_envs)
        n, f = self.config.n_agents, self.config.n_flags
        self.info = self._grid_info("flags", MOVE_NAMES + ("touch",), state_dim=2 * n + 2 * f,
                                    solved_return=None, optimal_return=float(f))

    def set_layout(self, copy: int, agents: Any, flags: Any) -> TimeStep:
        c = self._begin_layout(copy)
        self._place(c, np.asarray(agents), np.asarray(flags), self._alive_mask(None))
        return self._timestep(np.zeros(self.n_envs, dtype=np.float32))

    def _item_count(self) -> int:
        return self.config.n_flags

    def _reset_copy(self, c: int, rng: np.random.Generator) -> None:
        flags = rng.choice(self._free_cells, size=self.config.n_flags, replace=False)
        self._item_pos[c] = flags
        self._agent_pos[c] = self._place_agents(rng, flags)

    def _interact(self, acting: np.ndarray, adjacent: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        taken = self._item_alive & (adjacent & acting[:, :, None]).any(axis=1)
        self._item_alive &= ~taken
        return taken.sum(axis=1).astype(np.float64), ~self._item_alive.any(axis=1)

    def _fill_state(self, rest: np.ndarray) -> None:
        rest[:] = self._item_rc().reshape(self.n_envs, -1)

    def _scenario_snapshot(self, c: int) -> dict[str, Any]:
        return {"flags": self._grid.to_rc(self._item_pos[c]),
                "flags_alive": self._item_alive[c].copy()}


def test_a_rules_only_scenario_gets_the_whole_contract(random_available: Any) -> None:
    env = FlagsVecEnv(n_envs=3)
    assert env.info.obs_dim == 3 * 3 * 3 + 2 and env.info.n_actions == 6
    assert env.info.action_names[INTERACT] == "touch"
    ts = env.reset(seed=4)
    rng = np.random.default_rng(0)
    for _ in range(60):
        assert ts.obs.shape == (3, 2, 29) and ts.obs.dtype == np.float32
        assert ts.state.shape == (3, 8) and ts.avail_actions.shape == (3, 2, 6)
        assert ts.obs.min() >= 0.0 and ts.obs.max() <= 1.0
        assert ts.avail_actions[:, :, 0].all()  # "stay" is always possible
        ts = env.step(random_available(ts.avail_actions, rng))
        if env.done.all():
            ts = env.reset()
    snap = env.snapshot(1)
    assert snap["render"] == "flags" and snap["scenario"] == "flags"
    assert list(snap)[-6:] == ["grid_shape", "walls", "view_radius", "agents", "flags",
                               "flags_alive"]


def test_same_seed_same_episode(random_available: Any) -> None:
    runs = []
    for _ in range(2):
        env = FlagsVecEnv(n_envs=2)
        ts = env.reset(seed=11)
        rng = np.random.default_rng(3)
        seen = [ts.obs.copy()]
        for _ in range(20):
            ts = env.step(random_available(ts.avail_actions, rng))
            seen += [ts.obs.copy(), ts.state.copy(), ts.reward.copy()]
        runs.append(seen)
    assert all(np.array_equal(a, b) for a, b in zip(*runs))


def test_interact_moves_masks_and_patches_follow_the_rules() -> None:
    env = FlagsVecEnv()
    env.reset(seed=0)
    ts = env.set_layout(0, [[2, 2], [2, 1]], [[2, 3], [0, 0]])
    stay, up, down, left, right, touch = range(6)
    assert ts.avail_actions[0, 0, touch] and not ts.avail_actions[0, 1, touch]
    assert not ts.avail_actions[0, 0, right]  # the flag's cell
    assert not ts.avail_actions[0, 0, left]  # the other agent's cell
    patch = ts.obs[0, 0, :27].reshape(3, 3, 3)  # channels x rows x cols, centred on agent 0
    assert patch[1, 1, 0] == 1.0 and patch[1, 1, 1] == 0.0  # partner left, not itself
    assert patch[2, 1, 2] == 1.0 and patch[0].sum() == 0.0  # flag right, no edge in view
    assert np.allclose(ts.obs[0, 0, -2:], [0.5, 0.5])

    ts = env.step(np.array([[touch, up]]))
    assert ts.reward[0] == 1.0 and not ts.terminated[0]
    assert env.snapshot()["flags_alive"].tolist() == [False, True]
    assert env.snapshot()["agents"].tolist() == [[2, 2], [1, 1]]
    assert ts.state[0, 4:6].tolist() == [0.0, 0.0]  # a gone flag is zeroed in the state

    env.step(np.array([[stay, up]]))  # agent 1 to (0, 1), next to the last flag
    ts = env.step(np.array([[stay, touch]]))
    assert ts.reward[0] == 1.0 and ts.terminated[0] and env.episode_return[0] == 2.0
