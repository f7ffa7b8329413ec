"""The agent network's hand-written GRU gradient against plain autodiff, and the per-agent path
against an explicit loop over agents."""

from __future__ import annotations

import numpy as np
import pytest

from qmix.trainer import configure_tensorflow

tf = configure_tensorflow()

from qmix.networks import AgentNetwork, unroll_online_and_target  # noqa: E402

T, B, N, D, H, A = 5, 4, 3, 7, 8, 4


def autodiff_unroll(weights: dict[str, tf.Tensor], x: tf.Tensor) -> tf.Tensor:
    """The DRQN by its definition, one agent's weights (D, H) etc.: x (T, B, D) -> (T, B, A).

    A plain Python loop over time with PyTorch's GRUCell equations; TensorFlow differentiates it.
    """
    w = weights
    x1 = tf.nn.relu(x @ w["fc1/w"] + w["fc1/b"])
    h = tf.zeros([x.shape[1], H])
    qs = []
    for t in range(x.shape[0]):
        gi = x1[t] @ w["gru/w_input"] + w["gru/b_input"]
        gh = h @ w["gru/w_hidden"] + w["gru/b_hidden"]
        r = tf.sigmoid(gi[:, :H] + gh[:, :H])
        z = tf.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = tf.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h = (1.0 - z) * n + z * h
        qs.append(h @ w["fc2/w"] + w["fc2/b"])
    return tf.stack(qs)


def nets(groups: int) -> tuple[AgentNetwork, AgentNetwork]:
    return (AgentNetwork(D, H, A, groups, "rnn", np.random.default_rng(1), "online"),
            AgentNetwork(D, H, A, groups, "rnn", np.random.default_rng(2), "target"))


def data(seed: int = 0) -> tuple[tf.Tensor, tf.Tensor]:
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.normal(size=(T, B, N, D)).astype(np.float32))  # time-major inputs
    upstream = tf.constant(rng.normal(size=(T, B, N, A)).astype(np.float32))  # dL/dQ
    return x, upstream


def fused_grads(online, target, x, upstream):
    with tf.GradientTape(persistent=True) as tape:
        q, q_target = unroll_online_and_target(online, target, x)
        loss = tf.reduce_sum(q * upstream) + tf.reduce_sum(q_target * upstream)
    grads = tape.gradient(loss, online.var_list)
    target_grads = tape.gradient(loss, target.var_list)
    return q, q_target, dict(zip(online.named, grads)), target_grads


@pytest.mark.parametrize("groups", [1, N])
def test_hand_written_gradient_equals_autodiff(groups):
    online, target = nets(groups)
    x, upstream = data()
    q, q_target, grads, target_grads = fused_grads(online, target, x, upstream)
    assert all(g is None for g in target_grads)  # the target network is a constant
    for net, got in ((online, q), (target, q_target)):
        for agent in range(N):
            g = 0 if groups == 1 else agent
            weights = {k: v[g] for k, v in net.named.items()}
            want = autodiff_unroll(weights, x[:, :, agent])
            np.testing.assert_allclose(got[:, :, agent], want, rtol=1e-5, atol=1e-6)
    # Shared weights: the gradient sums over agents; per-agent weights: one slice per agent.
    with tf.GradientTape() as tape:
        loss = 0.0
        for agent in range(N):
            g = 0 if groups == 1 else agent
            weights = {k: v[g] for k, v in online.named.items()}
            loss += tf.reduce_sum(autodiff_unroll(weights, x[:, :, agent]) * upstream[:, :, agent])
    want = dict(zip(online.named, tape.gradient(loss, online.var_list)))
    for key in online.named:
        np.testing.assert_allclose(grads[key], want[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_per_agent_networks_match_a_loop_over_agents():
    """One network per agent (G = N) equals N shared-parameter networks run one per agent."""
    per_agent, per_agent_target = nets(N)
    x, upstream = data(3)
    _, _, grads, _ = fused_grads(per_agent, per_agent_target, x, upstream)
    for agent in range(N):
        single = AgentNetwork(D, H, A, 1, "rnn", np.random.default_rng(9), f"single{agent}")
        single_target = AgentNetwork(D, H, A, 1, "rnn", np.random.default_rng(9), f"st{agent}")
        for key, var in single.named.items():
            var.assign(per_agent.named[key][agent:agent + 1])
            single_target.named[key].assign(per_agent_target.named[key][agent:agent + 1])
        xa, ua = x[:, :, agent:agent + 1], upstream[:, :, agent:agent + 1]  # one agent
        _, _, single_grads, _ = fused_grads(single, single_target, xa, ua)
        for key in single.named:
            np.testing.assert_allclose(grads[key][agent], single_grads[key][0], rtol=1e-5,
                                       atol=1e-6, err_msg=f"{key} agent {agent}")


def test_feed_forward_agent_gets_gradients_and_target_none():
    online = AgentNetwork(D, H, A, N, "ff", np.random.default_rng(1), "ff")
    target = AgentNetwork(D, H, A, N, "ff", np.random.default_rng(2), "ff_target")
    x, upstream = data(5)
    q, q_target, grads, target_grads = fused_grads(online, target, x, upstream)
    assert q.shape == q_target.shape == (T, B, N, A)
    assert all(g is not None for g in grads.values())
    assert all(g is None for g in target_grads)


def test_unroll_matches_the_compiled_pair_and_a_one_step_loop():
    online, target = nets(1)
    x, _ = data(7)
    q_unroll = online.unroll(tf.transpose(x, [1, 0, 2, 3]))  # batch-major API
    q_pair, _ = tf.function(lambda v: unroll_online_and_target(online, target, v))(x)
    np.testing.assert_allclose(tf.transpose(q_unroll, [1, 0, 2, 3]), q_pair, rtol=1e-6,
                               atol=1e-6)
    h = tf.zeros([B, N, H])
    for t in range(T):  # `step` is what inspection and acting use
        q_t, h = online.step(x[t], h)
        np.testing.assert_allclose(q_t, q_pair[t], rtol=1e-5, atol=1e-6)
