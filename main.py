"""QMIX Studio entry point.

    python main.py                      open the app on the default scenario
    python main.py run.h5               open the app with a saved run
    python main.py train --help         headless training
    python main.py inspect run.h5       summarise a saved run
    python main.py bench                engine benchmark
    python main.py study                learning benchmark (default settings, many worlds)
"""

from __future__ import annotations

import os
import sys

HEADLESS = ("train", "inspect", "bench", "study")


def main(argv: list[str]) -> int:
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
