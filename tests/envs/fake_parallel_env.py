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
