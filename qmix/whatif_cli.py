"""`main.py inspect run.h5 --value-map AGENT` and `--mixer-surface I,J`: a what-if of a saved
run, headless (qmix/whatif.py does the work; this module only parses and prints).

The state looked at: step `--at-step T` (default 0) of a greedy episode (epsilon 0) from a
fresh env reset with the run's seed -- the first evaluation episode `inspect --step` also
starts from -- through the saved acting weights (the actor and the saved mixer).

    --value-map AGENT --json   {"grid": rows x cols of Q_tot (null where AGENT cannot stand),
                                "agent_cell": [row, col], "q_tot_greedy": of the real state,
                                "value": "q_tot", ...}
    --mixer-surface I,J --json {"grid": K x K Q_tot (row = agent I's Q), "q_i": [...],
                                "q_j": [...] (increasing), "algo": ..., "point": {...}}
"""

from __future__ import annotations

import argparse
from typing import Any

from qmix.userio import dumps


def add_arguments(inspect: argparse.ArgumentParser) -> None:
    """The what-if options of `main.py inspect`."""
    inspect.add_argument("--value-map", type=int, default=None, metavar="AGENT",
                         help="Q_tot of the greedy joint action if AGENT stood on each cell "
                              "(a what-if; see --at-step)")
    inspect.add_argument("--value", choices=("q_tot", "v", "q_max"), default="q_tot",
                         help="what --value-map shows: Q_tot (default), the mixer's V(s) or "
                              "the agent's own max Q")
    inspect.add_argument("--mixer-surface", default=None, metavar="I,J",
                         help="Q_tot over agents I's and J's Q-values at the state (the "
                              "others at their chosen actions' values)")
    inspect.add_argument("--resolution", type=int, default=41, metavar="K",
                         help="--mixer-surface grid size K (default 41)")
    inspect.add_argument("--at-step", type=int, default=0, metavar="T",
                         help="the state: step T of the greedy episode from the run's seed "
                              "(default 0)")
    inspect.add_argument("--json", action="store_true",
                         help="one line of JSON: the summary, --value-map, --mixer-surface; with --episode one line per step")


def wanted(args: argparse.Namespace) -> bool:
    return args.value_map is not None or args.mixer_surface is not None


def _pair(text: str) -> tuple[int, int]:
    parts = text.split(",")
    try:
        i, j = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"--mixer-surface expects two agent indices I,J, got {text!r}") from None
    return i, j


def report(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON object of a --value-map / --mixer-surface request (TensorFlow is imported to
    rebuild the run; the what-if itself is NumPy)."""
    if args.value_map is not None and args.mixer_surface is not None:
        raise ValueError("ask for --value-map or --mixer-surface, not both")
    pair = _pair(args.mixer_surface) if args.mixer_surface is not None else None
    from qmix.checkpoint import trainer_from_checkpoint
    from qmix.whatif import WhatIf

    trainer = trainer_from_checkpoint(args.path)
    try:
        seed = int(trainer.config.seed)
        wi = WhatIf.from_greedy_episode(trainer, seed=seed, at_step=args.at_step,
                                        fixed_ok=pair is not None)  # a surface: any world
        ins = wi.inspection()
        out: dict[str, Any] = {"scenario": trainer.info.name, "algo": trainer.config.algo,
                               "seed": seed, "at_step": args.at_step,
                               "q_tot_greedy": ins.q_tot_greedy, "v_s": ins.v_s,
                               "greedy_actions": ins.greedy_actions.tolist()}
        if pair is None:
            agent = args.value_map
            grid = wi.value_map(agent, args.value)
            out.update(agent=agent, value=args.value, agent_cell=list(wi.agent_cell(agent)),
                       grid=[[None if v != v else float(v) for v in row] for row in grid])
        else:
            i, j = pair
            grid, q_i, q_j = wi.mixer_surface(i, j, k=args.resolution)
            qi, qj, q_tot = wi.mixer_point(i, j)
            out.update(agents=[i, j], grid=grid.tolist(), q_i=q_i.tolist(), q_j=q_j.tolist(),
                       point={"q_i": qi, "q_j": qj, "q_tot": q_tot})
        return out
    finally:
        trainer.close()


def print_report(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(dumps(out), flush=True)
        return
    head = f"{out['scenario']}/{out['algo']} step {out['at_step']} (greedy episode, seed " \
           f"{out['seed']}): Q_tot of the greedy joint action {out['q_tot_greedy']:.4f}"
    print(head)
    if "agent" in out:
        r, c = out["agent_cell"]
        print(f"value map of agent {out['agent']} ({out['value']}), its real cell ({r}, {c}) "
              f"in brackets, '#' where it cannot stand:")
        for row_i, row in enumerate(out["grid"]):
            cells = []
            for col_i, v in enumerate(row):
                text = "   #   " if v is None else f"{v:7.3f}"
                cells.append(f"[{text}]" if (row_i, col_i) == (r, c) else f" {text} ")
            print("".join(cells))
    else:
        i, j = out["agents"]
        grid = out["grid"]
        p = out["point"]
        print(f"mixer surface ({out['algo']}): Q_tot over Q_{i} in [{out['q_i'][0]:.4f}, "
              f"{out['q_i'][-1]:.4f}] x Q_{j} in [{out['q_j'][0]:.4f}, {out['q_j'][-1]:.4f}]; "
              f"corners {grid[0][0]:.4f} {grid[0][-1]:.4f} {grid[-1][0]:.4f} "
              f"{grid[-1][-1]:.4f}; now Q_{i} = {p['q_i']:.4f}, Q_{j} = {p['q_j']:.4f}, "
              f"Q_tot = {p['q_tot']:.4f} (--json for the grid)")
