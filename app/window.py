"""The main window: environment view, inspector, live plots, controls, status bar.

Everything here runs on the GUI thread and never touches TensorFlow or the Trainer: it sends
commands to the worker (`TrainingController`) and draws the plain-data `Frame`s it gets back.
"""

from __future__ import annotations

import os
import time
from collections import deque
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QComboBox, QDockWidget, QFileDialog, QFrame,
                               QHBoxLayout, QLabel, QMainWindow, QMessageBox, QPushButton,
                               QScrollArea, QSizePolicy, QSlider, QSplitter, QToolBar,
                               QToolButton, QVBoxLayout, QWidget)

import envs
from app import checkpoint_io, scene
from app.collector import GuiThreadCollector
from app.env_view import EnvView
from app.icons import make_icon
from app.inspector import InspectorPanel, fmt
from app.plots import PlotsPanel
from app.settings_panel import RunSettings
from app.theme import PRESENTATION_SCALE, THEMES, app_font, palette, stylesheet
from app.worker import Frame, TrainerFactory, TrainingController
from qmix.config import ALGOS, Config, make_config

# Speed slider stops, in env steps per second; None = flat out (view at display rate).
SPEEDS: tuple[float | None, ...] = (1, 2, 4, 8, 15, 30, 60, 120, 250, 500, None)
ALGO_LABELS = {"qmix": "QMIX", "vdn": "VDN", "iql": "IQL"}
MAX_RECENT = 8
PHASE_TEXT = {
    "starting": "Starting", "paused": "Paused", "running": "Training", "stepping": "Stepping",
    "evaluating": "Greedy evaluation", "saving": "Saving", "loading": "Opening",
    "error": "Stopped by an error", "stopped": "Stopped",
}


def scenario_label(name: str) -> str:
    """A short human name: 'two step'; for a user's world the part that names it,
    'fake_parallel_env:make_env' for pz:tests.envs.fake_parallel_env:make_env and
    'Foraging-8x8-2p-2f-v3' for gym:lbforaging:Foraging-8x8-2p-2f-v3."""
    prefix, _, rest = name.partition(":")
    if rest and prefix == "gym":
        return rest.split(":")[-1]
    if rest and prefix == "pz":
        module, _, factory = rest.partition(":")
        return f"{module.split('.')[-1]}:{factory}" if factory else rest
    return name.replace("_", " ")


def _card(title: str, body: QWidget, header_right: QWidget | None = None) -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(12, 10, 12, 12)
    layout.setSpacing(6)
    head = QHBoxLayout()
    label = QLabel(title.upper())
    label.setObjectName("cardTitle")
    head.addWidget(label)
    if header_right is not None:
        head.addWidget(header_right, 1)  # right-aligned label that takes the free width
    else:
        head.addStretch(1)
    layout.addLayout(head)
    layout.addWidget(body, 1)
    frame.title_label = label  # type: ignore[attr-defined]
    return frame


class MainWindow(QMainWindow):
    def __init__(self, config: Config, theme: str = "dark", presentation: bool = False,
                 trainer_factory: TrainerFactory | None = None, load_path: str | None = None,
                 settings: QSettings | None = None, first_env: Any = None) -> None:
        """`first_env`: the scenario already built and reset by the caller (app.main checks
        that it can be built before opening the window); drawn as the first frame."""
        super().__init__()
        self.config = config
        # scenario -> the scenario_kwargs it last ran with in this session, so that
        # switching back to a world (a pz:/gym: one above all) rebuilds the same world
        self._world_kwargs: dict[str, dict[str, Any]] = {
            config.scenario: dict(config.scenario_kwargs)}
        self.info: Any = None
        self.theme_name = theme if theme in THEMES else "dark"
        self.presentation = False
        self.settings = settings if settings is not None else QSettings("QMIX Studio",
                                                                        "QMIX Studio")
        self.confirm_quit = True
        self.current_path: str | None = None
        self.selected_agent: int | None = None
        self.phase = "starting"
        self.last_frame: Frame | None = None
        self.frames_received = 0
        self.pause_latencies: list[float] = []  # Pause -> the loop stopped stepping (s)
        self.settle_latencies: list[float] = []  # ... and its background updates joined
        self.shutdown_seconds: float | None = None
        self.last_error: str | None = None
        self._saved_counters: tuple[int, int] = (0, 0)
        self._counters: tuple[int, int, int] = (0, 0, 0)
        self._rate_window: deque[tuple[float, int, int]] = deque(maxlen=64)
        self._play_when_ready = False
        self._close_after_save = False
        self._engine_ready = False

        self.collector = GuiThreadCollector(self)  # cyclic GC on this thread only (why: there)
        self.controller = TrainingController(config, trainer_factory, load_path, parent=self)
        w = self.controller.worker
        w.frame_ready.connect(self.on_frame)
        w.phase_changed.connect(self.on_phase)
        w.engine_ready.connect(self.on_engine_ready)
        w.training_failed.connect(self.on_training_failed)
        w.notice.connect(self.on_notice)
        w.saved.connect(self.on_saved)
        w.loaded.connect(self.on_loaded)
        w.io_failed.connect(self.on_io_failed)
        w.stopped.connect(self.on_worker_stopped)

        self._build_widgets()
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_statusbar()
        self.settings_panel.load(config)
        self._sync_combos(config)
        self.apply_theme()
        self.resize(1600, 980)
        self._show_first_frame(config, first_env)
        self.view.set_overlay("Starting TensorFlow…")
        self.inspector.clear("Starting TensorFlow… the view already shows the scenario.")

        self.status_timer = QTimer(self)
        self.status_timer.setInterval(250)
        self.status_timer.timeout.connect(self._refresh_status)
        self.status_timer.start()
        self.plot_timer = QTimer(self)
        self.plot_timer.setInterval(250)  # plots at 4 Hz: a repaint costs ~10 ms (plots.py)
        self.plot_timer.timeout.connect(self._redraw_plots)
        self.plot_timer.start()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self._autosave)
        self._apply_autosave(int(self.settings.value("autosave_minutes", 0) or 0))
        if presentation:
            self.set_presentation(True)
        self._update_title()

    # ================================================================ construction
    def _build_widgets(self) -> None:
        self.view = EnvView()
        self.view.agent_clicked.connect(self.select_agent)
        self.view_info = QLabel("")
        self.view_info.setObjectName("cardInfo")
        self.view_info.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.view_info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.view_card = _card("Environment", self.view, self.view_info)
        self.view_card.setObjectName("viewCard")

        self.inspector = InspectorPanel()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.inspector)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.inspector_card = _card("Inspector · the step on screen", scroll,
                                    self.inspector.legend)

        self.plots = PlotsPanel()
        self.plots_card = _card("Learning curves · x = env steps", self.plots)

        # The picture gets the full height on the left (what a room looks at); the
        # inspector and the curves share the right column.
        self.right_split = QSplitter(Qt.Vertical)
        self.right_split.addWidget(self.inspector_card)
        self.right_split.addWidget(self.plots_card)
        self.right_split.setStretchFactor(0, 5)
        self.right_split.setStretchFactor(1, 4)
        self.right_split.setChildrenCollapsible(False)
        self.main_split = QSplitter(Qt.Horizontal)
        self.main_split.addWidget(self.view_card)
        self.main_split.addWidget(self.right_split)
        self.main_split.setStretchFactor(0, 4)
        self.main_split.setStretchFactor(1, 5)
        self.main_split.setChildrenCollapsible(False)

        self.banner = QFrame()
        self.banner.setObjectName("banner")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(14, 8, 8, 8)
        self.banner_label = QLabel("")
        self.banner_label.setWordWrap(True)
        self.banner_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        banner_layout.addWidget(self.banner_label, 1)
        dismiss = QPushButton("Dismiss")
        dismiss.clicked.connect(self.banner.hide)
        banner_layout.addWidget(dismiss)
        self.banner.hide()

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_split, 1)
        self.setCentralWidget(central)

        self.settings_panel = RunSettings()
        self.settings_panel.apply_requested.connect(self.reset_run)
        self.settings_panel.defaults_button.clicked.connect(self._load_scenario_defaults)
        self.settings_dock = QDockWidget("Run settings", self)
        self.settings_dock.setObjectName("settingsDock")
        self.settings_dock.setWidget(self.settings_panel)
        self.settings_dock.setFeatures(QDockWidget.DockWidgetClosable
                                       | QDockWidget.DockWidgetMovable)
        self.addDockWidget(Qt.LeftDockWidgetArea, self.settings_dock)
        self.settings_dock.hide()

    def _action(self, name: str, text: str, shortcuts: list[str], tip: str, slot: Any,
                icon: str | None = None, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setShortcutContext(Qt.WindowShortcut)
        keys = " / ".join(QKeySequence(s).toString(QKeySequence.NativeText) for s in shortcuts)
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.icon_name = icon  # type: ignore[attr-defined]
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts keep working with menus/toolbar hidden
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.act_play = a("play", "Play", ["Space"], "Train continuously / pause",
                          self.toggle_play, "play", checkable=True)
        self.act_step_env = a("step_env", "Step", ["N", "Right"],
                              "One env step of every copy (the view shows copy 0); no update",
                              self.step_env, "step_env")
        self.act_step_episode = a("step_episode", "Episode", ["E"],
                                  "Play until the current episodes end; no update",
                                  self.step_episode, "step_episode")
        self.act_step_update = a("step_update", "Update", ["U"],
                                 "Exactly one gradient update on a replay batch",
                                 self.step_update, "step_update")
        self.act_evaluate = a("evaluate", "Evaluate", ["V"],
                              "Watch one greedy episode (ε = 0) on a separate env copy",
                              self.evaluate, "evaluate")
        self.act_reset = a("reset", "Reset", ["R"],
                           "Start a new run with the chosen scenario, algorithm and settings",
                           self.reset_run, "reset")
        self.act_faster = a("faster", "Faster", ["+", "=", "Ctrl++"], "Increase the speed",
                            self.faster)
        self.act_slower = a("slower", "Slower", ["-", "Ctrl+-"], "Decrease the speed",
                            self.slower)
        self.act_save = a("save", "Save", ["Ctrl+S"], "Save the whole run to its file",
                          self.save, "save")
        self.act_save_as = a("save_as", "Save As…", ["Ctrl+Shift+S"],
                             "Save the whole run to a new file", self.save_as)
        self.act_open = a("open", "Open…", ["Ctrl+O"], "Open a saved run", self.open_file,
                          "open")
        self.act_presentation = a("presentation", "Present", ["F11"],
                                  "Full screen, large type, minimal chrome (Esc leaves)",
                                  self.toggle_presentation, "present", checkable=True)
        self.act_leave_presentation = a("leave_presentation", "Leave presentation", ["Esc"],
                                        "Leave presentation mode",
                                        lambda: self.set_presentation(False))
        self.act_theme = a("theme", "Theme", ["Ctrl+T"], "Switch between dark and light theme",
                           self.toggle_theme, "theme")
        self.act_settings = a("settings", "Settings", ["F2"],
                              "Show the run settings (hyperparameters, applied on Reset)",
                              self.toggle_settings, "settings", checkable=True)
        self.act_next_agent = a("next_agent", "Select next agent", ["A"],
                                "Select the next agent in the inspector", self.next_agent)
        self.act_shortcuts = a("shortcuts", "Keyboard shortcuts", ["F1"],
                               "List every keyboard shortcut", self.show_shortcuts)
        self.act_quit = a("quit", "Quit", ["Ctrl+Q"], "Close QMIX Studio", self.close)
        self.settings_dock.visibilityChanged.connect(self.act_settings.setChecked)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Controls")
        tb.setObjectName("controls")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        tb.setIconSize(QSize(20, 20))
        self.toolbar = tb
        self.addToolBar(Qt.TopToolBarArea, tb)
        tb.addAction(self.act_play)
        play_button = tb.widgetForAction(self.act_play)
        play_button.setObjectName("playButton")
        for act in (self.act_step_env, self.act_step_episode, self.act_step_update,
                    self.act_evaluate):
            tb.addAction(act)
        tb.addSeparator()
        speed_label = QLabel("Speed")
        tb.addWidget(speed_label)
        self.speed_slider = QSlider(Qt.Horizontal)
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setValue(len(SPEEDS) - 1)
        self.speed_slider.setFixedWidth(150)
        self.speed_slider.setFocusPolicy(Qt.NoFocus)
        self.speed_slider.setToolTip("Slow motion (every step drawn) … full speed "
                                     "(view at display rate)  (- / +)")
        self.speed_slider.valueChanged.connect(self._speed_changed)
        tb.addWidget(self.speed_slider)
        self.speed_label = QLabel("Full speed")
        self.speed_label.setMinimumWidth(110)
        tb.addWidget(self.speed_label)
        tb.addSeparator()
        self.scenario_combo = QComboBox()
        for name in envs.scenario_names():
            self.scenario_combo.addItem(name, name)
        # a pz:/gym: world is added as an item of its own when it is opened (_sync_combos);
        # long names are elided in the box, shown whole in the list and the tooltip
        self.scenario_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.scenario_combo.setMinimumContentsLength(12)
        self.scenario_combo.setToolTip("Scenario (switching starts a new run)")
        self.scenario_combo.setFocusPolicy(Qt.ClickFocus)
        self.scenario_combo.activated.connect(self._scenario_chosen)
        tb.addWidget(self.scenario_combo)
        self.algo_combo = QComboBox()
        for algo in ALGOS:
            self.algo_combo.addItem(ALGO_LABELS.get(algo, algo.upper()), algo)
        self.algo_combo.setToolTip("QMIX: monotonic mixing network · VDN: sum of agent "
                                   "values · IQL: independent learners (switching starts a "
                                   "new run)")
        self.algo_combo.setFocusPolicy(Qt.ClickFocus)
        self.algo_combo.activated.connect(self._algo_chosen)
        tb.addWidget(self.algo_combo)
        tb.addAction(self.act_reset)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        tb.addWidget(spacer)
        for act in (self.act_open, self.act_save, self.act_settings, self.act_theme,
                    self.act_presentation):
            tb.addAction(act)
        for act in (self.act_open, self.act_save, self.act_settings, self.act_theme,
                    self.act_presentation):
            tb.widgetForAction(act).setToolButtonStyle(Qt.ToolButtonIconOnly)
        for button in tb.findChildren(QToolButton):
            button.setFocusPolicy(Qt.NoFocus)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.act_open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addSeparator()
        file_menu.addAction(self.act_save)
        file_menu.addAction(self.act_save_as)
        self.act_save_buffer = QAction("Include replay buffer in saves", self)
        self.act_save_buffer.setCheckable(True)
        self.act_save_buffer.setChecked(
            str(self.settings.value("save_buffer", "false")).lower() == "true")
        self.act_save_buffer.setStatusTip("Bigger files; a resumed run then continues exactly "
                                          "as if never stopped")
        self.act_save_buffer.toggled.connect(
            lambda on: self.settings.setValue("save_buffer", "true" if on else "false"))
        file_menu.addAction(self.act_save_buffer)
        self.autosave_menu = file_menu.addMenu("&Autosave")
        group = QActionGroup(self)
        self.autosave_actions: dict[int, QAction] = {}
        for minutes in (0, 1, 5, 10, 30):
            act = QAction("Off" if minutes == 0 else f"Every {minutes} min", self)
            act.setCheckable(True)
            act.triggered.connect(lambda _=False, m=minutes: self._apply_autosave(m))
            group.addAction(act)
            self.autosave_menu.addAction(act)
            self.autosave_actions[minutes] = act
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        run_menu = bar.addMenu("&Run")
        for act in (self.act_play, self.act_step_env, self.act_step_episode,
                    self.act_step_update, self.act_evaluate):
            run_menu.addAction(act)
        run_menu.addSeparator()
        run_menu.addAction(self.act_faster)
        run_menu.addAction(self.act_slower)
        run_menu.addSeparator()
        run_menu.addAction(self.act_reset)
        view_menu = bar.addMenu("&View")
        for act in (self.act_settings, self.act_theme, self.act_presentation,
                    self.act_next_agent):
            view_menu.addAction(act)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_shortcuts)
        self._rebuild_recent_menu()

    def _build_statusbar(self) -> None:
        sb = self.statusBar()
        sb.setSizeGripEnabled(False)
        self.phase_label = QLabel("● Starting")
        self.phase_label.setObjectName("statusPhase")
        sb.addWidget(self.phase_label)
        self.status_labels: dict[str, QLabel] = {}
        for key, tip in (("env_steps", "environment steps taken (all copies)"),
                         ("episodes", "episodes finished"),
                         ("updates", "gradient updates"),
                         ("updates_s", "gradient updates per second"),
                         ("steps_s", "env steps per second"),
                         ("fps", "frames drawn per second")):
            label = QLabel("")
            label.setToolTip(tip)
            sb.addPermanentWidget(label)
            self.status_labels[key] = label
        self._refresh_status()

    def _redraw_plots(self) -> None:
        if self.plots.isVisible():
            self.plots.redraw()

    def _apply_split(self) -> None:
        """Initial proportions: the picture ~45 % of the width; inspector over curves."""
        width = max(800, self.main_split.width())
        height = max(500, self.right_split.height() or self.height() - 120)
        left = 0.42 if self.presentation else 0.45
        self.main_split.setSizes([int(width * left), int(width * (1 - left))])
        # two agents: the joint-action heat maps need room (two_step's raison d'etre)
        two = getattr(self.info, "n_agents", 0) == 2
        if self.presentation:
            top = 0.66 if two else 0.56
        else:
            top = 0.60 if two else 0.47
        self.right_split.setSizes([int(height * top), int(height * (1 - top))])

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not getattr(self, "_split_done", False):
            self._split_done = True
            QTimer.singleShot(0, self._apply_split)

    # ================================================================ start-up
    def _show_first_frame(self, config: Config, env: Any = None) -> None:
        """Draw the scenario before TensorFlow exists: envs are NumPy only."""
        try:
            if env is None:
                env = envs.make(config.scenario, n_envs=1, **config.scenario_kwargs)
                env.reset(seed=config.seed)
            self.view.set_frame(env.snapshot(0))
            self.plots.set_solved_return(env.info.solved_return)
            self._set_view_info(env.info.name, None)
        except Exception as exc:  # noqa: BLE001 - the engine will report it properly
            self.view.set_frame(None)
            self.show_banner(f"Cannot show {config.scenario!r}: {exc}")

    def start_engine(self) -> None:
        self.controller.start()

    # ================================================================ worker -> GUI slots
    @Slot(object)
    def on_frame(self, frame: Frame) -> None:
        try:
            self.frames_received += 1
            self.last_frame = frame
            if frame.history_reset:
                self.plots.clear()
            self.plots.extend(frame.new_history)
            snap = frame.snapshot
            self._counters = (frame.env_steps, frame.episodes, frame.updates)
            if snap is not None:
                self.view.badge = "GREEDY EVALUATION" if snap.evaluating else ""
                # the decision about to be executed, drawn on the picture (arrows, or the
                # "next" action of the vector view); none on a terminal frame
                pending = None if snap.decision is None else snap.decision.actions
                self.view.set_frame(snap.frame, pending)
                names = tuple(self.info.action_names) if self.info is not None else ()
                if frame.inspected or snap.evaluating:
                    self.inspector.set_snapshot(snap, names)
                self._set_view_info(snap.frame.get("scenario", ""), snap)
        finally:
            self.controller.worker.frame_consumed()

    @Slot(str, str)
    def on_phase(self, phase: str, detail: str) -> None:
        self.phase = phase
        running = phase == "running"
        self.act_play.setChecked(running)
        self.act_play.setText("Pause" if running else "Play")
        self._update_play_icon()
        text = PHASE_TEXT.get(phase, phase.title())
        if phase == "starting" and detail:
            text = detail
        elif detail and phase in ("paused", "stepping", "evaluating", "saving", "loading"):
            text = f"{text} · {detail}"
        colour = {"running": self.theme.good, "error": self.theme.error,
                  "evaluating": self.theme.greedy}.get(phase, self.theme.text)
        self.phase_label.setText(f"<span style='color:{colour}'>●</span> {text}")
        if phase == "starting":
            self.view.set_overlay(detail or "Starting…")
        else:
            self.view.set_overlay(None)
        self._update_title()

    @Slot(object)
    def on_engine_ready(self, payload: dict[str, Any]) -> None:
        self._engine_ready = True
        self.collector.freeze()  # the new run's long-lived objects leave the GC scans
        self.info = payload["info"]
        self.config = payload["config"]
        self._world_kwargs[self.config.scenario] = dict(self.config.scenario_kwargs)
        self.view.set_overlay(None)
        self.plots.set_solved_return(getattr(self.info, "solved_return", None))
        QTimer.singleShot(0, self._apply_split)
        self.settings_panel.load(self.config)
        self._sync_combos(self.config)
        self.selected_agent = None
        self.view.set_selected(None)
        self.inspector.set_selected(None)
        loaded = payload.get("loaded_from")
        if loaded:
            self.current_path = loaded
            self._add_recent(loaded)
        env_steps, updates = payload.get("counters", (0, 0))
        self._counters = (env_steps, 0, updates)
        self._mark_saved(env_steps, updates)  # a fresh run or a just-opened file: nothing new
        if self._play_when_ready:
            self._play_when_ready = False
            self.controller.play()
        self._update_title()

    @Slot(str)
    def on_training_failed(self, message: str) -> None:
        self.last_error = message
        self._play_when_ready = False
        self.show_banner(message)

    @Slot(str)
    def on_notice(self, message: str) -> None:
        self.statusBar().showMessage(message, 6000)

    @Slot(str, int, int)
    def on_saved(self, path: str, env_steps: int, updates: int) -> None:
        self.current_path = path
        self._add_recent(path)
        self._mark_saved(env_steps, updates)
        self.statusBar().showMessage(f"Saved {path}", 6000)
        if self._close_after_save:
            self._close_after_save = False
            self.close()

    @Slot(str)
    def on_loaded(self, path: str) -> None:
        self.statusBar().showMessage(f"Opened {path}", 6000)

    @Slot(str)
    def on_io_failed(self, message: str) -> None:
        self._close_after_save = False
        self.show_banner(message)

    @Slot(float, float)
    def on_worker_stopped(self, stopped_at: float, settled_at: float) -> None:
        asked = self.controller.pause_requested_at
        if asked and stopped_at >= asked:
            self.pause_latencies.append(stopped_at - asked)
            self.settle_latencies.append(settled_at - asked)
            self.controller.pause_requested_at = 0.0

    # ================================================================ controls
    @Slot()
    def toggle_play(self) -> None:
        if self.phase in ("stepping", "evaluating"):
            self.controller.pause()  # Space stops a slow-motion episode or evaluation too
            return
        if self.controller.worker.is_playing() or self._play_when_ready:
            self._play_when_ready = False
            self.controller.pause()
            self.act_play.setChecked(False)
            self.act_play.setText("Play")
            self._update_play_icon()
            return
        self.banner.hide()
        if not self._engine_ready:
            self._play_when_ready = True
            self.act_play.setChecked(True)
            self.act_play.setText("Pause")
            self._update_play_icon()
            self.statusBar().showMessage("Training starts as soon as the engine is ready.", 4000)
            return
        self.controller.play()
        self.act_play.setChecked(True)
        self.act_play.setText("Pause")
        self._update_play_icon()

    def play(self) -> None:
        if not (self.controller.worker.is_playing() or self._play_when_ready):
            self.toggle_play()

    def pause(self) -> None:
        if self.controller.worker.is_playing() or self._play_when_ready:
            self.toggle_play()

    def _before_step(self) -> None:
        self._play_when_ready = False
        self.act_play.setChecked(False)
        self.act_play.setText("Play")
        self._update_play_icon()

    @Slot()
    def step_env(self) -> None:
        self._before_step()
        self.controller.step_env()

    @Slot()
    def step_episode(self) -> None:
        self._before_step()
        self.controller.step_episode()

    @Slot()
    def step_update(self) -> None:
        self._before_step()
        self.controller.step_update()

    @Slot()
    def evaluate(self) -> None:
        self._before_step()
        self.controller.evaluate()

    def speed(self) -> float | None:
        return SPEEDS[self.speed_slider.value()]

    def set_speed_index(self, index: int) -> None:
        self.speed_slider.setValue(max(0, min(len(SPEEDS) - 1, index)))

    @Slot()
    def faster(self) -> None:
        self.set_speed_index(self.speed_slider.value() + 1)

    @Slot()
    def slower(self) -> None:
        self.set_speed_index(self.speed_slider.value() - 1)

    def _speed_changed(self, index: int) -> None:
        speed = SPEEDS[index]
        self.speed_label.setText("Full speed" if speed is None else f"{speed:g} steps/s")
        self.controller.set_speed(speed)

    def _confirm_discard(self, what: str) -> bool:
        if not self.is_dirty() or not self.confirm_quit:
            return True
        answer = QMessageBox.question(
            self, "QMIX Studio", f"The current run has unsaved progress. {what} anyway?",
            QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
        return answer == QMessageBox.Yes

    @Slot()
    def reset_run(self) -> None:
        """A new run of the current world (scenario and its settings, also those of a run
        opened from a file) with the chosen algorithm and the settings panel's values. The
        scenario box switches worlds at once, so Reset never changes the world."""
        algo = self.algo_combo.currentData() or self.config.algo
        try:
            config = self.settings_panel.build_config(self.config.scenario, algo,
                                                      base=self.config)
        except ValueError as exc:
            self.show_banner(f"Cannot start the run: {exc}")
            return
        if not self._confirm_discard("Start a new run"):
            return
        self._start_run(config)

    def _start_run(self, config: Config) -> None:
        self.collector.unfreeze()  # so the run being replaced can be collected
        self.banner.hide()
        self._play_when_ready = False
        self._engine_ready = False
        self.current_path = None
        self.config = config
        self._world_kwargs[config.scenario] = dict(config.scenario_kwargs)
        self._sync_combos(config)
        self.plots.clear()
        self._show_first_frame(config)
        self.inspector.clear("Building the networks…")
        self.view.set_overlay("Building the networks…")
        self.controller.reset(config)
        self._update_title()

    def _scenario_chosen(self, _index: int) -> None:
        scenario = self.scenario_combo.currentData() or self.scenario_combo.currentText()
        if not scenario or scenario == self.config.scenario:
            self._sync_combos(self.config)
            return
        if not self._confirm_discard("Switch scenario"):
            self._sync_combos(self.config)
            return
        algo = self.algo_combo.currentData() or self.config.algo
        try:  # the world as it last ran in this session (its --env settings)
            config = make_config(scenario, algo=algo, seed=self.config.seed,
                                 scenario_kwargs=self._world_kwargs.get(scenario, {}))
        except ValueError as exc:
            self._sync_combos(self.config)
            self.show_banner(f"Cannot start the run: {exc}")
            return
        self.settings_panel.load(config, applied=False)
        self._start_run(config)

    def _algo_chosen(self, _index: int) -> None:
        algo = self.algo_combo.currentData()
        if algo == self.config.algo:
            return
        if not self._confirm_discard("Switch algorithm"):
            self._sync_combos(self.config)
            return
        try:  # same world, same settings: only the algorithm changes
            config = self.settings_panel.build_config(self.config.scenario, algo,
                                                      base=self.config)
        except ValueError as exc:
            self._sync_combos(self.config)
            self.show_banner(f"Cannot start the run: {exc}")
            return
        self._start_run(config)

    def _load_scenario_defaults(self) -> None:
        algo = self.algo_combo.currentData() or self.config.algo
        self.settings_panel.load(make_config(self.config.scenario, algo=algo), applied=False)

    def _sync_combos(self, config: Config) -> None:
        """Show `config`'s scenario and algorithm; a world that is not in the scenario list
        (a pz:/gym: one, from the command line or a file) gets an item of its own."""
        combo = self.scenario_combo
        index = combo.findData(config.scenario)
        if index < 0:
            combo.addItem(config.scenario, config.scenario)
            index = combo.count() - 1
            combo.setItemData(index, config.scenario, Qt.ToolTipRole)
            width = combo.fontMetrics().horizontalAdvance(config.scenario) + 48
            combo.view().setMinimumWidth(max(combo.view().minimumWidth(), width))
        combo.setCurrentIndex(index)
        combo.setToolTip(f"Scenario: {config.scenario} (switching starts a new run)")
        index = self.algo_combo.findData(config.algo)
        if index >= 0:
            self.algo_combo.setCurrentIndex(index)

    @Slot(int)
    def select_agent(self, agent: int) -> None:
        self.selected_agent = None if agent < 0 else agent
        self.view.set_selected(self.selected_agent)
        self.inspector.set_selected(self.selected_agent)

    @Slot()
    def next_agent(self) -> None:
        n = getattr(self.info, "n_agents", 0) or 0
        if n == 0:
            return
        nxt = 0 if self.selected_agent is None else (self.selected_agent + 1)
        self.select_agent(-1 if nxt >= n else nxt)

    # ---- files ---------------------------------------------------------------------------
    def ask_save_path(self) -> str | None:
        start = self.current_path or os.path.join(os.getcwd(),
                                                  f"{self.config.scenario}-{self.config.algo}.h5")
        path, _ = QFileDialog.getSaveFileName(self, "Save run", start, checkpoint_io.FILE_FILTER)
        if path and not os.path.splitext(path)[1]:
            path += ".h5"
        return path or None

    def ask_open_path(self) -> str | None:
        start = os.path.dirname(self.current_path) if self.current_path else os.getcwd()
        path, _ = QFileDialog.getOpenFileName(self, "Open run", start, checkpoint_io.FILE_FILTER)
        return path or None

    @Slot()
    def save(self) -> None:
        if self.current_path is None:
            self.save_as()
            return
        self.controller.save(self.current_path, self.act_save_buffer.isChecked())

    @Slot()
    def save_as(self) -> None:
        path = self.ask_save_path()
        if path:
            self.controller.save(path, self.act_save_buffer.isChecked())

    @Slot()
    def open_file(self) -> None:
        path = self.ask_open_path()
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        if not self._confirm_discard("Open another run"):
            return
        self.banner.hide()
        self.collector.unfreeze()
        self.controller.load(path)

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        files = [p for p in self.recent_files() if p != path]
        files.insert(0, path)
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self._rebuild_recent_menu()

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for path in files:
            act = self.recent_menu.addAction(os.path.basename(path))
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not files:
            empty = self.recent_menu.addAction("(none yet)")
            empty.setEnabled(False)

    def _apply_autosave(self, minutes: int) -> None:
        self.settings.setValue("autosave_minutes", int(minutes))
        for m, act in self.autosave_actions.items():
            act.setChecked(m == minutes)
        if minutes > 0:
            self.autosave_timer.start(int(minutes * 60_000))
        else:
            self.autosave_timer.stop()

    def _autosave(self) -> None:
        if self.current_path and self.is_dirty():
            self.controller.save(self.current_path, self.act_save_buffer.isChecked())

    def is_dirty(self) -> bool:
        env_steps, _, updates = self._counters
        return (env_steps, updates) != self._saved_counters

    def _mark_saved(self, env_steps: int, updates: int) -> None:
        """The run as of these counters is safe on disk (or has nothing to save yet)."""
        self._saved_counters = (env_steps, updates)
        self._update_title()

    # ---- look ----------------------------------------------------------------------------
    @property
    def theme(self) -> Any:
        return THEMES[self.theme_name]

    @property
    def ui_scale(self) -> float:
        return PRESENTATION_SCALE if self.presentation else 1.0

    def apply_theme(self) -> None:
        theme, scale = self.theme, self.ui_scale
        app = QApplication.instance()
        if app is not None:
            app.setPalette(palette(theme))
            app.setFont(app_font(scale))
        self.setStyleSheet(stylesheet(theme, scale) + f"""
            QFrame#tile {{ background: {theme.panel_alt}; border-radius: 8px; }}
            QLabel#tileCaption {{ color: {theme.text_dim}; font-size: {10 * scale}pt; }}
            QLabel#tileValue {{ color: {theme.text}; font-size: {20 * scale}pt;
                                font-weight: 700; }}
            QLabel#decision {{ color: {theme.text}; font-size: {11.5 * scale}pt; }}
            QLabel#cardInfo {{ color: {theme.text}; font-size: {11.5 * scale}pt; }}
            QFrame#viewCard {{ background: {scene.background(theme.name)};
                               border: 1px solid {theme.border}; border-radius: 10px; }}
        """)
        font = app_font(scale)
        for widget in (self.view, self.inspector.bars, self.inspector.table):
            widget.setFont(font)
        self.view.set_theme(theme, scale)
        self.inspector.set_theme(theme, scale)
        self.plots.apply_theme(theme, scale)
        icon_colour = theme.text
        for act in self.findChildren(QAction):
            name = getattr(act, "icon_name", None)
            if name:
                act.setIcon(make_icon(name, icon_colour))
        self.toolbar.setIconSize(QSize(round(20 * scale), round(20 * scale)))
        self._update_play_icon()
        self.on_phase(self.phase, "")
        snap = self.last_frame.snapshot if self.last_frame is not None else None
        self._set_view_info(self.config.scenario, snap)

    def _update_play_icon(self) -> None:
        running = self.act_play.isChecked()
        self.act_play.setIcon(make_icon("pause" if running else "play", self.theme.window))

    @Slot()
    def toggle_theme(self) -> None:
        self.theme_name = "light" if self.theme_name == "dark" else "dark"
        self.apply_theme()

    @Slot()
    def toggle_presentation(self) -> None:
        self.set_presentation(not self.presentation)

    def set_presentation(self, on: bool) -> None:
        if on == self.presentation:
            self.act_presentation.setChecked(on)
            return
        self.presentation = on
        self.act_presentation.setChecked(on)
        self.menuBar().setVisible(not on)
        if on:
            self._settings_was_visible = self.settings_dock.isVisible()
            self.settings_dock.hide()
            self.showFullScreen()
        else:
            if getattr(self, "_settings_was_visible", False):
                self.settings_dock.show()
            self.showNormal()
        QTimer.singleShot(0, self._apply_split)
        for act in (self.act_open, self.act_save, self.act_settings, self.act_theme):
            widget = self.toolbar.widgetForAction(act)
            if widget is not None:
                widget.setVisible(not on)
        self.plots.set_compact(on)
        self.inspector.legend.setVisible(not on)  # minimal chrome; the speaker explains
        self.apply_theme()

    @Slot()
    def toggle_settings(self) -> None:
        self.settings_dock.setVisible(not self.settings_dock.isVisible())

    def show_banner(self, message: str) -> None:
        self.banner_label.setText(message)
        self.banner.show()

    def show_shortcuts(self) -> None:
        rows = []
        for act in self.actions():
            keys = ", ".join(s.toString(QKeySequence.NativeText) for s in act.shortcuts())
            if keys:
                rows.append(f"<tr><td><b>{keys}</b></td><td>&nbsp;&nbsp;{act.statusTip()}"
                            "</td></tr>")
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText("<table>" + "".join(rows) + "</table>")
        box.open()

    def _set_view_info(self, name: str, snap: Any) -> None:
        """Card header: scenario, algorithm, last greedy evaluation (the picture itself shows
        t and the episode's return)."""
        algo = ALGO_LABELS.get(self.config.algo, self.config.algo)
        parts = [algo if self.presentation else f"{scenario_label(name)} · {algo}"]
        if snap is not None and snap.last_eval is not None:
            greedy = (f"greedy {fmt(snap.last_eval)}" if self.presentation
                      else f"greedy return {fmt(snap.last_eval)}")
            if snap.solved:
                greedy += f" <span style='color:{self.theme.good}'>✓ solved</span>"
            parts.append(greedy)
        text = "  ·  ".join(parts)
        if self.view_info.text() != text:
            self.view_info.setText(text)

    def _update_title(self) -> None:
        algo = ALGO_LABELS.get(self.config.algo, self.config.algo)
        name = os.path.basename(self.current_path) if self.current_path else "unsaved run"
        star = " *" if self.is_dirty() else ""
        self.setWindowTitle(f"QMIX Studio — {self.config.scenario} · {algo} — {name}{star}")

    def _refresh_status(self) -> None:
        now = time.perf_counter()
        env_steps, episodes, updates = self._counters
        self._rate_window.append((now, env_steps, updates))
        while len(self._rate_window) > 2 and now - self._rate_window[0][0] > 2.0:
            self._rate_window.popleft()
        t0, s0, u0 = self._rate_window[0]
        dt = now - t0
        steps_s = (env_steps - s0) / dt if dt > 0.2 and env_steps >= s0 else 0.0
        updates_s = (updates - u0) / dt if dt > 0.2 and updates >= u0 else 0.0
        values = {
            "env_steps": f"env steps {env_steps:,}", "episodes": f"episodes {episodes:,}",
            "updates": f"updates {updates:,}", "updates_s": f"{updates_s:,.1f} upd/s",
            "steps_s": f"{steps_s:,.0f} steps/s",
            "fps": f"{self.view.fps():.0f} fps" if self.phase in ("running", "stepping",
                                                                  "evaluating") else "– fps",
        }
        for key, text in values.items():
            label = self.status_labels[key]
            if label.text() != text:
                label.setText(text)
        self._update_title()

    # ---- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.confirm_quit and self.is_dirty() and self._engine_ready:
            answer = QMessageBox.question(
                self, "QMIX Studio", "Save the run before quitting?",
                QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
                QMessageBox.Save)
            if answer == QMessageBox.Cancel:
                event.ignore()
                return
            if answer == QMessageBox.Save:
                path = self.current_path or self.ask_save_path()
                if not path:
                    event.ignore()
                    return
                self._close_after_save = True
                self.controller.pause()
                self.controller.save(path, self.act_save_buffer.isChecked())
                event.ignore()
                return
        self.status_timer.stop()
        self.plot_timer.stop()
        self.autosave_timer.stop()
        self.hide()  # gone from the screen at once, even if the worker is mid-compile
        started = time.perf_counter()
        self.controller.shutdown(timeout_s=1.0)
        self.shutdown_seconds = time.perf_counter() - started
        self.collector.stop()
        super().closeEvent(event)
