"""The contract every QMIX Studio scenario keeps: `EnvInfo`, `TimeStep` and `VecEnv`.

Why a vectorised API: QMIX acts for every agent of every environment copy in one batched
forward pass (PyMARL's parallel runner), so an environment here is already *C copies* of one
scenario stepped in lock-step, and every array carries a leading copies axis. Copies that
finish early stay frozen (reward 0, done flags kept) until the caller resets all of them;
that keeps the per-step arrays rectangular, which is what a preallocated episode buffer needs.

Only NumPy is imported here: `qmix` and `app` depend on this module, never the other way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from envs.placement import no_whatif


@dataclass(frozen=True)
class EnvInfo:
    """Static facts about a scenario that networks and buffers are sized from."""

    name: str
    n_agents: int
    n_actions: int
    obs_dim: int
    state_dim: int
    episode_limit: int
    """max steps per episode; buffers allocate episode_limit+1 time slots"""
    action_names: tuple[str, ...]
    solved_return: float | None
    """greedy mean episode return at/above which the scenario counts as solved (None: no
    known threshold, e.g. a foreign env; such a run is never "solved")"""
    optimal_return: float | None
    """best achievable return if computable, else None"""


@dataclass
class TimeStep:
    """What every copy looks like after a reset or a step. All arrays are fresh copies.

    Fresh copies matter: a replay buffer that stored a view of the env's live arrays would
    see its stored `obs` silently turn into `obs_next` on the following step.
    """

    obs: np.ndarray  # (C, N, obs_dim) float32
    state: np.ndarray  # (C, state_dim) float32
    avail_actions: np.ndarray  # (C, N, n_actions) bool; every agent always has >= 1
    reward: np.ndarray  # (C,) float32 team reward for the step just taken (0 at reset)
    terminated: np.ndarray  # (C,) bool  true terminal (no bootstrap)
    truncated: np.ndarray  # (C,) bool  hit episode_limit without terminating (bootstrap ok)
    active: np.ndarray  # (C, N) bool agents that are alive/acting (all True in our scenarios)


class VecEnv(ABC):
    """C copies of one scenario stepped together (lock-step, PyMARL parallel-runner style).

    Randomness: each copy owns a `np.random.Generator` seeded from
    `SeedSequence(seed).spawn(n_envs)[copy]`, so a copy's trajectory depends only on its own
    seed and actions -- copy 0 of an 8-copy env behaves exactly like a 1-copy env given the
    same seed. `reset(seed)` reseeds; `reset()` without a seed continues the existing streams
    (so a run seeded once stays deterministic across episodes); if no seed was ever given the
    streams are seeded from OS entropy.

    Unavailable actions (a move into a wall, "catch" with no prey adjacent, ...) never crash:
    they are executed as a no-op ("stay"), so a buggy or exploring caller cannot corrupt the
    world. Actions outside `[0, n_actions)` for a live copy, non-integer actions or a wrongly
    shaped array are caller bugs and raise `ValueError`; done copies ignore their actions,
    whatever they are (padding such as -1 included).
    """

    info: EnvInfo
    n_envs: int
    config: Any
    render_kind: str = ""
    """Which drawing `envs/render.py` uses for this env's snapshots (their "render" field)."""

    def __init__(self, config: Any, n_envs: int = 1) -> None:
        if isinstance(n_envs, bool) or not isinstance(n_envs, (int, np.integer)):
            raise ValueError(f"n_envs must be an int >= 1, got {n_envs!r}")
        if n_envs < 1:
            raise ValueError(f"n_envs must be >= 1, got {n_envs}")
        config.validate()
        self.config = config
        self.n_envs = int(n_envs)
        self._rngs: list[np.random.Generator] | None = None
        self._has_reset = False
        self._t = np.zeros(self.n_envs, dtype=np.int64)  # (C,) steps taken this episode
        self._terminated = np.zeros(self.n_envs, dtype=bool)  # (C,)
        self._truncated = np.zeros(self.n_envs, dtype=bool)  # (C,)
        self._episode_return = np.zeros(self.n_envs, dtype=np.float64)  # (C,)
        self._last_reward = np.zeros(self.n_envs, dtype=np.float32)  # (C,)
        self._last_actions: np.ndarray | None = None  # (C, N) int64, None right after reset

    # ------------------------------------------------------------------ public contract --
    @abstractmethod
    def reset(self, seed: int | None = None) -> TimeStep:
        """Start a new episode in every copy; `seed` given => fully deterministic."""

    @abstractmethod
    def step(self, actions: np.ndarray) -> TimeStep:
        """Apply one joint action per copy; `actions` is (C, N) int."""

    @abstractmethod
    def snapshot(self, copy: int = 0) -> dict[str, Any]:
        """Plain-data, render-ready description of one copy (arrays copied; thread-safe)."""

    def true_joint_values(self, copy: int = 0) -> np.ndarray | None:
        """Optimal joint-action values Q*(s, a1, a2) of a copy's current state, if known.

        Only small matrix games know them; grid worlds return None.
        """
        self._check_copy(copy)
        return None

    # What-if placement (envs/placement.py): grid worlds implement it; any other world
    # refuses each call with one clear line.
    def copy_state(self, copy: int = 0) -> dict[str, Any]:
        raise no_whatif(self)

    def set_copy_state(self, copy: int, state: dict[str, Any]) -> None:
        raise no_whatif(self)

    def move(self, copy: int, kind: str, index: int, cell: Any) -> None:
        raise no_whatif(self)

    def observe(self, copy: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise no_whatif(self)

    def standable_cells(self, copy: int, kind: str, index: int) -> np.ndarray:
        raise no_whatif(self)

    # ------------------------------------------------------------------ conveniences -----
    @property
    def done(self) -> np.ndarray:
        """(C,) bool: copies whose episode is over (terminated or truncated). A copy."""
        return self._terminated | self._truncated

    @property
    def t(self) -> np.ndarray:
        """(C,) int: steps taken in each copy's current episode. A copy."""
        return self._t.copy()

    @property
    def episode_return(self) -> np.ndarray:
        """(C,) float: each copy's undiscounted return so far this episode. A copy."""
        return self._episode_return.copy()

    # ------------------------------------------------------------------ helpers ----------
    def _seed(self, seed: int | None) -> None:
        """(Re)create the per-copy generators when a seed is given or none exist yet."""
        if seed is None and self._rngs is not None:
            return
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"seed must be an int or None, got {seed!r}")
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        children = np.random.SeedSequence(None if seed is None else int(seed)).spawn(self.n_envs)
        self._rngs = [np.random.Generator(np.random.PCG64(child)) for child in children]

    def _begin_reset(self, seed: int | None) -> list[np.random.Generator]:
        """Common reset bookkeeping; returns the per-copy generators."""
        self._seed(seed)
        assert self._rngs is not None
        self._has_reset = True
        self._t[:] = 0
        self._terminated[:] = False
        self._truncated[:] = False
        self._episode_return[:] = 0.0
        self._last_reward[:] = 0.0
        self._last_actions = None
        return self._rngs

    def _check_actions(self, actions: np.ndarray) -> np.ndarray:
        """Validate a (C, N) joint action array and return it as int64.

        Why strict: a transposed or flattened action array would otherwise broadcast into a
        plausible-looking but wrong step, the hardest kind of learning bug to find.
        """
        if not self._has_reset:
            raise RuntimeError("call reset() before step()")
        arr = np.asarray(actions)
        expected = (self.n_envs, self.info.n_agents)
        if arr.shape != expected:
            raise ValueError(f"actions must have shape (n_envs, n_agents) = {expected}, "
                             f"got {arr.shape}")
        if arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
                raise ValueError("actions must be integers")
        elif arr.dtype.kind not in "iu":
            raise ValueError(f"actions must be integers, got dtype {arr.dtype}")
        out = arr.astype(np.int64)
        # Done copies ignore their actions entirely (a runner may pad them with -1).
        out[self.done] = 0
        if out.size and (out.min() < 0 or out.max() >= self.info.n_actions):
            raise ValueError(f"actions must be in [0, {self.info.n_actions}), got values in "
                             f"[{out.min()}, {out.max()}]")
        return out

    def _finish_step(self, actions: np.ndarray, live: np.ndarray, reward: np.ndarray,
                     terminated_now: np.ndarray) -> np.ndarray:
        """Advance counters and done flags for the live copies; returns the (C,) reward.

        `live` (C,) marks copies that were not done before this step; frozen copies get reward
        0 and keep their flags.
        """
        reward = np.where(live, reward, 0.0).astype(np.float32)  # (C,)
        self._t[live] += 1
        self._terminated |= live & terminated_now
        self._truncated |= live & ~self._terminated & (self._t >= self.info.episode_limit)
        self._episode_return += reward
        self._last_reward = reward
        if self._last_actions is None:
            self._last_actions = np.where(live[:, None], actions, 0)
        else:
            self._last_actions = np.where(live[:, None], actions, self._last_actions)
        return reward

    def _check_copy(self, copy: int) -> int:
        """Validate a copy index (IndexError, like any out-of-range index)."""
        if isinstance(copy, bool) or not isinstance(copy, (int, np.integer)):
            raise IndexError(f"copy must be an int, got {copy!r}")
        if not 0 <= copy < self.n_envs:
            raise IndexError(f"copy {copy} out of range for {self.n_envs} env copies")
        return int(copy)

    def _common_snapshot(self, copy: int) -> dict[str, Any]:
        """Snapshot keys shared by every scenario (all plain Python data)."""
        c = self._check_copy(copy)
        last = None if self._last_actions is None else tuple(int(a) for a in self._last_actions[c])
        return {
            "render": self.render_kind,
            "scenario": self.info.name,
            "t": int(self._t[c]),
            "episode_limit": int(self.info.episode_limit),
            "n_agents": int(self.info.n_agents),
            "action_names": tuple(self.info.action_names),
            "last_actions": last,
            "last_reward": float(self._last_reward[c]),
            "episode_return": float(self._episode_return[c]),
            "terminated": bool(self._terminated[c]),
            "truncated": bool(self._truncated[c]),
        }
