"""Agent networks and mixers as explicit, named TensorFlow variables.

Why not Keras layers: checkpoints need stable, human-readable variable names that do not depend
on Keras' auto-generated layer names, the NumPy actor mirrors these exact weights, and an
explicit GRU lets the update precompute every input projection for the whole episode in one
matmul and keep only `h @ W_h` inside the time loop.

Weights are initialised from a NumPy Generator (PyTorch's default Linear/GRU initialisation,
as PyMARL uses), so a seed fixes them without touching TensorFlow's RNG.

Shapes: B batch (episodes), T time, N agents, A actions, D agent input, H hidden, S state,
E mixing embed. Agent weights carry a leading group axis G: 1 when parameters are shared,
N when every agent has its own network.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def _uniform(rng: np.random.Generator, bound: float, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


class _Named(tf.Module):
    """A module whose variables are listed under stable names like `fc1/w`."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self.named: dict[str, tf.Variable] = {}

    def _var(self, key: str, value: np.ndarray) -> tf.Variable:
        var = tf.Variable(value, name=key.replace("/", "_"), trainable=True)
        self.named[key] = var
        return var

    @property
    def var_list(self) -> list[tf.Variable]:
        return list(self.named.values())


class AgentNetwork(_Named):
    """DRQN agent (Linear -> ReLU -> GRU cell -> Linear) or feed-forward agent.

    `rnn`:  h_t = GRU(relu(x_t W1 + b1), h_{t-1});  Q_t = h_t W2 + b2   (PyMARL's RNNAgent)
    `ff`:   Q_t = relu(relu(x_t W1 + b1) Wf + bf) W2 + b2               (EPyMARL's FF agent)
    """

    def __init__(self, input_dim: int, hidden_dim: int, n_actions: int, n_groups: int,
                 kind: str, rng: np.random.Generator, name: str = "agent") -> None:
        super().__init__(name)
        self.kind, self.input_dim, self.hidden_dim = kind, input_dim, hidden_dim
        self.n_actions, self.n_groups = n_actions, n_groups
        g, d, h, a = n_groups, input_dim, hidden_dim, n_actions
        self.w1 = self._var("fc1/w", _uniform(rng, d ** -0.5, (g, d, h)))
        self.b1 = self._var("fc1/b", _uniform(rng, d ** -0.5, (g, h)))
        if kind == "rnn":
            # Gate order r, z, n (as PyTorch's GRUCell); both biases kept, as there.
            self.w_i = self._var("gru/w_input", _uniform(rng, h ** -0.5, (g, h, 3 * h)))
            self.b_i = self._var("gru/b_input", _uniform(rng, h ** -0.5, (g, 3 * h)))
            self.w_h = self._var("gru/w_hidden", _uniform(rng, h ** -0.5, (g, h, 3 * h)))
            self.b_h = self._var("gru/b_hidden", _uniform(rng, h ** -0.5, (g, 3 * h)))
        else:
            self.w_f = self._var("fc_hidden/w", _uniform(rng, h ** -0.5, (g, h, h)))
            self.b_f = self._var("fc_hidden/b", _uniform(rng, h ** -0.5, (g, h)))
        self.w2 = self._var("fc2/w", _uniform(rng, h ** -0.5, (g, h, a)))
        self.b2 = self._var("fc2/b", _uniform(rng, h ** -0.5, (g, a)))

    # x: (..., N, in) ; w: (G, in, out) ; b: (G, out)  ->  (..., N, out)
    def _dense(self, x: tf.Tensor, w: tf.Variable, b: tf.Variable) -> tf.Tensor:
        if self.n_groups == 1:
            return tf.tensordot(x, w[0], axes=1) + b[0]
        return tf.einsum("...ni,nio->...no", x, w) + b

    def unroll(self, inputs: tf.Tensor) -> tf.Tensor:
        """Q for every step of a batch of episodes.

        inputs: (B, T, N, D) -> Q: (B, T, N, A); the hidden state starts at zero.
        Everything but `h @ W_h` is computed for all steps at once, outside the time loop;
        the loop runs time-major on 2-D (B*N, .) matrices when parameters are shared.
        """
        x = tf.transpose(inputs, [1, 0, 2, 3])  # (T, B, N, D) time-major
        shape = tf.shape(x)
        t_len, b, n = shape[0], shape[1], shape[2]
        x = tf.nn.relu(self._dense(x, self.w1, self.b1))  # (T, B, N, H)
        if self.kind == "ff":
            hs = tf.nn.relu(self._dense(x, self.w_f, self.b_f))
        else:
            gi = self._dense(x, self.w_i, self.b_i)  # (T, B, N, 3H): every input projection
            if self.n_groups == 1:
                gi = tf.reshape(gi, [t_len, b * n, 3 * self.hidden_dim])  # (T, B*N, 3H)
            h0 = tf.zeros_like(gi[0, ..., : self.hidden_dim])  # (B*N, H) or (B, N, H)
            hs = tf.scan(lambda h, g: self._gru(g, h), gi, initializer=h0)
            hs = tf.reshape(hs, [t_len, b, n, self.hidden_dim])  # (T, B, N, H)
        q = self._dense(hs, self.w2, self.b2)  # (T, B, N, A)
        return tf.transpose(q, [1, 0, 2, 3])  # (B, T, N, A)

    def _gru(self, gi: tf.Tensor, h: tf.Tensor) -> tf.Tensor:
        if self.n_groups == 1 and h.shape.rank == 2:  # (rows, H): plain matmul
            gh = tf.matmul(h, self.w_h[0]) + self.b_h[0]
        else:
            gh = self._dense(h, self.w_h, self.b_h)  # (..., N, 3H)
        i_r, i_z, i_n = tf.split(gi, 3, axis=-1)
        h_r, h_z, h_n = tf.split(gh, 3, axis=-1)
        r = tf.sigmoid(i_r + h_r)
        z = tf.sigmoid(i_z + h_z)
        n = tf.tanh(i_n + r * h_n)
        return (1.0 - z) * n + z * h

    def step(self, inputs: tf.Tensor, h: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """One step for acting/inspection. inputs (..., N, D), h (..., N, H) -> (Q, h')."""
        x = tf.nn.relu(self._dense(inputs, self.w1, self.b1))
        if self.kind == "ff":
            hs = tf.nn.relu(self._dense(x, self.w_f, self.b_f))
            return self._dense(hs, self.w2, self.b2), h
        h_new = self._gru(self._dense(x, self.w_i, self.b_i), h)
        return self._dense(h_new, self.w2, self.b2), h_new


class QMixer(_Named):
    """Monotonic mixing network of QMIX (Rashid et al. 2018, eq. 6 and Fig. 2).

    Hypernetworks turn the global state into the mixing weights; the `abs` on W1 and W_final
    is what makes dQ_tot/dQ_a >= 0, so the per-agent argmax is the joint argmax.
    """

    def __init__(self, n_agents: int, state_dim: int, embed_dim: int, hypernet_embed: int,
                 rng: np.random.Generator, name: str = "mixer") -> None:
        super().__init__(name)
        n, s, e, he = n_agents, state_dim, embed_dim, hypernet_embed
        self.n_agents, self.embed_dim = n, e
        self.hw1_w1 = self._var("hyper_w1/0/w", _uniform(rng, s ** -0.5, (s, he)))
        self.hw1_b1 = self._var("hyper_w1/0/b", _uniform(rng, s ** -0.5, (he,)))
        self.hw1_w2 = self._var("hyper_w1/1/w", _uniform(rng, he ** -0.5, (he, n * e)))
        self.hw1_b2 = self._var("hyper_w1/1/b", _uniform(rng, he ** -0.5, (n * e,)))
        self.hb1_w = self._var("hyper_b1/w", _uniform(rng, s ** -0.5, (s, e)))
        self.hb1_b = self._var("hyper_b1/b", _uniform(rng, s ** -0.5, (e,)))
        self.hwf_w1 = self._var("hyper_w_final/0/w", _uniform(rng, s ** -0.5, (s, he)))
        self.hwf_b1 = self._var("hyper_w_final/0/b", _uniform(rng, s ** -0.5, (he,)))
        self.hwf_w2 = self._var("hyper_w_final/1/w", _uniform(rng, he ** -0.5, (he, e)))
        self.hwf_b2 = self._var("hyper_w_final/1/b", _uniform(rng, he ** -0.5, (e,)))
        self.v_w1 = self._var("v/0/w", _uniform(rng, s ** -0.5, (s, e)))
        self.v_b1 = self._var("v/0/b", _uniform(rng, s ** -0.5, (e,)))
        self.v_w2 = self._var("v/1/w", _uniform(rng, e ** -0.5, (e, 1)))
        self.v_b2 = self._var("v/1/b", _uniform(rng, e ** -0.5, (1,)))

    def value(self, states: tf.Tensor) -> tf.Tensor:
        """V(s), the state-dependent final bias. states (M, S) -> (M,)."""
        hidden = tf.nn.relu(states @ self.v_w1 + self.v_b1)
        return (hidden @ self.v_w2 + self.v_b2)[:, 0]

    def __call__(self, agent_qs: tf.Tensor, states: tf.Tensor) -> tf.Tensor:
        """agent_qs (M, N), states (M, S) -> Q_tot (M, 1)."""
        m = tf.shape(agent_qs)[0]
        w1 = tf.abs(tf.nn.relu(states @ self.hw1_w1 + self.hw1_b1) @ self.hw1_w2 + self.hw1_b2)
        w1 = tf.reshape(w1, [m, self.n_agents, self.embed_dim])  # (M, N, E)
        b1 = (states @ self.hb1_w + self.hb1_b)[:, None, :]  # (M, 1, E)
        hidden = tf.nn.elu(tf.matmul(agent_qs[:, None, :], w1) + b1)  # (M, 1, E)
        w_final = tf.abs(tf.nn.relu(states @ self.hwf_w1 + self.hwf_b1) @ self.hwf_w2
                         + self.hwf_b2)[:, :, None]  # (M, E, 1)
        q_tot = tf.matmul(hidden, w_final)[:, 0, :]  # (M, 1)
        return q_tot + self.value(states)[:, None]


class VDNMixer(_Named):
    """Value decomposition (Sunehag et al. 2018): Q_tot = sum_a Q_a. No parameters."""

    def value(self, states: tf.Tensor) -> tf.Tensor:
        return tf.zeros(tf.shape(states)[:1])

    def __call__(self, agent_qs: tf.Tensor, states: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(agent_qs, axis=-1, keepdims=True)  # (M, 1)


class NoMixer(VDNMixer):
    """Independent Q-learning: every agent is its own learner against the team reward.

    Returns the agents' Qs unmixed (M, N); the loss then averages N independent TD errors.
    """

    def __call__(self, agent_qs: tf.Tensor, states: tf.Tensor) -> tf.Tensor:
        return agent_qs


def build_mixer(algo: str, n_agents: int, state_dim: int, embed_dim: int, hypernet_embed: int,
                rng: np.random.Generator, name: str) -> _Named:
    if algo == "qmix":
        return QMixer(n_agents, state_dim, embed_dim, hypernet_embed, rng, name=name)
    if algo == "vdn":
        return VDNMixer(name)
    return NoMixer(name)
