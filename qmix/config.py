"""Every hyperparameter of a QMIX Studio run, documented once and validated once.

No TensorFlow here: the GUI reads configs and presets before TensorFlow is imported.

A `Config` is plain data (JSON-able through `to_dict`/`from_dict`), so checkpoints store it
verbatim and the CLI builds its `--help` from the field docstrings.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import json
import math
import numbers
from dataclasses import dataclass, field, fields
from typing import Any

ALGOS = ("qmix", "vdn", "iql")
"""QMIX mixes with a monotonic hypernetwork; VDN sums; IQL trains each agent alone."""


@dataclass
class Config:
    """Settings of one run. Defaults are the Studio preset, tuned to learn on a laptop CPU."""

    # --- the problem --------------------------------------------------------------------
    scenario: str = "pursuit"
    """registered scenario name (see `envs.scenario_names()`)"""
    scenario_kwargs: dict[str, Any] = field(default_factory=dict)
    """overrides of the scenario's own config fields, e.g. {"grid_size": 7}"""
    seed: int = 0
    """seeds NumPy, TensorFlow and the environments: same seed + config = same run"""

    # --- the algorithm ------------------------------------------------------------------
    algo: str = "qmix"
    """qmix (monotonic mixing network), vdn (sum of agent Qs) or iql (no mixer)"""
    agent: str = "rnn"
    """rnn (Linear-ReLU-GRU-Linear, as PyMARL) or ff (Linear-ReLU-Linear-ReLU-Linear)"""
    hidden_dim: int = 64
    """width of the agent network's hidden layer and GRU state"""
    share_params: bool = True
    """one network for all agents (told apart by a one-hot id) rather than one per agent"""
    obs_agent_id: bool = True
    """append a one-hot agent id to each agent's input"""
    obs_last_action: bool = True
    """append the agent's previous action (one-hot) to its input"""
    mixing_embed_dim: int = 32
    """width of the QMIX mixing network's hidden layer"""
    hypernet_embed: int = 64
    """hidden width of the hypernetworks that produce the mixing weights from the state"""

    # --- learning -----------------------------------------------------------------------
    gamma: float = 0.99
    """discount factor"""
    lr: float = 5e-4
    """learning rate"""
    optimizer: str = "adam"
    """adam or rmsprop (PyTorch semantics: alpha 0.99, eps 1e-5, as PyMARL)"""
    optim_eps: float = 1e-5
    """epsilon of the optimizer's denominator"""
    grad_clip: float = 10.0
    """global-norm gradient clipping threshold"""
    batch_size: int = 32
    """episodes per gradient update"""
    buffer_size: int = 5000
    """replay capacity in episodes (preallocated; memory never grows during a run)"""
    double_q: bool = True
    """online network picks the next action among the next step's available actions"""
    td_lambda: float = 0.6
    """TD(lambda) targets (pymarl2's 0.6: sparse team rewards reach earlier steps within one
    update); 0 gives one-step targets"""
    target_update: str = "hard"
    """hard (copy every target_update_interval updates) or soft (Polyak averaging)"""
    target_update_interval: int = 200
    """updates between hard target copies"""
    tau: float = 0.005
    """Polyak factor for soft target updates"""
    scale_rewards: bool = True
    """divide rewards by their running root mean square before learning (worlds pay at any
    scale; no shift, so the task is unchanged); the values shown are scaled back"""
    standardise_rewards: bool = False
    """subtract the running mean reward as well (EPyMARL's option; this changes the task: every
    step then costs the mean reward)"""
    normalize_inputs: bool = True
    """normalise observations and state per feature by running mean and variance before the
    agents and the mixer see them (worlds arrive at any scale)"""
    jit_compile: bool = False
    """compile the update with XLA (slower first call, sometimes faster steps)"""

    # --- acting -------------------------------------------------------------------------
    n_envs: int = 8
    """environment copies stepped together; one rollout = n_envs episodes"""
    env_steps_per_update: int = 50
    """one gradient update per this many env steps, whatever the episode length (updates are
    taken at the end of each rollout; the remainder carries over); 0: use updates_per_rollout"""
    updates_per_rollout: int = 1
    """gradient updates after each rollout of n_envs episodes, when env_steps_per_update is 0
    (PyMARL's one update per episode, with n_envs = 1)"""
    async_updates: bool = True
    """run a rollout's updates on the other core while the next rollout acts (the actor's
    weights are then exactly one round of updates behind; runs stay reproducible)"""
    learning_starts: int = 32
    """episodes in the buffer before the first update (at least batch_size)"""
    eps_start: float = 1.0
    """exploration rate at the start"""
    eps_finish: float = 0.05
    """exploration rate after annealing"""
    eps_anneal_steps: int = 50_000
    """env steps over which epsilon goes from eps_start to eps_finish"""
    eps_schedule: str = "linear"
    """linear or exp"""

    # --- evaluation and limits -------------------------------------------------------------
    total_env_steps: int = 200_000
    """default training length for `main.py train`"""
    eval_interval: int = 5_000
    """env steps between greedy evaluations"""
    eval_episodes: int = 16
    """greedy episodes per evaluation (rounded up to a multiple of n_envs)"""
    solve_eval_episodes: int = 128
    """greedy episodes of the evaluation that confirms a periodic one reaching the solved
    return: a run is solved when this larger evaluation agrees (0: no confirmation)"""

    # --- replay -------------------------------------------------------------------------
    replay_episodes: int = 20
    """training episodes of env copy 0 kept for replay with every step's frame and inspection
    (the newest ones; saved in checkpoints; 0: none)"""
    replay_eval_episodes: int = 20
    """greedy evaluation episodes kept for replay (copy 0 of each evaluation's first round;
    the newest ones; 0: none)"""

    # ------------------------------------------------------------------------------------
    def validate(self) -> "Config":
        """Raise ValueError naming the first bad field; return self for chaining."""

        def bad(name: str, why: str) -> None:
            raise ValueError(f"config.{name} {why}, got {getattr(self, name)!r}")

        self._check_types()
        if self.algo not in ALGOS:
            bad("algo", f"must be one of {', '.join(ALGOS)}")
        if self.agent not in ("rnn", "ff"):
            bad("agent", "must be rnn or ff")
        if self.optimizer not in ("adam", "rmsprop"):
            bad("optimizer", "must be adam or rmsprop")
        if self.target_update not in ("hard", "soft"):
            bad("target_update", "must be hard or soft")
        if self.eps_schedule not in ("linear", "exp"):
            bad("eps_schedule", "must be linear or exp")
        if self.env_steps_per_update < 0:
            bad("env_steps_per_update", "must be >= 0 (0: use updates_per_rollout)")
        for name in ("hidden_dim", "mixing_embed_dim", "hypernet_embed", "batch_size",
                     "buffer_size", "target_update_interval", "n_envs", "eval_episodes",
                     "eval_interval"):
            if int(getattr(self, name)) < 1:
                bad(name, "must be >= 1")
        for name in ("updates_per_rollout", "learning_starts", "eps_anneal_steps",
                     "total_env_steps", "seed", "solve_eval_episodes", "replay_episodes",
                     "replay_eval_episodes"):
            if int(getattr(self, name)) < 0:
                bad(name, "must be >= 0")
        if not 0.0 <= self.gamma <= 1.0:
            bad("gamma", "must be in [0, 1]")
        if not 0.0 <= self.td_lambda <= 1.0:
            bad("td_lambda", "must be in [0, 1]")
        if not 0.0 < self.tau <= 1.0:
            bad("tau", "must be in (0, 1]")
        if not self.lr > 0.0:
            bad("lr", "must be > 0")
        if not self.optim_eps > 0.0:
            bad("optim_eps", "must be > 0")
        if not self.grad_clip > 0.0:
            bad("grad_clip", "must be > 0")
        for name in ("eps_start", "eps_finish"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                bad(name, "must be in [0, 1]")
        if self.buffer_size < self.batch_size:
            bad("buffer_size", f"must be >= batch_size ({self.batch_size})")
        if not isinstance(self.scenario_kwargs, dict):
            bad("scenario_kwargs", "must be a dict")
        return self

    def _check_types(self) -> None:
        """Every field has the type its annotation says: a value from `--set`, a settings form
        or a JSON file that does not fit is refused here, naming the field, rather than
        surfacing as a TensorFlow error (or silently saved: "maybe" is not a bool)."""
        for f in fields(self):
            value, kind = getattr(self, f.name), _FIELD_KINDS[f.name]
            if kind == "bool":
                ok, want = isinstance(value, bool), "true or false"
            elif kind == "int":
                ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
                want = "a whole number"
            elif kind == "float":
                ok = isinstance(value, numbers.Real) and not isinstance(value, bool) \
                    and math.isfinite(value)
                want = "a finite number"
            elif kind == "str":
                ok, want = isinstance(value, str), "a string"
            else:
                ok, want = isinstance(value, dict), "a dict (JSON object)"
            if not ok:
                raise ValueError(f"config.{f.name} must be {want}, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        """Build and validate; an unknown key is an error (a typo must not pass silently)."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            close = difflib.get_close_matches(unknown[0], known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown config field {unknown[0]!r}{hint} "
                             "(main.py train --help lists them all)")
        config = cls(**data)
        for f in fields(config):  # 64.0 from JSON is the int 64; 1.5 stays and is refused
            value = getattr(config, f.name)
            if (_FIELD_KINDS[f.name] == "int" and isinstance(value, float)
                    and value.is_integer()):
                setattr(config, f.name, int(value))
            elif _FIELD_KINDS[f.name] == "float" and isinstance(value, numbers.Integral) \
                    and not isinstance(value, bool):
                setattr(config, f.name, float(value))
        return config.validate()

    def replace(self, **changes: Any) -> "Config":
        return Config.from_dict({**self.to_dict(), **changes})


_FIELD_KINDS = {f.name: ("dict" if str(f.type).startswith("dict") else str(f.type))
                for f in fields(Config)}
"""The declared type of every field, as a word: bool, int, float, str or dict."""


def field_docs() -> dict[str, str]:
    """The one-line docstring under each field, for `--help` and tooltips."""
    source = inspect.getsource(Config)
    tree = ast.parse(source)
    docs: dict[str, str] = {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    for node, nxt in zip(body, body[1:]):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)):
            docs[node.target.id] = str(nxt.value.value).strip()
    return docs


# Presets. "pymarl", "epymarl" and "pymarl2" reproduce those code bases' published QMIX
# settings (PyMARL RMSprop 5e-4, 5000-episode buffer, target copy every 200 episodes; EPyMARL
# Adam 5e-4, target every 200 updates; pymarl2 Adam 1e-3, TD(0.6), batch 128): one update per
# rollout whatever its length, raw inputs, as those code bases do.
PRESETS: dict[str, dict[str, Any]] = {
    "pymarl": dict(
        optimizer="rmsprop", lr=5e-4, optim_eps=1e-5, batch_size=32, buffer_size=5000,
        n_envs=1, env_steps_per_update=0, updates_per_rollout=1, learning_starts=32,
        target_update="hard", normalize_inputs=False, scale_rewards=False,
        # PyMARL copies targets every 200 *episodes*; with one env and one update per episode
        # that is every 200 updates.
        target_update_interval=200, eps_start=1.0, eps_finish=0.05, eps_anneal_steps=50_000,
        gamma=0.99, grad_clip=10.0, double_q=True, td_lambda=0.0, hidden_dim=64,
        mixing_embed_dim=32, hypernet_embed=64, agent="rnn", obs_last_action=True,
        obs_agent_id=True,
    ),
    "epymarl": dict(
        optimizer="adam", lr=5e-4, batch_size=32, buffer_size=5000, n_envs=1,
        env_steps_per_update=0, updates_per_rollout=1, learning_starts=32, target_update="hard",
        normalize_inputs=False, scale_rewards=False,
        target_update_interval=200, eps_start=1.0, eps_finish=0.05, eps_anneal_steps=50_000,
        gamma=0.99, grad_clip=10.0, double_q=True, td_lambda=0.0, hidden_dim=64,
        mixing_embed_dim=32, hypernet_embed=64, agent="rnn", standardise_rewards=False,
    ),
    "pymarl2": dict(
        optimizer="adam", lr=1e-3, batch_size=128, buffer_size=5000, n_envs=8,
        env_steps_per_update=0, updates_per_rollout=1, learning_starts=128, target_update="hard",
        normalize_inputs=False, scale_rewards=False,
        target_update_interval=200, eps_start=1.0, eps_finish=0.05, eps_anneal_steps=100_000,
        gamma=0.99, grad_clip=10.0, double_q=True, td_lambda=0.6, hidden_dim=64,
        mixing_embed_dim=32, hypernet_embed=64, agent="rnn",
    ),
}

# Per-scenario Studio settings (what `make_config(scenario)` starts from).
SCENARIO_DEFAULTS: dict[str, dict[str, Any]] = {
    # The QMIX paper's Table 2 compares QMIX and VDN on data from uniform exploration; under
    # an annealed epsilon VDN's own greedy data lets it creep up to 8 as well, hiding the
    # representational difference the game is there to show. So epsilon stays 1.
    "two_step": dict(
        n_envs=8, batch_size=32, buffer_size=512, learning_starts=32, env_steps_per_update=8,
        eps_start=1.0, eps_finish=1.0, eps_anneal_steps=0, gamma=0.99, lr=5e-3,
        hidden_dim=32, mixing_embed_dim=16, hypernet_embed=32, target_update_interval=50,
        total_env_steps=4_000, eval_interval=1_000, eval_episodes=8, obs_last_action=False,
        # lambda-returns follow the behaviour policy; under uniform exploration they would
        # value 2B by its random payoff (2.5), not its best (8): one-step targets, as the paper.
        # Raw rewards, as the paper: its Table 2 is what the app shows beside the learned one.
        td_lambda=0.0, scale_rewards=False,
    ),
    "pursuit": dict(),
    "foraging": dict(eps_anneal_steps=100_000, total_env_steps=500_000, eval_interval=10_000),
}


def make_config(scenario: str | None = None, algo: str | None = None,
                preset: str | None = None, **overrides: Any) -> Config:
    """Config for a scenario: Studio defaults, then a named preset, then explicit overrides."""
    base = Config().to_dict()
    scenario = scenario or base["scenario"]
    base["scenario"] = scenario
    base.update(SCENARIO_DEFAULTS.get(scenario, {}))
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
        base.update(PRESETS[preset])
    if algo is not None:
        base["algo"] = algo
    base.update(overrides)
    return Config.from_dict(base)
