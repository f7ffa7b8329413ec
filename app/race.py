"""Race: two runs of the same scenario and seed, different algorithms (QMIX and VDN, say),
training side by side in one window - each its own worker thread, trainer and picture - with
their greedy-evaluation curves on one plot. Play/Pause (Space), Step (N or →), Faster (+) and
Slower (−) act on both; Esc or Ctrl+W closes the race (both runs stop; nothing is saved).

Opened from the main window (Run ▸ Race, F4: the current scenario, seed and algorithm against
the other of QMIX/VDN; the main run is paused) or with `./studio --race qmix,vdn` (the
race window alone). Each lane is a `TrainingController` exactly as the main window's (its
QThread, its command channel, its frames); TensorFlow is imported once per process and each
trainer runs its updates on one TensorFlow thread (qmix/trainer.configure_tensorflow sets
the process-wide intra/inter-op pools once, before the first trainer is built).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QMainWindow, QToolBar,
                               QVBoxLayout, QWidget)

from app.commands import EngineReady, Frame
from app.controller import TrainingController
from app.engine import TrainerFactory
from app.env_view import EnvView
from app.plots import EVAL, Series, StepsAxis
from app.theme import THEMES, app_font, palette, stylesheet
from app.widgets import SpeedControl, card, every
from app.worker import Phase
from qmix.config import ALGOS, Config

LANE_COLOURS = ("#4cc2ff", "#ffb454")  # one per lane: its curve and its title


def parse_race(text: str) -> tuple[str, str]:
    """"qmix,vdn" -> ("qmix", "vdn"); ValueError (one line) for anything else."""
    algos = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if len(algos) != 2:
        raise ValueError(f"--race takes two algorithms, e.g. qmix,vdn; got {text!r}")
    for algo in algos:
        if algo not in ALGOS:
            raise ValueError(f"--race: unknown algorithm {algo!r} (choose from "
                             f"{', '.join(ALGOS)})")
    return algos[0], algos[1]


def rival(algo: str) -> str:
    """The algorithm a run races against by default: QMIX against VDN, anything else
    against QMIX."""
    return "vdn" if algo == "qmix" else "qmix"


class RaceLane(QFrame):
    """One run of the race: its controller (thread, worker, trainer), picture and counters."""

    def __init__(self, config: Config, colour: str, trainer_factory: TrainerFactory | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.colour = colour
        self.controller = TrainingController(config, trainer_factory, parent=self)
        self.view = EnvView()
        self.view.set_overlay("Starting TensorFlow…")
        self.info = QLabel("")
        self.info.setObjectName("cardInfo")
        self.info.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.card = card(f"{config.algo.upper()} · {config.scenario} · seed {config.seed}",
                         self.view, self.info)
        self.card.findChild(QLabel, "cardTitle").setStyleSheet(f"color: {colour};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.card)
        self.eval = Series()
        self.last_frame: Frame | None = None
        self.phase = Phase.STARTING
        self.ready = False
        w = self.controller.worker
        w.frame_ready.connect(self.on_frame)
        w.phase_changed.connect(self.on_phase)
        w.engine_ready.connect(self.on_engine_ready)
        w.training_failed.connect(self.on_failed)

    @property
    def worker(self) -> Any:
        return self.controller.worker

    @Slot(object)
    def on_frame(self, frame: Frame) -> None:
        try:
            self.last_frame = frame
            if frame.curves_reset:
                self.eval = Series()
            self.eval.extend(frame.points.get(EVAL, []))
            snap = frame.snapshot
            if snap is not None:
                pending = None if snap.decision is None else snap.decision.actions
                self.view.set_frame(snap.frame, pending)
            self._show_info()
        finally:
            self.controller.worker.frame_consumed()

    @Slot(object, str)
    def on_phase(self, phase: Phase, detail: str) -> None:
        self.phase = phase
        self.view.set_overlay((detail or "Starting…") if phase is Phase.STARTING else None)
        self._show_info()

    @Slot(object)
    def on_engine_ready(self, _ready: EngineReady) -> None:
        self.ready = True
        self.view.set_overlay(None)

    @Slot(str)
    def on_failed(self, message: str) -> None:
        self.info.setText(f"<span style='color:#ff6b6b'>{message}</span>")

    def _show_info(self) -> None:
        f = self.last_frame
        if f is None:
            return
        last = self.eval.last
        text = (f"{self.phase.value} · {f.env_steps:,} env steps · {f.updates:,} updates · "
                f"greedy {'–' if last is None else f'{last:.3g}'}")
        if self.info.text() != text:
            self.info.setText(text)


class RaceWindow(QMainWindow):
    """Two lanes over one plot of both greedy-evaluation curves; one set of controls."""

    def __init__(self, config: Config, algos: tuple[str, str],
                 trainer_factory: TrainerFactory | None = None, theme: str = "dark",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WA_DeleteOnClose, False)
        self.theme = THEMES.get(theme, THEMES["dark"])
        self.configs = tuple(replace(config, algo=algo) for algo in algos)
        for c in self.configs:
            c.validate()
        self.setWindowTitle(f"QMIX Studio — race: {algos[0].upper()} vs {algos[1].upper()} "
                            f"on {config.scenario} (seed {config.seed})")
        self.lanes = [RaceLane(c, colour, trainer_factory)
                      for c, colour in zip(self.configs, LANE_COLOURS)]
        self.playing = False
        self.speed_control = SpeedControl(self)
        self.speed_control.changed.connect(self.set_speed)
        self._build()
        self.redraw()
        self.plot_timer = every(self, 250, self.redraw)
        self.status_timer = every(self, 250, self._show_status)
        self.resize(1600, 980)

    # ---- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.actions_by_name: dict[str, QAction] = {}
        bar = QToolBar("Race")
        bar.setMovable(False)
        self.addToolBar(Qt.TopToolBarArea, bar)
        for name, text, keys, slot in (
                ("play", "Play both", ("Space",), self.toggle_play),
                ("step", "Step both", ("N", "Right"), self.step),
                ("slower", "Slower", ("-",), self.speed_control.slower),
                ("faster", "Faster", ("+", "="), self.speed_control.faster),
                ("close", "Close race", ("Esc", "Ctrl+W"), self.close)):
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(k) for k in keys])
            act.setShortcutContext(Qt.WindowShortcut)
            act.setToolTip(f"{text} ({' / '.join(keys)})")
            act.triggered.connect(slot)
            self.addAction(act)
            if name in ("play", "step", "close"):
                bar.addAction(act)
            self.actions_by_name[name] = act
        self.actions_by_name["play"].setCheckable(True)
        bar.addSeparator()
        for widget in (self.speed_control.caption, self.speed_control.slider,
                       self.speed_control.label):
            bar.addWidget(widget)
        hint = QLabel("   Space play/pause both · N step both · + / − speed · Esc close")
        hint.setObjectName("hint")
        bar.addWidget(hint)

        lanes = QHBoxLayout()
        lanes.setSpacing(10)
        for lane in self.lanes:
            lanes.addWidget(lane, 1)
        self.plot = pg.PlotWidget(axisItems={"bottom": StepsAxis("bottom")})
        self.plot.setBackground(self.theme.panel)
        self.plot.addLegend(offset=(10, 10))
        self.plot.setLabel("left", "greedy evaluation return")
        self.plot.setLabel("bottom", "env steps")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.curves = [self.plot.plot([], [], name=lane.config.algo.upper(),
                                      pen=pg.mkPen(lane.colour, width=2.5), symbol="o",
                                      symbolSize=6, symbolBrush=lane.colour,
                                      symbolPen=None)
                       for lane in self.lanes]
        solved = None
        try:
            import envs

            solved = envs.make(self.configs[0].scenario, n_envs=1,
                               **self.configs[0].scenario_kwargs).info.solved_return
        except Exception:  # noqa: BLE001 - the lanes report a world that cannot be built
            solved = None
        self.solved = solved
        if solved is not None:
            self.plot.addItem(pg.InfiniteLine(pos=solved, angle=0, pen=pg.mkPen(
                self.theme.good, width=1.5, style=Qt.DashLine), label="solved",
                labelOpts={"position": 0.95, "color": self.theme.good}))
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addLayout(lanes, 3)
        layout.addWidget(card("Greedy evaluation · both runs · x = env steps", self.plot), 2)
        self.setCentralWidget(central)
        self.setPalette(palette(self.theme))
        self.setStyleSheet(stylesheet(self.theme, 1.0))
        for lane in self.lanes:
            lane.view.setFont(app_font(1.0))
            lane.view.set_theme(self.theme, 1.0)

    # ---- controls (both lanes) ---------------------------------------------------------
    def start(self) -> None:
        for lane in self.lanes:
            lane.controller.start()

    @Slot()
    def toggle_play(self) -> None:
        self.set_playing(not self.playing)

    def set_playing(self, on: bool) -> None:
        self.playing = on
        for lane in self.lanes:
            (lane.controller.play if on else lane.controller.pause)()
        act = self.actions_by_name["play"]
        act.setChecked(on)
        act.setText("Pause both" if on else "Play both")

    @Slot()
    def step(self) -> None:
        if self.playing:
            self.set_playing(False)
        for lane in self.lanes:
            lane.controller.step_env()

    @Slot(object)
    def set_speed(self, steps_per_s: float | None) -> None:
        for lane in self.lanes:
            lane.controller.set_speed(steps_per_s)

    def redraw(self) -> None:
        ys = [] if self.solved is None else [0.0, float(self.solved)]
        for lane, curve in zip(self.lanes, self.curves):
            s = lane.eval
            curve.setData(s.x[: s.n], s.y[: s.n])
            ys.extend(s.y[: s.n].tolist())
        if ys:  # both curves and the solved line in view, from 0 (or below) up
            lo, hi = min(0.0, min(ys)), max(ys)
            pad = 0.06 * max(hi - lo, 1e-6)
            self.plot.setYRange(lo - pad, hi + pad, padding=0)

    def _show_status(self) -> None:
        parts = []
        for lane in self.lanes:
            f = lane.last_frame
            parts.append(f"{lane.config.algo.upper()}: {lane.phase.value}, "
                         f"{0 if f is None else f.env_steps:,} env steps")
        speed = self.speed_control.label.text()
        self.statusBar().showMessage(" · ".join(parts) + f" · speed {speed}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        for timer in (self.plot_timer, self.status_timer):
            timer.stop()
        for lane in self.lanes:
            lane.controller.shutdown(timeout_s=1.0)
        super().closeEvent(event)


def open_race(config: Config, algos: tuple[str, str], theme: str = "dark",
              trainer_factory: TrainerFactory | None = None,
              parent: QWidget | None = None) -> RaceWindow:
    """A shown race window whose two runs are starting."""
    window = RaceWindow(config, algos, trainer_factory, theme, parent)
    window.show()
    window.start()
    return window
