"""Replay: scrub through a finished episode of the run, forwards and backwards.

The run keeps its last training episodes of env copy 0 and its greedy evaluation episodes
step by step (qmix/replay.py). Entering replay (Ctrl+R) pauses training and asks the worker
for a plain-data copy of them (`Command.REPLAYS`, answered by the worker's `replays_ready`
signal: the Trainer is only touched on its own thread). The bar then offers every episode
("train ep 412 · return 17.0", newest first) and a slider over its steps t = 0..T; `,` and
`.` step back and forward, Home and End jump to the start and the end (never the arrow keys:
those steer an agent by hand). The picture, the inspector and the Q_tot table show the
replayed step exactly as they showed it live. Any run control (Play, Step, Episode, Update,
Evaluate) or Ctrl+R again returns to the live frame.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy,
                               QSlider, QWidget)

from qmix.replay import ReplayEpisode


class ReplayBar(QFrame):
    """The scrubber's widgets: episode box, step slider, position text, Live button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(10)
        title = QLabel("REPLAY")
        title.setObjectName("cardTitle")
        self.episodes = QComboBox()
        self.episodes.setFocusPolicy(Qt.NoFocus)  # the arrow keys stay with the window
        self.episodes.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.episodes.setToolTip("Which kept episode to replay (newest first)")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setFocusPolicy(Qt.NoFocus)
        self.slider.setToolTip("Step t of the episode  (, and . step; Home / End)")
        self.slider.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.position = QLabel("")
        self.position.setObjectName("cardInfo")
        self.position.setMinimumWidth(220)
        self.live = QPushButton("Back to live")
        self.live.setFocusPolicy(Qt.NoFocus)
        self.live.setToolTip("Leave replay: the picture and the inspector follow the run again "
                             "(Ctrl+R)")
        for widget, stretch in ((title, 0), (self.episodes, 0), (self.slider, 1),
                                (self.position, 0), (self.live, 0)):
            layout.addWidget(widget, stretch)


class ReplayMode(QObject):
    """Replay's state and keys, on the GUI thread. `window` supplies `controller`,
    `show_snapshot(snapshot, badge)`, `last_frame`, `pause()` and `status`."""

    changed = Signal(bool)  # replay entered (True) / left (False)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.bar = ReplayBar()
        self.bar.hide()
        self.active = False
        self.waiting = False  # asked the worker for the episodes; not answered yet
        self.replays: list[ReplayEpisode] = []  # as the box lists them: newest first
        self.episode: ReplayEpisode | None = None
        self.t = 0
        self.bar.episodes.currentIndexChanged.connect(self._pick)
        self.bar.slider.valueChanged.connect(self._moved)
        self.bar.live.clicked.connect(self.leave)

    def connect_worker(self, worker: Any, controller: Any) -> None:
        worker.replays_ready.connect(self.on_replays)
        controller.playing_changed.connect(self._run_control)

    # ---- actions (app/actions.py) -------------------------------------------------------
    @Slot()
    def toggle(self) -> None:
        if self.active or self.waiting:
            self.leave()
        else:
            self.enter()

    def enter(self) -> None:
        """Pause training and ask the worker for the kept episodes."""
        if not self.window.controller.engine_ready:
            self.window.status.message("Replay is possible once the engine is ready.", 4000)
            self.window.acts.set_replaying(False)
            return
        self.waiting = True
        # training (or a watched episode) stops; its playing_changed is ours, not a run control
        self.window.controller.pause()
        self.window.controller.request_replays()

    @Slot(object)
    def on_replays(self, replays: list[ReplayEpisode]) -> None:
        if not self.waiting:
            return  # left again before they came
        self.waiting = False
        if not replays:
            self.window.status.message(
                "No finished episode to replay yet: step or play an episode first.", 6000)
            self.window.acts.set_replaying(False)
            return
        self.replays = list(reversed(replays))
        self.active = True
        box = self.bar.episodes
        box.blockSignals(True)
        box.clear()
        for episode in self.replays:
            box.addItem(episode.title)
        box.setCurrentIndex(0)
        box.blockSignals(False)
        self.bar.show()
        self.window.acts.set_replaying(True)
        self._pick(0)
        self.changed.emit(True)

    @Slot()
    def leave(self) -> None:
        """Back to the live frame."""
        was = self.active
        self.active = self.waiting = False
        self.bar.hide()
        self.window.acts.set_replaying(False)
        if was:
            frame = self.window.last_frame
            if frame is not None and frame.snapshot is not None:
                self.window.show_snapshot(frame.snapshot)
            self.changed.emit(False)

    @Slot()
    def step_back(self) -> None:
        self.show_step(self.t - 1)

    @Slot()
    def step_forward(self) -> None:
        self.show_step(self.t + 1)

    @Slot()
    def to_start(self) -> None:
        self.show_step(0)

    @Slot()
    def to_end(self) -> None:
        if self.episode is not None:
            self.show_step(len(self.episode.steps) - 1)

    def select(self, index: int) -> None:
        """Replay the `index`-th episode of the box (0: the newest)."""
        self.bar.episodes.setCurrentIndex(index)

    # ---- showing ------------------------------------------------------------------------
    def show_step(self, t: int) -> None:
        if not self.active or self.episode is None:
            return
        t = max(0, min(len(self.episode.steps) - 1, int(t)))
        if self.bar.slider.value() != t:
            self.bar.slider.setValue(t)  # -> _moved -> _show
        else:
            self._show(t)

    def snapshot(self) -> Any:
        """The snapshot on screen in replay (None outside it)."""
        if not self.active or self.episode is None:
            return None
        return self.episode.steps[self.t]

    @Slot(int)
    def _pick(self, index: int) -> None:
        if not self.active or not 0 <= index < len(self.replays):
            return
        self.episode = self.replays[index]
        slider = self.bar.slider
        slider.blockSignals(True)
        slider.setRange(0, len(self.episode.steps) - 1)
        slider.setValue(0)
        slider.blockSignals(False)
        self._show(0)

    @Slot(int)
    def _moved(self, t: int) -> None:
        if self.active:
            self._show(t)

    def _show(self, t: int) -> None:
        episode = self.episode
        assert episode is not None
        self.t = t
        last = len(episode.steps) - 1
        snap = episode.steps[t]
        reward = f" · reward {episode.rewards[t]:.2f}" if t < episode.length else " · episode over"
        self.bar.position.setText(f"t = {t} / {last} · return so far "
                                  f"{snap.episode_return:.2f}{reward}")
        self.window.show_snapshot(snap, f"REPLAY · {episode.title.upper()} · t {t}/{last}")

    @Slot(bool)
    def _run_control(self, _playing: bool) -> None:
        """Play, Step, Episode, Update or Evaluate was pressed: the run moves on, and the
        picture follows it again (the Pause of entering replay is not one of them)."""
        if self.active:
            self.leave()
