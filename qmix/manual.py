"""Manual control: a person plays one agent of env copy 0 while the others act.

`Trainer.take_over(agent)` hands copy 0's agent `agent` to a person. While it is taken over,
every step of copy 0 uses the person's action for it: the one queued by
`Trainer.human_act(action)` (checked against the agent's available actions), or the
scenario's "stay" action (`idle_action`) when none was queued since the previous step. The
other agents act with their policy: ε-greedy as in training, or greedy
(`HumanControl.others_greedy`). Other env copies are untouched.

What the run keeps: episodes of copy 0 that had a person's action are left out of the replay
buffer by default (only copy 0's episode of that rollout; the other copies' episodes, played
by the policy alone, go in as always). `HumanControl.to_buffer` puts them in. Env steps,
episodes and the input statistics count them either way (they are the world's steps).

The decision on screen with a person's action is inspected for the joint action actually
taken (its Q_tot is of the person's action with the others'); the agent's own Q values and
greedy action (what it would have chosen) stay in the bars. Plain NumPy, no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IDLE_NAMES = ("stay", "noop", "no-op", "none", "nothing", "wait", "idle")


class HumanActionError(ValueError):
    """A person's action that the agent cannot take now; one line."""


@dataclass
class HumanControl:
    """Who a person controls, and how the rest of the team and the buffer treat it."""

    agent: int | None = None  # the agent of env copy 0 under manual control (None: nobody)
    others_greedy: bool = False  # the other agents act greedily (else ε-greedy, as in training)
    to_buffer: bool = False  # keep the person's episodes in the replay buffer
    queued: int | None = None  # the action for copy 0's next step (None: `idle_action`)
    episodes_kept_out: int = 0  # copy 0 episodes with a person's action not put in the buffer
    episodes_kept_in: int = 0  # ... put in (to_buffer)


def idle_action(action_names: tuple[str, ...], avail: np.ndarray,
                policy_action: int) -> int:
    """The action a controlled agent takes when the person pressed nothing: the scenario's
    "stay" (or no-op) action if it has one and it is available, else the policy's."""
    for i, name in enumerate(action_names):
        if name.strip().lower() in IDLE_NAMES and i < len(avail) and avail[i]:
            return i
    return int(policy_action)


def check_action(action: int, agent: int, avail: np.ndarray,
                 action_names: tuple[str, ...]) -> int:
    """`action` if agent `agent` may take it now (avail (A,) bool), else HumanActionError."""
    names = list(action_names) or [str(i) for i in range(len(avail))]
    if not 0 <= int(action) < len(avail):
        raise HumanActionError(f"agent {agent} has no action {int(action)} "
                               f"(it has {len(avail)}: {', '.join(names)})")
    if not avail[int(action)]:
        allowed = [names[i] for i in np.flatnonzero(avail)]
        raise HumanActionError(f"agent {agent} cannot take {names[int(action)]!r} now "
                               f"(available: {', '.join(allowed)})")
    return int(action)


def action_for_key(key: str, action_names: tuple[str, ...]) -> int | None:
    """The action a key stands for: "up"/"down"/"left"/"right" the action of that name,
    "1".."9" the action of that number (1 = the first); None if the scenario has none."""
    if key.isdigit():
        index = int(key) - 1
        return index if 0 <= index < len(action_names) else None
    for i, name in enumerate(action_names):
        if name.strip().lower() == key.lower():
            return i
    return None
