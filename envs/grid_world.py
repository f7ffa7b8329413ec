"""The grid-world skeleton that pursuit and foraging (and any new grid scenario) extend.

A grid world here is N agents and P *items* (prey, food, ...) on an H x W grid, stepped as
C copies at once on the flat padded geometry of `envs/_grid.py`. Everything that is the same
in every such world lives in `GridWorldVecEnv`; a scenario writes only its rules.

What the base fixes (the shared contract, so scenarios stay comparable):
- Actions: the five moves of `MOVE_NAMES`, then one *interact* action (index `INTERACT`,
  "catch", "load", ...) aimed at the items 4-adjacent to the agent.
- Step order: (1) interactions are resolved from start-of-step positions (the scenario's
  `_interact` rule gives reward and termination); (2) agents that chose a move move
  simultaneously under `move_simultaneously`, blocked by walls, the grid edge, agents and
  live items; (3) the scenario may move anything else (`_move_others`); (4) counters and
  done flags advance (`VecEnv._finish_step`).
- Observation: three K x K channels (K = 2 * view_radius + 1), channel-major, row-major
  from the patch's top-left -- [0] walls / out-of-bounds, [1] other agents, [2] live items,
  with the values the scenario's `_marks` gives -- then the scenario's own features
  (`n_own_features` of them), then the agent's normalised (row/(H-1), col/(W-1)).
- Availability: a move is available iff its target cell is empty in all three channels; the
  interact action iff a live item is 4-adjacent. An unavailable action is a no-op.
- State: every agent's normalised (row, col) first; the rest is the scenario's
  (`_fill_state`).
- Snapshots: the `VecEnv` keys, then grid_shape, walls, view_radius and agents, then the
  scenario's keys (`_scenario_snapshot`); `render_kind` names the drawing.

A new scenario: a config dataclass with `grid_size`, `n_agents`, `episode_limit`,
`view_radius` and `validate()`; a subclass that sets `render_kind`, builds `self.info` with
`_grid_info` and overrides the rule hooks below; one line in `envs/registry.py`. (The renderer
draws any snapshot's grid, walls and agents; items it knows only as pursuit's and foraging's.)

Collected or captured items keep their last position but are parked on the grid's sentinel
(an always-blocked padded corner) wherever positions are used, so they block nothing and are
seen by nobody. Only NumPy.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import numpy as np

from envs._grid import MOVE_NAMES, PaddedGrid, move_simultaneously
from envs.base import EnvInfo, TimeStep, VecEnv
from envs.placement import GridPlacement

INTERACT = len(MOVE_NAMES)
"""Index of the one non-move action of every grid world (catch, load, ...)."""
N_CHANNELS = 3
"""Observation channels: walls / out-of-bounds, agents, items."""


class GridWorldVecEnv(GridPlacement, VecEnv):
    """C copies of a grid world with N agents and P items; subclasses supply the rules.
    What-if placement (copy state, move, observe) comes from `envs/placement.py`."""

    n_own_features: int = 0
    """observation entries between the patch and the own (row, col); see `_own_features`"""

    def __init__(self, config: Any, n_envs: int = 1) -> None:
        super().__init__(config, n_envs)  # validates, so the hooks below may trust config
        cfg = self.config
        n, p, r = cfg.n_agents, self._item_count(), cfg.view_radius
        g = PaddedGrid(self._wall_map(), pad=r)  # pad = r: every patch stays in the array
        self._grid = g
        k = 2 * r + 1
        self._patch_len = k * k
        self._rows = np.arange(self.n_envs)  # (C,)
        self._patch_offsets = g.patch_offsets(r)  # (K*K,)
        centre = self._patch_len // 2
        self._centre = centre
        self._nbr_patch = np.array([centre - k, centre + k, centre - 1, centre + 1])  # (4,)
        self._channel_idx = np.arange(N_CHANNELS)[None, None, :, None]  # (1, 1, 3, 1)
        self._norm_rc = g.normalised_rc(np.arange(g.size))  # (cells, 2) lookup table
        self._blocked_tiled = np.tile(g.blocked, (self.n_envs, 1))  # (C, cells)
        self._free_cells = g.free_cells()  # (M,)
        # Observation planes, (C, 3, padded cells): channel 0 never changes.
        self._planes = np.zeros((self.n_envs, N_CHANNELS, g.size), dtype=np.float32)
        self._planes[:, 0, :] = g.blocked
        self._agent_pos = np.zeros((self.n_envs, n), dtype=np.int64)  # (C, N) flat
        self._item_pos = np.zeros((self.n_envs, p), dtype=np.int64)  # (C, P) flat, last seen
        self._item_alive = np.zeros((self.n_envs, p), dtype=bool)  # (C, P)

    def _grid_info(self, name: str, action_names: tuple[str, ...], state_dim: int,
                   solved_return: float | None, optimal_return: float | None) -> EnvInfo:
        """The scenario's EnvInfo; the sizes the base fixes are filled in here."""
        assert len(action_names) == INTERACT + 1, "five moves, then the interact action"
        return EnvInfo(
            name=name, n_agents=self.config.n_agents, n_actions=len(action_names),
            obs_dim=N_CHANNELS * self._patch_len + self.n_own_features + 2,
            state_dim=state_dim, episode_limit=self.config.episode_limit,
            action_names=action_names, solved_return=solved_return,
            optimal_return=optimal_return)

    # ------------------------------------------------------------------ rules (override) --
    def _wall_map(self) -> np.ndarray:
        """(H, W) bool walls; by default none on a grid_size x grid_size grid."""
        size = self.config.grid_size
        return np.zeros((size, size), dtype=bool)

    @abstractmethod
    def _item_count(self) -> int:
        """P, the number of items per copy (read from the validated config)."""

    @abstractmethod
    def _reset_copy(self, c: int, rng: np.random.Generator) -> None:
        """Lay out copy `c` for a new episode: `_agent_pos[c]`, `_item_pos[c]` (flat cells,
        see `_place_agents`) and whatever else the scenario draws from the copy's `rng`."""

    def _clear_events(self, copies: int | slice) -> None:
        """Forget what happened "last step" (for snapshots) in `copies`, on reset/layout."""

    @abstractmethod
    def _interact(self, acting: np.ndarray, adjacent: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Resolve the interact action; return (C,) reward and (C,) bool terminated.

        acting (C, N): live agents that chose INTERACT; adjacent (C, N, P): agent 4-adjacent
        to a live item, at the start of the step. Update `_item_alive` for items that go.
        """

    def _move_others(self, movers: np.ndarray, occupied: np.ndarray) -> None:
        """Move non-agent things after the agents; movers (C,) are copies still running,
        occupied (C, cells) is the occupancy after the agents moved. By default nothing."""

    def _marks(self) -> tuple[Any, Any]:
        """Values that channels 1 and 2 show: agents ((C, N) or scalar), items ((C, P) or
        scalar); each must be > 0 so a marked cell masks moves into it."""
        return 1.0, 1.0

    def _own_features(self) -> np.ndarray:
        """(C, N, n_own_features) extra per-agent observation entries, in [0, 1]."""
        raise NotImplementedError("set n_own_features = 0 or override _own_features")

    @abstractmethod
    def _fill_state(self, rest: np.ndarray) -> None:
        """Write the state after the agents' (row, col) into `rest`, (C, state_dim - 2N)."""

    @abstractmethod
    def _scenario_snapshot(self, c: int) -> dict[str, Any]:
        """Snapshot keys of copy `c` beyond the shared ones (plain data, arrays copied)."""

    # ------------------------------------------------------------------ API --------------
    def reset(self, seed: int | None = None) -> TimeStep:
        """Start a new episode in every copy; each copy is laid out by `_reset_copy`."""
        rngs = self._begin_reset(seed)
        for c, rng in enumerate(rngs):
            self._reset_copy(c, rng)
        self._item_alive[:] = True
        self._clear_events(slice(None))
        return self._timestep(np.zeros(self.n_envs, dtype=np.float32))

    def step(self, actions: np.ndarray) -> TimeStep:
        """One lock-step of every live copy, in the order the module docstring gives."""
        acts = self._check_actions(actions)  # (C, N)
        g = self._grid
        live = ~self.done  # (C,)
        rows = self._rows[:, None]

        # 1. Interactions from start-of-step positions.
        acting = (acts == INTERACT) & live[:, None]  # (C, N)
        d = np.abs(self._agent_pos[:, :, None] - self._item_pos[:, None, :])  # (C, N, P)
        adjacent = ((d == 1) | (d == g.padded_width)) & self._item_alive[:, None, :]
        reward, terminated_now = self._interact(acting, adjacent)  # (C,), (C,)

        # 2. Agent moves, blocked by anything occupied at the start of the move.
        occupied = self._blocked_tiled.copy()  # (C, cells)
        occupied[rows, self._agent_pos] = True
        occupied[rows, self._live_items()] = True
        moving = live[:, None] & (acts >= 1) & (acts <= 4)  # (C, N)
        move_simultaneously(self._agent_pos, occupied, moving,
                            self._agent_pos + g.move_offsets[np.minimum(acts, 4)])

        # 3. Whatever else the scenario moves; copies that just ended stay still.
        self._move_others(live & ~terminated_now, occupied)

        reward = self._finish_step(acts, live, reward, terminated_now)
        return self._timestep(reward)

    def snapshot(self, copy: int = 0) -> dict[str, Any]:
        """Render-ready plain data of one copy (positions as (row, col), arrays copied)."""
        if not self._has_reset:
            raise RuntimeError("call reset() before snapshot()")
        snap = self._common_snapshot(copy)
        c = int(copy)
        g = self._grid
        snap.update({
            "grid_shape": (g.height, g.width),
            "walls": g.walls.copy(),  # (H, W) bool
            "view_radius": int(self.config.view_radius),
            "agents": g.to_rc(self._agent_pos[c]),  # (N, 2) int64
        })
        snap.update(self._scenario_snapshot(c))
        return snap

    # ------------------------------------------------------------------ for the rules ----
    def _place_agents(self, rng: np.random.Generator, taken: np.ndarray) -> np.ndarray:
        """(N,) distinct random free cells for the agents, avoiding the flat cells `taken`."""
        others = np.setdiff1d(self._free_cells, taken, assume_unique=True)
        return rng.choice(others, size=self.config.n_agents, replace=False)

    def _live_items(self) -> np.ndarray:
        """(C, P) item cells, gone items parked on the sentinel."""
        return np.where(self._item_alive, self._item_pos, self._grid.sentinel)

    def _item_rc(self) -> np.ndarray:
        """(C, P, 2) items' normalised (row, col), zeroed once gone."""
        return self._norm_rc[self._item_pos] * self._item_alive[:, :, None]

    def _begin_layout(self, copy: int) -> int:
        """Checks shared by every scenario's `set_layout`; returns the copy index."""
        if not self._has_reset:
            raise RuntimeError("call reset() before set_layout()")
        return self._check_copy(copy)

    def _alive_mask(self, alive: np.ndarray | None) -> np.ndarray:
        """(P,) bool from a caller's optional alive mask (None: every item is there)."""
        p = self._item_pos.shape[1]
        return np.ones(p, dtype=bool) if alive is None else np.asarray(alive, dtype=bool).reshape(p)

    def _place(self, c: int, agents: np.ndarray, items: np.ndarray, alive: np.ndarray,
               cells: str = "cells") -> None:
        """Put copy `c`'s agents (N, 2) and items (P, 2), given as (row, col), in place.

        Agents and live items must sit on distinct in-grid non-wall cells; `cells` is how
        the error message names them. Clears the copy's last-step events.
        """
        g = self._grid
        placed = np.concatenate([agents, items[alive]])
        if ((placed < 0) | (placed >= (g.height, g.width))).any():
            raise ValueError("positions must lie inside the grid")
        flat = g.to_flat(placed)
        if g.blocked[flat].any() or len(np.unique(flat)) != len(flat):
            raise ValueError(f"positions must be distinct {cells}")
        self._agent_pos[c] = g.to_flat(agents)
        self._item_pos[c] = g.to_flat(items)
        self._item_alive[c] = alive
        self._clear_events(c)

    def _timestep(self, reward: np.ndarray) -> TimeStep:
        """Observations, state and masks of every copy from the current positions."""
        g = self._grid
        c, n = self.n_envs, self.config.n_agents
        kk = self._patch_len
        rows = self._rows[:, None]
        agent_mark, item_mark = self._marks()
        planes = self._planes  # (C, 3, cells)
        planes[:, 1:, :] = 0.0
        planes[rows, 1, self._agent_pos] = agent_mark
        planes[rows, 2, self._live_items()] = item_mark
        planes[:, 2, g.sentinel] = 0.0  # gone items parked on the sentinel are invisible
        idx = self._agent_pos[:, :, None, None] + self._patch_offsets  # (C, N, 1, K*K)
        patches = planes[self._rows[:, None, None, None], self._channel_idx, idx]  # (C,N,3,KK)

        obs = np.empty((c, n, self.info.obs_dim), dtype=np.float32)  # (C, N, obs_dim)
        obs[:, :, :N_CHANNELS * kk] = patches.reshape(c, n, N_CHANNELS * kk)
        obs[:, :, kk + self._centre] = 0.0  # an agent is not "another agent" to itself
        if self.n_own_features:
            obs[:, :, N_CHANNELS * kk:-2] = self._own_features()
        agent_rc = self._norm_rc[self._agent_pos]  # (C, N, 2)
        obs[:, :, -2:] = agent_rc

        avail = np.ones((c, n, self.info.n_actions), dtype=bool)  # (C, N, A)
        nbr = patches[:, :, :, self._nbr_patch]  # (C, N, 3, 4) up, down, left, right
        avail[:, :, 1:5] = ~(nbr > 0.0).any(axis=2)  # no wall, agent or item there
        avail[:, :, INTERACT] = (nbr[:, :, 2] > 0.0).any(axis=2)

        state = np.empty((c, self.info.state_dim), dtype=np.float32)  # (C, state_dim)
        state[:, :2 * n] = agent_rc.reshape(c, 2 * n)
        self._fill_state(state[:, 2 * n:])
        return TimeStep(
            obs=obs, state=state, avail_actions=avail,
            reward=np.asarray(reward, dtype=np.float32).copy(),
            terminated=self._terminated.copy(), truncated=self._truncated.copy(),
            active=np.ones((c, n), dtype=bool))
