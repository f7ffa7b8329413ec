"""Level-based foraging (after Albrecht & Ramamoorthy 2013 and the LBF benchmark of
Papoudakis et al. 2021), partially observable and vectorised over copies.

Agents with levels 1..`max_agent_level` roam a grid with food items that have levels too.
Food is collected when the agents 4-adjacent to it that choose "load" in the same step have
a level *sum* >= the food's level. `n_coop_food` items are given a level above the strongest
agent's, so no agent can take them alone: the team has to learn who meets whom where.

Reward (team): collecting food f pays level(f) / (sum of the levels of all food spawned this
episode), so an episode that collects everything returns exactly 1.0. This equals the sum
over agents of LBF's normalised per-agent reward, level(f) * level(i) /
(total_food_level * sum of the loading agents' levels), i.e. we keep LBF's scale but give
the whole amount to the team, as QMIX expects. There is no penalty for a failed load.

Step order: (1) loads are resolved from start-of-step positions (loading agents do not
move) and collected food disappears; (2) the other agents move simultaneously. A move is
available iff the target cell is inside the grid and holds no agent and no food when the
agents decide (under the movement rule such a move could never succeed, so it is masked);
an unavailable action executed anyway is a no-op. Two agents moving into the same free
cell: the lower index gets it, the other stays. "load" is available only next to uncollected
food; executed anyway it is a no-op. `terminated` when all food is collected, `truncated` at
`episode_limit`.

Observation (egocentric, radius r = `view_radius`, K = 2r+1, LBF's "sight"): three K x K
channels, channel-major, row-major from the patch's top-left -- [0] out-of-bounds,
[1] other agents' level / max_agent_level, [2] uncollected food level / max_food_level --
then own level / max_agent_level, then own normalised (row/(H-1), col/(W-1)).
obs_dim = 3*K*K + 3 (78 for r = 2). max_food_level = max_agent_level * min(4, n_agents),
the highest level a food item can ever get, so every entry is in [0, 1].

State: all agents' normalised (row, col), all agent levels / max_agent_level, all food
normalised (row, col) and food level / max_food_level (both zeroed once collected).
state_dim = 3*N + 3*F (18 for the defaults).

Solvable layouts by construction: food sits only on interior cells (all four neighbours
inside the grid) and never 8-adjacent to other food, so every food item keeps four free
neighbour cells; every food level is <= the level sum of the strongest min(4, N) agents,
who can therefore always gather round it. With no walls every cell stays reachable.

`optimal_return` = 1.0 (everything collected; 50 steps are ample on 8x8). `solved_return`
= 0.9: each food item is worth at least 1/total_level of the return (about 0.15-0.2 with the
defaults), so a mean of 0.9 means the greedy team collects every item in most episodes and
misses at most one small item occasionally -- the level the better algorithms reach on
comparable LBF tasks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from envs._checks import check_int
from envs._grid import MOVE_NAMES
from envs.base import TimeStep
from envs.grid_world import INTERACT, GridWorldVecEnv

SCOPE = "foraging"
ACTION_NAMES = MOVE_NAMES + ("load",)
LOAD = INTERACT


def max_food_capacity(grid_size: int) -> int:
    """Food items that random placement can *always* fit on a grid_size^2 grid.

    Food needs interior cells with no other food in its 3x3 neighbourhood; each placed item
    rules out at most 9 interior cells, so greedy random placement never gets stuck before
    ceil(interior / 9) items -- a bound that makes reset loop-free and always successful.
    """
    interior = max(grid_size - 2, 0) ** 2
    return math.ceil(interior / 9)


@dataclass
class ForagingConfig:
    """Knobs of level-based foraging; defaults are a small, cooperative LBF task."""

    grid_size: int = 8
    """side of the square grid, in cells"""
    n_agents: int = 3
    """number of agents (the learners)"""
    n_food: int = 3
    """number of food items per episode"""
    max_agent_level: int = 2
    """agent levels are drawn uniformly from 1..max_agent_level"""
    n_coop_food: int = 1
    """food items whose level exceeds the strongest agent's, so they need >= 2 agents"""
    episode_limit: int = 50
    """max steps per episode (the episode is truncated there)"""
    view_radius: int = 2
    """an agent sees the (2r+1) x (2r+1) square of cells centred on itself (LBF 'sight')"""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        check_int(SCOPE, "grid_size", self.grid_size, minimum=3, maximum=64)
        check_int(SCOPE, "n_agents", self.n_agents, minimum=1, maximum=32)
        check_int(SCOPE, "n_food", self.n_food, minimum=1, maximum=64)
        check_int(SCOPE, "max_agent_level", self.max_agent_level, minimum=1, maximum=9)
        check_int(SCOPE, "n_coop_food", self.n_coop_food, minimum=0)
        check_int(SCOPE, "episode_limit", self.episode_limit, minimum=1, maximum=100_000)
        check_int(SCOPE, "view_radius", self.view_radius, minimum=1, maximum=10)
        if self.n_coop_food > self.n_food:
            raise ValueError(f"{SCOPE}.n_coop_food ({self.n_coop_food}) must be <= n_food "
                             f"({self.n_food})")
        if self.n_coop_food > 0 and self.n_agents < 2:
            raise ValueError(f"{SCOPE}.n_coop_food must be 0 with a single agent "
                             f"(n_agents = {self.n_agents})")
        cap = max_food_capacity(self.grid_size)
        size = f"{self.grid_size}x{self.grid_size}"
        if self.n_food > cap:
            raise ValueError(f"grid too small: {size} grid fits at most {cap} well-spaced "
                             f"food items, got {SCOPE}.n_food = {self.n_food}")
        if self.n_agents + self.n_food > self.grid_size ** 2:
            raise ValueError(f"grid too small: {size} grid cannot hold {self.n_agents} agents "
                             f"+ {self.n_food} food ({SCOPE}.n_agents + n_food)")

    @property
    def max_food_level(self) -> int:
        """Highest level a food item can get: the level sum of 4 top-level agents at most."""
        return self.max_agent_level * min(4, self.n_agents)


class ForagingVecEnv(GridWorldVecEnv):
    """C copies of level-based foraging on the shared grid-world skeleton (items = food)."""

    config: ForagingConfig
    render_kind = "foraging"
    item_name = "food"
    copy_fields = GridWorldVecEnv.copy_fields + ("_agent_level", "_food_level",
                                                 "_total_food_level", "_collected_now")
    n_own_features = 1  # own level

    def __init__(self, config: ForagingConfig | None = None, n_envs: int = 1) -> None:
        super().__init__(config if config is not None else ForagingConfig(), n_envs)
        cfg = self.config
        n, f = cfg.n_agents, cfg.n_food
        self.info = self._grid_info(SCOPE, ACTION_NAMES, state_dim=3 * n + 3 * f,
                                    solved_return=0.9, optimal_return=1.0)
        rc = self._grid.to_rc(self._free_cells)  # (M, 2)
        interior = ((rc > 0) & (rc < cfg.grid_size - 1)).all(axis=1)
        self._interior_cells = self._free_cells[interior]  # (M',)
        self._agent_level = np.ones((self.n_envs, n), dtype=np.int64)  # (C, N)
        self._food_level = np.ones((self.n_envs, f), dtype=np.int64)  # (C, F)
        self._total_food_level = np.ones(self.n_envs, dtype=np.float64)  # (C,)
        self._collected_now = np.zeros((self.n_envs, f), dtype=bool)  # (C, F)

    def set_layout(self, copy: int, agents: np.ndarray, agent_levels: np.ndarray,
                   food: np.ndarray, food_levels: np.ndarray,
                   food_alive: np.ndarray | None = None) -> TimeStep:
        """Place one copy's agents and food by hand (tutorials, unit tests).

        agents (N, 2), food (F, 2) as in-grid (row, col), distinct cells; levels >= 1. The
        reward normaliser becomes the sum of the given food levels. Step counter and done
        flags are left alone. Solvability is the caller's business here.
        """
        c = self._begin_layout(copy)
        cfg = self.config
        a = np.asarray(agents, dtype=np.int64)
        fo = np.asarray(food, dtype=np.int64)
        al = np.asarray(agent_levels, dtype=np.int64)
        fl = np.asarray(food_levels, dtype=np.int64)
        n, f = cfg.n_agents, cfg.n_food
        if a.shape != (n, 2) or fo.shape != (f, 2) or al.shape != (n,) or fl.shape != (f,):
            raise ValueError(f"need agents ({n}, 2), agent_levels ({n},), food ({f}, 2), "
                             f"food_levels ({f},)")
        if (al < 1).any() or (al > cfg.max_agent_level).any():
            raise ValueError(f"agent levels must be in 1..{cfg.max_agent_level}")
        if (fl < 1).any() or (fl > cfg.max_food_level).any():
            raise ValueError(f"food levels must be in 1..{cfg.max_food_level}")
        self._place(c, a, fo, self._alive_mask(food_alive))
        self._agent_level[c] = al
        self._food_level[c] = fl
        self._total_food_level[c] = float(fl.sum())
        return self._timestep(np.zeros(self.n_envs, dtype=np.float32))

    # ------------------------------------------------------------------ rules ------------
    def _item_count(self) -> int:
        return self.config.n_food

    def _reset_copy(self, c: int, rng: np.random.Generator) -> None:
        """Draw levels and a solvable, well-spaced layout (see the module docstring)."""
        cfg = self.config
        levels = rng.integers(1, cfg.max_agent_level + 1, size=cfg.n_agents)
        top = int(np.sort(levels)[::-1][:4].sum())
        strongest = int(levels.max())
        food_levels = np.empty(cfg.n_food, dtype=np.int64)
        n_coop = cfg.n_coop_food
        food_levels[:n_coop] = rng.integers(strongest + 1, top + 1, size=n_coop)
        food_levels[n_coop:] = rng.integers(1, strongest + 1, size=cfg.n_food - n_coop)
        rng.shuffle(food_levels)  # so a food item's index says nothing about its level
        food = self._place_food(rng)
        self._agent_pos[c] = self._place_agents(rng, food)
        self._agent_level[c] = levels
        self._item_pos[c] = food
        self._food_level[c] = food_levels
        self._total_food_level[c] = float(food_levels.sum())

    def _place_food(self, rng: np.random.Generator) -> np.ndarray:
        """(F,) flat cells for food: interior, pairwise not 8-adjacent (see max_food_capacity)."""
        candidates = self._interior_cells
        chosen: list[int] = []
        width = self._grid.padded_width
        for _ in range(self.config.n_food):
            cell = int(rng.choice(candidates))
            chosen.append(cell)
            # rule out every candidate within one row and one column of `cell`
            near = ((np.abs(candidates // width - cell // width) <= 1)
                    & (np.abs(candidates % width - cell % width) <= 1))
            candidates = candidates[~near]
        return np.array(chosen, dtype=np.int64)

    def _clear_events(self, copies: int | slice) -> None:
        self._collected_now[copies] = False

    def _interact(self, acting: np.ndarray, adjacent: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Loads (step 1): food goes when its adjacent loaders' levels add up to its own."""
        power = ((adjacent & acting[:, :, None]) * self._agent_level[:, :, None]).sum(axis=1)
        collected = self._item_alive & (power >= self._food_level)  # (C, F)
        self._item_alive &= ~collected
        self._collected_now = collected
        reward = (collected * self._food_level).sum(axis=1) / self._total_food_level  # (C,)
        return reward, ~self._item_alive.any(axis=1)

    def _marks(self) -> tuple[np.ndarray, np.ndarray]:
        """Channel 1 shows agent level / max_agent_level, channel 2 food level / max."""
        cfg = self.config
        return (self._agent_level / cfg.max_agent_level,  # (C, N)
                self._food_level / cfg.max_food_level)  # (C, F)

    def _own_features(self) -> np.ndarray:
        return (self._agent_level / self.config.max_agent_level)[:, :, None]  # (C, N, 1)

    def _fill_state(self, rest: np.ndarray) -> None:
        """(C, N + 3F): agent levels, food normalised (row, col), food levels (both zeroed
        once collected)."""
        cfg = self.config
        n, f = cfg.n_agents, cfg.n_food
        rest[:, :n] = self._agent_level / cfg.max_agent_level
        rest[:, n:n + 2 * f] = self._item_rc().reshape(self.n_envs, 2 * f)
        rest[:, n + 2 * f:] = self._food_level / cfg.max_food_level * self._item_alive

    def _scenario_snapshot(self, c: int) -> dict[str, Any]:
        return {
            "agent_levels": self._agent_level[c].copy(),  # (N,) int64
            "food": self._grid.to_rc(self._item_pos[c]),  # (F, 2) int64
            "food_levels": self._food_level[c].copy(),  # (F,) int64
            "food_alive": self._item_alive[c].copy(),  # (F,) bool
            "collected_now": self._collected_now[c].copy(),  # (F,) bool
        }
