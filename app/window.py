"""The main window: lays out the environment view, inspector, live plots, toolbar, menus and
status bar, and wires them to the training thread. Nothing more.

Everything here runs on the GUI thread and never touches TensorFlow or the Trainer: commands
go to the worker through `TrainingController` (app/controller.py), plain-data `Frame`s come
back to the slots below. Where the rest lives: the controls in app/actions.py, the run's file
in app/session.py, the next run's config in app/run_picker.py, the look in app/theme.py, the
status bar in app/statusbar.py, the building blocks in app/widgets.py, the study page (a
`./studio sweep` folder, shown instead of the run) in app/study_view.py.

Why ~570 lines (over the project's ~450): the window's slots for two pages (run, study) and
two modes (presentation, theme) are one list of short methods, each a few lines of wiring;
split, a newcomer would look in two places for what one signal does. Manual control, the
what-if drag and views, the world editor and the race live in app/manual.py, app/whatif.py,
app/views.py, app/editor.py and app/race.py; here they are one line each per hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QApplication, QLabel, QMainWindow, QScrollArea, QSizePolicy,
                               QStackedWidget, QVBoxLayout, QWidget)

import envs
from app.actions import Actions
from app.controller import TrainingController
from app.engine import TrainerFactory
from app.env_view import EnvView
from app.export_dialog import EpisodeExport
from app.icons import make_icon
from app.inspector import HEADING_TOOLTIP, InspectorPanel
from app.manual import ManualControl
from app.whatif import WhatIfControl
from app.editor import WorldEditor
from app.views import WhatIfViews
from app.modal import ModalPause
from app.plots import PlotsPanel
from app.replay_bar import ReplayMode
from app.run_picker import RunPicker, view_header, window_title
from app.session import RunFile
from app.settings_panel import RunSettings
from app.statusbar import StatusBar
from app.study_view import StudyView
from app.theme import PRESENTATION_SCALE, THEMES, Theme, app_font, palette, stylesheet
from app.widgets import Banner, SpeedControl, card, dock, every, split
from app.commands import EngineReady, Frame
from app.worker import MOVING, Phase
from qmix.userio import one_line
from qmix.config import Config


class MainWindow(QMainWindow):
    def __init__(self, config: Config, theme: str = "dark", presentation: bool = False,
                 trainer_factory: TrainerFactory | None = None, load_path: str | None = None,
                 settings: QSettings | None = None, first_env: Any = None) -> None:
        """`first_env`: the scenario already built and reset by the caller (app.main checks
        that it can be built before opening the window); drawn as the first frame."""
        super().__init__()
        self.config = config
        self.info: Any = None
        self.theme_name = theme if theme in THEMES else "dark"
        self.presentation = False
        self.selected_agent: int | None = None
        self.phase = Phase.STARTING
        self.last_frame: Frame | None = None
        self.frames_received = 0
        self.last_error: str | None = None
        self._counters: tuple[int, int, int] = (0, 0, 0)  # env steps, episodes, updates

        self.controller = TrainingController(config, trainer_factory, load_path, parent=self)
        self.controller.playing_changed.connect(self._show_playing)
        self.manual = ManualControl(self)  # take over an agent (app/manual.py)
        self.whatif = WhatIfControl(self)  # what-if drag (app/whatif.py)
        self.editor = WorldEditor(self)  # world editor (app/editor.py)
        self.views = WhatIfViews(self)  # value map, mixer surface (app/views.py)
        self.modal = ModalPause(self.controller, self)  # modal dialogs pause training
        self._build_widgets()
        self.session = RunFile(
            self, self.controller, settings if settings is not None
            else QSettings("QMIX Studio", "QMIX Studio"),
            default_name=lambda: f"{self.config.scenario}-{self.config.algo}.h5",
            show_error=self.banner.show_message, before_open=self.banner.hide)
        self.session.changed.connect(self._update_title)
        self.speed_control = SpeedControl(self)
        self.speed_control.changed.connect(self.controller.set_speed)
        self.picker = RunPicker(self.config, self.settings_panel, self)
        self.picker.picked.connect(self._run_picked)
        self.episode_export = EpisodeExport(self)  # File ▸ Export episode… (GIF / MP4)
        self.acts = Actions(self)
        self.manual.attach()
        self.whatif.attach(self.view)
        self.editor.attach()
        self.views.attach()
        speed = self.speed_control
        self.toolbar = self.acts.build_toolbar(self, {
            "speed_caption": speed.caption, "speed": speed.slider, "speed_label": speed.label,
            "scenario": self.picker.scenario_combo, "algo": self.picker.algo_combo})
        self.acts.build_menus(self.menuBar(), self.session.menu_items())
        self.acts.set_presenting(self.toolbar, False)
        self.acts.set_replaying(False)
        self.acts["study"].setEnabled(False)  # until a study is open
        self.settings_dock.visibilityChanged.connect(self.acts["settings"].setChecked)
        self.status = StatusBar(self.statusBar())
        self.study_view.notice.connect(lambda text: self.status.message(text, 6000))
        self._connect_worker()
        self.settings_panel.load(config)
        self.picker.sync(config)
        self.apply_theme()
        self.resize(1600, 980)
        self._show_first_frame(config, first_env)
        self.view.set_overlay("Starting TensorFlow…")
        self.inspector.clear("Starting TensorFlow… the view already shows the scenario.")
        self._refresh_status()
        self.status_timer = every(self, 250, self._refresh_status)
        self.plot_timer = every(self, 250, self._redraw_plots)  # a repaint costs ~10 ms
        if presentation:
            self.set_presentation(True)
        self._update_title()

    # ================================================================ layout
    def _build_widgets(self) -> None:
        self.view = EnvView()
        self.view.agent_clicked.connect(self.select_agent)
        self.view_info = QLabel("")
        self.view_info.setObjectName("cardInfo")
        self.view_info.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.view_info.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.view_card = card("Environment", self.view, self.view_info)
        self.view_card.setObjectName("viewCard")

        self.inspector = InspectorPanel()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.inspector)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.inspector_card = card("Inspector · the step on screen", scroll,
                                   self.inspector.legend)
        self.inspector_card.findChild(QLabel, "cardTitle").setToolTip(HEADING_TOOLTIP)
        self.plots = PlotsPanel()
        self.plots_card = card("Learning curves · x = env steps", self.plots)

        # The picture gets the full height on the left (what a room looks at); the
        # inspector and the curves share the right column.
        self.right_split = split(Qt.Vertical, self.inspector_card, self.plots_card, 5, 4)
        self.main_split = split(Qt.Horizontal, self.view_card, self.right_split, 4, 5)
        # the study page takes the run's place while it is shown (F3 switches)
        self.study_view = StudyView()
        self.study_view.run_requested.connect(self.open_study_run)
        self.study_view.back_requested.connect(lambda: self.show_study(False))
        self.pages = QStackedWidget()
        self.pages.addWidget(self.main_split)
        self.pages.addWidget(self.study_view)
        self.banner = Banner()
        self.replay = ReplayMode(self)  # the scrubber over finished episodes (app/replay_bar.py)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        layout.addWidget(self.banner)
        layout.addWidget(self.manual.banner)
        layout.addWidget(self.editor.bar)
        layout.addWidget(self.replay.bar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.settings_panel = RunSettings()
        self.settings_panel.apply_requested.connect(self.reset_run)
        self.settings_panel.defaults_button.clicked.connect(self._load_scenario_defaults)
        self.settings_dock = dock(self, "Run settings", "settingsDock", self.settings_panel)

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

    # ================================================================ wiring
    def _connect_worker(self) -> None:
        w = self.controller.worker
        w.frame_ready.connect(self.on_frame)
        w.phase_changed.connect(self.on_phase)
        w.engine_ready.connect(self.on_engine_ready)
        w.training_failed.connect(self.on_training_failed)
        w.notice.connect(self.on_notice)
        self.replay.connect_worker(w, self.controller)

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

    @Slot(object)
    def on_frame(self, frame: Frame) -> None:
        try:
            self.frames_received += 1
            self.last_frame = frame
            if frame.curves_reset:
                self.plots.clear()
            self.plots.extend(frame.points)
            self._counters = (frame.env_steps, frame.episodes, frame.updates)
            self.status.show_counts(*self._counters)
            self.session.progress(frame.env_steps, frame.updates)
            snap = frame.snapshot
            if snap is not None and not self.replay.active:  # replay shows its own step
                self.show_snapshot(snap)
        finally:
            self.controller.worker.frame_consumed()

    def show_snapshot(self, snap: Any, badge: str | None = None) -> None:
        """The picture, the inspector and the header of one snapshot (live or replayed)."""
        self.view.badge = self._badge(snap) if badge is None else badge
        # the decision about to be executed, drawn on the picture (arrows, or the "next"
        # action of the vector view); none on a terminal frame
        pending = None if snap.decision is None else snap.decision.actions
        self.view.set_frame(snap.frame, pending)
        names = tuple(self.info.action_names) if self.info is not None else ()
        # every frame: the picture and the inspector are of the same decision
        self.inspector.set_snapshot(snap, names)
        if badge is None:  # a live frame (not a replayed step): the what-if tools follow it
            self.manual.on_snapshot(snap)
            self.whatif.on_snapshot(snap)
            self.editor.on_snapshot(snap)
            self.views.on_snapshot(snap)
        self._set_view_info(snap.frame.get("scenario", ""), snap)

    @staticmethod
    def _badge(snap: Any) -> str:
        """Top-left of the picture: a greedy episode, or copy 0 waiting for the others."""
        if snap.evaluating:
            return "GREEDY EVALUATION"
        waiting = int(getattr(snap, "copies_running", 0))
        if snap.decision is None and waiting:
            return f"EPISODE OVER · {waiting} OTHER COP{'Y' if waiting == 1 else 'IES'} RUNNING"
        return ""

    @Slot(object, str)
    def on_phase(self, phase: Phase, detail: str) -> None:
        self.phase = phase
        self._show_playing(phase is Phase.RUNNING)
        self.status.show_phase(phase, detail, self.theme)
        self.view.set_overlay((detail or "Starting…") if phase is Phase.STARTING else None)
        self._update_title()

    @Slot(object)
    def on_engine_ready(self, ready: EngineReady) -> None:
        self.info = ready.info
        self.config = ready.config
        self.picker.remember(self.config)
        self.view.set_overlay(None)
        self.plots.set_solved_return(getattr(self.info, "solved_return", None))
        QTimer.singleShot(0, self._apply_split)
        self.settings_panel.load(self.config)
        self.picker.sync(self.config)
        self.manual.new_run()
        self.whatif.new_run()
        self.editor.new_run()
        self.views.new_run()
        self.select_agent(-1)
        self.replay.leave()  # its episodes were the previous run's
        # a new run (Reset, Open): nothing of the previous run's stays in the inspector; the
        # run's first frame follows this signal
        self.inspector.clear("No decision yet")
        env_steps, updates = ready.counters
        self._counters = (env_steps, 0, updates)
        self.session.new_run(ready.loaded_from, env_steps, updates)  # nothing unsaved yet
        self._update_title()

    @Slot(str)
    def on_training_failed(self, message: str) -> None:
        self.last_error = message
        self.show_banner(message)

    @Slot(str)
    def on_notice(self, message: str) -> None:
        self.status.message(message, 6000)

    # ================================================================ controls
    def _show_playing(self, on: bool) -> None:
        """The Play button as Pause while training (or about to)."""
        act = self.acts["play"]
        act.setChecked(on)
        act.setText("Pause" if on else "Play")
        act.setIcon(make_icon("pause" if on else "play", self.theme.window))

    @Slot()
    def toggle_play(self) -> None:
        if self.phase in (Phase.STEPPING, Phase.EVALUATING):
            self.controller.pause()  # Space stops a slow-motion episode or evaluation too
            return
        if self.controller.wants_play():
            self.controller.pause()
            return
        self.banner.hide()
        if not self.controller.engine_ready:
            self.status.message("Training starts as soon as the engine is ready.", 4000)
        self.controller.play()

    def play(self) -> None:
        if not self.controller.wants_play():
            self.toggle_play()

    def pause(self) -> None:
        if self.controller.wants_play():
            self.toggle_play()

    def speed(self) -> float | None:
        return self.speed_control.speed()

    def set_speed_index(self, index: int) -> None:
        self.speed_control.set_index(index)

    # ---- runs ----------------------------------------------------------------------------
    @Slot()
    def reset_run(self) -> None:
        """A new run of the current world (scenario and its settings, also those of a run
        opened from a file) with the chosen algorithm and the settings panel's values. The
        scenario box switches worlds at once, so Reset never changes the world."""
        self._switch_run("Start a new run", lambda: self.picker.next_config(self.config))

    def _run_picked(self) -> None:
        scenario = self.picker.scenario()
        if scenario and scenario != self.config.scenario:
            self._switch_run("Switch scenario",
                             lambda: self.picker.next_config(self.config, scenario),
                             new_world=True)
        elif self.picker.algo(self.config) != self.config.algo:
            # same world, same settings: only the algorithm changes
            self._switch_run("Switch algorithm", lambda: self.picker.next_config(self.config))
        else:
            self.picker.sync(self.config)

    def _switch_run(self, what: str, build: Callable[[], Config], new_world: bool = False
                    ) -> None:
        """Start the run `build()` makes, once the user agrees to lose unsaved progress; a
        bad setting is one line in the banner and the current run goes on."""
        try:
            config = build()
        except ValueError as exc:
            self.picker.sync(self.config)
            self.show_banner(f"Cannot start the run: {exc}")
            return
        if not self.session.confirm_discard(
                what, then=lambda: self._switch_run(what, build, new_world)):
            self.picker.sync(self.config)
            return
        if new_world:
            self.settings_panel.load(config, applied=False)
        self.banner.hide()
        self.config = config
        self.picker.remember(config)
        self.picker.sync(config)
        self.session.new_run(None)
        self.plots.clear()
        self._show_first_frame(config)
        self.inspector.clear("Building the networks…")
        self.view.set_overlay("Building the networks…")
        self.controller.reset(config)
        self._update_title()

    # ---- studies -------------------------------------------------------------------------
    @Slot()
    def open_study(self) -> None:
        """File ▸ Open Study…: a folder from a dialog."""
        path = self.study_view.ask_path()
        if path:
            self.open_study_folder(path)

    def open_study_folder(self, path: str, study: dict[str, Any] | None = None) -> bool:
        """Show the study in `path` (`study`: its data, if just read); a folder that is no
        study is one line in the banner and nothing else changes."""
        try:
            self.study_view.open(path, study)
        except ValueError as exc:
            self.show_banner(f"Cannot open the study: {one_line(exc)}")
            return False
        self.banner.hide()
        self.acts["study"].setEnabled(True)
        self.show_study(True)
        return True

    @Slot()
    def toggle_study(self) -> None:
        self.show_study(not self.showing_study())

    def showing_study(self) -> bool:
        return self.pages.currentWidget() is self.study_view

    def show_study(self, on: bool) -> None:
        """The study page instead of the run's (only with a study open), or back."""
        on = on and self.study_view.is_open()
        self.pages.setCurrentWidget(self.study_view if on else self.main_split)
        self.acts["study"].setChecked(on)
        self._update_title()

    @Slot(str)
    def open_study_run(self, path: str) -> None:
        """A run of the study double-clicked: opened as File ▸ Open opens a file (asking
        first about unsaved progress); the run's page comes back once it goes ahead."""
        if self.session.open_path(path):
            self.show_study(False)

    @Slot()
    def open_race(self) -> None:
        """Run ▸ Race: this scenario and seed, this algorithm against its rival, in a window
        of their own (app/race.py); this run pauses meanwhile."""
        from app.race import open_race, rival

        self.pause()
        if getattr(self, "race", None) is not None:
            self.race.close()
        self.race = open_race(self.config, (self.config.algo, rival(self.config.algo)),
                              self.theme_name)

    def _load_scenario_defaults(self) -> None:
        self.settings_panel.load(self.picker.scenario_defaults(self.config), applied=False)

    @Slot(int)
    def select_agent(self, agent: int) -> None:
        self.selected_agent = None if agent < 0 else agent
        self.view.set_selected(self.selected_agent)
        self.inspector.set_selected(self.selected_agent)
        self.manual.selection_changed(self.selected_agent)
        self.views.selection_changed()

    @Slot()
    def next_agent(self) -> None:
        n = getattr(self.info, "n_agents", 0) or 0
        if n == 0:
            return
        nxt = 0 if self.selected_agent is None else (self.selected_agent + 1)
        self.select_agent(-1 if nxt >= n else nxt)

    # ---- look ----------------------------------------------------------------------------
    @property
    def theme(self) -> Theme:
        return THEMES[self.theme_name]

    def apply_theme(self) -> None:
        theme = self.theme
        scale = PRESENTATION_SCALE if self.presentation else 1.0
        app = QApplication.instance()
        if app is not None:
            app.setPalette(palette(theme))
            app.setFont(app_font(scale))
        self.setStyleSheet(stylesheet(theme, scale))
        font = app_font(scale)
        for widget in (self.view, self.inspector.bars, self.inspector.table):
            widget.setFont(font)
        self.view.set_theme(theme, scale)
        self.inspector.set_theme(theme, scale)
        self.plots.apply_theme(theme, scale)
        self.study_view.set_theme(theme, scale)
        self.acts.apply_icons(self.toolbar, theme.text, scale)
        self._show_playing(self.acts["play"].isChecked())
        self.on_phase(self.phase, "")
        snap = self.last_frame.snapshot if self.last_frame is not None else None
        self._set_view_info(self.config.scenario, snap)

    @Slot()
    def toggle_theme(self) -> None:
        self.theme_name = "light" if self.theme_name == "dark" else "dark"
        self.apply_theme()

    @Slot()
    def toggle_presentation(self) -> None:
        self.set_presentation(not self.presentation)

    @Slot()
    def leave_presentation(self) -> None:
        self.set_presentation(False)

    def set_presentation(self, on: bool) -> None:
        """Presentation mode: full screen, large type, minimal chrome (menus, file and look
        buttons, settings and the inspector's legend hidden; four plots instead of six)."""
        self.acts["presentation"].setChecked(on)
        if on == self.presentation:
            return
        self.presentation = on
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
        self.acts.set_presenting(self.toolbar, on)
        self.whatif.sync_keys()  # Esc: the what-if's while one is open, else presentation's
        self.plots.set_compact(on)
        self.study_view.set_presenting(on)
        self.inspector.legend.setVisible(not on)  # minimal chrome; the speaker explains
        self.apply_theme()

    @Slot()
    def toggle_settings(self) -> None:
        self.settings_dock.setVisible(not self.settings_dock.isVisible())

    def show_banner(self, message: str) -> None:
        self.banner.show_message(message)

    @Slot()
    def show_shortcuts(self) -> None:
        self.acts.show_shortcuts(self)

    def _set_view_info(self, name: str, snap: Any) -> None:
        text = view_header(name, self.config.algo, snap, self.presentation, self.theme.good)
        if self.view_info.text() != text:
            self.view_info.setText(text)

    def _update_title(self) -> None:
        title = window_title(self.config, self.session.path, self.session.is_dirty())
        if self.showing_study():
            title = f"QMIX Studio — study {self.study_view.path}"
        self.setWindowTitle(title)

    def _refresh_status(self) -> None:
        fps = self.view.fps() if self.phase in MOVING else None
        self.status.show_counters(*self._counters, fps)
        self._update_title()

    def _redraw_plots(self) -> None:
        if self.plots.isVisible():
            self.plots.redraw()

    # ---- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.session.may_close():  # asked; maybe saving, then closing
            event.ignore()
            return
        for timer in (self.status_timer, self.plot_timer, self.session.autosave_timer):
            timer.stop()
        self.study_view.shutdown()
        if getattr(self, "race", None) is not None:
            self.race.close()
        self.episode_export.cancel()  # an export running stops at its next frame
        self.episode_export.wait(5.0)
        self.hide()  # gone from the screen at once, even if the worker is mid-compile
        self.controller.shutdown(timeout_s=1.0)
        super().closeEvent(event)
