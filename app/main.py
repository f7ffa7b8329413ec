"""`python main.py [--scenario NAME] [--algo qmix|vdn|iql] [--seed N] [--presentation]
[--theme dark|light]` opens QMIX Studio.

Start-up order is the point of this module: Qt, NumPy, pygame and envs only (about 0.3 s),
show the window with the scenario's first frame, *then* let the worker thread import
TensorFlow (2-6 s) and build the Trainer. Nothing under app/ imports TensorFlow at module top.

Test/bench hooks (environment variables, all optional):
  QMIX_STUDIO_AUTOPLAY=1        press Play as soon as the window is up
  QMIX_STUDIO_QUIT_AFTER=S      close the window S seconds after it is shown
  QMIX_STUDIO_REPORT=PATH       write a JSON line of timings and counters to PATH, once a
                                second while running and on exit (with the exit code)
SIGINT/SIGTERM close the window cleanly (exit code 0), like the window's close button.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

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


def parse_args(argv: list[str]) -> argparse.Namespace:
    from qmix.config import ALGOS

    parser = argparse.ArgumentParser(
        prog="main.py", description="QMIX Studio: watch a team of agents learn to cooperate "
        "with QMIX, live.", epilog="Also: main.py RUN.h5 opens a saved run; main.py train "
        "--help, main.py inspect RUN.h5 and main.py bench work without a display.")
    parser.add_argument("--scenario", default=None, help="scenario to open (default: the "
                        "Studio default scenario)")
    parser.add_argument("--algo", default="qmix", choices=ALGOS, help="qmix, vdn or iql")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run")
    parser.add_argument("--presentation", action="store_true",
                        help="start full screen with large type (F11 toggles, Esc leaves)")
    parser.add_argument("--theme", default="dark", choices=("dark", "light"))
    return parser.parse_args(argv)


def run_app(argv: list[str], load_path: str | None = None) -> int:
    """Open the app; returns the process exit code."""
    args = parse_args(argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import envs
    from qmix.config import make_config

    scenario = args.scenario
    if scenario is not None and scenario not in envs.scenario_names():
        print(f"main.py: unknown scenario {scenario!r}; choose one of: "
              f"{', '.join(envs.scenario_names())}", file=sys.stderr)
        return 2
    try:
        config = make_config(scenario, algo=args.algo, seed=args.seed)
    except ValueError as exc:
        print(f"main.py: {exc}", file=sys.stderr)
        return 2
    if load_path:
        from app import checkpoint_io

        # TF-free header read: the window shows the saved run's scenario at once; the worker
        # loads (and fully validates) the file, and reports a bad one in the window.
        config = checkpoint_io.read_config(load_path) or config

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "qmix-studio"])
    app.setApplicationName("QMIX Studio")
    app.setOrganizationName("QMIX Studio")
    app.setStyle("Fusion")
    from app.icons import app_icon

    app.setWindowIcon(app_icon())

    from app.window import MainWindow

    window = MainWindow(config, theme=args.theme, presentation=False, load_path=load_path)
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
        window.confirm_quit = False
        QTimer.singleShot(int(float(quit_after) * 1000), window.close)

    def close_on_signal(signum: int, _frame: object) -> None:
        window.confirm_quit = False
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
        data = dict(timings, phase=window.phase, shutdown_s=window.shutdown_seconds,
                    frames=window.frames_received, paints=window.view.paint_count,
                    env_steps=last.env_steps if last else 0,
                    updates=last.updates if last else 0,
                    scenario=window.config.scenario, error=window.last_error, **extra)
        tmp = f"{report}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data) + "\n")
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_app(sys.argv[1:]))
