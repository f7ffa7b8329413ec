"""The learner's maths against hand-written NumPy references on tiny inputs."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from envs.base import EnvInfo
from qmix.config import Config
from qmix.trainer import configure_tensorflow

tf = configure_tensorflow()

from qmix.actor import NumpyAgent  # noqa: E402
from qmix.learner import Learner  # noqa: E402
from qmix.networks import QMixer  # noqa: E402

INFO = EnvInfo(name="tiny", n_agents=2, n_actions=3, obs_dim=4, state_dim=5, episode_limit=4,
               action_names=("a", "b", "c"), solved_return=1.0, optimal_return=None)


def tiny_config(**kw) -> Config:
    base = dict(scenario="two_step", batch_size=3, buffer_size=8, hidden_dim=8,
                mixing_embed_dim=4, hypernet_embed=6, lr=1e-3)
    base.update(kw)
    return Config.from_dict(base)


def random_batch(rng: np.random.Generator, b: int = 3, info: EnvInfo = INFO) -> dict:
    t1, n, a = info.episode_limit + 1, info.n_agents, info.n_actions
    avail = rng.random((b, t1, n, a)) < 0.6
    avail[..., 0] = True  # every agent keeps at least one action
    actions = np.zeros((b, t1, n), np.int32)
    for idx in np.ndindex(b, t1, n):
        actions[idx] = rng.choice(np.flatnonzero(avail[idx]))
    lengths = np.array([info.episode_limit, 2, 3])[:b]  # two episodes end early (padding)
    filled = (np.arange(t1)[None, :] < lengths[:, None]).astype(np.float32)
    terminated = np.zeros((b, t1), np.float32)
    terminated[1, lengths[1] - 1] = 1.0  # episode 1 terminates; episode 2 is truncated
    return {
        "obs": rng.normal(size=(b, t1, n, info.obs_dim)).astype(np.float32),
        "state": rng.normal(size=(b, t1, info.state_dim)).astype(np.float32),
        "avail_actions": avail,
        "actions": actions,
        "reward": rng.normal(size=(b, t1)).astype(np.float32) * filled,
        "terminated": terminated,
        "filled": filled,
        "active": np.ones((b, t1, n), np.float32),
    }


# ----------------------------------------------------------------------- NumPy references
def np_qmix(mixer: QMixer, qs: np.ndarray, states: np.ndarray) -> np.ndarray:
    """QMIX eq. (6): elu(q |W1| + b1) |W_f| + V(s). qs (M, N), states (M, S) -> (M,)."""
    v = {k: var.numpy() for k, var in mixer.named.items()}
    relu = lambda x: np.maximum(x, 0.0)  # noqa: E731
    elu = lambda x: np.where(x > 0, x, np.expm1(x))  # noqa: E731
    m, n = qs.shape
    w1 = np.abs(relu(states @ v["hyper_w1/0/w"] + v["hyper_w1/0/b"]) @ v["hyper_w1/1/w"]
                + v["hyper_w1/1/b"]).reshape(m, n, -1)
    b1 = states @ v["hyper_b1/w"] + v["hyper_b1/b"]
    hidden = elu(np.einsum("mn,mne->me", qs, w1) + b1)
    wf = np.abs(relu(states @ v["hyper_w_final/0/w"] + v["hyper_w_final/0/b"])
                @ v["hyper_w_final/1/w"] + v["hyper_w_final/1/b"])
    value = relu(states @ v["v/0/w"] + v["v/0/b"]) @ v["v/1/w"] + v["v/1/b"]
    return (hidden * wf).sum(-1) + value[:, 0]


def np_agent_qs(learner: Learner, batch: dict, target: bool = False) -> np.ndarray:
    """Unroll the (target) agent over the batch with the NumPy actor's maths -> (B,T1,N,A)."""
    net = learner.target_agent if target else learner.agent
    actor = NumpyAgent(learner.config, INFO.n_agents, INFO.n_actions)
    actor.set_weights({k: v.numpy() for k, v in net.named.items()})
    b, t1 = batch["obs"].shape[:2]
    hidden = np.zeros((b, INFO.n_agents, learner.config.hidden_dim), np.float32)
    last = np.full((b, INFO.n_agents), -1)
    out = []
    for t in range(t1):
        q, hidden = actor.forward(actor.inputs(batch["obs"][:, t], last), hidden)
        out.append(q)
        last = batch["actions"][:, t]
    return np.stack(out, axis=1)


def np_q_tot_and_targets(learner: Learner, batch: dict, double_q: bool, lam: float,
                         gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Q_tot of the chosen actions and the TD targets, both (B, T), by the definitions."""
    qs = np_agent_qs(learner, batch)
    tqs = np_agent_qs(learner, batch, target=True)
    b, t1 = batch["obs"].shape[:2]
    t_len = t1 - 1
    mix = learner.mixer
    mix_t = learner.target_mixer
    chosen = np.take_along_axis(qs[:, :-1], batch["actions"][:, :-1, :, None], -1)[..., 0]
    next_avail = batch["avail_actions"][:, 1:]
    if double_q:
        best = np.where(next_avail, qs[:, 1:], -np.inf).argmax(-1)
        tnext = np.take_along_axis(tqs[:, 1:], best[..., None], -1)[..., 0]
    else:
        tnext = np.where(next_avail, tqs[:, 1:], -np.inf).max(-1)
    q_tot = np_qmix(mix, chosen.reshape(-1, 2), batch["state"][:, :-1].reshape(b * t_len, -1))
    tq_tot = np_qmix(mix_t, tnext.reshape(-1, 2), batch["state"][:, 1:].reshape(b * t_len, -1))
    q_tot, tq_tot = q_tot.reshape(b, t_len), tq_tot.reshape(b, t_len)
    r, d = batch["reward"][:, :-1], batch["terminated"][:, :-1]
    filled = batch["filled"]
    y = np.zeros((b, t_len))
    for i in range(b):  # the plain recursive definition, episode by episode
        g_next = tq_tot[i, -1]
        for t in reversed(range(t_len)):
            lam_t = lam * filled[i, t + 1] if t + 1 < t1 else 0.0
            y[i, t] = r[i, t] + gamma * (1 - d[i, t]) * ((1 - lam_t) * tq_tot[i, t]
                                                         + lam_t * g_next)
            g_next = y[i, t]
    return q_tot, y


def np_loss(learner: Learner, batch: dict, double_q: bool, lam: float, gamma: float) -> float:
    q_tot, y = np_q_tot_and_targets(learner, batch, double_q, lam, gamma)
    mask = batch["filled"][:, :-1]
    return float(((q_tot - y) ** 2 * mask).sum() / mask.sum())


# ----------------------------------------------------------------------- tests
def test_qmix_mixer_matches_numpy_reference():
    rng = np.random.default_rng(0)
    mixer = QMixer(3, 5, 4, 6, rng)
    qs = rng.normal(size=(7, 3)).astype(np.float32)
    states = rng.normal(size=(7, 5)).astype(np.float32)
    got = mixer(tf.constant(qs), tf.constant(states)).numpy()[:, 0]
    np.testing.assert_allclose(got, np_qmix(mixer, qs, states), rtol=1e-5, atol=1e-5)


def test_qmix_is_monotonic_in_every_agent_q():
    rng = np.random.default_rng(1)
    mixer = QMixer(4, 6, 8, 16, rng)
    qs = tf.constant(rng.normal(scale=5.0, size=(256, 4)).astype(np.float32))
    states = tf.constant(rng.normal(scale=3.0, size=(256, 6)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(qs)
        q_tot = tf.reduce_sum(mixer(qs, states))
    grads = tape.gradient(q_tot, qs).numpy()
    assert (grads >= 0.0).all()
    assert (grads > 0.0).mean() > 0.9  # not trivially zero either


@pytest.mark.parametrize("double_q,lam", [(True, 0.0), (False, 0.0), (True, 0.6)])
def test_td_loss_matches_numpy_reference(double_q, lam):
    cfg = tiny_config(double_q=double_q, td_lambda=lam, target_update="soft", tau=0.5)
    learner = Learner(cfg, INFO, np.random.default_rng(3))
    # Make the target networks differ from the online ones, as after some training.
    for var in learner.target_params.values():
        var.assign(var + 0.1 * tf.random.stateless_normal(var.shape, [1, 2]))
    batch = random_batch(np.random.default_rng(4))
    expected = np_loss(learner, batch, double_q, lam, cfg.gamma)
    got = learner.update(batch)["loss"]
    assert got == pytest.approx(expected, rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("double_q,lam", [(True, 0.0), (False, 0.0), (True, 0.6)])
def test_td_targets_match_numpy_reference(double_q, lam):
    cfg = tiny_config(double_q=double_q, td_lambda=lam)
    learner = Learner(cfg, INFO, np.random.default_rng(3))
    for var in learner.target_params.values():
        var.assign(var + 0.1 * tf.random.stateless_normal(var.shape, [1, 2]))
    batch = random_batch(np.random.default_rng(4))
    _, expected = np_q_tot_and_targets(learner, batch, double_q, lam, cfg.gamma)
    got = learner.td_targets(batch)
    assert got.shape == expected.shape + (1,)
    np.testing.assert_allclose(got[..., 0], expected, rtol=1e-5, atol=1e-5)


def test_td_targets_of_iql_have_one_column_per_agent():
    learner = Learner(tiny_config(algo="iql"), INFO, np.random.default_rng(3))
    batch = random_batch(np.random.default_rng(4))
    assert learner.td_targets(batch).shape == (3, INFO.episode_limit, INFO.n_agents)


def test_padded_steps_do_not_change_the_update():
    batch = random_batch(np.random.default_rng(5))
    garbage = {k: v.copy() for k, v in batch.items()}
    pad = garbage["filled"] == 0  # (B, T1)
    # every slot after an episode's final observation (which bootstraps it) gets garbage
    for i in range(pad.shape[0]):
        last = int(garbage["filled"][i].sum())  # slot `last` holds the final observation
        pad[i, : last + 1] = False
    rng = np.random.default_rng(6)
    garbage["obs"][pad] = rng.normal(size=garbage["obs"][pad].shape) * 100
    garbage["state"][pad] = rng.normal(size=garbage["state"][pad].shape) * 100
    garbage["actions"][pad] = 0
    results = []
    for data in (batch, garbage):
        learner = Learner(tiny_config(), INFO, np.random.default_rng(7))
        metrics = learner.update(data)
        results.append((metrics["loss"], [v.numpy() for v in learner.params.values()]))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_numpy_actor_matches_tensorflow_agent():
    for agent, share in (("rnn", True), ("rnn", False), ("ff", True)):
        learner = Learner(tiny_config(agent=agent, share_params=share), INFO,
                          np.random.default_rng(8))
        batch = random_batch(np.random.default_rng(9))
        last = np.concatenate([-np.ones_like(batch["actions"][:, :1]),
                               batch["actions"][:, :-1]], axis=1)
        tf_qs = learner.agent.unroll(learner.build_inputs(batch["obs"], last)).numpy()
        np.testing.assert_allclose(np_agent_qs(learner, batch), tf_qs, rtol=1e-4, atol=1e-5)


def test_update_traces_once_whatever_the_data():
    learner = Learner(tiny_config(), INFO, np.random.default_rng(10))
    for seed in range(5):
        batch = random_batch(np.random.default_rng(seed))
        length = 2 + seed % 4  # batches cut after their longest episode vary in length
        learner.update({k: v[:, :length] for k, v in batch.items()})
    assert learner._update.experimental_get_tracing_count() == 1


def test_a_learner_that_has_updated_is_freed_when_dropped():
    """TensorFlow keeps every custom gradient registered while tracing, and with it the traced
    graph and our networks (~8 MB a run in the app). A dropped learner must leave nothing."""
    learner = Learner(tiny_config(), INFO, np.random.default_rng(13))
    learner.update(random_batch(np.random.default_rng(14)))
    agent, graph = weakref.ref(learner.agent), weakref.ref(
        learner._update.get_concrete_function().graph)
    del learner
    gc.collect()
    assert agent() is None and graph() is None


def test_hard_target_sync_every_interval():
    learner = Learner(tiny_config(target_update_interval=3), INFO, np.random.default_rng(11))
    batch = random_batch(np.random.default_rng(12))
    key = "agent/fc1/w"
    for i in range(1, 7):
        learner.update(batch)
        same = np.array_equal(learner.params[key].numpy(), learner.target_params[key].numpy())
        assert same == (i % 3 == 0)


def test_inactive_agents_do_not_contribute():
    batch = random_batch(np.random.default_rng(13))
    batch["active"][:, :, 1] = 0.0  # agent 1 is dead throughout
    other = {k: v.copy() for k, v in batch.items()}
    other["actions"][:, :, 1] = 0  # whatever it "did" must not matter
    losses = []
    for data in (batch, other):
        learner = Learner(tiny_config(algo="vdn"), INFO, np.random.default_rng(14))
        losses.append(learner.update(data)["loss"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)


def test_rmsprop_follows_pytorch_semantics():
    cfg = tiny_config(optimizer="rmsprop", lr=0.01, optim_eps=1e-5, grad_clip=1e9)
    learner = Learner(cfg, INFO, np.random.default_rng(15))
    var = tf.Variable(np.array([1.0, -2.0], np.float32))
    from qmix.learner import Optimizer

    opt = Optimizer("rmsprop", 0.01, 1e-5, {"x": var})
    g = np.array([0.5, -1.0], np.float32)
    opt.apply([tf.constant(g)])
    v = 0.01 * g**2  # alpha 0.99: v = 0.99*0 + 0.01 g^2
    expected = np.array([1.0, -2.0]) - 0.01 * g / (np.sqrt(v) + 1e-5)
    np.testing.assert_allclose(var.numpy(), expected, rtol=1e-5)
    assert learner.optimizer.kind == "rmsprop"


def test_cutting_the_padded_tail_changes_nothing():
    batch = random_batch(np.random.default_rng(16))
    batch["filled"][:, 3:] = 0.0  # every episode ended by step 3: slots 4.. are padding
    cut = {k: v[:, :4] for k, v in batch.items()}
    results = []
    for data in (batch, cut):
        learner = Learner(tiny_config(td_lambda=0.5), INFO, np.random.default_rng(17))
        results.append((learner.update(data)["loss"],
                        [v.numpy() for v in learner.params.values()]))
        assert learner._update.experimental_get_tracing_count() == 1
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------- the update before the
# speed work (commit 557474f), kept compact: batch-major, autodiff through a plain time loop,
# the mixer's products as batched matmuls, Adam / RMSprop with separate small ops. The fast
# update must give the same numbers to float32 rounding.
def reference_agent_qs(cfg, w: dict, inputs: tf.Tensor) -> tf.Tensor:
    """inputs (B, T1, N, D) -> Q (B, T1, N, A); `w` holds (G, ...) weights."""
    def dense(x, key):
        wk, bk = (f"{key}/w", f"{key}/b") if "gru" not in key else key.split(",")
        if w[wk].shape[0] == 1:
            return tf.tensordot(x, w[wk][0], axes=1) + w[bk][0]
        return tf.einsum("...ni,nio->...no", x, w[wk]) + w[bk]

    x = tf.nn.relu(dense(inputs, "fc1"))
    if cfg.agent == "ff":
        return dense(tf.nn.relu(dense(x, "fc_hidden")), "fc2")
    gi_all = dense(x, "gru/w_input,gru/b_input")
    h = tf.zeros(tf.concat([tf.shape(inputs)[:1], tf.shape(inputs)[2:3], [cfg.hidden_dim]], 0))
    hs = []
    for t in range(inputs.shape[1]):
        gi, gh = gi_all[:, t], dense(h, "gru/w_hidden,gru/b_hidden")
        i_r, i_z, i_n = tf.split(gi, 3, axis=-1)
        h_r, h_z, h_n = tf.split(gh, 3, axis=-1)
        r, z = tf.sigmoid(i_r + h_r), tf.sigmoid(i_z + h_z)
        n = tf.tanh(i_n + r * h_n)
        h = (1.0 - z) * n + z * h
        hs.append(h)
    return dense(tf.stack(hs, axis=1), "fc2")


def reference_mix(cfg, w: dict, qs: tf.Tensor, states: tf.Tensor) -> tf.Tensor:
    """qs (B, T, N), states (B, T, S) -> (B, T, K)."""
    b, t, n = qs.shape
    if cfg.algo == "vdn":
        return tf.reduce_sum(qs, -1, keepdims=True)
    if cfg.algo == "iql":
        return qs
    s = tf.reshape(states, [b * t, -1])
    q = tf.reshape(qs, [b * t, 1, n])
    w1 = tf.abs(tf.nn.relu(s @ w["hyper_w1/0/w"] + w["hyper_w1/0/b"]) @ w["hyper_w1/1/w"]
                + w["hyper_w1/1/b"])
    hidden = tf.nn.elu(tf.matmul(q, tf.reshape(w1, [b * t, n, -1]))
                       + (s @ w["hyper_b1/w"] + w["hyper_b1/b"])[:, None])
    w_final = tf.abs(tf.nn.relu(s @ w["hyper_w_final/0/w"] + w["hyper_w_final/0/b"])
                     @ w["hyper_w_final/1/w"] + w["hyper_w_final/1/b"])[:, :, None]
    v = tf.nn.relu(s @ w["v/0/w"] + w["v/0/b"]) @ w["v/1/w"] + w["v/1/b"]
    return tf.reshape(tf.matmul(hidden, w_final)[:, 0] + v, [b, t, 1])


def reference_update(learner: Learner, batch: dict, state: dict) -> dict:
    """One update of `state` (NumPy copies: params, target, m, v, step) in place; metrics."""
    cfg, info = learner.config, learner.info
    split = lambda d: ({k[6:]: v for k, v in d.items() if k.startswith("agent/")},  # noqa
                       {k[6:]: v for k, v in d.items() if k.startswith("mixer/")})
    params = {k: tf.Variable(v) for k, v in state["params"].items()}
    agent_w, mixer_w = split(params)
    target_agent, target_mixer = split({k: tf.constant(v) for k, v in state["target"].items()})
    obs, st, avail = (tf.constant(batch[k]) for k in ("obs", "state", "avail_actions"))
    actions = tf.constant(batch["actions"])
    reward, term, filled, active = (tf.constant(batch[k]) for k in (
        "reward", "terminated", "filled", "active"))
    last = tf.concat([-tf.ones_like(actions[:, :1]), actions[:, :-1]], axis=1)
    inputs = learner.build_inputs(obs, last)
    target_qs = reference_agent_qs(cfg, target_agent, inputs)
    mask = filled[:, :-1]
    with tf.GradientTape() as tape:
        qs = reference_agent_qs(cfg, agent_w, inputs)
        chosen = tf.gather(qs[:, :-1], actions[:, :-1], batch_dims=3) * active[:, :-1]
        q_tot = reference_mix(cfg, mixer_w, chosen, st[:, :-1])
        if cfg.double_q:
            best = tf.argmax(tf.where(avail[:, 1:], qs[:, 1:], -1e9), -1, output_type=tf.int32)
            nxt = tf.gather(target_qs[:, 1:], best, batch_dims=3)
        else:
            nxt = tf.reduce_max(tf.where(avail[:, 1:], target_qs[:, 1:], -1e9), -1)
        tq = reference_mix(cfg, target_mixer, nxt * active[:, 1:], st[:, 1:])  # (B, T, K)
        r, nd = reward[:, :-1, None], (1.0 - term[:, :-1])[..., None]
        if cfg.td_lambda == 0.0:
            y = r + cfg.gamma * nd * tq
        else:
            g, ys = tq[:, -1], []
            for t in reversed(range(tq.shape[1])):
                lam = cfg.td_lambda * filled[:, t + 1, None]
                g = r[:, t] + cfg.gamma * nd[:, t] * ((1 - lam) * tq[:, t] + lam * g)
                ys.append(g)
            y = tf.stack(ys[::-1], axis=1)
        y = tf.stop_gradient(y)
        err = (q_tot - y) * mask[..., None]
        n_valid = tf.reduce_sum(mask) * float(q_tot.shape[-1])
        loss = tf.reduce_sum(err ** 2) / n_valid
    keys = list(params)
    grads, norm = tf.clip_by_global_norm(tape.gradient(loss, [params[k] for k in keys]),
                                         cfg.grad_clip)
    state["step"] += 1
    for key, g in zip(keys, grads):
        g, p = g.numpy(), state["params"][key]
        if cfg.optimizer == "adam":
            state["m"][key] = 0.9 * state["m"][key] + 0.1 * g
            state["v"][key] = 0.999 * state["v"][key] + 0.001 * g * g
            m_hat = state["m"][key] / (1 - 0.9 ** state["step"])
            v_hat = state["v"][key] / (1 - 0.999 ** state["step"])
            state["params"][key] = p - cfg.lr * m_hat / (np.sqrt(v_hat) + cfg.optim_eps)
        else:
            state["v"][key] = 0.99 * state["v"][key] + 0.01 * g * g
            state["params"][key] = p - cfg.lr * g / (np.sqrt(state["v"][key]) + cfg.optim_eps)
    return {"loss": float(loss), "grad_norm": float(norm)}


@pytest.mark.parametrize("overrides", [
    {}, {"share_params": False}, {"algo": "vdn"}, {"algo": "iql"}, {"double_q": False},
    {"td_lambda": 0.6}, {"optimizer": "rmsprop"}, {"agent": "ff", "share_params": False},
], ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "qmix")
def test_update_equals_the_update_before_the_speed_work(overrides):
    learner = Learner(tiny_config(**overrides), INFO, np.random.default_rng(21))
    for var in learner.target_params.values():  # targets differ from the online networks
        var.assign(var + 0.1 * tf.random.stateless_normal(var.shape, [3, 4]))
    state = {"params": {k: v.numpy() for k, v in learner.params.items()},
             "target": {k: v.numpy() for k, v in learner.target_params.items()},
             "m": {k: np.zeros_like(v.numpy()) for k, v in learner.params.items()},
             "v": {k: np.zeros_like(v.numpy()) for k, v in learner.params.items()}, "step": 0}
    for seed in (22, 23):  # two steps: Adam's bias correction changes between them
        batch = random_batch(np.random.default_rng(seed))
        want = reference_update(learner, batch, state)
        got = learner.update(batch)
        assert got["loss"] == pytest.approx(want["loss"], rel=1e-5, abs=1e-6)
        assert got["grad_norm"] == pytest.approx(want["grad_norm"], rel=1e-5, abs=1e-6)
        for key, var in learner.params.items():
            np.testing.assert_allclose(var.numpy(), state["params"][key], rtol=1e-5, atol=2e-6,
                                       err_msg=key)
