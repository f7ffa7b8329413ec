"""The inspection of one decision in NumPy, from the weights that made it.

Why not the compiled `Learner.inspect` for what the app shows: that reads the *online*
networks, which with `async_updates` a background round of updates is changing while the
NumPy actor acts with its copy from before that round, so the compiled numbers (greedy action,
Q) could disagree with the decision on screen; and it costs ~1 ms a call (~10 ms while an
update runs), too much for every 60 Hz frame. Here the agent's Q are the ones the actor
computed for the decision (`Trainer._decide` keeps them), and the mixer is a NumPy copy taken
from the learner at the same moment as the actor's agent weights (`Trainer._refresh_acting`):
Q_tot, V(s), the credit dQ_tot/dQ_a (closed form) and, for two agents, the joint table.

Same maths as `networks.QMixer`, `VDNMixer` and `NoMixer` (IQL: Q_tot is the sum of the
agents' Qs, as `Learner.inspect` reports it); tests/qmix/test_inspection.py checks it against
`Learner.inspect` to float32 rounding.
"""

from __future__ import annotations

import numpy as np

from qmix.types import Inspection


def _elu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


class NumpyMixer:
    """Q_tot(s, u), V(s) and dQ_tot/dQ_a in NumPy for the algorithm's mixer."""

    def __init__(self, algo: str, n_agents: int) -> None:
        self.algo, self.n_agents = algo, n_agents

    def _hyper(self, w: dict[str, np.ndarray], state: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """|W1| (N, E), b1 (E,), |W_final| (E,), V(s) for one state (S,)."""
        def relu_dense(prefix: str) -> np.ndarray:
            return np.maximum(state @ w[f"{prefix}/0/w"] + w[f"{prefix}/0/b"], 0.0)

        w1 = np.abs(relu_dense("hyper_w1") @ w["hyper_w1/1/w"] + w["hyper_w1/1/b"])
        b1 = state @ w["hyper_b1/w"] + w["hyper_b1/b"]
        wf = np.abs(relu_dense("hyper_w_final") @ w["hyper_w_final/1/w"]
                    + w["hyper_w_final/1/b"])
        v = float((relu_dense("v") @ w["v/1/w"] + w["v/1/b"])[0])
        return w1.reshape(self.n_agents, -1), b1, wf, v

    def mix(self, w: dict[str, np.ndarray], qs: np.ndarray, state: np.ndarray
            ) -> tuple[np.ndarray, float, np.ndarray]:
        """qs (M, N) joint actions' agent Qs, state (S,) -> (Q_tot (M,), V(s), credit (M, N))."""
        qs = qs.astype(np.float32, copy=False)
        if self.algo != "qmix":  # VDN and IQL: the sum; every agent's credit is 1
            return qs.sum(-1), 0.0, np.ones_like(qs)
        w1, b1, wf, v = self._hyper(w, state.astype(np.float32, copy=False))
        pre = qs @ w1 + b1  # (M, E)
        q_tot = _elu(pre) @ wf + np.float32(v)
        slope = np.where(pre > 0, 1.0, np.exp(np.minimum(pre, 0.0))).astype(np.float32)
        credit = (slope * wf) @ w1.T  # (M, N): sum_e |W1|[a, e] elu'(pre_e) |W_final|[e]
        return q_tot, v, credit


def inspect_decision(mixer: NumpyMixer, weights: dict[str, np.ndarray], q: np.ndarray,
                     avail: np.ndarray, chosen: np.ndarray, greedy: np.ndarray,
                     state: np.ndarray, sigma: float, t: int, env_copy: int,
                     weights_updates: int) -> Inspection:
    """One decision of one env copy: the actor's Q (N, A) (in network units), the actions it
    chose and its greedy ones, the normalised state (S,); values in the world's units (x sigma,
    as `Trainer.inspect`)."""
    n, a = q.shape
    rows = np.arange(n)
    joint = np.stack([q[rows, chosen], q[rows, greedy]]).astype(np.float32)  # (2, N)
    table = None
    if n == 2:  # every joint action, row-major: agent 0's action is the row
        joint = np.concatenate(
            [joint, np.stack([np.repeat(q[0], a), np.tile(q[1], a)], -1)], 0)
    q_tot, v, credit = mixer.mix(weights, joint, state)
    s = np.float32(sigma)
    if n == 2:
        table = (q_tot[2:].reshape(a, a) * s).astype(np.float32)
    return Inspection(
        agent_qs=(q * s).astype(np.float32), avail_actions=avail.astype(bool).copy(),
        chosen_actions=chosen.astype(np.int64).copy(),
        greedy_actions=greedy.astype(np.int64).copy(),
        q_tot_chosen=float(q_tot[0] * s), q_tot_greedy=float(q_tot[1] * s), v_s=float(v * s),
        credit=credit[0].astype(np.float32), q_tot_table=table, t=int(t),
        env_copy=int(env_copy), weights="acting", weights_updates=int(weights_updates))
