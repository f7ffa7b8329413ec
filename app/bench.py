"""`python -m app.bench`: how the app holds up while it trains. Run it on a real display
(or under Xvfb: `Xvfb :99 & DISPLAY=:99 python -m app.bench`).

Prints, with the machine it ran on:
- launch to window visible: wall time from spawning `main.py`'s app to the first painted
  frame of the environment view (median of a few launches; target <= 2 s);
- frames per second of the environment view while training at full speed (target >= 55);
- training speed with the window open vs headless, same scenario, same `train_iteration`
  loop (env steps/s and updates/s; target >= 85 %);
- latency from Pause to the worker having stopped stepping (median / max over many pauses at
  random moments; target <= 50 ms), and to its last background update having finished too.
Headless and windowed phases alternate (twice each by default) so background load on a
shared machine hits both alike; the medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def machine() -> str:
    from qmix.bench import machine as engine_machine  # TF-free

    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return f"{engine_machine()}, {platform.system()} (load average {load:.1f} at start)"


def measure_launch(scenario: str, runs: int) -> list[float]:
    """Seconds from spawning the app to its first painted frame."""
    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            report = os.path.join(tmp, "report.json")
            env = dict(os.environ, QMIX_STUDIO_QUIT_AFTER="0.5", QMIX_STUDIO_REPORT=report,
                       PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
            code = ("import sys; from app.main import run_app; "
                    f"sys.exit(run_app(['--scenario', {scenario!r}]))")
            started = time.time()
            subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, timeout=120,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            try:
                with open(report, encoding="utf-8") as fh:
                    data = json.loads(fh.read())
                out.append(float(data["visible_unix"]) - started)
            except (OSError, KeyError, ValueError):
                out.append(float("nan"))
    return out


def warm_up(trainer: object, seconds: float) -> None:
    """Until the first updates are compiled, then `seconds` more (inspection compiled too)."""
    t = trainer
    deadline = time.perf_counter() + 120
    while t.updates < 2 and time.perf_counter() < deadline:  # type: ignore[attr-defined]
        t.train_iteration()  # type: ignore[attr-defined]
    t.snapshot()  # type: ignore[attr-defined]
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t.train_iteration()  # type: ignore[attr-defined]


def measure_headless(config: object, seconds: float) -> dict[str, float]:
    from qmix.trainer import Trainer

    trainer = Trainer(config)  # type: ignore[arg-type]
    warm_up(trainer, 2.0)
    s0, u0, t0 = trainer.env_steps, trainer.updates, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trainer.train_iteration()
    dt = time.perf_counter() - t0
    return {"steps_s": (trainer.env_steps - s0) / dt, "updates_s": (trainer.updates - u0) / dt}


def measure_window(app: object, config: object, seconds: float,
                   pauses: int) -> dict[str, object]:
    from PySide6.QtCore import QEventLoop, QTimer

    from app.main import GIL_SWITCH_INTERVAL_S
    from app.window import MainWindow

    default_interval = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)  # as run_app does
    try:
        return _measure_window(config, seconds, pauses)
    finally:
        sys.setswitchinterval(default_interval)


def _measure_window(config: object, seconds: float, pauses: int) -> dict[str, object]:
    from PySide6.QtCore import QEventLoop, QTimer

    from app.window import MainWindow

    window = MainWindow(config)  # type: ignore[arg-type]
    window.session.confirm = False
    window.show()
    window.start_engine()

    def spin(secs: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(secs * 1000), loop.quit)
        loop.exec()

    deadline = time.perf_counter() + 180
    while window.info is None and time.perf_counter() < deadline:
        spin(0.1)
    window.play()
    while (window.last_frame is None or window.last_frame.updates < 2) and \
            time.perf_counter() < deadline:
        spin(0.1)
    spin(2.0)  # warm: inspection compiled, plots populated
    f0 = window.last_frame
    p0, t0 = window.view.paint_count, time.perf_counter()
    spin(seconds)
    f1 = window.last_frame
    p1, dt = window.view.paint_count, time.perf_counter() - t0
    result: dict[str, object] = {
        "fps": (p1 - p0) / dt,
        "steps_s": (f1.env_steps - f0.env_steps) / dt,  # type: ignore[union-attr]
        "updates_s": (f1.updates - f0.updates) / dt,  # type: ignore[union-attr]
    }
    latencies, settled = [], []
    rng = random.Random(0)
    for _ in range(pauses):
        window.play()
        spin(rng.uniform(0.15, 0.45))
        window.controller.pause_latencies.clear()
        window.controller.settle_latencies.clear()
        window.pause()
        end = time.perf_counter() + 2.0
        while not window.controller.pause_latencies and time.perf_counter() < end:
            spin(0.01)
        if window.controller.pause_latencies:
            latencies.append(window.controller.pause_latencies[0])
            settled.append(window.controller.settle_latencies[0])
    result["pause_latency_s"] = latencies
    result["settle_latency_s"] = settled
    started = time.perf_counter()
    window.close()
    result["close_s"] = time.perf_counter() - started
    window.deleteLater()
    spin(0.2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.bench", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--scenario", default=None, help="default: the Studio default")
    parser.add_argument("--seconds", type=float, default=12.0, help="per measuring phase")
    parser.add_argument("--rounds", type=int, default=2, help="headless/window alternations")
    parser.add_argument("--pauses", type=int, default=20)
    parser.add_argument("--launches", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    args = parser.parse_args(argv)

    import envs
    from qmix.config import make_config

    scenario = args.scenario or envs.DEFAULT_SCENARIO
    config = make_config(scenario)
    print(f"machine: {machine()}")
    display = os.environ.get("QT_QPA_PLATFORM") or "DISPLAY=" + os.environ.get("DISPLAY", "?")
    print(f"display: {display}, scenario {scenario}, {args.seconds:g} s per phase, "
          f"{args.rounds} rounds")

    launches = measure_launch(scenario, args.launches)
    print(f"launch to window visible: median {statistics.median(launches):.2f} s "
          f"(runs: {', '.join(f'{v:.2f}' for v in launches)})  target <= 2 s")

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["qmix-studio-bench"])
    app.setStyle("Fusion")
    headless, windowed = [], []
    latencies: list[float] = []
    settled: list[float] = []
    closes = []
    for r in range(args.rounds):
        headless.append(measure_headless(config, args.seconds))
        res = measure_window(app, config, args.seconds, args.pauses if r == 0 else 0)
        windowed.append(res)
        latencies += res["pause_latency_s"]  # type: ignore[arg-type]
        settled += res["settle_latency_s"]  # type: ignore[arg-type]
        closes.append(res["close_s"])
        print(f"  round {r + 1}: headless {headless[-1]['steps_s']:,.0f} steps/s "
              f"{headless[-1]['updates_s']:.1f} upd/s | window {res['steps_s']:,.0f} steps/s "
              f"{res['updates_s']:.1f} upd/s {res['fps']:.1f} fps")
    med = statistics.median
    h_steps = med(h["steps_s"] for h in headless)
    h_upd = med(h["updates_s"] for h in headless)
    w_steps = med(float(w["steps_s"]) for w in windowed)  # type: ignore[arg-type]
    w_upd = med(float(w["updates_s"]) for w in windowed)  # type: ignore[arg-type]
    fps = med(float(w["fps"]) for w in windowed)  # type: ignore[arg-type]
    print(f"fps while training at full speed: {fps:.1f}  target >= 55")
    print(f"training speed, window open vs headless: {w_steps:,.0f} vs {h_steps:,.0f} env "
          f"steps/s = {100 * w_steps / h_steps:.0f} %; {w_upd:.1f} vs {h_upd:.1f} updates/s "
          f"= {100 * w_upd / max(h_upd, 1e-9):.0f} %  target >= 85 %")
    if latencies:
        print(f"pause -> worker stopped stepping: median {1000 * med(latencies):.1f} ms, max "
              f"{1000 * max(latencies):.1f} ms over {len(latencies)} pauses  target <= 50 ms")
        print(f"pause -> also its background update joined: median "
              f"{1000 * med(settled):.1f} ms, max {1000 * max(settled):.1f} ms")
    print(f"close -> worker joined: max {max(closes) * 1000:.0f} ms  target <= 1000 ms")
    if args.json:
        print(json.dumps({
            "scenario": scenario, "launch_to_visible_s": med(launches), "fps": fps,
            "headless_steps_s": h_steps, "window_steps_s": w_steps,
            "headless_updates_s": h_upd, "window_updates_s": w_upd,
            "pause_latency_median_ms": 1000 * med(latencies) if latencies else None,
            "pause_latency_max_ms": 1000 * max(latencies) if latencies else None,
            "pause_settled_median_ms": 1000 * med(settled) if settled else None,
            "pause_settled_max_ms": 1000 * max(settled) if settled else None,
            "close_max_s": max(closes)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
