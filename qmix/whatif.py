"""What-if on a paused run: move an agent or an item by hand and see every number recompute;
the value map (Q_tot if one agent stood on each cell) and the mixer surface (Q_tot over two
agents' Q-values). No Qt, no TensorFlow: NumPy through the weights that act.

    wi = WhatIf.from_trainer(trainer)        # the decision on screen (copy 0, its step t)
    ins = wi.move("agent", 1, (2, 3))        # -> Inspection of the moved state
    wi.value_map(1, "q_tot")                 # (H, W), NaN where agent 1 cannot stand
    grid, q_i, q_j = wi.mixer_surface(0, 1)  # (K, K) Q_tot, row = agent 0's Q
    wi.undo(); wi.restore()

What it works on: a one-copy clone of the training env's copy 0 (`envs/placement.py`
`clone_copy`), the rollout's GRU hidden state and last actions of that copy, the NumPy
actor's agent weights and the mixer copied with them (the ones that made the decision on
screen, as the window's inspector shows: `qmix/inspection.py`), the run's input normalisers
(copied) and reward scale. So a what-if can never change the run: no RNG draw, no counter,
no buffer write, no normaliser update, and the run's env is never written (tests check all
of it bit-for-bit). A what-if made while the run trains on keeps the weights it began with.

In a moved state nobody flips an exploration coin (that would draw from the run's RNG): the
chosen joint action is the greedy one. In the real state (nothing moved, or everything
moved back) the inspection is exactly the run's decision on screen, explored actions and all.
Values are in the world's reward units (x the reward scale sigma, as `Trainer.inspect`).

Value map: for each cell the agent could stand on (the others fixed, hidden state kept), the
inspection of that state: "q_tot" = Q_tot of its greedy joint action, "v" = the mixer's
V(s), "q_max" = the agent's own max Q over its available actions. At the agent's real cell
the entry is the real decision's greedy Q_tot.

Mixer surface: at the current state, Q_tot with agent i's and j's Q-values swept over the
range their available actions' Qs span (the others at their chosen actions' values), in
float64 with a fixed summation order so that QMIX's monotonicity is exact on the grid (its
mixing weights are >= 0); for VDN and IQL Q_tot is the sum, a plane of slope 1.
"""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass
from typing import Any

import numpy as np

import envs
from envs.placement import no_whatif, supports_whatif
from qmix.actor import NumpyAgent
from qmix.config import Config
from qmix.inspection import NumpyMixer, inspect_decision
from qmix.types import Decision, Inspection, Snapshot

VALUE_KINDS = ("q_tot", "v", "q_max")
"""What a value map shows: Q_tot of the greedy joint action, V(s), the agent's own max Q."""


class WhatIfError(ValueError):
    """A what-if that cannot start or cannot do what was asked (one line)."""


@dataclass
class _Real:
    """The real decision a what-if starts from (network units, as the actor computed it)."""

    q: np.ndarray  # (N, A)
    chosen: np.ndarray  # (N,)
    greedy: np.ndarray  # (N,)
    explored: np.ndarray  # (N,) bool
    epsilon: float


class FixedCopy:
    """One env copy of a world whose agents and items cannot be moved by hand (two_step,
    `pz:`, `gym:`), as it is now: its observations, state, available actions and picture,
    so that a what-if can still read it (the inspection, the mixer surface). Every move is
    refused with the world's own `envs.NoWhatIf` line."""

    def __init__(self, env: envs.VecEnv, copy: int, ts: envs.TimeStep) -> None:
        self.info = env.info
        self.why = no_whatif(env)
        self._obs = np.array(ts.obs[copy], copy=True)
        self._state = np.array(ts.state[copy], copy=True)
        self._avail = np.array(ts.avail_actions[copy], copy=True)
        self._frame = _copy.deepcopy(env.snapshot(copy))
        self.t = np.array([int(env.t[copy])])

    def copy_state(self, _copy_index: int) -> dict[str, Any]:
        return {}  # nothing here can change

    def set_copy_state(self, _copy_index: int, _state: dict[str, Any]) -> None:
        pass

    def observe(self, _copy_index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._obs.copy(), self._state.copy(), self._avail.copy()

    def snapshot(self, _copy_index: int = 0) -> dict[str, Any]:
        return _copy.deepcopy(self._frame)

    def move(self, *_args: Any) -> None:
        raise self.why

    positions = standable_cells = move


class WhatIf:
    """A what-if over one decision; see the module docstring. Not thread-safe: call it from
    the thread that owns the trainer (the app's worker)."""

    def __init__(self, env: envs.VecEnv, copy: int, hidden: np.ndarray,
                 last_actions: np.ndarray, config: Config, agent_weights: dict[str, np.ndarray],
                 mixer_weights: dict[str, np.ndarray], obs_norm: Any, state_norm: Any,
                 sigma: float, weights_updates: int, real: _Real | None = None,
                 counters: dict[str, Any] | None = None) -> None:
        if not isinstance(env, FixedCopy) and not supports_whatif(env):
            raise WhatIfError(str(no_whatif(env)))
        self.config = config
        self.info = env.info
        # ours alone: the run's env is never written
        self.env = env if isinstance(env, FixedCopy) else env.clone_copy(copy)
        self.hidden = np.array(hidden, np.float32, copy=True)  # (N, H)
        self.last_actions = np.array(last_actions, np.int64, copy=True)  # (N,)
        self.actor = NumpyAgent(config, self.info.n_agents, self.info.n_actions)
        self.actor.set_weights(agent_weights)  # the dict the trainer acted with (never edited)
        self.mixer = NumpyMixer(config.algo, self.info.n_agents)
        self.mixer_w = mixer_weights
        self.obs_norm = _copy.deepcopy(obs_norm)
        self.state_norm = _copy.deepcopy(state_norm)
        self.sigma = float(sigma)
        self.weights_updates = int(weights_updates)
        self.counters = dict(counters or {})
        self._begin = self.env.copy_state(0)
        self._history: list[dict[str, Any]] = []
        self._real = real
        self._cache: dict[str, Any] = {}
        self.active = True

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_trainer(cls, trainer: Any, fixed_ok: bool = False) -> "WhatIf":
        """Over the decision on screen: copy 0 of the training env at the rollout's current
        step, with its hidden state, last actions and the weights that decided (the run is
        expected to be paused; nothing of it is changed or waited for).

        fixed_ok: a world whose things cannot be moved (two_step, pz:, gym:) gives a what-if
        that only reads (inspection, mixer surface; `FixedCopy`) instead of an error."""
        movable = supports_whatif(trainer.env)
        if not movable and not fixed_ok:
            raise WhatIfError(str(no_whatif(trainer.env)))
        ro = trainer._rollout
        if ro is None or ro.pending is None or ro.done[0]:
            raise WhatIfError("no decision on screen to ask 'what if' about (copy 0's episode "
                              "is over): step once to start the next one")
        p = ro.pending
        env = trainer.env if movable else FixedCopy(trainer.env, 0, ro.ts)
        real = _Real(q=np.array(p["q"][0], np.float32), chosen=p["actions"][0].copy(),
                     greedy=p["greedy"][0].copy(), explored=p["explored"][0].copy(),
                     epsilon=float(p["epsilon"]))
        return cls(env, 0, ro.hidden[0], ro.last_actions[0], trainer.config,
                   trainer.actor.w, p["mixer"], trainer.obs_norm, trainer.state_norm,
                   trainer._scales(p, ro.ts.state[0])[1], p["weights_updates"], real,
                   _counters(trainer))

    @classmethod
    def from_greedy_episode(cls, trainer: Any, seed: int, at_step: int = 0,
                            fixed_ok: bool = False) -> "WhatIf":
        """Over step `at_step` of a greedy episode (epsilon 0) of a fresh one-copy env reset
        with `seed` (copy 0 of an evaluation round with that seed): the state `main.py
        inspect --value-map/--mixer-surface` reports. The run's envs and RNGs are untouched."""
        config = trainer.config
        env = envs.make(config.scenario, n_envs=1, **config.scenario_kwargs)
        movable = supports_whatif(env)
        if not movable and not fixed_ok:
            raise WhatIfError(str(no_whatif(env)))
        if isinstance(at_step, bool) or not isinstance(at_step, int) or at_step < 0:
            raise WhatIfError(f"--at-step must be an int >= 0, got {at_step!r}")
        n = trainer.info.n_agents
        ts = env.reset(seed=int(seed))
        hidden = np.zeros((1, n, config.hidden_dim), np.float32)
        last = np.full((1, n), -1, np.int64)
        actor = trainer.actor
        for t in range(at_step + 1):
            q, h_new = actor.forward(actor.inputs(trainer.obs_norm(ts.obs), last), hidden)
            greedy = np.where(ts.avail_actions, q, -np.inf).argmax(-1)
            if t == at_step:
                break
            ts = env.step(greedy)
            if ts.terminated[0] or ts.truncated[0]:
                raise WhatIfError(f"the greedy episode (seed {seed}) ended after {t + 1} steps, "
                                  f"before step {at_step}; choose an earlier --at-step")
            hidden, last = h_new, greedy
        real = _Real(q=q[0].astype(np.float32), chosen=greedy[0].copy(),
                     greedy=greedy[0].copy(), explored=np.zeros(n, bool), epsilon=0.0)
        if not movable:
            env = FixedCopy(env, 0, ts)
        return cls(env, 0, hidden[0], last[0], config, actor.w, trainer._acting_mixer,
                   trainer.obs_norm, trainer.state_norm, trainer.reward_scale,
                   trainer._acting_updates, real, _counters(trainer))

    # ------------------------------------------------------------------ editing
    def move(self, kind: str, index: int, cell: Any) -> Inspection:
        """Move agent / item `index` to `cell` (row, col) and return the new inspection.
        A refused move raises `envs.PlacementError` (one line); the state stays as it was."""
        self._check_active()
        before = self.env.copy_state(0)
        self.env.move(0, kind, index, tuple(int(v) for v in np.asarray(cell).reshape(2)))
        self._history.append(before)
        self._cache.clear()
        return self.inspection()

    def undo(self) -> Inspection:
        """Take back the last move (nothing to take back: nothing happens)."""
        self._check_active()
        if self._history:
            self.env.set_copy_state(0, self._history.pop())
            self._cache.clear()
        return self.inspection()

    @property
    def can_undo(self) -> bool:
        return bool(self._history)

    def restore(self) -> Inspection:
        """Back to the real state the what-if began with (all moves taken back)."""
        self._check_active()
        self.env.set_copy_state(0, self._begin)
        self._history.clear()
        self._cache.clear()
        return self.inspection()

    def end(self) -> None:
        """Leave the what-if: the clone is dropped; the run was never touched."""
        self._history.clear()
        self._cache.clear()
        self.active = False

    def is_real(self) -> bool:
        """True while the state is the real one (nothing moved, or all moved back)."""
        now = self.env.copy_state(0)
        return all(_same(now[k], self._begin[k]) for k in self._begin)

    # ------------------------------------------------------------------ reading
    def frame(self) -> dict[str, Any]:
        """The env snapshot dict of the what-if state, for the picture (envs/render)."""
        return self.env.snapshot(0)

    def positions(self) -> dict[str, np.ndarray]:
        """{"agents": (N, 2), "items": (P, 2), "items_alive": (P,)} of the what-if state."""
        return self.env.positions(0)

    def standable_cells(self, kind: str, index: int) -> np.ndarray:
        """(K, 2) cells the agent / item could be moved to (its own included)."""
        return self.env.standable_cells(0, kind, index)

    def decision(self) -> Decision:
        """The (greedy, in a moved state) decision of the what-if state."""
        return self._evaluate()[0]

    def inspection(self) -> Inspection:
        """Every agent's Q, the greedy joint action, Q_tot, V(s), credit of the state now."""
        return self._evaluate()[1]

    def snapshot(self) -> Snapshot:
        """A `Snapshot` of the what-if state for the window (frame, decision, inspection;
        the run's counters as they were at the what-if's start)."""
        decision, inspection = self._evaluate()
        frame = self.frame()
        c = self.counters
        return Snapshot(frame=frame, t=int(frame["t"]), episode_return=frame["episode_return"],
                        decision=decision, inspection=inspection, true_joint_values=None,
                        env_steps=c.get("env_steps", 0), episodes=c.get("episodes", 0),
                        updates=c.get("updates", 0), epsilon=c.get("epsilon", 0.0),
                        metrics=dict(c.get("metrics", {})), last_eval=c.get("last_eval"),
                        solved=bool(c.get("solved", False)), copies_running=1)

    def value_map(self, agent: int, what: str = "q_tot") -> np.ndarray:
        """(H, W) float64: `what` (VALUE_KINDS) if `agent` stood on each cell it could stand
        on, everything else as now; NaN on walls and on cells taken by others."""
        self._check_active()
        if isinstance(self.env, FixedCopy):
            raise WhatIfError(str(self.env.why))
        if what not in VALUE_KINDS:
            raise WhatIfError(f"a value map shows one of {', '.join(VALUE_KINDS)}, got {what!r}")
        maps = self._cache.get(("value_map", agent))
        if maps is None:
            maps = self._value_maps(agent)
            self._cache[("value_map", agent)] = maps
        return maps[what].copy()

    def agent_cell(self, agent: int) -> tuple[int, int]:
        """(row, col) of the agent in the what-if state."""
        self._check_agent(agent)
        row, col = self.env.positions(0)["agents"][agent]
        return int(row), int(col)

    def mixer_surface(self, i: int, j: int, k: int = 41
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(grid (K, K), q_i (K,), q_j (K,)): Q_tot at the state now with agent i's Q = q_i[r]
        and agent j's = q_j[c] (grid[r, c]), the others at their chosen actions' Q; the axes
        span each agent's available actions' Q-values, increasing. World units."""
        self._check_active()
        self._check_agent(i)
        self._check_agent(j)
        if i == j:
            raise WhatIfError("the mixer surface needs two different agents")
        if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= 1001:
            raise WhatIfError(f"the surface's resolution must be an int in 2..1001, got {k!r}")
        self._evaluate()
        q, avail, chosen, state = self._cache["now"][2]
        axes = []
        for a in (i, j):
            vals = q[a][avail[a]].astype(np.float64) * self.sigma
            lo, hi = float(vals.min()), float(vals.max())
            if hi - lo < 1e-6 * max(1.0, abs(hi)):  # one value: show a unit span around it
                lo, hi = lo - 0.5, hi + 0.5
            axes.append(np.linspace(lo, hi, k))
        q_i, q_j = axes
        base = q[np.arange(self.info.n_agents), chosen].astype(np.float64)  # network units
        qs = np.broadcast_to(base, (k, k, base.size)).copy()
        qs[:, :, i] = q_i[:, None] / self.sigma
        qs[:, :, j] = q_j[None, :] / self.sigma
        grid = self._mix64(qs.reshape(k * k, -1), state).reshape(k, k) * self.sigma
        return grid, q_i, q_j

    def mixer_point(self, i: int, j: int) -> tuple[float, float, float]:
        """(Q_i, Q_j, Q_tot) of the chosen joint action now: the surface's current point."""
        _, ins = self._evaluate()
        qi = float(ins.agent_qs[i, ins.chosen_actions[i]])
        qj = float(ins.agent_qs[j, ins.chosen_actions[j]])
        return qi, qj, float(ins.q_tot_chosen)

    # ------------------------------------------------------------------ internals
    def _check_active(self) -> None:
        if not self.active:
            raise WhatIfError("this what-if has ended")

    def _check_agent(self, agent: Any) -> None:
        n = self.info.n_agents
        if isinstance(agent, bool) or not isinstance(agent, (int, np.integer)) \
                or not 0 <= agent < n:
            raise WhatIfError(f"agent must be an int in 0..{n - 1}, got {agent!r}")

    def _evaluate(self, real: bool | None = None) -> tuple[Decision, Inspection]:
        """The decision and inspection of the state now (`real`: whether it is the real
        state, if the caller knows; else it is looked up)."""
        hit = self._cache.get("now")
        if hit is not None:
            return hit[0], hit[1]
        obs, state, avail = self.env.observe(0)
        if real is None:
            real = self.is_real()
        if self._real is not None and real:
            r = self._real
            q, chosen, greedy, explored, eps = r.q, r.chosen, r.greedy, r.explored, r.epsilon
        else:
            q = self._q(obs)
            greedy = np.where(avail, q, -np.inf).argmax(-1)
            chosen, explored, eps = greedy, np.zeros(self.info.n_agents, bool), 0.0
        t = int(self.env.t[0])
        norm_state = self.state_norm(state)
        ins = inspect_decision(self.mixer, self.mixer_w, q, avail, chosen, greedy, norm_state,
                               self.sigma, t, 0, self.weights_updates)
        dec = Decision(t=t, obs=obs, state=state, avail_actions=avail, actions=chosen.copy(),
                       greedy_actions=greedy.copy(), explored=explored.copy(), epsilon=eps,
                       agent_qs=(q * np.float32(self.sigma)).astype(np.float32),
                       weights_updates=self.weights_updates)
        self._cache["now"] = (dec, ins, (q, avail, chosen, norm_state))
        return dec, ins

    def _q(self, obs: np.ndarray) -> np.ndarray:
        """(N, A) agent Qs (network units) of raw obs (N, O), hidden state kept."""
        x = self.actor.inputs(self.obs_norm(obs[None]), self.last_actions[None])
        q, _ = self.actor.forward(x, self.hidden[None])
        return q[0]

    def _value_maps(self, agent: int) -> dict[str, np.ndarray]:
        self._check_agent(agent)
        h, w = self.env.snapshot(0)["grid_shape"]
        maps = {name: np.full((h, w), np.nan) for name in VALUE_KINDS}
        saved_state, saved_cache = self.env.copy_state(0), dict(self._cache)
        # the others stay put: a cell's state is the real one iff the agent's own cell is
        home = self.agent_cell(agent) if self.is_real() else None
        # each cell: a move and a full inspection, exactly as a separate what-if would do
        try:
            for row, col in self.env.standable_cells(0, "agent", agent):
                self.env.move(0, "agent", agent, (int(row), int(col)))
                self._cache.pop("now", None)
                dec, ins = self._evaluate(real=(int(row), int(col)) == home)
                maps["q_tot"][row, col] = ins.q_tot_greedy
                maps["v"][row, col] = ins.v_s
                maps["q_max"][row, col] = float(ins.agent_qs[agent][ins.avail_actions[agent]].max())
        finally:
            self.env.set_copy_state(0, saved_state)
            self._cache = saved_cache
        return maps

    def _mix64(self, qs: np.ndarray, state: np.ndarray) -> np.ndarray:
        """Q_tot (M,) of agent Qs (M, N) (network units) in float64, the summation order fixed
        per element so that nondecreasing inputs give nondecreasing outputs exactly."""
        if self.config.algo != "qmix":
            return qs.sum(-1)
        w = {k: v.astype(np.float64) for k, v in self.mixer_w.items()}
        w1, b1, wf, v = self.mixer._hyper(w, state.astype(np.float64))  # |W1| (N, E) >= 0
        pre = np.broadcast_to(b1, (qs.shape[0], b1.size)).copy()
        for a in range(qs.shape[1]):
            pre += qs[:, a, None] * w1[a]
        elu = np.where(pre > 0, pre, np.expm1(np.minimum(pre, 0.0)))
        out = np.full(qs.shape[0], float(v))
        for e in range(wf.size):
            out += elu[:, e] * wf[e]
        return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return np.array_equal(a, b)


def _counters(trainer: Any) -> dict[str, Any]:
    return {"env_steps": trainer.env_steps, "episodes": trainer.episodes,
            "updates": trainer.updates, "epsilon": trainer.epsilon,
            "metrics": dict(trainer.last_metrics), "last_eval": trainer.last_eval,
            "solved": trainer.solved}
