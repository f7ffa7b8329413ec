"""Plain-data records that leave the engine: what a watcher (CLI, GUI, checkpoint) receives.

Everything here is NumPy arrays and Python scalars, copied, so a snapshot can cross to the GUI
thread while the trainer keeps running. No TensorFlow here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Decision:
    """What the agents of env copy 0 decided for the frame on screen (before acting on it)."""

    t: int
    obs: np.ndarray  # (agents, obs_dim)
    state: np.ndarray  # (state_dim,)
    avail_actions: np.ndarray  # (agents, actions) bool
    actions: np.ndarray  # (agents,) chosen (possibly exploratory) actions
    greedy_actions: np.ndarray  # (agents,) argmax over available actions
    explored: np.ndarray  # (agents,) bool: the epsilon coin flip chose a random action
    epsilon: float
    agent_qs: np.ndarray  # (agents, actions) Q of every action, unavailable ones included
    env_copy: int = 0  # the env copy the decision is of (the picture shows copy 0)
    weights_updates: int = 0  # updates taken in when the weights that decided were copied


@dataclass
class Inspection:
    """The compiled inspection of one decision: per-agent Q, the mixer's view, the credit."""

    agent_qs: np.ndarray  # (agents, actions)
    avail_actions: np.ndarray  # (agents, actions) bool
    chosen_actions: np.ndarray  # (agents,)
    greedy_actions: np.ndarray  # (agents,)
    q_tot_chosen: float  # Q_tot(s, chosen joint action)
    q_tot_greedy: float  # Q_tot(s, greedy joint action)
    v_s: float  # the mixer's state-dependent bias V(s) (0 for VDN and IQL)
    credit: np.ndarray  # (agents,) dQ_tot/dQ_a at the chosen joint action (>= 0 for QMIX)
    q_tot_table: np.ndarray | None = None  # (actions, actions) for 2 agents: row = agent 0
    t: int = -1  # the decision's step within its episode (-1: not recorded)
    env_copy: int = 0
    # whose weights: "acting" = the NumPy actor's agent network that made the decision and the
    # mixer copied with it (qmix/inspection.py); "online" = the learner's networks now
    weights: str = "online"
    weights_updates: int = -1  # updates taken in when the acting weights were copied

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = value.tolist() if isinstance(value, np.ndarray) else value
        return out


@dataclass
class Snapshot:
    """Everything the GUI needs to draw one moment of a run."""

    frame: dict[str, Any]  # envs' render-ready snapshot of copy 0
    t: int  # step within the current episode of copy 0
    episode_return: float  # copy 0's return so far
    decision: Decision | None  # the pending decision for this frame (None at a terminal frame)
    inspection: Inspection | None  # of exactly `decision` (None without one)
    true_joint_values: np.ndarray | None  # (actions, actions) where the scenario knows them
    env_steps: int
    episodes: int
    updates: int
    epsilon: float
    metrics: dict[str, float] = field(default_factory=dict)  # last update's loss etc.
    last_eval: float | None = None
    solved: bool = False
    evaluating: bool = False  # the frame comes from a greedy evaluation episode
    # At a terminal frame of copy 0 (decision None): the decision that ended its episode (one
    # step before the frame's t) and its inspection; None where there was none (a run just
    # opened starts at a rollout boundary)
    last_decision: Decision | None = None
    last_inspection: Inspection | None = None
    copies_running: int = 0  # env copies still in their episode (copy 0's may be over)
    # manual control (qmix/manual.py): the agent a person controls, and the inspection of
    # the last step a person took (the joint action actually taken, theirs included)
    human_agent: int | None = None
    human_step: Inspection | None = None
    whatif: bool = False  # a what-if state (qmix/whatif.py), not the run's own
    views: dict[str, Any] = field(default_factory=dict)  # what-if views asked for (app/views.py)


@dataclass(frozen=True)
class Curve:
    """One learning curve: its name (history key, TensorBoard tag), what it is called on a
    plot, and which event adds a point (a `qmix.callbacks.Callback` hook)."""

    name: str
    title: str
    unit: str
    hook: str


CURVES = (
    Curve("episode_return", "Episode return", "return", "on_episode_end"),
    Curve("eval_return", "Greedy evaluation", "return", "on_evaluate"),
    Curve("loss", "TD loss", "loss", "on_update"),
    Curve("epsilon", "Exploration ε", "ε", "on_rollout_end"),
    Curve("q_tot", "Mean Q_tot", "Q_tot", "on_update"),
    Curve("grad_norm", "Gradient norm", "norm", "on_update"),
)
"""Every learning curve of a run, defined once: the trainer's history, the checkpoint's
/history datasets, TensorBoard and the app's plots all use these names."""
