"""`main.py inspect run.h5 --episode N [--json]`: one replayed episode, step by step.

With --json: one JSON line per decision t = 0..T-1 of the episode (what the app's inspector
shows at that step; the terminal frame shows the last one again), with the episode's kind and
number. Without: a readable table. `inspect run.h5` lists the episodes a file keeps, with the
N to pass here (`summary_rows`).
"""

from __future__ import annotations

from typing import Any, TextIO

import numpy as np

from qmix.replay import ReplayEpisode, episode_info, read_replays
from qmix.userio import dumps


def summary_rows(replays: list[dict[str, np.ndarray]]) -> list[dict[str, Any]]:
    """The kept episodes of a checkpoint (its /replays arrays), for `inspect`'s summary."""
    rows = []
    for n, arrays in enumerate(replays):
        info = episode_info(arrays)
        rewards = np.asarray(arrays["rewards"], np.float64)
        episode = ReplayEpisode(info["kind"], int(info["number"]), int(info["env_steps"]),
                                [], [float(r) for r in rewards])
        rows.append({"episode": n, "kind": episode.kind, "number": episode.number,
                     "env_steps": episode.env_steps, "steps": episode.length,
                     "return": episode.episode_return, "title": episode.title})
    return rows


def step_lines(episode: ReplayEpisode, n: int) -> list[dict[str, Any]]:
    """One plain dict per decision of `episode` (the N-th kept one)."""
    lines = []
    for t in range(episode.length):
        snap = episode.steps[t]
        dec, ins = snap.decision, snap.inspection
        assert dec is not None and ins is not None
        lines.append({
            "episode": n, "kind": episode.kind, "number": episode.number, "t": dec.t,
            "obs": dec.obs.tolist(), "state": dec.state.tolist(),
            "avail_actions": dec.avail_actions.astype(bool).tolist(),
            "actions": dec.actions.tolist(), "greedy_actions": dec.greedy_actions.tolist(),
            "explored": dec.explored.astype(bool).tolist(), "epsilon": dec.epsilon,
            "agent_qs": ins.agent_qs.tolist(), "q_tot_chosen": ins.q_tot_chosen,
            "q_tot_greedy": ins.q_tot_greedy, "v_s": ins.v_s, "credit": ins.credit.tolist(),
            "q_tot_table": None if ins.q_tot_table is None else ins.q_tot_table.tolist(),
            "reward": episode.rewards[t], "return_before": snap.episode_return,
            "weights_updates": ins.weights_updates, "env_steps": snap.env_steps})
    return lines


def pick(path: str, n: int) -> ReplayEpisode:
    """The N-th kept episode of a file; ValueError (one line) when there is none."""
    import os

    replays = read_replays(path)
    name = os.path.basename(path)
    if not replays:
        raise ValueError(f"{name} keeps no replay episodes (runs keep them since "
                         "replay_episodes; a run with replay_episodes=0 keeps none)")
    if not 0 <= n < len(replays):
        raise ValueError(f"{name} has no replay episode {n}: it keeps episodes 0 to "
                         f"{len(replays) - 1} (`inspect {name}` lists them)")
    return replays[n]


def print_episode(path: str, n: int, as_json: bool, out: TextIO) -> None:
    episode = pick(path, n)
    lines = step_lines(episode, n)
    if as_json:
        for line in lines:
            out.write(dumps(line) + "\n")
        return
    names = list(episode.steps[0].frame.get("action_names") or ())

    def action(a: int) -> str:
        return names[a] if 0 <= a < len(names) else str(a)

    out.write(f"{episode.title} · {episode.length} steps · ended at {episode.env_steps:,} "
              f"env steps\n")
    head = (f"{'t':>3}  {'actions (* explored)':<28} {'Q_tot':>8} {'greedy':>8} {'V(s)':>8}  "
            f"{'credit':<20} {'reward':>7} {'return':>7}")
    out.write(head + "\n" + "-" * len(head) + "\n")
    for line in lines:
        acts = " ".join(action(a) + ("*" if e else "")
                        for a, e in zip(line["actions"], line["explored"]))
        credit = " ".join(f"{c:.2f}" for c in line["credit"])
        out.write(f"{line['t']:>3}  {acts:<28} {line['q_tot_chosen']:>8.3f} "
                  f"{line['q_tot_greedy']:>8.3f} {line['v_s']:>8.3f}  {credit:<20} "
                  f"{line['reward']:>7.2f} {line['return_before'] + line['reward']:>7.2f}\n")
