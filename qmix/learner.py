"""The QMIX learner: one compiled update, target networks, optimizer, compiled inspection.

Acme's split: `_update` (compiled) does the maths; `update` (plain Python) does bookkeeping:
counters, target sync, refreshing the NumPy actor weights.

Batch layout (numpy, from `EpisodeBuffer.sample`), T1 = episode_limit + 1 time slots:
    obs (B, T1, N, O) f32, state (B, T1, S) f32, avail_actions (B, T1, N, A) bool,
    actions (B, T1, N) i32, reward (B, T1) f32, terminated (B, T1) f32, filled (B, T1) f32,
    active (B, T1, N) f32.
Slot t holds the observation *before* step t and the action/reward/termination *of* step t;
slot T1-1 only contributes the last observation (for bootstrapping). `filled[t]` is 1 where
step t really happened (0 on padding after an episode ended early).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from envs.base import EnvInfo
from qmix.config import Config
from qmix.memory import keep_freed_memory
from qmix.networks import (AgentNetwork, build_mixer, gradients_released,
                           unroll_online_and_target)
from qmix.types import Inspection

_NEG = -1e9  # stands in for -inf when masking unavailable actions before an argmax / max




def _time_major(batch) -> list[tf.Tensor]:
    """Batch arrays (B, T1, ...) -> (T1, B, ...)."""
    return [tf.transpose(x, [1, 0, *range(2, x.shape.rank)]) for x in batch]


def agent_input_dim(config: Config, info: EnvInfo) -> int:
    return (info.obs_dim + (info.n_agents if config.obs_agent_id else 0)
            + (info.n_actions if config.obs_last_action else 0))


class Optimizer:
    """Adam or RMSprop with explicitly named slots.

    Hand-written (ten lines each) rather than Keras' because (a) the PyMARL preset needs
    PyTorch's RMSprop semantics (alpha 0.99, eps outside the sqrt), which Keras' RMSprop does
    not have, and (b) checkpoints need the slot variables under stable names.
    """

    def __init__(self, kind: str, lr: float, eps: float, params: dict[str, tf.Variable]) -> None:
        self.kind, self.lr, self.eps = kind, lr, eps
        self.params = params
        self.step = tf.Variable(0, dtype=tf.int64, name="optim_step", trainable=False)
        self.slots: dict[str, tf.Variable] = {}
        for key, var in params.items():
            if kind == "adam":
                self.slots[f"m/{key}"] = tf.Variable(tf.zeros_like(var), trainable=False)
            self.slots[f"v/{key}"] = tf.Variable(tf.zeros_like(var), trainable=False)

    def apply(self, grads: list[tf.Tensor]) -> None:
        self.step.assign_add(1)
        t = tf.cast(self.step, tf.float32)
        if self.kind == "adam":
            b1, b2 = 0.9, 0.999
            b1_t, b2_t = tf.pow(b1, t), tf.pow(b2, t)
            # One fused kernel per variable (m, v and the step in one pass) instead of ten
            # small ops each. Its update is lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps');
            # eps' = eps sqrt(1-b2^t) makes that exactly m_hat / (sqrt(v_hat) + eps).
            eps = self.eps * tf.sqrt(1.0 - b2_t)
            for (key, var), g in zip(self.params.items(), grads):
                tf.raw_ops.ResourceApplyAdam(
                    var=var.handle, m=self.slots[f"m/{key}"].handle,
                    v=self.slots[f"v/{key}"].handle, beta1_power=b1_t, beta2_power=b2_t,
                    lr=tf.constant(self.lr, tf.float32), beta1=tf.constant(b1, tf.float32),
                    beta2=tf.constant(b2, tf.float32), epsilon=eps, grad=g)
            return
        alpha = 0.99
        for (key, var), g in zip(self.params.items(), grads):
            v = self.slots[f"v/{key}"]
            v.assign(alpha * v + (1.0 - alpha) * tf.square(g))
            var.assign_sub(self.lr * g / (tf.sqrt(v) + self.eps))

    def named_variables(self) -> dict[str, tf.Variable]:
        return {"step": self.step, **self.slots}


class Learner:
    def __init__(self, config: Config, info: EnvInfo, rng: np.random.Generator) -> None:
        keep_freed_memory()
        self.config, self.info = config, info
        n, a = info.n_agents, info.n_actions
        groups = 1 if config.share_params else n
        d = agent_input_dim(config, info)
        self.agent = AgentNetwork(d, config.hidden_dim, a, groups, config.agent, rng, "agent")
        self.mixer = build_mixer(config.algo, n, info.state_dim, config.mixing_embed_dim,
                                 config.hypernet_embed, rng, "mixer")
        # Targets start as exact copies (initialised from a throwaway RNG, then synced).
        scratch = np.random.default_rng(0)
        self.target_agent = AgentNetwork(d, config.hidden_dim, a, groups, config.agent, scratch,
                                         "target_agent")
        self.target_mixer = build_mixer(config.algo, n, info.state_dim,
                                        config.mixing_embed_dim, config.hypernet_embed, scratch,
                                        "target_mixer")
        self.params: dict[str, tf.Variable] = {
            **{f"agent/{k}": v for k, v in self.agent.named.items()},
            **{f"mixer/{k}": v for k, v in self.mixer.named.items()},
        }
        self.target_params: dict[str, tf.Variable] = {
            **{f"agent/{k}": v for k, v in self.target_agent.named.items()},
            **{f"mixer/{k}": v for k, v in self.target_mixer.named.items()},
        }
        self.optimizer = Optimizer(config.optimizer, config.lr, config.optim_eps, self.params)
        self.updates = 0
        self._hard_sync()

        # Without XLA the time axis is left open: batches are cut after their longest
        # episode (as PyMARL does), which skips the padding once episodes get short, and
        # one trace still serves every length. XLA compiles per shape, so it gets T fixed.
        t1 = info.episode_limit + 1 if config.jit_compile else None
        b, o, s = config.batch_size, info.obs_dim, info.state_dim
        spec = tf.TensorSpec
        # Fixed dtypes and ranks: the update traces once per run, never again. No autograph:
        # nothing here branches or loops on tensor values, and converting the code cost ~2 s
        # of the ~3 s trace (measured), i.e. most of the wait for the first update.
        batch_spec = [
            spec([b, t1, n, o], tf.float32), spec([b, t1, s], tf.float32),
            spec([b, t1, n, a], tf.bool), spec([b, t1, n], tf.int32),
            spec([b, t1], tf.float32), spec([b, t1], tf.float32),
            spec([b, t1], tf.float32), spec([b, t1, n], tf.float32),
        ]
        self._update = tf.function(self._update_impl, input_signature=batch_spec,
                                   jit_compile=config.jit_compile or None,
                                   reduce_retracing=False, autograph=False)
        # Same target code as the update, compiled separately (traced on first use only).
        self._td_targets_fn = tf.function(self._td_targets_impl, autograph=False,
                                          input_signature=[spec([None, None, *x.shape[2:]],
                                                                x.dtype) for x in batch_spec])
        self._inspect = tf.function(
            self._inspect_impl,
            input_signature=[
                spec([n, o], tf.float32), spec([s], tf.float32), spec([n, a], tf.bool),
                spec([n, config.hidden_dim], tf.float32), spec([n], tf.int32),
                spec([n], tf.int32),
            ],
            autograph=False,
        )
        self._soft = tf.function(self._soft_sync_impl, input_signature=[], autograph=False)
        # The acting weights (agent and mixer), read in one call after every round of updates:
        # 22 separate eager reads cost 2.3 ms a round on the acting thread, ~6 % of it.
        acting = [*self.agent.named.values(), *self.mixer.named.values()]
        self._read_acting = tf.function(lambda: [tf.identity(v) for v in acting],
                                        input_signature=[], autograph=False)

    # ---------------------------------------------------------------- building blocks
    def build_inputs(self, obs: tf.Tensor, last_actions: tf.Tensor) -> tf.Tensor:
        """Agent inputs: obs (+ one-hot id) (+ one-hot last action).

        obs (..., N, O), last_actions (..., N) with -1 meaning "none yet" -> (..., N, D).
        """
        parts = [obs]
        n, a = self.info.n_agents, self.info.n_actions
        if self.config.obs_agent_id:
            ids = tf.eye(n, dtype=obs.dtype)  # (N, N)
            parts.append(tf.broadcast_to(ids, tf.concat([tf.shape(obs)[:-1], [n]], 0)))
        if self.config.obs_last_action:
            parts.append(tf.one_hot(last_actions, a, dtype=obs.dtype))  # -1 -> zeros
        return tf.concat(parts, axis=-1)

    def _mix(self, mixer, agent_qs: tf.Tensor, states: tf.Tensor) -> tf.Tensor:
        """agent_qs (T, B, N), states (T, B, S) -> (T, B, K); K = 1, or N for IQL."""
        tb = tf.shape(agent_qs)[:2]
        flat = mixer(tf.reshape(agent_qs, [-1, self.info.n_agents]),
                     tf.reshape(states, [-1, self.info.state_dim]))
        return tf.reshape(flat, tf.concat([tb, [-1]], 0))

    def _agent_inputs(self, obs: tf.Tensor, actions: tf.Tensor) -> tf.Tensor:
        """Time-major obs (T1, B, N, O) and actions (T1, B, N) -> inputs (T1, B, N, D)."""
        # last action at t is the action of step t-1; nothing before the first step.
        last_actions = tf.concat([-tf.ones_like(actions[:1]), actions[:-1]], axis=0)
        return self.build_inputs(obs, last_actions)

    # ---------------------------------------------------------------- the update
    # Everything below runs time-major, (T1, B, ...): slicing off the first or last time slot
    # is then a view, not a copy, and the GRU's time loop reads one contiguous slice per step.
    def _update_impl(self, *batch):
        with gradients_released():  # the trace's custom gradient is forgotten after it
            return self._step(*_time_major(batch))

    def _step(self, obs, state, avail, actions, reward, terminated, filled, active):
        """Loss, gradient and optimizer step on a time-major batch (inside the trace)."""
        cfg = self.config
        mask = filled[:-1]  # (T, B) steps that happened
        with tf.GradientTape() as tape:
            qs, target_qs = unroll_online_and_target(
                self.agent, self.target_agent, self._agent_inputs(obs, actions))  # (T1, B, N, A)
            chosen = tf.gather(qs[:-1], actions[:-1], batch_dims=3)  # (T, B, N)
            chosen = chosen * active[:-1]  # inactive agents contribute nothing
            q_tot = self._mix(self.mixer, chosen, state[:-1])  # (T, B, K)
            td_target = tf.stop_gradient(self._td_target_from_qs(
                qs, target_qs, state, avail, reward, terminated, filled, active))  # (T, B, K)
            td_error = (q_tot - td_target) * mask[..., None]  # (T, B, K)
            n_valid = tf.maximum(tf.reduce_sum(mask), 1.0) * tf.cast(tf.shape(q_tot)[-1],
                                                                    tf.float32)
            loss = tf.reduce_sum(tf.square(td_error)) / n_valid
        variables = list(self.params.values())
        grads = tape.gradient(loss, variables)
        grads, grad_norm = tf.clip_by_global_norm(grads, cfg.grad_clip)
        self.optimizer.apply(grads)
        mask_sum = tf.maximum(tf.reduce_sum(mask), 1.0)
        return {
            "loss": loss,
            "grad_norm": grad_norm,
            "q_tot": tf.reduce_sum(tf.reduce_mean(q_tot, -1) * mask) / mask_sum,
            "target": tf.reduce_sum(tf.reduce_mean(td_target, -1) * mask) / mask_sum,
            "td_abs": tf.reduce_sum(tf.abs(td_error)) / n_valid,
        }

    def _td_target_from_qs(self, qs, target_qs, state, avail, reward, terminated, filled,
                           active):
        """TD targets (T, B, K) from the online and target Qs of every slot (T1, B, N, A)."""
        next_avail = avail[1:]  # (T, B, N, A): the *next* step's available actions
        if self.config.double_q:
            online_next = tf.where(next_avail, tf.stop_gradient(qs[1:]), _NEG)
            best = tf.argmax(online_next, axis=-1, output_type=tf.int32)  # (T, B, N)
            target_next = tf.gather(target_qs[1:], best, batch_dims=3)
        else:
            target_next = tf.reduce_max(tf.where(next_avail, target_qs[1:], _NEG), axis=-1)
        target_next = target_next * active[1:]  # (T, B, N)
        target_q_tot = self._mix(self.target_mixer, target_next, state[1:])  # (T, B, K)
        return self._targets(reward[:-1], terminated[:-1], filled, target_q_tot)

    def _td_targets_impl(self, *batch):
        obs, state, avail, actions, reward, terminated, filled, active = _time_major(batch)
        inputs = self._agent_inputs(obs, actions)
        qs, target_qs = unroll_online_and_target(self.agent, self.target_agent, inputs)
        y = self._td_target_from_qs(qs, target_qs, state, avail, reward, terminated, filled,
                                    active)
        return tf.transpose(y, [1, 0, 2])  # (B, T, K)

    def td_targets(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """The TD targets the update would regress Q_tot on for this batch: (B, T, K)."""
        return self._td_targets_fn(*self._batch_args(batch)).numpy()

    def _targets(self, reward, terminated, filled, target_q_tot):
        """TD targets, (T, B, K), time-major.

        One-step (td_lambda = 0):  y_t = r_t + gamma (1 - d_t) Q'_tot(s_{t+1}).
        TD(lambda), backwards over t (Sutton & Barto eq. 12.18, bootstrapping with Q'):
            G_t = r_t + gamma (1 - d_t) [(1 - lam_t) Q'_{t+1} + lam_t G_{t+1}],
        where lam_t = lambda if step t+1 happened, else 0 (the episode ended: bootstrap only).
        """
        lam, gamma = self.config.td_lambda, tf.constant(self.config.gamma, tf.float32)
        r = reward[..., None]  # (T, B, 1)
        not_done = (1.0 - terminated)[..., None]
        if lam == 0.0:
            return r + gamma * not_done * target_q_tot
        next_filled = filled[1:, :, None]  # (T, B, 1): did step t+1 happen?

        def backwards(g_next, x):
            r_t, not_done_t, next_filled_t, q_next = x  # each (B, K)
            lam_t = lam * next_filled_t
            return r_t + gamma * not_done_t * ((1.0 - lam_t) * q_next + lam_t * g_next)

        return tf.scan(backwards, (r, not_done, next_filled, target_q_tot),
                       initializer=target_q_tot[-1], reverse=True)  # (T, B, K)

    def update(self, batch: dict[str, np.ndarray]) -> dict[str, float]:
        out = self._update(*self._batch_args(batch))
        self.updates += 1
        if self.config.target_update == "hard":
            if self.updates % self.config.target_update_interval == 0:
                self._hard_sync()
        else:
            self._soft()
        return {k: float(v) for k, v in out.items()}

    @staticmethod
    def _batch_args(batch: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        return tuple(batch[k] for k in ("obs", "state", "avail_actions", "actions", "reward",
                                        "terminated", "filled", "active"))

    def _hard_sync(self) -> None:
        for key, var in self.params.items():
            self.target_params[key].assign(var)

    def _soft_sync_impl(self) -> None:
        tau = self.config.tau
        for key, var in self.params.items():
            tgt = self.target_params[key]
            tgt.assign((1.0 - tau) * tgt + tau * var)

    # ---------------------------------------------------------------- inspection
    def _inspect_impl(self, obs, state, avail, hidden, last_actions, actions):
        n, a = self.info.n_agents, self.info.n_actions
        inputs = self.build_inputs(obs, last_actions)  # (N, D)
        qs, _ = self.agent.step(inputs, hidden)  # (N, A)
        greedy = tf.argmax(tf.where(avail, qs, _NEG), axis=-1, output_type=tf.int32)  # (N,)
        s = state[None]  # (1, S)
        chosen = tf.gather(qs, actions, batch_dims=1)[None]  # (1, N)
        with tf.GradientTape() as tape:
            tape.watch(chosen)
            q_tot_chosen = tf.reduce_sum(self.mixer(chosen, s))  # IQL: sum of agent Qs
        credit = tape.gradient(q_tot_chosen, chosen)[0]  # (N,) dQ_tot/dQ_a
        q_greedy = tf.gather(qs, greedy, batch_dims=1)[None]
        q_tot_greedy = tf.reduce_sum(self.mixer(q_greedy, s))
        out = {"agent_qs": qs, "greedy": greedy, "q_tot_chosen": q_tot_chosen,
               "q_tot_greedy": q_tot_greedy, "v_s": self.mixer.value(s)[0], "credit": credit}
        if n == 2:
            grid_0 = tf.repeat(qs[0], a)  # (A*A,) row-major: agent 0's action is the row
            grid_1 = tf.tile(qs[1], [a])
            joint = tf.stack([grid_0, grid_1], axis=-1)  # (A*A, 2)
            table = self.mixer(joint, tf.repeat(s, a * a, axis=0))
            out["table"] = tf.reshape(tf.reduce_sum(table, -1), [a, a])
        return out

    def inspect(self, obs: np.ndarray, state: np.ndarray, avail: np.ndarray,
                hidden: np.ndarray, last_actions: np.ndarray,
                actions: np.ndarray) -> Inspection:
        """One decision of one env copy seen through the online networks."""
        out = self._inspect(obs.astype(np.float32), state.astype(np.float32),
                            avail.astype(bool), hidden.astype(np.float32),
                            last_actions.astype(np.int32), actions.astype(np.int32))
        return Inspection(
            agent_qs=out["agent_qs"].numpy(), avail_actions=avail.astype(bool).copy(),
            chosen_actions=actions.astype(np.int64).copy(),
            greedy_actions=out["greedy"].numpy().astype(np.int64),
            q_tot_chosen=float(out["q_tot_chosen"]), q_tot_greedy=float(out["q_tot_greedy"]),
            v_s=float(out["v_s"]), credit=out["credit"].numpy(),
            q_tot_table=out["table"].numpy() if "table" in out else None,
        )

    # ---------------------------------------------------------------- state
    def named_variables(self) -> dict[str, tf.Variable]:
        """Every variable of the run under a stable name (checkpoint dataset names)."""
        out: dict[str, tf.Variable] = {}
        out.update({f"online/{k}": v for k, v in self.params.items()})
        out.update({f"target/{k}": v for k, v in self.target_params.items()})
        out.update({f"optimizer/{k}": v for k, v in self.optimizer.named_variables().items()})
        return out

    def agent_weights(self) -> dict[str, np.ndarray]:
        """NumPy copy of the online agent network, for the NumPy actor."""
        return self.acting_weights()[0]

    def acting_weights(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """NumPy copies of the online agent's and mixer's weights, read at one moment (one
        compiled call): (agent, mixer), keyed as `named`; the mixer's is empty for VDN/IQL."""
        values = [np.array(t.numpy(), np.float32) for t in self._read_acting()]  # ours to keep
        k = len(self.agent.named)
        return (dict(zip(self.agent.named, values[:k])),
                dict(zip(self.mixer.named, values[k:])))
