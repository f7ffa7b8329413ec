"""Acting without TensorFlow: a NumPy copy of the agent network picks every action.

docs/facts.md: a compiled TF call costs ~0.6 ms per pick, the same maths in NumPy ~0.04 ms. The
weights are refreshed from the learner after every update, so the actor is never more than one
update behind; QMIX is off-policy and tolerates that (the behaviour policy only has to explore).

Epsilon-greedy with one independent coin flip per agent *and* per env copy (a single shared
flip makes whole teams explore in lock-step, a mistake of the code this project grew from).
"""

from __future__ import annotations

import numpy as np

from qmix.config import Config


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # stable for large |x|


def epsilon_at(config: Config, env_steps: int) -> float:
    """The exploration rate after `env_steps` steps (linear or exponential schedule)."""
    start, finish, span = config.eps_start, config.eps_finish, config.eps_anneal_steps
    if span <= 0 or env_steps >= span:
        return float(finish)
    frac = env_steps / span
    if config.eps_schedule == "linear":
        return float(start + frac * (finish - start))
    # Exponential: same endpoints, geometric in between.
    finish_ = max(finish, 1e-6)
    return float(start * (finish_ / max(start, 1e-6)) ** frac)


def explore(q: np.ndarray, avail: np.ndarray, epsilon: float,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epsilon-greedy over available actions.

    q (C, N, A), avail (C, N, A) bool -> (actions, greedy, explored), each (C, N).
    Each (copy, agent) flips its own coin; a random action is uniform over the available ones.
    """
    masked = np.where(avail, q, -np.inf)
    greedy = masked.argmax(-1)  # (C, N)
    coins = rng.random(greedy.shape) < epsilon  # (C, N) independent flips
    # Uniform over available actions: argmax of random keys restricted to avail.
    keys = rng.random(avail.shape)
    random_actions = np.where(avail, keys, -1.0).argmax(-1)
    actions = np.where(coins, random_actions, greedy)
    return actions, greedy, coins


class NumpyAgent:
    """The agent network's forward pass in NumPy (same maths as `networks.AgentNetwork`)."""

    def __init__(self, config: Config, n_agents: int, n_actions: int) -> None:
        self.config, self.n_agents, self.n_actions = config, n_agents, n_actions
        self.w: dict[str, np.ndarray] = {}
        self._ids = np.eye(n_agents, dtype=np.float32)
        self._eye_a = np.eye(n_actions + 1, dtype=np.float32)[:, :n_actions]  # row -1 -> zeros

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        self.w = weights

    def inputs(self, obs: np.ndarray, last_actions: np.ndarray) -> np.ndarray:
        """obs (C, N, O), last_actions (C, N) (-1 = none) -> (C, N, D)."""
        parts = [obs]
        if self.config.obs_agent_id:
            parts.append(np.broadcast_to(self._ids, (*obs.shape[:-1], self.n_agents)))
        if self.config.obs_last_action:
            parts.append(self._eye_a[last_actions])  # index -1 picks the all-zero last row
        return np.concatenate(parts, axis=-1).astype(np.float32, copy=False)

    def _dense(self, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        if w.shape[0] == 1:  # shared: one 2-D product (a (C, N, D) @ (D, O) product loops
            # over C in NumPy: 23 us against 10 us for the same maths at pursuit's sizes)
            return (x.reshape(-1, x.shape[-1]) @ w[0] + b[0]).reshape(*x.shape[:-1], -1)
        return np.einsum("...ni,nio->...no", x, w) + b

    def forward(self, inputs: np.ndarray, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """inputs (C, N, D), hidden (C, N, H) -> Q (C, N, A), new hidden (C, N, H)."""
        w = self.w
        x = np.maximum(self._dense(inputs, w["fc1/w"], w["fc1/b"]), 0.0)
        if self.config.agent == "ff":
            hs = np.maximum(self._dense(x, w["fc_hidden/w"], w["fc_hidden/b"]), 0.0)
            return self._dense(hs, w["fc2/w"], w["fc2/b"]), hidden
        gi = self._dense(x, w["gru/w_input"], w["gru/b_input"])
        gh = self._dense(hidden, w["gru/w_hidden"], w["gru/b_hidden"])
        h = hidden.shape[-1]
        r = _sigmoid(gi[..., :h] + gh[..., :h])
        z = _sigmoid(gi[..., h:2 * h] + gh[..., h:2 * h])
        n = np.tanh(gi[..., 2 * h:] + r * gh[..., 2 * h:])
        h_new = ((1.0 - z) * n + z * hidden).astype(np.float32)
        return self._dense(h_new, w["fc2/w"], w["fc2/b"]), h_new
