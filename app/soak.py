"""Soak test of the real window: random commands for minutes, RSS over time, hangs.

    python -m app.soak --minutes 10            # RSS every few seconds, growth after warm-up
    python -m app.soak --commands 60 --json    # a command budget (the test suite's version)

It opens the real `MainWindow`, built as app/main.py builds it (the scenario checked and
drawn first, TensorFlow started after the first paint), with settings and every file in a
temporary folder. A seeded driver on a QTimer triggers the window's own QActions, as a user
pressing keys would: play/pause, steps, episodes, updates, evaluations, speed, theme,
presentation, settings, agent selection, F1, save, save as, open and reset. The modal
dialogs those open (file dialogs, the Save / Discard / Cancel prompt, F1) are answered by
the same timer after a short while: a file dialog gets a file in the temporary folder (Open:
one saved before, else Cancel), a prompt a random answer, F1 is closed. Quit is never
pressed.

Memory: RSS from /proc/self/statm, sampled every `--sample-s` seconds. Warm-up is the first
20 % of the run - of the minutes with `--minutes`, of the commands with `--commands`.
TensorFlow's first traces, caches and pools fill during warm-up; what grows after it is a
leak, or the C allocator keeping freed memory resident. `growth_after_warmup_pct` is the
trend: the least-squares line through every sample from the end of warm-up on, its rise
over that span divided by its value at the end of warm-up. Not the two end samples alone
(`endpoint_growth_after_warmup_pct`, also given): one sample swings by ±4 % with what the
run of that moment holds (measured: between 934 and 981 MB within a minute while the floor
stayed flat for ten), so the end points' difference is mostly which moment each landed on;
a leak raises the whole line. `--trim` separates the allocator: after each sample the C
heap is trimmed (`malloc_trim`) and sampled again (`rss_trimmed_*`). Each sample also
counts the Python objects the collector tracks and the window's QObjects: a leak of either
grows those, whatever the allocator does.

Hangs: a watchdog thread checks that the driver's timer keeps firing (it only can while the
GUI event loop runs); after `--hang-s` seconds without a tick it reports `hung` and
`crashed` (with every thread's Python stack on stderr) and ends the process. An exception
that reaches Qt from a slot counts as an error (`errors`, and `crashed`).

With `--json` the last line on stdout is one JSON object: `commands`, `rss_start_mb`,
`rss_warm_mb`, `rss_end_mb`, `rss_peak_mb`, `growth_after_warmup_pct`,
`endpoint_growth_after_warmup_pct`, `crashed`, `hung`,
`errors`, `dialogs`, `pauses_for_dialogs`, `env_steps`, `updates`, `wall_s`, `samples`,
`by_command`.

Why ~520 lines (over the project's ~450): the driver, the dialog answers, the samples and
the watchdog share one run's state (its clock, counts and samples) and are read together
when a soak figure needs explaining; the window itself is app/main.py's, not rebuilt here.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from typing import Any

from qmix.memory import release_freed_memory

# (action name, weight): what the driver presses. Quit is never pressed; the study actions
# need a study folder (Open Study is a folder dialog: cancelled).
COMMANDS: tuple[tuple[str, int], ...] = (
    ("play", 10), ("step_env", 8), ("step_episode", 4), ("step_update", 6), ("evaluate", 4),
    ("faster", 4), ("slower", 4), ("theme", 3), ("presentation", 2),
    ("leave_presentation", 2), ("settings", 3), ("next_agent", 4), ("shortcuts", 3),
    ("save", 2), ("save_as", 2), ("open", 2), ("reset", 1), ("open_study", 1),
)
WARMUP_FRACTION = 0.2
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4096 / 2**20


def rss_mb() -> float:
    """This process's resident set size in MB (/proc/self/statm: pages)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * PAGE_MB
    except OSError:  # not Linux: peak RSS instead (ru_maxrss is kB on Linux, B on macOS)
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 1024)


def trend_growth_pct(times: list[float], mbs: list[float]) -> float:
    """The rise of the least-squares line through (times, mbs) from the first time to the
    last, in % of its value at the first (the end points alone with fewer than 3 samples)."""
    if len(mbs) < 3 or times[-1] <= times[0]:
        return 100.0 * (mbs[-1] - mbs[0]) / mbs[0] if mbs and mbs[0] else 0.0
    n = len(mbs)
    mt, mm = sum(times) / n, sum(mbs) / n
    slope = (sum((t - mt) * (m - mm) for t, m in zip(times, mbs))
             / sum((t - mt) ** 2 for t in times))
    first = mm + slope * (times[0] - mt)
    return 100.0 * slope * (times[-1] - times[0]) / first


def live_objects(window: Any) -> tuple[int, int]:
    """(Python objects the collector tracks, QObjects under the window): a leak of either
    grows these, whatever the allocator does. The window freezes a run's long-lived objects
    out of the collector's scans (app/collector.py), and `gc.get_objects()` does not list
    frozen ones: they are counted by `gc.get_freeze_count()`."""
    import gc

    from PySide6.QtCore import QObject

    return len(gc.get_objects()) + gc.get_freeze_count(), len(window.findChildren(QObject))


def type_counts() -> dict[str, int]:
    """Python objects the collector tracks, by type name, frozen ones included: they are
    thawed to be listed and frozen again (which also freezes the young objects of that moment
    until the window next thaws, at its next Reset or Open: twice a soak, a small effect)."""
    import gc
    from collections import Counter

    frozen = gc.get_freeze_count() > 0
    if frozen:
        gc.unfreeze()
    try:
        return dict(Counter(type(o).__name__ for o in gc.get_objects()))
    finally:
        if frozen:
            gc.freeze()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.soak", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--minutes", type=float, default=None,
                        help="run this long (default 10 unless --commands is given)")
    parser.add_argument("--commands", type=int, default=None,
                        help="stop after this many commands (a budget for tests)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the command sequence")
    parser.add_argument("--scenario", default=None, help="scenario (default: the app's)")
    parser.add_argument("--interval-ms", type=int, default=120,
                        help="time between two commands (default 120)")
    parser.add_argument("--dialog-ms", type=int, default=250,
                        help="how long a modal dialog stays open (default 250)")
    parser.add_argument("--sample-s", type=float, default=5.0,
                        help="RSS sampling period in seconds (default 5)")
    parser.add_argument("--hang-s", type=float, default=30.0,
                        help="the event loop silent this long counts as hung (default 30)")
    parser.add_argument("--trace", action="store_true",
                        help="tracemalloc: print the Python allocations that grew most "
                        "after warm-up (slower)")
    parser.add_argument("--trim", action="store_true",
                        help="after each RSS sample, malloc_trim the C heap and sample again "
                        "(rss_trimmed_*: live memory without the allocator's high-water "
                        "mark; the raw figures are then those between trims)")
    parser.add_argument("--verbose", action="store_true",
                        help="print every command and every dialog answer on stderr")
    parser.add_argument("--json", action="store_true",
                        help="end with one JSON line on stdout")
    args = parser.parse_args(argv)
    if args.minutes is None and args.commands is None:
        args.minutes = 10.0
    for name in ("minutes", "commands"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            parser.exit(2, f"error: --{name} must be > 0, got {value}\n")
    return args


class Soak:
    """The driver, the dialog answerer, the sampler and the watchdog of one soak run."""

    def __init__(self, window: Any, args: argparse.Namespace, folder: str) -> None:
        self.window = window
        self.args = args
        self.folder = folder
        self.rng = random.Random(args.seed)
        self.names = [name for name, _ in COMMANDS]
        self.weights = [weight for _, weight in COMMANDS]
        self.commands = 0
        self.by_command: dict[str, int] = {}
        self.dialogs = 0
        self.errors: list[str] = []
        self.saved: list[str] = []
        self.samples: list[tuple[float, int, float]] = []  # (s since start, commands, MB)
        self.trimmed: list[float] = []  # RSS after malloc_trim, MB, at each sample
        self.objects: list[tuple[int, int]] = []  # live_objects() at each sample
        self.start = time.perf_counter()
        self.last_tick = time.monotonic()
        self.hung = False
        self.done = False
        self._dialog_seen: tuple[int, float] | None = None  # (id, when first seen)
        self._warm_snapshot: Any = None
        self.rss_warm: float | None = None

    # ---- budget --------------------------------------------------------------------------
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def progress(self) -> float:
        """0..1 of the run's budget (minutes or commands, whichever is given; both: max)."""
        parts = []
        if self.args.minutes is not None:
            parts.append(self.elapsed() / (60.0 * self.args.minutes))
        if self.args.commands is not None:
            parts.append(self.commands / self.args.commands)
        return max(parts)

    # ---- the timer -----------------------------------------------------------------------
    def tick(self) -> None:
        self.last_tick = time.monotonic()
        if self.done:
            return
        try:
            from PySide6.QtWidgets import QApplication

            modal = QApplication.activeModalWidget()
            if modal is not None:
                self._answer(modal)
                return
            if self.progress() >= 1.0:
                self.finish()
                return
            self._command()
        except Exception:  # noqa: BLE001 - counted, the soak goes on
            self.errors.append(traceback.format_exc(limit=6))

    def _command(self) -> None:
        name = self.rng.choices(self.names, self.weights)[0]
        action = self.window.acts[name]
        self.commands += 1
        self.by_command[name] = self.by_command.get(name, 0) + 1
        self.log(f"command {self.commands}: {name}")
        if self.rng.random() < 0.5 and name in ("play", "step_env", "evaluate"):
            # a real key press through Qt's shortcut machinery, not only trigger()
            from PySide6.QtGui import QKeySequence
            from PySide6.QtTest import QTest

            from PySide6.QtCore import QTimer

            combo = QKeySequence(action.shortcuts()[0])[0]
            QTimer.singleShot(0, lambda: QTest.keyClick(self.window, combo.key(),
                                                        combo.keyboardModifiers()))
        else:
            # from its own zero timer: a dialog it opens runs a nested event loop, in which
            # this (still running) timer would never fire again to answer it - Qt does not
            # re-enter a timer's slot
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, action.trigger)

    def _answer(self, dialog: Any) -> None:
        """Answer the open modal dialog once it has been open `--dialog-ms`."""
        import shiboken6

        now = time.perf_counter()
        key = shiboken6.getCppPointer(dialog)[0]  # a new wrapper each call: not id()
        if self._dialog_seen is None or self._dialog_seen[0] != key:
            self._dialog_seen = (key, now)
            self.dialogs += 1
            return
        if (now - self._dialog_seen[1]) * 1000 < self.args.dialog_ms:
            return
        self._dialog_seen = None
        from PySide6.QtCore import QTimer

        # from a zero timer, as commands: an answer may open a dialog of its own
        QTimer.singleShot(0, lambda: self._reply(dialog))

    def _reply(self, dialog: Any) -> None:
        from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

        import shiboken6

        top = QApplication.activeModalWidget()
        if top is None or not shiboken6.isValid(dialog) or \
                shiboken6.getCppPointer(top)[0] != shiboken6.getCppPointer(dialog)[0]:
            return  # closed meanwhile
        try:
            self._reply_to(dialog)
        except Exception:  # noqa: BLE001 - counted, the soak goes on
            self.errors.append(traceback.format_exc(limit=6))

    def log(self, text: str) -> None:
        if self.args.verbose:
            print(f"soak {self.elapsed():7.1f} s  {text}", file=sys.stderr, flush=True)

    def _reply_to(self, dialog: Any) -> None:
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        self.log(f"answering {type(dialog).__name__} {dialog.windowTitle()!r}")

        if isinstance(dialog, QFileDialog):
            if dialog.fileMode() == QFileDialog.Directory:
                dialog.reject()
            elif dialog.acceptMode() == QFileDialog.AcceptSave:
                path = os.path.join(self.folder, f"run-{len(self.saved)}.h5")
                self.saved.append(path)
                for old in self.saved[:-3]:  # keep the last three (for Open)
                    if os.path.exists(old):
                        os.remove(old)
                dialog.selectFile(path)
                dialog.done(QFileDialog.Accepted)  # as Save pressed; no overwrite check
            else:
                existing = [p for p in dict.fromkeys(self.saved) if os.path.exists(p)]
                if existing:
                    # as a file chosen and Open pressed (accept() waits for the folder's
                    # listing, which an offscreen dialog may not have yet)
                    dialog.selectFile(self.rng.choice(existing))
                    dialog.done(QFileDialog.Accepted)
                else:
                    dialog.reject()
            return
        if isinstance(dialog, QMessageBox):
            choices = {b.property("choice"): b for b in dialog.buttons()}
            if "cancel" in choices:  # the Save / Discard / Cancel prompt
                pick = self.rng.choices(["cancel", "discard", "save"], [2, 2, 1])[0]
                choices[pick].click()
            else:
                dialog.done(0)  # F1 and other notices
            return
        dialog.reject()

    def sample(self) -> None:
        mb = rss_mb()
        self.samples.append((self.elapsed(), self.commands, mb))
        trimmed = rss_mb() if self.args.trim and release_freed_memory() else mb
        self.trimmed.append(trimmed)
        self.objects.append(live_objects(self.window))
        if self.rss_warm is None and self.progress() >= WARMUP_FRACTION:
            self.rss_warm = mb
            self._warm_types = type_counts()
            if self.args.trace:
                import tracemalloc

                self._warm_snapshot = tracemalloc.take_snapshot()
        t, n, _ = self.samples[-1]
        warm = "" if self.rss_warm is None else f"  after warm-up {mb - self.rss_warm:+.1f} MB"
        py, qt = self.objects[-1]
        print(f"soak {t:7.1f} s  commands {n:6d}  rss {mb:8.1f} MB{warm}  (trimmed "
              f"{trimmed:.1f} MB, {py:,} Python objects, {qt:,} QObjects)", file=sys.stderr,
              flush=True)

    # ---- the end -------------------------------------------------------------------------
    def finish(self) -> None:
        if self.done:
            return
        self.done = True
        self.sample()
        window = self.window
        window.session.confirm = False
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        QTimer.singleShot(0, window.close)
        QTimer.singleShot(0, QApplication.instance().quit)

    def result(self) -> dict[str, Any]:
        mbs = [s[2] for s in self.samples] or [rss_mb()]
        start, end = mbs[0], mbs[-1]
        warm = self.rss_warm if self.rss_warm is not None else start
        k = next((j for j, s in enumerate(self.samples) if s[2] == warm), 0)
        trimmed = self.trimmed or [end]
        objects = self.objects or [(0, 0)]
        last = self.window.last_frame
        return {
            "commands": self.commands, "rss_start_mb": round(start, 1),
            "rss_warm_mb": round(warm, 1), "rss_end_mb": round(end, 1),
            "rss_peak_mb": round(max(mbs), 1),
            "growth_after_warmup_pct": round(trend_growth_pct(
                [s[0] for s in self.samples[k:]], mbs[k:]), 2),
            "endpoint_growth_after_warmup_pct": round(100.0 * (end - warm) / warm, 2),
            "rss_trimmed_warm_mb": round(trimmed[min(k, len(trimmed) - 1)], 1),
            "rss_trimmed_end_mb": round(trimmed[-1], 1),
            "trimmed_growth_after_warmup_pct": round(
                100.0 * (trimmed[-1] - trimmed[min(k, len(trimmed) - 1)])
                / trimmed[min(k, len(trimmed) - 1)], 2),
            "python_objects_warm": objects[min(k, len(objects) - 1)][0],
            "python_objects_end": objects[-1][0],
            "qobjects_warm": objects[min(k, len(objects) - 1)][1],
            "qobjects_end": objects[-1][1],
            "warmup": f"first {WARMUP_FRACTION:.0%} of the "
                      f"{'minutes' if self.args.minutes is not None else 'commands'}",
            "crashed": bool(self.hung or self.errors), "hung": self.hung,
            "errors": len(self.errors), "dialogs": self.dialogs,
            "pauses_for_dialogs": int(getattr(self.window.modal, "pauses", 0)),
            "env_steps": int(last.env_steps) if last else 0,
            "updates": int(last.updates) if last else 0,
            "wall_s": round(self.elapsed(), 1), "samples": len(self.samples),
            "seed": self.args.seed, "by_command": self.by_command,
        }

    def report_types(self) -> None:
        """The object types whose number grew most after warm-up (stderr)."""
        warm = getattr(self, "_warm_types", None)
        if warm is None:
            return
        now = type_counts()
        grown = sorted(((now[k] - warm.get(k, 0), k) for k in now), reverse=True)[:10]
        print("soak: object types that grew most after warm-up: " + ", ".join(
            f"{name} {n:+d}" for n, name in grown if n > 0), file=sys.stderr)

    def report_trace(self) -> None:
        if self._warm_snapshot is None:
            return
        import tracemalloc

        diff = tracemalloc.take_snapshot().compare_to(self._warm_snapshot, "traceback")
        print("soak: Python allocations that grew most after warm-up:", file=sys.stderr)
        for stat in diff[:12]:
            print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks",
                  file=sys.stderr)
            for line in stat.traceback.format()[-6:]:
                print(f"      {line}", file=sys.stderr)


def watchdog(soak: Soak, hang_s: float, emit: Any) -> None:
    """Thread: the driver's timer must keep ticking; if not, report a hang and exit."""
    while not soak.done:
        time.sleep(1.0)
        if soak.done:
            return
        silent = time.monotonic() - soak.last_tick
        if silent > hang_s:
            soak.hung = True
            print(f"soak: the GUI event loop did not run for {silent:.0f} s: hung",
                  file=sys.stderr, flush=True)
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            emit(soak.result())
            sys.stdout.flush()
            os._exit(3)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from app.main import GIL_SWITCH_INTERVAL_S, build_world, no_display
    from app.main import parse_args as app_args
    from qmix.userio import dumps, one_line

    try:
        config, first_env = build_world(app_args(
            [] if args.scenario is None else ["--scenario", args.scenario]))
    except ValueError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    if os.environ.get("QT_QPA_PLATFORM", "") != "offscreen":
        missing = no_display()
        if missing:
            print(f"error: {missing} (or run with QT_QPA_PLATFORM=offscreen)", file=sys.stderr)
            return 2
    if args.trace:
        import tracemalloc

        tracemalloc.start(8)
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    folder = tempfile.mkdtemp(prefix="qmix-soak-")
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication(["qmix-studio-soak"])
    app.setStyle("Fusion")
    from app.window import MainWindow

    settings = QSettings(os.path.join(folder, "settings.ini"), QSettings.IniFormat)
    window = MainWindow(config, first_env=first_env, settings=settings)
    window.show()
    soak = Soak(window, args, folder)

    def emit(result: dict[str, Any]) -> None:
        if args.json:
            print(dumps(result), flush=True)
        else:
            print(json.dumps(result, indent=1), flush=True)

    previous_hook = sys.excepthook

    def hook(kind: Any, value: Any, tb: Any) -> None:  # an exception that reached Qt
        soak.errors.append("".join(traceback.format_exception(kind, value, tb, limit=6)))
        previous_hook(kind, value, tb)

    sys.excepthook = hook
    started: list[bool] = []

    def start_engine() -> None:
        if not started:
            started.append(True)
            window.start_engine()

    window.view.on_first_paint = start_engine
    QTimer.singleShot(1000, start_engine)
    driver = QTimer()
    driver.timeout.connect(soak.tick)
    driver.start(max(1, args.interval_ms))
    sampler = QTimer()
    sampler.timeout.connect(soak.sample)
    sampler.start(int(max(0.2, args.sample_s) * 1000))
    QTimer.singleShot(0, soak.sample)
    dog = threading.Thread(target=watchdog, args=(soak, args.hang_s, emit), daemon=True,
                           name="soak-watchdog")
    dog.start()
    try:
        app.exec()
    finally:
        driver.stop()
        sampler.stop()
        sys.excepthook = previous_hook
        soak.done = True
    result = soak.result()
    for error in soak.errors[:3]:
        print(f"soak: error in a slot:\n{error}", file=sys.stderr)
    soak.report_types()
    if args.trace:
        soak.report_trace()
    shutil.rmtree(folder, ignore_errors=True)
    emit(result)
    return 1 if result["crashed"] else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
