"""A checkpoint's weights read with plain h5py and a NumPy forward pass reproduce the app's
per-agent Q-values and Q_tot -- both with this test's own NumPy code and with the example in
the README's "Checkpoint format" section."""

from __future__ import annotations

import json
import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from qmix.checkpoint import save_checkpoint
from qmix.config import make_config
from qmix.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "README.md"

CONFIGS = {
    "two_step_shared_gru": dict(scenario="two_step"),
    "pursuit_per_agent_gru_last_action": dict(
        scenario="pursuit", share_params=False, obs_last_action=True, hidden_dim=16,
        mixing_embed_dim=8, hypernet_embed=12, n_envs=1, batch_size=4, buffer_size=8,
        learning_starts=4),
    "two_step_ff_vdn": dict(scenario="two_step", agent="ff", algo="vdn"),
}


# ------------------------------------------------------------------ the test's own NumPy
def read_weights(path: Path) -> tuple[dict, dict, dict[str, np.ndarray]]:
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["config"])
        info = json.loads(f.attrs["scenario"])
        weights: dict[str, np.ndarray] = {}

        def take(name: str, obj: object) -> None:
            if isinstance(obj, h5py.Dataset):
                weights[name] = obj[()].astype(np.float64)

        f["variables/online"].visititems(take)
        for part in ("obs", "state"):
            if f"normalizer/{part}" in f:
                weights[f"norm/{part}/lo"] = f[f"normalizer/{part}/lo"][()]
                weights[f"norm/{part}/hi"] = f[f"normalizer/{part}/hi"][()]
        weights["reward_scale"] = np.array(json.loads(f["extra"].attrs["reward_scale"]))
    return config, info, weights


def normalised(w: dict[str, np.ndarray], part: str, x: np.ndarray) -> np.ndarray:
    if f"norm/{part}/lo" not in w:
        return x
    lo, hi = w[f"norm/{part}/lo"], w[f"norm/{part}/hi"]
    out = np.where(hi > lo, (x - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)
    return np.clip(out, -10.0, 10.0)


def forward(config: dict, info: dict, w: dict[str, np.ndarray], obs: np.ndarray,
            hidden: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Per-agent Q (N, A): Linear -> ReLU -> GRU (r, z, n) or Linear-ReLU -> Linear."""
    n, a, h = info["n_agents"], info["n_actions"], config["hidden_dim"]

    def dense(x: np.ndarray, key: str) -> np.ndarray:  # weights (G, in, out), G in {1, N}
        wt, b = w[f"agent/{key}/w"], w[f"agent/{key}/b"]
        wt, b = np.broadcast_to(wt, (n, *wt.shape[1:])), np.broadcast_to(b, (n, b.shape[1]))
        return np.einsum("ni,nio->no", x, wt) + b

    def dense_gru(x: np.ndarray, side: str) -> np.ndarray:
        wt, b = w[f"agent/gru/w_{side}"], w[f"agent/gru/b_{side}"]
        wt, b = np.broadcast_to(wt, (n, *wt.shape[1:])), np.broadcast_to(b, (n, b.shape[1]))
        return np.einsum("ni,nio->no", x, wt) + b

    x = [normalised(w, "obs", obs)]
    if config["obs_agent_id"]:
        x.append(np.eye(n))
    if config["obs_last_action"]:
        x.append(np.array([np.eye(a)[k] if k >= 0 else np.zeros(a) for k in last]))
    x = np.maximum(dense(np.concatenate(x, axis=1), "fc1"), 0.0)
    if config["agent"] == "ff":
        out = np.maximum(dense(x, "fc_hidden"), 0.0)
    else:
        gi, gh = dense_gru(x, "input"), dense_gru(hidden, "hidden")
        sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
        r, z = sig(gi[:, :h] + gh[:, :h]), sig(gi[:, h:2 * h] + gh[:, h:2 * h])
        cand = np.tanh(gi[:, 2 * h:] + r * gh[:, 2 * h:])
        out = (1.0 - z) * cand + z * hidden
    return dense(out, "fc2") * w["reward_scale"]


def mix(config: dict, info: dict, w: dict[str, np.ndarray], qs: np.ndarray,
        state: np.ndarray) -> float:
    """QMIX: Q_tot = elu(qs |W1(s)| + b1(s)) |W_final(s)| + V(s); VDN/IQL: the sum."""
    if config["algo"] != "qmix":
        return float(qs.sum())
    sigma = float(w["reward_scale"])
    qs, state = qs / sigma, normalised(w, "state", state)
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    m = lambda k: w[f"mixer/{k}"]  # noqa: E731
    w1 = np.abs(relu(state @ m("hyper_w1/0/w") + m("hyper_w1/0/b")) @ m("hyper_w1/1/w")
                + m("hyper_w1/1/b")).reshape(info["n_agents"], -1)
    pre = qs @ w1 + state @ m("hyper_b1/w") + m("hyper_b1/b")
    hidden = np.where(pre > 0, pre, np.expm1(pre))
    w_final = np.abs(relu(state @ m("hyper_w_final/0/w") + m("hyper_w_final/0/b"))
                     @ m("hyper_w_final/1/w") + m("hyper_w_final/1/b"))
    v = relu(state @ m("v/0/w") + m("v/0/b")) @ m("v/1/w") + m("v/1/b")
    return float(hidden @ w_final + v[0]) * sigma


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module", params=sorted(CONFIGS))
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A run, a decision to look at (obs, state, GRU state, last and chosen actions), the
    app's inspection of it, and the run's checkpoint."""
    overrides = dict(CONFIGS[request.param])
    trainer = Trainer(make_config(overrides.pop("scenario"), seed=7, **overrides))
    for _ in range(3):  # real input ranges and a reward scale that is not 1
        trainer.run_episode()
    rng = np.random.default_rng(3)
    info = trainer.info
    ts = trainer.env.reset(seed=5)
    for _ in range(2):  # a state that is not the start state
        actions = np.array([[rng.choice(np.flatnonzero(av)) for av in copy]
                            for copy in ts.avail_actions])
        ts = trainer.env.step(actions) if not ts.terminated.any() else ts
    n, a = info.n_agents, info.n_actions
    decision = dict(obs=ts.obs[0], state=ts.state[0], avail=ts.avail_actions[0],
                    hidden=rng.normal(0, 0.5, (n, trainer.config.hidden_dim)).astype(np.float32),
                    last=np.array([-1] + list(rng.integers(0, a, n - 1))),
                    actions=rng.integers(0, a, n))
    inspection = trainer.inspect(decision["obs"], decision["state"], decision["avail"],
                                 decision["hidden"], decision["last"], decision["actions"])
    path = tmp_path_factory.mktemp("weights") / f"{request.param}.h5"
    save_checkpoint(trainer, path)
    return decision, inspection, path


def test_numpy_forward_pass_on_h5py_weights_reproduces_q_and_q_tot(case) -> None:
    decision, inspection, path = case
    config, info, w = read_weights(path)
    qs = forward(config, info, w, decision["obs"].astype(np.float64),
                 decision["hidden"].astype(np.float64), decision["last"])
    np.testing.assert_allclose(qs, inspection.agent_qs, atol=1e-5, rtol=1e-5)
    chosen = qs[np.arange(info["n_agents"]), decision["actions"]]
    q_tot = mix(config, info, w, chosen, decision["state"].astype(np.float64))
    assert q_tot == pytest.approx(inspection.q_tot_chosen, abs=1e-5, rel=1e-5)


def test_the_documented_example_reproduces_q_and_q_tot(case) -> None:
    decision, inspection, path = case
    section = DOC.read_text().split("## Checkpoint format", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "the README's checkpoint section has no python example"
    example = blocks[0]
    assert "qmix" not in re.findall(r"^\s*(?:from|import)\s+(\w+)", example, flags=re.M)
    namespace: dict = {"__name__": "checkpoint_example"}
    exec(compile(example, str(DOC), "exec"), namespace)  # noqa: S102 - our own doc
    config, info, w = namespace["load_run"](path)
    qs, _ = namespace["agent_qs"](config, info, w, decision["obs"], decision["hidden"],
                                  decision["last"])
    np.testing.assert_allclose(qs, inspection.agent_qs, atol=1e-5, rtol=1e-5)
    chosen = qs[np.arange(info["n_agents"]), decision["actions"]]
    q_tot = namespace["q_tot"](config, info, w, chosen, decision["state"])
    assert q_tot == pytest.approx(inspection.q_tot_chosen, abs=1e-5, rel=1e-5)
