"""`main.py record run.h5 --out demo.mp4|demo.gif [--episodes N] [--greedy] [--fps F]
[--size WxH] [--no-overlay] [--seed S] [--theme dark|light]`: the command line of
qmix/record.py (what is recorded and how it is written is said there). Every user error is
one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from qmix.record import (DEFAULT_FPS, DEFAULT_SIZE, Episode, check_fps, check_out_folder,
                         frame_size, greedy_episodes, output_format, parse_size, pictures,
                         record, stored_episodes)
from qmix.userio import exit_status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py record", description=(
            "Record episodes of a saved run as a GIF or an MP4. Without --greedy: the last N "
            "episodes stored in the file, or N greedy episodes when it stores none."))
    parser.add_argument("path", help="checkpoint (.h5)")
    parser.add_argument("--out", required=True, help="output file: NAME.gif or NAME.mp4")
    parser.add_argument("--episodes", default="1", metavar="N", help="episodes (default 1)")
    parser.add_argument("--greedy", action="store_true",
                        help="play N fresh greedy episodes from the saved weights")
    parser.add_argument("--fps", default=str(DEFAULT_FPS), metavar="F",
                        help=f"env steps a second (default {DEFAULT_FPS:g})")
    parser.add_argument("--size", default=f"{DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}",
                        metavar="WxH", help="frame size in pixels (default %(default)s; "
                        "MP4 rounds odd sides up to even)")
    parser.add_argument("--no-overlay", action="store_true",
                        help="the world only, without the Q panel")
    parser.add_argument("--seed", default=None, metavar="S",
                        help="seed of the greedy episodes (default: the run's seed)")
    parser.add_argument("--theme", choices=("dark", "light"), default="dark")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def error(message: str) -> None:  # one line, status 2, like every other user error
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)

    parser.error = error  # type: ignore[method-assign]
    return parser


def _whole(text: str, what: str, low: int) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a whole number, got {text!r}") from None
    if value < low:
        raise ValueError(f"{what} must be >= {low}, got {value}")
    return value


def cmd_record(args: argparse.Namespace) -> int:
    fmt = output_format(args.out)
    fps = check_fps(args.fps, fmt)
    size = parse_size(args.size)
    count = _whole(args.episodes, "--episodes", 1)
    seed = None if args.seed is None else _whole(args.seed, "--seed", 0)
    size, note = frame_size(size, fmt)
    check_out_folder(args.out)
    if note:
        print(f"note: {note}", file=sys.stderr)
    from qmix.checkpoint import read_config, read_scenario

    config = read_config(args.path)  # a file that is no checkpoint fails here, in one line
    names = [str(n) for n in read_scenario(args.path).get("action_names", [])]
    episodes: list[Episode] = [] if args.greedy else stored_episodes(args.path, count)
    if not args.greedy and not episodes:
        print(f"note: {os.path.basename(args.path)} stores no episodes; recording {count} "
              f"fresh greedy episode{'s' if count > 1 else ''} instead", file=sys.stderr)
    elif not args.greedy and len(episodes) < count:
        print(f"note: {os.path.basename(args.path)} stores {len(episodes)} episode"
              f"{'s' if len(episodes) > 1 else ''}; recording those", file=sys.stderr)
    if not episodes:
        from qmix.checkpoint import trainer_from_checkpoint

        if not args.quiet:
            print(f"playing {count} greedy episode{'s' if count > 1 else ''} of "
                  f"{os.path.basename(args.path)}…", file=sys.stderr)
        trainer = trainer_from_checkpoint(args.path)
        try:
            episodes = greedy_episodes(
                trainer, count, int(config.get("seed", 0)) if seed is None else seed)
            names = list(trainer.info.action_names) or names
        finally:
            trainer.close()
    caption = f"{config.get('scenario', '')} · {config.get('algo', '')}"
    bar = None
    progress = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=pictures(episodes), unit="frame", file=sys.stderr,
                   dynamic_ncols=True, desc=f"recording {os.path.basename(args.out)}")

        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.n)
    try:
        result = record(args.out, episodes, size, fps, overlay=not args.no_overlay,
                        theme=args.theme, action_names=names, caption=caption,
                        progress=progress)
    finally:
        if bar is not None:
            bar.close()
    print(f"wrote {result.path}: {result.episodes} episode{'s' if result.episodes > 1 else ''}"
          f", {result.frames} frames, {result.size[0]}x{result.size[1]}, {result.fps:g} fps, "
          f"{result.seconds:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help (0), or a usage error already printed in one line (2)
        return int(exc.code or 0)
    return exit_status(lambda: cmd_record(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
