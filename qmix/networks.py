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

import contextlib
import threading
from collections.abc import Iterator

import numpy as np
import tensorflow as tf
from tensorflow.python.framework import ops


def _uniform(rng: np.random.Generator, bound: float, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def dense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """x @ w + b. A 1-D bias goes through BiasAdd, which grappler fuses into the MatMul (and a
    following ReLU): a separate add over a (2496, 128) product cost 110 us here, fused 40."""
    if b.shape.rank == 1:
        return tf.nn.bias_add(x @ w, b)
    return x @ w + b


_traces = threading.local()  # per thread: the open `gradients_released` scopes' name lists


@contextlib.contextmanager
def gradients_released() -> Iterator[None]:
    """Forget, on leaving, the gradients `tf.custom_gradient` registered while tracing inside.

    Measured trap (docs/performance.md): traced inside a `tf.function`, `tf.custom_gradient`
    registers its gradient under a new global name ("CustomGradient-<uid>") that TensorFlow
    never removes. That entry's closure holds the whole traced graph, so every run that
    traced an update kept ~8 MB for the life of the process. The gradient is only looked up
    by the `tape.gradient` of the same trace, so a trace that differentiates inside this
    scope can drop the names it made once it is done. Exactly those names are dropped (a
    per-thread list), so a trace on another thread is never touched. Eager code registers
    nothing and is unaffected.
    """
    names: list[str] = []
    stack = _traces.__dict__.setdefault("stack", [])
    stack.append(names)
    try:
        yield
    finally:
        stack.pop()
        registry = getattr(getattr(ops, "gradient_registry", None), "_registry", None)
        for name in names:
            if isinstance(registry, dict):
                registry.pop(name, None)


def _note_registered_gradient(out: tf.Tensor) -> None:
    """Remember the gradient name `tf.custom_gradient` gave the op of graph tensor `out`."""
    stack = getattr(_traces, "stack", None)
    if not stack or tf.executing_eagerly():
        return
    try:
        stack[-1].append(out.op.get_attr("_gradient_op_type").decode())
    except (ValueError, AttributeError):  # not a graph op with an overridden gradient
        pass


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

    Whole episodes are computed in a "rows" layout: (M, C) with rows ordered (t, b, n) when
    parameters are shared, (N, M/N, C) with rows (n | t, b) otherwise, so that every dense
    layer is one MatMul (shared) or one BatchMatMul over agents with matching batch axes.
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

    # ------------------------------------------------------------ layouts
    def weight(self, w: tf.Tensor) -> tf.Tensor:
        """(G, K, O) -> (K, O) when shared, else unchanged: the right operand of a rows matmul."""
        return w[0] if self.n_groups == 1 else w

    def bias(self, b: tf.Tensor) -> tf.Tensor:
        """(G, O) -> (O,) when shared, else (G, 1, O): broadcasts over rows and over steps."""
        return b[0] if self.n_groups == 1 else b[:, None, :]

    def to_rows(self, x: tf.Tensor) -> tf.Tensor:
        """Time-major (T, B, N, C) -> rows (T*B*N, C) or (N, T*B, C)."""
        c = x.shape[-1]
        if self.n_groups == 1:
            return tf.reshape(x, [-1, c])
        return tf.reshape(tf.transpose(x, [2, 0, 1, 3]), [self.n_groups, -1, c])

    def from_rows(self, y: tf.Tensor, t: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
        """Rows -> time-major (T, B, N, C); the inverse of `to_rows`."""
        c = y.shape[-1]
        if self.n_groups == 1:
            return tf.reshape(y, [t, b, -1, c])
        return tf.transpose(tf.reshape(y, [self.n_groups, t, b, c]), [1, 2, 0, 3])

    def rows_to_steps(self, y: tf.Tensor, t: tf.Tensor) -> tf.Tensor:
        """Rows -> (T, [G,] R, C): one slice per time step, for the recurrence."""
        c = y.shape[-1]
        if self.n_groups == 1:
            return tf.reshape(y, [t, -1, c])
        return tf.transpose(tf.reshape(y, [self.n_groups, t, -1, c]), [1, 0, 2, 3])

    def steps_to_rows(self, y: tf.Tensor) -> tf.Tensor:
        c = y.shape[-1]
        if self.n_groups == 1:
            return tf.reshape(y, [-1, c])
        return tf.reshape(tf.transpose(y, [1, 0, 2, 3]), [self.n_groups, -1, c])

    # ------------------------------------------------------------ whole episodes
    def unroll(self, inputs: tf.Tensor) -> tf.Tensor:
        """Q for every step of a batch of episodes, forward only (the update differentiates
        `unroll_online_and_target`). inputs (B, T, N, D) -> Q (B, T, N, A), h_0 = 0."""
        x = tf.transpose(inputs, [1, 0, 2, 3])  # (T, B, N, D) time-major
        q = _forward(self, None, x)[0]
        return tf.transpose(q, [1, 0, 2, 3])

    def _ff_rows(self, x: tf.Tensor) -> tf.Tensor:
        hidden = tf.nn.relu(dense(x, self.weight(self.w1), self.bias(self.b1)))
        hidden = tf.nn.relu(dense(hidden, self.weight(self.w_f), self.bias(self.b_f)))
        return dense(hidden, self.weight(self.w2), self.bias(self.b2))

    # ------------------------------------------------------------ one step (acting, inspection)
    # x: (..., N, in) ; w: (G, in, out) ; b: (G, out)  ->  (..., N, out). Forward only: the
    # einsum's gradient would materialise one outer product per sample (see docs/performance.md).
    def _dense(self, x: tf.Tensor, w: tf.Variable, b: tf.Variable) -> tf.Tensor:
        if self.n_groups == 1:
            return tf.tensordot(x, w[0], axes=1) + b[0]
        return tf.einsum("...ni,nio->...no", x, w) + b

    def _gru(self, gi: tf.Tensor, h: tf.Tensor) -> tf.Tensor:
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


def unroll_online_and_target(online: AgentNetwork, target: AgentNetwork,
                             inputs: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Q of the online and the target agent for whole episodes, both time-major.

    inputs (T, B, N, D) -> (Q, Q_target), each (T, B, N, A); h_0 = 0. Gradients reach the
    online agent only (the target's Q is a constant of the loss).
    """
    q, q_target = _forward(online, target, inputs, train=True)
    return q, tf.stop_gradient(q_target)


def _forward(online: AgentNetwork, target: AgentNetwork | None, inputs: tf.Tensor,
             train: bool = False) -> tuple[tf.Tensor, ...]:
    """Time-major Q of `online` (and `target`, if given) for inputs (T, B, N, D); with
    `train`, differentiable with respect to the online weights."""
    t, b = tf.shape(inputs)[0], tf.shape(inputs)[1]
    x = online.to_rows(inputs)  # (M, D) or (N, M/N, D)
    nets = [online] if target is None else [online, target]
    if online.kind == "ff":
        return tuple(online.from_rows(net._ff_rows(x), t, b) for net in nets)
    weights = [tf.convert_to_tensor(v) for net in nets for v in net.var_list]
    qs = _GRUPair(online, len(nets), t, train).run(x, *weights)
    return tuple(online.from_rows(q, t, b) for q in qs)


class _GRUPair:
    """The DRQN unroll of one or two agent networks with a hand-written gradient.

    Why by hand (measured, docs/performance.md): TensorFlow's gradient of a `tf.scan` pushes
    every intermediate onto stacks, pops them in a second loop and does the weight gradients
    as one small matmul per step. Here the forward loop saves, per step, the two factors that
    turn dL/dh_t into the gradients of the gates' pre-activations; the backward loop carries
    dL/dh alone; every weight gradient is one large matmul after it. The target network (the
    second set of weights) steps in the same loop and gets no gradient.

    Per step, with the input projections gi = relu(x W1 + b1) W_i + b_i precomputed:
        r, z = sigmoid(gi_rz + h W_h,rz + b_h,rz)      n = tanh(gi_n + r * (h W_h,n + b_h,n))
        h'   = (1 - z) n + z h                           (PyTorch's GRUCell)
    """

    KEYS = ("fc1/w", "fc1/b", "gru/w_input", "gru/b_input", "gru/w_hidden", "gru/b_hidden",
            "fc2/w", "fc2/b")

    def __init__(self, net: AgentNetwork, n_nets: int, t: tf.Tensor, train: bool) -> None:
        assert tuple(net.named) == self.KEYS
        self.net, self.n_nets, self.t, self.h = net, n_nets, t, net.hidden_dim
        self.train = train

    def run(self, x: tf.Tensor, *weights: tf.Tensor) -> tuple[tf.Tensor, ...]:
        if not self.train:  # forward only: no factors to save, no gradient
            return self._forward(x, *weights)[0]
        qs = tf.custom_gradient(self._forward)(x, *weights)
        _note_registered_gradient(qs[0])
        return qs

    def _params(self, flat: tuple[tf.Tensor, ...], i: int) -> dict[str, tf.Tensor]:
        net, k = self.net, len(self.KEYS)
        p = dict(zip(self.KEYS, flat[i * k:(i + 1) * k]))
        return {key: net.bias(v) if "/b" in key else net.weight(v) for key, v in p.items()}

    def _forward(self, x: tf.Tensor, *weights: tf.Tensor):
        net, h2 = self.net, 2 * self.h
        nets = [self._params(weights, i) for i in range(self.n_nets)]
        cells, pre = [], []
        for p in nets:
            x1 = tf.nn.relu(dense(x, p["fc1/w"], p["fc1/b"]))  # (rows, H)
            w_i, b_i, w_h, b_h = p["gru/w_input"], p["gru/b_input"], p["gru/w_hidden"], p["gru/b_hidden"]
            # b_h's r and z parts are plain biases of the sum: added once, outside the loop.
            gi_rz = dense(x1, w_i[..., :h2], b_i[..., :h2] + b_h[..., :h2])  # (rows, 2H)
            gi_n = dense(x1, w_i[..., h2:], b_i[..., h2:])  # (rows, H)
            cells.append((net.rows_to_steps(gi_rz, self.t), net.rows_to_steps(gi_n, self.t),
                          w_h[..., :h2], w_h[..., h2:], b_h[..., h2:]))
            pre.append(x1)
        hs, saved = self._loop(cells)  # each (T, [G,] R, .)
        hs_rows = [net.steps_to_rows(h) for h in hs]  # (rows, H)
        qs = tuple(dense(h, p["fc2/w"], p["fc2/b"]) for h, p in zip(hs_rows, nets))  # (rows, A)

        def grad(*dqs):
            return [None] + self._backward(x, nets[0], pre[0], hs[0], hs_rows[0], saved,
                                           dqs[0]) + [None] * (len(weights) - len(self.KEYS))

        return qs, grad

    def _loop(self, cells):
        """Step every net through time. -> (hs, saved): the first net's h, and per step the
        factors that turn dL/dh_t into the gradients of its gates (computed here, while r, z,
        n are in cache, rather than in passes over whole-episode tensors afterwards)."""
        t_len = self.t
        arrays = lambda: tf.TensorArray(tf.float32, size=t_len)  # noqa: E731
        h0 = [tf.zeros_like(gi_n[0]) for _, gi_n, *_ in cells]  # ([G,] R, H)
        outs = [arrays() for _ in cells]
        keep = [arrays() for _ in range(3 if self.train else 0)]  # f_gi, f_gh, z

        def body(t, hs, outs, keep):
            new_hs, new_outs = [], []
            for i, ((gi_rz, gi_n, w_rz, w_n, b_n), h) in enumerate(zip(cells, hs)):
                rz = tf.sigmoid(gi_rz[t] + h @ w_rz)  # ([G,] R, 2H)
                r, z = tf.split(rz, 2, axis=-1)
                hn = dense(h, w_n, b_n)
                n = tf.tanh(gi_n[t] + r * hn)
                h_minus_n = h - n
                h = n + z * h_minus_n  # = (1 - z) n + z h
                new_hs.append(h)
                new_outs.append(outs[i].write(t, h))
                if i == 0 and self.train:
                    # dL/d(pre-activation) = dL/dh_t * factor:
                    one_minus_z = 1.0 - z
                    a = one_minus_z * (1.0 - n * n)  # -> gi_n (tanh)
                    c = a * r  # -> hn
                    f_r = c * hn * (1.0 - r)  # -> r (sigmoid)
                    f_z = h_minus_n * z * one_minus_z  # -> z (sigmoid)
                    keep = [ta.write(t, v) for ta, v in zip(keep, (
                        tf.concat([f_r, f_z, a], -1), tf.concat([f_r, f_z, c], -1), z))]
            return t + 1, new_hs, new_outs, keep

        _, _, outs, keep = tf.while_loop(lambda t, *_: t < t_len, body, (0, h0, outs, keep))
        return [o.stack() for o in outs], [k.stack() for k in keep]

    def _backward(self, x, p, pre, h_steps, h_rows, saved, dq):
        """Gradients of the first net's eight weights given dL/dQ (rows, A)."""
        net = self.net
        x1 = pre
        f_gi, f_gh, z = saved  # (T, [G,] R, 3H), (T, [G,] R, 3H), (T, [G,] R, H)
        d_w2 = tf.matmul(h_rows, dq, transpose_a=True)  # (H, A)
        d_b2 = tf.reduce_sum(dq, axis=-2)
        dh_out = net.rows_to_steps(tf.matmul(dq, p["fc2/w"], transpose_b=True), self.t)
        w_h = p["gru/w_hidden"]

        def body(i, carry, d_gis, d_ghs):
            t = self.t - 1 - i
            dh = dh_out[t] + carry  # dL/dh_t, everything downstream of h_t included
            dh3 = tf.concat([dh, dh, dh], axis=-1)
            d_gi, d_gh = dh3 * f_gi[t], dh3 * f_gh[t]  # -> gi_t and h_{t-1} W_h + b_h
            carry = dh * z[t] + tf.matmul(d_gh, w_h, transpose_b=True)  # -> h_{t-1}
            return i + 1, carry, d_gis.write(t, d_gi), d_ghs.write(t, d_gh)

        arrays = lambda: tf.TensorArray(tf.float32, size=self.t)  # noqa: E731
        _, _, d_gi, d_gh = tf.while_loop(lambda i, *_: i < self.t, body,
                                         (0, tf.zeros_like(dh_out[0]), arrays(), arrays()))
        d_gi, d_gh = d_gi.stack(), d_gh.stack()  # (T, [G,] R, 3H)
        # h_{-1} = 0 adds nothing to dW_h: pair h_{t-1} with step t for t >= 1 only.
        d_wh = tf.matmul(net.steps_to_rows(h_steps[:-1]), net.steps_to_rows(d_gh[1:]),
                         transpose_a=True)
        d_bh = tf.reduce_sum(d_gh, axis=[0, -2])  # over steps and rows: no re-layout needed
        d_gi = net.steps_to_rows(d_gi)  # (rows, 3H)
        d_wi = tf.matmul(x1, d_gi, transpose_a=True)
        d_a1 = tf.raw_ops.ReluGrad(gradients=tf.matmul(d_gi, p["gru/w_input"],
                                                       transpose_b=True), features=x1)
        d_w1 = tf.matmul(x, d_a1, transpose_a=True)
        grads = [d_w1, tf.reduce_sum(d_a1, axis=-2), d_wi, tf.reduce_sum(d_gi, axis=-2),
                 d_wh, d_bh, d_w2, d_b2]
        return [_group_shape(d, net.n_groups) for d in grads]


def _group_shape(d: tf.Tensor, g: int) -> tf.Tensor:
    """A weight gradient back to its variable's shape: (K, O) -> (1, K, O), (O,) -> (1, O)."""
    return d[None] if g == 1 else d


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
        hidden = tf.nn.relu(dense(states, self.v_w1, self.v_b1))
        return dense(hidden, self.v_w2, self.v_b2)[:, 0]

    def __call__(self, agent_qs: tf.Tensor, states: tf.Tensor) -> tf.Tensor:
        """agent_qs (M, N), states (M, S) -> Q_tot (M, 1)."""
        m = tf.shape(agent_qs)[0]
        w1 = tf.abs(dense(tf.nn.relu(dense(states, self.hw1_w1, self.hw1_b1)), self.hw1_w2,
                          self.hw1_b2))
        w1 = tf.reshape(w1, [m, self.n_agents, self.embed_dim])  # (M, N, E)
        b1 = dense(states, self.hb1_w, self.hb1_b)  # (M, E)
        # q (1 x N) |W1| (N x E) per sample, as a broadcast product: a batch of M tiny
        # matmuls (BatchMatMul) cost several times more here, forward and backward.
        hidden = tf.nn.elu(tf.reduce_sum(agent_qs[:, :, None] * w1, axis=1) + b1)  # (M, E)
        w_final = tf.abs(dense(tf.nn.relu(dense(states, self.hwf_w1, self.hwf_b1)),
                               self.hwf_w2, self.hwf_b2))  # (M, E)
        q_tot = tf.reduce_sum(hidden * w_final, axis=-1, keepdims=True)  # (M, 1)
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

