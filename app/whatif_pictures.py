"""The README's what-if pictures from a saved run, drawn by the app's own code (the value-map
overlay of the picture, the mixer surface view), offscreen:

    python -m app.whatif_pictures RUN.h5 --out docs/images [--at-step T] [--agent A]

writes value-map.png (agent A's Q_tot map at step T of the greedy episode from the run's
seed, as `main.py inspect RUN.h5 --value-map A --at-step T` prints it) and mixer-surface.png
(agents 0 and 1 at the same state).
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.whatif_pictures")
    parser.add_argument("run")
    parser.add_argument("--out", default="docs/images")
    parser.add_argument("--at-step", type=int, default=0)
    parser.add_argument("--agent", type=int, default=0)
    parser.add_argument("--pair", default="0,1")
    parser.add_argument("--size", type=int, default=420)
    parser.add_argument("--theme", default="dark")
    args = parser.parse_args(argv)

    import pygame
    from PySide6.QtWidgets import QApplication

    from app.mixer_surface import MixerSurfaceView
    from app.theme import load_theme
    from app.value_map import ValueMapMode
    from envs.render import RenderOptions, render
    from qmix.checkpoint import trainer_from_checkpoint
    from qmix.whatif import WhatIf

    os.makedirs(args.out, exist_ok=True)
    trainer = trainer_from_checkpoint(args.run)
    wi = WhatIf.from_greedy_episode(trainer, seed=int(trainer.config.seed), at_step=args.at_step)
    mode = ValueMapMode()
    mode.toggle()
    spec = mode.overlay(wi, args.agent)
    surf = render(wi.frame(), (args.size, args.size),
                  RenderOptions(value_map=spec, selected_agent=args.agent,
                                actions=wi.decision().actions, theme=args.theme))
    pygame.image.save(surf, os.path.join(args.out, "value-map.png"))

    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = MixerSurfaceView(load_theme(args.theme))
    view.resize(round(args.size * 1.25), args.size)
    i, j = (int(v) for v in args.pair.split(","))
    view.show_whatif(wi, i, j)
    view.show()
    app.processEvents()
    view.grab().save(os.path.join(args.out, "mixer-surface.png"))
    view.close()
    trainer.close()
    print(f"wrote {args.out}/value-map.png and {args.out}/mixer-surface.png "
          f"(step {args.at_step}, Q_tot {wi.inspection().q_tot_greedy:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
