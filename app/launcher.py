"""QMIX Studio's command: `qmix-studio` (installed) = `python main.py` = `./studio` after set-up.

    qmix-studio                      open the app on the default scenario
    qmix-studio run.h5               open the app with a saved run
    qmix-studio DIR                  open the app on a study (the --out folder of sweep)
    qmix-studio --scenario two_step  the app's own options (--help lists them)
    qmix-studio train --help         headless training
    qmix-studio inspect run.h5       summarise a saved run
    qmix-studio bench                engine benchmark
    qmix-studio study                learning benchmark (default settings, many worlds)
    qmix-studio sweep / report       multi-seed studies and their report
    qmix-studio record run.h5 --out demo.mp4   episodes as GIF or MP4

The headless commands never import Qt; the app imports it only when its window opens.
"""

from __future__ import annotations

import os
import sys

# qmix/cli.py's commands
HEADLESS = ("train", "inspect", "bench", "study", "sweep", "report", "record")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    if argv and argv[0] in HEADLESS:
        from qmix.cli import main as cli_main

        return cli_main(argv)
    load_path = None
    if argv and argv[0] == "--load" and len(argv) > 1:
        load_path, argv = argv[1], argv[2:]
    elif argv and not argv[0].startswith("-"):
        load_path, argv = argv[0], argv[1:]
    from app.main import run_app

    return run_app(argv, load_path=load_path)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
