"""Tiny gymnasium multi-agent envs in EPyMARL's convention, registered on import (the module
named in `gym:tests.envs.fake_gym_env:ENV_ID`).

`FakeMeet-v0`: two agents on a line of 5 cells (actions 0 left, 1 stay, 2 right) must meet.
Tuple spaces, a reward *list* (each agent gets 0.5 when they meet, so the team's sum is 1),
and one `done` that fires on meeting *or* at the time limit (`max_episode_steps`, default 6),
as lbforaging does. `FakeScalar-v0`: the same with one shared scalar reward of 1.
`FakeBox-v0`: continuous actions (refused).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class FakeMeet(gym.Env):
    def __init__(self, max_episode_steps: int = 6, scalar_reward: bool = False,
                 box_actions: bool = False) -> None:
        self._max_episode_steps = max_episode_steps
        self.scalar_reward = scalar_reward
        act = spaces.Box(-1.0, 1.0, (1,)) if box_actions else spaces.Discrete(3)
        self.action_space = spaces.Tuple((act, act))
        obs = spaces.Box(0.0, 4.0, (2,), np.float32)
        self.observation_space = spaces.Tuple((obs, obs))

    def _obs(self):
        return tuple(np.array([self.pos[i], self.pos[1 - i]], np.float32) for i in range(2))

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.pos = [int(self.np_random.integers(0, 2)), int(self.np_random.integers(3, 5))]
        self.t = 0
        return self._obs(), {}

    def step(self, actions):
        self.t += 1
        for i, a in enumerate(actions):
            self.pos[i] = int(np.clip(self.pos[i] + int(a) - 1, 0, 4))
        met = self.pos[0] == self.pos[1]
        done = met or self.t >= self._max_episode_steps
        reward = float(met) if self.scalar_reward else [0.5 * met, 0.5 * met]
        return self._obs(), reward, done, False, {}


gym.register("FakeMeet-v0", entry_point=FakeMeet)
gym.register("FakeScalar-v0", entry_point=FakeMeet, kwargs={"scalar_reward": True})
gym.register("FakeBox-v0", entry_point=FakeMeet, kwargs={"box_actions": True})
