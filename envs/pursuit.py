"""Pursuit: cooperative predator-prey where a capture needs several predators at once.

The default QMIX Studio scenario, built to show credit assignment *quickly*: on a 6x6 grid,
3 predators hunt 2 prey for at most 25 steps. A prey is captured only when at least
`catch_agents_required` (2) predators standing 4-adjacent to it choose "catch" in the same
step (+`capture_reward`, 10). A predator that chooses "catch" next to prey but is not part of
a capture this step pays `miscoordination_penalty` (0.2). So the team must learn to *meet*
at a prey and strike *together*: a joint-action effect that per-agent learners see only
through noise.

Why the penalty matters (relative overgeneralisation): an independent learner (IQL), or a
VDN learner whose team value is a plain sum, judges "catch" by its *average* payoff over
what its partners happen to do. While partners still explore, a lone catch is usually
punished, so the averaged value of catching can drop below that of waiting, and the team
settles on a cautious joint policy that never captures (greedy return exactly 0). Raising
`miscoordination_penalty` strengthens this trap; 0 removes it. QMIX's state-conditioned
mixer can in principle represent "catch only when a partner is adjacent" better than a sum,
but the trap is set by *exploration*: once greedy partners stop catching, nobody sees the
joint payoff again, whatever the mixer.

Why the default is 0.2 and not larger -- measured with the Studio QMIX preset (seed 0 unless
noted) on a shared 2-core CPU: QMIX solved penalty 0 in 41 s, 0.2 in 36 s (seed 1: 28 s)
and 0.3 in 62 s, but stayed at greedy return 0 for 90 s (~270k steps) at 0.4, 0.5 and 1.0.
VDN solved 0.2 in 18 s and 0.4 in 44 s. So 0.2 keeps "don't strike alone" in the reward (a
visible mistake on screen) inside the one-minute budget; and at larger penalties whether a
run escapes the trap is a matter of seed and exploration, not a reliable QMIX-over-VDN
demonstration.

Step order (deterministic given the copy's RNG):
1. Captures are resolved from positions at the *start* of the step: an agent's "catch"
   counts for every uncaptured prey it is 4-adjacent to. Captured prey disappear.
2. Agents that did not choose "catch" move simultaneously. A move is *available* iff its
   target cell is inside the grid, not a wall, and not occupied by another agent or a prey
   when the agents decide; an unavailable action executed anyway is a no-op ("stay").
   Masking occupied cells (not only walls) is deliberate: under the rule below such a move
   could never succeed, and every useless action removed makes exploration cheaper.
   Movement rule: a move into a cell occupied at the start of the move is blocked (so no
   swaps and no following into a cell being vacated); if several agents move into the same
   free cell, the lowest-indexed one gets it and the others stay.
   "catch" is available only next to an uncaptured prey; executed anyway it is a no-op
   without penalty.
3. Each remaining prey, with probability `prey_move_prob`, picks one of the four
   directions uniformly and moves there by the same rule, after the agents (so never into
   a wall, an agent or another prey); otherwise it stays. A copy's prey randomness for the
   whole episode is drawn from its own generator at reset, so copies are independent and a
   seeded copy replays exactly.
4. Reward = capture_reward * captures - miscoordination_penalty * failed catchers
   - step_cost. `terminated` when every prey is captured; `truncated` at episode_limit.

Observation of an agent (partial, egocentric, radius r = `view_radius`, K = 2r+1):
three K x K channels, channel-major, row-major from the top-left of the patch --
[0] walls / out-of-bounds, [1] other agents (the agent itself is not marked),
[2] uncaptured prey -- then its own normalised (row/(H-1), col/(W-1)).
obs_dim = 3*K*K + 2 (77 for r = 2). Every entry is in [0, 1].

State (for the mixer): every agent's normalised (row, col), then every prey's normalised
(row, col) (zeroed once captured), then one captured flag per prey.
state_dim = 2*N + 3*P (12 for the defaults). Every entry is in [0, 1].

Return bounds and the solved threshold: with step_cost = 0 the best return is
n_prey * capture_reward (20 by default), reachable in practice on the default map within 25
steps (the predators outnumber the prey and corner cells still have the 2 open neighbours a
capture needs). `solved_return` = 0.9 * n_prey * capture_reward - episode_limit *
step_cost (18 by default): the greedy team must, on average, capture ~90% of the prey with
few wasted catches even if it pays the step cost for the whole episode. 90% rather than 100%
because random prey motion occasionally lets a prey slip away near the time limit even
from a good team, and a few miscoordinated catches should not cost the "solved" badge. (A
scripted "all chase the same prey, strike when two are adjacent" team averages ~19.4.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from envs._checks import check_float, check_int
from envs._grid import MOVE_NAMES, PaddedGrid, move_simultaneously, parse_wall_map
from envs.base import TimeStep
from envs.grid_world import INTERACT, GridWorldVecEnv

SCOPE = "pursuit"
ACTION_NAMES = MOVE_NAMES + ("catch",)
CATCH = INTERACT


@dataclass
class PursuitConfig:
    """Knobs of the pursuit scenario; the defaults are tuned to learn within about a minute."""

    grid_size: int = 6
    """side of the square grid, in cells"""
    n_agents: int = 3
    """number of predators (the learning agents)"""
    n_prey: int = 2
    """number of prey to capture"""
    walls: list[str] | None = None
    """optional grid_size x grid_size map, one string per row, '#' = wall, '.' = free"""
    episode_limit: int = 25
    """max steps per episode (the episode is truncated there)"""
    view_radius: int = 2
    """an agent sees the (2r+1) x (2r+1) square of cells centred on itself"""
    catch_agents_required: int = 2
    """adjacent agents that must choose 'catch' in the same step to capture a prey"""
    capture_reward: float = 10.0
    """team reward per captured prey"""
    miscoordination_penalty: float = 0.2
    """cost per agent whose 'catch' captured nothing this step (higher = harsher trap)"""
    step_cost: float = 0.0
    """team cost per step, to reward fast captures"""
    prey_move_prob: float = 0.3
    """per-step probability that a prey tries to move to a random neighbouring cell"""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        check_int(SCOPE, "grid_size", self.grid_size, minimum=3, maximum=64)
        check_int(SCOPE, "n_agents", self.n_agents, minimum=1, maximum=32)
        check_int(SCOPE, "n_prey", self.n_prey, minimum=1, maximum=32)
        check_int(SCOPE, "episode_limit", self.episode_limit, minimum=1, maximum=100_000)
        check_int(SCOPE, "view_radius", self.view_radius, minimum=1, maximum=10)
        check_int(SCOPE, "catch_agents_required", self.catch_agents_required, minimum=1,
                  maximum=4)
        if self.catch_agents_required > self.n_agents:
            raise ValueError(f"{SCOPE}.catch_agents_required ({self.catch_agents_required}) "
                             f"must be <= n_agents ({self.n_agents})")
        check_float(SCOPE, "capture_reward", self.capture_reward, minimum=0.0)
        check_float(SCOPE, "miscoordination_penalty", self.miscoordination_penalty, minimum=0.0)
        check_float(SCOPE, "step_cost", self.step_cost, minimum=0.0)
        check_float(SCOPE, "prey_move_prob", self.prey_move_prob, minimum=0.0, maximum=1.0)
        walls = self.wall_array()
        grid = PaddedGrid(walls, 1)
        free = int((~walls).sum())
        size = f"{self.grid_size}x{self.grid_size}"
        if self.n_agents + self.n_prey > free:
            raise ValueError(
                f"grid too small: {size} grid with {free} free cells cannot hold "
                f"{self.n_agents} agents + {self.n_prey} prey ({SCOPE}.n_agents + n_prey)")
        prey_ok = int((grid.open_neighbour_count()[grid.free_cells()]
                       >= self.catch_agents_required).sum())
        if prey_ok < self.n_prey:
            raise ValueError(
                f"{SCOPE}.walls leave only {prey_ok} cells with >= catch_agents_required "
                f"({self.catch_agents_required}) open neighbours, fewer than n_prey "
                f"({self.n_prey})")

    def wall_array(self) -> np.ndarray:
        """(H, W) bool wall mask from `walls` (all False when no map is given)."""
        if self.walls is None:
            return np.zeros((self.grid_size, self.grid_size), dtype=bool)
        return parse_wall_map(self.walls, SCOPE, self.grid_size)


class PursuitVecEnv(GridWorldVecEnv):
    """C copies of pursuit: the rules above on the shared grid-world skeleton (items = prey)."""

    render_kind = "pursuit"
    item_name = "prey"
    copy_fields = GridWorldVecEnv.copy_fields + ("_captured_now", "_failed_catch",
                                                 "_prey_draws")

    config: PursuitConfig

    def __init__(self, config: PursuitConfig | None = None, n_envs: int = 1) -> None:
        super().__init__(config if config is not None else PursuitConfig(), n_envs)
        cfg = self.config
        n, p = cfg.n_agents, cfg.n_prey
        best = p * float(cfg.capture_reward)
        self.info = self._grid_info(
            SCOPE, ACTION_NAMES, state_dim=2 * n + 3 * p,
            solved_return=0.9 * best - cfg.episode_limit * float(cfg.step_cost),
            optimal_return=best if cfg.step_cost == 0 else None)
        g = self._grid
        free = self._free_cells
        self._prey_cells = free[g.open_neighbour_count()[free] >= cfg.catch_agents_required]
        self._captured_now = np.zeros((self.n_envs, p), dtype=bool)  # (C, P)
        self._failed_catch = np.zeros((self.n_envs, n), dtype=bool)  # (C, N)
        self._prey_draws = np.zeros((self.n_envs, cfg.episode_limit, 2, p))  # (C, T, 2, P)

    def set_layout(self, copy: int, agents: np.ndarray, prey: np.ndarray,
                   prey_alive: np.ndarray | None = None) -> TimeStep:
        """Place one copy's agents and prey by hand, e.g. for a tutorial or a unit test.

        agents (N, 2), prey (P, 2) as in-grid (row, col); cells must be distinct and free.
        The copy's step counter and done flags are left alone. Returns the TimeStep of all
        copies as they now are (reward 0).
        """
        c = self._begin_layout(copy)
        n, p = self.config.n_agents, self.config.n_prey
        a = np.asarray(agents, dtype=np.int64)
        q = np.asarray(prey, dtype=np.int64)
        if a.shape != (n, 2) or q.shape != (p, 2):
            raise ValueError(f"agents must be ({n}, 2) and prey ({p}, 2)")
        self._place(c, a, q, self._alive_mask(prey_alive), cells="non-wall cells")
        return self._timestep(np.zeros(self.n_envs, dtype=np.float32))

    # ------------------------------------------------------------------ rules ------------
    def _wall_map(self) -> np.ndarray:
        return self.config.wall_array()

    def _item_count(self) -> int:
        return self.config.n_prey

    def _reset_copy(self, c: int, rng: np.random.Generator) -> None:
        """Place agents and prey uniformly at random on distinct free cells.

        Prey start only on cells with at least `catch_agents_required` open neighbours so
        every prey is catchable from the first step.
        """
        prey = rng.choice(self._prey_cells, size=self.config.n_prey, replace=False)
        self._item_pos[c] = prey
        self._agent_pos[c] = self._place_agents(rng, prey)
        # Pre-drawing the episode's prey randomness costs one call per copy here instead
        # of one per copy per step, and keeps each copy's stream its own.
        self._prey_draws[c] = rng.random((self.info.episode_limit, 2, self.config.n_prey))

    def _clear_events(self, copies: int | slice) -> None:
        self._captured_now[copies] = False
        self._failed_catch[copies] = False

    def _interact(self, acting: np.ndarray, adjacent: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Captures (step 1): enough adjacent catchers at once; lone catchers pay."""
        cfg = self.config
        strikes = adjacent & acting[:, :, None]  # (C, N, P)
        captured = strikes.sum(axis=1) >= cfg.catch_agents_required  # (C, P)
        captured &= self._item_alive
        catch_ok = (strikes & captured[:, None, :]).any(axis=2)  # (C, N)
        failed = acting & adjacent.any(axis=2) & ~catch_ok  # (C, N)
        self._item_alive &= ~captured
        self._captured_now = captured
        self._failed_catch = failed
        reward = (cfg.capture_reward * captured.sum(axis=1)
                  - cfg.miscoordination_penalty * failed.sum(axis=1)
                  - cfg.step_cost)  # (C,)
        return reward, ~self._item_alive.any(axis=1)

    def _move_others(self, movers: np.ndarray, occupied: np.ndarray) -> None:
        """Random prey motion (step 3) for copies in `movers` (C,), after the agents."""
        if self.config.prey_move_prob <= 0:  # validated >= 0: no prey ever moves
            return
        draws = self._prey_draws[self._rows, np.minimum(self._t, self.info.episode_limit - 1)]
        # draws: (C, 2, P) uniforms [move?, direction] for this step of each copy's episode
        wants = (movers[:, None] & self._item_alive
                 & (draws[:, 0] < self.config.prey_move_prob))  # (C, P)
        direction = np.minimum((draws[:, 1] * 4).astype(np.int64), 3)  # (C, P) in 0..3
        # Captured prey are parked on the (always blocked) sentinel while moving so that
        # their last position does not turn into a phantom obstacle.
        pos = self._live_items()  # (C, P)
        targets = pos + self._grid.neighbour_offsets[direction]  # (C, P)
        move_simultaneously(pos, occupied, wants, targets)
        self._item_pos = np.where(self._item_alive, pos, self._item_pos)

    def _fill_state(self, rest: np.ndarray) -> None:
        """(C, 3P): every prey's normalised (row, col), zeroed once captured, then the
        captured flags."""
        p = self.config.n_prey
        rest[:, :2 * p] = self._item_rc().reshape(self.n_envs, 2 * p)
        rest[:, 2 * p:] = ~self._item_alive

    def _scenario_snapshot(self, c: int) -> dict[str, Any]:
        return {
            "prey": self._grid.to_rc(self._item_pos[c]),  # (P, 2) int64, last position
            "prey_alive": self._item_alive[c].copy(),  # (P,) bool
            "captured_now": self._captured_now[c].copy(),  # (P,) bool: captured last step
            "failed_catch": self._failed_catch[c].copy(),  # (N,) bool: penalised last step
            "catch_agents_required": int(self.config.catch_agents_required),
        }
