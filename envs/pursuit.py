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
from envs.base import EnvInfo, TimeStep, VecEnv

SCOPE = "pursuit"
ACTION_NAMES = MOVE_NAMES + ("catch",)
CATCH = 5
N_CHANNELS = 3


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


class PursuitVecEnv(VecEnv):
    """C copies of pursuit, vectorised over copies (small loops over agents/prey only)."""

    render_kind = "pursuit"

    config: PursuitConfig

    def __init__(self, config: PursuitConfig | None = None, n_envs: int = 1) -> None:
        config = config if config is not None else PursuitConfig()
        super().__init__(config, n_envs)
        cfg = self.config
        n, p, r = cfg.n_agents, cfg.n_prey, cfg.view_radius
        self._grid = PaddedGrid(cfg.wall_array(), pad=r)
        k = 2 * r + 1
        self._patch_len = k * k
        best = p * float(cfg.capture_reward)
        self.info = EnvInfo(
            name=SCOPE, n_agents=n, n_actions=len(ACTION_NAMES),
            obs_dim=N_CHANNELS * k * k + 2, state_dim=2 * n + 3 * p,
            episode_limit=cfg.episode_limit, action_names=ACTION_NAMES,
            solved_return=0.9 * best - cfg.episode_limit * float(cfg.step_cost),
            optimal_return=best if cfg.step_cost == 0 else None)
        g = self._grid
        self._rows = np.arange(self.n_envs)  # (C,)
        self._patch_offsets = g.patch_offsets(r)  # (K*K,)
        centre = self._patch_len // 2
        self._centre = centre
        self._nbr_patch = np.array([centre - k, centre + k, centre - 1, centre + 1])  # (4,)
        self._channel_idx = np.arange(N_CHANNELS)[None, None, :, None]  # (1, 1, 3, 1)
        free = g.free_cells()
        self._free_cells = free  # (M,)
        self._prey_cells = free[g.open_neighbour_count()[free] >= cfg.catch_agents_required]
        # Observation planes, (C, 3, padded cells): channel 0 never changes.
        self._planes = np.zeros((self.n_envs, N_CHANNELS, g.size), dtype=np.float32)
        self._planes[:, 0, :] = g.blocked
        self._agent_pos = np.zeros((self.n_envs, n), dtype=np.int64)  # (C, N) flat
        self._prey_pos = np.zeros((self.n_envs, p), dtype=np.int64)  # (C, P) flat, last seen
        self._prey_alive = np.zeros((self.n_envs, p), dtype=bool)  # (C, P)
        self._captured_now = np.zeros((self.n_envs, p), dtype=bool)  # (C, P)
        self._failed_catch = np.zeros((self.n_envs, n), dtype=bool)  # (C, N)
        self._prey_draws = np.zeros((self.n_envs, cfg.episode_limit, 2, p))  # (C, T, 2, P)
        self._norm_rc = g.normalised_rc(np.arange(g.size))  # (cells, 2) lookup table
        self._blocked_tiled = np.tile(g.blocked, (self.n_envs, 1))  # (C, cells)

    # ------------------------------------------------------------------ API --------------
    def reset(self, seed: int | None = None) -> TimeStep:
        """Place agents and prey uniformly at random on distinct free cells, per copy.

        Prey start only on cells with at least `catch_agents_required` open neighbours so
        every prey is catchable from the first step.
        """
        rngs = self._begin_reset(seed)
        n, p = self.config.n_agents, self.config.n_prey
        for c, rng in enumerate(rngs):
            prey = rng.choice(self._prey_cells, size=p, replace=False)
            others = np.setdiff1d(self._free_cells, prey, assume_unique=True)
            agents = rng.choice(others, size=n, replace=False)
            self._prey_pos[c] = prey
            self._agent_pos[c] = agents
            # Pre-drawing the episode's prey randomness costs one call per copy here instead
            # of one per copy per step, and keeps each copy's stream its own.
            self._prey_draws[c] = rng.random((self.info.episode_limit, 2, p))
        self._prey_alive[:] = True
        self._captured_now[:] = False
        self._failed_catch[:] = False
        return self._timestep(np.zeros(self.n_envs, dtype=np.float32))

    def step(self, actions: np.ndarray) -> TimeStep:
        """One lock-step of every live copy; see the module docstring for the step order."""
        acts = self._check_actions(actions)  # (C, N)
        cfg = self.config
        g = self._grid
        live = ~self.done  # (C,)
        rows = self._rows

        # 1. Captures from start-of-step positions.
        catching = (acts == CATCH) & live[:, None]  # (C, N)
        d = np.abs(self._agent_pos[:, :, None] - self._prey_pos[:, None, :])  # (C, N, P)
        adj = ((d == 1) | (d == g.padded_width)) & self._prey_alive[:, None, :]  # (C, N, P)
        strikes = adj & catching[:, :, None]  # (C, N, P)
        captured = strikes.sum(axis=1) >= cfg.catch_agents_required  # (C, P)
        captured &= self._prey_alive
        catch_ok = (strikes & captured[:, None, :]).any(axis=2)  # (C, N)
        failed = catching & adj.any(axis=2) & ~catch_ok  # (C, N)
        self._prey_alive &= ~captured
        self._captured_now = captured
        self._failed_catch = failed
        n_captured = captured.sum(axis=1)  # (C,)
        reward = (cfg.capture_reward * n_captured
                  - cfg.miscoordination_penalty * failed.sum(axis=1)
                  - cfg.step_cost)  # (C,)
        terminated_now = ~self._prey_alive.any(axis=1)  # (C,)

        # 2. Agent moves, blocked by anything occupied at the start of the move.
        prey_eff = np.where(self._prey_alive, self._prey_pos, g.sentinel)  # (C, P)
        occupied = self._blocked_tiled.copy()  # (C, cells)
        occupied[rows[:, None], self._agent_pos] = True
        occupied[rows[:, None], prey_eff] = True
        moving = live[:, None] & (acts >= 1) & (acts <= 4)  # (C, N)
        move_simultaneously(self._agent_pos, occupied, moving,
                            self._agent_pos + g.move_offsets[np.minimum(acts, 4)])

        # 3. Prey moves (randomness pre-drawn per copy at reset; done copies skip).
        if cfg.prey_move_prob > 0:
            self._move_prey(live & ~terminated_now, occupied)

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
            "prey": g.to_rc(self._prey_pos[c]),  # (P, 2) int64, last position if captured
            "prey_alive": self._prey_alive[c].copy(),  # (P,) bool
            "captured_now": self._captured_now[c].copy(),  # (P,) bool: captured last step
            "failed_catch": self._failed_catch[c].copy(),  # (N,) bool: penalised last step
            "catch_agents_required": int(self.config.catch_agents_required),
        })
        return snap

    def set_layout(self, copy: int, agents: np.ndarray, prey: np.ndarray,
                   prey_alive: np.ndarray | None = None) -> TimeStep:
        """Place one copy's agents and prey by hand, e.g. for a tutorial or a unit test.

        agents (N, 2), prey (P, 2) as in-grid (row, col); cells must be distinct and free.
        The copy's step counter and done flags are left alone. Returns the TimeStep of all
        copies as they now are (reward 0).
        """
        if not self._has_reset:
            raise RuntimeError("call reset() before set_layout()")
        c = self._check_copy(copy)
        g = self._grid
        n, p = self.config.n_agents, self.config.n_prey
        a = np.asarray(agents, dtype=np.int64)
        q = np.asarray(prey, dtype=np.int64)
        if a.shape != (n, 2) or q.shape != (p, 2):
            raise ValueError(f"agents must be ({n}, 2) and prey ({p}, 2)")
        alive = (np.ones(p, dtype=bool) if prey_alive is None
                 else np.asarray(prey_alive, dtype=bool).reshape(p))
        cells = np.concatenate([a, q[alive]])
        if ((cells < 0) | (cells >= (g.height, g.width))).any():
            raise ValueError("positions must lie inside the grid")
        flat = g.to_flat(cells)
        if g.blocked[flat].any() or len(np.unique(flat)) != len(flat):
            raise ValueError("positions must be distinct non-wall cells")
        self._agent_pos[c] = g.to_flat(a)
        self._prey_pos[c] = g.to_flat(q)
        self._prey_alive[c] = alive
        self._captured_now[c] = False
        self._failed_catch[c] = False
        return self._timestep(np.zeros(self.n_envs, dtype=np.float32))

    # ------------------------------------------------------------------ internals --------
    def _move_prey(self, movers: np.ndarray, occupied: np.ndarray) -> None:
        """Random prey motion for copies in `movers` (C,); updates positions in place."""
        draws = self._prey_draws[self._rows, np.minimum(self._t, self.info.episode_limit - 1)]
        # draws: (C, 2, P) uniforms [move?, direction] for this step of each copy's episode
        wants = (movers[:, None] & self._prey_alive
                 & (draws[:, 0] < self.config.prey_move_prob))  # (C, P)
        direction = np.minimum((draws[:, 1] * 4).astype(np.int64), 3)  # (C, P) in 0..3
        # Captured prey are parked on the (always blocked) sentinel while moving so that
        # their last position does not turn into a phantom obstacle.
        pos = np.where(self._prey_alive, self._prey_pos, self._grid.sentinel)  # (C, P)
        targets = pos + self._grid.neighbour_offsets[direction]  # (C, P)
        move_simultaneously(pos, occupied, wants, targets)
        self._prey_pos = np.where(self._prey_alive, pos, self._prey_pos)

    def _timestep(self, reward: np.ndarray) -> TimeStep:
        """Observations, state and masks of every copy from the current positions."""
        g = self._grid
        c, n = self.n_envs, self.config.n_agents
        kk = self._patch_len
        rows = self._rows[:, None]
        planes = self._planes  # (C, 3, cells)
        planes[:, 1:, :] = 0.0
        planes[rows, 1, self._agent_pos] = 1.0
        prey_eff = np.where(self._prey_alive, self._prey_pos, g.sentinel)  # (C, P)
        planes[rows, 2, prey_eff] = 1.0
        planes[:, 2, g.sentinel] = 0.0  # captured prey parked on the sentinel are invisible
        idx = self._agent_pos[:, :, None, None] + self._patch_offsets  # (C, N, 1, K*K)
        patches = planes[self._rows[:, None, None, None], self._channel_idx, idx]  # (C,N,3,KK)

        obs = np.empty((c, n, self.info.obs_dim), dtype=np.float32)  # (C, N, obs_dim)
        obs[:, :, :N_CHANNELS * kk] = patches.reshape(c, n, N_CHANNELS * kk)
        obs[:, :, kk + self._centre] = 0.0  # an agent is not "another agent" to itself
        agent_rc = self._norm_rc[self._agent_pos]  # (C, N, 2)
        obs[:, :, -2:] = agent_rc

        avail = np.ones((c, n, self.info.n_actions), dtype=bool)  # (C, N, A)
        nbr = patches[:, :, :, self._nbr_patch]  # (C, N, 3, 4) up, down, left, right
        avail[:, :, 1:5] = ~(nbr > 0.0).any(axis=2)  # no wall, agent or prey there
        avail[:, :, CATCH] = (nbr[:, :, 2] > 0.0).any(axis=2)

        p = self.config.n_prey
        state = np.empty((c, self.info.state_dim), dtype=np.float32)  # (C, state_dim)
        state[:, :2 * n] = agent_rc.reshape(c, 2 * n)
        prey_rc = self._norm_rc[self._prey_pos] * self._prey_alive[:, :, None]  # (C, P, 2)
        state[:, 2 * n:2 * n + 2 * p] = prey_rc.reshape(c, 2 * p)
        state[:, 2 * n + 2 * p:] = ~self._prey_alive
        return TimeStep(
            obs=obs, state=state, avail_actions=avail,
            reward=np.asarray(reward, dtype=np.float32).copy(),
            terminated=self._terminated.copy(), truncated=self._truncated.copy(),
            active=np.ones((c, n), dtype=bool))
