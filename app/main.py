"""`python main.py [RUN.h5 | STUDY_DIR] [--scenario NAME] [--env NAME=VALUE ...]
[--algo qmix|vdn|iql] [--seed N] [--presentation] [--theme dark|light] [--race A,B]` opens QMIX
Studio (`--race qmix,vdn`: two runs side by side, app/race.py).

NAME is any scenario `main.py train` accepts: a built-in one, `pz:MODULE:FACTORY` or
`gym:MODULE:ENV_ID`; `--env` sets the scenario's fields exactly as `main.py train --env` does.
A scenario or `--env` value that cannot be built is one line on stderr (`error: ...`) and
exit status 2, before any window opens. So is a path that does not exist or a folder that is
no study (a study is the --out folder of `./studio sweep`: it has a sweep.json); a study opens
on the study page, a file as a saved run (the worker checks it and says in the window what is
wrong with it).

Start-up order is the point of this module: Qt, NumPy, pygame and envs only (about 0.3 s),
show the window with the scenario's first frame, *then* let the worker thread import
TensorFlow (2-6 s) and build the Trainer. Nothing under app/ imports TensorFlow at module top.

Test/bench hooks (environment variables, all optional):
  QMIX_STUDIO_AUTOPLAY=1        press Play as soon as the window is up
  QMIX_STUDIO_QUIT_AFTER=S      close the window S seconds after it is shown
  QMIX_STUDIO_REPORT=PATH       write a JSON line of timings and counters to PATH, once a
                                second while running and on exit (with the exit code; `study`:
                                the study folder on screen, if any)
SIGINT/SIGTERM close the window cleanly (exit code 0), like the window's close button.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any

_T0 = time.perf_counter()

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# Three threads share the GIL here: the GUI, the trainer's acting loop and its update thread.
# A thread that got the GIL back after a TensorFlow or Qt call waited up to the switch
# interval (5 ms by default) for a busy Python thread to let go, many times per frame and per
# update; 1 ms keeps those hand-overs short (see app/bench.py for the measured effect).
GIL_SWITCH_INTERVAL_S = 0.001
# what the user typed: `qmix-studio` when installed, else `main.py` (./studio runs main.py)
PROG = "qmix-studio" if os.path.basename(sys.argv[0] or "") == "qmix-studio" else "main.py"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (`error: ...`), like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {message} ({PROG} --help lists the options)\n")


def parse_args(argv: list[str]) -> argparse.Namespace:
    from qmix.config import ALGOS

    parser = _Parser(
        prog=PROG, description="QMIX Studio: watch a team of agents learn to cooperate "
        "with QMIX, live.", epilog=f"Also: {PROG} RUN.h5 opens a saved run, {PROG} DIR a "
        f"study (the --out folder of {PROG} sweep); {PROG} train "
        f"--help, {PROG} inspect RUN.h5, {PROG} bench and {PROG} study work without a "
        "display.")
    parser.add_argument("--scenario", default=None, help="scenario to open (default: the "
                        "Studio default scenario): a built-in one, pz:MODULE:FACTORY (a "
                        "PettingZoo ParallelEnv) or gym:MODULE:ENV_ID (a gymnasium "
                        "multi-agent env); MODULE must be importable")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="override a scenario field, e.g. --env grid_size=7 or "
                        "--env 'kwargs={\"n\": 3}' (repeatable; as "
                        f"{PROG} train --env)")
    parser.add_argument("--layout", default=None, metavar="FILE",
                        help="open the world of this layout file (walls, counts; as "
                        f"{PROG} train --layout)")
    parser.add_argument("--algo", default="qmix", choices=ALGOS, help="qmix, vdn or iql")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run")
    parser.add_argument("--presentation", action="store_true",
                        help="start full screen with large type (F11 toggles, Esc leaves)")
    parser.add_argument("--theme", default="dark", choices=("dark", "light"))
    parser.add_argument("--race", default=None, metavar="ALGO,ALGO",
                        help="race two algorithms on the scenario and seed, side by side in "
                        "one window, e.g. --race qmix,vdn")
    return parser.parse_args(argv)


def build_world(args: argparse.Namespace) -> tuple[Any, Any]:
    """(config, the scenario's first env copy, reset) from the command line; ValueError (one
    line) when the scenario, an `--env` value or the world itself cannot be built."""
    import envs
    from qmix.userio import parse_assignments
    from qmix.config import make_config

    scenario_kwargs = parse_assignments(args.env, "--env")
    if getattr(args, "layout", None):  # the file's world; --env values still override it
        from qmix.world_edit import layout_settings

        args.scenario, world = layout_settings(args.layout, args.scenario)
        scenario_kwargs = {**world, **scenario_kwargs}
    config = make_config(args.scenario, algo=args.algo, seed=args.seed,
                         scenario_kwargs=scenario_kwargs)
    try:
        env = envs.make(config.scenario, n_envs=1, **config.scenario_kwargs)
        env.reset(seed=config.seed)
        env.snapshot(0)
    except ValueError:
        raise
    except Exception as exc:  # a user's world failing is a user error here
        raise ValueError(f"scenario {config.scenario} cannot be opened: "
                         f"{type(exc).__name__}: {exc}") from exc
    return config, env


# sonames Qt's X11 plugin needs that a bare Debian/Ubuntu lacks -> the package that has them
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1", "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1", "libdbus-1.so.3": "libdbus-1-3",
}


def no_display(environ: Any = None, load: Any = None) -> str | None:
    """Why the window cannot open here (one line), or None. On Linux without X11 or Wayland,
    or with X11 but a library of Qt's X11 plugin missing, Qt aborts the process (SIGABRT) after
    a line about libxcb-cursor0 whatever is really missing. So look first: is there a display,
    and does the plugin itself load (`load(path)`, default `ctypes.CDLL`: the dynamic loader
    names the first library it cannot find)?"""
    environ = os.environ if environ is None else environ
    platform = environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or platform not in ("", "xcb"):
        return None
    if not environ.get("DISPLAY"):
        if environ.get("WAYLAND_DISPLAY") and not platform:
            return None
        return ("the app needs a display and none was found (DISPLAY is unset): run it on a "
                f"desktop, or under Xvfb (xvfb-run {PROG}); {PROG} train, inspect, bench, "
                "study, sweep and report work without one")
    if environ.get("WAYLAND_DISPLAY") and not platform:
        return None  # Qt tries Wayland first
    import ctypes

    import PySide6

    plugin = os.path.join(os.path.dirname(PySide6.__file__), "Qt", "plugins", "platforms",
                          "libqxcb.so")
    if not os.path.exists(plugin):
        return None  # another PySide6 layout: let Qt find its plugin
    try:
        (load or ctypes.CDLL)(plugin)
    except OSError as exc:
        text = str(exc)
        missing = next((so for so in XCB_PACKAGES if text.startswith(so)), None)
        what = (f"{missing} is missing (Debian/Ubuntu package {XCB_PACKAGES[missing]})"
                if missing else text.split(":")[0] + " cannot be loaded")
        return (f"Qt's X11 plugin cannot load: {what}; the README's Quick start has the "
                "complete apt line")
    return None


def run_app(argv: list[str], load_path: str | None = None) -> int:
    """Open the app; returns the process exit code."""
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2, already printed)
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    from qmix.userio import dumps, one_line

    study = None
    try:
        if load_path:
            from app.study import classify, open_study

            if classify(load_path) == "study":  # the window shows it; no run file to load
                study = (load_path, open_study(load_path))
                load_path = None
        config, first_env = build_world(args)
        if args.race:
            from app.race import parse_race

            race = parse_race(args.race)
    except ValueError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    missing = no_display()
    if missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    if load_path:
        from app.session import read_saved_config

        # TF-free header read: the window shows the saved run's scenario at once; the worker
        # loads (and fully validates) the file, and reports a bad one in the window.
        saved = read_saved_config(load_path)
        if saved is not None:
            config, first_env = saved, None

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "qmix-studio"])
    app.setApplicationName("QMIX Studio")
    app.setOrganizationName("QMIX Studio")
    app.setStyle("Fusion")
    from app.icons import app_icon

    app.setWindowIcon(app_icon())

    if args.race:
        return _run_race(app, config, race, args.theme)
    from app.window import MainWindow

    window = MainWindow(config, theme=args.theme, presentation=False, load_path=load_path,
                        first_env=first_env)
    if study is not None:
        window.open_study_folder(*study)
    if args.presentation:
        window.set_presentation(True)
    else:
        window.show()
    shown_at = time.perf_counter()
    timings = {"launch_to_show_s": shown_at - _T0}

    started = []

    def first_paint() -> None:
        if started:
            return
        started.append(True)
        timings["launch_to_visible_s"] = time.perf_counter() - _T0
        timings["visible_unix"] = time.time()
        window.start_engine()  # TensorFlow is imported on the worker thread from here on

    window.view.on_first_paint = first_paint
    QTimer.singleShot(1000, first_paint)  # a platform that never paints still starts

    if os.environ.get("QMIX_STUDIO_AUTOPLAY") == "1":
        QTimer.singleShot(0, window.play)
    quit_after = os.environ.get("QMIX_STUDIO_QUIT_AFTER")
    if quit_after:
        window.session.confirm = False
        QTimer.singleShot(int(float(quit_after) * 1000), window.close)

    def close_on_signal(signum: int, _frame: object) -> None:
        window.session.confirm = False
        QTimer.singleShot(0, window.close)

    previous = {sig: signal.signal(sig, close_on_signal)
                for sig in (signal.SIGINT, signal.SIGTERM)}
    # Python runs signal handlers only between bytecodes; a timer gives it that chance
    # while Qt's event loop (C++) is waiting.
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(200)

    report = os.environ.get("QMIX_STUDIO_REPORT")

    def write_report(**extra: object) -> None:
        last = window.last_frame
        data = dict(timings, phase=window.phase, shutdown_s=window.controller.shutdown_seconds,
                    frames=window.frames_received, paints=window.view.paint_count,
                    env_steps=last.env_steps if last else 0,
                    updates=last.updates if last else 0,
                    scenario=window.config.scenario, error=window.last_error,
                    drawing=window.view.drawn_kind,
                    study=window.study_view.path if window.showing_study() else None,
                    **extra)
        tmp = f"{report}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(dumps(data) + "\n")  # strict JSON: NaN/inf become null
        os.replace(tmp, report)

    if report:
        reporter = QTimer()
        reporter.timeout.connect(write_report)
        reporter.start(1000)
    try:
        code = app.exec()
    finally:
        heartbeat.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if report:
        reporter.stop()
        write_report(exit_code=code)
    return int(code)


def _run_race(app: Any, config: Any, algos: tuple[str, str], theme: str) -> int:
    """`--race A,B`: the race window alone (app/race.py); QMIX_STUDIO_QUIT_AFTER works."""
    from PySide6.QtCore import QTimer

    from app.race import open_race

    race = open_race(config, algos, theme)
    quit_after = os.environ.get("QMIX_STUDIO_QUIT_AFTER")
    if quit_after:
        QTimer.singleShot(int(float(quit_after) * 1000), race.close)
    previous = {sig: signal.signal(sig, lambda *_: QTimer.singleShot(0, race.close))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(200)
    try:
        return int(app.exec())
    finally:
        heartbeat.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_app(sys.argv[1:]))
