"""The two-step cooperative matrix game of the QMIX paper (Rashid et al., ICML 2018, §5).

Why it is here: it is the smallest problem on which value factorisation visibly matters.
In state 1 only agent 0's action counts: action 0 leads to state 2A, action 1 to 2B (reward
0). In 2A every joint action pays 7; in 2B the payoff is [[0, 1], [1, 8]] (row = agent 0's
action, column = agent 1's). Then the episode ends. The optimum is 1 -> 2B -> (1, 1) = 8,
but VDN, whose Q_tot is a *sum* of per-agent values, cannot represent 2B's payoff well enough
to prefer it and settles for the safe 7; QMIX's monotonic (state-conditioned) mixing can, and
learns 8. Because `true_joint_values` gives the exact table, the GUI can show the learnt
Q_tot table beside the truth.

Observation and state are both the one-hot of the current state (1, 2A, 2B): obs_dim =
state_dim = 3. Both actions are always available. episode_limit is 2 and every episode
*terminates* at step 2, so `truncated` is never set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from envs._checks import check_float
from envs.base import EnvInfo, TimeStep, VecEnv

SCOPE = "two_step"
STATE_NAMES = ("1", "2A", "2B")
"""Display names of the three states, in one-hot order."""


@dataclass
class TwoStepConfig:
    """Payoffs of the two-step game; the defaults are the paper's."""

    payoff_2a: float = 7.0
    """reward of every joint action in state 2A (the 'safe' branch)"""
    payoff_2b: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 1.0), (1.0, 8.0))
    """2x2 payoff in state 2B, row = agent 0's action, column = agent 1's action"""

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        check_float(SCOPE, "payoff_2a", self.payoff_2a)
        table = self.payoff_2b
        ok = isinstance(table, (tuple, list)) and len(table) == 2 and all(
            isinstance(row, (tuple, list)) and len(row) == 2 for row in table)
        if not ok:
            raise ValueError(f"{SCOPE}.payoff_2b must be a 2x2 table, got {table!r}")
        for i in range(2):
            for j in range(2):
                check_float(SCOPE, f"payoff_2b[{i}][{j}]", table[i][j])


class TwoStepVecEnv(VecEnv):
    """C copies of the two-step game.

    `solved_return` = `optimal_return` = max(payoff_2a, max(payoff_2b)) (8 by default): the
    game is deterministic, so a greedy team either always earns the optimum or never does,
    and the whole point of the scenario is whether the learner finds 8 rather than the safe
    7 -- any lower threshold would call VDN's 7 a success.
    """

    render_kind = "two_step"

    config: TwoStepConfig

    def __init__(self, config: TwoStepConfig | None = None, n_envs: int = 1) -> None:
        config = config if config is not None else TwoStepConfig()
        super().__init__(config, n_envs)
        self._payoff_2b = np.asarray(config.payoff_2b, dtype=np.float32)  # (2, 2)
        best = max(float(config.payoff_2a), float(self._payoff_2b.max()))
        self.info = EnvInfo(
            name=SCOPE, n_agents=2, n_actions=2, obs_dim=3, state_dim=3, episode_limit=2,
            action_names=("action 0", "action 1"), solved_return=best, optimal_return=best)
        self._state = np.zeros(self.n_envs, dtype=np.int64)  # (C,) 0 = "1", 1 = "2A", 2 = "2B"
        self._first_actions = np.zeros((self.n_envs, 2), dtype=np.int64)  # (C, N) at state 1

    def reset(self, seed: int | None = None) -> TimeStep:
        """Put every copy in state 1. The game has no randomness; `seed` is accepted for API
        uniformity (and still validated)."""
        self._begin_reset(seed)
        self._state[:] = 0
        self._first_actions[:] = 0
        return self._timestep(np.zeros(self.n_envs, dtype=np.float32))

    def step(self, actions: np.ndarray) -> TimeStep:
        """Advance every live copy one step of the game; done copies stay frozen."""
        acts = self._check_actions(actions)  # (C, N)
        live = ~self.done  # (C,)
        at_start = live & (self._state == 0)  # (C,)
        at_2a = live & (self._state == 1)
        at_2b = live & (self._state == 2)
        reward = np.zeros(self.n_envs, dtype=np.float32)  # (C,)
        reward[at_2a] = self.config.payoff_2a
        reward[at_2b] = self._payoff_2b[acts[at_2b, 0], acts[at_2b, 1]]
        self._first_actions[at_start] = acts[at_start]
        self._state[at_start] = 1 + acts[at_start, 0]  # agent 0's action picks 2A or 2B
        terminated_now = at_2a | at_2b  # the second step always ends the game
        reward = self._finish_step(acts, live, reward, terminated_now)
        return self._timestep(reward)

    def true_joint_values(self, copy: int = 0) -> np.ndarray | None:
        """(2, 2) undiscounted Q*(s, a0, a1); row = agent 0's action.

        State 1: row a0 leads to 2A (value payoff_2a) or 2B (value max payoff_2b), whatever
        agent 1 does -> [[7, 7], [8, 8]]. 2A: all 7. 2B: the payoff table. Once a copy's
        episode is over there is no decision left; we keep returning the table of the last
        decision state (2A or 2B) so a display does not flicker to nothing at the end.
        """
        c = self._check_copy(copy)
        s = int(self._state[c])
        if s == 0:
            v2a = float(self.config.payoff_2a)
            v2b = float(self._payoff_2b.max())
            return np.array([[v2a, v2a], [v2b, v2b]], dtype=np.float32)
        if s == 1:
            return np.full((2, 2), self.config.payoff_2a, dtype=np.float32)
        return self._payoff_2b.copy()

    def snapshot(self, copy: int = 0) -> dict[str, Any]:
        """Render-ready plain data: current state, the first-step choice and the payoffs."""
        if not self._has_reset:
            raise RuntimeError("call reset() before snapshot()")
        snap = self._common_snapshot(copy)
        c = int(copy)
        s = int(self._state[c])
        snap.update({
            "state_index": s,
            "state_name": STATE_NAMES[s],
            "first_actions": (tuple(int(a) for a in self._first_actions[c])
                              if self._t[c] >= 1 else None),
            "payoff_2a": float(self.config.payoff_2a),
            "payoff_2b": [[float(v) for v in row] for row in self._payoff_2b],
        })
        return snap

    def _timestep(self, reward: np.ndarray) -> TimeStep:
        """Build fresh output arrays from the current per-copy state index."""
        onehot = np.eye(3, dtype=np.float32)[self._state]  # (C, 3)
        obs = np.repeat(onehot[:, None, :], 2, axis=1)  # (C, N, 3)
        return TimeStep(
            obs=obs, state=onehot,
            avail_actions=np.ones((self.n_envs, 2, 2), dtype=bool),
            reward=reward.astype(np.float32, copy=True),
            terminated=self._terminated.copy(), truncated=self._truncated.copy(),
            active=np.ones((self.n_envs, 2), dtype=bool))
