"""A tiny PettingZoo-style ParallelEnv (duck-typed, no pettingzoo import) for the adapter tests.

Two agents on a line of 5 cells must meet: actions 0 left, 1 stay, 2 right; agent "b" has a
fourth action ("wait") that its action mask always forbids. Every agent gets the shared
reward 1 when they stand on the same cell, which ends the episode; after `leave_at` steps
agent "b" leaves the game (it is then no longer in `agents`).
"""

from __future__ import annotations

import numpy as np


class Discrete:
    def __init__(self, n: int) -> None:
        self.n = n


class MeetEnv:
    possible_agents = ["a", "b"]

    def __init__(self, leave_at: int = 1000) -> None:
        self.leave_at = leave_at
        self.agents: list[str] = []

    def action_space(self, agent: str) -> Discrete:
        return Discrete(3 if agent == "a" else 4)

    def _obs(self) -> dict:
        out = {}
        for agent in self.agents:
            one_hot = np.zeros(5, np.float32)
            one_hot[self.pos[agent]] = 1.0
            if agent == "b":
                out[agent] = {"observation": one_hot, "action_mask": np.array([1, 1, 1, 0])}
            else:
                out[agent] = one_hot
        return out

    def state(self) -> np.ndarray:
        return np.array([self.pos["a"], self.pos["b"]], np.float32) / 4.0

    def reset(self, seed: int | None = None, options: dict | None = None):
        rng = np.random.default_rng(seed)
        self.agents = list(self.possible_agents)
        self.pos = {"a": int(rng.integers(0, 2)), "b": int(rng.integers(3, 5))}
        self.t = 0
        return self._obs(), {a: {} for a in self.agents}

    def step(self, actions: dict):
        self.t += 1
        for agent, act in actions.items():
            assert agent != "b" or act != 3, "a masked action reached the env"
            self.pos[agent] = int(np.clip(self.pos[agent] + act - 1, 0, 4))
        met = self.pos["a"] == self.pos["b"]
        rewards = {a: float(met) for a in self.agents}
        terms = {a: met for a in self.agents}
        truncs = {a: False for a in self.agents}
        obs = self._obs()
        if met:
            self.agents = []
        elif self.t >= self.leave_at and "b" in self.agents:
            self.agents = ["a"]
        return obs, rewards, terms, truncs, {a: {} for a in self.agents}


def make_env(**kwargs) -> MeetEnv:
    return MeetEnv(**kwargs)


# ---- misfits, each refused with one line (tests/qmix/test_cli.py, tests/envs) -------------
class Box:
    """A continuous space, as gymnasium prints it."""

    def __repr__(self) -> str:
        return "Box(-1.0, 1.0, (2,), float32)"


class MultiDiscrete:
    def __init__(self) -> None:
        self.nvec = np.array([3, 3])

    def __repr__(self) -> str:
        return "MultiDiscrete([3 3])"


class ContinuousEnv(MeetEnv):
    def action_space(self, agent: str) -> Box:
        return Box()


class MultiDiscreteEnv(MeetEnv):
    def action_space(self, agent: str) -> MultiDiscrete:
        return MultiDiscrete()


def make_continuous() -> ContinuousEnv:
    return ContinuousEnv()


def make_multidiscrete() -> MultiDiscreteEnv:
    return MultiDiscreteEnv()


def make_not_an_env() -> dict:
    return {"agents": ["a"]}


def make_raises() -> MeetEnv:
    raise RuntimeError("the simulator licence server is unreachable")


def make_needs_args(size: int) -> MeetEnv:
    return MeetEnv()


class StepFails(MeetEnv):
    def step(self, actions: dict):
        raise KeyError("boom")


def make_step_fails() -> StepFails:
    return StepFails()


# ---- a PettingZoo env that plays by the rules for time limits and leaving ---------------
class CorridorEnv:
    """Three agents walk a corridor; every step pays each agent 1 (so a TD target is easy to
    compute by hand). Agent "c" *terminates* after `c_leaves_at` steps (leaves for good, as
    PettingZoo says: terminations["c"] = True, then it is gone from `agents`); everyone else
    is *truncated* at `max_cycles` (truncations True, `agents` emptied), unless `end_at` makes
    the whole team terminate earlier. Observations count the steps, so each differs."""

    possible_agents = ["a", "b", "c"]

    def __init__(self, max_cycles: int = 6, c_leaves_at: int = 1000, end_at: int = 1000):
        self.max_cycles, self.c_leaves_at, self.end_at = max_cycles, c_leaves_at, end_at
        self.agents: list[str] = []

    def action_space(self, agent: str) -> Discrete:
        return Discrete(2)

    def _obs(self) -> dict:
        return {a: np.array([self.t, i, 1.0], np.float32)
                for i, a in enumerate(self.possible_agents) if a in self.agents}

    def state(self) -> np.ndarray:
        return np.array([self.t, len(self.agents)], np.float32)

    def reset(self, seed: int | None = None, options: dict | None = None):
        self.t = 0
        self.agents = list(self.possible_agents)
        return self._obs(), {a: {} for a in self.agents}

    def step(self, actions: dict):
        self.t += 1
        rewards = {a: 1.0 for a in self.agents}
        obs = self._obs()
        terms = {a: self.t >= self.end_at or (a == "c" and self.t >= self.c_leaves_at)
                 for a in self.agents}
        truncs = {a: not terms[a] and self.t >= self.max_cycles for a in self.agents}
        infos = {a: {} for a in self.agents}
        self.agents = [a for a in self.agents if not (terms[a] or truncs[a])]
        return obs, rewards, terms, truncs, infos


def make_corridor(**kwargs) -> CorridorEnv:
    return CorridorEnv(**kwargs)
