"""Headless command line: `python main.py train ...` (and `inspect`, `bench`).

User errors (bad config values, unknown scenarios, unreadable checkpoints) print one line
`error: ...` on stderr and exit with status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import fields
from typing import Any, Sequence

from qmix.callbacks import PeriodicSave, ProgressBar, TensorBoard
from qmix import whatif_cli
from qmix.config import ALGOS, PRESETS, Config, field_docs, make_config
from qmix.userio import dumps, exit_status, parse_assignments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py", description="QMIX Studio: train cooperative agents with QMIX.")
    sub = parser.add_subparsers(dest="command", required=True)

    train = sub.add_parser("train", help="train headless", formatter_class=(
        argparse.RawDescriptionHelpFormatter))
    docs = field_docs()
    train.description = ("Train headless. Every config field can be set with --set NAME=VALUE;"
                         " the fields are:\n" + "\n".join(
                             f"  {f.name:24s} {docs.get(f.name, '')} (default {f.default!r})"
                             for f in fields(Config) if f.name != "scenario_kwargs"))
    train.add_argument("--scenario", default=None, help=(
        "pursuit (default), foraging, two_step, pz:MODULE:FACTORY (a PettingZoo ParallelEnv) "
        "or gym:MODULE:ENV_ID (a gymnasium multi-agent env, e.g. "
        "gym:lbforaging:Foraging-8x8-2p-2f-coop-v3); MODULE must be importable"))
    train.add_argument("--algo", choices=ALGOS, default=None, help="qmix, vdn or iql")
    train.add_argument("--preset", choices=sorted(PRESETS), default=None,
                       help="published settings of PyMARL / EPyMARL / pymarl2")
    train.add_argument("--steps", type=int, default=None,
                       help="env steps to train for (default: the scenario's total_env_steps)")
    train.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    train.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="override a config field, e.g. --set lr=0.001 (repeatable)")
    train.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                       help="override a scenario field, e.g. --env grid_size=7 (repeatable)")
    train.add_argument("--layout", default=None, metavar="FILE",
                       help="train on the world in this layout file (walls, counts; "
                            "envs/layout.py describes the format)")
    train.add_argument("--final-eval-episodes", type=int, default=None, metavar="N",
                       help="greedy episodes of the final evaluation (default: eval_episodes)")
    train.add_argument("--until-solved", action="store_true",
                       help="stop as soon as a greedy evaluation reaches the solved return")
    train.add_argument("--logdir", default=None, help="write TensorBoard scalars here")
    train.add_argument("--json", action="store_true",
                       help="print one JSON line with the results on stdout at the end")
    train.add_argument("--save", default=None, help="save the run to this HDF5 file at the end")
    train.add_argument("--save-every", type=int, default=0, metavar="STEPS",
                       help="also save every STEPS env steps (needs --save)")
    train.add_argument("--save-buffer", action="store_true",
                       help="include the replay buffer in saved checkpoints")
    train.add_argument("--resume", default=None, help="continue the run saved in this file")
    train.add_argument("--quiet", action="store_true", help="no progress bar")

    inspect = sub.add_parser("inspect", help="summarise a saved run")
    inspect.add_argument("path", help="checkpoint (.h5)")
    inspect.add_argument("--step", action="store_true",
                         help="also print one step's inspection (Q, Q_tot, credit) as JSON")
    whatif_cli.add_arguments(inspect)  # --value-map, --mixer-surface, --json (qmix/whatif_cli.py)
    inspect.add_argument("--episode", type=int, metavar="N", default=None,
                         help="print kept episode N step by step (the summary lists them; "
                              "--json: one JSON line per step)")

    sub.add_parser("bench", help="run the engine benchmark (python -m qmix.bench --help)",
                   add_help=False)
    sub.add_parser("study", help="the learning benchmark: default settings on our worlds and "
                   "on Level-Based Foraging (python -m qmix.study --help)", add_help=False)
    sub.add_parser("sweep", help="a multi-seed study on Ray (main.py sweep --help)",
                   add_help=False)
    sub.add_parser("report", help="a study's table and curves (main.py report --help)",
                   add_help=False)
    sub.add_parser("record", help="episodes of a saved run as GIF or MP4 (main.py record "
                   "--help)", add_help=False)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    overrides = parse_assignments(args.set, "--set")
    scenario_kwargs = parse_assignments(args.env, "--env")
    if scenario_kwargs:
        overrides["scenario_kwargs"] = {**overrides.get("scenario_kwargs", {}),
                                        **scenario_kwargs}
    if getattr(args, "layout", None):  # the file's world; --env values still override it
        if args.resume:
            raise ValueError("--layout builds a new world; a resumed run keeps its own")
        from qmix.world_edit import layout_settings

        args.scenario, world = layout_settings(args.layout, args.scenario)
        overrides["scenario_kwargs"] = {**world, **overrides.get("scenario_kwargs", {})}
    if args.resume:  # the saved run's settings; explicit flags still override them
        from qmix import checkpoint

        base = checkpoint.read_config(args.resume)
        base.update(overrides)
        for key, value in (("scenario", args.scenario), ("algo", args.algo),
                           ("seed", args.seed)):
            if value is not None:
                base[key] = value
        if args.steps is not None:
            base["total_env_steps"] = args.steps
        return Config.from_dict(base)
    overrides["seed"] = 0 if args.seed is None else args.seed
    if args.steps is not None:
        overrides["total_env_steps"] = args.steps
    return make_config(args.scenario, algo=args.algo, preset=args.preset, **overrides)


def cmd_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.save_every and not args.save:
        raise ValueError("--save-every needs --save PATH")
    start = time.perf_counter()
    from qmix import checkpoint
    from qmix.trainer import Trainer  # TensorFlow import happens here

    trainer = Trainer(config)
    if args.resume:
        checkpoint.load_into(trainer, args.resume)
        total = config.total_env_steps if args.steps is None else trainer.env_steps + args.steps
    else:
        total = config.total_env_steps
    watchers: list[Any] = []
    if args.logdir:
        watchers.append(TensorBoard(args.logdir, trainer.tf))
    if args.save_every:
        watchers.append(PeriodicSave(args.save, args.save_every, args.save_buffer,
                                     start=trainer.env_steps))
    bar = None
    if not args.quiet:
        bar = ProgressBar(total, trainer.env_steps, f"{config.scenario}/{config.algo}")
        watchers.append(bar)

    final_episodes = args.final_eval_episodes
    if final_episodes is not None and final_episodes < 1:
        raise ValueError(f"--final-eval-episodes must be >= 1, got {final_episodes}")
    try:
        trainer.train(total, until_solved=args.until_solved, callbacks=watchers)
        fresh = (trainer.last_eval is not None
                 and trainer.history["eval_return"][-1][0] == trainer.env_steps)
        if final_episodes is not None or not fresh:
            # the reported figure is always a greedy evaluation of the final weights
            trainer.evaluate(episodes=final_episodes)
    finally:
        if bar is not None:
            bar.close()
    if args.save:
        checkpoint.save_checkpoint(trainer, args.save, include_buffer=args.save_buffer)
    trainer.close()
    wall = time.perf_counter() - start
    result = {
        "scenario": config.scenario, "algo": config.algo, "seed": config.seed,
        "eval_return": trainer.last_eval, "solved_return": trainer.info.solved_return,
        "solved": trainer.solved, "env_steps": trainer.env_steps,
        "episodes": trainer.episodes, "updates": trainer.updates, "wall_s": round(wall, 3),
        "eval_episodes": len(trainer.last_eval_returns),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }
    if args.save:
        result["saved"] = args.save
    if args.json:
        print(dumps(result), flush=True)
    else:
        solved_at = trainer.info.solved_return
        solved = ("no solved threshold" if solved_at is None else
                  f"solved at {solved_at:g}: {'yes' if trainer.solved else 'no'}")
        print(f"{config.scenario}/{config.algo} seed {config.seed}: greedy return "
              f"{trainer.last_eval:.3f} ({solved}) after {trainer.env_steps} env steps, "
              f"{trainer.updates} updates, {wall:.1f} s")
    return 0


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB else


def cmd_inspect(args: argparse.Namespace) -> int:
    from qmix import checkpoint

    if args.episode is not None:  # one kept episode, step by step (qmix/replay_cli.py)
        from qmix.replay_cli import print_episode

        return print_episode(args.path, args.episode, args.json, sys.stdout)
    if whatif_cli.wanted(args):
        whatif_cli.print_report(whatif_cli.report(args), args.json)
        return 0
    summary = checkpoint.summarize(args.path, with_step=args.step)
    print(dumps(summary, indent=None if args.json else 2, default=str))  # --json: one line
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv[:1] == ["bench"]:  # every option of python -m qmix.bench, verbatim
        from qmix import bench

        return bench.main(argv[1:])
    if argv[:1] == ["study"]:  # python -m qmix.study, verbatim
        from qmix import study

        return study.main(argv[1:])
    if argv[:1] == ["sweep"]:  # qmix/sweep.py, verbatim
        from qmix import sweep

        return sweep.main(argv[1:])
    if argv[:1] == ["report"]:  # qmix/report.py, verbatim
        from qmix import report

        return report.main(argv[1:])
    if argv[:1] == ["record"]:  # qmix/record_cli.py, verbatim
        from qmix import record_cli

        return record_cli.main(argv[1:])
    args = parser.parse_args(argv)
    commands = {"train": cmd_train, "inspect": cmd_inspect}
    if args.command not in commands:
        return 0
    return exit_status(lambda: commands[args.command](args))
